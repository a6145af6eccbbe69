//! SCA readers against real scanner output.
//!
//! * The shared third-party corpus (`shared/corpus/sca/`, described in its `SOURCES.md`):
//!   every file must be listed in [`CORPUS`] with its expected outcome, so a new corpus
//!   file cannot be silently ignored. The corpus is found through `VOUCH_CORPUS`, else at
//!   `<crate>/../shared/corpus`; without it those tests print why and pass.
//! * Our own small fixtures (`tests/fixtures/sca/`, one per format), which need nothing
//!   outside the repository.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use vouch::collect::files::sca::read_sca;
use vouch::collect::files::vex::read_vex;
use vouch::evidence::{GapKind, Scanner, Severity};

/// What reading one file must produce.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// A report from this scanner with this many vulnerabilities and this highest
    /// severity (`None` when there are none; `Unknown` when none is rated).
    Read(Scanner, usize, Option<Severity>),
    /// A gap of this kind.
    Gap(GapKind),
}

use Expect::{Gap, Read};
use Severity::{Critical, High, Low, Medium, Unknown};

/// Expected outcome of every file under `corpus/sca/`, counted independently of vouch
/// with Python over the raw JSON (`d = json.load(f)`; "distinct" means a set of the
/// tuple given, since readers merge repeats of one (id, package, version)):
///
/// * cargo-audit: `len({(e['advisory']['id'], e['package']['name'], e['package']['version']) for e in d['vulnerabilities']['list']})`.
///   Severity: every `advisory.cvss` is null in `many_findings` (unrated); in
///   `many_findings_cvss` the v3.1 vectors were scored with the CVSS 3.1 spec formula
///   (7.5, 7.5, 5.9, 7.4) and the one v4.0 vector (lettre, RUSTSEC-2026-0141,
///   `AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:N/SC:L/SI:L/SA:N`) by hand with FIRST's
///   v4 algorithm: macrovector 010200 = 9.2, minus the mean of the EQ3/EQ6 step
///   (0.8 x 0.2/0.7) over 3 lower macrovectors = 9.1, critical.
/// * osv-scanner: per `results[].packages[]`, `len([g for g in groups if g['ids']])` plus
///   the vulnerabilities whose `id` is in no group; severity is the records'
///   `database_specific.severity` label (only GHSA-m5pq-gvj9-9vr8 has one, `HIGH`; the
///   rest have no label, score or vector). `defectdojo/no_findings.json` is 0 bytes.
/// * grype: `len({(m['vulnerability']['id'], m['artifact']['name'], m['artifact']['version']) for m in d['matches']})`
///   (`check_all_fields` has 6 matches, one an exact repeat: 5); severity is the
///   `vulnerability.severity` label, `Negligible` = low.
/// * trivy: `len({(v['VulnerabilityID'], v['PkgName'], v.get('InstalledVersion')) for r in d.get('Results') or [] for v in r.get('Vulnerabilities') or []})`
///   (`d` itself for the legacy list), every `Status` included; severity is the
///   `Severity` label. `legacy_trivy_mix` has a vulnerability without `VulnerabilityID`
///   (`d[0]['Vulnerabilities'][0]`): malformed.
/// * npm 6: `sum(len({f['version'] for f in a['findings']}) for a in d['advisories'].values())`,
///   severity `a['severity']`. npm 7+: `len({(x['url'], x['name']) for p in d['vulnerabilities'].values() for x in p['via'] if isinstance(x, dict)})`,
///   severity `x['severity']`.
/// * pip-audit: `sum(len(p.get('vulns', [])) for p in deps)` with `deps = d` (legacy
///   list) or `d['dependencies']`; pip-audit rates nothing.
/// * govulncheck (`scan_level` is `symbol` in both files): `len({m['finding']['osv'] for m in d if 'finding' in m and m['finding']['trace'] and m['finding']['trace'][0].get('function')})`;
///   the Go database rates nothing.
/// * GitLab dependency scanning: `len(d['vulnerabilities'])` (all distinct by
///   `(identifiers[0].value, package, version)`), severity the `severity` label
///   (`Unknown` = unrated).
/// * GitLab SAST: not SCA, always unsupported.
const CORPUS: &[(&str, Expect)] = &[
    (
        "cargo-audit/many_findings.json",
        Read(Scanner::CargoAudit, 4, Some(Unknown)),
    ),
    (
        "cargo-audit/many_findings_cvss.json",
        Read(Scanner::CargoAudit, 10, Some(Critical)),
    ),
    (
        "cargo-audit/no_findings.json",
        Read(Scanner::CargoAudit, 0, None),
    ),
    (
        "gitlab-dependency-scanning/gl-dependency-scanning-report-0-vuln.json",
        Read(Scanner::GitlabDependencyScanning, 0, None),
    ),
    (
        "gitlab-dependency-scanning/gl-dependency-scanning-report-1-vuln_v14.json",
        Read(Scanner::GitlabDependencyScanning, 1, Some(Unknown)),
    ),
    (
        "gitlab-dependency-scanning/gl-dependency-scanning-report-1-vuln_v15.json",
        Read(Scanner::GitlabDependencyScanning, 1, Some(Unknown)),
    ),
    (
        "gitlab-dependency-scanning/gl-dependency-scanning-report-2-vuln-missing-component_v15.json",
        Read(Scanner::GitlabDependencyScanning, 2, Some(High)),
    ),
    (
        "gitlab-dependency-scanning/gl-dependency-scanning-report-many-vuln_v15.json",
        Read(Scanner::GitlabDependencyScanning, 6, Some(High)),
    ),
    (
        "gitlab-sast/gl-sast-report-0-vuln.json",
        Gap(GapKind::Unsupported),
    ),
    (
        "gitlab-sast/gl-sast-report-1-vuln_v14.json",
        Gap(GapKind::Unsupported),
    ),
    (
        "gitlab-sast/gl-sast-report-1-vuln_v15.json",
        Gap(GapKind::Unsupported),
    ),
    (
        "gitlab-sast/gl-sast-report-confidence_v15.json",
        Gap(GapKind::Unsupported),
    ),
    (
        "gitlab-sast/gl-sast-report-cwe_v15.json",
        Gap(GapKind::Unsupported),
    ),
    (
        "govulncheck/many_vulns_new_version.json",
        Read(Scanner::Govulncheck, 1, Some(Unknown)),
    ),
    (
        "govulncheck/no_vulns_new_version.json",
        Read(Scanner::Govulncheck, 0, None),
    ),
    (
        "grype/check_all_fields.json",
        Read(Scanner::Grype, 5, Some(Critical)),
    ),
    (
        "grype/fix_available.json",
        Read(Scanner::Grype, 1, Some(High)),
    ),
    (
        "grype/many_vulns4.json",
        Read(Scanner::Grype, 9, Some(Critical)),
    ),
    (
        "grype/many_vulns_with_epss_values.json",
        Read(Scanner::Grype, 15, Some(Critical)),
    ),
    ("grype/no_vuln.json", Read(Scanner::Grype, 0, None)),
    (
        "npm-audit/v6/many_vuln.json",
        Read(Scanner::NpmAuditV6, 5, Some(High)),
    ),
    (
        "npm-audit/v6/no_vuln.json",
        Read(Scanner::NpmAuditV6, 0, None),
    ),
    (
        "npm-audit/v6/one_vuln.json",
        Read(Scanner::NpmAuditV6, 1, Some(Critical)),
    ),
    (
        "npm-audit/v7-plus/many_vulns.json",
        Read(Scanner::NpmAudit, 3, Some(Medium)),
    ),
    (
        "npm-audit/v7-plus/no_vuln.json",
        Read(Scanner::NpmAudit, 0, None),
    ),
    (
        "npm-audit/v7-plus/one_vuln.json",
        Read(Scanner::NpmAudit, 2, Some(High)),
    ),
    (
        "osv-scanner/defectdojo/no_findings.json",
        Gap(GapKind::Malformed),
    ),
    (
        "osv-scanner/defectdojo/some_findings.json",
        Read(Scanner::OsvScanner, 1, Some(Unknown)),
    ),
    (
        "osv-scanner/upstream/results-empty.json",
        Read(Scanner::OsvScanner, 0, None),
    ),
    (
        "osv-scanner/upstream/results-some.json",
        Read(Scanner::OsvScanner, 1, Some(Unknown)),
    ),
    (
        "osv-scanner/upstream/test-vuln-results-a.json",
        Read(Scanner::OsvScanner, 2, Some(High)),
    ),
    (
        "osv-scanner/upstream/test-vuln-results-d.json",
        Read(Scanner::OsvScanner, 0, None),
    ),
    // `[]` audited nothing: no evidence of a clean dependency tree.
    ("pip-audit/empty.json", Gap(GapKind::Empty)),
    (
        "pip-audit/many_vulns.json",
        Read(Scanner::PipAudit, 7, Some(Unknown)),
    ),
    (
        "pip-audit/many_vulns_new.json",
        Read(Scanner::PipAudit, 7, Some(Unknown)),
    ),
    (
        "pip-audit/zero_vulns.json",
        Read(Scanner::PipAudit, 0, None),
    ),
    (
        "pip-audit/zero_vulns_new.json",
        Read(Scanner::PipAudit, 0, None),
    ),
    (
        "trivy/all_statuses.json",
        Read(Scanner::Trivy, 8, Some(Low)),
    ),
    (
        "trivy/cvssv4_severity_source.json",
        Read(Scanner::Trivy, 3, Some(Medium)),
    ),
    ("trivy/legacy_trivy_mix.json", Gap(GapKind::Malformed)),
    // A license-only scan checked no dependency: refused rather than read as clean.
    ("trivy/license_scheme.json", Gap(GapKind::Unsupported)),
    (
        "trivy/misconfigurations_and_secrets.json",
        Read(Scanner::Trivy, 2, Some(High)),
    ),
    (
        "trivy/scheme_2_many_vulns.json",
        Read(Scanner::Trivy, 5, Some(Critical)),
    ),
    ("trivy/scheme_2_no_vuln.json", Read(Scanner::Trivy, 0, None)),
];

