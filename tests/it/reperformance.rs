//! Re-performance an auditor can trust: `vouch evaluate DIR` derives the evidence again
//! from the saved inputs and forge answers, and refuses a directory that was edited.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::github::{self, HEAD, MockGitHub};
use super::support::{json as parse_json, run, tempdir, vouch, write};

/// A cargo-audit report with one unrated advisory (gates at `high` via `unrated_as`).
const AUDIT: &str = r#"{"database": {}, "lockfile": {"dependency-count": 3}, "vulnerabilities": {"found": true, "count": 1, "list": [
  {"advisory": {"id": "RUSTSEC-2024-0001", "title": "t"}, "package": {"name": "bad", "version": "1.0.0"}, "versions": {"patched": ["1.0.1"]}}]}}"#;

/// Runs `vouch verify` on the audit report with an exception that expired in 2020;
/// returns the evidence directory (failing run, exit 1).
fn failing_run(dir: &Path) -> PathBuf {
    let audit = write(dir, "audit.json", AUDIT);
    let policy = write(
        dir,
        "vouch.yaml",
        "version: 1\nsca: {}\nexceptions:\n  - control: sca\n    match: {id: RUSTSEC-2024-0001}\n    reason: r\n    owner: o\n    expires: 2020-01-31\n",
    );
    let out = dir.join("evidence");
    let (code, _, stderr) = run(vouch()
        .arg("verify")
        .arg("--policy")
        .arg(&policy)
        .arg("--sca")
        .arg(&audit)
        .arg("--evidence-out")
        .arg(&out));
    assert_eq!(code, 1, "{stderr}");
    out
}

fn evaluate(dir: &Path) -> (i32, String, String) {
    run(vouch().arg("evaluate").arg(dir).args(["--format", "json"]))
}

/// `vouch evaluate DIR --policy POLICY`.
fn evaluate_with(dir: &Path, policy: &Path) -> (i32, String, String) {
    run(vouch().arg("evaluate").arg(dir).arg("--policy").arg(policy))
}

/// `vouch evaluate DIR` refuses the directory (exit 2), saying `says`.
fn assert_refused(dir: &Path, says: &str) {
    let (code, _, stderr) = evaluate(dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(says), "{stderr}");
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    vouch::collect::sha256_hex(bytes)
}

/// Rewrites `file` in the directory, and (as an attacker with write access would) the
/// manifest's record of it, so only re-derivation can tell.
fn forge_file(dir: &Path, file: &str, bytes: &[u8]) {
    std::fs::write(dir.join(file), bytes).unwrap();
    let mut manifest = read_json(&dir.join("manifest.json"));
    for entry in manifest["files"].as_array_mut().unwrap() {
        if entry["path"] == file {
            entry["sha256"] = json!(sha256(bytes));
            entry["size"] = json!(bytes.len());
        }
    }
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
}

#[test]
fn the_directory_keeps_each_input_and_a_manifest_of_every_file() {
    let dir = tempdir();
    let out = failing_run(dir.path());
    let manifest = read_json(&out.join("manifest.json"));
    let stored = format!("inputs/{}", sha256(AUDIT.as_bytes()));
    assert_eq!(
        std::fs::read(out.join(&stored)).unwrap(),
        AUDIT.as_bytes(),
        "the input is kept byte for byte"
    );
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    for expected in [stored.as_str(), "evidence.json", "policy.yaml"] {
        assert!(files.contains(&expected), "{files:?}");
    }
    let (code, stdout, stderr) = evaluate(&out);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(parse_json(&stdout)["waivers"][0]["state"], "expired");
}

