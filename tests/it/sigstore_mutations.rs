//! Mutations of real bundles, made by the test itself, must all be rejected: a verifier
//! that skips a check passes one of them. Each bundle is first verified unchanged, so a
//! test that rejects everything fails too.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use vouch::cli::sigstore::verify;
use vouch::verify::Step;
use vouch::verify::artifact::Artifact;
use vouch::verify::identity::IdentityPolicy;
use vouch::verify::sigstore::SignerPolicy;
use vouch::verify::trust_root::TrustedRoot;

use crate::support::corpus;

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

struct Case {
    bundle: Value,
    artifact: Artifact,
    root: TrustedRoot,
}

fn load(cases: &Path, name: &str) -> Case {
    let dir = cases.join(name);
    let bundle =
        serde_json::from_slice(&std::fs::read(dir.join("bundle.sigstore.json")).unwrap()).unwrap();
    let artifact = Artifact::from_file(&cases.join("a.txt")).unwrap();
    let root = match std::fs::read(dir.join("trusted_root.json")) {
        Ok(bytes) => TrustedRoot::from_json(&bytes).unwrap(),
        Err(_) => TrustedRoot::public_good().unwrap(),
    };
    Case {
        bundle,
        artifact,
        root,
    }
}

fn check(case: &Case, bundle: &Value) -> Result<(), vouch::verify::VerifyError> {
    let policy = SignerPolicy::Identity(IdentityPolicy::exact(IDENTITY, ISSUER));
    verify(
        &serde_json::to_vec(bundle).unwrap(),
        &case.artifact,
        &policy,
        &case.root,
    )
    .map(|_| ())
}

fn decode(value: &Value) -> Vec<u8> {
    STANDARD.decode(value.as_str().unwrap()).unwrap()
}

fn encode(bytes: &[u8]) -> Value {
    Value::String(STANDARD.encode(bytes))
}

/// Applies `mutate` to a copy and asserts the copy is rejected (at `step`, when given).
fn rejected(
    case: &Case,
    what: &str,
    step: Option<Step>,
    mutate: impl FnOnce(&mut Value),
) -> Option<String> {
    let mut bundle = case.bundle.clone();
    mutate(&mut bundle);
    match check(case, &bundle) {
        Ok(()) => Some(format!("{what}: still verifies")),
        Err(error) if step.is_some_and(|s| s != error.step) => {
            Some(format!("{what}: rejected at the wrong step: {error}"))
        }
        Err(_) => None,
    }
}

/// The first log entry.
fn entry(bundle: &mut Value) -> &mut Value {
    &mut bundle["verificationMaterial"]["tlogEntries"][0]
}

/// Re-encodes the DSSE payload after editing the statement.
fn edit_statement(bundle: &mut Value, edit: impl FnOnce(&mut Value)) {
    let payload = &mut bundle["dsseEnvelope"]["payload"];
    let mut statement: Value = serde_json::from_slice(&decode(payload)).unwrap();
    edit(&mut statement);
    *payload = encode(&serde_json::to_vec(&statement).unwrap());
}

