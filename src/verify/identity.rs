//! Who a Fulcio certificate says signed: the SAN identity, the OIDC issuer and the
//! Fulcio extensions (source repository, ref, workflow, runner environment), and the
//! policy that decides whether that signer is the expected one.
//!
//! Owns the "identity" step. Extension OIDs are Fulcio's (`1.3.6.1.4.1.57264.1.*`,
//! docs/oid-info.md): the v1 issuer (`.1`) holds raw bytes, everything from `.8` on is a
//! DER UTF8String.

use const_oid::ObjectIdentifier;
use der::Decode;
use der::asn1::Utf8StringRef;
use regex::Regex;

use super::certificate::ParsedCertificate;
use super::error::{Result, VerifyError};

/// A Fulcio certificate extension vouch can match.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum FulcioExtension {
    /// The OIDC issuer (`.8`, or the legacy `.1`).
    Issuer,
    /// The build signer URI: the workflow that ran (`.9`).
    BuildSignerUri,
    /// The digest of the build signer (`.10`).
    BuildSignerDigest,
    /// `github-hosted` or `self-hosted` (`.11`).
    RunnerEnvironment,
    /// The source repository URI (`.12`).
    SourceRepositoryUri,
    /// The source commit (`.13`).
    SourceRepositoryDigest,
    /// The source ref, `refs/heads/main` or `refs/tags/v1` (`.14`).
    SourceRepositoryRef,
    /// The repository's immutable id (`.15`).
    SourceRepositoryIdentifier,
    /// The repository owner's URI (`.16`).
    SourceRepositoryOwnerUri,
    /// The build config URI: the top-level workflow (`.18`).
    BuildConfigUri,
    /// The event that triggered the build (`.20`).
    BuildTrigger,
    /// The run URI (`.21`).
    RunInvocationUri,
    /// Deprecated GitHub workflow repository, `owner/repo` (`.5`, raw string).
    LegacyWorkflowRepository,
    /// Deprecated GitHub workflow ref (`.6`, raw string).
    LegacyWorkflowRef,
    /// Deprecated GitHub workflow commit (`.3`, raw string).
    LegacyWorkflowSha,
}

impl FulcioExtension {
    /// All extensions, for reporting what a certificate carries.
    pub const ALL: [FulcioExtension; 15] = [
        FulcioExtension::Issuer,
        FulcioExtension::BuildSignerUri,
        FulcioExtension::BuildSignerDigest,
        FulcioExtension::RunnerEnvironment,
        FulcioExtension::SourceRepositoryUri,
        FulcioExtension::SourceRepositoryDigest,
        FulcioExtension::SourceRepositoryRef,
        FulcioExtension::SourceRepositoryIdentifier,
        FulcioExtension::SourceRepositoryOwnerUri,
        FulcioExtension::BuildConfigUri,
        FulcioExtension::BuildTrigger,
        FulcioExtension::RunInvocationUri,
        FulcioExtension::LegacyWorkflowRepository,
        FulcioExtension::LegacyWorkflowRef,
        FulcioExtension::LegacyWorkflowSha,
    ];

    fn arc(self) -> u32 {
        match self {
            FulcioExtension::Issuer => 8,
            FulcioExtension::BuildSignerUri => 9,
            FulcioExtension::BuildSignerDigest => 10,
            FulcioExtension::RunnerEnvironment => 11,
            FulcioExtension::SourceRepositoryUri => 12,
            FulcioExtension::SourceRepositoryDigest => 13,
            FulcioExtension::SourceRepositoryRef => 14,
            FulcioExtension::SourceRepositoryIdentifier => 15,
            FulcioExtension::SourceRepositoryOwnerUri => 16,
            FulcioExtension::BuildConfigUri => 18,
            FulcioExtension::BuildTrigger => 20,
            FulcioExtension::RunInvocationUri => 21,
            FulcioExtension::LegacyWorkflowRepository => 5,
            FulcioExtension::LegacyWorkflowRef => 6,
            FulcioExtension::LegacyWorkflowSha => 3,
        }
    }

    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            FulcioExtension::Issuer => "issuer",
            FulcioExtension::BuildSignerUri => "build-signer-uri",
            FulcioExtension::BuildSignerDigest => "build-signer-digest",
            FulcioExtension::RunnerEnvironment => "runner-environment",
            FulcioExtension::SourceRepositoryUri => "source-repository-uri",
            FulcioExtension::SourceRepositoryDigest => "source-repository-digest",
            FulcioExtension::SourceRepositoryRef => "source-repository-ref",
            FulcioExtension::SourceRepositoryIdentifier => "source-repository-identifier",
            FulcioExtension::SourceRepositoryOwnerUri => "source-repository-owner-uri",
            FulcioExtension::BuildConfigUri => "build-config-uri",
            FulcioExtension::BuildTrigger => "build-trigger",
            FulcioExtension::RunInvocationUri => "run-invocation-uri",
            FulcioExtension::LegacyWorkflowRepository => "legacy-workflow-repository",
            FulcioExtension::LegacyWorkflowRef => "legacy-workflow-ref",
            FulcioExtension::LegacyWorkflowSha => "legacy-workflow-sha",
        }
    }
}

