//! Sigstore bundles v0.1, v0.2 and v0.3 (both media type spellings): reading them and
//! enforcing what each version requires.
//!
//! Owns the "parse" step for bundles. Written with serde over protobuf-specs' JSON form so
//! that every error names the field (`verificationMaterial.tlogEntries[0].logIndex`);
//! protobuf JSON writes 64-bit integers as strings, and both forms are accepted.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::certificate::ParsedCertificate;
use super::dsse::Envelope;
use super::error::{Result, Step, VerifyError};
use super::keys::HashAlgorithm;

/// The bundle format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BundleVersion {
    /// v0.1: a SET is required, an inclusion proof optional.
    V0_1,
    /// v0.2: an inclusion proof is required.
    V0_2,
    /// v0.3: an inclusion proof is required and the leaf certificate comes alone.
    V0_3,
}

impl BundleVersion {
    fn from_media_type(media_type: &str) -> Result<Self> {
        match media_type {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => Ok(BundleVersion::V0_1),
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => Ok(BundleVersion::V0_2),
            "application/vnd.dev.sigstore.bundle+json;version=0.3"
            | "application/vnd.dev.sigstore.bundle.v0.3+json" => Ok(BundleVersion::V0_3),
            other => Err(VerifyError::parse(format!(
                "bundle: field `mediaType`: expected a Sigstore bundle v0.1, v0.2 or v0.3 media type, got `{other}`"
            ))),
        }
    }
}

/// What the signature was made with.
#[derive(Debug, Clone)]
pub enum SigningMaterial {
    /// A Fulcio (or other CA) certificate; `rest` holds certificates a v0.1/v0.2 chain carried
    /// after the leaf, which are never trusted.
    Certificate {
        /// The signing certificate.
        leaf: Box<ParsedCertificate>,
        /// Certificates after the leaf in `x509CertificateChain`.
        rest: Vec<ParsedCertificate>,
    },
    /// A key the verifier must already hold; the hint names it.
    PublicKey {
        /// The key hint, if any (never trusted).
        hint: Option<String>,
    },
}

/// A Rekor inclusion proof.
#[derive(Debug, Clone)]
pub struct InclusionProof {
    /// The entry's index in the tree the proof is for.
    pub log_index: u64,
    /// The root hash the proof leads to.
    pub root_hash: Vec<u8>,
    /// The tree size.
    pub tree_size: u64,
    /// The audit path.
    pub hashes: Vec<Vec<u8>>,
    /// The signed note committing to the root, when present.
    pub checkpoint: Option<String>,
}

/// A transparency log entry as the bundle carries it.
#[derive(Debug, Clone)]
pub struct TlogEntry {
    /// The entry's global log index.
    pub log_index: u64,
    /// The log id.
    pub log_id: Vec<u8>,
    /// The entry kind (`hashedrekord`, `dsse`, `intoto`).
    pub kind: String,
    /// The entry kind version (`0.0.1`, `0.0.2`).
    pub version: String,
    /// Seconds since the epoch when the log integrated the entry (Rekor v1), absent or zero
    /// for Rekor v2.
    pub integrated_time: Option<i64>,
    /// The signed entry timestamp (Rekor v1).
    pub signed_entry_timestamp: Option<Vec<u8>>,
    /// The inclusion proof.
    pub inclusion_proof: Option<InclusionProof>,
    /// The entry body as the log stored it.
    pub canonicalized_body: Vec<u8>,
}

/// What was signed.
#[derive(Debug, Clone)]
pub enum Content {
    /// A signature over the artifact bytes, with the artifact digest the signer stated.
    MessageSignature {
        /// The stated digest, if any (checked against the artifact, never trusted alone).
        digest: Option<(HashAlgorithm, Vec<u8>)>,
        /// The signature.
        signature: Vec<u8>,
    },
    /// A DSSE envelope.
    Dsse(Envelope),
}

