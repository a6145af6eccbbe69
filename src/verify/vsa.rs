//! SLSA Verification Summary Attestations (VSA v1): a verifier's signed statement that it
//! checked an artifact against a policy, and at which levels it passed.
//!
//! Owns reading a VSA and checking it against what the consumer expects: the predicate
//! type, the subject, the verifier, the resource, the result `PASSED`, and the verified
//! levels (`SLSA_BUILD_LEVEL_3` satisfies an expected `SLSA_BUILD_LEVEL_2`; other levels
//! match exactly). The signature is checked by the caller's key; when a key id is
//! expected, only signatures carrying that key id count.

use serde_json::Value;

use super::dsse::Envelope;
use super::error::{Result, VerifyError};
use super::keys::PublicKey;
use super::statement::Statement;

/// The VSA v1 predicate type.
pub const VSA_V1: &str = "https://slsa.dev/verification_summary/v1";

/// What the VSA must say.
#[derive(Debug, Clone, Default)]
pub struct VsaExpectations {
    /// The verifier that must have issued it (`verifier.id`).
    pub verifier_id: String,
    /// The resource it must be about (`resourceUri`).
    pub resource_uri: Option<String>,
    /// Levels it must have verified (`verifiedLevels`).
    pub verified_levels: Vec<String>,
    /// Subject digests (`algorithm`, `value`) that must all be among the subjects.
    pub subject_digests: Vec<(String, String)>,
    /// The key id the signature must carry, when given.
    pub key_id: Option<String>,
    /// The sha256 (hex) the VSA's `policy.digest` must state, when given.
    pub policy_sha256: Option<String>,
}

/// A VSA that verified.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifiedVsa {
    /// `verifier.id`.
    pub verifier_id: String,
    /// `resourceUri`.
    pub resource_uri: String,
    /// `verifiedLevels`.
    pub verified_levels: Vec<String>,
    /// `timeVerified`, as stated.
    pub time_verified: Option<String>,
}

/// What a VSA states, as read from its predicate, unjudged: the evidence a VSA control
/// applies a policy to (so `vouch evaluate` can apply another). Fields the VSA leaves
/// out, or gives in the wrong type, are `None` (and empty), and fail whatever needs them.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct VsaFacts {
    /// `verifier.id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifier_id: Option<String>,
    /// `resourceUri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_uri: Option<String>,
    /// `verificationResult` (`PASSED` or `FAILED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// `verifiedLevels`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verified_levels: Vec<String>,
    /// `timeVerified`, as stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_verified: Option<String>,
}

