//! Unit tests of `junit`.

use super::*;
use crate::report::fixtures;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// Parses the document with quick-xml and returns, per element name, its attribute
/// values and text as a reader sees them (entities resolved).
fn parse(xml: &str) -> Vec<Element> {
    let mut reader = Reader::from_str(xml);
    let mut out: Vec<Element> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                out.push(element(&e));
                stack.push(out.len() - 1);
            }
            // An empty element has no End event, so it opens no scope.
            Event::Empty(e) => out.push(element(&e)),
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(t) => {
                if let Some(&i) = stack.last() {
                    out[i].2.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().expect("valid char ref") {
                    Some(c) => c,
                    None => match r.as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "quot" => '"',
                        "apos" => '\'',
                        other => panic!("unknown entity {other:?}"),
                    },
                };
                if let Some(&i) = stack.last() {
                    out[i].2.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty(), "unclosed elements");
    out
}

type Element = (String, Vec<(String, String)>, String);

fn element(e: &BytesStart) -> Element {
    let name = e.name().as_ref().to_string();
    let attrs = e
        .attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            (
                a.key.as_ref().to_string(),
                a.normalized_value(XmlVersion::Explicit1_0)
                    .expect("known entities")
                    .into_owned(),
            )
        })
        .collect();
    (name, attrs, String::new())
}

