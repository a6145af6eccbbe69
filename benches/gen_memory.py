"""Large inputs for the peak-memory figures of issue 10 (BENCHMARKS.md, "Fail closed"):

    python3 benches/gen_memory.py DIR

Peak memory is measured on the whole process, whose start-up alone is about 10 MB, so
the ratio to the input size means something only for inputs of tens of megabytes.

DIR/sbom-full-100000.cdx.json and .cdx.xml: 100,000 components shaped like
cargo-cyclonedx's (description, license, hash, external reference), with their
dependency graph; DIR/sbom-min-200000.cdx.json and .cdx.xml: 200,000 components with
nothing but type, bom-ref, name, version and purl (the worst case: what vouch keeps of
a component is most of it); DIR/results-200000.sarif: 200,000 failing results.
"""
import json
import sys
from xml.sax.saxutils import escape

out = sys.argv[1]


def full(i):
    return {
        "type": "library", "bom-ref": f"pkg{i} 1.0.{i % 50}", "name": f"pkg{i}",
        "version": f"1.0.{i % 50}",
        "description": f"A crate that does thing number {i} for the benchmark, with a description of typical length",
        "scope": "required",
        "hashes": [{"alg": "SHA-256", "content": f"{i:064x}"}],
        "licenses": [{"expression": "MIT OR Apache-2.0"}],
        "purl": f"pkg:cargo/pkg{i}@1.0.{i % 50}",
        "externalReferences": [
            {"type": "documentation", "url": f"https://docs.rs/pkg{i}"},
            {"type": "vcs", "url": f"https://github.com/example/pkg{i}"},
        ],
    }


def minimal(i):
    return {"type": "library", "bom-ref": f"pkg{i}", "name": f"pkg{i}", "version": f"1.0.{i % 50}",
            "purl": f"pkg:cargo/pkg{i}@1.0.{i % 50}"}


def write_json(path, components, deps):
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "metadata": {"timestamp": "2026-01-01T00:00:00Z",
                        "component": {"type": "application", "bom-ref": "app", "name": "app", "version": "1"}},
           "components": components}
    if deps is not None:
        doc["dependencies"] = deps
    with open(path, "w") as f:
        json.dump(doc, f)


def xml_component(c):
    parts = [f'<component type="{c["type"]}" bom-ref="{escape(c["bom-ref"])}">']
    parts.append(f'<name>{c["name"]}</name><version>{c["version"]}</version>')
    if "description" in c:
        parts.append(f'<description>{escape(c["description"])}</description><scope>{c["scope"]}</scope>')
        parts.append('<hashes>' + "".join(f'<hash alg="{h["alg"]}">{h["content"]}</hash>' for h in c["hashes"]) + '</hashes>')
        parts.append('<licenses>' + "".join(f'<expression>{escape(l["expression"])}</expression>' for l in c["licenses"]) + '</licenses>')
    parts.append(f'<purl>{escape(c["purl"])}</purl>')
    if "externalReferences" in c:
        parts.append('<externalReferences>' + "".join(
            f'<reference type="{r["type"]}"><url>{escape(r["url"])}</url></reference>' for r in c["externalReferences"]) + '</externalReferences>')
    parts.append('</component>\n')
    return "".join(parts)


def write_xml(path, components, deps):
    with open(path, "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">\n'
                '<metadata><timestamp>2026-01-01T00:00:00Z</timestamp><component type="application" bom-ref="app">'
                '<name>app</name><version>1</version></component></metadata>\n<components>\n')
        for c in components:
            f.write(xml_component(c))
        f.write("</components>\n")
        if deps is not None:
            f.write("<dependencies>\n")
            for d in deps:
                f.write(f'<dependency ref="{escape(d["ref"])}">' + "".join(
                    f'<dependency ref="{escape(r)}"/>' for r in d["dependsOn"]) + "</dependency>\n")
            f.write("</dependencies>\n")
        f.write("</bom>\n")


n = 100000
components = [full(i) for i in range(n)]
deps = [{"ref": "app", "dependsOn": [c["bom-ref"] for c in components[:10]]}] + [
    {"ref": c["bom-ref"], "dependsOn": [components[(i * 7 + k) % n]["bom-ref"] for k in (1, 2)]}
    for i, c in enumerate(components)]
write_json(f"{out}/sbom-full-{n}.cdx.json", components, deps)
write_xml(f"{out}/sbom-full-{n}.cdx.xml", components, deps)

m = 200000
components = [minimal(i) for i in range(m)]
write_json(f"{out}/sbom-min-{m}.cdx.json", components, None)
write_xml(f"{out}/sbom-min-{m}.cdx.xml", components, None)

results = [
    {"ruleId": f"r{i % 50}", "level": "error", "message": {"text": f"finding {i} in a function that handles input"},
     "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"src/mod{i % 300}/file{i}.rs"},
                                         "region": {"startLine": 1 + i % 400, "startColumn": 5}}}]}
    for i in range(200000)
]
with open(f"{out}/results-200000.sarif", "w") as f:
    json.dump({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T", "rules": [{"id": f"r{i}"} for i in range(50)]}},
                                             "results": results}]}, f)
