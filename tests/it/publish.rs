//! Publishing what was signed: GitHub's attestation API on a loopback mock (exactly
//! `{"bundle": …}` with the right headers; 403/404/422/5xx and an unreachable API each
//! reported, the files kept, exit 1, no token anywhere), and Rekor for key-signed
//! bundles (logged before written, verified in full; a 409 reads the existing entry).

use serde_json::Value;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

use super::keyless::{Setup, now, setup};
use super::sigstore_stack::{Stack, token};
use super::support::{repo_path, run, vouch, write};

const CANARY: &str = "ghp_PUBLISHcanary0123456789abcdefABCDEF";

fn publish_run(
    stack: &Stack,
    setup: &Setup,
    out: &str,
    api_url: &str,
) -> (i32, String, String, Value) {
    let report = setup.root.join(format!("{out}.json"));
    let (code, stdout, stderr) = run(vouch()
        .env("SIGSTORE_ID_TOKEN", token(now() + 600))
        .env("GITHUB_TOKEN", CANARY)
        .arg("verify")
        .arg("--policy")
        .arg(setup.root.join("vouch.yaml"))
        .arg("--sbom")
        .arg(repo_path("examples/evidence/ledger.cdx.json"))
        .arg("--artifact")
        .arg(&setup.artifact)
        .args(["--repo", "acme/ledger", "--keyless"])
        .arg("--signing-config")
        .arg(&setup.signing_config)
        .arg("--trusted-root")
        .arg(&setup.trusted_root)
        .arg("--attest-out")
        .arg(setup.root.join(out))
        .args(["--publish", "github", "--api-url", api_url])
        .arg("--format")
        .arg(format!("json={}", report.display())));
    let _ = stack;
    let json =
        serde_json::from_slice(&std::fs::read(&report).unwrap_or_default()).unwrap_or(Value::Null);
    (code, stdout, stderr, json)
}

#[test]
fn bundles_reach_the_github_attestation_api_as_bundle_objects_with_the_right_headers() {
    let stack = Stack::start();
    let setup = setup(&stack);
    stack.mount(
        Mock::given(method("POST"))
            .and(path("/repos/acme/ledger/attestations"))
            .and(header("authorization", format!("Bearer {CANARY}").as_str()))
            .and(header("x-github-api-version", "2022-11-28"))
            .and(header("accept", "application/vnd.github+json"))
            .respond_with(
                ResponseTemplate::new(201).set_body_json(serde_json::json!({"id": 4242})),
            ),
    );
    let (code, stdout, stderr, report) = publish_run(&stack, &setup, "out", &stack.url());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("github ids: 4242, 4242"), "{stderr}");
    assert_eq!(report["attestation"]["published"][0]["ok"], true);
    assert_eq!(report["attestation"]["published"][0]["ids"][0], "4242");
    let posted: Vec<Value> = stack
        .runtime
        .block_on(stack.server.received_requests())
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/repos/acme/ledger/attestations")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(posted.len(), 2);
    for (body, file) in posted
        .iter()
        .zip(["vsa.sigstore.json", "report.sigstore.json"])
    {
        assert_eq!(
            body.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["bundle"]
        );
        let written: Value =
            serde_json::from_slice(&std::fs::read(setup.root.join("out").join(file)).unwrap())
                .unwrap();
        assert_eq!(body["bundle"], written, "{file}");
    }
    for entry in std::fs::read_dir(setup.root.join("out")).unwrap() {
        assert!(
            !std::fs::read_to_string(entry.unwrap().path())
                .unwrap()
                .contains(CANARY)
        );
    }
    assert!(!stderr.contains(CANARY) && !stdout.contains(CANARY));
    assert!(!report.to_string().contains(CANARY));
}

