//! Attestations signed with a key: `vouch verify --attest-out DIR --sign-key KEY` writes
//! a VSA and a detailed report as Sigstore bundles (and the VSA as a bare DSSE envelope),
//! which `vouch attestation verify` and `vouch vsa verify` accept, and reject when
//! anything a deploy gate pins differs. The envelope is also checked here, without
//! vouch's verifier, against the rules slsa-verifier's `verify-vsa` documents.
//! Keys are made in the test.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pkcs8::der::pem::LineEnding;
use pkcs8::{EncodePrivateKey, EncodePublicKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::support::{errors, repo_path, run, tempdir, vouch, write};

const COMMIT: &str = "3f786850e387550fdab836ed7e6dc881de23001b";
const PASSING_POLICY: &str = "version: 1\nsbom: {}\n";

/// A key pair: PKCS#8 PEM private key and SPKI PEM public key, from fixed bytes.
fn key_pair(kind: &str) -> (String, String) {
    let seed: [u8; 32] = Sha256::digest(format!("vouch test key {kind}")).into();
    let (der, public) = match kind {
        "p256" => {
            let key = p256::SecretKey::from_slice(&seed).unwrap();
            (
                key.to_pkcs8_der().unwrap(),
                key.public_key().to_public_key_der().unwrap(),
            )
        }
        "p384" => {
            let mut wide = seed.to_vec();
            wide.extend_from_slice(&seed[..16]);
            let key = p384::SecretKey::from_slice(&wide).unwrap();
            (
                key.to_pkcs8_der().unwrap(),
                key.public_key().to_public_key_der().unwrap(),
            )
        }
        "ed25519" => {
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            (
                key.to_pkcs8_der().unwrap(),
                key.verifying_key().to_public_key_der().unwrap(),
            )
        }
        other => panic!("{other}"),
    };
    (
        pkcs8::der::pem::encode_string("PRIVATE KEY", LineEnding::LF, der.as_bytes()).unwrap(),
        public.to_pem("PUBLIC KEY", LineEnding::LF).unwrap(),
    )
}

/// The PKCS#8 key encrypted with PBES2 (PBKDF2-SHA256, AES-256-CBC) under `password`.
fn encrypted(private_pem: &str, password: &str) -> String {
    let (_, der) = pkcs8::der::pem::decode_vec(private_pem.as_bytes()).unwrap();
    let info = pkcs8::PrivateKeyInfo::try_from(der.as_slice()).unwrap();
    let params = pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(
        2048,
        b"vouch-test-salt!",
        &[7u8; 16],
    )
    .unwrap();
    let document = info.encrypt_with_params(params, password).unwrap();
    pkcs8::der::pem::encode_string("ENCRYPTED PRIVATE KEY", LineEnding::LF, document.as_bytes())
        .unwrap()
}

struct Run {
    _dir: tempfile::TempDir,
    root: PathBuf,
    out: PathBuf,
    public: PathBuf,
}

/// `vouch verify` on the example SBOM and lockfile with `policy`, signed with a `kind` key.
fn signed_run(kind: &str, policy: &str, extra: &[&str]) -> (Run, i32, String) {
    let dir = tempdir();
    let root = dir.path().to_path_buf();
    let (private, public) = key_pair(kind);
    let key = write(&root, "signing.key", &private);
    let public = write(&root, "signing.pub", &public);
    let policy = write(&root, "vouch.yaml", policy);
    let out = root.join("attestations");
    let (code, _, stderr) = run(vouch()
        .arg("verify")
        .arg("--policy")
        .arg(&policy)
        .arg("--sbom")
        .arg(repo_path("examples/evidence/ledger.cdx.json"))
        .arg("--lockfile")
        .arg(repo_path("examples/evidence/Cargo.lock"))
        .args([
            "--repo",
            "acme/ledger",
            "--commit",
            COMMIT,
            "--branch",
            "main",
        ])
        .arg("--attest-out")
        .arg(&out)
        .arg("--sign-key")
        .arg(&key)
        .args(extra));
    (
        Run {
            _dir: dir,
            root,
            out,
            public,
        },
        code,
        stderr,
    )
}

fn attestation_verify(run_: &Run, file: &str, extra: &[&str]) -> (i32, String, String) {
    run(vouch()
        .args(["attestation", "verify", "--attestation"])
        .arg(run_.out.join(file))
        .arg("--key")
        .arg(&run_.public)
        .args(extra))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn payload(envelope: &Value) -> Value {
    serde_json::from_slice(
        &STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn a_run_signed_with_each_kind_of_key_verifies_as_a_deploy_gate_checks_it() {
    for kind in ["p256", "p384", "ed25519"] {
        let (signed, code, stderr) = signed_run(kind, PASSING_POLICY, &[]);
        assert_eq!(code, 0, "{kind}: {stderr}");
        let mut files: Vec<String> = std::fs::read_dir(&signed.out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(
            files,
            ["report.sigstore.json", "vsa.dsse.json", "vsa.sigstore.json"],
            "{kind}"
        );
        for file in ["vsa.sigstore.json", "vsa.dsse.json"] {
            let (code, stdout, stderr) = attestation_verify(
                &signed,
                file,
                &[
                    "--commit",
                    COMMIT,
                    "--verified-level",
                    "VOUCH_CONTROL_SBOM_PASSED",
                    "--resource-uri",
                    "git+https://github.com/acme/ledger",
                ],
            );
            assert_eq!(code, 0, "{kind} {file}: {stdout}{stderr}");
            assert!(stdout.contains("PASSED"), "{stdout}");
        }
        let (code, _, stderr) = run(vouch()
            .args(["vsa", "verify", "--attestation"])
            .arg(signed.out.join("vsa.sigstore.json"))
            .arg("--key")
            .arg(&signed.public)
            .args(["--subject-digest", &format!("gitCommit:{COMMIT}")])
            .args(["--verifier-id", "https://github.com/vouch-dev/vouch"]));
        assert_eq!(code, 0, "{kind}: vsa verify: {stderr}");
    }
}

#[test]
fn an_encrypted_key_needs_its_password_and_a_wrong_one_is_a_usage_error() {
    let dir = tempdir();
    let (private, _) = key_pair("p256");
    let key = write(dir.path(), "enc.key", &encrypted(&private, "correct horse"));
    let policy = write(dir.path(), "vouch.yaml", PASSING_POLICY);
    let base = |password: Option<&str>, out: &str| {
        let mut cmd = vouch();
        cmd.arg("verify")
            .arg("--policy")
            .arg(&policy)
            .arg("--sbom")
            .arg(repo_path("examples/evidence/ledger.cdx.json"))
            .args(["--repo", "acme/ledger", "--commit", COMMIT])
            .arg("--attest-out")
            .arg(dir.path().join(out))
            .arg("--sign-key")
            .arg(&key);
        if let Some(p) = password {
            cmd.env("VOUCH_KEY_PASSWORD", p);
        }
        run(&mut cmd)
    };
    let (code, _, stderr) = base(None, "a");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("VOUCH_KEY_PASSWORD"), "{stderr}");
    let (code, _, stderr) = base(Some("hunter2-not-it"), "b");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot decrypt"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the password is never echoed: {stderr}"
    );
    assert!(
        !dir.path().join("b").exists(),
        "nothing written before the key reads"
    );
    let (code, _, stderr) = base(Some("correct horse"), "c");
    assert_eq!(code, 0, "{stderr}");
    let written = std::fs::read_to_string(dir.path().join("c/vsa.sigstore.json")).unwrap();
    assert!(!written.contains("correct horse"));
}

#[test]
fn a_deploy_gate_rejects_every_mismatch() {
    let (signed, code, stderr) = signed_run("p256", PASSING_POLICY, &[]);
    assert_eq!(code, 0, "{stderr}");
    let other_commit = "0".repeat(40);
    let policy_sha = hex::encode(Sha256::digest(PASSING_POLICY));
    let (code, _, stderr) = attestation_verify(
        &signed,
        "vsa.sigstore.json",
        &[
            "--commit",
            COMMIT,
            "--policy-digest",
            &format!("sha256:{policy_sha}"),
        ],
    );
    assert_eq!(code, 0, "the right policy digest is accepted: {stderr}");
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "a different subject",
            vec!["--commit".into(), other_commit.clone()],
            "subject",
        ),
        (
            "a level the VSA does not state",
            vec![
                "--commit".into(),
                COMMIT.into(),
                "--verified-level".into(),
                "SLSA_SOURCE_LEVEL_1".into(),
            ],
            "SLSA_SOURCE_LEVEL_1",
        ),
        (
            "another policy",
            vec![
                "--commit".into(),
                COMMIT.into(),
                "--policy-digest".into(),
                format!("sha256:{}", "0".repeat(64)),
            ],
            "policy digest",
        ),
        (
            "another verifier",
            vec![
                "--commit".into(),
                COMMIT.into(),
                "--verifier-id".into(),
                "https://example.com/gate".into(),
            ],
            "verifier",
        ),
        (
            "another resource",
            vec![
                "--commit".into(),
                COMMIT.into(),
                "--resource-uri".into(),
                "git+https://github.com/acme/other".into(),
            ],
            "resource",
        ),
    ];
    for (what, args, says) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, stderr) = attestation_verify(&signed, "vsa.sigstore.json", &args);
        assert_eq!(code, 1, "{what} must be rejected: {stderr}");
        assert!(stderr.contains(says), "{what}: {stderr}");
    }
    // The detailed report is not a VSA.
    let (code, _, stderr) =
        attestation_verify(&signed, "report.sigstore.json", &["--commit", COMMIT]);
    assert_eq!(code, 1);
    assert!(stderr.contains("expected a VSA"), "{stderr}");
    // Another key.
    let (_, other_public) = key_pair("p384");
    let other = write(&signed.root, "other.pub", &other_public);
    for file in ["vsa.sigstore.json", "vsa.dsse.json"] {
        let (code, _, stderr) = run(vouch()
            .args(["attestation", "verify", "--attestation"])
            .arg(signed.out.join(file))
            .arg("--key")
            .arg(&other)
            .args(["--commit", COMMIT]));
        assert_eq!(code, 1, "{file} with another key: {stderr}");
    }
    // A certificate identity cannot vouch for a key-signed VSA.
    let (code, _, stderr) = run(vouch()
        .args(["attestation", "verify", "--attestation"])
        .arg(signed.out.join("vsa.sigstore.json"))
        .args([
            "--certificate-identity",
            "x@example.com",
            "--certificate-oidc-issuer",
            "https://accounts.example.com",
        ])
        .args(["--commit", COMMIT]));
    assert_eq!(code, 1, "{stderr}");
    // A tampered payload.
    let mut bundle = read_json(&signed.out.join("vsa.sigstore.json"));
    let mut statement = payload(&bundle["dsseEnvelope"]);
    statement["predicate"]["verifiedLevels"] = serde_json::json!(["SLSA_SOURCE_LEVEL_4"]);
    bundle["dsseEnvelope"]["payload"] = STANDARD
        .encode(serde_json::to_vec(&statement).unwrap())
        .into();
    write(&signed.out, "tampered.json", &bundle.to_string());
    let (code, _, stderr) = attestation_verify(&signed, "tampered.json", &["--commit", COMMIT]);
    assert_eq!(code, 1);
    assert!(stderr.contains("signature"), "{stderr}");
}

