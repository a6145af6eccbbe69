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

#[test]
fn gitlab_reports_of_another_kind_are_refused_as_sast_naming_their_kind() {
    let secrets = r#"{"version":"15.0.4","vulnerabilities":[{"id":"1","name":"AWS key","severity":"Critical","category":"secret_detection",
        "location":{"file":"a.env","start_line":1},"identifiers":[{"type":"gitleaks_rule_id","name":"AWS","value":"AWS"}]}],
        "scan":{"scanner":{"id":"gitleaks","name":"Gitleaks"},"type":"secret_detection","status":"success"}}"#;
    let gap = read(secrets).unwrap_err();
    assert_eq!(gap.kind, GapKind::Unsupported);
    assert!(
        gap.detail.contains("GitLab `secret_detection` report"),
        "{gap}"
    );
    // Schema 2.x has no `scan`: the category of the findings tells the kind.
    let v2 = r#"{"version":"2.3","vulnerabilities":[{"category":"secret_detection","name":"key","severity":"High"}],"remediations":[]}"#;
    assert!(read(v2).unwrap_err().detail.contains("`secret_detection`"));
    let deps = r#"{"version":"15.0.0","vulnerabilities":[],"dependency_files":[{"path":"go.sum","package_manager":"go","dependencies":[]}],
        "scan":{"type":"dependency_scanning","status":"success","scanner":{"id":"gemnasium","name":"Gemnasium"}}}"#;
    let gap = read(deps).unwrap_err();
    assert!(
        gap.detail.contains("gitlab-dependency-scanning report"),
        "{gap}"
    );
    assert!(gap.detail.contains("--sca"), "{gap}");
}

#[test]
fn a_cargo_audit_report_given_as_sarif_is_named_not_misread_as_gitlab_sast() {
    let audit = r#"{"database":{},"lockfile":{"dependency-count":3},"vulnerabilities":{"found":false,"count":0,"list":[]}}"#;
    let gap = read(audit).unwrap_err();
    assert_eq!(gap.kind, GapKind::Unsupported);
    assert!(
        gap.detail.contains("this is a cargo-audit report") && gap.detail.contains("--sca"),
        "{gap}"
    );
}

#[test]
fn message_templates_are_substituted_once_and_bounded() {
    // Each argument names the next placeholder: recursive substitution doubled the
    // text at every step (a 600-byte log took 1.6 GB).
    let args: Vec<String> = (0..40)
        .map(|i| format!("{{{}}}{{{}}}", i + 1, i + 1))
        .collect();
    let out = format_message("{0}", &args);
    assert_eq!(out, "{1}{1}");
    assert_eq!(
        format_message("a {{0}} {1} {9} }} {x}", &["A".into(), "B".into()]),
        "a {0} B {9} } {x}"
    );
    let big = "x".repeat(10_000);
    let template = "{0}".repeat(100);
    let out = format_message(&template, &[big]);
    assert!(
        out.len() <= MAX_MESSAGE_BYTES + TRUNCATED.len(),
        "{}",
        out.len()
    );
    assert!(out.ends_with(TRUNCATED));
}

#[test]
fn result_kind_and_level_default_follow_the_spec() {
    let log = run_with(
        r#"{"ruleId":"a","kind":"pass","message":{"text":"ok"}},{"ruleId":"a","message":{"text":"bad"}}"#,
        r#"{"id":"a"}"#,
    );
    let run = &read(&log).unwrap().runs[0];
    assert_eq!(run.results[0].kind, ResultKind::Pass);
    assert_eq!(run.results[0].level, SarifLevel::None);
    assert_eq!(run.results[1].kind, ResultKind::Fail);
    assert_eq!(run.results[1].level, SarifLevel::Warning);
    let bogus = run_with(r#"{"kind":"maybe","message":{"text":"?"}}"#, "");
    assert!(read(&bogus).is_err());
}

#[test]
fn an_invalid_rule_security_severity_is_an_error_naming_the_rule() {
    let log = run_with(
        r#"{"ruleId":"a","message":{"text":"x"}}"#,
        r#"{"id":"a","properties":{"security-severity":"11"}}"#,
    );
    let gap = read(&log).unwrap_err();
    assert!(gap.detail.contains("rule a"), "{gap}");
    assert!(gap.detail.contains("outside 0.0 to 10.0"), "{gap}");
}

#[test]
fn a_line_number_past_32_bits_is_refused_naming_the_field() {
    // No file under the input limit has 2^32 lines: such a number is not a line, and
    // the report is refused rather than its region silently dropped.
    let log = run_with(
        r#"{"message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.rs"},"region":{"startLine":4294967296}}}]}"#,
        "",
    );
    let gap = read(&log).unwrap_err();
    assert!(
        gap.detail
            .contains("runs[0].results[0].locations[0].physicalLocation.region.startLine"),
        "{gap}"
    );
    let fits = log.replace("4294967296", "4294967295");
    let report = read(&fits).unwrap();
    assert_eq!(
        report.runs[0].results[0].location.as_ref().unwrap().line,
        Some(u32::MAX)
    );
}
