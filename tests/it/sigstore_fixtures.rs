//! Sigstore bundles built by the test itself, with keys it makes, so that bundle,
//! transparency-log and provenance verification are tested on a machine without the
//! third-party corpus: a key-signed message-signature bundle and a key-signed DSSE
//! bundle carrying SLSA provenance, each logged in a Rekor v1 style log the test runs
//! (signed entry timestamp, RFC 6962 inclusion proof, signed-note checkpoint).

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::EncodePublicKey;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::sigstore_stack::{leaf_hash, path_of, root_of};
use crate::support::{run, tempdir, vouch, write};

const INTEGRATED_TIME: i64 = 1_760_000_000;
const LOG_INDEX: u64 = 41;
const TREE_SIZE: u64 = 7;
const LOG_NAME: &str = "rekor.test.invalid - 1";

/// A deterministic key (the test's own, not anyone's secret).
pub(crate) fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).expect("valid scalar")
}

fn spki(key: &SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_public_key_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

pub(crate) fn pem(key: &SigningKey) -> String {
    key.verifying_key()
        .to_public_key_pem(Default::default())
        .unwrap()
}

/// How trust map entries name a key: `sha256:<hex>` of its SubjectPublicKeyInfo.
pub(crate) fn key_id(key: &SigningKey) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(spki(key))))
}

fn sign(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let signature: Signature = key.sign(message);
    signature.to_der().as_bytes().to_vec()
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// A trusted root holding only the test log.
pub(crate) fn trusted_root(log: &SigningKey) -> Value {
    json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [{
            "baseUrl": "https://rekor.test.invalid",
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": b64(&spki(log)),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": {"start": "2020-01-01T00:00:00Z"}
            },
            "logId": {"keyId": b64(&Sha256::digest(spki(log)))}
        }],
        "certificateAuthorities": [],
        "ctlogs": [],
        "timestampAuthorities": []
    })
}

/// A Rekor v1 entry for `body`: SET, inclusion proof among other leaves, checkpoint.
fn log_entry(log: &SigningKey, kind: &str, body: &Value) -> Value {
    let body = serde_json::to_vec(body).unwrap();
    let log_id = Sha256::digest(spki(log));
    let set_payload = format!(
        "{{\"body\":\"{}\",\"integratedTime\":{INTEGRATED_TIME},\"logID\":\"{}\",\"logIndex\":{LOG_INDEX}}}",
        b64(&body),
        hex::encode(log_id)
    );
    let proof_index = 5usize;
    let mut leaves: Vec<[u8; 32]> = (0..TREE_SIZE)
        .map(|i| leaf_hash(format!("other entry {i}").as_bytes()))
        .collect();
    leaves[proof_index] = leaf_hash(&body);
    let root = root_of(&leaves);
    let note = format!("{LOG_NAME}\n{TREE_SIZE}\n{}\n", b64(&root));
    let mut signed = log_id[..4].to_vec();
    signed.extend(sign(log, note.as_bytes()));
    let checkpoint = format!("{note}\n\u{2014} rekor.test.invalid {}\n", b64(&signed));
    json!({
        "logIndex": LOG_INDEX.to_string(),
        "logId": {"keyId": b64(&log_id)},
        "kindVersion": {"kind": kind, "version": "0.0.1"},
        "integratedTime": INTEGRATED_TIME.to_string(),
        "inclusionPromise": {"signedEntryTimestamp": b64(&sign(log, set_payload.as_bytes()))},
        "inclusionProof": {
            "logIndex": proof_index.to_string(),
            "rootHash": b64(&root),
            "treeSize": TREE_SIZE.to_string(),
            "hashes": path_of(&leaves, proof_index).iter().map(|h| b64(h)).collect::<Vec<_>>(),
            "checkpoint": {"envelope": checkpoint}
        },
        "canonicalizedBody": b64(&body)
    })
}

/// A key-signed v0.3 bundle over `artifact`.
fn message_bundle(log: &SigningKey, signer: &SigningKey, artifact: &[u8]) -> Value {
    let digest = Sha256::digest(artifact);
    let signature = sign(signer, artifact);
    let body = json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(digest)}},
            "signature": {"content": b64(&signature), "publicKey": {"content": b64(pem(signer).as_bytes())}}
        }
    });
    json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "publicKey": {"hint": "test-signer"},
            "tlogEntries": [log_entry(log, "hashedrekord", &body)]
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": b64(&digest)},
            "signature": b64(&signature)
        }
    })
}