/// A parsed bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The format version.
    pub version: BundleVersion,
    /// The certificate or key hint.
    pub signing_material: SigningMaterial,
    /// Transparency log entries.
    pub tlog_entries: Vec<TlogEntry>,
    /// RFC 3161 timestamp responses (DER).
    pub rfc3161_timestamps: Vec<Vec<u8>>,
    /// What was signed.
    pub content: Content,
}

impl Bundle {
    /// Reads a bundle from JSON bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            VerifyError::parse(format!(
                "bundle: not JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ))
        })?;
        Self::from_value(&value)
    }

    /// Reads a bundle from a JSON value.
    pub fn from_value(value: &serde_json::Value) -> Result<Self> {
        let raw: RawBundle = serde_path_to_error::deserialize(value).map_err(|e| {
            VerifyError::parse(format!("bundle: field `{}`: {}", e.path(), e.inner()))
        })?;
        let version = BundleVersion::from_media_type(&raw.media_type)?;
        let material = raw
            .verification_material
            .ok_or_else(|| VerifyError::parse("bundle: field `verificationMaterial` is missing"))?;
        let signing_material = signing_material(&material, version)?;
        let tlog_entries = material
            .tlog_entries
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                entry.parse(version).map_err(|e| {
                    e.context(format!(
                        "bundle: field `verificationMaterial.tlogEntries[{index}]`"
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let rfc3161_timestamps = material
            .timestamp_verification_data
            .map(|data| data.rfc3161_timestamps)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(index, stamp)| {
                decode(&stamp.signed_timestamp, || {
                    format!("verificationMaterial.timestampVerificationData.rfc3161Timestamps[{index}].signedTimestamp")
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let content = match (raw.message_signature, raw.dsse_envelope) {
            (Some(message), None) => Content::MessageSignature {
                digest: message
                    .message_digest
                    .map(|digest| {
                        let algorithm = HashAlgorithm::from_name(&digest.algorithm).ok_or_else(|| {
                            VerifyError::parse(format!(
                                "bundle: field `messageSignature.messageDigest.algorithm`: unsupported `{}`",
                                digest.algorithm
                            ))
                        })?;
                        Ok((algorithm, decode(&digest.digest, || "messageSignature.messageDigest.digest".into())?))
                    })
                    .transpose()?,
                signature: decode(&message.signature, || "messageSignature.signature".into())?,
            },
            (None, Some(envelope)) => {
                Content::Dsse(Envelope::from_value(&envelope).map_err(|e| e.context("bundle: field `dsseEnvelope`"))?)
            }
            (Some(_), Some(_)) => {
                return Err(VerifyError::parse("bundle: has both `messageSignature` and `dsseEnvelope`"));
            }
            (None, None) => {
                return Err(VerifyError::parse("bundle: has neither `messageSignature` nor `dsseEnvelope`"));
            }
        };
        if let Content::Dsse(envelope) = &content
            && envelope.signatures.len() != 1
        {
            return Err(VerifyError::parse(format!(
                "bundle: field `dsseEnvelope.signatures`: a bundle carries exactly one signature, got {}",
                envelope.signatures.len()
            )));
        }
        Ok(Bundle {
            version,
            signing_material,
            tlog_entries,
            rfc3161_timestamps,
            content,
        })
    }

    /// The signature bytes, whatever the content (what a timestamp authority stamped).
    pub fn signature(&self) -> &[u8] {
        match &self.content {
            Content::MessageSignature { signature, .. } => signature,
            Content::Dsse(envelope) => &envelope.signatures[0].sig,
        }
    }
}

impl TlogEntry {
    /// Reads one log entry in the bundle's JSON form (what Rekor v2 answers a new
    /// entry with), held to the v0.3 rules (an inclusion proof is required).
    pub fn from_value(value: &serde_json::Value) -> Result<Self> {
        let raw: RawTlogEntry = serde_path_to_error::deserialize(value).map_err(|e| {
            VerifyError::transparency(format!("log entry: field `{}`: {}", e.path(), e.inner()))
        })?;
        raw.parse(BundleVersion::V0_3)
    }
}

fn signing_material(
    material: &RawVerificationMaterial,
    version: BundleVersion,
) -> Result<SigningMaterial> {
    match (
        &material.certificate,
        &material.x509_certificate_chain,
        &material.public_key,
    ) {
        (Some(cert), None, None) => Ok(SigningMaterial::Certificate {
            leaf: Box::new(certificate(
                &cert.raw_bytes,
                "verificationMaterial.certificate.rawBytes",
            )?),
            rest: Vec::new(),
        }),
        (None, Some(chain), None) => {
            if version == BundleVersion::V0_3 {
                return Err(VerifyError::parse(
                    "bundle: field `verificationMaterial.x509CertificateChain`: a v0.3 bundle must carry a single `certificate`",
                ));
            }
            let mut certificates = chain
                .certificates
                .iter()
                .enumerate()
                .map(|(index, cert)| {
                    certificate(
                        &cert.raw_bytes,
                        &format!("verificationMaterial.x509CertificateChain.certificates[{index}].rawBytes"),
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            if certificates.is_empty() {
                return Err(VerifyError::parse(
                    "bundle: field `verificationMaterial.x509CertificateChain.certificates` is empty",
                ));
            }
            let leaf = certificates.remove(0);
            Ok(SigningMaterial::Certificate {
                leaf: Box::new(leaf),
                rest: certificates,
            })
        }
        (None, None, Some(key)) => Ok(SigningMaterial::PublicKey {
            hint: key.hint.clone().filter(|hint| !hint.is_empty()),
        }),
        (None, None, None) => Err(VerifyError::parse(
            "bundle: field `verificationMaterial` has no certificate, certificate chain or public key",
        )),
        _ => Err(VerifyError::parse(
            "bundle: field `verificationMaterial` has more than one of certificate, certificate chain and public key",
        )),
    }
}

fn certificate(raw: &str, field: &str) -> Result<ParsedCertificate> {
    let der = decode(raw, || field.to_string())?;
    ParsedCertificate::from_der(der).map_err(|e| e.context(format!("bundle: field `{field}`")))
}

fn decode(text: &str, field: impl FnOnce() -> String) -> Result<Vec<u8>> {
    STANDARD
        .decode(text)
        .map_err(|e| VerifyError::parse(format!("bundle: field `{}` is not base64: {e}", field())))
}

/// A protobuf JSON int64: a string of digits, or a number.
fn int64<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<i64>, D::Error> {
    use serde::de::Error;
    match Option::<serde_json::Value>::deserialize(deserializer)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(text)) => text
            .parse::<i64>()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("`{text}` is not a 64-bit integer"))),
        Some(serde_json::Value::Number(number)) => number
            .as_i64()
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("{number} is not a 64-bit integer"))),
        Some(other) => Err(D::Error::custom(format!(
            "expected an integer, got {other}"
        ))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBundle {
    media_type: String,
    #[serde(default)]
    verification_material: Option<RawVerificationMaterial>,
    #[serde(default)]
    message_signature: Option<RawMessageSignature>,
    #[serde(default)]
    dsse_envelope: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawVerificationMaterial {
    #[serde(default)]
    certificate: Option<RawBytes>,
    #[serde(default)]
    x509_certificate_chain: Option<RawChain>,
    #[serde(default)]
    public_key: Option<RawKeyHint>,
    #[serde(default)]
    tlog_entries: Vec<RawTlogEntry>,
    #[serde(default)]
    timestamp_verification_data: Option<RawTimestampData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBytes {
    raw_bytes: String,
}

#[derive(Deserialize)]
struct RawChain {
    #[serde(default)]
    certificates: Vec<RawBytes>,
}

#[derive(Deserialize)]
struct RawKeyHint {
    #[serde(default)]
    hint: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTimestampData {
    #[serde(default)]
    rfc3161_timestamps: Vec<RawTimestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTimestamp {
    signed_timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessageSignature {
    #[serde(default)]
    message_digest: Option<RawDigest>,
    signature: String,
}

#[derive(Deserialize)]
struct RawDigest {
    algorithm: String,
    digest: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTlogEntry {
    #[serde(default, deserialize_with = "int64")]
    log_index: Option<i64>,
    log_id: RawLogId,
    kind_version: RawKindVersion,
    #[serde(default, deserialize_with = "int64")]
    integrated_time: Option<i64>,
    #[serde(default)]
    inclusion_promise: Option<RawPromise>,
    #[serde(default)]
    inclusion_proof: Option<RawInclusionProof>,
    canonicalized_body: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(Deserialize)]
struct RawKindVersion {
    kind: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPromise {
    signed_entry_timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawInclusionProof {
    #[serde(default, deserialize_with = "int64")]
    log_index: Option<i64>,
    root_hash: String,
    #[serde(default, deserialize_with = "int64")]
    tree_size: Option<i64>,
    #[serde(default)]
    hashes: Vec<String>,
    #[serde(default)]
    checkpoint: Option<RawCheckpoint>,
}

#[derive(Deserialize)]
struct RawCheckpoint {
    envelope: String,
}

fn non_negative(value: Option<i64>, field: &str) -> Result<u64> {
    let value = value.unwrap_or(0);
    u64::try_from(value)
        .map_err(|_| VerifyError::parse(format!("field `{field}` is negative ({value})")))
}

impl RawTlogEntry {
    /// A log entry whose fields do not even decode is a transparency failure (as
    /// slsa-verifier's `ErrorInvalidRekorEntry`), not a bundle syntax error.
    fn parse(&self, version: BundleVersion) -> Result<TlogEntry> {
        self.parse_fields(version).map_err(|e| match e.step {
            Step::Parse => VerifyError::transparency(e.message),
            _ => e,
        })
    }

    fn parse_fields(&self, version: BundleVersion) -> Result<TlogEntry> {
        let inclusion_proof = self
            .inclusion_proof
            .as_ref()
            .map(|proof| {
                Ok(InclusionProof {
                    log_index: non_negative(proof.log_index, "inclusionProof.logIndex")?,
                    root_hash: decode(&proof.root_hash, || "inclusionProof.rootHash".into())?,
                    tree_size: non_negative(proof.tree_size, "inclusionProof.treeSize")?,
                    hashes: proof
                        .hashes
                        .iter()
                        .map(|hash| decode(hash, || "inclusionProof.hashes".into()))
                        .collect::<Result<_>>()?,
                    checkpoint: proof.checkpoint.as_ref().map(|c| c.envelope.clone()),
                })
            })
            .transpose()?;
        let signed_entry_timestamp = self
            .inclusion_promise
            .as_ref()
            .map(|promise| {
                decode(&promise.signed_entry_timestamp, || {
                    "inclusionPromise.signedEntryTimestamp".into()
                })
            })
            .transpose()?;
        if version == BundleVersion::V0_1 && signed_entry_timestamp.is_none() {
            return Err(VerifyError::transparency(
                "a v0.1 bundle's log entry must carry an inclusion promise (signed entry timestamp)",
            ));
        }
        if version >= BundleVersion::V0_2 && inclusion_proof.is_none() {
            return Err(VerifyError::transparency(
                "a v0.2 or later bundle's log entry must carry an inclusion proof",
            ));
        }
        Ok(TlogEntry {
            log_index: non_negative(self.log_index, "logIndex")?,
            log_id: decode(&self.log_id.key_id, || "logId.keyId".into())?,
            kind: self.kind_version.kind.clone(),
            version: self.kind_version.version.clone(),
            integrated_time: self.integrated_time.filter(|time| *time != 0),
            signed_entry_timestamp,
            inclusion_proof,
            canonicalized_body: decode(&self.canonicalized_body, || "canonicalizedBody".into())?,
        })
    }
}
