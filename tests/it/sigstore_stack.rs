//! A Sigstore made by the test, on loopback: an OIDC token, a Fulcio that certifies the
//! key it is sent (test CA, embedded SCT from a test CT log, after checking the proof of
//! possession), a Rekor v1 with a real Merkle tree (signed entry timestamp, inclusion
//! proof, signed checkpoint, 409 for an entry it already holds), a timestamp authority
//! (RFC 3161, CMS SignedData), a GitHub Actions token endpoint, and the trusted root
//! and signing config that name them. Every key and certificate is made here.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use der::asn1::{BitString, GeneralizedTime, Ia5String, OctetString, SetOfVec, UtcTime};
use der::{Decode, Encode};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePublicKey, EncodePublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};
use x509_cert::Certificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

pub const ISSUER: &str = "https://oidc.test.invalid";
pub const WORKFLOW: &str = "acme/ledger/.github/workflows/release.yml@refs/heads/main";
pub const IDENTITY: &str =
    "https://github.com/acme/ledger/.github/workflows/release.yml@refs/heads/main";
const LOG_ORIGIN: &str = "rekor.test.invalid - 1";
/// Where the stack's two Rekor v2 logs answer (each its own tree, key and operator,
/// beside the v1 log), and their origins.
pub const REKOR_V2: [(&str, &str); 2] = [
    ("/rekor-v2a", "log2025-a.rekor.test.invalid"),
    ("/rekor-v2b", "log2025-b.rekor.test.invalid"),
];
const FILLER: usize = 5;

fn key(seed: &str) -> SigningKey {
    let bytes: [u8; 32] = Sha256::digest(seed.as_bytes()).into();
    SigningKey::from_slice(&bytes).unwrap()
}

fn spki_der(key: &VerifyingKey) -> Vec<u8> {
    key.to_public_key_der().unwrap().as_bytes().to_vec()
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn sign(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let signature: Signature = key.sign(message);
    signature.to_der().as_bytes().to_vec()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn time(unix: i64) -> Time {
    Time::UtcTime(UtcTime::from_unix_duration(std::time::Duration::from_secs(unix as u64)).unwrap())
}

fn ecdsa_sha256() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: const_oid::db::rfc5912::ECDSA_WITH_SHA_256,
        parameters: None,
    }
}

fn extension<T: Encode>(oid: const_oid::ObjectIdentifier, critical: bool, value: &T) -> Extension {
    Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der().unwrap()).unwrap(),
    }
}

fn tbs(
    serial: u8,
    issuer: &Name,
    subject: Name,
    key: &VerifyingKey,
    validity: (i64, i64),
    extensions: Vec<Extension>,
) -> x509_cert::TbsCertificate {
    x509_cert::TbsCertificate {
        version: x509_cert::Version::V3,
        serial_number: SerialNumber::new(&[serial]).unwrap(),
        signature: ecdsa_sha256(),
        issuer: issuer.clone(),
        validity: Validity {
            not_before: time(validity.0),
            not_after: time(validity.1),
        },
        subject,
        subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&spki_der(key)).unwrap(),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    }
}

/// A key identifier: the first 20 bytes of the SPKI's sha256.
fn key_identifier(key: &VerifyingKey) -> OctetString {
    OctetString::new(Sha256::digest(spki_der(key))[..20].to_vec()).unwrap()
}

fn subject_key_id(key: &VerifyingKey) -> Extension {
    extension(
        const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER,
        false,
        &x509_cert::ext::pkix::SubjectKeyIdentifier(key_identifier(key)),
    )
}

fn authority_key_id(key: &VerifyingKey) -> Extension {
    extension(
        const_oid::db::rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
        false,
        &x509_cert::ext::pkix::AuthorityKeyIdentifier {
            key_identifier: Some(key_identifier(key)),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        },
    )
}

fn certify(tbs: x509_cert::TbsCertificate, by: &SigningKey) -> Certificate {
    let signature = sign(by, &tbs.to_der().unwrap());
    Certificate {
        tbs_certificate: tbs,
        signature_algorithm: ecdsa_sha256(),
        signature: BitString::from_bytes(&signature).unwrap(),
    }
}

