"""Validates a CycloneDX JSON SBOM with cyclonedx-python-lib (PyPI `cyclonedx-python-lib`,
the library behind `cyclonedx-py`), the reference validator BENCHMARKS.md compares
vouch with. Exit 0 when valid, 1 with the first error otherwise.

    python benches/cyclonedx_py_validate.py FILE [SPEC_VERSION]
"""
import sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

path = sys.argv[1]
version = SchemaVersion.from_version(sys.argv[2] if len(sys.argv) > 2 else "1.6")
with open(path, encoding="utf-8") as f:
    text = f.read()
error = JsonStrictValidator(version).validate_str(text)
if error is not None:
    print(error, file=sys.stderr)
    sys.exit(1)
