//! Provenance: every artifact was built by a trusted builder from the expected source,
//! as SLSA provenance signed and logged says.
//!
//! Collection verified the attestations' signatures, certificates and log entries; this
//! check applies the policy to what they say. For each artifact it looks for SLSA
//! provenance naming its digest, then checks the builder against the trust map (an open
//! list of builder-id patterns with the sources each may build and the SLSA build level
//! it reaches) and the source repository, ref and commit against the expected ones (the
//! policy's, else the run's CI context). A forged or unverifiable attestation fails the
//! control even when another one covers the artifact: someone handed the release a lie.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;

use super::{CheckOutput, Code, Control, Finding, Section};
use crate::ci::{CiContext, CiSystem};
use crate::evidence::provenance::AttestationOutcome;
use crate::evidence::{Evidence, Location};
use crate::policy::Policy;
use crate::policy::sections::GlobPattern;
use crate::verify::Step;
use crate::verify::artifact::Artifact;
use crate::verify::identity::FulcioExtension;
use crate::verify::provenance::{VerifiedAttestation, VerifiedStatement, check_statement};
use crate::verify::slsa::{ExpectedRef, ProvenanceExpectations, TrustedBuilder};

/// Provenance settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvenancePolicy {
    /// Set to false to skip the control without deleting its settings.
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub enabled: bool,
    /// When true, failures and errors are reported but do not fail the run.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub advisory: bool,
    /// Artifacts to vouch for, as globs relative to the working directory (added to
    /// `--artifact`).
    #[serde(default)]
    pub artifacts: Vec<GlobPattern>,
    /// Attestation files, as globs (added to `--attestation`): Sigstore bundles, JSON
    /// Lines of bundles or DSSE envelopes, npm attestation documents, OCI image layout
    /// directories with cosign-attached attestations.
    #[serde(default)]
    pub attestations: Vec<GlobPattern>,
    /// OIDC issuers whose Fulcio certificates may sign provenance. Default: GitHub Actions
    /// (`https://token.actions.githubusercontent.com`) and GitLab.com (`https://gitlab.com`).
    #[serde(default)]
    pub issuers: Vec<String>,
    /// Certificate identities (SAN) allowed to sign, as regular expressions (unanchored,
    /// as cosign's `--certificate-identity-regexp`; write `^...$` to pin both ends).
    /// Empty: any identity, and the trust map decides which may vouch for which builder.
    #[serde(default)]
    pub identities: Vec<String>,
    /// Fulcio extensions every signing certificate must carry, exactly:
    /// `runner-environment: github-hosted`, `source-repository-owner-uri: https://github.com/my-org`.
    #[serde(default)]
    pub certificate_extensions: std::collections::BTreeMap<FulcioExtension, String>,
    /// PEM public keys that key-signed attestations must verify with.
    #[serde(default)]
    pub keys: Vec<PathBuf>,
    /// A Sigstore `trusted_root.json`; default: the Sigstore public-good root built into
    /// vouch. `--trusted-root` overrides it.
    #[serde(default)]
    pub trusted_root: Option<PathBuf>,
    /// The builder trust map: which builders may build what, and how far they are trusted.
    /// Empty: no builder is trusted and every provenance fails.
    #[serde(default)]
    pub builders: Vec<BuilderTrust>,
    /// The lowest SLSA build level the builder must reach (its trust map `max_level`).
    #[serde(default)]
    pub min_level: u8,
    /// Accepted build types (`buildType`); empty: any the trust map entry allows.
    #[serde(default)]
    pub build_types: Vec<String>,
    /// The source the artifacts must be built from. Fields left out come from the run's
    /// CI context (repository, ref and commit) unless `from_ci_context` is false.
    #[serde(default)]
    pub source: ExpectedSource,
    /// Fill what `source` leaves out from the CI context (`GITHUB_REPOSITORY`,
    /// `GITHUB_REF`, `GITHUB_SHA`; GitLab's `CI_PROJECT_PATH`, `CI_COMMIT_REF_NAME`,
    /// `CI_COMMIT_SHA`).
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub from_ci_context: bool,
}