#[test]
fn a_failed_run_signs_a_failed_vsa_which_no_gate_accepts() {
    // The SBOM control is enabled and no SBOM is given: an error, so FAILED.
    let dir = tempdir();
    let (private, public) = key_pair("ed25519");
    let key = write(dir.path(), "k", &private);
    let public = write(dir.path(), "k.pub", &public);
    let policy = write(dir.path(), "vouch.yaml", PASSING_POLICY);
    let out = dir.path().join("out");
    let (code, _, stderr) = run(vouch()
        .arg("verify")
        .arg("--policy")
        .arg(&policy)
        .args(["--repo", "acme/ledger", "--commit", COMMIT])
        .arg("--attest-out")
        .arg(&out)
        .arg("--sign-key")
        .arg(&key));
    assert_eq!(code, 1, "{stderr}");
    let statement = payload(&read_json(&out.join("vsa.dsse.json")));
    assert_eq!(statement["predicate"]["verificationResult"], "FAILED");
    let (code, _, stderr) = run(vouch()
        .args(["attestation", "verify", "--attestation"])
        .arg(out.join("vsa.sigstore.json"))
        .arg("--key")
        .arg(&public)
        .args(["--commit", COMMIT]));
    assert_eq!(code, 1);
    assert!(stderr.contains("FAILED"), "{stderr}");
}

