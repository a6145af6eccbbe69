//! Every sigstore-conformance `bundle-verify` case through `vouch sigstore verify-bundle`,
//! exactly as the suite drives a client (its CLI protocol, argument order included), in
//! artifact mode and in digest mode. A case whose name ends in `_fail` must exit non-zero,
//! every other case must exit 0; the test lists every case it gets wrong.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::support::{corpus, run, vouch};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Artifact,
    Digest,
}

/// Runs one case; returns the exit code and stderr.
fn run_case(cases: &Path, case: &Path, mode: Mode) -> (i32, String, String) {
    let artifact = if case.join("artifact").is_file() {
        case.join("artifact")
    } else {
        cases.join("a.txt")
    };
    let file_or_digest = match mode {
        Mode::Artifact => artifact.display().to_string(),
        Mode::Digest => format!(
            "sha256:{}",
            hex::encode(Sha256::digest(std::fs::read(&artifact).expect("artifact")))
        ),
    };
    let mut cmd = vouch();
    cmd.args(["sigstore", "verify-bundle", "--bundle"])
        .arg(case.join("bundle.sigstore.json"));
    if case.join("key.pub").is_file() {
        cmd.arg("--key").arg(case.join("key.pub"));
    } else {
        let read = |name: &str, default: &str| {
            std::fs::read_to_string(case.join(name))
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| default.to_string())
        };
        cmd.args([
            "--certificate-identity",
            &read("identity", DEFAULT_IDENTITY),
            "--certificate-oidc-issuer",
            &read("issuer", DEFAULT_ISSUER),
        ]);
    }
    if case.join("trusted_root.json").is_file() {
        cmd.arg("--trusted-root")
            .arg(case.join("trusted_root.json"));
    }
    cmd.arg(file_or_digest);
    run(&mut cmd)
}

#[test]
fn every_bundle_verify_case_gives_the_expected_outcome_in_both_modes() {
    let Some(corpus) = corpus() else { return };
    let cases = corpus.join("sigstore-conformance/assets/bundle-verify");
    let mut dirs: Vec<_> = std::fs::read_dir(&cases)
        .expect("bundle-verify cases")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), 70, "SOURCES.md lists 70 cases");
    let mut wrong = Vec::new();
    let (mut passes, mut fails) = (0, 0);
    for case in &dirs {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expect_pass = !name.ends_with("_fail");
        for mode in [Mode::Artifact, Mode::Digest] {
            let (code, stdout, stderr) = run_case(&cases, case, mode);
            let mode_name = if mode == Mode::Artifact {
                "artifact"
            } else {
                "digest"
            };
            // The protocol counts any non-zero exit as a failure; exit 2 (the run could not
            // start) is what an unreadable key gives, as for any unreadable input.
            if (code == 0) != expect_pass {
                wrong.push(format!(
                    "{name} ({mode_name}): expected {}, got exit {code}: {}{}",
                    if expect_pass { "pass" } else { "fail" },
                    stdout.trim(),
                    stderr.trim()
                ));
            } else if expect_pass {
                passes += 1;
            } else {
                fails += 1;
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cases wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!((passes, fails), (21 * 2, 49 * 2));
}

#[test]
fn a_failing_case_says_which_step_failed() {
    let Some(corpus) = corpus() else { return };
    let cases = corpus.join("sigstore-conformance/assets/bundle-verify");
    for (case, step) in [
        ("inclusion-proof-corrupted-hash_fail", "transparency:"),
        ("set-invalid-signature_fail", "transparency:"),
        ("checkpoint-wrong-roothash_fail", "transparency:"),
        ("wrong-material_fail", "digest:"),
        ("bundle-with-root-cert_fail", "chain:"),
        ("managed-key-no-key_fail", "key:"),
        ("intoto-tsa-timestamp-outside-cert-validity_fail", "time:"),
        ("bundle-malformed-json_fail", "parse:"),
    ] {
        let (code, _, stderr) = run_case(&cases, &cases.join(case), Mode::Artifact);
        assert_eq!(code, 1, "{case}: {stderr}");
        assert!(
            stderr.contains(step),
            "{case}: expected a `{step}` error, got {stderr}"
        );
    }
}

/// The bundle model is read and written (attest/ writes what verify/ reads): every
/// passing case, read and written back as v0.3, verifies again, and writing what was
/// read back gives the same bytes. Cases whose v0.1 bundle has no inclusion proof
/// cannot be v0.3 (which requires one) and are counted apart.
#[test]
fn every_passing_bundle_written_back_as_v0_3_verifies_again() {
    use vouch::verify::bundle::Bundle;
    let Some(corpus) = corpus() else { return };
    let cases = corpus.join("sigstore-conformance/assets/bundle-verify");
    let mut dirs: Vec<_> = std::fs::read_dir(&cases)
        .expect("bundle-verify cases")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_dir() && !path.to_string_lossy().ends_with("_fail"))
        .collect();
    dirs.sort();
    let scratch = tempfile::tempdir().unwrap();
    let (mut rewritten, mut without_proof, mut wrong) = (0, 0, Vec::new());
    for case in &dirs {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(case.join("bundle.sigstore.json")).unwrap();
        let bundle = Bundle::from_json(&bytes).expect("a passing case parses");
        if bundle
            .tlog_entries
            .iter()
            .any(|entry| entry.inclusion_proof.is_none())
        {
            without_proof += 1;
            continue;
        }
        let written = bundle.to_json();
        let again = Bundle::from_json(&written).expect("a written bundle reads back");
        assert_eq!(again.to_json(), written, "{name}: writing is stable");
        let copy = scratch.path().join(&name);
        std::fs::create_dir(&copy).unwrap();
        for entry in std::fs::read_dir(case).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
        }
        std::fs::write(copy.join("bundle.sigstore.json"), &written).unwrap();
        for mode in [Mode::Artifact, Mode::Digest] {
            let (code, stdout, stderr) = run_case(&cases, &copy, mode);
            if code != 0 {
                wrong.push(format!("{name}: exit {code}: {stdout}{stderr}"));
            }
        }
        rewritten += 1;
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(rewritten + without_proof, 21);
    assert!(rewritten >= 15, "only {rewritten} cases rewritten");
}