/// SLSA provenance v1 for `artifact`, built by `builder` from `source` at `git_ref`.
fn provenance(artifact: &[u8], builder: &str, source: &str, git_ref: &str) -> Value {
    provenance_named("app.tar.gz", artifact, builder, source, git_ref)
}

/// [`provenance`] with the subject named `name`.
pub(crate) fn provenance_named(
    name: &str,
    artifact: &[u8],
    builder: &str,
    source: &str,
    git_ref: &str,
) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": hex::encode(Sha256::digest(artifact))}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://example.test/build/v1",
                "externalParameters": {"workflow": {"repository": format!("https://{source}"), "ref": git_ref, "path": "build.yml"}},
                "resolvedDependencies": [{"uri": format!("git+https://{source}@{git_ref}"), "digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"}}]
            },
            "runDetails": {"builder": {"id": builder}}
        }
    })
}

/// A key-signed v0.3 bundle over a DSSE envelope carrying `statement`.
pub(crate) fn dsse_bundle(log: &SigningKey, signer: &SigningKey, statement: &Value) -> Value {
    let payload = serde_json::to_vec(statement).unwrap();
    let payload_type = "application/vnd.in-toto+json";
    let mut pae = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    pae.extend_from_slice(&payload);
    let signature = sign(signer, &pae);
    let envelope = json!({"payload": b64(&payload), "payloadType": payload_type, "signatures": [{"sig": b64(&signature)}]});
    let body = json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(serde_json::to_vec(&envelope).unwrap()))},
            "payloadHash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(&payload))},
            "signatures": [{"signature": b64(&signature), "verifier": b64(pem(signer).as_bytes())}]
        }
    });
    json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "publicKey": {"hint": "test-builder"},
            "tlogEntries": [log_entry(log, "dsse", &body)]
        },
        "dsseEnvelope": envelope
    })
}