impl VsaFacts {
    /// The facts of a VSA statement's predicate.
    pub fn of(statement: &Statement) -> VsaFacts {
        let text = |pointer: &str| {
            statement
                .predicate
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        VsaFacts {
            verifier_id: text("/verifier/id"),
            resource_uri: text("/resourceUri"),
            result: text("/verificationResult"),
            verified_levels: statement.predicate["verifiedLevels"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            time_verified: text("/timeVerified"),
        }
    }
}

/// Verifies a key-signed DSSE envelope carrying a VSA.
pub fn verify_vsa_envelope(
    envelope: &Envelope,
    key: &PublicKey,
    expected: &VsaExpectations,
) -> Result<VerifiedVsa> {
    envelope.verify_with(key, expected.key_id.as_deref())?;
    check_payload_type(envelope)?;
    let statement = Statement::from_payload(&envelope.payload)?;
    check_vsa(&statement, expected)
}

/// Verifies a VSA in either form a verifier publishes it (see [`verified_statement`]).
pub fn verify_vsa_document(
    form: &super::attestation::AttestationForm,
    signer: &super::sigstore::SignerPolicy,
    root: &super::trust_root::TrustedRoot,
    expected: &VsaExpectations,
) -> Result<VerifiedVsa> {
    let statement = verified_statement(form, signer, root, expected.key_id.as_deref())?;
    check_vsa(&statement, expected)
}

/// The in-toto statement of a signed document whose signature verified: a bare DSSE
/// envelope (signed with a key) or a Sigstore bundle (keyless, or with a key).
///
/// A key-signed bundle that carries no transparency-log entry is checked by its
/// signature alone, as its envelope would be: the key is the trust, and a log entry
/// (`vouch verify --publish rekor`) adds a trusted time, not identity. A bundle with log
/// entries, and every certificate-signed bundle, is verified in full.
pub fn verified_statement(
    form: &super::attestation::AttestationForm,
    signer: &super::sigstore::SignerPolicy,
    root: &super::trust_root::TrustedRoot,
    key_id: Option<&str>,
) -> Result<Statement> {
    use super::attestation::AttestationForm;
    use super::sigstore::SignerPolicy;
    let envelope = match (form, signer) {
        (AttestationForm::Envelope(value), SignerPolicy::Key(key)) => {
            let envelope = Envelope::from_value(value)?;
            envelope.verify_with(key, key_id)?;
            envelope
        }
        (AttestationForm::Envelope(_), SignerPolicy::Identity(_)) => {
            return Err(VerifyError::key(
                "a bare DSSE envelope carries no certificate; verify it with the signer's --key, or give the Sigstore bundle",
            ));
        }
        (AttestationForm::Bundle(value), _) => {
            let bundle = super::bundle::Bundle::from_value(value)?;
            let envelope = match (&bundle.content, signer, bundle.tlog_entries.is_empty()) {
                (super::bundle::Content::Dsse(envelope), SignerPolicy::Key(key), true) => {
                    envelope.verify_with(key, key_id)?;
                    envelope.clone()
                }
                _ => super::sigstore::verify_bundle(&bundle, None, signer, root)?
                    .envelope
                    .ok_or_else(|| {
                        VerifyError::predicate("the bundle signs an artifact, not an attestation")
                    })?,
            };
            if let SignerPolicy::Key(key) = signer {
                envelope.verify_with(key, key_id)?;
            }
            envelope
        }
    };
    check_payload_type(&envelope)?;
    Statement::from_payload(&envelope.payload)
}

fn check_payload_type(envelope: &Envelope) -> Result<()> {
    if envelope.payload_type != super::dsse::IN_TOTO_PAYLOAD_TYPE {
        return Err(VerifyError::predicate(format!(
            "expected payload type {}, got `{}`",
            super::dsse::IN_TOTO_PAYLOAD_TYPE,
            envelope.payload_type
        )));
    }
    Ok(())
}

/// Checks a verified statement's VSA predicate.
pub fn check_vsa(statement: &Statement, expected: &VsaExpectations) -> Result<VerifiedVsa> {
    if statement.predicate_type != VSA_V1 {
        return Err(VerifyError::predicate(format!(
            "expected a VSA ({VSA_V1}), got predicate type `{}`",
            statement.predicate_type
        )));
    }
    for (algorithm, value) in &expected.subject_digests {
        if !statement
            .subjects
            .iter()
            .any(|subject| subject.digest.get(algorithm).is_some_and(|d| d == value))
        {
            return Err(VerifyError::digest(format!(
                "expected a subject with digest {algorithm}:{value}"
            )));
        }
    }
    let predicate = &statement.predicate;
    let text = |pointer: &str| {
        predicate
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let verifier_id =
        text("/verifier/id").ok_or_else(|| VerifyError::predicate("the VSA has no verifier.id"))?;
    if verifier_id != expected.verifier_id {
        return Err(VerifyError::builder(format!(
            "expected verifier `{}`, got `{verifier_id}`",
            expected.verifier_id
        )));
    }
    let resource_uri = text("/resourceUri").unwrap_or_default();
    if let Some(uri) = &expected.resource_uri
        && *uri != resource_uri
    {
        return Err(VerifyError::source(format!(
            "expected resource `{uri}`, got `{resource_uri}`"
        )));
    }
    if let Some(wanted) = &expected.policy_sha256 {
        let stated = text("/policy/digest/sha256").unwrap_or_default();
        if !stated.eq_ignore_ascii_case(wanted) {
            return Err(VerifyError::predicate(format!(
                "expected policy digest sha256:{wanted}, the VSA states {}",
                if stated.is_empty() {
                    "none".to_string()
                } else {
                    format!("sha256:{stated}")
                }
            )));
        }
    }
    let result = text("/verificationResult").unwrap_or_default();
    if result != "PASSED" {
        return Err(VerifyError::predicate(format!(
            "the VSA's verificationResult is `{result}`, not PASSED"
        )));
    }
    let levels: Vec<String> = predicate["verifiedLevels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    for wanted in &expected.verified_levels {
        if !levels.iter().any(|level| level_satisfies(level, wanted)) {
            return Err(VerifyError::predicate(format!(
                "expected verified level {wanted}, the VSA has {}",
                levels.join(", ")
            )));
        }
    }
    Ok(VerifiedVsa {
        verifier_id,
        resource_uri,
        verified_levels: levels,
        time_verified: text("/timeVerified"),
    })
}

/// A level implies the lower ones of its track: `SLSA_BUILD_LEVEL_3` satisfies
/// `SLSA_BUILD_LEVEL_2`, `SLSA_SOURCE_LEVEL_4` satisfies `SLSA_SOURCE_LEVEL_1`; a level of
/// another track, or anything else, must be equal.
pub fn level_satisfies(have: &str, want: &str) -> bool {
    match (track_level(have), track_level(want)) {
        (Some((have_track, h)), Some((want_track, w))) => have_track == want_track && h >= w,
        _ => have == want,
    }
}

/// `SLSA_<TRACK>_LEVEL_<n>` as (track, n).
fn track_level(level: &str) -> Option<(&str, u8)> {
    let rest = level.strip_prefix("SLSA_")?;
    let (track, n) = rest.rsplit_once("_LEVEL_")?;
    let n = n
        .parse::<u8>()
        .ok()
        .filter(|_| n.bytes().all(|b| b.is_ascii_digit()))?;
    (!track.is_empty()).then_some((track, n))
}

#[cfg(test)]
mod tests {
    use super::level_satisfies;

    #[test]
    fn a_higher_build_level_satisfies_a_lower_one_and_other_levels_match_exactly() {
        assert!(level_satisfies(
            "SLSA_SOURCE_LEVEL_4",
            "SLSA_SOURCE_LEVEL_1"
        ));
        assert!(!level_satisfies(
            "SLSA_SOURCE_LEVEL_2",
            "SLSA_SOURCE_LEVEL_3"
        ));
        assert!(!level_satisfies(
            "SLSA_SOURCE_LEVEL_4",
            "SLSA_BUILD_LEVEL_1"
        ));
        assert!(!level_satisfies(
            "SLSA_BUILD_LEVEL_UNEVALUATED",
            "SLSA_BUILD_LEVEL_0"
        ));
        assert!(!level_satisfies(
            "SLSA_BUILD_LEVEL_+3",
            "SLSA_BUILD_LEVEL_2"
        ));
        assert!(level_satisfies("SLSA_BUILD_LEVEL_3", "SLSA_BUILD_LEVEL_2"));
        assert!(!level_satisfies("SLSA_BUILD_LEVEL_1", "SLSA_BUILD_LEVEL_2"));
        assert!(level_satisfies("BCID_L1", "BCID_L1"));
        assert!(!level_satisfies("BCID_L2", "BCID_L1"));
    }
}
