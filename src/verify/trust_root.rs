//! The Sigstore trusted root (`trusted_root.json`, protobuf-specs `TrustedRoot` v0.1/v0.2):
//! which Fulcio CAs, Rekor logs, CT logs and timestamp authorities to trust, and when.
//!
//! Owns reading the root and answering "which trusted key or CA has this id and was valid
//! at this time". The Sigstore public-good root is embedded in the binary (taken from the
//! PyPI `sigstore` 4.5.1 wheel, `sigstore/_store/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev/
//! trusted_root.json`, byte-identical to `sigstore/root-signing` at the time), so
//! verification never needs the network; `--trusted-root` replaces it, and
//! `vouch sigstore refresh-root` fetches a newer one through TUF.
//!
//! A trusted root entry whose key cannot be read (an algorithm vouch does not know, a
//! broken key) does not reject the whole root: the entry stays, unusable, with the reason,
//! and a bundle that needs that entry fails with it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::certificate::ParsedCertificate;
use super::error::{Result, VerifyError};
use super::keys::PublicKey;

/// The Sigstore public-good trusted root embedded in the binary.
pub const PUBLIC_GOOD: &str = include_str!("roots/public-good.trusted_root.json");
/// The Sigstore staging trusted root embedded in the binary.
pub const STAGING: &str = include_str!("roots/staging.trusted_root.json");

/// A time window; `end` is inclusive and open when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// The first instant the key or CA may be used.
    pub start: OffsetDateTime,
    /// The last instant (inclusive), if any.
    pub end: Option<OffsetDateTime>,
}

impl Validity {
    /// Whether `at` falls inside the window, both ends included.
    pub fn contains(&self, at: OffsetDateTime) -> bool {
        at >= self.start && self.end.is_none_or(|end| at <= end)
    }
}

/// A transparency log (Rekor) or certificate transparency log, with its key.
#[derive(Debug, Clone)]
pub struct TransparencyLog {
    /// Where the log lives, for messages.
    pub base_url: String,
    /// The log id: SHA-256 of the key for Rekor v1 and CT, the signed-note key id otherwise.
    pub log_id: Vec<u8>,
    /// The log's key, or why it cannot be used.
    pub key: std::result::Result<PublicKey, String>,
    /// When the key may be trusted, or why no window is known.
    pub valid_for: std::result::Result<Validity, String>,
}

impl TransparencyLog {
    /// The key, if it was valid at `at`.
    pub fn key_at(&self, at: OffsetDateTime) -> Result<&PublicKey> {
        let key = self.usable_key()?;
        let valid_for = self.valid_for.as_ref().map_err(|reason| {
            VerifyError::transparency(format!("log {}: {reason}", self.base_url))
        })?;
        if !valid_for.contains(at) {
            return Err(VerifyError::time(format!(
                "log {} key is trusted {}, not at {}",
                self.base_url,
                describe_window(valid_for),
                format_time(at)
            )));
        }
        Ok(key)
    }

    /// The key whatever the time (for checkpoints, which carry no time of their own).
    fn usable_key(&self) -> Result<&PublicKey> {
        self.key.as_ref().map_err(|reason| {
            VerifyError::transparency(format!(
                "log {} has an unusable key: {reason}",
                self.base_url
            ))
        })
    }
}

/// A certificate authority (Fulcio) or timestamp authority and its chain.
#[derive(Debug, Clone)]
pub struct CertificateAuthority {
    /// Where the authority lives, for messages.
    pub uri: String,
    /// The chain, issuing certificate first and root last.
    pub chain: Vec<ParsedCertificate>,
    /// When certificates it issued may be trusted.
    pub valid_for: std::result::Result<Validity, String>,
}

/// A parsed trusted root.
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    /// Rekor logs.
    pub tlogs: Vec<TransparencyLog>,
    /// Fulcio CAs.
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// Certificate transparency logs.
    pub ctlogs: Vec<TransparencyLog>,
    /// RFC 3161 timestamp authorities.
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

impl TrustedRoot {
    /// The embedded Sigstore public-good root.
    pub fn public_good() -> Result<Self> {
        Self::from_json(PUBLIC_GOOD.as_bytes())
    }

    /// The embedded Sigstore staging root.
    pub fn staging() -> Result<Self> {
        Self::from_json(STAGING.as_bytes())
    }

