//! What vouch signs keyless verifies with two Sigstore clients nobody here wrote:
//! sigstore-python (PyPI `sigstore` 4.5.1, `sigstore verify identity` with a client trust
//! config naming the test's Sigstore) and sigstore-js (`@sigstore/verify`, pinned by
//! `tests/sigstore-js/package-lock.json`). `.ci/run` installs both; elsewhere the test
//! skips with a message (and fails in CI, where VOUCH_REQUIRE_EXTERNAL=1).

use std::path::{Path, PathBuf};

use serde_json::json;

use super::keyless::{keyless_verify, now, setup, setup_with};
use super::sigstore_stack::{IDENTITY, ISSUER, Log, Stack, token};
use super::support::{repo_path, skip, write};

fn sigstore_python() -> Option<PathBuf> {
    let python = std::env::var_os("VOUCH_SIGSTORE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_path("target/sigstore-python/bin/python"));
    if python.is_file() {
        Some(python)
    } else {
        skip(&format!(
            "sigstore-python not found at {} (python3 -m venv target/sigstore-python && target/sigstore-python/bin/pip install sigstore==4.5.1, or set VOUCH_SIGSTORE_PYTHON)",
            python.display()
        ));
        None
    }
}

fn sigstore_js() -> Option<PathBuf> {
    let dir = repo_path("tests/sigstore-js");
    if dir.join("node_modules/@sigstore/verify").is_dir() {
        Some(dir.join("verify.mjs"))
    } else {
        skip("sigstore-js not installed (npm ci --prefix tests/sigstore-js)");
        None
    }
}

fn output(cmd: &mut std::process::Command) -> (bool, String) {
    let out = cmd.output().expect("run the client");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn python_verify(
    python: &Path,
    config: &Path,
    bundle: &Path,
    artifact: &Path,
    identity: &str,
) -> (bool, String) {
    output(
        std::process::Command::new(python)
            .args(["-m", "sigstore", "--trust-config"])
            .arg(config)
            .args(["verify", "identity", "--bundle"])
            .arg(bundle)
            .args(["--cert-identity", identity, "--cert-oidc-issuer", ISSUER])
            .arg(artifact),
    )
}

#[test]
fn keyless_bundles_verify_with_sigstore_python_and_sigstore_js() {
    keyless_bundles_verify_with_both_clients(None, true);
}

/// The same with Rekor v2: a `hashedrekord` 0.0.2 entry over the envelope's PAE, dated
/// by the TSA.
#[test]
fn keyless_bundles_logged_in_rekor_v2_verify_with_sigstore_python_and_sigstore_js() {
    keyless_bundles_verify_with_both_clients(
        Some((vec![Log::V2(0), Log::V2(1)], json!({"selector": "ANY"}))),
        true,
    );
}

/// Selector `ALL` over two v2 logs: each bundle carries two entries, as the signing
/// config asks. sigstore-js verifies them; sigstore-python 4.5.1 refuses any bundle
/// with more than one log entry ("expected exactly one log entry in bundle"), which the
/// README states. The refusal is asserted so that a sigstore-python that lifts it is
/// noticed here.
#[test]
fn keyless_bundles_in_two_rekor_v2_logs_verify_with_sigstore_js_and_sigstore_python_refuses_them() {
    keyless_bundles_verify_with_both_clients(
        Some((vec![Log::V2(0), Log::V2(1)], json!({"selector": "ALL"}))),
        false,
    );
}

fn keyless_bundles_verify_with_both_clients(
    logs: Option<(Vec<Log>, serde_json::Value)>,
    python_accepts: bool,
) {
    let python = sigstore_python();
    let js = sigstore_js();
    if python.is_none() && js.is_none() {
        return;
    }
    let stack = Stack::start();
    let signing_config = match &logs {
        Some((logs, selector)) => stack.signing_config_with(logs, selector.clone()),
        None => stack.signing_config(),
    };
    let setup = setup_with(&stack, &signing_config);
    let (code, stdout, stderr) =
        keyless_verify(&setup, "out", &[("SIGSTORE_ID_TOKEN", &token(now() + 600))]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let bundles =
        ["vsa.sigstore.json", "report.sigstore.json"].map(|f| setup.root.join("out").join(f));
    if let Some(python) = &python {
        let config = write(
            &setup.root,
            "client_trust_config.json",
            &json!({
                "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                "trustedRoot": stack.authority.trusted_root(),
                "signingConfig": signing_config,
            })
            .to_string(),
        );
        for bundle in &bundles {
            let (ok, said) = python_verify(python, &config, bundle, &setup.artifact, IDENTITY);
            if python_accepts {
                assert!(ok, "sigstore-python refused {}: {said}", bundle.display());
            } else {
                assert!(
                    !ok && said.contains("expected exactly one log entry"),
                    "{}: {said}",
                    bundle.display()
                );
            }
        }
        let (ok, _) = python_verify(
            python,
            &config,
            &bundles[0],
            &setup.artifact,
            "https://github.com/evil/x/.github/workflows/a.yml@refs/heads/main",
        );
        assert!(!ok, "sigstore-python must refuse another identity");
        let other = write(&setup.root, "other.tar.gz", "another artifact");
        let (ok, _) = python_verify(python, &config, &bundles[0], &other, IDENTITY);
        assert!(
            !ok,
            "sigstore-python must refuse an artifact the VSA is not about"
        );
    }
    if let Some(js) = &js {
        for bundle in &bundles {
            let (ok, said) = output(
                std::process::Command::new("node")
                    .arg(js)
                    .arg(bundle)
                    .arg(&setup.trusted_root)
                    .args([IDENTITY, ISSUER]),
            );
            assert!(
                ok && said.contains("verified"),
                "sigstore-js refused {}: {said}",
                bundle.display()
            );
        }
        let (ok, _) = output(
            std::process::Command::new("node")
                .arg(js)
                .arg(&bundles[0])
                .arg(&setup.trusted_root)
                .args([IDENTITY, "https://accounts.google.com"]),
        );
        assert!(!ok, "sigstore-js must refuse another issuer");
    }
}

/// `vouch sigstore sign-bundle`, the sigstore-conformance signing protocol, plain and
/// `--in-toto`: each bundle verifies with vouch's `verify-bundle` and with both clients.
#[test]
fn sign_bundle_plain_and_in_toto_verify_with_vouch_and_both_clients() {
    use super::support::{run, vouch};
    let python = sigstore_python();
    let js = sigstore_js();
    let stack = Stack::start();
    let setup = setup(&stack);
    let jwt = token(now() + 600);
    let artifact = setup.artifact.clone();
    let digest = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(std::fs::read(&artifact).unwrap()))
    };
    let statement = write(
        &setup.root,
        "statement.json",
        &json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "ledger-1.0.tar.gz", "digest": {"sha256": digest}}],
            "predicateType": "https://example.test/predicate/v1",
            "predicate": {"note": "signed by sign-bundle"}
        })
        .to_string(),
    );
    for (in_toto, input) in [(false, &artifact), (true, &statement)] {
        let bundle = setup.root.join(if in_toto {
            "in-toto.sigstore.json"
        } else {
            "plain.sigstore.json"
        });
        let mut cmd = vouch();
        cmd.args(["sigstore", "sign-bundle"]);
        if in_toto {
            cmd.arg("--in-toto");
        }
        let (code, _, stderr) = run(cmd
            .args(["--identity-token", &jwt, "--bundle"])
            .arg(&bundle)
            .arg("--trusted-root")
            .arg(&setup.trusted_root)
            .arg("--signing-config")
            .arg(&setup.signing_config)
            .arg(input));
        assert_eq!(code, 0, "sign-bundle (in-toto {in_toto}): {stderr}");
        assert!(!std::fs::read_to_string(&bundle).unwrap().contains(&jwt));
        let (code, _, stderr) = run(vouch()
            .args(["sigstore", "verify-bundle", "--bundle"])
            .arg(&bundle)
            .args([
                "--certificate-identity",
                IDENTITY,
                "--certificate-oidc-issuer",
                ISSUER,
            ])
            .arg("--trusted-root")
            .arg(&setup.trusted_root)
            .arg(&artifact));
        assert_eq!(code, 0, "verify-bundle (in-toto {in_toto}): {stderr}");
        if let Some(python) = &python {
            let config = write(
                &setup.root,
                "client_trust_config.json",
                &json!({
                    "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                    "trustedRoot": stack.authority.trusted_root(),
                    "signingConfig": stack.signing_config(),
                })
                .to_string(),
            );
            let (ok, said) = python_verify(python, &config, &bundle, &artifact, IDENTITY);
            assert!(ok, "sigstore-python (in-toto {in_toto}): {said}");
        }
        if let Some(js) = &js {
            let mut cmd = std::process::Command::new("node");
            cmd.arg(js)
                .arg(&bundle)
                .arg(&setup.trusted_root)
                .args([IDENTITY, ISSUER]);
            if !in_toto {
                cmd.arg(&artifact);
            }
            let (ok, said) = output(&mut cmd);
            assert!(ok, "sigstore-js (in-toto {in_toto}): {said}");
        }
    }
}
