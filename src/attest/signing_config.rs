//! Which Sigstore services sign: a `signing_config.json` v0.2 (protobuf-specs
//! `dev.sigstore.trustroot.v1.SigningConfig`), and the selection rules its comments and
//! sigstore-python apply.
//!
//! For each service list: keep the services whose `validFor` window holds the run time
//! and whose `majorApiVersion` vouch speaks (Fulcio 1, Rekor 1 and 2, TSA 1), keep
//! those of the highest such version, then take one (`ANY`), the first `count`
//! (`EXACT`, an error when fewer are listed) or all (`ALL`) as the list's selector says.
//! A Fulcio is required; a TSA is optional unless the chosen log is Rekor v2, which
//! gives no trusted time of its own.

use serde::Deserialize;
use time::OffsetDateTime;

/// The public-good signing config (see `configs/README.md` for its provenance).
pub const PUBLIC_GOOD: &str = include_str!("configs/public-good.signing_config.json");
/// The staging signing config.
pub const STAGING: &str = include_str!("configs/staging.signing_config.json");

const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

/// A service a signing config lists.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// Its base URL.
    pub url: String,
    /// The API major version it speaks.
    pub major_api_version: u32,
    /// When it may be used.
    #[serde(default)]
    pub valid_for: Option<Window>,
    /// Who runs it.
    #[serde(default)]
    pub operator: Option<String>,
}

/// A validity window (RFC 3339 bounds; no end: open).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Window {
    /// Start.
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// End, exclusive.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub end: Option<OffsetDateTime>,
}

/// How many services of a list to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Selection {
    /// `ALL`, `ANY` or `EXACT`.
    pub selector: Selector,
    /// For `EXACT`.
    #[serde(default)]
    pub count: Option<u32>,
}

/// The selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Selector {
    /// Every service.
    All,
    /// Any one.
    Any,
    /// Exactly `count`.
    Exact,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Raw {
    media_type: String,
    #[serde(default)]
    ca_urls: Vec<Service>,
    #[serde(default)]
    oidc_urls: Vec<Service>,
    #[serde(default)]
    rekor_tlog_urls: Vec<Service>,
    #[serde(default)]
    rekor_tlog_config: Option<Selection>,
    #[serde(default)]
    tsa_urls: Vec<Service>,
    #[serde(default)]
    tsa_config: Option<Selection>,
}

/// A parsed signing config.
#[derive(Debug, Clone)]
pub struct SigningConfig {
    ca: Vec<Service>,
    oidc: Vec<Service>,
    rekor: Vec<Service>,
    rekor_selection: Selection,
    tsa: Vec<Service>,
    tsa_selection: Selection,
}

/// The services a run signs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Services {
    /// The Fulcio (API v2 endpoints; `majorApiVersion` 1 in the config).
    pub fulcio: Service,
    /// The OIDC issuer, for an interactive login (none in CI).
    pub oidc: Option<Service>,
    /// The transparency logs every bundle is logged in.
    pub rekor: Vec<Service>,
    /// The timestamp authorities every signature is stamped by.
    pub tsa: Vec<Service>,
}

/// Why a signing config cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signing config {source_name}: {message}")]
pub struct ConfigError {
    /// The file (or `built-in public-good`).
    pub source_name: String,
    /// What is wrong.
    pub message: String,
}

const FULCIO_VERSIONS: &[u32] = &[1];
const REKOR_VERSIONS: &[u32] = &[1, 2];
const TSA_VERSIONS: &[u32] = &[1];

