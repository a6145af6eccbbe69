//! Writing Sigstore bundles v0.3: the other half of [`super::bundle`], so that the bundle
//! vouch signs is the same model vouch verifies.
//!
//! The JSON form is protobuf-specs' (`camelCase` fields, bytes in standard base64,
//! 64-bit integers as strings), which is what sigstore-python, sigstore-js, cosign and
//! GitHub's attestation API read. Only v0.3 is written: it carries the leaf certificate
//! alone, and every client of the last two years reads it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::bundle::{Bundle, BundleVersion, Content, InclusionProof, SigningMaterial, TlogEntry};
use super::keys::HashAlgorithm;

/// The media type vouch writes.
pub const BUNDLE_V0_3_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

impl Bundle {
    /// The bundle as v0.3 JSON. A bundle read as v0.1 or v0.2 with a certificate chain is
    /// written with its leaf only: v0.3 carries no chain, and the chain was never trusted.
    pub fn to_value(&self) -> Value {
        let mut material = Map::new();
        match &self.signing_material {
            SigningMaterial::Certificate { leaf, .. } => {
                material.insert(
                    "certificate".into(),
                    json!({ "rawBytes": STANDARD.encode(&leaf.der) }),
                );
            }
            SigningMaterial::PublicKey { hint } => {
                let mut key = Map::new();
                if let Some(hint) = hint {
                    key.insert("hint".into(), hint.clone().into());
                }
                material.insert("publicKey".into(), Value::Object(key));
            }
        }
        material.insert(
            "tlogEntries".into(),
            self.tlog_entries.iter().map(tlog_entry).collect(),
        );
        if !self.rfc3161_timestamps.is_empty() {
            let stamps: Vec<Value> = self
                .rfc3161_timestamps
                .iter()
                .map(|der| json!({ "signedTimestamp": STANDARD.encode(der) }))
                .collect();
            material.insert(
                "timestampVerificationData".into(),
                json!({ "rfc3161Timestamps": stamps }),
            );
        }
        let mut bundle = Map::new();
        bundle.insert("mediaType".into(), BUNDLE_V0_3_MEDIA_TYPE.into());
        bundle.insert("verificationMaterial".into(), Value::Object(material));
        match &self.content {
            Content::MessageSignature { digest, signature } => {
                let mut message = Map::new();
                if let Some((algorithm, bytes)) = digest {
                    message.insert(
                        "messageDigest".into(),
                        json!({ "algorithm": protobuf_name(*algorithm), "digest": STANDARD.encode(bytes) }),
                    );
                }
                message.insert("signature".into(), STANDARD.encode(signature).into());
                bundle.insert("messageSignature".into(), Value::Object(message));
            }
            Content::Dsse(envelope) => {
                bundle.insert("dsseEnvelope".into(), envelope.to_value());
            }
        }
        Value::Object(bundle)
    }

    /// [`Bundle::to_value`] as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out =
            serde_json::to_vec_pretty(&self.to_value()).expect("a JSON value always serializes");
        out.push(b'\n');
        out
    }

    /// A v0.3 bundle around `content` signed by `signing_material`, with no log entry
    /// or timestamp yet.
    pub fn unlogged(signing_material: SigningMaterial, content: Content) -> Self {
        Bundle {
            version: BundleVersion::V0_3,
            signing_material,
            tlog_entries: Vec::new(),
            rfc3161_timestamps: Vec::new(),
            content,
        }
    }
}

fn protobuf_name(algorithm: HashAlgorithm) -> &'static str {
    match algorithm {
        HashAlgorithm::Sha256 => "SHA2_256",
        HashAlgorithm::Sha384 => "SHA2_384",
        HashAlgorithm::Sha512 => "SHA2_512",
    }
}

fn tlog_entry(entry: &TlogEntry) -> Value {
    let mut out = Map::new();
    out.insert("logIndex".into(), entry.log_index.to_string().into());
    out.insert(
        "logId".into(),
        json!({ "keyId": STANDARD.encode(&entry.log_id) }),
    );
    out.insert(
        "kindVersion".into(),
        json!({ "kind": entry.kind, "version": entry.version }),
    );
    out.insert(
        "integratedTime".into(),
        entry.integrated_time.unwrap_or(0).to_string().into(),
    );
    if let Some(set) = &entry.signed_entry_timestamp {
        out.insert(
            "inclusionPromise".into(),
            json!({ "signedEntryTimestamp": STANDARD.encode(set) }),
        );
    }
    if let Some(proof) = &entry.inclusion_proof {
        out.insert("inclusionProof".into(), inclusion_proof(proof));
    }
    out.insert(
        "canonicalizedBody".into(),
        STANDARD.encode(&entry.canonicalized_body).into(),
    );
    Value::Object(out)
}

fn inclusion_proof(proof: &InclusionProof) -> Value {
    let mut out = Map::new();
    out.insert("logIndex".into(), proof.log_index.to_string().into());
    out.insert("rootHash".into(), STANDARD.encode(&proof.root_hash).into());
    out.insert("treeSize".into(), proof.tree_size.to_string().into());
    out.insert(
        "hashes".into(),
        proof
            .hashes
            .iter()
            .map(|h| Value::from(STANDARD.encode(h)))
            .collect(),
    );
    if let Some(checkpoint) = &proof.checkpoint {
        out.insert("checkpoint".into(), json!({ "envelope": checkpoint }));
    }
    Value::Object(out)
}
