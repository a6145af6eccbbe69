//! Verifying a Sigstore bundle end to end: the order of steps and which module owns each.
//!
//! 1. The signer: a certificate needs an identity policy, a key-signed bundle needs the
//!    key ([`SignerPolicy`]); chain certificates the trusted root lacks are rejected.
//! 2. Time from RFC 3161 timestamps ([`super::timestamp`]), over the bundle's signature.
//! 3. Transparency ([`super::rekor`]): every log entry must describe this bundle and be
//!    proven by the log (SET and/or inclusion proof with checkpoint); at least one is needed.
//!    A SET makes the integrated time a trusted time; at least one trusted time is needed,
//!    and the certificate must be valid at each.
//! 4. Chain ([`super::certificate`], [`super::sct`]): at every trusted time the leaf chains
//!    to a Fulcio CA of the trusted root valid then, and carries a verified SCT.
//! 5. Identity ([`super::identity`]): SAN, issuer and any required Fulcio extensions.
//! 6. Signature: over the artifact (message signature; its stated digest must be the
//!    artifact's) or over the DSSE pre-authentication encoding.
//!
//! What the bundle signed is returned; matching a DSSE statement's subjects to artifacts
//! is the caller's, so a multi-subject attestation is verified once.

use time::OffsetDateTime;

use super::artifact::Artifact;
use super::bundle::{Bundle, Content, SigningMaterial};
use super::certificate::{ParsedCertificate, check_leaf_usage, find_issuing_authority};
use super::dsse::Envelope;
use super::error::{Result, VerifyError};
use super::identity::{FulcioExtension, IdentityPolicy, extensions as certificate_extensions};
use super::keys::PublicKey;
use super::rekor::{Signer, verify_entry};
use super::sct::verify_embedded_scts;
use super::timestamp::verify_timestamp;
use super::trust_root::{TrustedRoot, format_time};

/// Who is expected to have signed.
#[derive(Debug, Clone)]
pub enum SignerPolicy {
    /// A Fulcio certificate with this identity.
    Identity(IdentityPolicy),
    /// This key.
    Key(PublicKey),
}

/// Where a trusted time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeSource {
    /// A Rekor signed entry timestamp.
    TransparencyLog,
    /// The certificate's own notBefore: not a proof of signing time, used only to check
    /// that a CA of the trusted root issued a certificate no log entry dates.
    CertificateIssuance,
    /// An RFC 3161 timestamp authority.
    TimestampAuthority,
}

/// A bundle that verified: who signed, when, and what.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    /// The certificate's SAN identities (empty for a key-signed bundle).
    pub identities: Vec<String>,
    /// The Fulcio extensions the certificate carries.
    pub extensions: Vec<(FulcioExtension, String)>,
    /// Trusted times at which the signature existed.
    pub times: Vec<(TimeSource, OffsetDateTime)>,
    /// The log indexes of the entries.
    pub log_indexes: Vec<u64>,
    /// The DSSE envelope, when the bundle signed one (its signature verified).
    pub envelope: Option<Envelope>,
}

/// Verifies `bundle`. `artifact` is required for a message-signature bundle and ignored
/// for a DSSE bundle (whose subjects the caller matches).
pub fn verify_bundle(
    bundle: &Bundle,
    artifact: Option<&Artifact>,
    policy: &SignerPolicy,
    root: &TrustedRoot,
) -> Result<VerifiedBundle> {
    let (leaf, key) = signer(bundle, policy, root)?;
    let signer = match (&leaf, policy) {
        (Some(leaf), _) => Signer::Certificate(leaf),
        (None, SignerPolicy::Key(key)) => Signer::Key(key),
        (None, SignerPolicy::Identity(_)) => {
            unreachable!("signer() pairs a missing leaf with a key")
        }
    };

    if let Content::MessageSignature {
        digest: Some((algorithm, stated)),
        ..
    } = &bundle.content
    {
        let artifact = artifact
            .ok_or_else(|| VerifyError::digest("a message-signature bundle needs the artifact"))?;
        match artifact.digest(*algorithm) {
            Some(actual) if actual == stated.as_slice() => {}
            Some(actual) => {
                return Err(VerifyError::digest(format!(
                    "the bundle signs digest {}, the artifact's is {}",
                    hex::encode(stated),
                    hex::encode(actual)
                )));
            }
            None => {
                return Err(VerifyError::digest(
                    "the bundle's digest algorithm is unknown for a digest-only artifact",
                ));
            }
        }
    }
    if bundle.tlog_entries.is_empty() {
        return Err(VerifyError::transparency(
            "the bundle has no transparency log entry",
        ));
    }
    let mut times = Vec::new();
    for (index, stamp) in bundle.rfc3161_timestamps.iter().enumerate() {
        let at = verify_timestamp(stamp, bundle.signature(), root)
            .map_err(|e| e.context(format!("timestamp {index}")))?;
        times.push((TimeSource::TimestampAuthority, at));
    }
    let authority_times: Vec<OffsetDateTime> = times.iter().map(|(_, at)| *at).collect();
    let mut log_indexes = Vec::new();
    for (index, entry) in bundle.tlog_entries.iter().enumerate() {
        let proven = verify_entry(entry, bundle, &signer, artifact, &authority_times, root)
            .map_err(|e| e.context(format!("log entry {index} (log index {})", entry.log_index)))?;
        if let Some(at) = proven {
            times.push((TimeSource::TransparencyLog, at));
        }
        log_indexes.push(entry.log_index);
    }
    if times.is_empty() {
        return Err(VerifyError::time(
            "no trusted time: the bundle has neither a signed entry timestamp nor a timestamp from a trusted authority",
        ));
    }

    let mut identities = Vec::new();
    let mut extensions = Vec::new();
    if let (Some(leaf), SignerPolicy::Identity(identity)) = (&leaf, policy) {
        check_certificate(leaf, &times, root)?;
        identity.check(leaf)?;
        identities = leaf.subject_alternative_names()?;
        extensions = certificate_extensions(leaf);
    }

    let envelope = check_signature(bundle, artifact, &key)?;
    Ok(VerifiedBundle {
        identities,
        extensions,
        times,
        log_indexes,
        envelope,
    })
}

