//! The SBOM control end to end, on the repository's own fixtures (an npm project with
//! its lockfile): validity, completeness, licenses, banned components, NTIA, subject.

use serde_json::Value;

use super::support::{codes, control, errors, fixture, run, schema, status, tempdir, vouch, write};

/// Runs `vouch verify --sbom … --lockfile …` with `policy`; returns (exit, report).
fn verify(
    policy: &str,
    sbom: &std::path::Path,
    lock: &std::path::Path,
    extra: &[&str],
) -> (i32, Value) {
    let dir = tempdir();
    let policy = write(dir.path(), "vouch.yaml", policy);
    let mut cmd = vouch();
    cmd.arg("verify")
        .arg("--policy")
        .arg(&policy)
        .arg("--sbom")
        .arg(sbom)
        .arg("--lockfile")
        .arg(lock)
        .args(["--format", "json"])
        .args(extra);
    let (code, stdout, stderr) = run(&mut cmd);
    let report: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let errs = errors(&schema("schemas/report.schema.json"), &report);
    assert!(errs.is_empty(), "{errs:?}");
    (code, report)
}

fn app() -> (std::path::PathBuf, std::path::PathBuf) {
    (
        fixture("sbom/app.cdx.json"),
        fixture("sbom/package-lock.json"),
    )
}

#[test]
fn a_complete_valid_sbom_passes_with_defaults() {
    let (sbom, lock) = app();
    let (code, report) = verify("version: 1\nsbom: {}\n", &sbom, &lock, &[]);
    assert_eq!(code, 0, "{report}");
    let summary = control(&report, "sbom")["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        summary.contains("5 component(s), 0 problem(s)"),
        "{summary}"
    );
    assert!(
        summary.contains("checked against 7 locked package(s)"),
        "{summary}"
    );
}

#[test]
fn license_policy_denies_and_allows_by_spdx_semantics() {
    let (sbom, lock) = app();
    // gpl-lib is `GPL-3.0-only OR LicenseRef-acme-commercial`: denying GPL alone leaves
    // the commercial choice; denying both leaves nothing.
    let policy = "version: 1\nsbom:\n  licenses:\n    deny: [GPL-3.0-only]\n";
    assert_eq!(verify(policy, &sbom, &lock, &[]).0, 0);
    let policy =
        "version: 1\nsbom:\n  licenses:\n    deny: [GPL-3.0-only, LicenseRef-acme-commercial]\n";
    let (code, report) = verify(policy, &sbom, &lock, &[]);
    assert_eq!(
        (code, codes(&report, "sbom")),
        (1, vec!["sbom/license-denied".to_string()])
    );
    // An allow list without WTFPL or the commercial license fails left-pad and gpl-lib.
    let policy = "version: 1\nsbom:\n  licenses:\n    allow: [MIT, Apache-2.0]\n";
    let (code, report) = verify(policy, &sbom, &lock, &[]);
    assert_eq!(code, 1);
    let messages: Vec<String> = control(&report, "sbom")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages
            .iter()
            .all(|m| m.starts_with("sbom/license-not-allowed"))
    );
    assert!(
        messages.iter().any(|m| m.contains("left-pad"))
            && messages.iter().any(|m| m.contains("gpl-lib"))
    );
}

#[test]
fn a_banned_component_fails_with_the_reason_and_can_be_waived() {
    let (sbom, lock) = app();
    let policy = "version: 1\nsbom:\n  banned:\n    - purl: \"pkg:npm/event-stream@3.3.6\"\n      reason: compromised release (flatmap-stream)\n";
    let (code, report) = verify(policy, &sbom, &lock, &[]);
    assert_eq!(
        (code, codes(&report, "sbom")),
        (1, vec!["sbom/banned-component".to_string()])
    );
    let message = control(&report, "sbom")["findings"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("flatmap-stream"), "{message}");
    let waived = format!(
        "{policy}max_exception_lifetime_days: 400000\nexceptions:\n  - control: sbom\n    match: {{ id: \"pkg:npm/event-stream@3.3.6\" }}\n    reason: replaced in the next release\n    owner: appsec\n    expires: 2999-01-01\n"
    );
    let (code, report) = verify(&waived, &sbom, &lock, &[]);
    assert_eq!((code, status(&report, "sbom")), (0, "waived"));
}