/// The keys and certificates of the test instance.
pub struct Authority {
    ca_key: SigningKey,
    ca_name: Name,
    ca: Certificate,
    ct_key: SigningKey,
    log_key: SigningKey,
    /// The Rekor v2 logs' keys (as Sigstore runs v1 and v2 side by side, and v2 as
    /// several shards a selector may ask for all of).
    log_v2_keys: [SigningKey; 2],
    tsa_key: SigningKey,
    tsa: Certificate,
    tsa_root: Certificate,
}

impl Authority {
    pub fn new() -> Self {
        let start = now() - 3600;
        let end = now() + 365 * 86400;
        let ca_key = key("test fulcio ca");
        let ca_name = Name::from_str("CN=vouch test Fulcio,O=vouch test").unwrap();
        let ca = certify(
            tbs(
                1,
                &ca_name,
                ca_name.clone(),
                ca_key.verifying_key(),
                (start, end),
                vec![
                    extension(
                        const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS,
                        true,
                        &BasicConstraints {
                            ca: true,
                            path_len_constraint: None,
                        },
                    ),
                    extension(
                        const_oid::db::rfc5280::ID_CE_KEY_USAGE,
                        true,
                        &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
                    ),
                    subject_key_id(ca_key.verifying_key()),
                ],
            ),
            &ca_key,
        );
        // A TSA chain as Sigstore's: a leaf for timestamping under its own root.
        let tsa_root_key = key("test tsa root");
        let tsa_root_name = Name::from_str("CN=vouch test TSA root,O=vouch test").unwrap();
        let tsa_root = certify(
            tbs(
                3,
                &tsa_root_name,
                tsa_root_name.clone(),
                tsa_root_key.verifying_key(),
                (start, end),
                vec![
                    extension(
                        const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS,
                        true,
                        &BasicConstraints {
                            ca: true,
                            path_len_constraint: None,
                        },
                    ),
                    extension(
                        const_oid::db::rfc5280::ID_CE_KEY_USAGE,
                        true,
                        &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
                    ),
                    subject_key_id(tsa_root_key.verifying_key()),
                ],
            ),
            &tsa_root_key,
        );
        let tsa_key = key("test tsa");
        let tsa_name = Name::from_str("CN=vouch test TSA,O=vouch test").unwrap();
        let tsa = certify(
            tbs(
                2,
                &tsa_root_name,
                tsa_name,
                tsa_key.verifying_key(),
                (start, end),
                vec![
                    extension(
                        const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE,
                        true,
                        &ExtendedKeyUsage(vec![const_oid::db::rfc5280::ID_KP_TIME_STAMPING]),
                    ),
                    extension(
                        const_oid::db::rfc5280::ID_CE_KEY_USAGE,
                        true,
                        &KeyUsage(KeyUsages::DigitalSignature.into()),
                    ),
                    subject_key_id(tsa_key.verifying_key()),
                    authority_key_id(tsa_root_key.verifying_key()),
                ],
            ),
            &tsa_root_key,
        );
        Authority {
            ca_key,
            ca_name,
            ca,
            ct_key: key("test ct log"),
            log_key: key("test rekor"),
            log_v2_keys: [key("test rekor v2 a"), key("test rekor v2 b")],
            tsa_key,
            tsa,
            tsa_root,
        }
    }