/// One trust map entry.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BuilderTrust {
    /// Builder id pattern, without `@ref` (`*` within a path segment, `**` across):
    /// `https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_*_slsa3.yml`.
    pub id: GlobPattern,
    /// Source repositories this builder may build (`github.com/my-org/*`); empty: any.
    #[serde(default)]
    pub sources: Vec<String>,
    /// The highest SLSA build level this builder reaches (0 to 4).
    #[serde(default)]
    pub max_level: u8,
    /// Build types accepted from this builder; empty: any.
    #[serde(default)]
    pub build_types: Vec<String>,
    /// Accept the builder pinned to a branch or commit, not only to a release tag.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub allow_untagged: bool,
    /// Keys whose signature vouches for this builder, as `sha256:<hex>` of the key's
    /// SubjectPublicKeyInfo (`openssl pkey -pubin -in key.pub -outform DER | sha256sum`).
    /// A key-signed statement counts only for entries that list its key; certificate-signed
    /// statements need none.
    #[serde(default)]
    pub keys: Vec<String>,
}

/// The expected source; each field is optional.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedSource {
    /// Repository, `github.com/org/repo` (any URI form).
    #[serde(default)]
    pub repository: Option<String>,
    /// Branch name.
    #[serde(default)]
    pub branch: Option<String>,
    /// Tag name, exactly.
    #[serde(default)]
    pub tag: Option<String>,
    /// Version the tag must match on the components given (`v1` matches `v1.4.2`).
    #[serde(default)]
    pub versioned_tag: Option<String>,
    /// Commit SHA.
    #[serde(default)]
    pub commit: Option<String>,
}

fn yes() -> bool {
    true
}

impl Default for ProvenancePolicy {
    fn default() -> Self {
        ProvenancePolicy {
            enabled: true,
            advisory: false,
            artifacts: Vec::new(),
            attestations: Vec::new(),
            issuers: Vec::new(),
            identities: Vec::new(),
            certificate_extensions: Default::default(),
            keys: Vec::new(),
            trusted_root: None,
            builders: Vec::new(),
            min_level: 0,
            build_types: Vec::new(),
            source: ExpectedSource::default(),
            from_ci_context: true,
        }
    }
}

impl Section for ProvenancePolicy {
    fn enabled(&self) -> bool {
        self.enabled
    }
    fn advisory(&self) -> bool {
        self.advisory
    }
}

/// The provenance control.
pub struct ProvenanceCheck;

code!(
    NO_ARTIFACTS,
    "provenance/no-artifacts",
    Error,
    "The control is enabled but no artifact was given.",
    "Pass the release artifacts with `--artifact FILE` or list globs under `provenance.artifacts`."
);
code!(
    NO_ATTESTATIONS,
    "provenance/no-attestations",
    Error,
    "Artifacts were given but no attestation file.",
    "Pass the provenance with `--attestation FILE` (a Sigstore bundle or `.intoto.jsonl`) or list globs under `provenance.attestations`."
);
code!(
    UNREADABLE,
    "provenance/unreadable",
    Error,
    "An attestation file could not be read as a bundle, envelope or attestations document.",
    "Give the file the builder produced, unmodified; the message says what was wrong."
);
code!(
    REJECTED_ATTESTATION,
    "provenance/rejected-attestation",
    Violation,
    "An attestation's signature, certificate, log entry or timestamp did not verify.",
    "Do not ship with an attestation that does not verify: it was altered, signed by an untrusted party or never logged. Regenerate it from the build."
);
code!(
    MISSING,
    "provenance/missing",
    Violation,
    "No verified SLSA provenance names the artifact's digest.",
    "Generate provenance for this exact artifact in the build (slsa-github-generator, actions/attest-build-provenance, GitLab's runner provenance) and pass it with `--attestation`."
);
code!(
    UNTRUSTED_BUILDER,
    "provenance/untrusted-builder",
    Violation,
    "The provenance names a builder the trust map does not trust (for this source, at this level), or one its signing certificate does not back.",
    "Build with a builder listed under `provenance.builders`, pinned to a release tag; or add the builder to the trust map after review."
);
code!(
    WRONG_SOURCE,
    "provenance/wrong-source",
    Violation,
    "The provenance says the artifact was built from another repository, ref or commit than expected.",
    "Check that the artifact comes from this repository's build of this ref; fix `provenance.source` if the expectation is wrong."
);
code!(
    UNLOGGED,
    "provenance/unlogged",
    Violation,
    "The provenance is signed by a short-lived certificate but carries no transparency log entry, so nothing proves it was signed while the certificate was valid.",
    "Attest with a Sigstore bundle (slsa-github-generator v2, actions/attest-build-provenance), which carries its log entry."
);