struct Fixture {
    _dir: tempfile::TempDir,
    dir: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempdir();
        let path = dir.path().to_path_buf();
        let log = key(1);
        write(&path, "trusted_root.json", &trusted_root(&log).to_string());
        write(&path, "signer.pub", &pem(&key(2)));
        write(&path, "other.pub", &pem(&key(3)));
        write(&path, "app.tar.gz", "the release artifact\n");
        Fixture {
            _dir: dir,
            dir: path,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes `app.intoto.sigstore.json`: provenance for `app.tar.gz`, built by the test
    /// builder at v1.0.0 from the test source at `git_ref`, key-signed and logged.
    fn attest_app(&self, git_ref: &str) -> PathBuf {
        let artifact = std::fs::read(self.path("app.tar.gz")).unwrap();
        let statement = provenance(
            &artifact,
            &format!("{BUILDER}@refs/tags/v1.0.0"),
            SOURCE,
            git_ref,
        );
        self.write_json(
            "app.intoto.sigstore.json",
            &dsse_bundle(&key(1), &key(2), &statement),
        )
    }

    fn write_json(&self, name: &str, value: &Value) -> PathBuf {
        write(&self.dir, name, &value.to_string())
    }

    fn verify_bundle(&self, bundle: &Path, key: &str, artifact: &str) -> (i32, String, String) {
        run(vouch()
            .args(["sigstore", "verify-bundle", "--bundle"])
            .arg(bundle)
            .arg("--key")
            .arg(self.path(key))
            .arg("--trusted-root")
            .arg(self.path("trusted_root.json"))
            .arg(artifact))
    }
}

pub(crate) const BUILDER: &str = "https://example.test/builders/release.yml";
pub(crate) const SOURCE: &str = "git.example.test/team/app";

#[test]
fn a_key_signed_bundle_logged_by_a_test_log_verifies_and_its_mutations_do_not() {
    let f = Fixture::new();
    let artifact = std::fs::read(f.path("app.tar.gz")).unwrap();
    let bundle = message_bundle(&key(1), &key(2), &artifact);
    let good = f.write_json("good.sigstore.json", &bundle);
    let artifact_path = f.path("app.tar.gz").display().to_string();
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&artifact)));
    for target in [&artifact_path, &digest] {
        let (code, stdout, stderr) = f.verify_bundle(&good, "signer.pub", target);
        assert_eq!(code, 0, "{stdout}{stderr}");
    }
    let (code, _, stderr) = f.verify_bundle(&good, "other.pub", &artifact_path);
    assert_eq!(code, 1, "another key must not verify: {stderr}");
    // A sha512 digest is read as a digest, not as a path; this bundle signs a sha256
    // message digest, which a sha512 digest cannot be compared with.
    let sha512 = format!("sha512:{}", hex::encode(sha2::Sha512::digest(&artifact)));
    let (code, _, stderr) = f.verify_bundle(&good, "signer.pub", &sha512);
    assert_eq!(code, 1, "{stderr}");
    assert!(!stderr.contains("No such file"), "{stderr}");
    let (code, _, stderr) = f.verify_bundle(&good, "signer.pub", "sha512:abc");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("neither a file nor a sha512 digest"),
        "{stderr}"
    );

    type Mutation = (&'static str, &'static str, fn(&mut Value));
    let mutations: [Mutation; 6] = [
        ("a flipped signature", "signature differs", |b| {
            let mut sig = STANDARD
                .decode(b["messageSignature"]["signature"].as_str().unwrap())
                .unwrap();
            let at = sig.len() - 2;
            sig[at] ^= 1;
            b["messageSignature"]["signature"] = json!(b64(&sig));
        }),
        ("a corrupted inclusion proof", "transparency:", |b| {
            let hash =
                &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"][0];
            let mut bytes = STANDARD.decode(hash.as_str().unwrap()).unwrap();
            bytes[0] ^= 1;
            *hash = json!(b64(&bytes));
        }),
        ("a corrupted signed entry timestamp", "transparency:", |b| {
            let set = &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]["signedEntryTimestamp"];
            let mut bytes = STANDARD.decode(set.as_str().unwrap()).unwrap();
            let at = bytes.len() - 2;
            bytes[at] ^= 1;
            *set = json!(b64(&bytes));
        }),
        (
            "no inclusion proof in a v0.3 bundle",
            "transparency:",
            |b| {
                b["verificationMaterial"]["tlogEntries"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("inclusionProof");
            },
        ),
        ("a checkpoint for another tree", "transparency:", |b| {
            let cp = &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
                ["envelope"];
            *cp = json!(
                cp.as_str()
                    .unwrap()
                    .replacen(&format!("\n{TREE_SIZE}\n"), "\n8\n", 1)
            );
        }),
        ("a stated digest of another artifact", "digest:", |b| {
            b["messageSignature"]["messageDigest"]["digest"] = json!(b64(&[9u8; 32]));
        }),
    ];
    for (what, expected, mutate) in mutations {
        let mut mutated = bundle.clone();
        mutate(&mut mutated);
        let path = f.write_json("mutated.sigstore.json", &mutated);
        let (code, _, stderr) = f.verify_bundle(&path, "signer.pub", &artifact_path);
        assert_eq!(code, 1, "{what} must be rejected: {stderr}");
        assert!(
            stderr.contains(expected),
            "{what}: expected `{expected}` in {stderr}"
        );
    }
}

#[test]
fn key_signed_provenance_verifies_against_builder_and_source_and_fails_on_a_wrong_one() {
    let f = Fixture::new();
    let bundle = f.attest_app("refs/tags/v2.3.4");
    let verify = |extra: &[&str]| {
        run(vouch()
            .args(["provenance", "verify", "--artifact"])
            .arg(f.path("app.tar.gz"))
            .arg("--attestation")
            .arg(&bundle)
            .arg("--key")
            .arg(f.path("signer.pub"))
            .arg("--trusted-root")
            .arg(f.path("trusted_root.json"))
            .args(["--builder-id", BUILDER])
            .args(extra))
    };
    let (code, stdout, stderr) = verify(&["--source-uri", SOURCE, "--source-versioned-tag", "v2"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "built by {BUILDER}@refs/tags/v1.0.0 from {SOURCE} at refs/tags/v2.3.4"
        )),
        "{stdout}"
    );
    for (extra, step) in [
        (
            &["--source-uri", "git.example.test/team/other"][..],
            "source:",
        ),
        (&["--source-tag", "v2.3.5"][..], "source:"),
        (&["--source-branch", "main"][..], "source:"),
        (
            &["--build-type", "https://example.test/build/v2"][..],
            "builder:",
        ),
    ] {
        let (code, _, stderr) = verify(extra);
        assert_eq!(code, 1, "{extra:?}: {stderr}");
        assert!(
            stderr.contains(step),
            "{extra:?}: expected {step} in {stderr}"
        );
    }
    // Another artifact is not a subject.
    write(&f.dir, "other.tar.gz", "something else\n");
    let (code, _, stderr) = run(vouch()
        .args(["provenance", "verify", "--artifact"])
        .arg(f.path("other.tar.gz"))
        .arg("--attestation")
        .arg(&bundle)
        .arg("--key")
        .arg(f.path("signer.pub"))
        .arg("--trusted-root")
        .arg(f.path("trusted_root.json"))
        .args(["--builder-id", BUILDER]));
    assert_eq!(code, 1);
    assert!(stderr.contains("digest:"), "{stderr}");
}