    /// The trusted root naming the test CA, CT log, Rekor and TSA.
    pub fn trusted_root(&self) -> Value {
        let window = json!({"start": "2020-01-01T00:00:00Z"});
        let log = |key: &SigningKey, url: &str| {
            let spki = spki_der(key.verifying_key());
            json!({
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {"rawBytes": b64(&spki), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": window},
                "logId": {"keyId": b64(&Sha256::digest(&spki))}
            })
        };
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [
                log(&self.log_key, "https://rekor.test.invalid"),
                log(&self.log_v2_keys[0], &format!("https://{}", REKOR_V2[0].1)),
                log(&self.log_v2_keys[1], &format!("https://{}", REKOR_V2[1].1))
            ],
            "certificateAuthorities": [{
                "subject": {"organization": "vouch test", "commonName": "vouch test Fulcio"},
                "uri": "https://fulcio.test.invalid",
                "certChain": {"certificates": [{"rawBytes": b64(&self.ca.to_der().unwrap())}]},
                "validFor": window
            }],
            "ctlogs": [log(&self.ct_key, "https://ctfe.test.invalid")],
            "timestampAuthorities": [{
                "subject": {"organization": "vouch test", "commonName": "vouch test TSA"},
                "uri": "https://tsa.test.invalid",
                "certChain": {"certificates": [
                    {"rawBytes": b64(&self.tsa.to_der().unwrap())},
                    {"rawBytes": b64(&self.tsa_root.to_der().unwrap())}
                ]},
                "validFor": window
            }]
        })
    }

    /// A leaf for `key` naming `identity` and `issuer`, with an SCT embedded.
    fn leaf(&self, key: &VerifyingKey, identity: &str, issuer: &str) -> Certificate {
        let start = now() - 60;
        let mut extensions = vec![
            subject_key_id(key),
            authority_key_id(self.ca_key.verifying_key()),
            extension(
                const_oid::db::rfc5280::ID_CE_KEY_USAGE,
                true,
                &KeyUsage(KeyUsages::DigitalSignature.into()),
            ),
            extension(
                const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE,
                false,
                &ExtendedKeyUsage(vec![const_oid::db::rfc5280::ID_KP_CODE_SIGNING]),
            ),
            extension(
                const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME,
                true,
                &SubjectAltName(vec![GeneralName::UniformResourceIdentifier(
                    Ia5String::new(identity).unwrap(),
                )]),
            ),
            // Fulcio writes the issuer twice: raw bytes under .1.1 (what sigstore-python
            // reads) and a DER UTF8String under .1.8.
            Extension {
                extn_id: const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1"),
                critical: false,
                extn_value: OctetString::new(issuer.as_bytes().to_vec()).unwrap(),
            },
            extension(
                const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8"),
                false,
                &der::asn1::Utf8StringRef::new(issuer).unwrap(),
            ),
        ];
        let serial = (now() % 200) as u8 + 10;
        let precert = tbs(
            serial,
            &self.ca_name,
            Name::default(),
            key,
            (start, start + 600),
            extensions.clone(),
        );
        let sct = self.sct(&precert.to_der().unwrap(), start * 1000);
        let mut list = Vec::new();
        list.extend_from_slice(&((sct.len() + 2) as u16).to_be_bytes());
        list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        list.extend_from_slice(&sct);
        extensions.push(Extension {
            extn_id: const_oid::db::rfc6962::CT_PRECERT_SCTS,
            critical: false,
            extn_value: OctetString::new(OctetString::new(list).unwrap().to_der().unwrap())
                .unwrap(),
        });
        certify(
            tbs(
                serial,
                &self.ca_name,
                Name::default(),
                key,
                (start, start + 600),
                extensions,
            ),
            &self.ca_key,
        )
    }

    /// An RFC 6962 SCT over a precertificate TBS.
    fn sct(&self, tbs: &[u8], timestamp_ms: i64) -> Vec<u8> {
        let issuer_key_hash = Sha256::digest(spki_der(self.ca_key.verifying_key()));
        let mut signed = vec![0u8, 0u8];
        signed.extend_from_slice(&(timestamp_ms as u64).to_be_bytes());
        signed.extend_from_slice(&1u16.to_be_bytes());
        signed.extend_from_slice(&issuer_key_hash);
        signed.extend_from_slice(&(tbs.len() as u32).to_be_bytes()[1..]);
        signed.extend_from_slice(tbs);
        signed.extend_from_slice(&0u16.to_be_bytes());
        let signature = sign(&self.ct_key, &signed);
        let mut sct = vec![0u8];
        sct.extend_from_slice(&Sha256::digest(spki_der(self.ct_key.verifying_key())));
        sct.extend_from_slice(&(timestamp_ms as u64).to_be_bytes());
        sct.extend_from_slice(&0u16.to_be_bytes());
        sct.extend_from_slice(&[4, 3]);
        sct.extend_from_slice(&(signature.len() as u16).to_be_bytes());
        sct.extend_from_slice(&signature);
        sct
    }
}