#[test]
fn an_edited_evidence_file_is_refused_even_with_a_matching_manifest() {
    type Edit = fn(&mut Value);
    let edits: [(&str, Edit); 3] = [
        ("deleted vulnerability", |e| {
            e["sca"][0]["observed"]["observed"]["vulnerabilities"] = json!([])
        }),
        ("backdated collection", |e| {
            e["collected_at"] = json!("2020-01-01T00:00:00Z")
        }),
        ("emptied report", |e| e["sca"] = json!([])),
    ];
    for (what, edit) in edits {
        let dir = tempdir();
        let out = failing_run(dir.path());
        let mut evidence = read_json(&out.join("evidence.json"));
        edit(&mut evidence);
        // Edited but not re-recorded: the manifest catches it.
        std::fs::write(out.join("evidence.json"), evidence.to_string()).unwrap();
        let (code, _, stderr) = evaluate(&out);
        assert_eq!(code, 2, "{what}: {stderr}");
        assert!(
            stderr.contains("the directory was edited"),
            "{what}: {stderr}"
        );
        // Re-recorded too: re-deriving from the saved input catches it.
        forge_file(&out, "evidence.json", evidence.to_string().as_bytes());
        let (code, _, stderr) = evaluate(&out);
        assert_eq!(code, 2, "{what}: {stderr}");
        assert!(
            stderr.contains("disagrees with what its inputs give"),
            "{what}: {stderr}"
        );
    }
}

#[test]
fn a_swapped_policy_or_input_is_refused() {
    let dir = tempdir();
    let out = failing_run(dir.path());
    std::fs::write(out.join("policy.yaml"), "version: 1\nsast: {}\n").unwrap();
    let (code, _, stderr) = evaluate(&out);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("policy.yaml") && stderr.contains("edited"),
        "{stderr}"
    );

    let dir = tempdir();
    let out = failing_run(dir.path());
    let stored = out.join(format!("inputs/{}", sha256(AUDIT.as_bytes())));
    std::fs::write(&stored, AUDIT.replace("\"count\": 1", "\"count\": 0")).unwrap();
    assert_refused(&out, "edited");

    // A manifest that points outside the directory is refused before anything is read.
    let dir = tempdir();
    let out = failing_run(dir.path());
    let mut manifest = read_json(&out.join("manifest.json"));
    manifest["files"][0]["path"] = json!("../../etc/passwd");
    std::fs::write(out.join("manifest.json"), manifest.to_string()).unwrap();
    assert_refused(&out, "not a path inside the directory");
}

#[test]
fn a_directory_without_a_manifest_is_not_re_performed() {
    let dir = tempdir();
    let out = failing_run(dir.path());
    std::fs::remove_file(out.join("manifest.json")).unwrap();
    assert_refused(&out, "manifest");
}

#[test]
fn forge_evidence_is_replayed_from_the_transcript_offline() {
    let dir = tempdir();
    let out = dir.path().join("evidence");
    let json_path = dir.path().join("original.json");
    {
        let gh = MockGitHub::start();
        github::mount_checks(
            &gh,
            json!([github::check_run("build", HEAD, "failure")]),
            json!([]),
        );
        let (code, report, stderr) = gh.verify(
            "version: 1\nrequired_checks:\n  checks: [build]\n",
            &[
                "--evidence-out",
                out.to_str().unwrap(),
                "--format",
                &format!("json={}", json_path.display()),
            ],
        );
        assert_eq!(code, 1, "{report}{stderr}");
        // The mock server stops here: evaluation cannot reach it.
    }
    let saved = read_json(&out.join("evidence.json"));
    let schema = super::support::schema("schemas/evidence.schema.json");
    let errors = super::support::errors(&schema, &saved);
    assert!(errors.is_empty(), "{errors:?}");
    let transcript = read_json(&out.join("forge-transcript.json"));
    assert!(
        transcript["exchanges"].as_array().unwrap().len() >= 2,
        "{transcript}"
    );
    assert!(!transcript.to_string().contains(github::CANARY));
    let (code, stdout, stderr) = evaluate(&out);
    assert_eq!(code, 1, "{stderr}");
    let replay = parse_json(&stdout);
    let original = read_json(&json_path);
    assert_eq!(replay["controls"], original["controls"]);

    // A forged answer ("build" succeeded) is caught: the evidence no longer follows.
    let text = std::fs::read_to_string(out.join("forge-transcript.json")).unwrap();
    let forged = text.replace("failure", "success");
    assert_ne!(forged, text);
    forge_file(&out, "forge-transcript.json", forged.as_bytes());
    let (code, _, stderr) = evaluate(&out);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("disagrees"), "{stderr}");
}

