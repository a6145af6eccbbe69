//! Rekor transparency log entries, v1 and v2: the entry must describe this bundle, and the
//! log must have committed to it.
//!
//! Owns the "transparency" step:
//! * the entry body (`hashedrekord` 0.0.1/0.0.2, `dsse` 0.0.1/0.0.2, `intoto` 0.0.2) must
//!   name the same signature, the same certificate or key, and the same artifact or payload
//!   digest as the bundle; an entry for anything else proves nothing about this bundle;
//! * a signed entry timestamp (SET, Rekor v1) is verified with the log key, and only then is
//!   the integrated time a trusted time;
//! * an inclusion proof is recomputed to the root, and the root must be the one a checkpoint
//!   signed by the same log commits to.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use time::OffsetDateTime;

use super::artifact::Artifact;
use super::bundle::{Bundle, Content, TlogEntry};
use super::certificate::ParsedCertificate;
use super::checkpoint::verify_checkpoint;
use super::dsse::Envelope;
use super::error::{Result, VerifyError};
use super::keys::{HashAlgorithm, PublicKey};
use super::merkle::{leaf_hash, verify_inclusion};
use super::trust_root::{TransparencyLog, TrustedRoot};

/// Who signed: the certificate of a keyless bundle, or the key the verifier was given.
#[derive(Debug, Clone)]
pub enum Signer<'a> {
    /// A certificate (its key signed).
    Certificate(&'a ParsedCertificate),
    /// A public key.
    Key(&'a PublicKey),
}

impl Signer<'_> {
    /// Whether a PEM document in a log entry (certificate or public key) is this signer.
    fn matches_pem(&self, pem: &[u8]) -> bool {
        let Some((label, der)) = super::keys::decode_pem(pem) else {
            return false;
        };
        match (self, label.as_str()) {
            (Signer::Certificate(cert), "CERTIFICATE") => cert.der == der,
            (Signer::Key(key), "PUBLIC KEY") => key.to_spki_der().is_ok_and(|spki| spki == der),
            _ => false,
        }
    }

    /// Whether a Rekor v2 `verifier` object names this signer.
    fn matches_verifier(&self, verifier: &Value) -> bool {
        let raw = |field: &str| {
            verifier
                .get(field)
                .and_then(|v| v.get("rawBytes"))
                .and_then(Value::as_str)
                .and_then(|b| STANDARD.decode(b).ok())
        };
        match self {
            Signer::Certificate(cert) => raw("x509Certificate").is_some_and(|der| der == cert.der),
            Signer::Key(key) => {
                raw("publicKey").is_some_and(|der| key.to_spki_der().is_ok_and(|spki| spki == der))
            }
        }
    }
}

/// Verifies one log entry against the bundle and the trusted root. Returns the integrated
/// time when a signed entry timestamp proved it. An entry without an integrated time
/// (Rekor v2) is timed by `timestamps` (from timestamp authorities): the log key must have
/// been trusted at each.
pub fn verify_entry(
    entry: &TlogEntry,
    bundle: &Bundle,
    signer: &Signer<'_>,
    artifact: Option<&Artifact>,
    timestamps: &[OffsetDateTime],
    root: &TrustedRoot,
) -> Result<Option<OffsetDateTime>> {
    let log = find_log(entry, root)?;
    check_body(entry, bundle, signer, artifact)?;
    let integrated_time = entry
        .integrated_time
        .map(|seconds| {
            OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| {
                VerifyError::transparency(format!("integrated time {seconds} is out of range"))
            })
        })
        .transpose()?;
    let mut proven_time = None;
    if let Some(set) = &entry.signed_entry_timestamp {
        let at = integrated_time.ok_or_else(|| {
            VerifyError::transparency("a signed entry timestamp without an integrated time")
        })?;
        let key = log.key_at(at)?;
        let payload = set_payload(entry);
        key.verify(&payload, set, HashAlgorithm::Sha256)
            .map_err(|e| {
                VerifyError::transparency(format!(
                    "signed entry timestamp does not verify with the key of {}: {}",
                    log.base_url, e.message
                ))
            })?;
        proven_time = Some(at);
    }
    if let Some(proof) = &entry.inclusion_proof {
        // The key must have been trusted at a time something proved: the SET's, else the
        // timestamp authorities'. An integrated time without a SET proves nothing, and is
        // used only when nothing else dates the entry (which then fails for want of a
        // trusted time anyway).
        let key = match (proven_time, integrated_time) {
            (Some(at), _) => log.key_at(at)?,
            (None, Some(at)) if timestamps.is_empty() => log.key_at(at)?,
            _ => {
                let first = timestamps.first().ok_or_else(|| {
                    VerifyError::time(
                        "the log entry has no integrated time and no timestamp authority dates it",
                    )
                })?;
                for at in timestamps {
                    log.key_at(*at)?;
                }
                log.key_at(*first)?
            }
        };
        let leaf = leaf_hash(&entry.canonicalized_body);
        verify_inclusion(
            &leaf,
            proof.log_index,
            proof.tree_size,
            &proof.hashes,
            &proof.root_hash,
        )?;
        let envelope = proof
            .checkpoint
            .as_deref()
            .ok_or_else(|| VerifyError::transparency("the inclusion proof has no checkpoint"))?;
        let checkpoint = verify_checkpoint(envelope, key, &log.log_id)?;
        if checkpoint.root_hash != proof.root_hash || checkpoint.tree_size != proof.tree_size {
            return Err(VerifyError::transparency(format!(
                "checkpoint commits to tree size {} root {}, the inclusion proof is for size {} root {}",
                checkpoint.tree_size,
                hex::encode(&checkpoint.root_hash),
                proof.tree_size,
                hex::encode(&proof.root_hash)
            )));
        }
    } else if entry.signed_entry_timestamp.is_none() {
        return Err(VerifyError::transparency(
            "the log entry has neither an inclusion proof nor a signed entry timestamp",
        ));
    }
    Ok(proven_time)
}