#[test]
fn every_github_refusal_is_reported_keeps_the_files_and_exits_1() {
    // GitHub's own messages tell the causes of a 403 apart; an unknown one names both.
    let plan = "Feature not available for user-owned private repositories. To enable this feature, please make this repository public.";
    for (status, message, says) in [
        (
            403,
            "Resource not accessible by integration",
            "lacks the permission: add `permissions: attestations: write`",
        ),
        (403, plan, "need GitHub Enterprise Cloud"),
        (
            403,
            "Forbidden",
            "either the token lacks `permissions: attestations: write`, or the repository is private",
        ),
        (404, "Not Found", "cannot see it"),
        (422, "Unprocessable", "refused the bundle"),
        (500, "oops", "HTTP 500"),
    ] {
        let stack = Stack::start();
        let setup = setup(&stack);
        stack.mount(
            Mock::given(method("POST"))
                .and(path("/repos/acme/ledger/attestations"))
                .respond_with(
                    ResponseTemplate::new(status).set_body_json(
                        serde_json::json!({"message": format!("{message} {CANARY}")}),
                    ),
                ),
        );
        let (code, _, stderr, report) = publish_run(&stack, &setup, "out", &stack.url());
        assert_eq!(code, 1, "{status}: {stderr}");
        assert!(stderr.contains(says), "{status}: {stderr}");
        assert!(
            !stderr.contains(CANARY),
            "{status}: the echoed token is redacted: {stderr}"
        );
        assert_eq!(
            report["attestation"]["published"][0]["ok"], false,
            "{status}"
        );
        assert!(!report.to_string().contains(CANARY));
        assert!(
            setup.root.join("out/vsa.sigstore.json").is_file(),
            "{status}: files kept"
        );
        let attempts = stack
            .runtime
            .block_on(stack.server.received_requests())
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == "/repos/acme/ledger/attestations")
            .count();
        // A 5xx is retried a bounded number of times; a refusal is not retried.
        assert_eq!(attempts, if status == 500 { 3 } else { 1 }, "{status}");
    }
    // An API that cannot be reached.
    let stack = Stack::start();
    let setup = setup(&stack);
    let (code, _, stderr, report) = publish_run(&stack, &setup, "out", "http://127.0.0.1:9");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("cannot connect"), "{stderr}");
    assert_eq!(report["attestation"]["published"][0]["ok"], false);
    assert!(setup.root.join("out/vsa.sigstore.json").is_file());
}

/// An API that takes the request and drops the connection without answering: retried
/// a bounded number of times, then a failure that keeps the files and exits 1.
#[test]
fn a_dropped_connection_is_retried_a_bounded_number_of_times_then_reported() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            // Read the request head, then hang up without a status line.
            let mut head = [0u8; 1024];
            let _ = stream.read(&mut head);
            drop(stream);
        }
    });
    let stack = Stack::start();
    let setup = setup(&stack);
    let (code, _, stderr, report) = publish_run(&stack, &setup, "out", &api);
    assert_eq!(code, 1, "{stderr}");
    let published = &report["attestation"]["published"][0];
    assert_eq!(published["ok"], false, "{report}");
    assert!(
        published["detail"]
            .as_str()
            .unwrap()
            .contains("GitHub attestations API"),
        "{published}"
    );
    assert_eq!(
        accepted.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "three attempts, then it stops"
    );
    assert!(setup.root.join("out/vsa.sigstore.json").is_file());
    assert!(!stderr.contains(CANARY));
}