/// An unsigned JWT (the mock Fulcio does not check signatures; the real one does).
pub fn token(exp: i64) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    format!(
        "{}.{}.{}",
        part(&json!({"alg": "RS256", "typ": "JWT"})),
        part(
            &json!({"iss": ISSUER, "sub": "repo:acme/ledger:ref:refs/heads/main", "aud": "sigstore", "exp": exp, "job_workflow_ref": WORKFLOW})
        ),
        URL_SAFE_NO_PAD.encode(b"unchecked")
    )
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap_or_default();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap_or_default())
        .unwrap_or(Value::Null)
}

struct Fulcio(Arc<Authority>);

impl Respond for Fulcio {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return ResponseTemplate::new(400);
        };
        let jwt = body["credentials"]["oidcIdentityToken"]
            .as_str()
            .unwrap_or_default();
        let claims = claims(jwt);
        if claims["aud"] != "sigstore" || claims["exp"].as_i64().unwrap_or(0) <= now() {
            return ResponseTemplate::new(401).set_body_string("{\"message\":\"invalid token\"}");
        }
        let pem = body["publicKeyRequest"]["publicKey"]["content"]
            .as_str()
            .unwrap_or_default();
        let Ok(key) = VerifyingKey::from_public_key_pem(pem) else {
            return ResponseTemplate::new(400);
        };
        // Fulcio's proof of possession: the key signed the token's subject.
        let proof = STANDARD
            .decode(
                body["publicKeyRequest"]["proofOfPossession"]
                    .as_str()
                    .unwrap_or_default(),
            )
            .unwrap_or_default();
        let subject = claims["email"]
            .as_str()
            .or(claims["sub"].as_str())
            .unwrap_or_default();
        let verified = Signature::from_der(&proof)
            .map(|sig| key.verify(subject.as_bytes(), &sig).is_ok())
            .unwrap_or(false);
        if !verified {
            return ResponseTemplate::new(400)
                .set_body_string("{\"message\":\"proof of possession\"}");
        }
        let identity = format!(
            "https://github.com/{}",
            claims["job_workflow_ref"].as_str().unwrap_or_default()
        );
        let leaf = self
            .0
            .leaf(&key, &identity, claims["iss"].as_str().unwrap_or_default());
        let pem = |cert: &Certificate| {
            der::pem::encode_string(
                "CERTIFICATE",
                der::pem::LineEnding::LF,
                &cert.to_der().unwrap(),
            )
            .unwrap()
        };
        ResponseTemplate::new(201).set_body_json(json!({
            "signedCertificateEmbeddedSct": {"chain": {"certificates": [pem(&leaf), pem(&self.0.ca)]}}
        }))
    }
}

