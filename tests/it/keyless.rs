//! Keyless signing end to end on loopback: `vouch verify --keyless` against the test's
//! own Sigstore (`sigstore_stack`): one Fulcio certificate for the run, a Rekor v1 entry
//! and a timestamp per bundle, every bundle verified by vouch before it is written, and
//! verified again by `vouch attestation verify` with the identity and issuer.

use std::path::Path;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use super::sigstore_stack::{IDENTITY, ISSUER, Log, REKOR_V2, Stack, token};
use super::support::{repo_path, run, tempdir, vouch, write};

const POLICY: &str = "version: 1\nsbom: {}\n";

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub struct Setup {
    _dir: tempfile::TempDir,
    pub root: std::path::PathBuf,
    pub trusted_root: std::path::PathBuf,
    pub signing_config: std::path::PathBuf,
    pub artifact: std::path::PathBuf,
}

pub fn setup(stack: &Stack) -> Setup {
    setup_with(stack, &stack.signing_config())
}

/// A setup whose signing config is `signing_config`.
pub fn setup_with(stack: &Stack, signing_config: &Value) -> Setup {
    let dir = tempdir();
    let root = dir.path().to_path_buf();
    let trusted_root = write(
        &root,
        "trusted_root.json",
        &stack.authority.trusted_root().to_string(),
    );
    let signing_config = write(&root, "signing_config.json", &signing_config.to_string());
    let artifact = write(&root, "ledger-1.0.tar.gz", "the release artifact");
    write(&root, "vouch.yaml", POLICY);
    Setup {
        _dir: dir,
        root,
        trusted_root,
        signing_config,
        artifact,
    }
}

pub fn keyless_verify(setup: &Setup, out: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = vouch();
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd
        .arg("verify")
        .arg("--policy")
        .arg(setup.root.join("vouch.yaml"))
        .arg("--sbom")
        .arg(repo_path("examples/evidence/ledger.cdx.json"))
        .arg("--artifact")
        .arg(&setup.artifact)
        .args(["--repo", "acme/ledger"])
        .arg("--keyless")
        .arg("--signing-config")
        .arg(&setup.signing_config)
        .arg("--trusted-root")
        .arg(&setup.trusted_root)
        .arg("--attest-out")
        .arg(setup.root.join(out)))
}

fn gate(setup: &Setup, file: &Path, identity: &str, issuer: &str) -> (i32, String, String) {
    run(vouch()
        .args(["attestation", "verify", "--attestation"])
        .arg(file)
        .arg("--artifact")
        .arg(&setup.artifact)
        .args([
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
        ])
        .arg("--trusted-root")
        .arg(&setup.trusted_root))
}

#[test]
fn a_keyless_run_signs_every_statement_with_one_certificate_and_the_gate_accepts_it() {
    let stack = Stack::start();
    let setup = setup(&stack);
    let jwt = token(now() + 600);
    let (code, stdout, stderr) = keyless_verify(&setup, "out", &[("SIGSTORE_ID_TOKEN", &jwt)]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let out = setup.root.join("out");
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["report.sigstore.json", "vsa.sigstore.json"]);
    // One Fulcio call for the run; one log entry and one timestamp per bundle.
    let requests = stack.requests();
    let count = |p: &str| requests.iter().filter(|(_, path)| path == p).count();
    assert_eq!(count("/api/v2/signingCert"), 1, "{requests:?}");
    assert_eq!(count("/api/v1/log/entries"), 2, "{requests:?}");
    assert_eq!(count("/api/v1/timestamp"), 2, "{requests:?}");
    let certificate = |file: &str| -> Value {
        let bundle: Value =
            serde_json::from_slice(&std::fs::read(out.join(file)).unwrap()).unwrap();
        assert_eq!(
            bundle["mediaType"],
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
        assert!(
            bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
                .is_object()
        );
        assert!(
            bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
                .is_object()
        );
        bundle["verificationMaterial"]["certificate"].clone()
    };
    assert_eq!(
        certificate("vsa.sigstore.json"),
        certificate("report.sigstore.json"),
        "one certificate signs every statement"
    );
    let (code, stdout, stderr) = gate(&setup, &out.join("vsa.sigstore.json"), IDENTITY, ISSUER);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, _, stderr) = gate(
        &setup,
        &out.join("vsa.sigstore.json"),
        "https://github.com/evil/x/.github/workflows/a.yml@refs/heads/main",
        ISSUER,
    );
    assert_eq!(code, 1, "wrong identity: {stderr}");
    assert!(stderr.contains("identity"), "{stderr}");
    let (code, _, stderr) = gate(
        &setup,
        &out.join("vsa.sigstore.json"),
        IDENTITY,
        "https://accounts.google.com",
    );
    assert_eq!(code, 1, "wrong issuer: {stderr}");
    // Against the public-good root instead of the test's, nothing verifies.
    let (code, _, _) = run(vouch()
        .args(["attestation", "verify", "--attestation"])
        .arg(out.join("vsa.sigstore.json"))
        .arg("--artifact")
        .arg(&setup.artifact)
        .args([
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
        ]));
    assert_eq!(code, 1);
    assert!(
        !std::fs::read_to_string(out.join("vsa.sigstore.json"))
            .unwrap()
            .contains(&jwt)
    );
}