/// The signing certificate (if any) and the key that made the signature.
fn signer(
    bundle: &Bundle,
    policy: &SignerPolicy,
    root: &TrustedRoot,
) -> Result<(Option<ParsedCertificate>, PublicKey)> {
    match (&bundle.signing_material, policy) {
        (SigningMaterial::Certificate { leaf, rest }, SignerPolicy::Identity(_)) => {
            // Trust comes only from the trusted root, so a chain certificate of the bundle is
            // harmless when it is one of the root's own (old v0.1 bundles carry the whole
            // chain) and a sign of tampering otherwise: a root it brings must be rejected.
            if let Some(stranger) = rest.iter().find(|cert| {
                !root
                    .certificate_authorities
                    .iter()
                    .any(|ca| ca.chain.iter().any(|trusted| trusted == *cert))
            }) {
                return Err(VerifyError::chain(format!(
                    "the bundle's certificate chain carries `{}`{}, which is not in the trusted root",
                    stranger.cert.tbs_certificate.subject,
                    if stranger.is_self_signed() {
                        " (a root certificate)"
                    } else {
                        ""
                    }
                )));
            }
            Ok((Some((**leaf).clone()), leaf.public_key()?))
        }
        (SigningMaterial::PublicKey { .. }, SignerPolicy::Key(key)) => Ok((None, key.clone())),
        (SigningMaterial::Certificate { .. }, SignerPolicy::Key(_)) => Err(VerifyError::key(
            "the bundle is signed with a certificate; verify it with an identity and issuer, not a key",
        )),
        (SigningMaterial::PublicKey { hint }, SignerPolicy::Identity(_)) => {
            Err(VerifyError::key(format!(
                "the bundle is signed with a key{}; verify it with that key",
                hint.as_deref()
                    .map(|h| format!(" (hint {h})"))
                    .unwrap_or_default()
            )))
        }
    }
}

/// Checks a signing certificate at each trusted time: valid then, issued by a CA of the
/// trusted root valid then, with a verified SCT.
pub fn check_certificate(
    leaf: &ParsedCertificate,
    times: &[(TimeSource, OffsetDateTime)],
    root: &TrustedRoot,
) -> Result<()> {
    check_leaf_usage(leaf)?;
    let mut issuer = None;
    for (source, at) in times {
        if !leaf.valid_at(*at) {
            return Err(VerifyError::time(format!(
                "signed at {} (by the {}), outside the certificate's validity {}",
                format_time(*at),
                match source {
                    TimeSource::TransparencyLog => "transparency log",
                    TimeSource::TimestampAuthority => "timestamp authority",
                    TimeSource::CertificateIssuance => "certificate itself",
                },
                leaf.validity_text()
            )));
        }
        issuer = Some(find_issuing_authority(
            leaf,
            &root.certificate_authorities,
            *at,
        )?);
    }
    let issuer = issuer.expect("times is not empty");
    verify_embedded_scts(leaf, issuer, root)
}

fn check_signature(
    bundle: &Bundle,
    artifact: Option<&Artifact>,
    key: &PublicKey,
) -> Result<Option<Envelope>> {
    match &bundle.content {
        Content::MessageSignature { signature, .. } => {
            let artifact = artifact.ok_or_else(|| {
                VerifyError::digest("a message-signature bundle needs the artifact")
            })?;
            let hash = key.default_hash();
            match artifact.bytes() {
                Some(bytes) => key.verify(bytes, signature, hash)?,
                None => {
                    let digest = artifact.digest(hash).ok_or_else(|| {
                        VerifyError::key(format!(
                            "a {} signature needs the artifact itself, not only its SHA-256",
                            key.algorithm_name()
                        ))
                    })?;
                    key.verify_digest(digest, signature, hash)?
                }
            }
            Ok(None)
        }
        Content::Dsse(envelope) => {
            key.verify(
                &envelope.pae(),
                &envelope.signatures[0].sig,
                key.default_hash(),
            )
            .map_err(|e| e.context("DSSE envelope"))?;
            Ok(Some(envelope.clone()))
        }
    }
}