#[test]
fn missing_phantom_and_mismatched_components_each_have_a_code() {
    let (sbom, lock) = app();
    let mut lockfile: Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    let packages = lockfile["packages"].as_object_mut().unwrap();
    // Not in the SBOM: missing. Gone from the lockfile: the SBOM's lodash is a phantom.
    // Another version: a mismatch.
    packages.insert(
        "node_modules/chalk".into(),
        serde_json::json!({"version": "5.3.0"}),
    );
    packages.remove("node_modules/lodash");
    packages["node_modules/left-pad"]["version"] = "1.2.0".into();
    let dir = tempdir();
    let edited = write(dir.path(), "package-lock.json", &lockfile.to_string());
    let (code, report) = verify("version: 1\nsbom: {}\n", &sbom, &edited, &[]);
    assert_eq!(code, 1);
    let mut got = codes(&report, "sbom");
    got.sort();
    assert_eq!(
        got,
        [
            "sbom/missing-component",
            "sbom/phantom-component",
            "sbom/version-mismatch"
        ]
    );
    let text = control(&report, "sbom")["findings"].to_string();
    assert!(
        text.contains("chalk 5.3.0")
            && text.contains("lodash@4.17.21")
            && text.contains("locked at 1.2.0"),
        "{text}"
    );
}

#[test]
fn required_fields_ntia_score_and_subject_are_gated() {
    let (sbom, lock) = app();
    let policy = "version: 1\nsbom:\n  required_fields: [hashes]\n  min_ntia_score: 1.0\n";
    let (code, report) = verify(
        policy,
        &sbom,
        &lock,
        &["--subject-name", "app", "--subject-version", "2.2.0"],
    );
    assert_eq!(code, 1);
    let mut got = codes(&report, "sbom");
    got.dedup();
    assert_eq!(
        got,
        ["sbom/missing-field", "sbom/subject-mismatch"],
        "{report}"
    );
    // Four components lack hashes; the NTIA score is complete (every element present).
    assert_eq!(
        codes(&report, "sbom")
            .iter()
            .filter(|c| *c == "sbom/missing-field")
            .count(),
        4
    );
    let summary = control(&report, "sbom")["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(summary.contains("NTIA score 1.00"), "{summary}");
    // The same SBOM as 1.6 is too old for a 1.7 minimum and JSON is not XML.
    let policy = "version: 1\nsbom:\n  min_spec_version: \"1.7\"\n  formats: [cyclonedx-xml]\n";
    let (_, report) = verify(policy, &sbom, &lock, &[]);
    let mut got = codes(&report, "sbom");
    got.sort();
    assert_eq!(got, ["sbom/format-not-allowed", "sbom/spec-too-old"]);
}

#[test]
fn sbom_check_runs_the_control_alone() {
    let (sbom, lock) = app();
    let (code, stdout, stderr) = run(vouch()
        .args(["sbom", "check"])
        .arg(&sbom)
        .arg("--lockfile")
        .arg(&lock));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("sbom") && stdout.contains("pass"),
        "{stdout}"
    );
    // A broken SBOM fails, naming the file, pointer and line.
    let dir = tempdir();
    let broken = write(
        dir.path(),
        "bom.xml",
        "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\" version=\"1\">\n<components>\n<component type=\"nonsense\"><name>x</name></component>\n</components>\n</bom>\n",
    );
    let (code, stdout, _) = run(vouch()
        .args(["sbom", "check"])
        .arg(&broken)
        .args(["--format", "json"]));
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let invalid = control(&report, "sbom")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "sbom/invalid")
        .cloned()
        .unwrap();
    assert_eq!(invalid["location"]["line"], 3, "{invalid}");
    assert!(
        invalid["message"]
            .as_str()
            .unwrap()
            .starts_with("/components/0/type"),
        "{invalid}"
    );
    // An unreadable SBOM is an error, and a policy that needs a lockfile says so.
    let empty = write(dir.path(), "empty.json", "");
    let (code, stdout, _) = run(vouch()
        .args(["sbom", "check"])
        .arg(&empty)
        .args(["--format", "json"]));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((code, status(&report, "sbom")), (1, "error"));
}

