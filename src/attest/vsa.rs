//! A verdict as a SLSA Verification Summary Attestation: pure, from the report, the
//! policy and the evidence of one run (no clock read: `timeVerified` is the run time the
//! evidence records; no I/O).

use std::collections::BTreeMap;

use super::levels::verified_levels;
use super::statement::{
    ResourceDescriptor, SLSA_VERSION, Subject, VerificationResult, Verifier, VsaPredicate,
};
use crate::evidence::{Evidence, InputRole};
use crate::policy::Policy;
use crate::report::Report;
use crate::verdict::Overall;

/// The verifier id when the policy names none.
pub const DEFAULT_VERIFIER_ID: &str = "https://github.com/vouch-dev/vouch";

/// Why a run cannot be attested.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    /// Neither an artifact nor a commit to make the statement about.
    #[error(
        "nothing to attest: the run has no artifact (--artifact) and no commit (--commit, or the CI run's)"
    )]
    NoSubject,
    /// An artifact named on the command line whose digest could not be read.
    #[error("--artifact {path}: its sha256 could not be read, so it cannot be a subject")]
    UnreadableArtifact {
        /// The artifact.
        path: String,
    },
    /// A commit that is not a full SHA.
    #[error("commit `{0}`: a commit subject needs the full SHA-1 or SHA-256 (40 or 64 hex digits)")]
    ShortCommit(String),
}

/// Where a run's VSA says it looked and under which policy.
#[derive(Debug, Clone)]
pub struct VsaScope {
    /// `resourceUri`.
    pub resource_uri: String,
    /// The policy's `uri` (the path it was read from, or the built-in policy's name).
    pub policy_uri: String,
}

/// The VSA predicate of a run.
pub fn predicate(
    report: &Report,
    policy: &Policy,
    evidence: &Evidence,
    scope: &VsaScope,
) -> VsaPredicate {
    VsaPredicate {
        verifier: Verifier {
            id: policy
                .attest
                .verifier_id
                .as_ref()
                .map(|id| id.0.clone())
                .unwrap_or_else(|| DEFAULT_VERIFIER_ID.to_string()),
            version: BTreeMap::from([(report.tool.name.clone(), report.tool.version.clone())]),
        },
        time_verified: report.time.clone(),
        resource_uri: scope.resource_uri.clone(),
        policy: ResourceDescriptor {
            uri: scope.policy_uri.clone(),
            digest: BTreeMap::from([("sha256".to_string(), report.policy.sha256.clone())]),
        },
        input_attestations: input_attestations(evidence),
        verification_result: match report.verdict {
            Overall::Pass => VerificationResult::Passed,
            Overall::Fail => VerificationResult::Failed,
        },
        verified_levels: verified_levels(policy, &report.controls),
        slsa_version: SLSA_VERSION,
    }
}

/// Every attestation-like input the run used (scanner reports, VEX, SBOMs, lockfiles,
/// provenance), by path and sha256; none at all when one of them could not be read, as
/// the VSA spec allows all or nothing.
pub fn input_attestations(evidence: &Evidence) -> Vec<ResourceDescriptor> {
    let used = evidence.inputs.iter().filter(|input| {
        matches!(
            input.role,
            InputRole::Sarif
                | InputRole::Sca
                | InputRole::Vex
                | InputRole::Sbom
                | InputRole::Lockfile
                | InputRole::Attestation
        )
    });
    let mut out = Vec::new();
    for input in used {
        let Some(sha256) = &input.sha256 else {
            return Vec::new();
        };
        out.push(ResourceDescriptor {
            uri: input.path.clone(),
            digest: BTreeMap::from([("sha256".to_string(), sha256.clone())]),
        });
    }
    out
}

/// The statement subjects: the artifacts by sha256 when the run has artifacts, else the
/// commit (`gitCommit`, with the verified ref as `sourceRefs`).
pub fn subjects(evidence: &Evidence, resource_uri: &str) -> Result<Vec<Subject>, AttestError> {
    if !evidence.artifacts.is_empty() {
        return evidence
            .artifacts
            .iter()
            .map(|artifact| {
                let sha256 = artifact
                    .observed
                    .as_ref()
                    .ok()
                    .and_then(|d| d.digests.get("sha256"))
                    .ok_or_else(|| AttestError::UnreadableArtifact {
                        path: artifact.source.clone(),
                    })?;
                let name = std::path::Path::new(&artifact.source)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| artifact.source.clone());
                Ok(Subject::new(
                    name,
                    BTreeMap::from([("sha256".to_string(), sha256.clone())]),
                ))
            })
            .collect();
    }
    let commit = evidence
        .context
        .commit
        .as_deref()
        .ok_or(AttestError::NoSubject)?;
    if !matches!(commit.len(), 40 | 64) || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AttestError::ShortCommit(commit.to_string()));
    }
    let mut subject = Subject::new(
        resource_uri,
        BTreeMap::from([("gitCommit".to_string(), commit.to_ascii_lowercase())]),
    );
    if let Some(git_ref) = &evidence.context.git_ref {
        subject
            .annotations
            .insert("sourceRefs".into(), serde_json::json!([git_ref]));
    }
    Ok(vec![subject])
}

