//! End-to-end scenarios of `vouch verify`: each test is one finding or outcome a user
//! relies on, run through the binary with the repository's own fixtures.

use serde_json::{Value, json};

use super::support::{
    codes, control, fixture, json as parse_json, run, status, tempdir, vouch, write,
};

const HIGH_POLICY: &str = "version: 1\nsast:\n  fail_on: high\n";

/// The CodeQL fixture, edited by `edit`, written into `dir`.
fn codeql_variant(
    dir: &std::path::Path,
    name: &str,
    edit: impl FnOnce(&mut Value),
) -> std::path::PathBuf {
    let mut log: Value =
        serde_json::from_slice(&std::fs::read(fixture("sarif/codeql-critical.sarif")).unwrap())
            .unwrap();
    edit(&mut log);
    write(dir, name, &serde_json::to_string_pretty(&log).unwrap())
}

fn verify_json(dir: &std::path::Path, policy: &str, args: &[&str]) -> (i32, Value, String) {
    let policy = write(dir, "vouch.yaml", policy);
    let mut cmd = vouch();
    cmd.arg("verify")
        .arg("--policy")
        .arg(&policy)
        .args(args)
        .args(["--format", "json"]);
    let (code, stdout, stderr) = run(&mut cmd);
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    (code, parse_json(&stdout), stderr)
}

