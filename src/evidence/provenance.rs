//! Provenance evidence: the artifacts a run vouches for (by digest) and what each
//! attestation file held once its signatures were checked.
//!
//! Signature, certificate and transparency-log verification happen at collection (they
//! need the trusted root and the files); what is kept is the verified statement, or the
//! step that rejected it. The provenance control then applies the policy (trusted
//! builders, expected source) to this record alone, so `vouch evaluate` can apply a
//! different policy to the same evidence offline.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::verify::Step;
use crate::verify::provenance::VerifiedStatement;

/// An artifact, known by its digests (algorithm name to lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactDigests {
    /// `sha256`, `sha384`, `sha512` to hex.
    pub digests: BTreeMap<String, String>,
}

/// One attestation file, split into its documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttestationFile {
    /// Each document of the file (one for a bundle, one per line of JSON Lines).
    pub documents: Vec<AttestationRecord>,
}

/// One attestation document and what its verification found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttestationRecord {
    /// Where in the file (`line 2`, `attestations[1]`; empty for a whole-file document).
    pub position: String,
    /// The verified statement, or why it was rejected.
    pub outcome: AttestationOutcome,
}

/// The result of verifying one attestation document's signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "status", rename_all = "kebab-case", deny_unknown_fields)]
pub enum AttestationOutcome {
    /// The signature, certificate and log entries verified.
    Verified {
        /// What the statement says, who signed it and when.
        statement: Box<VerifiedStatement>,
    },
    /// A verification step rejected the document.
    Rejected {
        /// The step.
        step: Step,
        /// What was expected and what was found.
        message: String,
    },
}