#[test]
fn a_provenance_statement_signed_by_the_same_key_is_not_a_vsa() {
    let (signed, code, stderr) = signed_run("p256", PASSING_POLICY, &[]);
    assert_eq!(code, 0, "{stderr}");
    let (private, _) = key_pair("p256");
    let key = vouch::attest::sign::SigningKey::from_pem(private.as_bytes(), None, "k").unwrap();
    let provenance = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "x", "digest": {"gitCommit": COMMIT}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "verifier": {"id": "https://github.com/vouch-dev/vouch"},
            "verificationResult": "PASSED",
            "verifiedLevels": ["SLSA_BUILD_LEVEL_3"],
            "resourceUri": "git+https://github.com/acme/ledger"
        }
    });
    let signed_provenance =
        vouch::attest::sign::sign_with_key(&key, &serde_json::to_vec(&provenance).unwrap());
    write(
        &signed.out,
        "provenance.sigstore.json",
        &signed_provenance.bundle.to_value().to_string(),
    );
    let (code, _, stderr) =
        attestation_verify(&signed, "provenance.sigstore.json", &["--commit", COMMIT]);
    assert_eq!(code, 1);
    assert!(stderr.contains("expected a VSA"), "{stderr}");
}

/// slsa-verifier's `verify-vsa` (its README, "Verification Summary Attestations"): the
/// envelope's signature verifies with the public key, the payload is an in-toto
/// statement of predicate type verification_summary/v1 naming the subject digest, with
/// exactly the verifier id and resource URI asked, `verificationResult` PASSED, every
/// asked level among `verifiedLevels`, and no level `*_UNEVALUATED`. Checked here with
/// the p256 crate and JSON alone, none of vouch's verifier.
#[test]
fn the_bare_envelope_meets_slsa_verifier_verify_vsa_rules() {
    let (signed, code, stderr) = signed_run("p256", PASSING_POLICY, &[]);
    assert_eq!(code, 0, "{stderr}");
    let envelope = read_json(&signed.out.join("vsa.dsse.json"));
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    let body = STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let mut pae = format!(
        "DSSEv1 {} application/vnd.in-toto+json {} ",
        "application/vnd.in-toto+json".len(),
        body.len()
    )
    .into_bytes();
    pae.extend_from_slice(&body);
    let (_, public_pem) = key_pair("p256");
    use p256::pkcs8::DecodePublicKey;
    use signature::Verifier;
    let key = p256::ecdsa::VerifyingKey::from_public_key_pem(&public_pem).unwrap();
    let signatures = envelope["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 1);
    let sig = STANDARD
        .decode(signatures[0]["sig"].as_str().unwrap())
        .unwrap();
    let sig = p256::ecdsa::Signature::from_der(&sig).expect("an ASN.1 DER ECDSA signature");
    key.verify(&pae, &sig)
        .expect("the signature verifies over the PAE");
    // The key id is the sha256 of the SubjectPublicKeyInfo, as the bundle's hint.
    let (_, spki) = pkcs8::der::pem::decode_vec(public_pem.as_bytes()).unwrap();
    assert_eq!(signatures[0]["keyid"], hex::encode(Sha256::digest(&spki)));
    let bundle = read_json(&signed.out.join("vsa.sigstore.json"));
    assert_eq!(
        bundle["verificationMaterial"]["publicKey"]["hint"],
        signatures[0]["keyid"]
    );
    assert_eq!(
        bundle["dsseEnvelope"], envelope,
        "the bundle holds the same envelope"
    );

    let statement: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        statement["predicateType"],
        "https://slsa.dev/verification_summary/v1"
    );
    assert_eq!(statement["subject"][0]["digest"]["gitCommit"], COMMIT);
    assert_eq!(
        statement["subject"][0]["annotations"]["sourceRefs"][0],
        "refs/heads/main"
    );
    let predicate = &statement["predicate"];
    assert_eq!(
        predicate["verifier"]["id"],
        "https://github.com/vouch-dev/vouch"
    );
    assert_eq!(
        predicate["verifier"]["version"]["vouch"],
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(
        predicate["resourceUri"],
        "git+https://github.com/acme/ledger"
    );
    assert_eq!(predicate["verificationResult"], "PASSED");
    assert_eq!(predicate["slsaVersion"], "1.2");
    assert_eq!(
        predicate["policy"]["digest"]["sha256"],
        hex::encode(Sha256::digest(PASSING_POLICY))
    );
    for level in predicate["verifiedLevels"].as_array().unwrap() {
        let level = level.as_str().unwrap();
        assert!(!level.ends_with("UNEVALUATED"), "{level}");
    }
    // Every input the run used, each with its sha256.
    let inputs = predicate["inputAttestations"].as_array().unwrap();
    assert_eq!(inputs.len(), 2);
    let sbom = std::fs::read(repo_path("examples/evidence/ledger.cdx.json")).unwrap();
    assert!(
        inputs
            .iter()
            .any(|i| i["digest"]["sha256"] == hex::encode(Sha256::digest(&sbom)))
    );
    // The time is the run's (the report's), not a second clock read.
    let report = payload(&read_json(&signed.out.join("report.sigstore.json"))["dsseEnvelope"]);
    assert_eq!(
        predicate["timeVerified"],
        report["predicate"]["report"]["time"]
    );
}

#[test]
fn the_detailed_report_follows_its_schema_and_names_the_saved_evidence() {
    let evidence_dir = tempdir();
    let evidence = evidence_dir.path().join("evidence");
    let (signed, code, stderr) = signed_run(
        "p256",
        PASSING_POLICY,
        &["--evidence-out", evidence.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stderr}");
    let statement = payload(&read_json(&signed.out.join("report.sigstore.json"))["dsseEnvelope"]);
    assert_eq!(
        statement["predicateType"],
        "https://vouch.dev/attestation/report/v1"
    );
    let report_schema: Value =
        serde_json::from_slice(&std::fs::read(repo_path("schemas/report.schema.json")).unwrap())
            .unwrap();
    let predicate_schema: Value = serde_json::from_slice(
        &std::fs::read(repo_path("schemas/report-predicate.schema.json")).unwrap(),
    )
    .unwrap();
    let registry = jsonschema::Registry::new()
        .add(
            "https://vouch.dev/schemas/report.schema.json",
            jsonschema::Resource::from_contents(report_schema),
        )
        .unwrap()
        .prepare()
        .unwrap();
    let validator = jsonschema::options()
        .with_registry(&registry)
        .should_validate_formats(true)
        .build(&predicate_schema)
        .unwrap();
    let errs = errors(&validator, &statement["predicate"]);
    assert!(errs.is_empty(), "{errs:?}");
    let broken = serde_json::json!({"report": {"verdict": "maybe"}});
    assert!(
        !errors(&validator, &broken).is_empty(),
        "the $ref to the report schema is live"
    );
    let stated = &statement["predicate"]["evidence"];
    for (file, field) in [
        ("manifest.json", "manifest_sha256"),
        ("evidence.json", "evidence_sha256"),
    ] {
        let bytes = std::fs::read(evidence.join(file)).unwrap();
        assert_eq!(stated[field], hex::encode(Sha256::digest(&bytes)), "{file}");
    }
}

#[test]
fn evaluate_with_the_signed_report_refuses_an_edited_directory_even_with_a_matching_manifest() {
    let evidence_dir = tempdir();
    let evidence = evidence_dir.path().join("evidence");
    let (signed, code, stderr) = signed_run(
        "p256",
        PASSING_POLICY,
        &["--evidence-out", evidence.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stderr}");
    let report = signed.out.join("report.sigstore.json");
    let evaluate = |dir: &Path, key: Option<&Path>| {
        let mut cmd = vouch();
        cmd.arg("evaluate")
            .arg(dir)
            .arg("--attestation")
            .arg(&report);
        if let Some(key) = key {
            cmd.arg("--key").arg(key);
        }
        run(&mut cmd)
    };
    let (code, _, stderr) = evaluate(&evidence, Some(&signed.public));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = evaluate(&evidence, None);
    assert_eq!(code, 2, "the signer is required: {stderr}");
    // Edited in a way re-derivation cannot see (whitespace), with the manifest rewritten
    // to match: only the signed report can tell.
    let path = evidence.join("evidence.json");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push('\n');
    std::fs::write(&path, &text).unwrap();
    let manifest_path = evidence.join("manifest.json");
    let mut manifest = read_json(&manifest_path);
    for file in manifest["files"].as_array_mut().unwrap() {
        if file["path"] == "evidence.json" {
            file["sha256"] = hex::encode(Sha256::digest(text.as_bytes())).into();
            file["size"] = text.len().into();
        }
    }
    std::fs::write(
        &manifest_path,
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    let (code, _, stderr) = run(vouch().arg("evaluate").arg(&evidence));
    assert_eq!(
        code, 0,
        "without the signed report the edit goes unseen: {stderr}"
    );
    let (code, _, stderr) = evaluate(&evidence, Some(&signed.public));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("not the evidence that was attested"),
        "{stderr}"
    );
}

#[test]
fn no_token_or_password_reaches_a_signed_file() {
    let dir = tempdir();
    let (private, _) = key_pair("p256");
    let key = write(
        dir.path(),
        "enc.key",
        &encrypted(&private, "canary-password-1234"),
    );
    let policy = write(dir.path(), "vouch.yaml", PASSING_POLICY);
    let out = dir.path().join("out");
    let token = "ghp_canaryTOKEN0123456789abcdefABCDEF012";
    let (code, _, stderr) = run(vouch()
        .env("GITHUB_TOKEN", token)
        .env("VOUCH_KEY_PASSWORD", "canary-password-1234")
        .arg("verify")
        .arg("--policy")
        .arg(&policy)
        .arg("--sbom")
        .arg(repo_path("examples/evidence/ledger.cdx.json"))
        .args(["--repo", "acme/ledger", "--commit", COMMIT])
        .arg("--attest-out")
        .arg(&out)
        .arg("--sign-key")
        .arg(&key));
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains(token) && !stderr.contains("canary-password"));
    for entry in std::fs::read_dir(&out).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let decoded: Vec<String> = text
            .split('"')
            .filter_map(|s| STANDARD.decode(s).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect();
        for secret in [token, "canary-password-1234"] {
            assert!(!text.contains(secret));
            assert!(decoded.iter().all(|d| !d.contains(secret)));
        }
    }
}

#[test]
fn an_existing_attestation_is_never_overwritten() {
    let (signed, code, stderr) = signed_run("p256", PASSING_POLICY, &[]);
    assert_eq!(code, 0, "{stderr}");
    let before = std::fs::read(signed.out.join("vsa.sigstore.json")).unwrap();
    let (private, _) = key_pair("p256");
    let key = write(&signed.root, "again.key", &private);
    let policy = write(&signed.root, "again.yaml", PASSING_POLICY);
    let (code, _, stderr) = run(vouch()
        .arg("verify")
        .arg("--policy")
        .arg(&policy)
        .arg("--sbom")
        .arg(repo_path("examples/evidence/ledger.cdx.json"))
        .args(["--repo", "acme/ledger", "--commit", COMMIT])
        .arg("--attest-out")
        .arg(&signed.out)
        .arg("--sign-key")
        .arg(&key));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(
        std::fs::read(signed.out.join("vsa.sigstore.json")).unwrap(),
        before
    );
}
