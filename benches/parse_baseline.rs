//! Benchmark support binary (`harness = false`): generates large inputs and measures
//! the baseline that `BENCHMARKS.md` compares vouch against.
//!
//! * `baseline FILE`: read FILE and parse it with `serde_json` into a `Value`, the
//!   "bare parse" of the same bytes with no evaluation at all.
//! * `baseline-skip FILE`: the same with `IgnoredAny`, building nothing: the lower bound
//!   of any JSON reader.
//! * `gen-sarif FILE MEGABYTES`: a SARIF 2.1.0 log of about that size, shaped like a
//!   CodeQL run (driver + extension rules with `security-severity`, results with
//!   locations, fingerprints and code flows, some suppressed).
//! * `gen-sca FILE COUNT`: a Grype JSON report with COUNT vulnerability matches.
//! * `gen-sbom SBOM LOCKFILE COUNT`: a CycloneDX 1.6 JSON SBOM with COUNT components
//!   (purl, hashes, licenses, supplier; each depending on the next two) and the
//!   Cargo.lock that pins exactly those packages.
//!
//! `benches/run.sh` drives it; figures go to `BENCHMARKS.md`.

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("baseline") => baseline(&args[1]),
        Some("baseline-skip") => baseline_skip(&args[1]),
        Some("gen-sarif") => gen_sarif(&args[1], args[2].parse().expect("megabytes")),
        Some("gen-sca") => gen_sca(&args[1], args[2].parse().expect("count")),
        Some("gen-sbom") => gen_sbom(&args[1], &args[2], args[3].parse().expect("count")),
        // `cargo bench` with no arguments: nothing to do (the script passes arguments).
        _ => eprintln!(
            "usage: parse_baseline baseline FILE | gen-sarif FILE MB | gen-sca FILE COUNT | gen-sbom SBOM LOCK COUNT"
        ),
    }
}

fn baseline(path: &str) {
    let bytes = std::fs::read(path).expect("read");
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("parse");
    let n = match &value {
        serde_json::Value::Object(m) => m.len(),
        serde_json::Value::Array(a) => a.len(),
        _ => 0,
    };
    println!("parsed {} bytes, {n} top-level entries", bytes.len());
}

/// The lower bound: validate the JSON syntax and build nothing (`IgnoredAny`).
fn baseline_skip(path: &str) {
    let bytes = std::fs::read(path).expect("read");
    let _: serde::de::IgnoredAny = serde_json::from_slice(&bytes).expect("parse");
    println!("scanned {} bytes", bytes.len());
}

/// A tiny deterministic PRNG so generated files are identical across runs.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "user",
    "input",
    "flows",
    "into",
    "query",
    "without",
    "sanitization",
    "buffer",
    "length",
    "value",
    "request",
    "handler",
    "unchecked",
    "parameter",
    "path",
    "traversal",
    "token",
    "secret",
    "ledger",
    "balance",
];

