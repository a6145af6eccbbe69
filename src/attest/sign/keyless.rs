//! Keyless signing: one ephemeral P-256 key and one Fulcio certificate for the whole
//! run, every statement signed with them, logged in every transparency log the signing
//! config selects and stamped by every timestamp authority it selects.
//!
//! Why hand-written calls and not the `sigstore-sign` crate (sigstore-rust 0.15.1):
//! its `Signer` makes a new key and asks Fulcio for a new certificate for every
//! statement (a run signs at least two), refuses a signing config without a TSA, builds
//! its own bundle type, and keeps Rekor's 409 an error; its sub-crates would add about
//! twenty crates and a second Sigstore model to convert from. The four calls are small
//! (`fulcio`, `rekor`, `tsa`, `oidc`), use the reqwest vouch already builds, and what
//! they return is checked by vouch's own verifier before anything is written. The
//! `sigstore` crate (0.15) cannot parse CI tokens (no `email` claim) and has no DSSE
//! signer.

use super::fulcio::signing_certificate;
use super::key::SigningKey;
use super::rekor::{Verifier, log_envelope};
use super::tsa::timestamp;
use crate::attest::http::{Http, HttpError, Request};
use crate::attest::oidc::{AUDIENCE, IdentityToken, OidcError, TokenSource};
use crate::attest::signing_config::Services;
use crate::verify::bundle::{Bundle, Content, SigningMaterial};
use crate::verify::certificate::ParsedCertificate;
use crate::verify::dsse::{Envelope, EnvelopeSignature, IN_TOTO_PAYLOAD_TYPE, pae};
use crate::verify::identity::{IdentityPolicy, Matcher};

/// Why keyless signing failed.
#[derive(Debug, thiserror::Error)]
pub enum KeylessError {
    /// No usable token.
    #[error(transparent)]
    Oidc(#[from] OidcError),
    /// A service did not answer as it should.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// No randomness for the key.
    #[error("cannot make the ephemeral key: {0}")]
    Key(String),
}

/// The run's key and certificate.
pub struct Session {
    key: SigningKey,
    certificate: ParsedCertificate,
    /// Whom the certificate names: the identity every bundle must verify as.
    pub identity: IdentityPolicy,
}

impl Session {
    /// Makes the key, gets the token (minting it now, just before Fulcio), and the
    /// certificate. `now` is Unix seconds, for the token's expiry.
    pub fn start(
        http: &Http,
        services: &Services,
        source: &TokenSource,
        now: i64,
    ) -> Result<Self, KeylessError> {
        let key = ephemeral_key()?;
        let jwt = match source {
            TokenSource::Given(jwt) => jwt.clone(),
            TokenSource::GithubActions { url, bearer } => mint_github(http, url, bearer)?,
        };
        let token = IdentityToken::parse(&jwt, now)?;
        // The HTTP client redacts the secrets it was given; a minted token is not one of
        // them, so an answer echoing it is cleaned here.
        let certificate =
            signing_certificate(http, &services.fulcio.url, &token, &key).map_err(|mut e| {
                e.message = e.message.replace(token.secret(), "[REDACTED]");
                e
            })?;
        let identity = expected_identity(&token, &certificate);
        Ok(Session {
            key,
            certificate,
            identity,
        })
    }

    /// The certificate.
    pub fn certificate(&self) -> &ParsedCertificate {
        &self.certificate
    }