#[test]
fn a_key_signed_vsa_published_to_rekor_is_logged_verified_and_a_409_is_success() {
    let stack = Stack::start();
    let setup = setup(&stack);
    // The key is made in the test: a P-256 key from fixed bytes.
    let signing = p256::SecretKey::from_slice(&[9u8; 32]).unwrap();
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey};
    let key = write(
        &setup.root,
        "k.pem",
        &signing.to_pkcs8_pem(Default::default()).unwrap(),
    );
    let public = write(
        &setup.root,
        "k.pub",
        &signing
            .public_key()
            .to_public_key_pem(Default::default())
            .unwrap(),
    );
    let (code, _, stderr) = run(vouch()
        .arg("verify")
        .arg("--policy")
        .arg(setup.root.join("vouch.yaml"))
        .arg("--sbom")
        .arg(repo_path("examples/evidence/ledger.cdx.json"))
        .arg("--artifact")
        .arg(&setup.artifact)
        .args(["--repo", "acme/ledger"])
        .arg("--sign-key")
        .arg(&key)
        .arg("--signing-config")
        .arg(&setup.signing_config)
        .arg("--trusted-root")
        .arg(&setup.trusted_root)
        .arg("--attest-out")
        .arg(setup.root.join("out"))
        .args(["--publish", "rekor"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("publish rekor: 2 entr(ies) logged"),
        "{stderr}"
    );
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(setup.root.join("out/vsa.sigstore.json")).unwrap())
            .unwrap();
    assert_eq!(
        bundle["verificationMaterial"]["tlogEntries"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (code, _, stderr) = run(vouch()
        .args(["attestation", "verify", "--attestation"])
        .arg(setup.root.join("out/vsa.sigstore.json"))
        .arg("--artifact")
        .arg(&setup.artifact)
        .arg("--key")
        .arg(&public)
        .arg("--trusted-root")
        .arg(&setup.trusted_root));
    assert_eq!(
        code, 0,
        "a logged key-signed bundle verifies in full: {stderr}"
    );
    // Logging the same envelope again (a retried request that had landed) gives the
    // entry Rekor already holds.
    let envelope = vouch::verify::dsse::Envelope::from_value(&bundle["dsseEnvelope"]).unwrap();
    let http =
        vouch::attest::http::Http::new(std::time::Duration::from_secs(10), Vec::new()).unwrap();
    let service = vouch::attest::signing_config::Service {
        url: stack.url(),
        major_api_version: 1,
        valid_for: None,
        operator: None,
    };
    let spki = signing.public_key().to_public_key_der().unwrap();
    let again = vouch::attest::sign::rekor::log_envelope(
        &http,
        &service,
        &envelope,
        &vouch::attest::sign::rekor::Verifier::Key(spki.as_bytes(), "PKIX_ECDSA_P256_SHA_256"),
    )
    .unwrap();
    assert_eq!(
        again.log_index.to_string(),
        bundle["verificationMaterial"]["tlogEntries"][0]["logIndex"]
            .as_str()
            .unwrap()
    );
    assert_eq!(
        http.requests(),
        2,
        "the POST answered 409, then one GET of the entry"
    );
}

#[test]
fn on_gitlab_a_tag_gets_the_bundles_as_release_links_and_a_branch_keeps_them_as_artifacts() {
    let stack = Stack::start();
    let setup = setup(&stack);
    stack.mount(
        Mock::given(method("PUT"))
            .and(wiremock::matchers::path_regex(
                r"^/api/v4/projects/7/packages/generic/vouch-attestations/v1\.4\.0/(vsa|report)\.sigstore\.json$",
            ))
            .and(header("job-token", "job-token-canary-0123"))
            .respond_with(ResponseTemplate::new(201)),
    );
    stack.mount(
        Mock::given(method("POST"))
            .and(path("/api/v4/projects/7/releases/v1.4.0/assets/links"))
            .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({"id": 11}))),
    );
    let gitlab = |out: &str, tag: Option<&str>| {
        let mut cmd = vouch();
        cmd.env("SIGSTORE_ID_TOKEN", token(now() + 600))
            .env("GITLAB_CI", "true")
            .env("CI_API_V4_URL", format!("{}/api/v4", stack.url()))
            .env("CI_PROJECT_ID", "7")
            .env("CI_PROJECT_PATH", "acme/ledger")
            .env("CI_JOB_TOKEN", "job-token-canary-0123");
        if let Some(tag) = tag {
            cmd.env("CI_COMMIT_TAG", tag);
        }
        run(cmd
            .arg("verify")
            .arg("--policy")
            .arg(setup.root.join("vouch.yaml"))
            .arg("--sbom")
            .arg(repo_path("examples/evidence/ledger.cdx.json"))
            .arg("--artifact")
            .arg(&setup.artifact)
            .arg("--keyless")
            .arg("--signing-config")
            .arg(&setup.signing_config)
            .arg("--trusted-root")
            .arg(&setup.trusted_root)
            .arg("--attest-out")
            .arg(setup.root.join(out))
            .args(["--publish", "gitlab"]))
    };
    let (code, _, stderr) = gitlab("tagged", Some("v1.4.0"));
    let seen: Vec<String> = stack
        .runtime
        .block_on(stack.server.received_requests())
        .unwrap()
        .iter()
        .map(|r| format!("{} {} {:?}", r.method, r.url, r.headers.get("job-token")))
        .collect();
    assert_eq!(code, 0, "{stderr}\n{seen:?}");
    assert!(
        stderr.contains("2 bundle(s) attached to release v1.4.0"),
        "{stderr}"
    );
    let (code, _, stderr) = gitlab("branch", None);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("stay job artifacts"), "{stderr}");
    assert!(!stderr.contains("job-token-canary"));
}