fn find_log<'a>(entry: &'a TlogEntry, root: &'a TrustedRoot) -> Result<&'a TransparencyLog> {
    root.tlogs_with_id(&entry.log_id).next().ok_or_else(|| {
        VerifyError::transparency(format!(
            "log entry from log {} which the trusted root does not know",
            STANDARD.encode(&entry.log_id)
        ))
    })
}

/// The canonical JSON a Rekor v1 SET signs (keys sorted, no spaces).
fn set_payload(entry: &TlogEntry) -> Vec<u8> {
    format!(
        "{{\"body\":\"{}\",\"integratedTime\":{},\"logID\":\"{}\",\"logIndex\":{}}}",
        STANDARD.encode(&entry.canonicalized_body),
        entry.integrated_time.unwrap_or(0),
        hex::encode(&entry.log_id),
        entry.log_index
    )
    .into_bytes()
}

fn mismatch(what: &str) -> VerifyError {
    VerifyError::transparency(format!("the log entry does not match the bundle: {what}"))
}

fn field<'a>(value: &'a Value, path: &[&str]) -> Result<&'a Value> {
    path.iter()
        .try_fold(value, |value, key| value.get(key))
        .ok_or_else(|| {
            VerifyError::transparency(format!("log entry body has no `{}`", path.join(".")))
        })
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Result<&'a str> {
    field(value, path)?.as_str().ok_or_else(|| {
        VerifyError::transparency(format!(
            "log entry body: `{}` is not a string",
            path.join(".")
        ))
    })
}

fn base64_field(value: &Value, path: &[&str]) -> Result<Vec<u8>> {
    STANDARD.decode(text(value, path)?).map_err(|_| {
        VerifyError::transparency(format!(
            "log entry body: `{}` is not base64",
            path.join(".")
        ))
    })
}