    /// Signs a statement: DSSE envelope, a log entry in each log, a timestamp from each
    /// TSA, as a v0.3 bundle.
    pub fn sign(
        &self,
        http: &Http,
        services: &Services,
        statement: &[u8],
    ) -> Result<Bundle, KeylessError> {
        let envelope = Envelope {
            payload_type: IN_TOTO_PAYLOAD_TYPE.to_string(),
            payload: statement.to_vec(),
            signatures: vec![EnvelopeSignature {
                keyid: None,
                sig: self.key.sign(&pae(IN_TOTO_PAYLOAD_TYPE, statement)),
                cert: None,
            }],
        };
        let mut bundle = Bundle::unlogged(
            SigningMaterial::Certificate {
                leaf: Box::new(self.certificate.clone()),
                rest: Vec::new(),
            },
            Content::Dsse(envelope.clone()),
        );
        for tsa in &services.tsa {
            bundle
                .rfc3161_timestamps
                .push(timestamp(http, &tsa.url, &envelope.signatures[0].sig)?);
        }
        for log in &services.rekor {
            bundle.tlog_entries.push(log_envelope(
                http,
                log,
                &envelope,
                &Verifier::Certificate(&self.certificate.der),
            )?);
        }
        Ok(bundle)
    }
}

impl Session {
    /// Signs an artifact's bytes: a message-signature bundle (the signature over the
    /// artifact, its SHA-256 stated), logged as `hashedrekord` and timestamped.
    pub fn sign_artifact(
        &self,
        http: &Http,
        services: &Services,
        artifact: &[u8],
    ) -> Result<Bundle, KeylessError> {
        use sha2::{Digest, Sha256};
        let digest: [u8; 32] = Sha256::digest(artifact).into();
        let signature = self.key.sign(artifact);
        let mut bundle = Bundle::unlogged(
            SigningMaterial::Certificate {
                leaf: Box::new(self.certificate.clone()),
                rest: Vec::new(),
            },
            Content::MessageSignature {
                digest: Some((crate::verify::keys::HashAlgorithm::Sha256, digest.to_vec())),
                signature: signature.clone(),
            },
        );
        for tsa in &services.tsa {
            bundle
                .rfc3161_timestamps
                .push(timestamp(http, &tsa.url, &signature)?);
        }
        for log in &services.rekor {
            bundle.tlog_entries.push(super::rekor::log_message(
                http,
                log,
                &digest,
                &signature,
                &Verifier::Certificate(&self.certificate.der),
            )?);
        }
        Ok(bundle)
    }
}

/// The identity the certificate must name: the token's e-mail or CI workflow when it
/// has one (what Fulcio certifies for those), else whatever Fulcio certified; the issuer
/// is always the token's.
fn expected_identity(token: &IdentityToken, certificate: &ParsedCertificate) -> IdentityPolicy {
    let subject = if token.email.is_some() || token.workflow.is_some() {
        token.expected_identity().to_string()
    } else {
        certificate
            .subject_alternative_names()
            .ok()
            .and_then(|names| names.into_iter().next())
            .unwrap_or_else(|| token.subject.clone())
    };
    IdentityPolicy {
        subject: Matcher::Exact(subject),
        issuer: Matcher::Exact(token.issuer.clone()),
        extensions: Vec::new(),
    }
}

/// A fresh P-256 key from the operating system's generator (see `Cargo.toml` for why
/// not aws-lc's). `try_fill_bytes` surfaces a failing OS generator as an error instead
/// of the panic `SigningKey::random` would give.
fn ephemeral_key() -> Result<SigningKey, KeylessError> {
    use rand_core::{OsRng, RngCore};
    // A uniformly random 32-byte string is a valid scalar except with probability
    // about 2^-32 (zero or at least the group order); draw again then.
    for _ in 0..8 {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        OsRng
            .try_fill_bytes(bytes.as_mut())
            .map_err(|e| KeylessError::Key(e.to_string()))?;
        if let Ok(key) = p256::ecdsa::SigningKey::from_slice(bytes.as_ref()) {
            return Ok(SigningKey::P256(key));
        }
    }
    Err(KeylessError::Key(
        "the operating system's generator gave no valid P-256 scalar in 8 draws".into(),
    ))
}

/// Mints a GitHub Actions OIDC token for the `sigstore` audience.
fn mint_github(http: &Http, url: &str, bearer: &str) -> Result<String, KeylessError> {
    let separator = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{separator}audience={AUDIENCE}");
    let what = "GitHub Actions OIDC token";
    let reply = http
        .send(
            what,
            &Request {
                method: reqwest::Method::GET,
                url: &url,
                headers: vec![("Authorization", format!("bearer {bearer}"))],
                body: None,
            },
        )
        .map_err(|e| OidcError::Mint(e.message))?;
    if !reply.ok() {
        return Err(OidcError::Mint(http.status_error(what, &reply, "").message).into());
    }
    #[derive(serde::Deserialize)]
    struct Minted {
        value: String,
    }
    let minted: Minted = serde_json::from_slice(&reply.body)
        .map_err(|_| OidcError::Mint("the answer has no `value`".into()))?;
    Ok(minted.value)
}
