//! The report sinks against their external contracts: the SARIF output against the
//! official SARIF 2.1.0 JSON schema (from the shared corpus), the JUnit output against
//! `schemas/junit.xsd` (with xmllint). Each contract also gets a deliberately broken
//! document, to prove the check can fail.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use vouch::report::{Report, junit, sample_report_for_tests, sarif};
use vouch::verdict::Status;

/// Schema violations of a SARIF log, as readable lines; `None` when the corpus with the
/// official schema is not available.
fn sarif_schema_errors(log: &Value) -> Option<Vec<String>> {
    let path = super::support::corpus()?.join("sarif/schema/sarif-2.1.0.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("the SARIF schema is JSON");
    // Formats are checked too: `artifactLocation.uri` must be a real URI reference, which
    // is what the sink's percent-encoding of hostile paths is for.
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    Some(
        validator
            .iter_errors(log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect(),
    )
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let log: Value = serde_json::from_str(&sarif::render(&sample_report_for_tests()))
        .expect("the SARIF sink writes JSON");
    let Some(errors) = sarif_schema_errors(&log) else {
        return;
    };
    assert!(
        errors.is_empty(),
        "SARIF output violates the 2.1.0 schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sarif_schema_check_rejects_a_broken_log() {
    let mut log: Value = serde_json::from_str(&sarif::render(&sample_report_for_tests())).unwrap();
    // Line 0 is what the sink must never write: SARIF lines are 1-based.
    log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    log["version"] = "2.0.0".into();
    let Some(errors) = sarif_schema_errors(&log) else {
        return;
    };
    assert!(errors.len() >= 2, "broken log accepted: {errors:?}");
}

/// Validates a JUnit document with xmllint; `None` when xmllint is not installed.
fn xmllint_junit(xml: &str) -> Option<Result<(), String>> {
    if Command::new("xmllint").arg("--version").output().is_err() {
        super::support::skip(
            "xmllint is not on PATH (install it with `apt-get install -y libxml2-utils`)",
        );
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("junit.xml");
    std::fs::write(&file, xml).expect("write JUnit file");
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/junit.xsd");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&file)
        .output()
        .expect("run xmllint");
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

/// The sample report plus a passing, a waived and a skipped control, so the document
/// has every shape of test case the schema describes.
fn report_with_every_status() -> Report {
    let mut r = sample_report_for_tests();
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
    r.controls.extend([pass, waived, skipped]);
    r
}

#[test]
fn junit_output_is_valid_against_schemas_junit_xsd() {
    for report in [sample_report_for_tests(), report_with_every_status()] {
        let xml = junit::render(&report);
        let Some(result) = xmllint_junit(&xml) else {
            return;
        };
        if let Err(e) = result {
            panic!("JUnit output violates schemas/junit.xsd:\n{e}\n{xml}");
        }
    }
}

#[test]
fn junit_schema_check_rejects_a_broken_document() {
    let xml = junit::render(&sample_report_for_tests());
    // Three drifts the schema must catch: a wrong failure type, an unknown attribute,
    // and an element out of order.
    let broken = [
        xml.replace("type=\"vouch.fail\"", "type=\"AssertionError\""),
        xml.replace("<testcase ", "<testcase time=\"1\" "),
        xml.replacen(
            "<properties>",
            "<testcase classname=\"vouch.x\" name=\"x\"/><properties>",
            1,
        ),
    ];
    for doc in broken {
        assert_ne!(doc, xml, "the test did not break anything");
        let Some(result) = xmllint_junit(&doc) else {
            return;
        };
        assert!(result.is_err(), "broken JUnit accepted:\n{doc}");
    }
}