#[test]
fn components_cannot_slip_past_bans_or_completeness() {
    let (sbom, lock) = app();
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&sbom).unwrap()).unwrap();
    let components = doc["components"].as_array_mut().unwrap();
    // A library without a purl; a banned package hidden behind a qualifier; a version
    // field that disagrees with the purl.
    components.push(serde_json::json!({"type": "library", "name": "evil", "version": "6.6.6"}));
    components[3]["purl"] = "pkg:npm/event-stream@3.3.6?repository_url=https://evil.example".into();
    components[0]["version"] = "4.17.20".into();
    let dir = tempdir();
    let edited = write(dir.path(), "app.cdx.json", &doc.to_string());
    let policy = "version: 1\nsbom:\n  banned:\n    - purl: \"pkg:npm/event-stream@*\"\n      reason: compromised\n";
    let (code, report) = verify(policy, &edited, &lock, &[]);
    assert_eq!(code, 1);
    let mut got = codes(&report, "sbom");
    got.sort();
    assert_eq!(
        got,
        [
            "sbom/banned-component",
            "sbom/purl-disagrees",
            "sbom/unidentified-component"
        ],
        "{}",
        control(&report, "sbom")
    );
}

#[test]
fn license_lists_take_one_license_per_entry() {
    let (sbom, lock) = app();
    let dir = tempdir();
    let policy = write(
        dir.path(),
        "vouch.yaml",
        "version: 1\nsbom:\n  licenses:\n    deny: [\"GPL-3.0-only AND MIT\"]\n",
    );
    let (code, _, stderr) = run(vouch()
        .arg("verify")
        .arg("--policy")
        .arg(&policy)
        .arg("--sbom")
        .arg(&sbom)
        .arg("--lockfile")
        .arg(&lock));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("one license per entry") && stderr.contains("vouch.yaml:4"),
        "{stderr}"
    );
}

#[test]
fn an_empty_sbom_or_an_empty_lockfile_is_no_evidence_of_completeness() {
    let dir = tempdir();
    let (sbom, lock) = app();
    let policy = "version: 1\nsbom:\n  required_fields: [purl, licenses]\n  min_ntia_score: 0.9\n  require_lockfile: true\n  require_subject: false\n";
    // Zero components once scored NTIA "1.00 (0 of 0)" and passed every field rule.
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&sbom).unwrap()).unwrap();
    doc["components"] = Value::Array(Vec::new());
    doc.as_object_mut().unwrap().remove("dependencies");
    let empty_sbom = write(dir.path(), "empty.cdx.json", &doc.to_string());
    let (code, report) = verify(policy, &empty_sbom, &lock, &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(status(&report, "sbom"), "error");
    assert_eq!(codes(&report, "sbom"), ["sbom/empty"]);

    // A lockfile that lists nothing once made completeness hold vacuously.
    let empty_lock = write(
        dir.path(),
        "package-lock.json",
        r#"{"name": "app", "version": "2.1.0", "lockfileVersion": 3, "packages": {}}"#,
    );
    let (code, report) = verify(policy, &sbom, &empty_lock, &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(status(&report, "sbom"), "error");
    assert!(
        codes(&report, "sbom").contains(&"sbom/empty-lockfile".to_string()),
        "{report}"
    );
}