fn fulcio_oid(arc: u32) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1")
        .push_arc(arc)
        .expect("valid arc")
}

/// Reads a Fulcio extension from a certificate.
pub fn extension(cert: &ParsedCertificate, which: FulcioExtension) -> Option<String> {
    let arc = which.arc();
    if let Some(raw) = cert.raw_extension(fulcio_oid(arc)) {
        // Arcs 1 to 6 are Fulcio's deprecated extensions, raw strings; later ones are DER.
        return if arc <= 6 {
            std::str::from_utf8(raw).ok().map(str::to_string)
        } else {
            Utf8StringRef::from_der(raw).ok().map(|s| s.to_string())
        };
    }
    // The deprecated v1 issuer extension holds the issuer as raw bytes.
    if which == FulcioExtension::Issuer {
        return cert
            .raw_extension(fulcio_oid(1))
            .and_then(|raw| std::str::from_utf8(raw).ok())
            .map(str::to_string);
    }
    None
}

/// Every Fulcio extension the certificate carries, with its value.
pub fn extensions(cert: &ParsedCertificate) -> Vec<(FulcioExtension, String)> {
    FulcioExtension::ALL
        .iter()
        .filter_map(|which| extension(cert, *which).map(|value| (*which, value)))
        .collect()
}

/// An exact string or a regular expression. Expressions match as cosign's and gh's
/// `--certificate-identity-regexp` do (Go's `MatchString`: unanchored), so policies carry
/// over; write `^...$` to pin both ends.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Equal to this string.
    Exact(String),
    /// Matches this expression.
    Pattern(Regex),
}

impl Matcher {
    /// A matcher from a regular expression.
    pub fn pattern(expression: &str) -> std::result::Result<Self, regex::Error> {
        Regex::new(expression).map(Matcher::Pattern)
    }

    /// Whether `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(expected) => expected == value,
            Matcher::Pattern(regex) => regex.is_match(value),
        }
    }

    /// The expected value, for messages.
    pub fn describe(&self) -> String {
        match self {
            Matcher::Exact(expected) => format!("`{expected}`"),
            Matcher::Pattern(regex) => format!("a match of /{}/", regex.as_str()),
        }
    }
}

/// The expected signer of a keyless bundle.
#[derive(Debug, Clone)]
pub struct IdentityPolicy {
    /// The SAN (URI or e-mail) the certificate must carry.
    pub subject: Matcher,
    /// The OIDC issuer.
    pub issuer: Matcher,
    /// Further Fulcio extensions that must match.
    pub extensions: Vec<(FulcioExtension, Matcher)>,
}

impl IdentityPolicy {
    /// An exact identity and issuer, as the conformance protocol gives them.
    pub fn exact(subject: &str, issuer: &str) -> Self {
        IdentityPolicy {
            subject: Matcher::Exact(subject.to_string()),
            issuer: Matcher::Exact(issuer.to_string()),
            extensions: Vec::new(),
        }
    }

    /// Checks the certificate against the policy.
    pub fn check(&self, cert: &ParsedCertificate) -> Result<()> {
        let names = cert.subject_alternative_names()?;
        if !names.iter().any(|name| self.subject.matches(name)) {
            return Err(VerifyError::identity(format!(
                "expected certificate identity {}, got {}",
                self.subject.describe(),
                if names.is_empty() {
                    "no SAN".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
        let issuer = extension(cert, FulcioExtension::Issuer);
        if !issuer
            .as_deref()
            .is_some_and(|issuer| self.issuer.matches(issuer))
        {
            return Err(VerifyError::identity(format!(
                "expected OIDC issuer {}, got {}",
                self.issuer.describe(),
                issuer.as_deref().unwrap_or("none")
            )));
        }
        for (which, expected) in &self.extensions {
            let value = extension(cert, *which);
            if !value
                .as_deref()
                .is_some_and(|value| expected.matches(value))
            {
                return Err(VerifyError::identity(format!(
                    "expected certificate {} {}, got {}",
                    which.name(),
                    expected.describe(),
                    value.as_deref().unwrap_or("none")
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_go_regexp_does() {
        let m = Matcher::pattern("^https://github.com/sigstore/").unwrap();
        assert!(m.matches("https://github.com/sigstore/sigstore-js/x"));
        assert!(!m.matches("https://evil.example/?https://github.com/sigstore/"));
        let m = Matcher::pattern("^https://github.com/org/repo$").unwrap();
        assert!(!m.matches("https://github.com/org/repo2"));
    }
}