#[test]
fn the_provenance_control_passes_trusted_provenance_and_fails_an_untrusted_builder() {
    let f = Fixture::new();
    f.attest_app("refs/heads/main");
    let signer_id = key_id(&key(2));
    let policy = |builder_glob: &str, max_level: u8, key_id: &str| {
        format!(
            "version: 1\nprovenance:\n  artifacts: [\"*.tar.gz\"]\n  attestations: [\"*.intoto.sigstore.json\"]\n  keys: [signer.pub]\n  trusted_root: trusted_root.json\n  min_level: 2\n  builders:\n    - id: \"{builder_glob}\"\n      sources: [\"git.example.test/team/*\"]\n      max_level: {max_level}\n      keys: [\"{key_id}\"]\n  source:\n    repository: {SOURCE}\n    branch: main\n"
        )
    };
    let check = |text: String| {
        write(&f.dir, "vouch.yaml", &text);
        let (code, stdout, stderr) = run(vouch().current_dir(&f.dir).args([
            "verify",
            "--policy",
            "vouch.yaml",
            "--format",
            "json",
        ]));
        assert_ne!(code, 2, "the run must start: {stderr}");
        (code, crate::support::json(&stdout), stderr)
    };
    let (code, report, stderr) =
        check(policy("https://example.test/builders/*.yml", 3, &signer_id));
    assert_eq!(code, 0, "{report}{stderr}");
    assert_eq!(crate::support::status(&report, "provenance"), "pass");

    let (code, report, _) = check(policy("https://example.test/other/*.yml", 3, &signer_id));
    assert_eq!(code, 1);
    assert_eq!(
        crate::support::codes(&report, "provenance"),
        ["provenance/untrusted-builder"]
    );

    let (code, report, _) = check(policy("https://example.test/builders/*.yml", 1, &signer_id));
    assert_eq!(code, 1, "a level-1 builder does not meet min_level 2");
    assert_eq!(
        crate::support::codes(&report, "provenance"),
        ["provenance/untrusted-builder"]
    );

    // A key the policy accepts for signatures, but not for this builder, vouches for nothing.
    let other_id = key_id(&key(3));
    let (code, report, _) = check(policy("https://example.test/builders/*.yml", 3, &other_id));
    assert_eq!(code, 1, "the signing key is not listed for the builder");
    assert_eq!(
        crate::support::codes(&report, "provenance"),
        ["provenance/untrusted-builder"]
    );
}

#[test]
fn saved_provenance_evidence_is_re_evaluated_offline_to_the_same_verdict() {
    let f = Fixture::new();
    f.attest_app("refs/heads/main");
    let signer_id = key_id(&key(2));
    let policy = |source: &str| {
        format!(
            "version: 1\nprovenance:\n  keys: [signer.pub]\n  trusted_root: trusted_root.json\n  builders:\n    - id: \"{BUILDER}\"\n      keys: [\"{signer_id}\"]\n  source:\n    repository: {source}\n"
        )
    };
    write(&f.dir, "vouch.yaml", &policy(SOURCE));
    let (code, stdout, stderr) = run(vouch().current_dir(&f.dir).args([
        "verify",
        "--policy",
        "vouch.yaml",
        "--artifact",
        "app.tar.gz",
        "--attestation",
        "app.intoto.sigstore.json",
        "--evidence-out",
        "evidence",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, stderr) = run(vouch()
        .current_dir(&f.dir)
        .args(["evaluate", "evidence", "--format", "json"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        crate::support::status(&crate::support::json(&stdout), "provenance"),
        "pass"
    );
    // Another expected source, applied to the same saved evidence, fails.
    write(
        &f.dir,
        "stricter.yaml",
        &policy("git.example.test/team/other"),
    );
    let (code, stdout, _) = run(vouch().current_dir(&f.dir).args([
        "evaluate",
        "evidence",
        "--policy",
        "stricter.yaml",
        "--format",
        "json",
    ]));
    assert_eq!(code, 1);
    assert_eq!(
        crate::support::codes(&crate::support::json(&stdout), "provenance"),
        ["provenance/wrong-source"]
    );
}