#[test]
fn the_published_evidence_schema_is_current_and_saved_evidence_follows_it() {
    let committed =
        std::fs::read_to_string(super::support::repo_path("schemas/evidence.schema.json"))
            .unwrap_or_default();
    let generated = vouch::evidence::Evidence::json_schema_text();
    if std::env::var_os("VOUCH_WRITE_SCHEMAS").is_some() {
        std::fs::write(
            super::support::repo_path("schemas/evidence.schema.json"),
            &generated,
        )
        .unwrap();
    } else {
        assert_eq!(
            committed, generated,
            "schemas/evidence.schema.json is stale: run the tests with VOUCH_WRITE_SCHEMAS=1"
        );
    }
    let schema = super::support::schema("schemas/evidence.schema.json");
    let dir = tempdir();
    let out = failing_run(dir.path());
    let evidence = read_json(&out.join("evidence.json"));
    let errors = super::support::errors(&schema, &evidence);
    assert!(errors.is_empty(), "{errors:?}");
    // A gap has the stated shape too.
    let mut gap = evidence.clone();
    gap["sca"][0]["observed"] =
        json!({"gap": {"kind": "malformed", "source": "a.json", "detail": "x"}});
    assert!(super::support::errors(&schema, &gap).is_empty());
    gap["sca"][0]["observed"] =
        json!({"Err": {"kind": "malformed", "source": "a.json", "detail": "x"}});
    assert!(!super::support::errors(&schema, &gap).is_empty());
}

#[test]
fn evidence_is_written_only_into_a_new_or_empty_directory_never_through_a_symlink() {
    let dir = tempdir();
    let audit = write(dir.path(), "audit.json", AUDIT);
    let policy = write(dir.path(), "vouch.yaml", "version: 1\nsca: {}\n");
    let run_into = |out: &Path| {
        run(vouch()
            .arg("verify")
            .arg("--policy")
            .arg(&policy)
            .arg("--sca")
            .arg(&audit)
            .arg("--evidence-out")
            .arg(out))
    };
    // A checkout that carries `evidence/policy.yaml` as a symlink to a file of the runner.
    let victim = write(dir.path(), "victim.txt", "keep me");
    let planted = dir.path().join("planted");
    std::fs::create_dir(&planted).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&victim, planted.join("policy.yaml")).unwrap();
    let (code, _, stderr) = run_into(&planted);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is not empty"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    #[cfg(unix)]
    {
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), &link).unwrap();
        let (code, _, stderr) = run_into(&link);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("is a symlink"), "{stderr}");
    }
}

#[test]
fn a_saved_file_replaced_by_a_symlink_is_refused() {
    let dir = tempdir();
    let out = failing_run(dir.path());
    let stored = out.join(format!("inputs/{}", sha256(AUDIT.as_bytes())));
    let elsewhere = write(dir.path(), "elsewhere.json", AUDIT);
    std::fs::remove_file(&stored).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&elsewhere, &stored).unwrap();
        assert_refused(&out, "is a symlink");
    }
}

#[test]
fn a_policy_that_changes_who_may_sign_is_not_re_applied_offline() {
    let dir = tempdir();
    let out = failing_run(dir.path());
    let stricter = write(
        dir.path(),
        "stricter.yaml",
        "version: 1\nsca: {}\nprovenance:\n  identities: ['^https://github.com/acme/']\n",
    );
    let (code, _, stderr) = evaluate_with(&out, &stricter);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("run `vouch verify` with this policy"),
        "{stderr}"
    );
    // A stricter threshold is re-applied as before.
    let threshold = write(
        dir.path(),
        "threshold.yaml",
        "version: 1\nsca: {fail_on: critical}\n",
    );
    let (code, _, stderr) = evaluate_with(&out, &threshold);
    assert_eq!(code, 0, "{stderr}");
}
