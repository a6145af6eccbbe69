//! The policy: which controls run, their thresholds, and the exceptions granted.
//!
//! A policy is a YAML file (`vouch.yaml`, `version: 1`). It is read into a typed model
//! that rejects unknown keys, so a misspelled threshold can never silently fall back to
//! a default. Errors point at the file, line and column, with a suggestion for the
//! nearest valid key. `schemas/policy.schema.json` is generated from the same types.

mod load;
pub mod sections;
pub mod waiver;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

pub use crate::checks::sast::SastPolicy;
pub use crate::checks::sca::ScaPolicy;
pub use load::{PolicyError, load_file, parse_str};
pub use sections::{GlobPattern, NonEmpty, PathFilter, Threshold};
pub use waiver::{Exception, ExceptionMatch, ExpiryDate};

/// Default of [`Policy::max_exception_lifetime_days`].
pub const DEFAULT_MAX_EXCEPTION_DAYS: u32 = 365;

fn default_forge_deadline() -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(180).expect("not zero")
}

fn default_max_exception_days() -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(DEFAULT_MAX_EXCEPTION_DAYS).expect("not zero")
}

/// The only policy format version this build understands.
pub const POLICY_VERSION: u32 = 1;

/// A vouch policy (`vouch.yaml`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "vouch policy", extend("$id" = "https://vouch.dev/schemas/policy.schema.json"))]
pub struct Policy {
    /// Policy format version; must be 1.
    pub version: PolicyVersion,
    /// SAST gate: SARIF results from any static analyser. Absent: skipped; present
    /// (even empty): enabled with these settings.
    #[serde(default, deserialize_with = "sections::section")]
    pub sast: Option<SastPolicy>,
    /// SCA gate: known vulnerabilities reported by dependency scanners. Absent: skipped;
    /// present (even empty): enabled with these settings.
    #[serde(default, deserialize_with = "sections::section")]
    pub sca: Option<ScaPolicy>,
    /// Branch protection: the target branch requires review, checks, no force pushes.
    #[serde(default, deserialize_with = "sections::section")]
    pub branch_protection: Option<crate::checks::branch_protection::BranchProtectionPolicy>,
    /// Peer review: every change in the range was independently approved.
    #[serde(default, deserialize_with = "sections::section")]
    pub peer_review: Option<crate::checks::peer_review::PeerReviewPolicy>,
    /// Required checks: named checks succeeded on the exact commit.
    #[serde(default, deserialize_with = "sections::section")]
    pub required_checks: Option<crate::checks::required_checks::RequiredChecksPolicy>,
    /// SBOM: valid CycloneDX about this artifact, complete against the lockfile,
    /// within license and component policy.
    #[serde(default, deserialize_with = "sections::section")]
    pub sbom: Option<crate::checks::sbom::SbomPolicy>,
    /// Provenance: every artifact has signed, logged SLSA provenance from a trusted
    /// builder and the expected source.
    #[serde(default, deserialize_with = "sections::section")]
    pub provenance: Option<crate::checks::provenance::ProvenancePolicy>,
    /// Verification summaries: every artifact carries a VSA from a trusted verifier
    /// saying it passed, at the required levels.
    #[serde(default, deserialize_with = "sections::section")]
    pub vsa: Option<crate::checks::vsa::VsaPolicy>,
    /// Attestations: what the VSA and the detailed report vouch writes say about the
    /// verifier (used with `vouch verify --attest-out` or `--publish`).
    #[serde(default)]
    pub attest: AttestPolicy,
    /// Time for the whole forge collection, in seconds (default 180); what is not read
    /// by then is a gap and its control an `error`. `--forge-deadline` overrides it.
    #[serde(default = "default_forge_deadline")]
    pub forge_deadline_seconds: std::num::NonZeroU32,
    /// Longest an exception may run, in days from the run time (default 365). An
    /// exception that expires later is reported and not honored: an expiry of 9999-12-31
    /// is not time-boxed.
    #[serde(default = "default_max_exception_days")]
    pub max_exception_lifetime_days: std::num::NonZeroU32,
    /// Time-boxed waivers for specific findings. Each needs a reason, an owner and an expiry date.
    #[serde(default)]
    #[schemars(with = "Vec<Exception>")]
    pub exceptions: Vec<Spanned<Exception>>,
}

/// The `attest` section.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttestPolicy {
    /// The VSA's `verifier.id`: a URI naming who verified (default
    /// `https://github.com/vouch-dev/vouch`). A consumer pins it (slsa-verifier
    /// `verify-vsa --verifier-id`, `vouch attestation verify --verifier-id`), so an
    /// organisation names its own deploy gate here.
    #[serde(default)]
    pub verifier_id: Option<sections::NonEmpty>,
}

impl Policy {
    /// The JSON Schema (2020-12) of the policy file, as published in `schemas/`.
    pub fn json_schema() -> serde_json::Value {
        let schema = schemars::schema_for!(Policy);
        serde_json::to_value(&schema).expect("a derived schema always serializes")
    }

    /// Ids of the controls this policy enables, in report order.
    pub fn enabled_controls(&self) -> Vec<&'static str> {
        crate::checks::ALL
            .iter()
            .filter(|c| c.settings(self).is_some())
            .map(|c| c.id())
            .collect()
    }

    /// Refuses a policy that enables no control: every control would be `skipped`, and
    /// a verdict over no control is a pass that vouches for nothing.
    pub fn require_a_control(&self, file: &str) -> Result<(), PolicyError> {
        if self.enabled_controls().is_empty() {
            return Err(PolicyError {
                file: file.to_string(),
                line: None,
                column: None,
                message: format!(
                    "the policy enables no control: add at least one of {} (a section such as `sast: {{}}` enables it with its defaults)",
                    crate::checks::control_ids().join(", ")
                ),
            });
        }
        Ok(())
    }

    /// The schema as pretty JSON with a trailing newline, exactly as committed.
    pub fn json_schema_text() -> String {
        let mut text = serde_json::to_string_pretty(&Self::json_schema()).expect("serializable");
        text.push('\n');
        text
    }
}

/// The policy format version: only `1` is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyVersion;

impl<'de> Deserialize<'de> for PolicyVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = u64::deserialize(d)?;
        if v == u64::from(POLICY_VERSION) {
            Ok(PolicyVersion)
        } else {
            Err(serde::de::Error::custom(format!(
                "version: expected {POLICY_VERSION}, got {v} (this vouch reads policy version {POLICY_VERSION})"
            )))
        }
    }
}

impl JsonSchema for PolicyVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PolicyVersion".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "description": "Policy format version; must be 1.", "const": 1 })
    }
}

/// The policy that applies when none is given: both gates at `high`, no exceptions.
pub fn default_policy() -> Policy {
    parse_str(STARTER_POLICY, "<built-in default policy>").expect("the starter policy is valid")
}

/// The commented starter policy written by `vouch policy init`.
pub const STARTER_POLICY: &str = include_str!("starter.yaml");