/// `git+https://host/owner/name` for a repository on the forge at `server_url`.
pub fn repository_uri(server_url: &str, repository: &str) -> String {
    let server = server_url.trim_end_matches('/');
    let server = server
        .strip_prefix("https://")
        .or_else(|| server.strip_prefix("http://"))
        .unwrap_or(server);
    format!("git+https://{server}/{repository}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::provenance::ArtifactDigests;
    use crate::evidence::{InputFile, Sourced};

    fn evidence() -> Evidence {
        let mut evidence = crate::collect::collect(
            &crate::collect::FileInputs::default(),
            crate::ci::CiContext::local(),
            time::macros::datetime!(2026-12-03 12:00 UTC),
        )
        .unwrap();
        evidence.context.commit = Some("a".repeat(40));
        evidence.context.git_ref = Some("refs/heads/main".into());
        evidence
    }

    #[test]
    fn a_commit_is_the_subject_when_there_is_no_artifact() {
        let commit = subjects(&evidence(), "git+https://github.com/acme/app").unwrap();
        let json = serde_json::to_value(&commit).unwrap();
        assert_eq!(
            json,
            serde_json::json!([{
                "name": "git+https://github.com/acme/app",
                "digest": {"gitCommit": "a".repeat(40)},
                "annotations": {"sourceRefs": ["refs/heads/main"]}
            }])
        );
        let mut short = evidence();
        short.context.commit = Some("abc123".into());
        assert!(matches!(
            subjects(&short, "x"),
            Err(AttestError::ShortCommit(_))
        ));
        short.context.commit = None;
        assert!(matches!(subjects(&short, "x"), Err(AttestError::NoSubject)));
    }

    #[test]
    fn artifacts_are_the_subjects_and_an_unreadable_one_stops_the_attestation() {
        let mut evidence = evidence();
        evidence.artifacts.push(Sourced {
            source: "dist/app.tar.gz".into(),
            observed: Ok(ArtifactDigests {
                digests: BTreeMap::from([("sha256".into(), "b".repeat(64))]),
            }),
        });
        let got = subjects(&evidence, "x").unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "app.tar.gz");
        assert_eq!(got[0].digest["sha256"], "b".repeat(64));
        evidence.artifacts.push(Sourced {
            source: "dist/gone".into(),
            observed: Err(crate::evidence::Gap::new(
                crate::evidence::GapKind::Unreadable,
                "dist/gone",
                "no such file",
            )),
        });
        assert!(matches!(
            subjects(&evidence, "x"),
            Err(AttestError::UnreadableArtifact { .. })
        ));
    }

    #[test]
    fn input_attestations_are_all_or_none() {
        let mut evidence = evidence();
        let input = |path: &str, role, sha256: Option<&str>| InputFile {
            path: path.into(),
            role,
            sha256: sha256.map(str::to_string),
            size: Some(1),
        };
        evidence.inputs = vec![
            input("a.sarif", InputRole::Sarif, Some("11")),
            input("bom.json", InputRole::Sbom, Some("22")),
            input("app", InputRole::Artifact, Some("33")),
        ];
        let got: Vec<String> = input_attestations(&evidence)
            .into_iter()
            .map(|d| d.uri)
            .collect();
        assert_eq!(
            got,
            ["a.sarif", "bom.json"],
            "artifacts are subjects, not inputs"
        );
        evidence
            .inputs
            .push(input("gone.json", InputRole::Sca, None));
        assert!(input_attestations(&evidence).is_empty());
    }

    #[test]
    fn the_resource_uri_names_the_forge_host_and_repository() {
        assert_eq!(
            repository_uri("https://github.com/", "acme/app"),
            "git+https://github.com/acme/app"
        );
        assert_eq!(
            repository_uri("https://ghe.example.com", "acme/app"),
            "git+https://ghe.example.com/acme/app"
        );
    }
}
