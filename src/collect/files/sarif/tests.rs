//! Unit tests of the SARIF reader on small hand-written logs.

use super::*;

fn read(json: &str) -> Result<SastReport, Gap> {
    read_sast("t.sarif", json.as_bytes())
}

fn run_with(results: &str, rules: &str) -> String {
    format!(
        r#"{{"version":"2.1.0","runs":[{{"tool":{{"driver":{{"name":"T","rules":[{rules}]}}}},"results":[{results}]}}]}}"#
    )
}

#[test]
fn codeql_extension_rule_resolves_level_and_security_severity() {
    let bytes = include_bytes!("../../../../tests/fixtures/sarif/codeql-critical.sarif");
    let report = read_sast("codeql.sarif", bytes).unwrap();
    let run = &report.runs[0];
    assert_eq!(run.tool, "CodeQL");
    assert_eq!(run.tool_version.as_deref(), Some("2.19.3"));
    let r = &run.results[0];
    assert_eq!(r.rule_id.as_deref(), Some("rust/sql-injection"));
    assert_eq!(
        r.level,
        SarifLevel::Error,
        "level comes from the extension rule's defaultConfiguration"
    );
    assert_eq!(r.security_severity, Some(9.8));
    assert_eq!(r.effective_severity(), crate::evidence::Severity::Critical);
    assert_eq!(r.location.as_ref().unwrap().line, Some(42));
    assert_eq!(run.results[1].level, SarifLevel::Note);
    assert!(run.rules["rust/sql-injection"].help_uri.is_some());
}

#[test]
fn rule_index_without_rule_id_resolves_in_driver() {
    let log = run_with(
        r#"{"ruleIndex":1,"message":{"text":"m"}}"#,
        r#"{"id":"A"},{"id":"B","defaultConfiguration":{"level":"error"},"properties":{"security-severity":7.5}}"#,
    );
    let r = &read(&log).unwrap().runs[0].results[0];
    assert_eq!(r.rule_id.as_deref(), Some("B"));
    assert_eq!(r.level, SarifLevel::Error);
    assert_eq!(r.effective_severity(), crate::evidence::Severity::High);
}

#[test]
fn result_level_overrides_rule_and_default_is_warning() {
    let log = run_with(
        r#"{"ruleId":"A","level":"note","message":{"text":"m"}},{"ruleId":"Z","message":{"text":"m"}}"#,
        r#"{"id":"A","defaultConfiguration":{"level":"error"}}"#,
    );
    let report = read(&log).unwrap();
    assert_eq!(report.runs[0].results[0].level, SarifLevel::Note);
    assert_eq!(report.runs[0].results[1].level, SarifLevel::Warning);
}