pub fn leaf_hash(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

pub fn node(left: &[u8], right: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

pub fn root_of(leaves: &[[u8; 32]]) -> [u8; 32] {
    if leaves.len() == 1 {
        return leaves[0];
    }
    let split = leaves.len().next_power_of_two() / 2;
    node(&root_of(&leaves[..split]), &root_of(&leaves[split..]))
}

pub fn path_of(leaves: &[[u8; 32]], index: usize) -> Vec<[u8; 32]> {
    if leaves.len() == 1 {
        return Vec::new();
    }
    let split = leaves.len().next_power_of_two() / 2;
    let (mut path, sibling) = if index < split {
        (path_of(&leaves[..split], index), root_of(&leaves[split..]))
    } else {
        (
            path_of(&leaves[split..], index - split),
            root_of(&leaves[..split]),
        )
    };
    path.push(sibling);
    path
}

struct Rekor {
    authority: Arc<Authority>,
    /// Every leaf's body, in order.
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Rekor {
    fn entry(&self, index: usize, bodies: &[Vec<u8>]) -> Value {
        let log_key = &self.authority.log_key;
        let log_id = Sha256::digest(spki_der(log_key.verifying_key()));
        let body = &bodies[index];
        let integrated = now();
        let set_payload = format!(
            "{{\"body\":\"{}\",\"integratedTime\":{integrated},\"logID\":\"{}\",\"logIndex\":{index}}}",
            b64(body),
            hex::encode(log_id)
        );
        let leaves: Vec<[u8; 32]> = bodies.iter().map(|b| leaf_hash(b)).collect();
        let root = root_of(&leaves);
        let note = format!("{LOG_ORIGIN}\n{}\n{}\n", leaves.len(), b64(&root));
        let mut signed = log_id[..4].to_vec();
        signed.extend(sign(log_key, note.as_bytes()));
        let checkpoint = format!("{note}\n\u{2014} rekor.test.invalid {}\n", b64(&signed));
        let uuid = hex::encode(leaf_hash(body));
        json!({ uuid: {
            "body": b64(body),
            "integratedTime": integrated,
            "logID": hex::encode(log_id),
            "logIndex": index,
            "verification": {
                "inclusionProof": {
                    "checkpoint": checkpoint,
                    "hashes": path_of(&leaves, index).iter().map(hex::encode).collect::<Vec<_>>(),
                    "logIndex": index,
                    "rootHash": hex::encode(root),
                    "treeSize": leaves.len()
                },
                "signedEntryTimestamp": b64(&sign(log_key, set_payload.as_bytes()))
            }
        }})
    }
}

impl Respond for Rekor {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut bodies = self.bodies.lock().unwrap();
        if request.method == wiremock::http::Method::GET {
            let uuid = request.url.path().rsplit('/').next().unwrap_or_default();
            return match bodies
                .iter()
                .position(|b| hex::encode(leaf_hash(b)) == uuid)
            {
                Some(index) => ResponseTemplate::new(200).set_body_json(self.entry(index, &bodies)),
                None => ResponseTemplate::new(404),
            };
        }
        let Ok(proposed) = serde_json::from_slice::<Value>(&request.body) else {
            return ResponseTemplate::new(400);
        };
        if proposed["apiVersion"] != "0.0.1" {
            return ResponseTemplate::new(400);
        }
        if proposed["kind"] == "hashedrekord" {
            let spec = &proposed["spec"];
            let body = serde_json::to_vec(&json!({
                "apiVersion": "0.0.1",
                "kind": "hashedrekord",
                "spec": {
                    "data": {"hash": {"algorithm": spec["data"]["hash"]["algorithm"], "value": spec["data"]["hash"]["value"]}},
                    "signature": {"content": spec["signature"]["content"], "publicKey": {"content": spec["signature"]["publicKey"]["content"]}}
                }
            }))
            .unwrap();
            return self.append(&mut bodies, body);
        }
        if proposed["kind"] != "dsse" {
            return ResponseTemplate::new(400);
        }
        let content = &proposed["spec"]["proposedContent"];
        let envelope_text = content["envelope"].as_str().unwrap_or_default();
        let Ok(envelope) = serde_json::from_str::<Value>(envelope_text) else {
            return ResponseTemplate::new(400);
        };
        let payload = STANDARD
            .decode(envelope["payload"].as_str().unwrap_or_default())
            .unwrap_or_default();
        let verifier = content["verifiers"][0].as_str().unwrap_or_default();
        let body = serde_json::to_vec(&json!({
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(envelope_text.as_bytes()))},
                "payloadHash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(&payload))},
                "signatures": [{"signature": envelope["signatures"][0]["sig"], "verifier": verifier}]
            }
        }))
        .unwrap();
        self.append(&mut bodies, body)
    }
}

impl Rekor {
    /// Logs `body`, or answers 409 with the existing entry's place when it is logged.
    fn append(&self, bodies: &mut Vec<Vec<u8>>, body: Vec<u8>) -> ResponseTemplate {
        if let Some(index) = bodies.iter().position(|b| *b == body) {
            let uuid = hex::encode(leaf_hash(&bodies[index]));
            return ResponseTemplate::new(409)
                .insert_header("Location", format!("/api/v1/log/entries/{uuid}").as_str())
                .set_body_string(
                    "{\"code\":409,\"message\":\"an equivalent entry already exists\"}",
                );
        }
        bodies.push(body);
        let index = bodies.len() - 1;
        ResponseTemplate::new(201).set_body_json(self.entry(index, bodies))
    }
}