#[test]
fn in_github_actions_the_token_is_minted_for_sigstore_and_without_the_permission_the_run_stops() {
    let stack = Stack::start();
    let setup = setup(&stack);
    let jwt = token(now() + 600);
    stack.mount(
        Mock::given(method("GET"))
            .and(path("/token"))
            .and(wiremock::matchers::query_param("audience", "sigstore"))
            .and(wiremock::matchers::header(
                "authorization",
                "bearer request-token-canary-0123",
            ))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": jwt})),
            ),
    );
    let url = format!("{}/token?api-version=2.0", stack.url());
    let (code, stdout, stderr) = keyless_verify(
        &setup,
        "out",
        &[
            ("GITHUB_ACTIONS", "true"),
            ("ACTIONS_ID_TOKEN_REQUEST_URL", &url),
            (
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                "request-token-canary-0123",
            ),
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(!stderr.contains("request-token-canary"));
    let (code, _, stderr) = keyless_verify(&setup, "none", &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("id-token: write"), "{stderr}");
    assert!(!setup.root.join("none").exists());
}

#[test]
fn a_refused_or_unreachable_service_fails_the_run_and_writes_nothing() {
    let stack = Stack::start();
    let setup = setup(&stack);
    // An expired token: refused before any request.
    let (code, _, stderr) = keyless_verify(
        &setup,
        "expired",
        &[("SIGSTORE_ID_TOKEN", &token(now() - 10))],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("expired"), "{stderr}");
    assert!(!setup.root.join("expired").exists());
    // A signing config pointing at a closed port.
    let dead = write(
        &setup.root,
        "dead.json",
        &stack
            .signing_config()
            .to_string()
            .replace(&stack.url(), "http://127.0.0.1:9"),
    );
    let (code, _, stderr) = run(vouch()
        .env("SIGSTORE_ID_TOKEN", token(now() + 600))
        .arg("verify")
        .arg("--policy")
        .arg(setup.root.join("vouch.yaml"))
        .arg("--sbom")
        .arg(repo_path("examples/evidence/ledger.cdx.json"))
        .args([
            "--repo",
            "acme/ledger",
            "--commit",
            "3f786850e387550fdab836ed7e6dc881de23001b",
        ])
        .arg("--keyless")
        .arg("--signing-config")
        .arg(&dead)
        .arg("--trusted-root")
        .arg(&setup.trusted_root)
        .arg("--attest-out")
        .arg(setup.root.join("dead")));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("Fulcio"), "{stderr}");
    assert!(!setup.root.join("dead").exists());
}