/// Every file under `root`, as sorted `/`-separated paths relative to it.
fn files_under(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("path under root");
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Compares one read with its expectation; `Err` describes the mismatch.
fn check(name: &str, bytes: &[u8], expect: Expect) -> Result<(), String> {
    let got = read_sca(name, bytes);
    match (expect, got) {
        (Read(scanner, n, max), Ok(report)) => {
            let got_max = report.vulnerabilities.iter().map(|v| v.severity).max();
            if (report.scanner, report.vulnerabilities.len(), got_max) == (scanner, n, max) {
                Ok(())
            } else {
                Err(format!(
                    "{name}: expected {scanner:?} with {n} vulnerabilities, highest {max:?}; got {:?} with {}, highest {got_max:?}",
                    report.scanner,
                    report.vulnerabilities.len()
                ))
            }
        }
        (Gap(kind), Err(gap)) if gap.kind == kind => Ok(()),
        (expect, got) => Err(format!("{name}: expected {expect:?}, got {got:?}")),
    }
}

#[test]
fn every_corpus_report_reads_as_expected() {
    let Some(corpus) = super::support::corpus() else {
        return;
    };
    let sca = corpus.join("sca");
    let on_disk = files_under(&sca);
    let mut failures = Vec::new();
    for rel in &on_disk {
        match CORPUS.iter().find(|(name, _)| name == rel) {
            None => failures.push(format!(
                "{rel}: not in the CORPUS table; count it and add it"
            )),
            Some((_, expect)) => {
                let bytes = std::fs::read(sca.join(rel))
                    .unwrap_or_else(|e| panic!("cannot read {rel}: {e}"));
                if let Err(e) = check(rel, &bytes, *expect) {
                    failures.push(e);
                }
            }
        }
    }
    for (name, _) in CORPUS {
        if !on_disk.iter().any(|f| f == name) {
            failures.push(format!(
                "{name}: listed in the CORPUS table but missing from {}",
                sca.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_edge_cases_say_why() {
    let Some(corpus) = super::support::corpus() else {
        return;
    };
    let sca = corpus.join("sca");
    let read = |rel: &str| read_sca(rel, &std::fs::read(sca.join(rel)).expect("corpus file"));

    let empty = read("osv-scanner/defectdojo/no_findings.json").unwrap_err();
    assert_eq!(empty.detail, "empty file: the scanner wrote no report");
    for name in files_under(&sca)
        .iter()
        .filter(|f| f.starts_with("gitlab-sast/"))
    {
        let gap = read(name).unwrap_err();
        assert!(
            gap.detail
                .contains("this is a GitLab SAST report; pass it with --sarif"),
            "{name}: {gap}"
        );
    }
    let trivy = read("trivy/legacy_trivy_mix.json").unwrap_err();
    assert!(
        trivy.detail.contains("[0].Vulnerabilities[0]") && trivy.detail.contains("VulnerabilityID"),
        "{trivy}"
    );
    assert!(trivy.detail.contains("line 8"), "{trivy}");

    let gitlab = read("gitlab-dependency-scanning/gl-dependency-scanning-report-2-vuln-missing-component_v15.json").unwrap();
    let yaml = &gitlab.vulnerabilities[0];
    assert_eq!(
        (yaml.package.as_str(), yaml.version.as_deref()),
        ("gopkg.in/yaml.v2", None)
    );

    let grype = read("grype/check_all_fields.json").unwrap();
    let django = grype
        .vulnerabilities
        .iter()
        .find(|v| v.id == "GHSA-v6rh-hp5x-86rv")
        .expect("django match");
    assert_eq!(django.aliases, vec!["CVE-2021-44420"]);
}

#[test]
fn truncated_corpus_reports_never_panic_and_fail_closed() {
    let Some(corpus) = super::support::corpus() else {
        return;
    };
    let sca = corpus.join("sca");
    let mut failures = Vec::new();
    for rel in files_under(&sca) {
        let bytes =
            std::fs::read(sca.join(&rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"));
        let Some(last) = bytes.iter().rposition(|b| !b.is_ascii_whitespace()) else {
            continue;
        };
        let step = (bytes.len() / 16).max(1);
        let cuts = (0..bytes.len())
            .step_by(step)
            .chain([1, last, bytes.len() / 2]);
        for cut in cuts.filter(|&c| c <= bytes.len()) {
            let slice = bytes.get(..cut).unwrap_or_default();
            let sca_result = catch_unwind(AssertUnwindSafe(|| read_sca(&rel, slice)));
            let vex_result = catch_unwind(AssertUnwindSafe(|| read_vex(&rel, slice)));
            match sca_result {
                Err(_) => failures.push(format!("{rel} cut at {cut}: read_sca panicked")),
                // Every corpus report is one object or array, so cutting before its last
                // bracket can never leave a complete document.
                Ok(Ok(_)) if cut <= last => failures.push(format!(
                    "{rel} cut at {cut}: read_sca accepted a truncated report"
                )),
                Ok(_) => {}
            }
            if vex_result.is_err() {
                failures.push(format!("{rel} cut at {cut}: read_vex panicked"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Our own fixtures: file, scanner, vulnerability ids in report order, highest severity.
const FIXTURES: &[(&str, Scanner, &[&str], Option<Severity>)] = &[
    (
        "cargo-audit.json",
        Scanner::CargoAudit,
        &["RUSTSEC-2024-0332", "RUSTSEC-2023-0071"],
        Some(Medium),
    ),
    (
        "gitlab-dependency-scanning.json",
        Scanner::GitlabDependencyScanning,
        &[
            "8d3e5b54-1c13-4c8f-a7f5-61b8d1a2ad5f",
            "5c1e0b4e-0e3a-4b9f-8b1a-2d7f6e8c9a01",
        ],
        Some(Critical),
    ),
    (
        "govulncheck.json",
        Scanner::Govulncheck,
        &["GO-2024-2687"],
        Some(Unknown),
    ),
    (
        "govulncheck-stream.json",
        Scanner::Govulncheck,
        &["GO-2024-2687"],
        Some(Unknown),
    ),
    (
        "grype.json",
        Scanner::Grype,
        &["CVE-2023-5363", "GHSA-4jq9-2xhw-jpx7", "CVE-2005-2541"],
        Some(High),
    ),
    (
        "npm-audit-v6.json",
        Scanner::NpmAuditV6,
        &[
            "GHSA-vh95-rmgr-6w4m",
            "GHSA-vh95-rmgr-6w4m",
            "GHSA-35jh-r3h4-6jhm",
        ],
        Some(High),
    ),
    (
        "npm-audit-v7.json",
        Scanner::NpmAudit,
        &[
            "GHSA-wf5p-g6vw-rhxx",
            "GHSA-cxjh-pqwp-8mfp",
            "GHSA-3h5v-q93c-6h6q",
        ],
        Some(High),
    ),
    (
        "osv-scanner.json",
        Scanner::OsvScanner,
        &["GHSA-grv7-fg5c-xmjg", "GHSA-h5c8-rqwp-cp95"],
        Some(High),
    ),
    (
        "pip-audit-legacy.json",
        Scanner::PipAudit,
        &["PYSEC-2021-108"],
        Some(Unknown),
    ),
    (
        "pip-audit.json",
        Scanner::PipAudit,
        &["PYSEC-2023-225", "GHSA-xxj9-f6rv-m3x4"],
        Some(Unknown),
    ),
    (
        "trivy-legacy.json",
        Scanner::Trivy,
        &["CVE-2019-14697", "CVE-2020-8164"],
        Some(Critical),
    ),
    (
        "trivy.json",
        Scanner::Trivy,
        &["CVE-2024-2961", "CVE-2022-42003", "CVE-2023-6378"],
        Some(High),
    ),
];

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sca")
}

#[test]
fn own_fixtures_read_as_expected() {
    let dir = fixtures_dir();
    let on_disk = files_under(&dir);
    for rel in &on_disk {
        assert!(
            FIXTURES.iter().any(|(n, ..)| n == rel),
            "{rel}: fixture not in the FIXTURES table"
        );
    }
    for (name, scanner, ids, max) in FIXTURES {
        let bytes = std::fs::read(dir.join(name))
            .unwrap_or_else(|e| panic!("cannot read fixture {name}: {e}"));
        let report = read_sca(name, &bytes).unwrap_or_else(|gap| panic!("{name}: {gap}"));
        assert_eq!(report.scanner, *scanner, "{name}");
        let got: Vec<&str> = report
            .vulnerabilities
            .iter()
            .map(|v| v.id.as_str())
            .collect();
        assert_eq!(got, *ids, "{name}");
        assert_eq!(
            report.vulnerabilities.iter().map(|v| v.severity).max(),
            *max,
            "{name}"
        );
        // Fixtures are not VEX; the VEX reader must say so rather than misread them.
        let vex = read_vex(name, &bytes).unwrap_err();
        assert_eq!(vex.kind, GapKind::Unsupported, "{name}: {vex}");
    }
}

#[test]
fn own_fixtures_normalize_the_details() {
    let read = |name: &str| {
        let bytes = std::fs::read(fixtures_dir().join(name)).expect("fixture");
        read_sca(name, &bytes).unwrap_or_else(|gap| panic!("{name}: {gap}"))
    };
    let trivy = read("trivy.json");
    let jackson = &trivy.vulnerabilities[1];
    assert_eq!(jackson.ecosystem.as_deref(), Some("Maven"));
    assert_eq!(jackson.fixed_versions, vec!["2.12.7.1", "2.13.4.2"]);
    assert_eq!(jackson.aliases, vec!["GHSA-jjjh-jjxp-wpff"]);
    assert_eq!(jackson.manifest.as_deref(), Some("app/pom.xml"));
    assert_eq!(
        trivy.vulnerabilities[0].ecosystem.as_deref(),
        Some("Debian")
    );

    let grype = read("grype.json");
    assert_eq!(
        grype.vulnerabilities[0].ecosystem.as_deref(),
        Some("Alpine")
    );
    assert_eq!(grype.vulnerabilities[2].severity, Low);
    assert!(grype.vulnerabilities[2].fixed_versions.is_empty());

    let osv = read("osv-scanner.json");
    let jinja = &osv.vulnerabilities[1];
    assert_eq!(jinja.aliases, vec!["PYSEC-2024-1", "CVE-2024-22195"]);
    assert_eq!(
        (jinja.severity, jinja.manifest.as_deref()),
        (Medium, Some("/home/ci/work/api/requirements.txt"))
    );

    let npm = read("npm-audit-v7.json");
    assert_eq!(
        npm.vulnerabilities[1].fixed_versions,
        vec!["available via `npm audit fix`"]
    );
    assert_eq!(
        npm.vulnerabilities[2].fixed_versions,
        vec!["socket.io@4.7.5"]
    );

    let gitlab = read("gitlab-dependency-scanning.json");
    let semver = &gitlab.vulnerabilities[0];
    assert_eq!(
        semver.aliases,
        vec!["CVE-2022-25883", "GHSA-c2qf-rxjj-qqgw"]
    );
    assert_eq!(semver.fixed_versions, vec!["5.7.2", "6.3.1", "7.5.2"]);
    assert_eq!(gitlab.vulnerabilities[1].ecosystem.as_deref(), Some("PyPI"));

    let go = read("govulncheck.json");
    let net = &go.vulnerabilities[0];
    assert_eq!(
        (net.package.as_str(), net.version.as_deref()),
        ("golang.org/x/net", Some("v0.21.0"))
    );
    assert_eq!(net.fixed_versions, vec!["v0.23.0"]);
}
