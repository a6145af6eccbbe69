//! Unit tests of `sarif`.

use super::*;
use crate::report::fixtures;
use serde_json::Value;

fn rendered() -> Value {
    serde_json::from_str(&render(&fixtures::report())).expect("valid JSON")
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push(k.clone());
            strings(x, out);
        }),
        _ => {}
    }
}

#[test]
fn no_string_carries_escapes_or_bidi_controls() {
    let raw = render(&fixtures::report());
    assert!(!raw.contains('\x1b') && !raw.contains('\x07'));
    let mut all = Vec::new();
    strings(&rendered(), &mut all);
    for s in &all {
        assert!(
            !s.chars()
                .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{202E}'),
            "raw control in {s:?}"
        );
    }
    // The hostile text is still there, made visible rather than dropped.
    assert!(all.iter().any(|s| s.contains("\\u{1b}[31m")));
}

#[test]
fn shape_follows_sarif_and_github() {
    let log = rendered();
    assert_eq!(log["$schema"], SARIF_SCHEMA);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "vouch");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    // 4 SAST findings (one waived) + 2 SCA findings + 1 peer-review finding.
    assert_eq!(results.len(), 7);
    // One rule per distinct code, documented from the registry.
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "sast/result-over-threshold",
            "sast/required-tool-missing",
            "sca/unreadable-report",
            "sca/vulnerable-dependency",
            "peer-review/stale-approval"
        ]
    );
    assert_eq!(
        rules[0]["shortDescription"]["text"],
        crate::checks::sast::RESULT_OVER_THRESHOLD.meaning
    );
    assert_eq!(
        rules[0]["help"]["text"],
        crate::checks::sast::RESULT_OVER_THRESHOLD.remediation
    );
    assert_eq!(rules[0]["properties"]["security-severity"], "9.5");
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(r["ruleId"], rules[idx]["id"]);
        assert_eq!(r["level"], "error");
        assert_eq!(r["locations"].as_array().unwrap().len(), 1);
        let fp = r["partialFingerprints"][FINGERPRINT_KEY].as_str().unwrap();
        let (hash, rank) = fp.split_once(':').expect("hash:rank");
        assert_eq!(hash.len(), 64);
        assert!(rank.parse::<u32>().unwrap() >= 1);
        if let Some(region) = r["locations"][0]["physicalLocation"].get("region") {
            assert!(region["startLine"].as_u64().unwrap() >= 1);
        }
    }
}

#[test]
fn results_carry_locations_severity_and_suppressions() {
    let log = rendered();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let loc = |i: usize| &results[i]["locations"][0]["physicalLocation"];

    // Line 0 yields no region; the `%20` escape of a URI input is kept.
    assert_eq!(
        loc(0)["artifactLocation"]["uri"],
        "file:///src/server%20old.js"
    );
    assert!(loc(0).get("region").is_none());
    assert_eq!(results[0]["properties"]["security-severity"], "9.5");

    // The hostile path is percent-encoded: no newline, no `<`, no ESC in the URI.
    let uri = loc(1)["artifactLocation"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("src/app.jsx%0A::error::pwned%0D%0A%3Cscript%3E"));
    assert!(uri.contains("100%25"));
    assert_eq!(loc(1)["region"]["startLine"], 12);
    assert_eq!(loc(1)["region"]["startColumn"], 5);
    assert_eq!(loc(1)["region"]["endLine"], 14);
    assert_eq!(results[1]["properties"]["security-severity"], "8.0");

    // No location: pinned to the policy file, line 1, and says why.
    assert_eq!(loc(2)["artifactLocation"]["uri"], ".vouch/policy.yaml");
    assert_eq!(loc(2)["region"]["startLine"], 1);
    assert!(results[2]["locations"][0]["message"]["text"].is_string());
    assert!(results[2]["properties"].get("security-severity").is_none());

    // The waived finding is kept, as an accepted external suppression.
    let sup = &results[3]["suppressions"][0];
    assert_eq!(sup["kind"], "external");
    assert_eq!(sup["status"], "accepted");
    assert!(
        sup["justification"]
            .as_str()
            .unwrap()
            .starts_with("constant input only")
    );
    assert!(
        results
            .iter()
            .filter(|r| r.get("suppressions").is_some())
            .count()
            == 1
    );
}

#[test]
fn fingerprints_are_stable_and_ignore_lines_and_messages() {
    let r = fixtures::report();
    let f = &r.controls[0].findings[1];
    let mut moved = f.clone();
    moved.message.push_str(" (reworded)");
    moved.location.as_mut().unwrap().line = Some(99);
    assert_eq!(fingerprint(f), fingerprint(&moved));
    let mut other_file = f.clone();
    other_file.location.as_mut().unwrap().path = "src/other.js".into();
    assert_ne!(fingerprint(f), fingerprint(&other_file));
    // Same input, same output, across calls.
    assert_eq!(render(&r), render(&r));
}

#[test]
fn two_results_of_one_rule_in_one_file_are_two_alerts() {
    let mut r = fixtures::report();
    let f = r.controls[0].findings[1].clone();
    let mut twin = f.clone();
    twin.location.as_mut().unwrap().line =
        Some(f.location.as_ref().unwrap().line.unwrap_or(0) + 10);
    r.controls[0].findings.push(twin);
    let fps = fingerprints(&r);
    let n = r.controls[0].findings.len();
    let (a, b) = (&fps[1], &fps[n - 1]);
    assert_ne!(a, b, "same rule, same file, different places");
    assert_eq!(a.0, b.0, "same line-insensitive base");
}

#[test]
fn uri_reference_encodes_what_a_uri_cannot_hold() {
    assert_eq!(uri_reference("src/a b.js"), "src/a%20b.js");
    assert_eq!(uri_reference("src/a%20b.js"), "src/a%20b.js");
    assert_eq!(uri_reference("100%.txt"), "100%25.txt");
    assert_eq!(uri_reference("a?b#c"), "a%3Fb%23c");
    assert_eq!(uri_reference("é"), "%C3%A9");
    assert_eq!(uri_reference("<built-in>"), "%3Cbuilt-in%3E");
}

#[test]
fn attestation_outcome_is_a_tool_notification() {
    let log = rendered();
    let notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    let texts = |level: &str| -> Vec<String> {
        notes
            .iter()
            .filter(|n| n["level"] == level)
            .map(|n| n["message"]["text"].as_str().unwrap().to_owned())
            .filter(|t| t.starts_with("attestation: "))
            .collect()
    };
    let errors = texts("error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("attestation: publishing to github failed: HTTP 403"));
    assert!(texts("note")[0].starts_with("attestation: signed attestations/vsa.sigstore.json"));

    let mut r = fixtures::report();
    r.attestation = None;
    let log: Value = serde_json::from_str(&render(&r)).unwrap();
    let notes = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert!(notes.as_array().is_none_or(|n| n.iter().all(|n| {
        !n["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("attestation: ")
    })));
}
