//! in-toto Statements v0.1 and v1 and their subjects: the one model vouch reads
//! (`verify/`) and writes (`attest/`).
//!
//! Written with serde rather than with the `in-toto` crate: in-toto 0.4 models only
//! Statement v0.1 and writes to stdout, while GitHub and npm attestations are v1. The
//! statement is read from the exact payload bytes the DSSE signature covered, never from
//! a re-serialized copy.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::artifact::Artifact;
use super::error::{Result, VerifyError};

/// in-toto Statement v0.1.
pub const STATEMENT_V0_1: &str = "https://in-toto.io/Statement/v0.1";
/// in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";

/// A statement subject: a name, its digests by algorithm, and annotations.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
pub struct Subject {
    /// The artifact name (a file name, a purl, an image reference).
    #[serde(default)]
    pub name: String,
    /// Digests, algorithm to lower-case hex (`gitCommit` for a commit).
    #[serde(default)]
    pub digest: BTreeMap<String, String>,
    /// Annotations (a commit subject's `sourceRefs`); left out when empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub annotations: BTreeMap<String, serde_json::Value>,
}

impl Subject {
    /// A subject with these digests and no annotations.
    pub fn new(name: impl Into<String>, digest: BTreeMap<String, String>) -> Self {
        Subject {
            name: name.into(),
            digest,
            annotations: BTreeMap::new(),
        }
    }
}

/// An in-toto statement; the predicate is JSON when read, a typed value when written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Statement<P = serde_json::Value> {
    /// The statement type URI (`_type`).
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// The subjects.
    #[serde(rename = "subject", default)]
    pub subjects: Vec<Subject>,
    /// The predicate type URI.
    pub predicate_type: String,
    /// The predicate.
    #[serde(default)]
    pub predicate: P,
}

impl Statement {
    /// Reads a statement from a DSSE payload.
    pub fn from_payload(payload: &[u8]) -> Result<Self> {
        let deserializer = &mut serde_json::Deserializer::from_slice(payload);
        let raw: Statement = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            VerifyError::parse(format!(
                "in-toto statement: field `{}`: {}",
                e.path(),
                e.inner()
            ))
        })?;
        if raw.statement_type != STATEMENT_V0_1 && raw.statement_type != STATEMENT_V1 {
            return Err(VerifyError::predicate(format!(
                "expected an in-toto statement ({STATEMENT_V0_1} or {STATEMENT_V1}), got `{}`",
                raw.statement_type
            )));
        }
        if raw.subjects.is_empty() {
            return Err(VerifyError::parse("in-toto statement: no subjects"));
        }
        Ok(raw)
    }

    /// The first subject whose digest (any algorithm both sides know) is the artifact's.
    /// A subject matching on one algorithm and contradicting on another never matches.
    pub fn subject_for(&self, artifact: &Artifact) -> Result<&Subject> {
        subject_for(&self.subjects, artifact)
    }
}

/// The first of `subjects` whose digest is the artifact's (see [`Statement::subject_for`]).
pub fn subject_for<'a>(subjects: &'a [Subject], artifact: &Artifact) -> Result<&'a Subject> {
    subjects
        .iter()
        .find(|subject| subject_matches(subject, artifact))
        .ok_or_else(|| {
            VerifyError::digest(format!(
                "expected a subject with digest {}, got {}",
                artifact.describe(),
                subjects
                    .iter()
                    .map(|s| format!(
                        "{} ({})",
                        s.name,
                        s.digest
                            .iter()
                            .map(|(a, d)| format!("{a}:{d}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        })
}

fn subject_matches(subject: &Subject, artifact: &Artifact) -> bool {
    let mut agreed = false;
    for (algorithm, value) in &subject.digest {
        if let Some(known) = artifact.digest_hex(algorithm) {
            if !known.eq_ignore_ascii_case(value) {
                return false;
            }
            agreed = true;
        }
    }
    agreed
}