static CODES: [&Code; 8] = [
    &NO_ARTIFACTS,
    &NO_ATTESTATIONS,
    &UNREADABLE,
    &REJECTED_ATTESTATION,
    &MISSING,
    &UNTRUSTED_BUILDER,
    &WRONG_SOURCE,
    &UNLOGGED,
];

impl Control for ProvenanceCheck {
    type Section = ProvenancePolicy;
    const ID: &'static str = "provenance";
    const TITLE: &'static str = "Artifact provenance";
    const CODES: &'static [&'static Code] = &CODES;

    fn section(policy: &Policy) -> Option<&ProvenancePolicy> {
        policy.provenance.as_ref()
    }

    fn evaluate(p: &ProvenancePolicy, evidence: &Evidence) -> CheckOutput {
        let mut out = CheckOutput::default();
        if evidence.artifacts.is_empty() {
            out.findings
                .push(NO_ARTIFACTS.finding(
                    "no artifact was given (use --artifact FILE or provenance.artifacts)",
                ));
            out.summary = "no artifacts".into();
            return out;
        }
        if evidence.attestations.is_empty() {
            out.findings.push(NO_ATTESTATIONS.finding(
                "no attestation was given (use --attestation FILE or provenance.attestations)",
            ));
            out.summary = "no attestations".into();
            return out;
        }
        let expectations = match expectations(p, &evidence.context) {
            Ok(expectations) => expectations,
            Err((code, message)) => {
                out.findings.push(code.finding(message));
                return out;
            }
        };
        let mut statements = Vec::new();
        for file in &evidence.attestations {
            match &file.observed {
                Err(gap) => out.findings.push(
                    UNREADABLE
                        .finding(gap.to_string())
                        .with_location(Some(at(&file.source))),
                ),
                Ok(attestations) => {
                    for record in &attestations.documents {
                        let place = place(&file.source, &record.position);
                        match &record.outcome {
                            AttestationOutcome::Verified { statement } => {
                                statements.push((place, statement.as_ref()))
                            }
                            AttestationOutcome::Rejected { step, message } => out.findings.push(
                                REJECTED_ATTESTATION
                                    .finding(format!("{place}: {step}: {message}"))
                                    .with_location(Some(at(&file.source))),
                            ),
                        }
                    }
                }
            }
        }
        let mut summaries = Vec::new();
        // The build level every artifact reached (none when one has no SLSA provenance).
        let mut level: Option<u8> = Some(u8::MAX);
        for artifact_evidence in &evidence.artifacts {
            // An artifact whose digests are missing or unusable is never skipped: it
            // cannot be vouched for.
            let artifact = match &artifact_evidence.observed {
                Ok(digests) => {
                    let parts: Vec<String> = digests
                        .digests
                        .iter()
                        .map(|(a, d)| format!("{a}:{d}"))
                        .collect();
                    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
                    Artifact::from_digests(&parts).map_err(|e| e.message)
                }
                Err(gap) => Err(gap.to_string()),
            };
            let mut artifact = match artifact {
                Ok(artifact) => artifact,
                Err(reason) => {
                    summaries.push(format!("{}: unreadable", artifact_evidence.source));
                    out.findings.push(
                        MISSING
                            .finding(format!(
                                "{}: no usable digest: {reason}",
                                artifact_evidence.source
                            ))
                            .with_location(Some(at(&artifact_evidence.source))),
                    );
                    continue;
                }
            };
            artifact.name = artifact_evidence.source.clone();
            match judge_artifact(&artifact, &statements, &expectations) {
                Ok(verified) => {
                    level = level
                        .zip(verified.provenance.as_ref().map(|p| p.level))
                        .map(|(a, b)| a.min(b));
                    summaries.push(describe(&artifact.name, &verified));
                }
                Err(finding) => {
                    summaries.push(format!("{}: not vouched for", artifact.name));
                    out.findings
                        .push(finding.with_location(Some(at(&artifact.name))));
                }
            }
        }
        super::sort_findings(&mut out.findings);
        out.summary = summaries.join("; ");
        if let Some(level) = level.filter(|l| (1..=4).contains(l)) {
            out.verified_levels = vec![format!("SLSA_BUILD_LEVEL_{level}")];
        }
        out
    }

    fn inputs(evidence: &Evidence) -> usize {
        evidence.artifacts.len() + evidence.attestations.len()
    }
}