/// The transparency-log entries of a bundle vouch wrote: (kind, version, log key id).
fn entries_of(file: &Path) -> Vec<(String, String, String)> {
    let bundle: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    bundle["verificationMaterial"]["tlogEntries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kindVersion"]["kind"].as_str().unwrap().to_owned(),
                e["kindVersion"]["version"].as_str().unwrap().to_owned(),
                e["logId"]["keyId"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Signing with Rekor v2: a `hashedrekord` 0.0.2 over the envelope's PAE in each log the
/// selector asks for (the highest API version listed wins over v1, `ALL` takes every v2
/// log, `EXACT` the first `count`), a timestamp per bundle since v2 gives no signed time,
/// and the bundles pass the gate.
#[test]
fn rekor_v2_logs_are_chosen_by_version_and_selector_and_their_entries_verify() {
    let v2a = format!("{}/api/v2/log/entries", REKOR_V2[0].0);
    let v2b = format!("{}/api/v2/log/entries", REKOR_V2[1].0);
    for (logs, selector, expected) in [
        (
            vec![Log::V1, Log::V2(0)],
            json!({"selector": "ANY"}),
            vec![&v2a],
        ),
        (
            vec![Log::V1, Log::V2(0), Log::V2(1)],
            json!({"selector": "ALL"}),
            vec![&v2a, &v2b],
        ),
        (
            vec![Log::V2(1), Log::V2(0)],
            json!({"selector": "EXACT", "count": 1}),
            vec![&v2b],
        ),
    ] {
        let stack = Stack::start();
        let setup = setup_with(&stack, &stack.signing_config_with(&logs, selector.clone()));
        let (code, stdout, stderr) =
            keyless_verify(&setup, "out", &[("SIGSTORE_ID_TOKEN", &token(now() + 600))]);
        assert_eq!(code, 0, "{selector}: {stdout}\n{stderr}");
        let requests = stack.requests();
        let count = |p: &str| requests.iter().filter(|(_, path)| path == p).count();
        assert_eq!(
            count("/api/v1/log/entries"),
            0,
            "{selector}: v1 is not used"
        );
        for log in [&v2a, &v2b] {
            let times = if expected.contains(&log) { 2 } else { 0 };
            assert_eq!(count(log), times, "{selector}: {log}: {requests:?}");
        }
        assert_eq!(count("/api/v1/timestamp"), 2, "{selector}");
        for file in ["vsa.sigstore.json", "report.sigstore.json"] {
            let path = setup.root.join("out").join(file);
            let entries = entries_of(&path);
            assert_eq!(entries.len(), expected.len(), "{selector}: {entries:?}");
            assert!(
                entries
                    .iter()
                    .all(|(kind, version, _)| kind == "hashedrekord" && version == "0.0.2"),
                "{entries:?}"
            );
        }
        let vsa = setup.root.join("out/vsa.sigstore.json");
        let (code, stdout, stderr) = gate(&setup, &vsa, IDENTITY, ISSUER);
        assert_eq!(code, 0, "{selector}: {stdout}{stderr}");
    }
}

/// Rekor v2 without a timestamp authority cannot date the signature: the run stops as
/// a usage error before collecting evidence or asking Fulcio for anything.
#[test]
fn rekor_v2_without_a_timestamp_authority_is_refused_up_front() {
    let stack = Stack::start();
    let mut config = stack.signing_config_with(&[Log::V2(0)], json!({"selector": "ANY"}));
    config["tsaUrls"] = json!([]);
    let setup = setup_with(&stack, &config);
    let (code, stdout, stderr) =
        keyless_verify(&setup, "out", &[("SIGSTORE_ID_TOKEN", &token(now() + 600))]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(stderr.contains("no timestamp authority"), "{stderr}");
    assert!(stack.requests().is_empty(), "{:?}", stack.requests());
    assert!(!setup.root.join("out/vsa.sigstore.json").exists());
}

/// A Rekor v2 answer whose checkpoint the trusted root cannot vouch for fails the
/// self-check: the run exits 1 and writes nothing.
#[test]
fn a_rekor_v2_entry_from_an_untrusted_log_key_is_never_written() {
    let stack = Stack::start();
    let setup = setup_with(
        &stack,
        &stack.signing_config_with(&[Log::V2(0)], json!({"selector": "ANY"})),
    );
    stack.make_rekor_v2_rogue(0);
    let (code, stdout, stderr) =
        keyless_verify(&setup, "out", &[("SIGSTORE_ID_TOKEN", &token(now() + 600))]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("checkpoint"), "{stderr}");
    assert!(!setup.root.join("out/vsa.sigstore.json").exists());
    assert!(!setup.root.join("out/report.sigstore.json").exists());
}