/// Rekor v2 (`POST /api/v2/log/entries`): a `hashedRekordRequestV002` whose signature
/// verifies over its digest is appended to this log's own tree; the answer is the
/// bundle's `TransparencyLogEntry` itself, with an inclusion proof and a signed
/// checkpoint but no integrated time and no SET (v2 entries are dated by a TSA).
struct RekorV2 {
    authority: Arc<Authority>,
    /// Which of [`REKOR_V2`].
    shard: usize,
    /// Signs checkpoints with a key the trusted root does not hold.
    rogue: bool,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Respond for RekorV2 {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let Ok(proposed) = serde_json::from_slice::<Value>(&request.body) else {
            return ResponseTemplate::new(400);
        };
        let rekord = &proposed["hashedRekordRequestV002"];
        let decode = |v: &Value| STANDARD.decode(v.as_str().unwrap_or_default()).ok();
        let (Some(digest), Some(signature)) = (
            decode(&rekord["digest"]),
            decode(&rekord["signature"]["content"]),
        ) else {
            return ResponseTemplate::new(400);
        };
        let verifier = &rekord["signature"]["verifier"];
        // Rekor v2 checks the signature before it logs anything.
        let Some(certificate) = decode(&verifier["x509Certificate"]["rawBytes"])
            .and_then(|der| Certificate::from_der(&der).ok())
        else {
            return ResponseTemplate::new(400);
        };
        let spki = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap();
        let signed = VerifyingKey::from_public_key_der(&spki)
            .ok()
            .zip(Signature::from_der(&signature).ok())
            .is_some_and(|(key, sig)| {
                use p256::ecdsa::signature::hazmat::PrehashVerifier;
                key.verify_prehash(&digest, &sig).is_ok()
            });
        if !signed || verifier["keyDetails"] != "PKIX_ECDSA_P256_SHA_256" {
            return ResponseTemplate::new(400)
                .set_body_string("{\"message\":\"invalid signature\"}");
        }
        let body = serde_json::to_vec(&json!({
            "apiVersion": "0.0.2",
            "kind": "hashedrekord",
            "spec": {"hashedRekordV002": {
                "data": {"algorithm": "SHA2_256", "digest": rekord["digest"]},
                "signature": {"content": rekord["signature"]["content"], "verifier": verifier}
            }}
        }))
        .unwrap();
        let mut bodies = self.bodies.lock().unwrap();
        bodies.push(body);
        let index = bodies.len() - 1;
        // A rogue log claims the trusted log's id but signs with its own key.
        let rogue_key = key("rogue rekor v2");
        let trusted_key = &self.authority.log_v2_keys[self.shard];
        let log_key = if self.rogue { &rogue_key } else { trusted_key };
        let origin = REKOR_V2[self.shard].1;
        let log_id = Sha256::digest(spki_der(trusted_key.verifying_key()));
        let leaves: Vec<[u8; 32]> = bodies.iter().map(|b| leaf_hash(b)).collect();
        let root = root_of(&leaves);
        let note = format!("{origin}\n{}\n{}\n", leaves.len(), b64(&root));
        let mut signed_note = log_id[..4].to_vec();
        signed_note.extend(sign(log_key, note.as_bytes()));
        let checkpoint = format!("{note}\n\u{2014} {origin} {}\n", b64(&signed_note));
        ResponseTemplate::new(201).set_body_json(json!({
            "logIndex": index.to_string(),
            "logId": {"keyId": b64(&log_id)},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.2"},
            "inclusionProof": {
                "logIndex": index.to_string(),
                "rootHash": b64(&root),
                "treeSize": leaves.len().to_string(),
                "hashes": path_of(&leaves, index).iter().map(|h| b64(h)).collect::<Vec<_>>(),
                "checkpoint": {"envelope": checkpoint}
            },
            "canonicalizedBody": b64(&bodies[index])
        }))
    }
}

struct Tsa(Arc<Authority>);