fn forbidden_in_xml(c: char) -> bool {
    (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

#[test]
fn hostile_text_is_neutralized_and_parses_back() {
    let xml = render(&fixtures::report());
    assert!(!xml.contains("<script>"), "raw markup in\n{xml}");
    assert!(!xml.chars().any(forbidden_in_xml));
    assert!(!xml.contains('\u{202E}'));
    let elements = parse(&xml);
    // What a reader sees is the original text, markup included, as inert data.
    let failure = elements.iter().find(|e| e.0 == "failure").unwrap();
    assert!(failure.2.contains("<script>alert(1)</script>"));
    assert!(failure.2.contains("\\u{1b}[31m"));
    for (_, attrs, text) in &elements {
        assert!(!text.chars().any(forbidden_in_xml));
        for (_, v) in attrs {
            assert!(!v.chars().any(forbidden_in_xml));
            assert!(!v.contains('\n'), "line break in attribute {v:?}");
        }
    }
}

#[test]
fn one_testcase_per_control_with_status_elements_and_counts() {
    let mut r = fixtures::report();
    r.controls.truncate(2);
    // Cover every status: a passing, a waived and a skipped control beside the
    // fixture's failing and erroring ones.
    let mut pass = r.controls[0].clone();
    pass.id = "secrets".into();
    pass.status = Status::Pass;
    pass.findings.clear();
    let mut waived = r.controls[0].clone();
    waived.id = "lint".into();
    waived.status = Status::Waived;
    waived.findings.retain(|f| !f.is_blocking());
    let mut skipped = pass.clone();
    skipped.id = "provenance".into();
    skipped.status = Status::Skipped;
    skipped.summary = "not enabled by the policy".into();
    r.controls.extend([pass, waived, skipped]);

    let xml = render(&r);
    let el = parse(&xml);
    let attr_of = |e: &Element, k: &str| e.1.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let root = &el[0];
    assert_eq!(root.0, "testsuites");
    assert_eq!(attr_of(root, "name").as_deref(), Some("vouch"));
    // Five controls and the attestation step, whose publish failed.
    for (k, v) in [
        ("tests", "6"),
        ("failures", "2"),
        ("errors", "1"),
        ("skipped", "1"),
    ] {
        assert_eq!(attr_of(root, k).as_deref(), Some(v), "{k}");
        assert_eq!(attr_of(&el[1], k).as_deref(), Some(v), "testsuite {k}");
    }
    assert_eq!(
        attr_of(&el[1], "timestamp").as_deref(),
        Some("2026-03-01T12:00:00Z")
    );

    let cases: Vec<usize> = (0..el.len()).filter(|&i| el[i].0 == "testcase").collect();
    let classes: Vec<String> = cases
        .iter()
        .map(|&i| attr_of(&el[i], "classname").unwrap())
        .collect();
    assert_eq!(
        classes,
        [
            "vouch.sast",
            "vouch.sca",
            "vouch.secrets",
            "vouch.lint",
            "vouch.provenance",
            "vouch.attestation"
        ]
    );
    assert_eq!(attr_of(&el[cases[0]], "name").as_deref(), Some("SAST gate"));
    // The element right after each testcase says how it ended.
    assert_eq!(el[cases[0] + 1].0, "failure");
    assert_eq!(el[cases[1] + 1].0, "error");
    assert_eq!(el[cases[2] + 1].0, "system-out");
    assert_eq!(el[cases[3] + 1].0, "system-out");
    assert_eq!(el[cases[4] + 1].0, "skipped");

    // The failure lists every blocking finding with code, location and remediation.
    let failure = &el[cases[0] + 1];
    assert_eq!(failure.2.matches("sast/result-over-threshold").count(), 2);
    assert!(failure.2.contains("sast/required-tool-missing"));
    assert!(failure.2.contains(":12:5"));
    assert!(
        failure
            .2
            .contains(crate::checks::sast::RESULT_OVER_THRESHOLD.remediation)
    );
    // Waived findings are listed with their waiver, not as failures.
    assert!(!failure.2.contains("js/eval"));
    let waived_out = &el[cases[3] + 1].2;
    assert!(waived_out.contains("Semgrep js/eval"));
    assert!(waived_out.contains("waived by exceptions[0] (policy line 31)"));
    assert!(waived_out.contains("reason: constant input only"));
    // The error lists the unreadable report.
    assert!(el[cases[1] + 1].2.contains("sca/unreadable-report"));

    // The failed publish is a failure naming the target; the signed file is output.
    let attestation = &el[cases[5] + 1];
    assert_eq!(attestation.0, "failure");
    let message = attr_of(attestation, "message").unwrap();
    assert!(
        message.starts_with("publishing to github failed: HTTP 403"),
        "{message}"
    );
    assert!(
        el[cases[5] + 2]
            .2
            .contains("signed attestations/vsa.sigstore.json")
    );
}

#[test]
fn attestation_that_succeeded_passes_and_none_adds_no_testcase() {
    let mut r = fixtures::report();
    let a = r.attestation.as_mut().unwrap();
    a.published[0].ok = true;
    a.published[0].detail = "2 attestations".into();
    a.published[0].ids = vec!["101".into(), "102".into()];
    let el = parse(&render(&r));
    let attr_of = |e: &Element, k: &str| e.1.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let case = el
        .iter()
        .position(|e| attr_of(e, "classname").as_deref() == Some("vouch.attestation"))
        .expect("attestation testcase");
    assert_eq!(el[case + 1].0, "system-out");
    assert!(
        el[case + 1]
            .2
            .contains("published to github: 2 attestations (ids 101, 102)")
    );
    let failures: usize = r
        .controls
        .iter()
        .filter(|c| c.status == Status::Fail)
        .count();
    assert_eq!(attr_of(&el[0], "failures"), Some(failures.to_string()));

    r.attestation = None;
    let el = parse(&render(&r));
    assert!(
        !el.iter()
            .any(|e| attr_of(e, "classname").as_deref() == Some("vouch.attestation"))
    );
    assert_eq!(attr_of(&el[0], "tests"), Some(r.controls.len().to_string()));
}

#[test]
fn message_lines_cannot_fake_another_entry() {
    assert_eq!(block("a\n[2] fake\r\nb"), "a\n    | [2] fake\n    | b");
    assert!(
        !block("x\n  ::error::y")
            .lines()
            .any(|l| l.trim_start().starts_with("::"))
    );
    assert_eq!(attr("a\nb\r\nc\rd"), "a b c d");
}
