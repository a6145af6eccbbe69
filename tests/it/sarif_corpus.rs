//! Every SARIF log of the third-party corpus is read with the expected counts, and every
//! schema-invalid one is rejected with an error naming the file and the field.

use vouch::collect::files::sarif::read_sast;
use vouch::evidence::Severity;

use super::support::corpus;

/// (file, results, highest effective severity, accepted suppressions, unsuppressed results
/// at or above high).
///
/// Counted independently of the reader, with a Python script over the raw JSON (json.load):
/// results = sum(len(run['results']) for run in runs); a result's rule is the one at
/// ruleIndex (or rule.index, in extension rule.toolComponent.index when given) else the rule
/// with id ruleId in driver+extensions; level = result.level or
/// rule.defaultConfiguration.level or 'warning'; severity = security-severity of the result,
/// else of the rule (number: >=9 critical, >=7 high, >=4 medium, >0 low; label such as
/// Semgrep's "MEDIUM": that label), else error->high, warning->medium, note->low;
/// suppressed = any suppression whose status (default 'accepted') is 'accepted'.
const VALID: &[(&str, usize, Option<Severity>, usize, usize)] = &[
    (
        "clippy/mithril-rust-clippy-results-empty.sarif",
        0,
        None,
        0,
        0,
    ),
    (
        "clippy/rstmt-rust-clippy-results.sarif",
        8,
        Some(Severity::Medium),
        0,
        0,
    ),
    (
        "codeql/codeQL-output.sarif",
        72,
        Some(Severity::High),
        0,
        11,
    ),
    (
        "dependency-check/dependency_check.sarif",
        13,
        Some(Severity::High),
        0,
        13,
    ),
    ("dockle/dockle_0_3_15.sarif", 4, Some(Severity::High), 0, 1),
    (
        "edge-cases/SuppressionTestCurrent.sarif",
        4,
        Some(Severity::Medium),
        3,
        0,
    ),
    ("edge-cases/no_runs.sarif", 0, None, 0, 0),
    (
        "edge-cases/suppression_test.sarif",
        5,
        Some(Severity::Medium),
        3,
        0,
    ),
    (
        "gitleaks/gitleaks_7.5.0.sarif",
        8,
        Some(Severity::Medium),
        0,
        0,
    ),
    (
        "govulncheck/issue_15033_sarif.json",
        3,
        Some(Severity::High),
        0,
        1,
    ),
    ("grype/cxf-3.4.6.sarif", 22, Some(Severity::Critical), 0, 12),
    ("mobsfscan/mobsfscan.json", 9, Some(Severity::High), 0, 1),
    ("njsscan/njsscan.sarif", 2, Some(Severity::High), 0, 1),
    (
        "semgrep/issue_10191.json",
        77,
        Some(Severity::Critical),
        0,
        35,
    ),
    (
        "shiftleft-scan/bash-report.sarif",
        27,
        Some(Severity::Low),
        0,
        0,
    ),
    (
        "shiftleft-scan/taint-python-report.sarif",
        11,
        Some(Severity::High),
        0,
        8,
    ),
    ("spec-appendix-k/appendix_k1.sarif", 0, None, 0, 0),
    ("spec-appendix-k/appendix_k1_double.sarif", 0, None, 0, 0),
    (
        "spec-appendix-k/appendix_k2.sarif",
        1,
        Some(Severity::Medium),
        0,
        0,
    ),
    ("spotbugs/spotbugs.sarif", 56, Some(Severity::Low), 0, 0),
];

/// Files the SARIF 2.1.0 schema rejects (checked with Python `jsonschema` against
/// `sarif/schema/sarif-2.1.0.json`), with the field the error must name.
const INVALID: &[(&str, &str)] = &[
    ("flawfinder/flawfinder.sarif", "runs[0].results[52]"),
    ("spec-appendix-k/appendix_k.sarif", "automationId"),
    ("spec-appendix-k/appendix_k3.sarif", "artifact"),
    ("spec-appendix-k/appendix_k4.sarif", "automationId"),
];