impl Respond for Tsa {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        use cms::content_info::ContentInfo;
        use cms::signed_data::{
            EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
        };
        let Ok(query) = x509_tsp::TimeStampReq::from_der(&request.body) else {
            return ResponseTemplate::new(400);
        };
        let id_ct_tst_info = const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
        let info = x509_tsp::TstInfo {
            version: x509_tsp::TspVersion::V1,
            policy: const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.2"),
            message_imprint: query.message_imprint,
            serial_number: der::asn1::Int::new(&[7]).unwrap(),
            gen_time: GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(
                now() as u64
            ))
            .unwrap(),
            accuracy: None,
            ordering: false,
            nonce: query.nonce,
            tsa: None,
            extensions: None,
        };
        let info_der = info.to_der().unwrap();
        let attribute = |oid, value: der::Any| x509_cert::attr::Attribute {
            oid,
            values: SetOfVec::try_from(vec![value]).unwrap(),
        };
        let signed_attrs = SetOfVec::try_from(vec![
            attribute(
                const_oid::db::rfc5911::ID_CONTENT_TYPE,
                der::Any::encode_from(&id_ct_tst_info).unwrap(),
            ),
            attribute(
                const_oid::db::rfc5911::ID_MESSAGE_DIGEST,
                der::Any::encode_from(
                    &OctetString::new(Sha256::digest(&info_der).to_vec()).unwrap(),
                )
                .unwrap(),
            ),
        ])
        .unwrap();
        let signature = sign(&self.0.tsa_key, &signed_attrs.to_der().unwrap());
        let sha256 = AlgorithmIdentifierOwned {
            oid: const_oid::db::rfc5912::ID_SHA_256,
            parameters: None,
        };
        let signer = SignerInfo {
            version: cms::content_info::CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(cms::cert::IssuerAndSerialNumber {
                issuer: self.0.tsa.tbs_certificate.issuer.clone(),
                serial_number: self.0.tsa.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: sha256.clone(),
            signed_attrs: Some(signed_attrs),
            signature_algorithm: ecdsa_sha256(),
            signature: OctetString::new(signature).unwrap(),
            unsigned_attrs: None,
        };
        let signed_data = SignedData {
            version: cms::content_info::CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![sha256]).unwrap(),
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: id_ct_tst_info,
                econtent: Some(
                    der::Any::encode_from(&OctetString::new(info_der).unwrap()).unwrap(),
                ),
            },
            certificates: None,
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer]).unwrap()),
        };
        let response = x509_tsp::TimeStampResp {
            status: cmpv2::status::PkiStatusInfo {
                status: cmpv2::status::PkiStatus::Accepted,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(ContentInfo {
                content_type: const_oid::db::rfc5911::ID_SIGNED_DATA,
                content: der::Any::encode_from(&signed_data).unwrap(),
            }),
        };
        ResponseTemplate::new(200)
            .insert_header("Content-Type", "application/timestamp-reply")
            .set_body_bytes(response.to_der().unwrap())
    }
}

/// A service that adds the time it spends answering to a shared total, so that a
/// benchmark can tell the services' work from vouch's.
struct Timed<R> {
    inner: R,
    total_ns: Arc<AtomicU64>,
}

impl<R: Respond> Respond for Timed<R> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let start = std::time::Instant::now();
        let answer = self.inner.respond(request);
        self.total_ns
            .fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        answer
    }
}

/// A transparency log of the stack.
pub enum Log {
    /// Rekor v1 at the server's root.
    V1,
    /// Rekor v2, one of [`REKOR_V2`].
    V2(usize),
}

/// The running stack.
pub struct Stack {
    pub runtime: tokio::runtime::Runtime,
    pub server: MockServer,
    pub authority: Arc<Authority>,
    pub bodies: Arc<Mutex<Vec<Vec<u8>>>>,
    /// Nanoseconds the services spent answering (certificates, log entries, stamps).
    pub service_ns: Arc<AtomicU64>,
}