fn check_body(
    entry: &TlogEntry,
    bundle: &Bundle,
    signer: &Signer<'_>,
    artifact: Option<&Artifact>,
) -> Result<()> {
    let body: Value = serde_json::from_slice(&entry.canonicalized_body)
        .map_err(|e| VerifyError::transparency(format!("log entry body is not JSON: {e}")))?;
    let kind = text(&body, &["kind"])?;
    let version = text(&body, &["apiVersion"])?;
    if kind != entry.kind || version != entry.version {
        return Err(mismatch(&format!(
            "the bundle says {} {}, the body is {kind} {version}",
            entry.kind, entry.version
        )));
    }
    match (kind, version, &bundle.content) {
        ("hashedrekord", "0.0.1", Content::MessageSignature { signature, .. }) => {
            let artifact = artifact.ok_or_else(|| mismatch("no artifact digest to compare"))?;
            let algorithm = text(&body, &["spec", "data", "hash", "algorithm"])?;
            let value = text(&body, &["spec", "data", "hash", "value"])?;
            let actual = HashAlgorithm::from_name(algorithm)
                .and_then(|algorithm| artifact.digest(algorithm))
                .ok_or_else(|| {
                    mismatch(&format!("the artifact's {algorithm} digest is not known"))
                })?;
            if value != hex::encode(actual) {
                return Err(mismatch(&format!(
                    "the entry is for artifact {algorithm}:{value}, the artifact is {algorithm}:{}",
                    hex::encode(actual)
                )));
            }
            if base64_field(&body, &["spec", "signature", "content"])? != *signature {
                return Err(mismatch("the signature differs"));
            }
            if !signer.matches_pem(&base64_field(
                &body,
                &["spec", "signature", "publicKey", "content"],
            )?) {
                return Err(mismatch("the certificate or key differs"));
            }
        }
        ("hashedrekord", "0.0.2", content) => {
            let spec = field(&body, &["spec", "hashedRekordV002"])?;
            let (expected_digest, signature) = match content {
                Content::MessageSignature { signature, .. } => {
                    let artifact =
                        artifact.ok_or_else(|| mismatch("no artifact digest to compare"))?;
                    let algorithm = text(spec, &["data", "algorithm"])?;
                    let actual = HashAlgorithm::from_name(algorithm)
                        .and_then(|algorithm| artifact.digest(algorithm))
                        .ok_or_else(|| {
                            mismatch(&format!("the artifact's {algorithm} digest is not known"))
                        })?;
                    (actual.to_vec(), signature)
                }
                // Rekor v2 logs a DSSE envelope as a hashedrekord over its PAE.
                Content::Dsse(envelope) => {
                    let algorithm = HashAlgorithm::from_name(text(spec, &["data", "algorithm"])?)
                        .ok_or_else(|| mismatch("unsupported digest algorithm"))?;
                    (
                        algorithm.digest(&envelope.pae()),
                        &envelope.signatures[0].sig,
                    )
                }
            };
            if base64_field(spec, &["data", "digest"])? != expected_digest {
                return Err(mismatch(
                    "the entry's digest is not the artifact's (or the envelope's)",
                ));
            }
            if base64_field(spec, &["signature", "content"])? != *signature {
                return Err(mismatch("the signature differs"));
            }
            if !signer.matches_verifier(field(spec, &["signature", "verifier"])?) {
                return Err(mismatch("the certificate or key differs"));
            }
        }
        ("dsse", "0.0.1", Content::Dsse(envelope)) => {
            check_payload_hash(
                text(&body, &["spec", "payloadHash", "algorithm"])?,
                &hex::decode(text(&body, &["spec", "payloadHash", "value"])?).unwrap_or_default(),
                envelope,
            )?;
            let signatures = field(&body, &["spec", "signatures"])?
                .as_array()
                .ok_or_else(|| mismatch("`spec.signatures` is not a list"))?;
            check_signatures(signatures, envelope, signer, |s| {
                Ok((
                    base64_field(s, &["signature"])?,
                    base64_field(s, &["verifier"])?,
                ))
            })?;
        }
        ("dsse", "0.0.2", Content::Dsse(envelope)) => {
            let spec = field(&body, &["spec", "dsseV002"])?;
            check_payload_hash(
                text(spec, &["payloadHash", "algorithm"])?,
                &base64_field(spec, &["payloadHash", "digest"])?,
                envelope,
            )?;
            let signatures = field(spec, &["signatures"])?
                .as_array()
                .ok_or_else(|| mismatch("`signatures` is not a list"))?;
            if signatures.len() != 1 {
                return Err(mismatch(
                    "the entry does not carry exactly the envelope's one signature",
                ));
            }
            if base64_field(&signatures[0], &["content"])? != envelope.signatures[0].sig {
                return Err(mismatch("the signature differs"));
            }
            if !signer.matches_verifier(field(&signatures[0], &["verifier"])?) {
                return Err(mismatch("the certificate or key differs"));
            }
        }
        ("intoto", "0.0.2", Content::Dsse(envelope)) => {
            let content = field(&body, &["spec", "content"])?;
            check_payload_hash(
                text(content, &["payloadHash", "algorithm"])?,
                &hex::decode(text(content, &["payloadHash", "value"])?).unwrap_or_default(),
                envelope,
            )?;
            let signatures = field(content, &["envelope", "signatures"])?
                .as_array()
                .ok_or_else(|| mismatch("`envelope.signatures` is not a list"))?;
            // intoto 0.0.2 stores the signature base64-encoded twice.
            check_signatures(signatures, envelope, signer, |s| {
                let once = base64_field(s, &["sig"])?;
                let sig = STANDARD.decode(&once).unwrap_or(once);
                Ok((sig, base64_field(s, &["publicKey"])?))
            })?;
        }
        (kind, version, content) => {
            return Err(VerifyError::transparency(format!(
                "a {kind} {version} log entry cannot describe a bundle with {}",
                match content {
                    Content::MessageSignature { .. } => "a message signature",
                    Content::Dsse(_) => "a DSSE envelope",
                }
            )));
        }
    }
    Ok(())
}

fn check_payload_hash(algorithm: &str, digest: &[u8], envelope: &Envelope) -> Result<()> {
    let algorithm = HashAlgorithm::from_name(algorithm)
        .ok_or_else(|| mismatch("unsupported payload hash algorithm"))?;
    if algorithm.digest(&envelope.payload) != digest {
        return Err(mismatch("the payload hash is not the envelope payload's"));
    }
    Ok(())
}

/// The entry must list exactly the envelope's signatures, each with this signer.
fn check_signatures(
    signatures: &[Value],
    envelope: &Envelope,
    signer: &Signer<'_>,
    read: impl Fn(&Value) -> Result<(Vec<u8>, Vec<u8>)>,
) -> Result<()> {
    if signatures.len() != envelope.signatures.len() {
        return Err(mismatch(&format!(
            "the entry has {} signatures, the envelope {}",
            signatures.len(),
            envelope.signatures.len()
        )));
    }
    for signature in signatures {
        let (sig, verifier) = read(signature)?;
        if !envelope.signatures.iter().any(|s| s.sig == sig) {
            return Err(mismatch("a signature differs"));
        }
        if !signer.matches_pem(&verifier) {
            return Err(mismatch("the certificate or key differs"));
        }
    }
    Ok(())
}