impl SigningConfig {
    /// Reads a v0.2 signing config; `source_name` names it in errors.
    pub fn from_json(bytes: &[u8], source_name: &str) -> Result<Self, ConfigError> {
        let fail = |message: String| ConfigError {
            source_name: source_name.to_string(),
            message,
        };
        let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
        let raw: Raw = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            fail(format!(
                "field `{}`: {} (line {}, column {})",
                e.path(),
                e.inner(),
                e.inner().line(),
                e.inner().column()
            ))
        })?;
        if raw.media_type != MEDIA_TYPE {
            return Err(fail(format!(
                "field `mediaType`: expected `{MEDIA_TYPE}`, got `{}`",
                raw.media_type
            )));
        }
        let any = Selection {
            selector: Selector::Any,
            count: None,
        };
        Ok(SigningConfig {
            ca: raw.ca_urls,
            oidc: raw.oidc_urls,
            rekor: raw.rekor_tlog_urls,
            rekor_selection: raw.rekor_tlog_config.unwrap_or(any),
            tsa: raw.tsa_urls,
            tsa_selection: raw.tsa_config.unwrap_or(any),
        })
    }

    /// The embedded public-good config.
    pub fn public_good() -> Self {
        Self::from_json(PUBLIC_GOOD.as_bytes(), "built-in public-good")
            .expect("the embedded signing config reads")
    }

    /// The embedded staging config.
    pub fn staging() -> Self {
        Self::from_json(STAGING.as_bytes(), "built-in staging")
            .expect("the embedded signing config reads")
    }

    /// The services to sign with at `now`.
    pub fn select(&self, now: OffsetDateTime, source_name: &str) -> Result<Services, ConfigError> {
        let fail = |message: String| ConfigError {
            source_name: source_name.to_string(),
            message,
        };
        let one = Selection {
            selector: Selector::Any,
            count: None,
        };
        let fulcio = select(&self.ca, FULCIO_VERSIONS, one, now)
            .map_err(|m| fail(format!("caUrls: {m}")))?
            .into_iter()
            .next()
            .ok_or_else(|| {
                fail("caUrls: no certificate authority valid now with API version 1".into())
            })?;
        let oidc = select(&self.oidc, &[1], one, now)
            .ok()
            .and_then(|s| s.into_iter().next());
        let rekor = select(&self.rekor, REKOR_VERSIONS, self.rekor_selection, now)
            .map_err(|m| fail(format!("rekorTlogUrls: {m}")))?;
        if rekor.is_empty() {
            return Err(fail(
                "rekorTlogUrls: no transparency log valid now with API version 1 or 2".into(),
            ));
        }
        let tsa = select(&self.tsa, TSA_VERSIONS, self.tsa_selection, now)
            .map_err(|m| fail(format!("tsaUrls: {m}")))?;
        if tsa.is_empty() && rekor.iter().any(|r| r.major_api_version == 2) {
            return Err(fail(
                "Rekor v2 gives no signed time of its own, and no timestamp authority is valid now (tsaUrls)".into(),
            ));
        }
        Ok(Services {
            fulcio,
            oidc,
            rekor,
            tsa,
        })
    }
}