#[test]
fn codeql_security_severity_critical_fails_a_high_policy() {
    let dir = tempdir();
    let sarif = fixture("sarif/codeql-critical.sarif");
    let (code, report, _) = verify_json(
        dir.path(),
        HIGH_POLICY,
        &["--sarif", sarif.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert_eq!(report["verdict"], "fail");
    assert_eq!(status(&report, "sast"), "fail");
    let finding = &control(&report, "sast")["findings"][0];
    assert_eq!(finding["code"], "sast/result-over-threshold");
    assert_eq!(finding["severity"], "critical");
    assert_eq!(finding["location"]["path"], "src/ledger/query.rs");
    assert_eq!(finding["location"]["line"], 42);
    assert_eq!(finding["subject"]["rule"], "rust/sql-injection");
    assert_eq!(
        codes(&report, "sast").len(),
        1,
        "the note-level result stays below high"
    );
}

#[test]
fn the_same_result_suppressed_as_accepted_passes() {
    let dir = tempdir();
    let sarif = codeql_variant(dir.path(), "s.sarif", |log| {
        log["runs"][0]["results"][0]["suppressions"] = json!([{"kind": "external", "status": "accepted", "justification": "parameterized upstream"}]);
    });
    let (code, report, _) = verify_json(
        dir.path(),
        HIGH_POLICY,
        &["--sarif", sarif.to_str().unwrap()],
    );
    assert_eq!((code, status(&report, "sast")), (0, "pass"));
}

#[test]
fn a_suppression_under_review_still_fails() {
    let dir = tempdir();
    let sarif = codeql_variant(dir.path(), "s.sarif", |log| {
        log["runs"][0]["results"][0]["suppressions"] =
            json!([{"kind": "external", "status": "underReview"}]);
    });
    let (code, report, _) = verify_json(
        dir.path(),
        HIGH_POLICY,
        &["--sarif", sarif.to_str().unwrap()],
    );
    assert_eq!((code, status(&report, "sast")), (1, "fail"));
}

#[test]
fn a_crashed_scanner_is_an_error_and_exits_1() {
    let dir = tempdir();
    let sarif = fixture("sarif/crashed-scanner.sarif");
    let (code, report, _) = verify_json(
        dir.path(),
        HIGH_POLICY,
        &["--sarif", sarif.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert_eq!(status(&report, "sast"), "error");
    assert_eq!(
        codes(&report, "sast"),
        vec!["sast/scanner-failed", "sast/scanner-failed"]
    );
}

#[test]
fn a_missing_required_tool_fails_with_scanner_did_not_run() {
    let dir = tempdir();
    let sarif = fixture("sarif/semgrep-clean.sarif");
    let policy = "version: 1\nsast:\n  fail_on: high\n  required_tools: [CodeQL, semgrep oss]\n";
    let (code, report, _) = verify_json(dir.path(), policy, &["--sarif", sarif.to_str().unwrap()]);
    assert_eq!((code, status(&report, "sast")), (1, "fail"));
    assert_eq!(codes(&report, "sast"), vec!["sast/required-tool-missing"]);
    let message = control(&report, "sast")["findings"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("scanner did not run: `CodeQL`"),
        "{message}"
    );
}

#[test]
fn new_only_ignores_results_the_baseline_already_had() {
    let dir = tempdir();
    let unchanged = codeql_variant(dir.path(), "u.sarif", |log| {
        log["runs"][0]["results"][0]["baselineState"] = json!("unchanged");
    });
    let policy = "version: 1\nsast:\n  fail_on: high\n  new_only: true\n";
    let (code, _, _) = verify_json(
        dir.path(),
        policy,
        &["--sarif", unchanged.to_str().unwrap()],
    );
    assert_eq!(code, 0);
    let (code, _, _) = verify_json(
        dir.path(),
        HIGH_POLICY,
        &["--sarif", unchanged.to_str().unwrap()],
    );
    assert_eq!(code, 1, "without new_only an unchanged result still gates");
}

#[test]
fn excluded_paths_do_not_gate_and_includes_restrict() {
    let dir = tempdir();
    let sarif = fixture("sarif/codeql-critical.sarif");
    let excluded = "version: 1\nsast:\n  paths:\n    exclude: ['src/ledger/**']\n";
    assert_eq!(
        verify_json(dir.path(), excluded, &["--sarif", sarif.to_str().unwrap()]).0,
        0
    );
    let elsewhere = "version: 1\nsast:\n  paths:\n    include: ['web/**']\n";
    assert_eq!(
        verify_json(dir.path(), elsewhere, &["--sarif", sarif.to_str().unwrap()]).0,
        0
    );
    let inside = "version: 1\nsast:\n  paths:\n    include: ['src/**']\n";
    assert_eq!(
        verify_json(dir.path(), inside, &["--sarif", sarif.to_str().unwrap()]).0,
        1
    );
}

#[test]
fn level_threshold_gates_on_sarif_level() {
    let dir = tempdir();
    let sarif = fixture("sarif/codeql-critical.sarif");
    let (code, report, _) = verify_json(
        dir.path(),
        "version: 1\nsast:\n  fail_on: note\n",
        &["--sarif", sarif.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert_eq!(
        codes(&report, "sast").len(),
        2,
        "fail_on: note gates the note-level result too"
    );
}

#[test]
fn an_expired_exception_is_not_honored_and_is_reported() {
    let dir = tempdir();
    let sarif = fixture("sarif/codeql-critical.sarif");
    let policy = "version: 1\nsast:\n  fail_on: high\nexceptions:\n  - control: sast\n    match: {rule: rust/sql-injection}\n    reason: accepted until the ORM migration\n    owner: appsec@example.com\n    expires: 2020-01-31\n";
    let (code, report, _) = verify_json(dir.path(), policy, &["--sarif", sarif.to_str().unwrap()]);
    assert_eq!((code, status(&report, "sast")), (1, "fail"));
    let waiver = &report["waivers"][0];
    assert_eq!(waiver["state"], "expired");
    assert_eq!(waiver["matched_findings"], 1);
    assert_eq!(
        waiver["source"]["line"], 5,
        "points at the exception in the policy"
    );
    assert!(
        control(&report, "sast")["findings"][0]
            .get("waiver")
            .is_none()
    );
}

#[test]
fn a_live_exception_waives_and_an_unmatched_one_is_reported_unused() {
    let dir = tempdir();
    let sarif = fixture("sarif/codeql-critical.sarif");
    let policy = "version: 1\nmax_exception_lifetime_days: 400000\nsast:\n  fail_on: high\nexceptions:\n  - control: sast\n    match: {rule: rust/sql-injection, path: 'src/ledger/*.rs'}\n    reason: input is an enum, not user text\n    owner: appsec@example.com\n    expires: 2999-12-31\n  - control: sast\n    match: {rule: js/xss}\n    reason: old\n    owner: appsec@example.com\n    expires: 2999-12-31\n";
    let (code, report, _) = verify_json(dir.path(), policy, &["--sarif", sarif.to_str().unwrap()]);
    assert_eq!((code, status(&report, "sast")), (0, "waived"));
    assert_eq!(report["waivers"][0]["state"], "applied");
    assert_eq!(report["waivers"][1]["state"], "unused");
    assert_eq!(
        control(&report, "sast")["findings"][0]["waiver"]["index"],
        0
    );
}

#[test]
fn an_enabled_control_without_evidence_is_an_error() {
    let dir = tempdir();
    let (code, report, _) = verify_json(dir.path(), "version: 1\nsast: {}\nsca: {}\n", &[]);
    assert_eq!(code, 1);
    assert_eq!(status(&report, "sast"), "error");
    assert_eq!(status(&report, "sca"), "error");
}

#[test]
fn an_advisory_control_reports_but_does_not_fail_the_run() {
    let dir = tempdir();
    let sarif = fixture("sarif/codeql-critical.sarif");
    let (code, report, _) = verify_json(
        dir.path(),
        "version: 1\nsast:\n  advisory: true\n",
        &["--sarif", sarif.to_str().unwrap()],
    );
    assert_eq!(code, 0);
    assert_eq!(status(&report, "sast"), "fail");
    assert_eq!(control(&report, "sast")["required"], false);
}

#[test]
fn malformed_report_content_is_an_error_not_a_pass() {
    let dir = tempdir();
    let broken = write(
        dir.path(),
        "broken.sarif",
        "{\"version\": \"2.1.0\", \"runs\": [",
    );
    let (code, report, _) = verify_json(
        dir.path(),
        HIGH_POLICY,
        &["--sarif", broken.to_str().unwrap()],
    );
    assert_eq!((code, status(&report, "sast")), (1, "error"));
    let message = control(&report, "sast")["findings"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("broken.sarif") && message.contains("line 1"),
        "{message}"
    );
}

#[test]
fn evaluate_reproduces_the_verdict_and_findings_of_the_original_run() {
    let dir = tempdir();
    let sarif = fixture("sarif/codeql-critical.sarif");
    let crashed = fixture("sarif/crashed-scanner.sarif");
    let policy = write(
        dir.path(),
        "vouch.yaml",
        "version: 1\nsast:\n  fail_on: medium\nexceptions:\n  - control: sast\n    match: {rule: rust/unused-variable}\n    reason: r\n    owner: o\n    expires: 2020-01-01\n",
    );
    let evidence = dir.path().join("evidence");
    let original = dir.path().join("original.json");
    let mut cmd = vouch();
    cmd.args(["verify", "--policy"])
        .arg(&policy)
        .arg("--sarif")
        .arg(&sarif)
        .arg("--sarif")
        .arg(&crashed);
    cmd.arg("--evidence-out")
        .arg(&evidence)
        .arg("--format")
        .arg(format!("json={}", original.display()));
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 1, "{stderr}");

    // The evidence records every input with its digest.
    let saved: Value =
        serde_json::from_slice(&std::fs::read(evidence.join("evidence.json")).unwrap()).unwrap();
    let digest = saved["inputs"][0]["sha256"].as_str().unwrap();
    let bytes = std::fs::read(&sarif).unwrap();
    assert_eq!(digest, vouch::collect::sha256_hex(&bytes));

    let mut cmd = vouch();
    cmd.arg("evaluate")
        .arg(&evidence)
        .args(["--format", "json"]);
    let (code2, stdout, stderr) = run(&mut cmd);
    assert_eq!(code2, code, "{stderr}");
    let replay = parse_json(&stdout);
    let original = parse_json(&std::fs::read_to_string(&original).unwrap());
    for key in [
        "verdict", "controls", "waivers", "time", "inputs", "subject",
    ] {
        assert_eq!(replay[key], original[key], "{key} differs");
    }
    assert_eq!(replay["policy"]["sha256"], original["policy"]["sha256"]);
    assert_eq!(
        replay["waivers"][0]["state"], "expired",
        "expiry is judged at the original run time"
    );
}

#[test]
fn a_section_with_every_key_commented_out_still_gates() {
    let dir = tempdir();
    let sarif = fixture("sarif/crashed-scanner.sarif");
    let policy = "version: 1\nsast:\n  # fail_on: high\n  # required_tools: []\n";
    let (code, report, _) = verify_json(dir.path(), policy, &["--sarif", sarif.to_str().unwrap()]);
    assert_eq!((code, status(&report, "sast")), (1, "error"));
}

#[test]
fn a_run_without_results_or_a_log_without_runs_is_not_a_clean_scan() {
    let dir = tempdir();
    let rules_only = write(
        dir.path(),
        "rules-only.sarif",
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeQL","rules":[{"id":"a"}]}}}]}"#,
    );
    let policy = "version: 1\nsast:\n  required_tools: [CodeQL]\n";
    let (code, report, _) = verify_json(
        dir.path(),
        policy,
        &["--sarif", rules_only.to_str().unwrap()],
    );
    assert_eq!((code, status(&report, "sast")), (1, "error"));
    assert_eq!(codes(&report, "sast"), vec!["sast/scanner-failed"]);

    let no_runs = write(
        dir.path(),
        "no-runs.sarif",
        r#"{"version":"2.1.0","runs":[]}"#,
    );
    let (code, report, _) = verify_json(
        dir.path(),
        "version: 1\nsast: {}\n",
        &["--sarif", no_runs.to_str().unwrap()],
    );
    assert_eq!((code, status(&report, "sast")), (1, "error"));
    assert_eq!(codes(&report, "sast"), vec!["sast/no-analysis"]);
}

#[test]
fn inputs_for_a_skipped_control_are_called_out() {
    let dir = tempdir();
    let sarif = fixture("sarif/codeql-critical.sarif");
    let (code, report, _) = verify_json(
        dir.path(),
        "version: 1\nsca: {}\n",
        &["--sarif", sarif.to_str().unwrap()],
    );
    assert_eq!(code, 1, "sca has no evidence");
    assert_eq!(status(&report, "sast"), "skipped");
    let summary = control(&report, "sast")["summary"].as_str().unwrap();
    assert!(
        summary.contains("1 input(s) given for it were not evaluated"),
        "{summary}"
    );
}

#[test]
fn expired_and_unused_exceptions_reach_junit_and_sarif() {
    let dir = tempdir();
    let sarif = fixture("sarif/codeql-critical.sarif");
    let policy = write(
        dir.path(),
        "vouch.yaml",
        "version: 1\nmax_exception_lifetime_days: 400000\nsast: {}\nexceptions:\n  - control: sast\n    match: {rule: rust/sql-injection}\n    reason: until the ORM lands\n    owner: o\n    expires: 2020-01-31\n  - control: sast\n    match: {rule: js/xss}\n    reason: old\n    owner: o\n    expires: 2999-01-01\n",
    );
    let out = dir.path().join("out");
    let (code, _, _) = run(vouch()
        .arg("verify")
        .arg("--policy")
        .arg(&policy)
        .arg("--sarif")
        .arg(&sarif)
        .arg("--format")
        .arg(format!("junit={}/r.xml", out.display()))
        .arg("--format")
        .arg(format!("sarif={}/r.sarif", out.display())));
    assert_eq!(code, 1);
    let junit = std::fs::read_to_string(out.join("r.xml")).unwrap();
    assert!(
        junit.contains("EXPIRED, not honored") && junit.contains("until the ORM lands"),
        "{junit}"
    );
    assert!(junit.contains("unused, matched nothing"), "{junit}");
    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("r.sarif")).unwrap()).unwrap();
    let notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["level"], "warning");
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

fn openvex(dir: &std::path::Path, name: &str, status: &str, timestamp: &str) -> std::path::PathBuf {
    let doc = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("https://ledger.example/vex/{name}"),
        "author": "appsec",
        "timestamp": timestamp,
        "version": 1,
        "statements": [{
            "vulnerability": {"name": "CVE-2023-49092"},
            "products": [{"@id": "pkg:cargo/rsa@0.9.6"}],
            "status": status,
            "justification": if status == "not_affected" { "vulnerable_code_not_in_execute_path" } else { "" },
            "action_statement": "upgrade when a fix ships"
        }]
    });
    write(dir, name, &doc.to_string())
}

#[test]
fn the_newest_vex_statement_wins_across_documents() {
    let dir = tempdir();
    let audit = super::support::repo_path("examples/evidence/cargo-audit.json");
    let policy = "version: 1\nmax_exception_lifetime_days: 400000\nsca:\n  fail_on: medium\nexceptions:\n  - control: sca\n    match: {id: RUSTSEC-2024-0421}\n    reason: r\n    owner: o\n    expires: 2999-01-01\n";
    let na_old = openvex(
        dir.path(),
        "na-old.json",
        "not_affected",
        "2026-01-01T00:00:00Z",
    );
    let aff_new = openvex(
        dir.path(),
        "aff-new.json",
        "affected",
        "2026-02-01T00:00:00Z",
    );
    let na_new = openvex(
        dir.path(),
        "na-new.json",
        "not_affected",
        "2026-03-01T00:00:00Z",
    );
    let run_with = |vex: &[&std::path::Path]| {
        let mut args = vec!["--sca".to_string(), audit.display().to_string()];
        for v in vex {
            args.push("--vex".into());
            args.push(v.display().to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        verify_json(dir.path(), policy, &args)
    };
    // A newer `affected` cancels the older `not_affected`, whatever the argument order.
    assert_eq!(run_with(&[&na_old, &aff_new]).0, 1);
    assert_eq!(run_with(&[&aff_new, &na_old]).0, 1);
    // A newer `not_affected` wins over the older `affected`.
    let (code, report, _) = run_with(&[&aff_new, &na_new]);
    assert_eq!((code, status(&report, "sca")), (0, "waived"));
}

#[test]
fn an_empty_log_is_not_hidden_by_another_scanners_clean_one() {
    let dir = tempdir();
    let clean = fixture("sarif/semgrep-clean.sarif");
    let empty = write(
        dir.path(),
        "empty.sarif",
        r#"{"version":"2.1.0","runs":[]}"#,
    );
    let (code, report, _) = verify_json(
        dir.path(),
        "version: 1\nsast: {}\n",
        &[
            "--sarif",
            clean.to_str().unwrap(),
            "--sarif",
            empty.to_str().unwrap(),
        ],
    );
    assert_eq!((code, status(&report, "sast")), (1, "error"));
    assert_eq!(codes(&report, "sast"), vec!["sast/no-analysis"]);
}
