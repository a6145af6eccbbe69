//! Signed certificate timestamps embedded in Fulcio certificates (RFC 6962 §3.2-3.3).
//!
//! Owns "a trusted CT log saw this certificate": the precertificate TBS is rebuilt from the
//! leaf (its SCT list extension removed, on the original DER), wrapped with the issuer key
//! hash in the `digitally-signed` structure, and checked with the key of the CT log the SCT
//! names, which must have been trusted at the SCT's time. One verified SCT is enough.

use const_oid::db::rfc6962::CT_PRECERT_SCTS;
use der::{Decode, Encode, Tag, TagNumber, Tagged};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::SignedCertificateTimestampList;
use x509_cert::ext::pkix::sct::{HashAlgorithm as TlsHash, SignedCertificateTimestamp};

use super::certificate::ParsedCertificate;
use super::error::{Result, VerifyError};
use super::keys::HashAlgorithm;
use super::trust_root::TrustedRoot;

/// Verifies that at least one SCT embedded in `leaf` was signed by a CT log of `root`.
pub fn verify_embedded_scts(
    leaf: &ParsedCertificate,
    issuer: &ParsedCertificate,
    root: &TrustedRoot,
) -> Result<()> {
    let list: SignedCertificateTimestampList = leaf
        .extension(CT_PRECERT_SCTS)
        .map_err(|e| VerifyError::chain(format!("SCT list: {}", e.message)))?
        .ok_or_else(|| VerifyError::chain("the signing certificate carries no SCT"))?;
    let scts = list
        .parse_timestamps()
        .map_err(|e| VerifyError::chain(format!("SCT list is malformed: {e:?}")))?;
    let issuer_key_hash: [u8; 32] = Sha256::digest(issuer.spki_der()?).into();
    let tbs = precertificate_tbs(leaf.tbs_der())?;
    let mut reasons = Vec::new();
    for serialized in &scts {
        let sct = match serialized.parse_timestamp() {
            Ok(sct) => sct,
            Err(e) => {
                reasons.push(format!("malformed SCT: {e:?}"));
                continue;
            }
        };
        match verify_one(&sct, &issuer_key_hash, &tbs, root) {
            Ok(()) => return Ok(()),
            Err(reason) => reasons.push(reason),
        }
    }
    Err(VerifyError::chain(format!(
        "no embedded SCT verifies against a trusted CT log: {}",
        if reasons.is_empty() {
            "the list is empty".to_string()
        } else {
            reasons.join("; ")
        }
    )))
}

fn verify_one(
    sct: &SignedCertificateTimestamp,
    issuer_key_hash: &[u8; 32],
    tbs: &[u8],
    root: &TrustedRoot,
) -> std::result::Result<(), String> {
    let log = root
        .ctlog(&sct.log_id.key_id)
        .ok_or_else(|| format!("SCT from unknown CT log {}", hex::encode(sct.log_id.key_id)))?;
    let when = OffsetDateTime::UNIX_EPOCH + std::time::Duration::from_millis(sct.timestamp);
    let key = log.key_at(when).map_err(|e| e.message)?;
    let hash = match sct.signature.algorithm.hash {
        TlsHash::Sha256 => HashAlgorithm::Sha256,
        TlsHash::Sha384 => HashAlgorithm::Sha384,
        TlsHash::Sha512 => HashAlgorithm::Sha512,
        ref other => return Err(format!("SCT hash algorithm {other:?} is not supported")),
    };
    let signed = signed_data(sct, issuer_key_hash, tbs)?;
    key.verify(&signed, sct.signature.signature.as_slice(), hash)
        .map_err(|e| format!("SCT from {}: {}", log.base_url, e.message))
}

/// The `digitally-signed` struct of RFC 6962 §3.2 for a precertificate entry.
fn signed_data(
    sct: &SignedCertificateTimestamp,
    issuer_key_hash: &[u8; 32],
    tbs: &[u8],
) -> std::result::Result<Vec<u8>, String> {
    let tbs_len = u32::try_from(tbs.len())
        .ok()
        .filter(|len| *len < 1 << 24)
        .ok_or("TBS too long for an SCT")?;
    let extensions = sct.extensions.as_slice();
    let mut out = Vec::with_capacity(tbs.len() + 64 + extensions.len());
    out.push(0); // sct_version v1
    out.push(0); // signature_type certificate_timestamp
    out.extend_from_slice(&sct.timestamp.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes()); // entry_type precert_entry
    out.extend_from_slice(issuer_key_hash);
    out.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
    out.extend_from_slice(tbs);
    out.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    out.extend_from_slice(extensions);
    Ok(out)
}

/// The leaf's TBSCertificate without the SCT list extension, from the original DER.
fn precertificate_tbs(tbs_der: &[u8]) -> Result<Vec<u8>> {
    const EXTENSIONS: Tag = Tag::ContextSpecific {
        constructed: true,
        number: TagNumber::N3,
    };
    let malformed =
        |e: der::Error| VerifyError::chain(format!("cannot rebuild the precertificate: {e}"));
    super::der_bounds::check(tbs_der).map_err(malformed)?;
    let mut fields: Vec<der::Any> = Vec::<der::Any>::from_der(tbs_der).map_err(malformed)?;
    if let Some(extensions) = fields.iter_mut().find(|field| field.tag() == EXTENSIONS) {
        super::der_bounds::check(extensions.value()).map_err(malformed)?;
        let inner = Vec::<der::Any>::from_der(extensions.value()).map_err(malformed)?;
        let mut kept = Vec::with_capacity(inner.len());
        for extension in inner {
            if extension
                .decode_as::<Extension>()
                .map_err(malformed)?
                .extn_id
                != CT_PRECERT_SCTS
            {
                kept.push(extension);
            }
        }
        *extensions =
            der::Any::new(EXTENSIONS, kept.to_der().map_err(malformed)?).map_err(malformed)?;
    }
    fields.to_der().map_err(malformed)
}