    /// Reads a `trusted_root.json`.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
        let raw: RawTrustedRoot = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            VerifyError::parse(format!("trusted root: field `{}`: {}", e.path(), e.inner()))
        })?;
        if !raw
            .media_type
            .starts_with("application/vnd.dev.sigstore.trustedroot")
        {
            return Err(VerifyError::parse(format!(
                "trusted root: field `mediaType`: expected application/vnd.dev.sigstore.trustedroot+json, got {}",
                raw.media_type
            )));
        }
        Ok(TrustedRoot {
            tlogs: raw.tlogs.into_iter().map(RawLog::into_log).collect(),
            ctlogs: raw.ctlogs.into_iter().map(RawLog::into_log).collect(),
            certificate_authorities: raw
                .certificate_authorities
                .into_iter()
                .map(RawAuthority::into_authority)
                .collect::<Result<_>>()?,
            timestamp_authorities: raw
                .timestamp_authorities
                .into_iter()
                .map(RawAuthority::into_authority)
                .collect::<Result<_>>()?,
        })
    }

    /// The Rekor logs whose id is `log_id` (normally one).
    pub fn tlogs_with_id<'a>(
        &'a self,
        log_id: &'a [u8],
    ) -> impl Iterator<Item = &'a TransparencyLog> {
        self.tlogs.iter().filter(move |log| log.log_id == log_id)
    }

    /// The CT log whose id is `log_id`.
    pub fn ctlog(&self, log_id: &[u8]) -> Option<&TransparencyLog> {
        self.ctlogs.iter().find(|log| log.log_id == log_id)
    }
}

/// "from 2021-01-01T00:00:00Z until 2022-01-01T00:00:00Z" for messages.
pub fn describe_window(validity: &Validity) -> String {
    match validity.end {
        Some(end) => format!(
            "from {} until {}",
            format_time(validity.start),
            format_time(end)
        ),
        None => format!("from {}", format_time(validity.start)),
    }
}

/// RFC 3339 for messages.
pub fn format_time(at: OffsetDateTime) -> String {
    at.format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTrustedRoot {
    media_type: String,
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawAuthority>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
    #[serde(default)]
    timestamp_authorities: Vec<RawAuthority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    #[serde(default)]
    base_url: String,
    public_key: RawPublicKey,
    log_id: RawLogId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPublicKey {
    #[serde(default)]
    raw_bytes: Option<String>,
    #[serde(default)]
    key_details: String,
    #[serde(default)]
    valid_for: Option<RawValidity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAuthority {
    #[serde(default)]
    uri: String,
    cert_chain: RawCertChain,
    #[serde(default)]
    valid_for: Option<RawValidity>,
}

#[derive(Deserialize)]
struct RawCertChain {
    certificates: Vec<RawCertificate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCertificate {
    raw_bytes: String,
}

#[derive(Deserialize)]
struct RawValidity {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

impl RawValidity {
    /// A window needs a start: a key with none would be trusted for all of history.
    fn parse(raw: Option<RawValidity>) -> std::result::Result<Validity, String> {
        let raw = raw.ok_or("no validFor window")?;
        let start = raw.start.ok_or("validFor has no start")?;
        let start = parse_time(&start)?;
        let end = raw.end.as_deref().map(parse_time).transpose()?;
        Ok(Validity { start, end })
    }
}

fn parse_time(text: &str) -> std::result::Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| format!("`{text}` is not an RFC 3339 time: {e}"))
}

impl RawLog {
    fn into_log(self) -> TransparencyLog {
        let details = self.public_key.key_details;
        let key = self
            .public_key
            .raw_bytes
            .ok_or_else(|| "no rawBytes".to_string())
            .and_then(|raw| {
                STANDARD
                    .decode(raw)
                    .map_err(|e| format!("rawBytes is not base64: {e}"))
            })
            .and_then(|raw| PublicKey::from_key_details(&raw, &details).map_err(|e| e.message));
        TransparencyLog {
            log_id: STANDARD.decode(&self.log_id.key_id).unwrap_or_default(),
            base_url: self.base_url,
            key,
            valid_for: RawValidity::parse(self.public_key.valid_for),
        }
    }
}

impl RawAuthority {
    fn into_authority(self) -> Result<CertificateAuthority> {
        let chain = self
            .cert_chain
            .certificates
            .iter()
            .enumerate()
            .map(|(index, cert)| {
                let der = STANDARD.decode(&cert.raw_bytes).map_err(|e| {
                    VerifyError::parse(format!(
                        "trusted root: authority {}: certificate {index} is not base64: {e}",
                        self.uri
                    ))
                })?;
                ParsedCertificate::from_der(der).map_err(|e| {
                    e.context(format!(
                        "trusted root: authority {}: certificate {index}",
                        self.uri
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if chain.is_empty() {
            return Err(VerifyError::parse(format!(
                "trusted root: authority {} has an empty certChain",
                self.uri
            )));
        }
        Ok(CertificateAuthority {
            uri: self.uri,
            chain,
            valid_for: RawValidity::parse(self.valid_for),
        })
    }
}
