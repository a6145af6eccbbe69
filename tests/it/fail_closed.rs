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
        r#"{"ruleId":"r","level":"none","kind":"pass","message":{"text":"checked, fine"}}"#,
        r#"{"ruleId":"r","kind":"notApplicable","message":{"text":"n/a"}}"#,
        r#"{"ruleId":"r","kind":"informational","message":{"text":"fyi"}}"#,
        r#"{"ruleId":"r","level":"none","kind":"review","message":{"text":"look"}}"#,
        r#"{"ruleId":"r","kind":"open","message":{"text":"unsure"}}"#,
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

    // A `pass` at level `error` contradicts itself (SARIF §3.27.9): refused, not dropped.
    let contradictory = r#"{"ruleId":"r","level":"error","kind":"pass","message":{"text":"?"}}"#;
    let (code, report, _) = verify(
        "version: 1\nsast: { fail_on: low }\n",
        &[("a.sarif", &sarif(contradictory))],
        &["--sarif", "a.sarif"],
    );
    assert_eq!(code, 1);
    assert_eq!(codes(&report, "sast"), ["sast/unreadable-report"]);
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

/// A cargo-audit report of `n` unrated advisories against distinct crates.
fn cargo_audit(n: usize) -> String {
    let list: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"advisory": {{"id": "RUSTSEC-2024-{i:04}", "title": "t"}}, "package": {{"name": "crate{i}", "version": "1.0.0"}}, "versions": {{"patched": []}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"database": {{}}, "lockfile": {{"dependency-count": {}}}, "vulnerabilities": {{"found": {}, "count": {n}, "list": [{}]}}}}"#,
        n + 1,
        n > 0,
        list.join(",")
    )
}

fn exception(matcher: &str, expires: &str) -> String {
    format!(
        "  - control: sca\n    match: {matcher}\n    reason: accepted\n    owner: appsec\n    expires: {expires}\n"
    )
}

#[test]
fn an_exception_past_the_maximum_lifetime_is_reported_and_not_honored() {
    let report_text = cargo_audit(1);
    let files = [("audit.json", report_text.as_str())];
    let args = ["--sca", "audit.json"];
    let forever = format!(
        "version: 1\nsca: {{}}\nexceptions:\n{}",
        exception("{id: RUSTSEC-2024-0000}", "9999-12-31")
    );
    let (code, report, _) = verify(&forever, &files, &args);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["waivers"][0]["state"], "too-long", "{report}");
    assert_eq!(status(&report, "sca"), "fail");

    // The policy may lower or raise the limit; within it, the exception applies.
    let soon = time::OffsetDateTime::now_utc().date() + time::Duration::days(20);
    let short = format!(
        "version: 1\nmax_exception_lifetime_days: 10\nsca: {{}}\nexceptions:\n{}",
        exception("{id: RUSTSEC-2024-0000}", &soon.to_string())
    );
    let (code, report, _) = verify(&short, &files, &args);
    assert_eq!(
        (code, &report["waivers"][0]["state"]),
        (1, &"too-long".into())
    );
    let (code, report, _) = verify(&short.replace(": 10\n", ": 30\n"), &files, &args);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["waivers"][0]["state"], "applied");
    assert!(report["waivers"][0].get("too_broad").is_none(), "{report}");
}