#[test]
fn out_of_range_rule_index_names_the_result() {
    let log = run_with(r#"{"ruleIndex":5,"message":{"text":"m"}}"#, r#"{"id":"A"}"#);
    let gap = read(&log).unwrap_err();
    assert!(
        gap.detail
            .contains("runs[0].results[0]: ruleIndex: 5 is out of range"),
        "{gap}"
    );
}

#[test]
fn suppressions_fold_to_the_most_cautious_status() {
    let log = run_with(
        r#"{"message":{"text":"a"},"suppressions":[{"kind":"inSource"}]},
           {"message":{"text":"b"},"suppressions":[{"kind":"external","status":"underReview"}]},
           {"message":{"text":"c"},"suppressions":[{"kind":"external","status":"rejected"}]},
           {"message":{"text":"d"},"suppressions":[{"kind":"external","status":"rejected"},{"kind":"inSource","status":"accepted"}]}"#,
        "",
    );
    let results = &read(&log).unwrap().runs[0].results;
    let states: Vec<_> = results.iter().map(|r| r.suppression).collect();
    assert_eq!(
        states,
        vec![
            SuppressionState::Accepted,
            SuppressionState::UnderReview,
            SuppressionState::Rejected,
            SuppressionState::Rejected
        ],
        "a rejected suppression outweighs an accepted one"
    );
}

#[test]
fn message_strings_are_resolved_with_arguments() {
    let log = run_with(
        r#"{"ruleId":"A","message":{"id":"default","arguments":["x","y"]}}"#,
        r#"{"id":"A","messageStrings":{"default":{"text":"{0} flows to {1}"}}}"#,
    );
    assert_eq!(
        read(&log).unwrap().runs[0].results[0].message,
        "x flows to y"
    );
}

#[test]
fn failed_invocation_and_error_notifications_are_kept() {
    let bytes = include_bytes!("../../../../tests/fixtures/sarif/crashed-scanner.sarif");
    let run = &read_sast("c.sarif", bytes).unwrap().runs[0];
    assert!(!run.execution_successful);
    assert_eq!(run.tool_errors.len(), 1);
}

#[test]
fn schema_violations_name_the_json_path() {
    let missing_message = run_with(r#"{"ruleId":"A"}"#, "");
    let gap = read(&missing_message).unwrap_err();
    assert!(gap.detail.starts_with("runs[0].results[0]"), "{gap}");
    assert!(gap.detail.contains("message"), "{gap}");

    let bad_level = run_with(r#"{"level":"fatal","message":{"text":"m"}}"#, "");
    assert!(
        read(&bad_level)
            .unwrap_err()
            .detail
            .contains("runs[0].results[0].level")
    );

    let prerelease =
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"T"}},"automationId":"x"}]}"#;
    assert!(
        read(prerelease)
            .unwrap_err()
            .detail
            .contains("automationId")
    );

    let old = r#"{"version":"2.0.0","runs":[]}"#;
    assert!(
        read(old)
            .unwrap_err()
            .detail
            .contains("version: expected \"2.1.0\"")
    );

    let missing_success =
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"T"}},"invocations":[{}]}]}"#;
    assert!(
        read(missing_success)
            .unwrap_err()
            .detail
            .contains("executionSuccessful")
    );
}

#[test]
fn garbage_never_panics() {
    for input in [
        "",
        "   ",
        "null",
        "[]",
        "{}",
        "{\"runs\":",
        "{\"runs\":[{}]}",
        "\u{feff}{}",
        "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"T\"}},\"results\":[{\"ruleIndex\":-1,\"message\":{}}]}]}",
    ] {
        let _ = read(input);
    }
    let gap = read("").unwrap_err();
    assert!(gap.detail.contains("empty file"));
    let gap = read("{\"runs\": [").unwrap_err();
    assert!(gap.detail.contains("line 1"), "{gap}");
}

#[test]
fn gitlab_sast_report_becomes_a_run() {
    let json = r#"{"version":"15.0.4","vulnerabilities":[{"id":"1","name":"SQL injection","severity":"Critical",
        "location":{"file":"app/db.py","start_line":3},"identifiers":[{"type":"semgrep_id","name":"bandit.B608","value":"bandit.B608"}]}],
        "scan":{"scanner":{"id":"semgrep","name":"Semgrep","version":"1.0"},"type":"sast","status":"success"}}"#;
    let report = read(json).unwrap();
    assert_eq!(report.format, "gitlab-sast");
    let r = &report.runs[0].results[0];
    assert_eq!(r.effective_severity(), crate::evidence::Severity::Critical);
    assert_eq!(r.rule_id.as_deref(), Some("bandit.B608"));
    let failed = json.replace("\"success\"", "\"failure\"");
    assert!(!read(&failed).unwrap().runs[0].execution_successful);
}

#[test]
fn accepted_with_one_under_review_still_gates() {
    let log = run_with(
        r#"{"message":{"text":"a"},"suppressions":[{"kind":"inSource","status":"accepted"},{"kind":"external","status":"underReview"}]}"#,
        "",
    );
    assert_eq!(
        read(&log).unwrap().runs[0].results[0].suppression,
        SuppressionState::UnderReview
    );
}

#[test]
fn a_run_without_results_did_not_complete() {
    let log = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeQL","rules":[{"id":"a"}]}}}]}"#;
    let run = &read(log).unwrap().runs[0];
    assert_eq!(run.tool_errors.len(), 1, "{:?}", run.tool_errors);
    let empty = run_with("", "");
    assert!(
        read(&empty).unwrap().runs[0].tool_errors.is_empty(),
        "`results: []` is a clean run"
    );
}
