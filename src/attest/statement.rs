//! in-toto Statement v1 and the SLSA VSA v1 predicate, as vouch writes them.
//!
//! The statement model is the reader's ([`Statement`], [`Subject`]; see
//! `verify::statement` for why not the `in-toto` crate). A statement carries at most
//! [`MAX_SUBJECTS`] subjects: GitHub's attestation API refuses more, so a run with more
//! artifacts writes several statements with the same predicate.

use std::collections::BTreeMap;

use serde::Serialize;

pub use crate::verify::statement::{STATEMENT_V1, Statement, Subject};
use crate::verify::vsa::VSA_V1;

/// Most subjects one statement carries (GitHub's limit for an attestation).
pub const MAX_SUBJECTS: usize = 1024;

/// The SLSA version the VSA's levels are defined by.
pub const SLSA_VERSION: &str = "1.2";

/// Statements of `predicate_type` about `subjects`, at most [`MAX_SUBJECTS`] each, every
/// one with the same predicate; none when there is no subject (a statement about nothing
/// attests nothing).
pub fn about<P: Clone>(
    subjects: &[Subject],
    predicate_type: &str,
    predicate: &P,
) -> Vec<Statement<P>> {
    subjects
        .chunks(MAX_SUBJECTS)
        .map(|chunk| Statement {
            statement_type: STATEMENT_V1.to_string(),
            subjects: chunk.to_vec(),
            predicate_type: predicate_type.to_string(),
            predicate: predicate.clone(),
        })
        .collect()
}

/// The outcome a VSA records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum VerificationResult {
    /// Every enabled control passed.
    #[serde(rename = "PASSED")]
    Passed,
    /// A control failed or could not be evaluated.
    #[serde(rename = "FAILED")]
    Failed,
}

/// A resource by URI and digests (the in-toto ResourceDescriptor fields a VSA uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceDescriptor {
    /// Where the resource is.
    pub uri: String,
    /// Its digests, algorithm to lower-case hex.
    pub digest: BTreeMap<String, String>,
}

/// Who verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verifier {
    /// The verifier's identity (policy `attest.verifier_id`).
    pub id: String,
    /// Component versions (`{"vouch": "0.1.0"}`).
    pub version: BTreeMap<String, String>,
}

/// The VSA v1 predicate (<https://slsa.dev/spec/v1.2/verification_summary>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VsaPredicate {
    /// Who verified.
    pub verifier: Verifier,
    /// When: the run time recorded in the evidence (RFC 3339, UTC).
    pub time_verified: String,
    /// What was verified (`git+https://host/owner/name`, or the artifacts' location).
    pub resource_uri: String,
    /// The policy as used.
    pub policy: ResourceDescriptor,
    /// Every attestation the run used, or none (the spec allows no partial list).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub input_attestations: Vec<ResourceDescriptor>,
    /// `PASSED` or `FAILED`.
    pub verification_result: VerificationResult,
    /// Levels and properties verified; never an `*_UNEVALUATED` level (slsa-verifier
    /// refuses a VSA that has one).
    pub verified_levels: Vec<String>,
    /// [`SLSA_VERSION`].
    pub slsa_version: &'static str,
}

impl VsaPredicate {
    /// VSA statements about `subjects` (split as [`about`] splits).
    pub fn statements(&self, subjects: &[Subject]) -> Vec<Statement<VsaPredicate>> {
        about(subjects, VSA_V1, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::statement::Statement as ReadStatement;
    use crate::verify::vsa::{VsaExpectations, check_vsa};

    fn predicate(result: VerificationResult) -> VsaPredicate {
        VsaPredicate {
            verifier: Verifier {
                id: "https://github.com/vouch-dev/vouch".into(),
                version: BTreeMap::from([("vouch".into(), "0.1.0".into())]),
            },
            time_verified: "2026-12-02T20:00:00Z".into(),
            resource_uri: "git+https://github.com/acme/app".into(),
            policy: ResourceDescriptor {
                uri: "vouch.yaml".into(),
                digest: BTreeMap::from([("sha256".into(), "ab".repeat(32))]),
            },
            input_attestations: Vec::new(),
            verification_result: result,
            verified_levels: vec!["SLSA_BUILD_LEVEL_3".into()],
            slsa_version: SLSA_VERSION,
        }
    }

    fn subject(i: usize) -> Subject {
        Subject::new(
            format!("app-{i}.tar.gz"),
            BTreeMap::from([("sha256".into(), format!("{i:064x}"))]),
        )
    }

    #[test]
    fn a_written_vsa_is_read_and_accepted_by_the_vsa_checks() {
        let statements = predicate(VerificationResult::Passed).statements(&[subject(7)]);
        assert_eq!(statements.len(), 1);
        let payload = serde_json::to_vec(&statements[0]).unwrap();
        let read = ReadStatement::from_payload(&payload).unwrap();
        assert_eq!(read.statement_type, STATEMENT_V1);
        let expected = VsaExpectations {
            verifier_id: "https://github.com/vouch-dev/vouch".into(),
            resource_uri: Some("git+https://github.com/acme/app".into()),
            verified_levels: vec!["SLSA_BUILD_LEVEL_2".into()],
            subject_digests: vec![("sha256".into(), format!("{:064x}", 7))],
            key_id: None,
            policy_sha256: Some("ab".repeat(32)),
        };
        let verified = check_vsa(&read, &expected).unwrap();
        assert_eq!(
            verified.time_verified.as_deref(),
            Some("2026-12-02T20:00:00Z")
        );
        // No input attestations: the field is left out, not an empty list.
        assert!(read.predicate.get("inputAttestations").is_none());
        assert_eq!(read.predicate["slsaVersion"], "1.2");

        let failed = predicate(VerificationResult::Failed).statements(&[subject(7)]);
        let read = ReadStatement::from_payload(&serde_json::to_vec(&failed[0]).unwrap()).unwrap();
        assert!(
            check_vsa(&read, &expected).is_err(),
            "a FAILED VSA is refused"
        );
    }

    #[test]
    fn more_than_1024_subjects_are_split_over_statements_and_none_make_none() {
        let subjects: Vec<Subject> = (0..2049).map(subject).collect();
        let statements = predicate(VerificationResult::Passed).statements(&subjects);
        let sizes: Vec<usize> = statements.iter().map(|s| s.subjects.len()).collect();
        assert_eq!(sizes, [1024, 1024, 1]);
        let all: Vec<&Subject> = statements.iter().flat_map(|s| &s.subjects).collect();
        assert_eq!(
            all,
            subjects.iter().collect::<Vec<_>>(),
            "every subject once, in order"
        );
        assert!(
            predicate(VerificationResult::Passed)
                .statements(&[])
                .is_empty()
        );
    }
}