#[test]
fn every_corpus_sarif_file_is_read_with_expected_counts_or_rejected_by_field() {
    let Some(corpus) = corpus() else { return };
    let root = corpus.join("sarif");
    let mut listed: Vec<&str> = VALID
        .iter()
        .map(|v| v.0)
        .chain(INVALID.iter().map(|v| v.0))
        .collect();
    listed.sort();
    let mut found = Vec::new();
    for entry in walk(&root) {
        let rel = entry
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with("schema/") {
            continue;
        }
        found.push(rel);
    }
    found.sort();
    assert_eq!(
        found, listed,
        "the corpus and this test's table disagree: every file must be listed"
    );

    let mut wrong = Vec::new();
    for (file, results, highest, suppressed, gating) in VALID {
        let bytes = std::fs::read(root.join(file)).unwrap();
        let report = match read_sast(file, &bytes) {
            Ok(r) => r,
            Err(gap) => {
                wrong.push(format!("{file}: rejected: {gap}"));
                continue;
            }
        };
        let all: Vec<_> = report.runs.iter().flat_map(|r| &r.results).collect();
        let got_highest = all.iter().map(|r| r.effective_severity()).max();
        let got_suppressed = all
            .iter()
            .filter(|r| r.suppression == vouch::evidence::SuppressionState::Accepted)
            .count();
        let got_gating = all
            .iter()
            .filter(|r| r.suppression != vouch::evidence::SuppressionState::Accepted)
            .filter(|r| r.effective_severity() >= Severity::High)
            .count();
        if (all.len(), got_highest, got_suppressed, got_gating)
            != (*results, *highest, *suppressed, *gating)
        {
            wrong.push(format!(
                "{file}: expected ({results}, {highest:?}, {suppressed}, {gating}), got ({}, {got_highest:?}, {got_suppressed}, {got_gating})",
                all.len()
            ));
        }
    }
    for (file, field) in INVALID {
        let bytes = std::fs::read(root.join(file)).unwrap();
        match read_sast(file, &bytes) {
            Ok(_) => wrong.push(format!("{file}: accepted, but the schema rejects it")),
            Err(gap) => {
                let text = gap.to_string();
                if !text.starts_with(file) || !text.contains(field) {
                    wrong.push(format!(
                        "{file}: error does not name the file and `{field}`: {text}"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "misread files:\n{}", wrong.join("\n"));
}

#[test]
fn truncated_corpus_files_never_panic() {
    let Some(corpus) = corpus() else { return };
    for path in walk(&corpus.join("sarif")) {
        let bytes = std::fs::read(&path).unwrap();
        for cut in [
            1,
            bytes.len() / 3,
            bytes.len() / 2,
            bytes.len().saturating_sub(2),
        ] {
            // Must return (Ok or a Gap), never panic; a panic fails the test.
            let _ = read_sast(&path.display().to_string(), &bytes[..cut.min(bytes.len())]);
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// GitLab SAST reports (in the corpus's `sca/gitlab-sast/`) read through `--sarif`:
/// (file, results, highest severity, run completed). Counted with Python over the raw
/// JSON: len(d['vulnerabilities']); severity = max of the `severity` labels
/// (Info -> none); completed = scan.status absent or "success".
const GITLAB_SAST: &[(&str, usize, Option<Severity>)] = &[
    ("gl-sast-report-0-vuln.json", 0, None),
    (
        "gl-sast-report-1-vuln_v14.json",
        1,
        Some(Severity::Critical),
    ),
    (
        "gl-sast-report-1-vuln_v15.json",
        1,
        Some(Severity::Critical),
    ),
    (
        "gl-sast-report-confidence_v15.json",
        8,
        Some(Severity::High),
    ),
    ("gl-sast-report-cwe_v15.json", 3, Some(Severity::High)),
];

#[test]
fn gitlab_sast_reports_are_read_as_sast_evidence() {
    let Some(corpus) = corpus() else { return };
    let root = corpus.join("sca/gitlab-sast");
    let mut found: Vec<String> = walk(&root)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let listed: Vec<String> = GITLAB_SAST.iter().map(|g| g.0.to_string()).collect();
    assert_eq!(found, listed);
    for (file, results, highest) in GITLAB_SAST {
        let bytes = std::fs::read(root.join(file)).unwrap();
        let report = read_sast(file, &bytes).unwrap_or_else(|gap| panic!("{gap}"));
        assert_eq!(report.format, "gitlab-sast");
        let all: Vec<_> = report.runs.iter().flat_map(|r| &r.results).collect();
        assert_eq!(all.len(), *results, "{file}");
        assert_eq!(
            all.iter().map(|r| r.effective_severity()).max(),
            *highest,
            "{file}"
        );
        assert!(report.runs.iter().all(|r| r.execution_successful), "{file}");
    }
}

#[test]
fn native_non_sarif_scanner_json_is_rejected_not_read_as_clean() {
    let Some(corpus) = corpus() else { return };
    for path in walk(&corpus.join("sast-json")) {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        let sast = read_sast(&name, &bytes);
        assert!(sast.is_err(), "{name} read as SARIF");
        let sca = vouch::collect::files::sca::read_sca(&name, &bytes);
        assert!(sca.is_err(), "{name} read as an SCA report");
    }
}