/// The services of `list` to use: valid now, of the highest supported version, as many
/// as the selection says.
fn select(
    list: &[Service],
    supported: &[u32],
    selection: Selection,
    now: OffsetDateTime,
) -> Result<Vec<Service>, String> {
    let valid: Vec<&Service> = list
        .iter()
        .filter(|s| supported.contains(&s.major_api_version))
        .filter(|s| {
            s.valid_for
                .as_ref()
                .is_some_and(|w| w.start <= now && w.end.is_none_or(|end| now < end))
        })
        .collect();
    let Some(highest) = valid.iter().map(|s| s.major_api_version).max() else {
        return Ok(Vec::new());
    };
    let newest: Vec<Service> = valid
        .into_iter()
        .filter(|s| s.major_api_version == highest)
        .cloned()
        .collect();
    match selection.selector {
        Selector::Any => Ok(newest.into_iter().take(1).collect()),
        Selector::All => Ok(newest),
        Selector::Exact => {
            let count = selection
                .count
                .filter(|c| *c > 0)
                .ok_or("selector EXACT needs a positive count")? as usize;
            if newest.len() < count {
                return Err(format!(
                    "selector EXACT asks for {count}, but {} valid service(s) of API version {highest} are listed",
                    newest.len()
                ));
            }
            Ok(newest.into_iter().take(count).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_public_good_config_selects_fulcio_rekor_v1_and_the_tsa() {
        let services = SigningConfig::public_good()
            .select(datetime!(2026-12-03 12:00 UTC), "pg")
            .unwrap();
        assert_eq!(services.fulcio.url, "https://fulcio.sigstore.dev");
        assert_eq!(services.rekor.len(), 1);
        assert_eq!(services.rekor[0].url, "https://rekor.sigstore.dev");
        assert_eq!(services.rekor[0].major_api_version, 1);
        assert_eq!(
            services.tsa[0].url,
            "https://timestamp.sigstore.dev/api/v1/timestamp"
        );
        // Before the TSA's window opened, none is used.
        let early = SigningConfig::public_good()
            .select(datetime!(2025-01-01 00:00 UTC), "pg")
            .unwrap();
        assert!(early.tsa.is_empty());
    }

    #[test]
    fn staging_picks_the_newest_rekor_v2_valid_now_and_requires_a_tsa_for_it() {
        let services = SigningConfig::staging()
            .select(datetime!(2026-12-03 12:00 UTC), "staging")
            .unwrap();
        assert_eq!(services.rekor.len(), 1);
        assert_eq!(services.rekor[0].major_api_version, 2);
        assert_eq!(
            services.rekor[0].url,
            "https://log2025-alpha3.rekor.sigstage.dev"
        );
        // In alpha2's window, alpha2 (alpha3 was not valid yet).
        let then = SigningConfig::staging()
            .select(datetime!(2025-09-01 00:00 UTC), "staging")
            .unwrap();
        assert_eq!(
            then.rekor[0].url,
            "https://log2025-alpha2.rekor.sigstage.dev"
        );
        let no_tsa = SigningConfig::from_json(
            br#"{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json",
                "caUrls":[{"url":"https://f","majorApiVersion":1,"validFor":{"start":"2020-01-01T00:00:00Z"}}],
                "rekorTlogUrls":[{"url":"https://r","majorApiVersion":2,"validFor":{"start":"2020-01-01T00:00:00Z"}}]}"#,
            "t",
        )
        .unwrap();
        let err = no_tsa
            .select(datetime!(2026-12-03 12:00 UTC), "t")
            .unwrap_err();
        assert!(err.message.contains("Rekor v2"), "{err}");
    }

    #[test]
    fn selectors_and_unsupported_versions_and_bad_files() {
        let config = |selector: &str| {
            SigningConfig::from_json(
                format!(
                    r#"{{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json",
                    "caUrls":[{{"url":"https://f3","majorApiVersion":3,"validFor":{{"start":"2020-01-01T00:00:00Z"}}}},
                              {{"url":"https://f","majorApiVersion":1,"validFor":{{"start":"2020-01-01T00:00:00Z"}}}}],
                    "rekorTlogUrls":[{{"url":"https://r1","majorApiVersion":1,"validFor":{{"start":"2020-01-01T00:00:00Z"}}}},
                                     {{"url":"https://r2","majorApiVersion":1,"validFor":{{"start":"2020-01-01T00:00:00Z"}}}}],
                    "rekorTlogConfig":{selector}}}"#
                )
                .as_bytes(),
                "t",
            )
            .unwrap()
            .select(datetime!(2026-12-03 12:00 UTC), "t")
        };
        let all = config(r#"{"selector":"ALL"}"#).unwrap();
        assert_eq!(
            all.fulcio.url, "https://f",
            "an API version vouch does not speak is skipped"
        );
        assert_eq!(all.rekor.len(), 2);
        assert_eq!(config(r#"{"selector":"ANY"}"#).unwrap().rekor.len(), 1);
        assert_eq!(
            config(r#"{"selector":"EXACT","count":2}"#)
                .unwrap()
                .rekor
                .len(),
            2
        );
        let err = config(r#"{"selector":"EXACT","count":3}"#).unwrap_err();
        assert!(err.message.contains("EXACT asks for 3"), "{err}");
        let err = SigningConfig::from_json(b"{\"mediaType\":\"x\"}", "f.json").unwrap_err();
        assert!(err.message.contains("mediaType"), "{err}");
        let err = SigningConfig::from_json(b"{\"mediaType\":1}", "f.json").unwrap_err();
        assert!(err.to_string().contains("f.json"), "{err}");
    }
}