/// The first provenance that covers the artifact and passes; else the finding of the
/// most telling failure.
fn judge_artifact(
    artifact: &Artifact,
    statements: &[(String, &VerifiedStatement)],
    expectations: &ProvenanceExpectations,
) -> Result<VerifiedAttestation, Box<Finding>> {
    let mut failures = Vec::new();
    for (place, statement) in statements {
        if statement.build.is_none() {
            continue;
        }
        match check_statement(
            place,
            statement,
            std::slice::from_ref(artifact),
            expectations,
        ) {
            Ok(verified) => return Ok(verified),
            Err(error) if error.step == Step::Digest => {}
            Err(error) => failures.push((place, error)),
        }
    }
    match failures.into_iter().next() {
        None => Err(Box::new(MISSING.finding(format!(
            "{}: no verified SLSA provenance names digest {}",
            artifact.name,
            artifact.describe()
        )))),
        Some((place, error)) => {
            let code = match error.step {
                Step::Source => &WRONG_SOURCE,
                Step::Transparency => &UNLOGGED,
                Step::Builder | Step::Predicate => &UNTRUSTED_BUILDER,
                _ => &REJECTED_ATTESTATION,
            };
            Err(Box::new(
                code.finding(format!("{}: {place}: {error}", artifact.name)),
            ))
        }
    }
}

fn describe(name: &str, verified: &VerifiedAttestation) -> String {
    match &verified.provenance {
        Some(outcome) => format!(
            "{name}: {} (SLSA build level {})",
            outcome.origin(),
            outcome.level
        ),
        None => format!("{name}: attested"),
    }
}

fn place(source: &str, position: &str) -> String {
    if position.is_empty() {
        source.to_string()
    } else {
        format!("{source} {position}")
    }
}

fn at(path: &str) -> Location {
    Location {
        path: path.into(),
        line: None,
        column: None,
        end_line: None,
    }
}

/// The expectations from the policy, completed from the CI context.
pub fn expectations(
    p: &ProvenancePolicy,
    context: &CiContext,
) -> Result<ProvenanceExpectations, (&'static Code, String)> {
    let builders = p
        .builders
        .iter()
        .map(|entry| {
            TrustedBuilder::new(
                entry.id.as_str(),
                &entry.sources,
                entry.max_level,
                entry.build_types.clone(),
                entry.allow_untagged,
            )
            .map(|mut builder| {
                builder.keys = entry.keys.clone();
                builder
            })
            .map_err(|e| {
                (
                    &UNTRUSTED_BUILDER,
                    format!("trust map entry `{}`: {e}", entry.id.as_str()),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let source = &p.source;
    let refs_given = [&source.branch, &source.tag, &source.versioned_tag]
        .iter()
        .filter(|r| r.is_some())
        .count();
    if refs_given > 1 {
        return Err((
            &WRONG_SOURCE,
            "provenance.source: give one of branch, tag and versioned_tag, not several".into(),
        ));
    }
    let mut source_ref = match (&source.branch, &source.tag, &source.versioned_tag) {
        (Some(branch), _, _) => Some(ExpectedRef::Branch(branch.clone())),
        (_, Some(tag), _) => Some(ExpectedRef::Tag(tag.clone())),
        (_, _, Some(version)) => Some(ExpectedRef::VersionedTag(version.clone())),
        _ => None,
    };
    let mut repository = source.repository.clone();
    let mut commit = source.commit.clone();
    if p.from_ci_context {
        if repository.is_none() {
            repository = context
                .repository
                .as_ref()
                .and_then(|repo| match context.system {
                    CiSystem::GithubActions => Some(format!("github.com/{repo}")),
                    CiSystem::GitlabCi => Some(format!("gitlab.com/{repo}")),
                    _ => None,
                });
        }
        if source_ref.is_none() {
            source_ref = context.git_ref.as_deref().and_then(|git_ref| {
                if let Some(branch) = git_ref.strip_prefix("refs/heads/") {
                    Some(ExpectedRef::Branch(branch.to_string()))
                } else {
                    git_ref
                        .strip_prefix("refs/tags/")
                        .map(|tag| ExpectedRef::Tag(tag.to_string()))
                }
            });
        }
        if commit.is_none() {
            commit = context.commit.clone();
        }
    }
    Ok(ProvenanceExpectations {
        builders,
        builder_id: None,
        source: repository,
        source_ref,
        source_commit: commit,
        build_types: p.build_types.clone(),
        inputs: Default::default(),
        min_level: p.min_level,
        package_name: None,
        package_version: None,
    })
}