fn sentence(rng: &mut Lcg, words: usize) -> String {
    (0..words)
        .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

fn gen_sarif(path: &str, megabytes: u64) {
    let target = megabytes * 1_000_000;
    let mut rng = Lcg(42);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let rules = 400u64;
    write!(f, r#"{{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[{{"tool":{{"driver":{{"name":"CodeQL","semanticVersion":"2.19.3","rules":[]}},"extensions":[{{"name":"codeql/rust-queries","semanticVersion":"0.1.4","rules":["#).unwrap();
    for r in 0..rules {
        let sev = [2.0, 4.3, 5.5, 6.1, 7.5, 8.8, 9.1][r as usize % 7];
        let level = if sev >= 7.0 {
            "error"
        } else if sev >= 4.0 {
            "warning"
        } else {
            "note"
        };
        if r > 0 {
            write!(f, ",").unwrap();
        }
        write!(f, r#"{{"id":"rust/rule-{r}","name":"rust/rule-{r}","shortDescription":{{"text":"{}"}},"fullDescription":{{"text":"{}"}},"helpUri":"https://codeql.github.com/codeql-query-help/rust/rule-{r}/","defaultConfiguration":{{"level":"{level}"}},"properties":{{"security-severity":"{sev}","tags":["security","external/cwe/cwe-{r}"],"precision":"high"}}}}"#,
            sentence(&mut rng, 6), sentence(&mut rng, 30)).unwrap();
    }
    write!(f, r#"]}}]}},"invocations":[{{"executionSuccessful":true,"toolExecutionNotifications":[]}}],"results":["#).unwrap();
    let mut written: u64 = 4096;
    let mut i: u64 = 0;
    while written < target {
        let rule = rng.below(rules);
        let file = format!("src/module_{}/file_{}.rs", rng.below(300), rng.below(50));
        let line = 1 + rng.below(2000);
        let suppressed = if rng.below(20) == 0 {
            r#","suppressions":[{"kind":"inSource","status":"accepted"}]"#
        } else {
            ""
        };
        let step_line = 1 + rng.below(2000);
        let record = format!(
            r#"{}{{"ruleId":"rust/rule-{rule}","rule":{{"id":"rust/rule-{rule}","index":{rule},"toolComponent":{{"index":0}}}},"message":{{"text":"{} [{}](1)."}},"locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":"{file}","uriBaseId":"%SRCROOT%","index":{}}},"region":{{"startLine":{line},"startColumn":{},"endColumn":{}}}}}}}],"partialFingerprints":{{"primaryLocationLineHash":"{:016x}:1","primaryLocationStartColumnFingerprint":"{}"}},"codeFlows":[{{"threadFlows":[{{"locations":[{{"location":{{"physicalLocation":{{"artifactLocation":{{"uri":"{file}"}},"region":{{"startLine":{step_line}}}}},"message":{{"text":"{}"}}}}}}]}}]}}]{suppressed}}}"#,
            if i == 0 { "" } else { "," },
            sentence(&mut rng, 12),
            sentence(&mut rng, 2),
            rng.below(1000),
            1 + rng.below(80),
            80 + rng.below(40),
            rng.next() ^ (rng.next() << 20),
            rng.below(100),
            sentence(&mut rng, 3),
        );
        written += record.len() as u64;
        f.write_all(record.as_bytes()).unwrap();
        i += 1;
    }
    write!(f, "]}}]}}").unwrap();
    f.flush().unwrap();
    eprintln!("wrote {path}: {i} results, about {written} bytes");
}

fn gen_sca(path: &str, count: u64) {
    let mut rng = Lcg(7);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    write!(f, r#"{{"matches":["#).unwrap();
    for i in 0..count {
        let sev =
            ["Critical", "High", "Medium", "Low", "Negligible", "Unknown"][rng.below(6) as usize];
        let pkg = format!("pkg-{}", rng.below(5000));
        let version = format!("{}.{}.{}", rng.below(5), rng.below(20), rng.below(10));
        let fixed = if rng.below(3) == 0 {
            r#"{"versions":[],"state":"not-fixed"}"#.to_string()
        } else {
            format!(
                r#"{{"versions":["{}.{}.0"],"state":"fixed"}}"#,
                rng.below(5) + 5,
                rng.below(20)
            )
        };
        let ghsa = format!(
            "GHSA-{:04x}-{:04x}-{:04x}",
            rng.below(65536),
            rng.below(65536),
            rng.below(65536)
        );
        write!(f, r#"{}{{"vulnerability":{{"id":"{ghsa}","dataSource":"https://github.com/advisories/{ghsa}","namespace":"github:language:rust","severity":"{sev}","urls":["https://github.com/advisories/{ghsa}"],"description":"{}","cvss":[{{"version":"3.1","vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","metrics":{{"baseScore":9.8,"exploitabilityScore":3.9,"impactScore":5.9}},"vendorMetadata":{{}}}}],"fix":{fixed},"advisories":[]}},"relatedVulnerabilities":[{{"id":"CVE-2024-{}","dataSource":"https://nvd.nist.gov/vuln/detail/CVE-2024-{}","namespace":"nvd:cpe","severity":"{sev}","urls":[],"description":"{}","cvss":[]}}],"matchDetails":[{{"type":"exact-direct-match","matcher":"rust-matcher","searchedBy":{{"language":"rust","namespace":"github:language:rust","package":{{"name":"{pkg}","version":"{version}"}}}},"found":{{"versionConstraint":"< 9.0.0 (unknown)","vulnerabilityID":"{ghsa}"}}}}],"artifact":{{"id":"{:016x}","name":"{pkg}","version":"{version}","type":"rust-crate","locations":[{{"path":"/Cargo.lock"}}],"language":"rust","licenses":["MIT"],"cpes":["cpe:2.3:a:{pkg}:{pkg}:{version}:*:*:*:*:*:*:*"],"purl":"pkg:cargo/{pkg}@{version}","upstreams":[]}}}}"#,
            if i == 0 { "" } else { "," },
            sentence(&mut rng, 25),
            10000 + i,
            10000 + i,
            sentence(&mut rng, 20),
            rng.next(),
        ).unwrap();
    }
    write!(f, r#"],"source":{{"type":"directory","target":"."}},"distro":{{"name":"","version":"","idLike":null}},"descriptor":{{"name":"grype","version":"0.87.0"}}}}"#).unwrap();
    f.flush().unwrap();
    eprintln!("wrote {path}: {count} matches");
}

fn gen_sbom(sbom_path: &str, lock_path: &str, count: usize) {
    let mut rng = Lcg(11);
    let licenses = [
        "MIT",
        "Apache-2.0",
        "MIT OR Apache-2.0",
        "BSD-3-Clause",
        "ISC",
    ];
    let name = |i: usize| format!("crate-{i:06}");
    let version = |i: usize| format!("1.{}.{}", i % 97, i % 13);
    let components: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            let digest: String = (0..64)
                .map(|_| char::from(b"0123456789abcdef"[rng.below(16) as usize]))
                .collect();
            serde_json::json!({
                "type": "library",
                "bom-ref": format!("{}@{}", name(i), version(i)),
                "supplier": {"name": format!("Supplier {}", i % 500)},
                "name": name(i),
                "version": version(i),
                "hashes": [{"alg": "SHA-256", "content": digest}],
                "licenses": [{"expression": licenses[i % licenses.len()]}],
                "purl": format!("pkg:cargo/{}@{}", name(i), version(i))
            })
        })
        .collect();
    let mut dependencies: Vec<serde_json::Value> = vec![serde_json::json!({
        "ref": "app@1.0.0",
        "dependsOn": (0..count.min(10)).map(|i| format!("{}@{}", name(i), version(i))).collect::<Vec<_>>()
    })];
    for i in 0..count {
        let on: Vec<String> = (i + 1..(i + 3).min(count))
            .map(|j| format!("{}@{}", name(j), version(j)))
            .collect();
        dependencies.push(
            serde_json::json!({"ref": format!("{}@{}", name(i), version(i)), "dependsOn": on}),
        );
    }
    let bom = serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {
            "timestamp": "2026-11-20T10:00:00Z",
            "authors": [{"name": "bench"}],
            "component": {"type": "application", "bom-ref": "app@1.0.0", "name": "app", "version": "1.0.0", "purl": "pkg:cargo/app@1.0.0"}
        },
        "components": components,
        "dependencies": dependencies
    });
    std::fs::write(sbom_path, serde_json::to_vec(&bom).expect("serialize")).expect("write sbom");
    let mut lock = std::io::BufWriter::new(std::fs::File::create(lock_path).expect("create lock"));
    writeln!(lock, "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n").unwrap();
    writeln!(lock, "[[package]]\nname = \"app\"\nversion = \"1.0.0\"\n").unwrap();
    for i in 0..count {
        writeln!(
            lock,
            "[[package]]\nname = \"{}\"\nversion = \"{}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
            name(i),
            version(i)
        )
        .unwrap();
    }
}