impl Stack {
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime.block_on(MockServer::start());
        let authority = Arc::new(Authority::new());
        let bodies = Arc::new(Mutex::new(
            (0..FILLER)
                .map(|i| format!("earlier entry {i}").into_bytes())
                .collect(),
        ));
        let stack = Stack {
            runtime,
            server,
            authority,
            bodies,
            service_ns: Arc::new(AtomicU64::new(0)),
        };
        stack.mount(
            Mock::given(method("POST"))
                .and(path("/api/v2/signingCert"))
                .respond_with(stack.timed(Fulcio(stack.authority.clone()))),
        );
        let rekor = || Rekor {
            authority: stack.authority.clone(),
            bodies: stack.bodies.clone(),
        };
        stack.mount(
            Mock::given(method("POST"))
                .and(path("/api/v1/log/entries"))
                .respond_with(stack.timed(rekor())),
        );
        stack.mount(
            Mock::given(method("GET"))
                .and(wiremock::matchers::path_regex(
                    "^/api/v1/log/entries/[0-9a-f]+$",
                ))
                .respond_with(stack.timed(rekor())),
        );
        for (shard, (prefix, _)) in REKOR_V2.iter().enumerate() {
            stack.mount(
                Mock::given(method("POST"))
                    .and(path(format!("{prefix}/api/v2/log/entries")))
                    .respond_with(
                        stack.timed(RekorV2 {
                            authority: stack.authority.clone(),
                            shard,
                            rogue: false,
                            bodies: Arc::new(Mutex::new(
                                (0..FILLER + 2 + shard)
                                    .map(|i| format!("earlier v2 entry {i}").into_bytes())
                                    .collect(),
                            )),
                        }),
                    ),
            );
        }
        stack.mount(
            Mock::given(method("POST"))
                .and(path("/api/v1/timestamp"))
                .respond_with(stack.timed(Tsa(stack.authority.clone()))),
        );
        stack
    }

    /// Makes Rekor v2 log `shard` sign its checkpoints with a key nobody trusts.
    pub fn make_rekor_v2_rogue(&self, shard: usize) {
        self.mount(
            Mock::given(method("POST"))
                .and(path(format!("{}/api/v2/log/entries", REKOR_V2[shard].0)))
                .respond_with(RekorV2 {
                    authority: self.authority.clone(),
                    shard,
                    rogue: true,
                    bodies: Arc::new(Mutex::new(Vec::new())),
                })
                .with_priority(1),
        );
    }

    fn timed<R: Respond>(&self, inner: R) -> Timed<R> {
        Timed {
            inner,
            total_ns: self.service_ns.clone(),
        }
    }

    /// The services' answering time so far (read by `benches/sign_stack.rs`).
    #[allow(dead_code)]
    pub fn service_time(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.service_ns.load(Ordering::Relaxed))
    }

    pub fn mount(&self, mock: Mock) {
        self.runtime.block_on(mock.mount(&self.server));
    }

    pub fn url(&self) -> String {
        self.server.uri()
    }

    /// A signing config naming this stack's Fulcio, Rekor v1 and TSA.
    pub fn signing_config(&self) -> Value {
        self.signing_config_with(&[Log::V1], json!({"selector": "ANY"}))
    }

    /// A signing config naming this stack's Fulcio and TSA, the `logs` given (each its
    /// own operator, as the spec's selectors count operators) and `tlog_config`.
    pub fn signing_config_with(&self, logs: &[Log], tlog_config: Value) -> Value {
        let service = |path: &str, version: u32, operator: &str| json!({"url": format!("{}{path}", self.url()), "majorApiVersion": version, "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": operator});
        let logs: Vec<Value> = logs
            .iter()
            .map(|log| match log {
                Log::V1 => service("", 1, "vouch test v1"),
                Log::V2(shard) => service(REKOR_V2[*shard].0, 2, REKOR_V2[*shard].1),
            })
            .collect();
        json!({
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service("", 1, "vouch test")],
            "oidcUrls": [service("/oauth", 1, "vouch test")],
            "rekorTlogUrls": logs,
            "rekorTlogConfig": tlog_config,
            "tsaUrls": [service("/api/v1/timestamp", 1, "vouch test")],
            "tsaConfig": {"selector": "ANY"}
        })
    }

    /// Requests received, by path.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.runtime
            .block_on(self.server.received_requests())
            .unwrap_or_default()
            .iter()
            .map(|r| (r.method.to_string(), r.url.path().to_string()))
            .collect()
    }
}