#[test]
fn mutated_dsse_bundles_are_rejected() {
    let Some(corpus) = corpus() else { return };
    let cases = corpus.join("sigstore-conformance/assets/bundle-verify");
    let mut failures = Vec::new();
    for name in ["happy-path-intoto-in-dsse-v3", "rekor2-dsse-happy-path"] {
        let case = load(&cases, name);
        check(&case, &case.bundle).unwrap_or_else(|e| panic!("{name} unchanged must verify: {e}"));
        let other = load(&cases, "happy-path-v0.3");
        failures.extend([
            rejected(&case, "flip a payload byte", None, |b| {
                let mut payload = decode(&b["dsseEnvelope"]["payload"]);
                let last = payload.len() - 2;
                payload[last] ^= 0x01;
                b["dsseEnvelope"]["payload"] = encode(&payload);
            }),
            rejected(
                &case,
                "swap the certificate from another bundle",
                None,
                |b| {
                    b["verificationMaterial"]["certificate"] =
                        other.bundle["verificationMaterial"]["certificate"].clone();
                },
            ),
            rejected(&case, "change the subject digest", None, |b| {
                edit_statement(b, |s| {
                    s["subject"][0]["digest"]["sha256"] = json!("00".repeat(32))
                });
            }),
            rejected(&case, "change the predicate type", None, |b| {
                edit_statement(b, |s| {
                    s["predicateType"] = json!("https://example.com/not-what-was-signed")
                });
            }),
            rejected(&case, "drop the inclusion proof", None, |b| {
                b["verificationMaterial"]["tlogEntries"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("inclusionProof");
            }),
            rejected(
                &case,
                "drop every log entry",
                Some(Step::Transparency),
                |b| {
                    b["verificationMaterial"]["tlogEntries"] = json!([]);
                },
            ),
            rejected(&case, "flip a signature byte", None, |b| {
                let mut sig = decode(&b["dsseEnvelope"]["signatures"][0]["sig"]);
                let at = sig.len() - 3;
                sig[at] ^= 0x01;
                b["dsseEnvelope"]["signatures"][0]["sig"] = encode(&sig);
            }),
            rejected(&case, "change the payload type", None, |b| {
                b["dsseEnvelope"]["payloadType"] = json!("application/json");
            }),
        ]);
        for (index, mutation) in ["flip an inclusion proof hash", "flip the root hash"]
            .into_iter()
            .enumerate()
        {
            failures.push(rejected(&case, mutation, Some(Step::Transparency), |b| {
                let proof = &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"];
                let field = if index == 0 {
                    &mut proof["hashes"][0]
                } else {
                    &mut proof["rootHash"]
                };
                let mut bytes = decode(field);
                bytes[0] ^= 0x80;
                *field = encode(&bytes);
            }));
        }
    }
    let failures: Vec<String> = failures.into_iter().flatten().collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn mutated_message_signature_bundles_are_rejected() {
    let Some(corpus) = corpus() else { return };
    let cases = corpus.join("sigstore-conformance/assets/bundle-verify");
    let case = load(&cases, "happy-path-v0.3");
    check(&case, &case.bundle).expect("unchanged bundle verifies");
    let failures: Vec<String> = [
        rejected(&case, "flip a signature byte", None, |b| {
            let mut sig = decode(&b["messageSignature"]["signature"]);
            let at = sig.len() - 3;
            sig[at] ^= 0x01;
            b["messageSignature"]["signature"] = encode(&sig);
        }),
        rejected(&case, "change the stated digest", Some(Step::Digest), |b| {
            b["messageSignature"]["messageDigest"]["digest"] = encode(&[7u8; 32]);
        }),
        rejected(
            &case,
            "flip a bit of the signed entry timestamp",
            Some(Step::Transparency),
            |b| {
                let set = &mut entry(b)["inclusionPromise"]["signedEntryTimestamp"];
                let mut bytes = decode(set);
                let at = bytes.len() - 5;
                bytes[at] ^= 0x01;
                *set = encode(&bytes);
            },
        ),
        rejected(
            &case,
            "move the integrated time by a second",
            Some(Step::Transparency),
            |b| {
                let time: i64 = entry(b)["integratedTime"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                entry(b)["integratedTime"] = json!((time + 1).to_string());
            },
        ),
        rejected(
            &case,
            "change the log index",
            Some(Step::Transparency),
            |b| {
                let index: i64 = entry(b)["logIndex"].as_str().unwrap().parse().unwrap();
                entry(b)["logIndex"] = json!((index + 1).to_string());
            },
        ),
        rejected(
            &case,
            "drop the checkpoint",
            Some(Step::Transparency),
            |b| {
                entry(b)["inclusionProof"]
                    .as_object_mut()
                    .unwrap()
                    .remove("checkpoint");
            },
        ),
        rejected(&case, "claim another log", Some(Step::Transparency), |b| {
            entry(b)["logId"]["keyId"] = encode(&[1u8; 32]);
        }),
        rejected(
            &case,
            "a negative log index",
            Some(Step::Transparency),
            |b| {
                entry(b)["logIndex"] = json!("-1");
            },
        ),
        rejected(&case, "an unknown bundle version", Some(Step::Parse), |b| {
            b["mediaType"] = json!("application/vnd.dev.sigstore.bundle.v0.9+json");
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_wrong_identity_or_issuer_is_rejected_at_the_identity_step() {
    let Some(corpus) = corpus() else { return };
    let cases = corpus.join("sigstore-conformance/assets/bundle-verify");
    let case = load(&cases, "happy-path-v0.3");
    let bytes = serde_json::to_vec(&case.bundle).unwrap();
    for policy in [
        IdentityPolicy::exact(&format!("{IDENTITY}x"), ISSUER),
        IdentityPolicy::exact(IDENTITY, "https://accounts.google.com"),
    ] {
        let error = verify(
            &bytes,
            &case.artifact,
            &SignerPolicy::Identity(policy),
            &case.root,
        )
        .unwrap_err();
        assert_eq!(error.step, Step::Identity, "{error}");
    }
}
