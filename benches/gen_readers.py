"""Large inputs for every reader's peak-memory figure (issue 10, BENCHMARKS.md "Fail
closed"), each about 25-40 MB so that the process's own 10 MB do not decide the ratio:

    python3 benches/gen_readers.py DIR

Each SCA report is the repository's own fixture (tests/fixtures/sca) with its finding
list repeated until it is large, every copy's identifiers made unique (so nothing is
read as a duplicate of another); the VEX document waives every advisory of the
cargo-audit report; the lockfiles pin 200,000 packages; the policy holds 60,000
exceptions. Written as DIR/reader-<name>.<ext>.
"""
import copy
import json
import os
import sys

out = sys.argv[1]
fixtures = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "sca")
TARGET = 30_000_000
UNIQUE = {"id", "name", "VulnerabilityID", "PkgName", "PkgID", "cve", "package", "source", "title"}


def load(name):
    with open(os.path.join(fixtures, name)) as f:
        return json.load(f)


def unique(value, i, key=None):
    """A copy of `value` whose identifying strings end in `-i`."""
    if isinstance(value, dict):
        return {k: unique(v, i, k) for k, v in value.items()}
    if isinstance(value, list):
        return [unique(v, i, key) for v in value]
    if isinstance(value, str) and key in UNIQUE:
        return f"{value}-{i}"
    if isinstance(value, int) and not isinstance(value, bool) and key == "source":
        return value * 1_000_000 + i
    return value


def repeat(items, size_of_one):
    """`items` repeated (uniquely) until about TARGET bytes."""
    n = max(1, TARGET // max(1, size_of_one))
    return [unique(items[j % len(items)], j) for j in range(n)]


def grow_list(doc, path):
    """Grows the list at `path` (keys) of `doc` in place."""
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    items = parent[path[-1]]
    parent[path[-1]] = repeat(items, len(json.dumps(items)) // len(items))
    return doc


def write(name, doc):
    with open(os.path.join(out, name), "w") as f:
        json.dump(doc, f)


write("reader-cargo-audit.json", grow_list(load("cargo-audit.json"), ["vulnerabilities", "list"]))
write("reader-grype.json", grow_list(load("grype.json"), ["matches"]))
trivy = load("trivy.json")
for result in (r for r in trivy["Results"] if r.get("Vulnerabilities")):
    result["Vulnerabilities"] = repeat(result["Vulnerabilities"], 3 * len(json.dumps(result["Vulnerabilities"])) // len(result["Vulnerabilities"]))
write("reader-trivy.json", trivy)
write("reader-osv-scanner.json", grow_list(load("osv-scanner.json"), ["results"]))
write("reader-gitlab-dependency-scanning.json",
      grow_list(load("gitlab-dependency-scanning.json"), ["vulnerabilities"]))
write("reader-pip-audit.json", grow_list(load("pip-audit.json"), ["dependencies"]))

v7 = load("npm-audit-v7.json")
entries = list(v7["vulnerabilities"].items())
size = len(json.dumps(v7["vulnerabilities"])) // len(entries)
grown = {}
for j in range(TARGET // size):
    key, entry = entries[j % len(entries)]
    # Names and `via`/`effects` references stay consistent within a copy.
    text = json.dumps(entry)
    for other, _ in entries:
        text = text.replace(f'"{other}"', f'"{other}-{j // len(entries)}"')
    grown[f"{key}-{j // len(entries)}"] = json.loads(text)
v7["vulnerabilities"] = grown
write("reader-npm-audit.json", v7)

stream = []
with open(os.path.join(fixtures, "govulncheck-stream.json")) as f:
    decoder = json.JSONDecoder()
    text = f.read()
    at = 0
    while at < len(text):
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            break
        value, at = decoder.raw_decode(text, at)
        stream.append(value)
head = [m for m in stream if "config" in m or "progress" in m]
body = [m for m in stream if not ("config" in m or "progress" in m)]
with open(os.path.join(out, "reader-govulncheck.json"), "w") as f:
    for m in head:
        f.write(json.dumps(m) + "\n")
    per = len(json.dumps(body)) // len(body)
    for j in range(TARGET // per):
        f.write(json.dumps(unique(body[j % len(body)], j // len(body))) + "\n")

# OpenVEX over the cargo-audit report: one not_affected statement per advisory.
audit = json.load(open(os.path.join(out, "reader-cargo-audit.json")))
statements = [
    {"vulnerability": {"name": a["advisory"]["id"]},
     "products": [{"@id": f"pkg:cargo/{a['package']['name']}@{a['package']['version']}"}],
     "status": "not_affected", "justification": "vulnerable_code_not_present",
     "timestamp": "2026-01-01T00:00:00Z"}
    for a in audit["vulnerabilities"]["list"]
]
while len(json.dumps(statements)) < TARGET:
    statements += [dict(s, vulnerability={"name": s["vulnerability"]["name"] + "-x"}) for s in statements]
write("reader-openvex.json", {"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.test/vex",
                              "author": "PSIRT", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
                              "statements": statements})

n = 200_000
with open(os.path.join(out, "reader-Cargo.lock"), "w") as f:
    f.write("# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n")
    for i in range(n):
        deps = "".join(f' "pkg{(i * 7 + k) % n}",\n' for k in (1, 2, 3))
        f.write(f'\n[[package]]\nname = "pkg{i}"\nversion = "1.0.{i % 50}"\n'
                f'source = "registry+https://github.com/rust-lang/crates.io-index"\n'
                f'checksum = "{i:064x}"\ndependencies = [\n{deps}]\n')
packages = {"": {"name": "app", "version": "1.0.0", "dependencies": {f"pkg{i}": "1.0.0" for i in range(10)}}}
for i in range(n):
    packages[f"node_modules/pkg{i}"] = {
        "version": f"1.0.{i % 50}", "resolved": f"https://registry.npmjs.org/pkg{i}/-/pkg{i}-1.0.{i % 50}.tgz",
        "integrity": "sha512-" + "A" * 86 + "==", "dependencies": {f"pkg{(i * 7 + 1) % n}": "^1.0.0"}}
write("reader-package-lock.json", {"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
                                   "packages": packages})

with open(os.path.join(out, "reader-policy.yaml"), "w") as f:
    f.write("version: 1\nmax_exception_lifetime_days: 400000\nsca:\n  fail_on: critical\nexceptions:\n")
    for i in range(60_000):
        f.write(f"  - control: sca\n    match: {{id: \"CVE-2024-{i:06d}\", package: \"pkg{i}\"}}\n"
                f"    reason: \"accepted after review {i}, see the risk register entry for the details\"\n"
                f"    owner: \"security-team@example.com\"\n    expires: 2027-06-30\n")


def sbom_of(path, purls):
    """A minimal CycloneDX JSON SBOM listing exactly `purls`, for the lockfile runs."""
    components = [{"type": "library", "bom-ref": p, "name": p.split("/")[-1].split("@")[0],
                   "version": p.split("@")[-1], "purl": p} for p in purls]
    write(path, {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                 "metadata": {"timestamp": "2026-01-01T00:00:00Z",
                              "component": {"type": "application", "name": "app", "version": "1.0.0"}},
                 "components": components})


sbom_of("reader-Cargo.lock.cdx.json", [f"pkg:cargo/pkg{i}@1.0.{i % 50}" for i in range(n)])
sbom_of("reader-package-lock.cdx.json", [f"pkg:npm/pkg{i}@1.0.{i % 50}" for i in range(n)])
