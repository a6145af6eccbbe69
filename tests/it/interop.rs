//! What vouch signs keyless verifies with two Sigstore clients nobody here wrote:
//! sigstore-python (PyPI `sigstore` 4.5.1, `sigstore verify identity` with a client trust
//! config naming the test's Sigstore) and sigstore-js (`@sigstore/verify`, pinned by
//! `tests/sigstore-js/package-lock.json`). `.ci/run` installs both; elsewhere the test
//! skips with a message (and fails in CI, where VOUCH_REQUIRE_EXTERNAL=1).

use std::path::{Path, PathBuf};

use serde_json::json;

use super::keyless::{keyless_verify, now, setup};
use super::sigstore_stack::{IDENTITY, ISSUER, Stack, token};
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
    let python = sigstore_python();
    let js = sigstore_js();
    if python.is_none() && js.is_none() {
        return;
    }
    let stack = Stack::start();
    let setup = setup(&stack);
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
                "signingConfig": stack.signing_config(),
            })
            .to_string(),
        );
        for bundle in &bundles {
            let (ok, said) = python_verify(python, &config, bundle, &setup.artifact, IDENTITY);
            assert!(ok, "sigstore-python refused {}: {said}", bundle.display());
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
