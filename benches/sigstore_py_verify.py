"""Verifies the sigstore-conformance happy-path bundles N times in one process with
sigstore-python (PyPI `sigstore`), offline, for the side-by-side in BENCHMARKS.md.

    python benches/sigstore_py_verify.py CASES_DIR --probe > LIST   # happy paths it verifies
    python benches/sigstore_py_verify.py CASES_DIR N LIST           # N bundles, cycling LIST

Bundles with their own trusted_root.json use it; the others use the embedded
public-good root (`Verifier.production(offline=True)`). `--probe` prints the happy-path
cases sigstore-python verifies (it cannot verify key-signed bundles or `intoto` log
entries) and names the others on stderr; the Rust side (`benches/sigstore_verify.rs`)
verifies the same list.
"""
import sys
from pathlib import Path

from sigstore.models import Bundle
from sigstore.verify import Verifier, policy
from sigstore.models import TrustedRoot

IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
ISSUER = "https://token.actions.githubusercontent.com"


def cases(root: Path):
    for case in sorted(p for p in root.iterdir() if p.is_dir()):
        if case.name.endswith("_fail") or (case / "key.pub").exists():
            continue
        yield case


def verify(root: Path, case: Path, verifiers: dict) -> None:
    trusted = case / "trusted_root.json"
    if trusted.exists():
        verifier = verifiers.get(case)
        if verifier is None:
            verifier = Verifier(trusted_root=TrustedRoot.from_file(str(trusted)))
            verifiers[case] = verifier
    else:
        verifier = verifiers.get("production")
        if verifier is None:
            verifier = Verifier.production(offline=True)
            verifiers["production"] = verifier
    bundle = Bundle.from_json((case / "bundle.sigstore.json").read_bytes())
    identity = (case / "identity").read_text().strip() if (case / "identity").exists() else IDENTITY
    issuer = (case / "issuer").read_text().strip() if (case / "issuer").exists() else ISSUER
    pol = policy.Identity(identity=identity, issuer=issuer)
    artifact = case / "artifact" if (case / "artifact").exists() else root / "a.txt"
    if bundle._dsse_envelope is not None:
        verifier.verify_dsse(bundle, pol)
    else:
        verifier.verify_artifact(artifact.read_bytes(), bundle, pol)


def main():
    root = Path(sys.argv[1])
    verifiers: dict = {}
    if sys.argv[2] == "--probe":
        for case in cases(root):
            try:
                verify(root, case, verifiers)
                print(case.name)
            except Exception as error:  # noqa: BLE001 - report and leave out
                print(f"sigstore-python cannot verify {case.name}: {error}", file=sys.stderr)
        return
    n = int(sys.argv[2])
    listed = [root / name for name in Path(sys.argv[3]).read_text().split()]
    for i in range(n):
        verify(root, listed[i % len(listed)], verifiers)
    print(f"verified {n} bundles", file=sys.stderr)


if __name__ == "__main__":
    main()