#[test]
fn an_exception_that_waives_a_whole_control_is_reported_as_too_broad() {
    let report_text = cargo_audit(3);
    let files = [("audit.json", report_text.as_str())];
    let soon = time::OffsetDateTime::now_utc().date() + time::Duration::days(30);
    let policy = format!(
        "version: 1\nsca: {{}}\nexceptions:\n{}",
        exception("{code: sca/vulnerable-dependency}", &soon.to_string())
    );
    let (code, report, _) = verify(&policy, &files, &["--sca", "audit.json"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["waivers"][0]["too_broad"], true, "{report}");

    // `path: "**"` over SAST results waives whatever the scanner found, one or many.
    let located = r#"{"ruleId":"r","level":"error","message":{"text":"bad"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/a.rs"}}}]}"#;
    let log = sarif(located);
    let policy = format!(
        "version: 1\nsast: {{}}\nexceptions:\n{}",
        exception("{path: \"**\"}", &soon.to_string()).replace("control: sca", "control: sast")
    );
    let (code, report, _) = verify(&policy, &[("a.sarif", &log)], &["--sarif", "a.sarif"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["waivers"][0]["too_broad"], true, "{report}");
    // One exception per advisory is not too broad, even when together they cover all.
    let policy = format!(
        "version: 1\nsca: {{}}\nexceptions:\n{}{}{}",
        exception("{id: RUSTSEC-2024-0000}", &soon.to_string()),
        exception("{id: RUSTSEC-2024-0001}", &soon.to_string()),
        exception("{id: RUSTSEC-2024-0002}", &soon.to_string())
    );
    let (code, report, _) = verify(&policy, &files, &["--sca", "audit.json"]);
    assert_eq!(code, 0, "{report}");
    assert!(
        report["waivers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w.get("too_broad").is_none()),
        "{report}"
    );
}

#[test]
fn a_policy_that_enables_no_control_does_not_start() {
    for policy in ["version: 1\n", "version: 1\nsca:\n  enabled: false\n"] {
        let (code, _, stderr) = verify(policy, &[], &[]);
        assert_eq!(code, 2, "{policy}");
        assert!(stderr.contains("the policy enables no control"), "{stderr}");
    }
}

#[test]
fn policy_booleans_accept_only_true_and_false() {
    for value in ["\"n\"", "n", "no", "off", "'false'", "\"true\"", "yes", "0"] {
        let policy = format!("version: 1\nsast: {{}}\nsca:\n  enabled: {value}\n");
        let (code, _, stderr) = verify(&policy, &[], &[]);
        assert_eq!(code, 2, "{value}: {stderr}");
        assert!(stderr.contains("vouch.yaml:4"), "{value}: {stderr}");
    }
}

#[test]
fn a_path_with_dot_segments_is_matched_as_the_file_it_names() {
    let result = |uri: &str| {
        format!(
            r#"{{"ruleId":"r","level":"error","message":{{"text":"bad"}},"locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":"{uri}"}}}}}}]}}"#
        )
    };
    let policy = "version: 1\nsast:\n  paths: { exclude: [\"tests/**\"] }\n";
    for (uri, gates) in [
        ("tests/../src/main.rs", true),
        ("tests/./unit.rs", false),
        ("tests/../../outside.rs", true),
    ] {
        let (code, report, _) = verify(
            policy,
            &[("a.sarif", &sarif(&result(uri)))],
            &["--sarif", "a.sarif"],
        );
        assert_eq!(code == 1, gates, "{uri}: {report}");
    }
}

#[test]
fn inputs_that_are_not_regular_files_or_are_too_large_are_refused_up_front() {
    let dir = tempdir();
    let fifo = dir.path().join("report.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let mut cases = vec![("/dev/zero".to_string(), "it is a device")];
    if made {
        // Opening a FIFO for reading blocks until a writer comes: this once hung.
        cases.push((fifo.display().to_string(), "it is a FIFO"));
    }
    cases.push((dir.path().display().to_string(), "it is a directory"));
    for (input, says) in &cases {
        for flag in [
            "--sca",
            "--sarif",
            "--sbom",
            "--lockfile",
            "--vex",
            "--attestation",
            "--artifact",
        ] {
            let (code, _, stderr) = verify("version: 1\nsca: {}\n", &[], &[flag, input]);
            assert_eq!(code, 2, "{flag} {input}: {stderr}");
            assert!(stderr.contains(says), "{flag} {input}: {stderr}");
        }
    }
    let (code, _, stderr) = verify(
        "version: 1\nsca: {}\n",
        &[("big.json", &"x".repeat(2000))],
        &["--sca", "big.json", "--max-input-size", "1KiB"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("over the input limit of 1 KiB") && stderr.contains("--max-input-size"),
        "{stderr}"
    );
}

#[test]
fn a_missing_input_names_the_os_error_once() {
    let (code, _, stderr) = verify("version: 1\nsca: {}\n", &[], &["--sca", "missing.json"]);
    assert_eq!(code, 2);
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
}

#[test]
fn a_json_document_that_repeats_a_key_is_ambiguous_and_refused() {
    let sbom = std::fs::read_to_string(super::support::fixture("sbom/app.cdx.json")).unwrap();
    // The banned package is in the first `components`; a last-wins reader saw only
    // the second copy, and the SBOM passed.
    let banned = r#"{"type": "library", "bom-ref": "es", "name": "event-stream", "version": "3.3.6", "purl": "pkg:npm/event-stream@3.3.6"}"#;
    let doubled = sbom.replacen(
        "\"components\": [",
        &format!("\"components\": [{banned}],\n  \"components\": ["),
        1,
    );
    assert_ne!(doubled, sbom);
    let policy = "version: 1\nsbom:\n  require_subject: false\n  banned:\n    - purl: \"pkg:npm/event-stream@*\"\n      reason: compromised\n";
    let (code, report, _) = verify(policy, &[("bom.json", &doubled)], &["--sbom", "bom.json"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(codes(&report, "sbom"), ["sbom/unreadable"], "{report}");
    assert!(
        report.to_string().contains("duplicate key `components`"),
        "{report}"
    );

    // The same rule for every JSON reader: a scanner report and a SARIF log.
    let audit = cargo_audit(0).replacen(
        "{",
        r#"{"vulnerabilities": {"found": true, "count": 1, "list": []}, "#,
        1,
    );
    let (code, report, _) = verify(
        "version: 1\nsca: {}\n",
        &[("a.json", &audit)],
        &["--sca", "a.json"],
    );
    assert_eq!(
        (code, codes(&report, "sca")),
        (1, vec!["sca/unreadable-report".to_string()])
    );
    let log = sarif("").replacen("\"runs\"", "\"runs\":[],\"runs\"", 1);
    let (code, report, _) = verify(
        "version: 1\nsast: {}\n",
        &[("a.sarif", &log)],
        &["--sarif", "a.sarif"],
    );
    assert_eq!(
        (code, codes(&report, "sast")),
        (1, vec!["sast/unreadable-report".to_string()])
    );
}

#[test]
fn an_xml_sbom_with_a_second_root_trailing_text_or_another_encoding_is_refused() {
    let doc = r#"<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
  <components><component type="library"><name>a</name><version>1</version><purl>pkg:npm/a@1</purl></component></components>
</bom>
"#;
    let policy = "version: 1\nsbom:\n  require_subject: false\n";
    let (code, report, _) = verify(policy, &[("bom.xml", doc)], &["--sbom", "bom.xml"]);
    assert_eq!(code, 0, "the plain document is fine: {report}");
    let second_root =
        format!("{doc}<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\"><components/></bom>\n");
    let trailing = format!("{doc}trailing words\n");
    let latin1 = doc.replace("UTF-8", "ISO-8859-1");
    for (bad, says) in [
        (second_root.as_str(), "a second root element"),
        (trailing.as_str(), "text outside the root element"),
        (latin1.as_str(), "encoding `ISO-8859-1`"),
    ] {
        let (code, report, _) = verify(policy, &[("bom.xml", bad)], &["--sbom", "bom.xml"]);
        assert_eq!(code, 1, "{says}: {report}");
        assert_eq!(
            codes(&report, "sbom"),
            ["sbom/unreadable"],
            "{says}: {report}"
        );
        assert!(report.to_string().contains(says), "{says}: {report}");
    }
}

fn openvex(context: &str, statements: &[String]) -> String {
    format!(
        r#"{{"@context": "{context}", "@id": "https://example.com/vex/1", "author": "PSIRT", "timestamp": "2026-01-01T00:00:00Z", "version": 1, "statements": [{}]}}"#,
        statements.join(",")
    )
}

fn vex_statement(status: &str, extra: &str) -> String {
    format!(
        r#"{{"vulnerability": {{"name": "RUSTSEC-2024-0000"}}, "products": [{{"@id": "pkg:cargo/crate0@1.0.0"}}], "status": "{status}"{extra}}}"#
    )
}

#[test]
fn vex_claims_that_openvex_does_not_allow_waive_nothing() {
    let audit = cargo_audit(1);
    let run = |vex: &str| {
        verify(
            "version: 1\nsca: {}\n",
            &[("audit.json", audit.as_str()), ("a.vex.json", vex)],
            &["--sca", "audit.json", "--vex", "a.vex.json"],
        )
    };
    let justified = vex_statement(
        "not_affected",
        r#", "justification": "vulnerable_code_not_in_execute_path""#,
    );
    let (code, report, _) = run(&openvex(
        "https://openvex.dev/ns/v0.2.0",
        std::slice::from_ref(&justified),
    ));
    assert_eq!((code, status(&report, "sca")), (0, "waived"), "{report}");

    // Without a justification or an impact statement the claim is refused.
    let (code, report, _) = run(&openvex(
        "https://openvex.dev/ns/v0.2.0",
        &[vex_statement("not_affected", "")],
    ));
    assert_eq!(code, 1, "{report}");
    assert!(
        codes(&report, "sca").contains(&"sca/unreadable-vex".to_string()),
        "{report}"
    );

    // A namespace that merely starts like OpenVEX's is not OpenVEX.
    let (code, report, _) = run(&openvex(
        "https://openvex.dev/nsEVIL",
        std::slice::from_ref(&justified),
    ));
    assert_eq!(code, 1, "{report}");
    assert!(
        codes(&report, "sca").contains(&"sca/unreadable-vex".to_string()),
        "{report}"
    );

    // A statement dated in the far future cannot outrank the later `affected` one.
    let future = vex_statement(
        "not_affected",
        r#", "justification": "vulnerable_code_not_present", "timestamp": "9999-01-01T00:00:00Z""#,
    );
    let affected = vex_statement("affected", r#", "timestamp": "2026-06-01T00:00:00Z""#);
    let (code, report, _) = run(&openvex(
        "https://openvex.dev/ns/v0.2.0",
        &[future, affected],
    ));
    assert_eq!((code, status(&report, "sca")), (1, "fail"), "{report}");
}

fn forge_run(token: Option<&str>, api: &str) -> (i32, String, String) {
    let dir = tempdir();
    let policy = write(
        dir.path(),
        "vouch.yaml",
        "version: 1\nrequired_checks:\n  checks: [build]\n",
    );
    let mut cmd = vouch();
    cmd.arg("verify")
        .arg("--policy")
        .arg(&policy)
        .args(["--forge", "github", "--repo", "acme/ledger", "--commit"])
        .arg(super::github::HEAD)
        .args(["--format", "json"])
        .env("GITHUB_API_URL", api);
    if let Some(token) = token {
        cmd.env("GITHUB_TOKEN", token);
    }
    run(&mut cmd)
}

#[test]
fn a_token_with_a_line_break_or_whitespace_is_refused_without_being_printed() {
    for (token, says) in [
        ("ghp_0123456789abcdef\r\nX-Evil: 1", "a line break"),
        ("ghp_0123456789abcdef\n", "a line break"),
        (" ghp_0123456789abcdef", "leading or trailing whitespace"),
        ("ghp_0123456789abcdef\t", "leading or trailing whitespace"),
    ] {
        // Once a panic inside the HTTP client (exit 101).
        let (code, stdout, stderr) = forge_run(Some(token), "http://127.0.0.1:9");
        assert_eq!(code, 2, "{token:?}: {stderr}");
        assert!(
            stderr.contains("GITHUB_TOKEN contains") && stderr.contains(says),
            "{stderr}"
        );
        assert!(!stderr.contains("0123456789abcdef") && !stdout.contains("0123456789abcdef"));
    }
}

#[test]
fn a_token_too_short_to_be_one_is_refused_rather_than_redacted_everywhere() {
    // Once skipped by redaction (under 8 characters): now it cannot be used at all.
    let (code, _, stderr) = forge_run(Some("abc"), "http://127.0.0.1:9");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("GITHUB_TOKEN is 3 character(s) long"),
        "{stderr}"
    );
    assert!(!stderr.contains("abc"), "{stderr}");
}

#[test]
fn no_token_is_said_up_front_with_where_vouch_looked() {
    let (code, _, stderr) = forge_run(None, "http://127.0.0.1:9");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("none was found") && stderr.contains("GITHUB_TOKEN and GH_TOKEN"),
        "{stderr}"
    );
}

#[test]
fn a_token_echoed_percent_or_base64_encoded_is_redacted_too() {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let token = super::github::CANARY;
    let basic = STANDARD.encode(format!("x-access-token:{token}"));
    let shifted = STANDARD.encode(format!("u:{token}"));
    let encoded = percent_encoding::utf8_percent_encode(token, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    let gh = super::github::MockGitHub::start();
    gh.mount(
        wiremock::Mock::given(wiremock::matchers::method("GET")).respond_with(
            wiremock::ResponseTemplate::new(403).set_body_json(serde_json::json!({
                "message": format!("denied: Authorization: Basic {basic}; also {shifted}; url ?access_token={encoded}")
            })),
        ),
    );
    let (code, stdout, stderr) = forge_run(Some(token), &gh.server.uri());
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("denied"),
        "the message itself is kept: {stdout}"
    );
    for form in [token, basic.as_str(), shifted.as_str(), encoded.as_str()] {
        assert!(
            !stdout.contains(form) && !stderr.contains(form),
            "{form} in {stdout}"
        );
    }
}
