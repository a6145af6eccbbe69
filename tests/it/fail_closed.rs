//! Fail-closed regressions: evidence that is not evidence never passes a control.
//! Each test is named after the hole it keeps shut (issue 10 of the tracker).

use serde_json::Value;

use super::support::{codes, control, json, run, status, tempdir, vouch, write};

/// `vouch verify --format json` with `policy` and `args` in a fresh directory;
/// returns (exit code, report, stderr).
fn verify(policy: &str, files: &[(&str, &str)], args: &[&str]) -> (i32, Value, String) {
    let dir = tempdir();
    let policy = write(dir.path(), "vouch.yaml", policy);
    for (name, text) in files {
        write(dir.path(), name, text);
    }
    let mut cmd = vouch();
    cmd.current_dir(dir.path())
        .arg("verify")
        .arg("--policy")
        .arg(&policy)
        .args(["--format", "json"])
        .args(args);
    let (code, stdout, stderr) = run(&mut cmd);
    if code == 2 {
        return (code, Value::Null, stderr);
    }
    (code, json(&stdout), stderr)
}

fn sarif(results: &str) -> String {
    format!(
        r#"{{"version":"2.1.0","runs":[{{"tool":{{"driver":{{"name":"T","rules":[{{"id":"r"}}]}}}},"results":[{results}]}}]}}"#
    )
}

#[test]
fn sarif_results_that_are_not_failures_or_are_gone_do_not_gate() {
    let results = [
        r#"{"ruleId":"r","level":"error","kind":"pass","message":{"text":"checked, fine"}}"#,
        r#"{"ruleId":"r","level":"error","kind":"notApplicable","message":{"text":"n/a"}}"#,
        r#"{"ruleId":"r","kind":"informational","message":{"text":"fyi"}}"#,
        r#"{"ruleId":"r","level":"error","kind":"review","message":{"text":"look"}}"#,
        r#"{"ruleId":"r","level":"error","kind":"open","message":{"text":"unsure"}}"#,
        r#"{"ruleId":"r","level":"error","baselineState":"absent","message":{"text":"fixed since"}}"#,
    ]
    .join(",");
    let (code, report, _) = verify(
        "version: 1\nsast: { fail_on: low }\n",
        &[("a.sarif", &sarif(&results))],
        &["--sarif", "a.sarif"],
    );
    assert_eq!(code, 0, "{report}");
    let summary = control(&report, "sast")["summary"].as_str().unwrap_or("");
    assert!(summary.contains("5 not a problem"), "{summary}");
    assert!(summary.contains("1 absent from this scan"), "{summary}");

    // The same log with one real failure gates on exactly that one.
    let with_fail = format!(
        r#"{results},{{"ruleId":"r","level":"error","kind":"fail","message":{{"text":"bad"}}}}"#
    );
    let (code, report, _) = verify(
        "version: 1\nsast: { fail_on: low }\n",
        &[("a.sarif", &sarif(&with_fail))],
        &["--sarif", "a.sarif"],
    );
    assert_eq!(code, 1);
    assert_eq!(codes(&report, "sast"), ["sast/result-over-threshold"]);
}

#[test]
fn a_security_severity_outside_zero_to_ten_is_invalid_not_downgraded() {
    for bad in [r#""11""#, r#""inf""#, "-1", r#""NaN""#, r#""severe""#] {
        let result = format!(
            r#"{{"ruleId":"r","level":"note","message":{{"text":"x"}},"properties":{{"security-severity":{bad}}}}}"#
        );
        let (code, report, _) = verify(
            "version: 1\nsast: { fail_on: critical }\n",
            &[("a.sarif", &sarif(&result))],
            &["--sarif", "a.sarif"],
        );
        assert_eq!(code, 1, "{bad}: {report}");
        assert_eq!(status(&report, "sast"), "error", "{bad}");
        let message = control(&report, "sast")["findings"][0]["message"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(
            message.contains("properties.security-severity"),
            "{bad}: {message}"
        );
    }
}

#[test]
fn sca_reports_that_show_nothing_scanned_are_errors_not_clean_scans() {
    for report_text in [
        "[]",
        r#"{"advisories": null}"#,
        r#"{"progress": {"message": "Scanning your code and 0 packages across 0 dependent modules for known vulnerabilities..."}}"#,
    ] {
        let (code, report, stderr) = verify(
            "version: 1\nsca: {}\n",
            &[("deps.json", report_text)],
            &["--sca", "deps.json"],
        );
        assert_eq!(code, 1, "{report_text}: {report}{stderr}");
        assert_eq!(status(&report, "sca"), "error", "{report_text}");
    }
}

#[test]
fn a_gitlab_secret_detection_report_is_not_sast_evidence() {
    let secrets = r#"{"version":"15.0.4","vulnerabilities":[],"scan":{"type":"secret_detection","status":"success","scanner":{"id":"gitleaks","name":"Gitleaks"}}}"#;
    let (code, report, _) = verify(
        "version: 1\nsast: {}\n",
        &[("gl-secret-detection-report.json", secrets)],
        &["--sarif", "gl-secret-detection-report.json"],
    );
    assert_eq!(code, 1);
    assert_eq!(codes(&report, "sast"), ["sast/unreadable-report"]);
    assert!(
        report
            .to_string()
            .contains("GitLab `secret_detection` report"),
        "{report}"
    );
}
