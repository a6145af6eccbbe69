//! SLSA provenance: what a verified statement says about the build, and whether that is
//! what the policy expects.
//!
//! Owns the "predicate", "builder" and "source" steps (the "digest" step is
//! [`super::statement::Statement::subject_for`]). Predicates read: SLSA provenance v0.2
//! (`invocation.configSource`) and v1 (`buildDefinition`/`runDetails`) with GitHub's
//! `actions.github.io/buildtypes/workflow/v1` (and its older slsa-framework spelling) and
//! GitLab's runner provenance (`externalParameters.source`). The predicate type is checked
//! before anything is read from the predicate: a statement of another type never passes as
//! provenance.
//!
//! The builder is trusted through an open trust map, never a built-in list: each entry is
//! a builder-id pattern with the sources it may build, the highest SLSA build level it
//! reaches, and how its certificate ties to it. A statement's builder id is a claim of
//! whoever signed it, so it counts only when the signing certificate corroborates it:
//! a reusable-workflow builder must be the workflow Fulcio certified (`Build Signer URI`),
//! GitHub's hosted runner must be what Fulcio recorded as the runner environment.

use std::collections::BTreeMap;

use globset::GlobMatcher;
use serde_json::Value;

use super::error::{Result, VerifyError};
use super::identity::FulcioExtension;
use super::statement::Statement;

/// SLSA provenance v0.2.
pub const PROVENANCE_V0_2: &str = "https://slsa.dev/provenance/v0.2";
/// SLSA provenance v1.
pub const PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// GitHub Actions' runner builder ids start so.
pub const GITHUB_RUNNER: &str = "https://github.com/actions/runner";
/// GitHub's hosted-runner builder id.
pub const GITHUB_HOSTED_RUNNER: &str = "https://github.com/actions/runner/github-hosted";

/// What a provenance statement says about the build.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct BuildFacts {
    /// The predicate type.
    pub predicate_type: String,
    /// The build type, if stated.
    pub build_type: Option<String>,
    /// The builder id as stated (with any `@ref`).
    pub builder_id: String,
    /// The source repository, normalized to `host/owner/repo`.
    pub source: Option<String>,
    /// The source ref (`refs/heads/main`, `refs/tags/v1.2.3`).
    pub source_ref: Option<String>,
    /// The source commit.
    pub source_commit: Option<String>,
    /// Workflow inputs, when the build had any.
    pub inputs: BTreeMap<String, String>,
}

/// Reads the build facts from a statement whose predicate type is SLSA provenance.
pub fn build_facts(statement: &Statement) -> Result<BuildFacts> {
    let predicate = &statement.predicate;
    match statement.predicate_type.as_str() {
        PROVENANCE_V0_2 => {
            let builder_id =
                text(predicate, &["builder", "id"]).ok_or_else(|| missing("builder.id"))?;
            let config = predicate.pointer("/invocation/configSource");
            let (source, source_ref) = config
                .and_then(|c| text(c, &["uri"]))
                .map(split_source_uri)
                .unwrap_or((None, None));
            let inputs = predicate
                .pointer("/invocation/parameters/event_inputs")
                .or_else(|| {
                    predicate.pointer("/invocation/environment/github_event_payload/inputs")
                });
            Ok(BuildFacts {
                predicate_type: statement.predicate_type.clone(),
                build_type: text(predicate, &["buildType"]),
                builder_id,
                source,
                source_ref,
                source_commit: config.and_then(|c| {
                    text(c, &["digest", "sha1"]).or_else(|| text(c, &["digest", "gitCommit"]))
                }),
                inputs: string_map(inputs),
            })
        }
        PROVENANCE_V1 => {
            let builder_id = text(predicate, &["runDetails", "builder", "id"])
                .ok_or_else(|| missing("runDetails.builder.id"))?;
            let definition = predicate
                .get("buildDefinition")
                .ok_or_else(|| missing("buildDefinition"))?;
            let external = definition.get("externalParameters");
            let dependency = definition
                .get("resolvedDependencies")
                .and_then(Value::as_array)
                .and_then(|deps| deps.first());
            let (dep_source, dep_ref) = dependency
                .and_then(|d| text(d, &["uri"]))
                .map(split_source_uri)
                .unwrap_or((None, None));
            // GitHub: externalParameters.workflow.{repository, ref}; GitLab: .source.
            let workflow = external.and_then(|e| e.get("workflow"));
            let source = workflow
                .and_then(|w| text(w, &["repository"]))
                .or_else(|| external.and_then(|e| text(e, &["source"])))
                .map(|uri| normalize_source(&uri))
                .or(dep_source);
            let source_ref = workflow.and_then(|w| text(w, &["ref"])).or(dep_ref);
            let commit = dependency.and_then(|d| {
                text(d, &["digest", "gitCommit"]).or_else(|| text(d, &["digest", "sha1"]))
            });
            Ok(BuildFacts {
                predicate_type: statement.predicate_type.clone(),
                build_type: text(definition, &["buildType"]),
                builder_id,
                source,
                source_ref,
                source_commit: commit,
                inputs: string_map(external.and_then(|e| e.get("inputs"))),
            })
        }
        other => Err(VerifyError::predicate(format!(
            "expected SLSA provenance ({PROVENANCE_V0_2} or {PROVENANCE_V1}), got predicate type `{other}`"
        ))),
    }
}

fn missing(field: &str) -> VerifyError {
    VerifyError::predicate(format!("the provenance has no `{field}`"))
}

fn text(value: &Value, path: &[&str]) -> Option<String> {
    path.iter()
        .try_fold(value, |value, key| value.get(key))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .map(|(key, value)| {
                    let text = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (key.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `git+https://github.com/org/repo@refs/tags/v1` → (`github.com/org/repo`, `refs/tags/v1`).
fn split_source_uri(uri: String) -> (Option<String>, Option<String>) {
    let (location, git_ref) = match uri.rsplit_once('@') {
        Some((location, git_ref)) if git_ref.starts_with("refs/") => {
            (location, Some(git_ref.to_string()))
        }
        _ => (uri.as_str(), None),
    };
    (Some(normalize_source(location)), git_ref)
}

/// A repository URI as `host/owner/repo`: no scheme, no `git+`, no `.git`, no trailing `/`.
pub fn normalize_source(uri: &str) -> String {
    let uri = uri.trim();
    let uri = uri.strip_prefix("git+").unwrap_or(uri);
    let uri = uri.split_once("://").map(|(_, rest)| rest).unwrap_or(uri);
    let uri = uri.trim_end_matches('/');
    uri.strip_suffix(".git").unwrap_or(uri).to_string()
}

/// `…/builder.yml@v1.2.3` as `…/builder.yml@refs/tags/v1.2.3`, the form statements use.
pub fn normalize_builder_ref(id: &str) -> String {
    match id.split_once('@') {
        Some((base, git_ref)) if !git_ref.starts_with("refs/") => {
            format!("{base}@refs/tags/{git_ref}")
        }
        _ => id.to_string(),
    }
}

/// A builder id without its `@ref`.
pub fn builder_base(id: &str) -> &str {
    id.split_once('@').map(|(base, _)| base).unwrap_or(id)
}

/// The ref the source must be at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedRef {
    /// A branch, by name (`main`).
    Branch(String),
    /// A tag, exactly (`v1.2.3`).
    Tag(String),
    /// A semantic-version tag, matched on the components given (`v1` matches `v1.4.2`).
    VersionedTag(String),
}

/// One entry of the builder trust map.
#[derive(Debug, Clone)]
pub struct TrustedBuilder {
    /// The builder-id pattern (glob over the id without `@ref`).
    pub id: String,
    matcher: GlobMatcher,
    /// Source patterns (globs over `host/owner/repo`) this builder may build; empty: any.
    pub sources: Vec<GlobMatcher>,
    /// The highest SLSA build level this builder reaches.
    pub max_level: u8,
    /// Build types accepted from this builder; empty: any.
    pub build_types: Vec<String>,
    /// Accept a builder pinned to a branch or commit rather than a release tag.
    pub allow_untagged: bool,
    /// Keys (`sha256:<hex>` of the SubjectPublicKeyInfo) whose signature vouches for this
    /// builder; a key-signed statement counts only for entries that list its key.
    pub keys: Vec<String>,
}

impl TrustedBuilder {
    /// A trust map entry; patterns are globs (`*` within a path segment, `**` across).
    pub fn new(
        id: &str,
        sources: &[String],
        max_level: u8,
        build_types: Vec<String>,
        allow_untagged: bool,
    ) -> std::result::Result<Self, globset::Error> {
        // `*` stays within one path segment (`…/workflows/*.yml` cannot reach into
        // another repository); `**` crosses segments.
        let glob = |pattern: &str| {
            globset::GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map(|glob| glob.compile_matcher())
        };
        Ok(TrustedBuilder {
            id: id.to_string(),
            matcher: glob(id)?,
            sources: sources
                .iter()
                .map(|s| glob(&normalize_source(s)))
                .collect::<std::result::Result<_, _>>()?,
            max_level,
            build_types,
            allow_untagged,
            keys: Vec::new(),
        })
    }
}

/// What the provenance must say.
#[derive(Debug, Clone, Default)]
pub struct ProvenanceExpectations {
    /// The builder trust map.
    pub builders: Vec<TrustedBuilder>,
    /// The builder id (with or without `@ref`) the caller expects, on top of the trust map.
    pub builder_id: Option<String>,
    /// The source repository (`github.com/org/repo`, any URI form).
    pub source: Option<String>,
    /// The source ref.
    pub source_ref: Option<ExpectedRef>,
    /// The source commit.
    pub source_commit: Option<String>,
    /// Accepted build types; empty: any the trust map allows.
    pub build_types: Vec<String>,
    /// Workflow inputs that must have had these values.
    pub inputs: BTreeMap<String, String>,
    /// The lowest SLSA build level the builder must reach.
    pub min_level: u8,
    /// The package the subject must name (a purl subject such as npm's
    /// `pkg:npm/@scope/name@1.0.0`): its name, with namespace.
    pub package_name: Option<String>,
    /// The package version the subject must name.
    pub package_version: Option<String>,
}

/// Checks a matched subject's name against the expected package name and version.
pub fn check_package(subject_name: &str, expectations: &ProvenanceExpectations) -> Result<()> {
    if expectations.package_name.is_none() && expectations.package_version.is_none() {
        return Ok(());
    }
    let purl: packageurl::PackageUrl<'_> = subject_name.parse().map_err(|_| {
        VerifyError::digest(format!(
            "expected a package subject (a purl), got `{subject_name}`"
        ))
    })?;
    let name = match purl.namespace() {
        Some(namespace) => format!("{namespace}/{}", purl.name()),
        None => purl.name().to_string(),
    };
    if let Some(expected) = &expectations.package_name
        && *expected != name
    {
        return Err(VerifyError::digest(format!(
            "expected package `{expected}`, the subject is `{name}`"
        )));
    }
    if let Some(expected) = &expectations.package_version
        && Some(expected.as_str()) != purl.version()
    {
        return Err(VerifyError::digest(format!(
            "expected package version `{expected}`, the subject is `{}`",
            purl.version().unwrap_or("unversioned")
        )));
    }
    Ok(())
}

/// The signer facts the builder check needs, from a verified certificate.
#[derive(
    Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct SignerFacts {
    /// SAN identities.
    pub identities: Vec<String>,
    /// Fulcio extensions.
    pub extensions: Vec<(FulcioExtension, String)>,
    /// Whether the statement was signed by a key the verifier supplied (no certificate).
    pub key_signed: bool,
    /// For a key-signed statement, `sha256:<hex>` of the key's SubjectPublicKeyInfo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

impl SignerFacts {
    fn extension(&self, which: FulcioExtension) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(w, _)| *w == which)
            .map(|(_, v)| v.as_str())
    }
}

/// Checks build facts against the expectations; returns the trust map entry that
/// vouches for the builder and the facts as the certificate corroborates them.
///
/// A statement is its signer's claim. For a certificate-signed statement, the source
/// repository, ref and commit that count are the ones Fulcio certified (the source
/// extensions, or the legacy GitHub workflow extensions of older certificates); the
/// statement must agree with them, so a workflow in one repository cannot claim to have
/// built another's release.
pub fn check_provenance<'a>(
    facts: &BuildFacts,
    signer: &SignerFacts,
    expectations: &'a ProvenanceExpectations,
) -> Result<(&'a TrustedBuilder, BuildFacts)> {
    let builder = check_builder(facts, signer, expectations)?;
    let facts = certified_facts(facts, signer)?;
    check_source(&facts, builder, expectations)?;
    Ok((builder, facts))
}

/// The facts with source, ref and commit taken from the certificate, which the
/// statement must not contradict.
fn certified_facts(facts: &BuildFacts, signer: &SignerFacts) -> Result<BuildFacts> {
    let mut certified = facts.clone();
    if signer.key_signed {
        return Ok(certified);
    }
    let legacy_github = signer
        .extension(FulcioExtension::Issuer)
        .is_some_and(is_github_issuer);
    let source = signer
        .extension(FulcioExtension::SourceRepositoryUri)
        .map(normalize_source)
        .or_else(|| {
            signer
                .extension(FulcioExtension::LegacyWorkflowRepository)
                .filter(|_| legacy_github)
                .map(|repo| format!("github.com/{repo}"))
        })
        .ok_or_else(|| {
            VerifyError::source(
                "the signing certificate names no source repository, so the statement's source is unproven",
            )
        })?;
    if let Some(claimed) = &facts.source
        && *claimed != source
    {
        return Err(VerifyError::source(format!(
            "the statement claims source `{claimed}`, but the certificate was issued to a build of `{source}`"
        )));
    }
    certified.source = Some(source);
    let git_ref = signer
        .extension(FulcioExtension::SourceRepositoryRef)
        .or_else(|| signer.extension(FulcioExtension::LegacyWorkflowRef));
    // A ref or commit the certificate does not state is the signer's word alone: it is
    // dropped, so an expectation about it fails rather than trusting the claim.
    certified.source_ref = None;
    if let Some(git_ref) = git_ref {
        if let Some(claimed) = &facts.source_ref
            && claimed != git_ref
        {
            return Err(VerifyError::source(format!(
                "the statement claims ref `{claimed}`, but the certificate was issued to a build of `{git_ref}`"
            )));
        }
        certified.source_ref = Some(git_ref.to_string());
    }
    let commit = signer
        .extension(FulcioExtension::SourceRepositoryDigest)
        .or_else(|| signer.extension(FulcioExtension::LegacyWorkflowSha));
    certified.source_commit = None;
    if let Some(commit) = commit {
        if let Some(claimed) = &facts.source_commit
            && !claimed.eq_ignore_ascii_case(commit)
        {
            return Err(VerifyError::source(format!(
                "the statement claims commit {claimed}, but the certificate was issued to a build of {commit}"
            )));
        }
        certified.source_commit = Some(commit.to_string());
    }
    Ok(certified)
}

/// GitHub's runner builder ids: `https://github.com/actions/runner` and below it.
fn is_github_runner(base: &str) -> bool {
    base == GITHUB_RUNNER
        || base
            .strip_prefix(GITHUB_RUNNER)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// GitHub Actions' issuer, or a GitHub Enterprise one below it
/// (`https://token.actions.githubusercontent.com/<enterprise>`).
fn is_github_issuer(issuer: &str) -> bool {
    const GITHUB: &str = "https://token.actions.githubusercontent.com";
    issuer == GITHUB
        || issuer
            .strip_prefix(GITHUB)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn check_builder<'a>(
    facts: &BuildFacts,
    signer: &SignerFacts,
    expectations: &'a ProvenanceExpectations,
) -> Result<&'a TrustedBuilder> {
    let id = facts.builder_id.as_str();
    let base = builder_base(id);
    if let Some(expected) = &expectations.builder_id {
        let expected = &normalize_builder_ref(expected);
        let matches = if expected.contains('@') {
            expected == id
        } else {
            expected == base
        };
        if !matches && !legacy_hosted_runner(expected, id, signer) {
            return Err(VerifyError::builder(format!(
                "expected builder `{expected}`, got `{id}`"
            )));
        }
    }
    // The legacy hosted-runner id is looked up under its current name.
    let lookup = if legacy_hosted_runner(GITHUB_HOSTED_RUNNER, id, signer) {
        GITHUB_HOSTED_RUNNER
    } else {
        base
    };
    let entry = expectations
        .builders
        .iter()
        .find(|entry| entry.matcher.is_match(lookup) || entry.matcher.is_match(base))
        .ok_or_else(|| VerifyError::builder(format!("builder `{id}` is not in the trust map")))?;
    if entry.max_level < expectations.min_level {
        return Err(VerifyError::builder(format!(
            "expected SLSA build level {} or higher, builder `{base}` reaches {}",
            expectations.min_level, entry.max_level
        )));
    }
    corroborate(id, entry, signer)?;
    // The builder's ref that counts is the one Fulcio certified (the statement may leave
    // it out); GitHub's runner has none.
    let builder_ref = if signer.key_signed || is_github_runner(base) {
        id.split_once('@').map(|(_, r)| r.to_string())
    } else {
        signer_workflow(signer)
            .split_once('@')
            .map(|(_, r)| r.to_string())
    };
    if let Some(git_ref) = builder_ref
        && !git_ref.starts_with("refs/tags/")
        && !entry.allow_untagged
    {
        return Err(VerifyError::builder(format!(
            "builder `{base}@{git_ref}` is not pinned to a release tag (the trust map entry `{}` does not allow untagged builders)",
            entry.id
        )));
    }
    let allowed_types: &[String] = if expectations.build_types.is_empty() {
        &entry.build_types
    } else {
        &expectations.build_types
    };
    if !allowed_types.is_empty() {
        let build_type = facts.build_type.as_deref().unwrap_or("");
        if !allowed_types.iter().any(|allowed| allowed == build_type) {
            return Err(VerifyError::builder(format!(
                "expected build type {}, got `{build_type}`",
                allowed_types.join(" or ")
            )));
        }
    }
    Ok(entry)
}

/// npm's provenance v0.2 named GitHub's hosted runner `https://github.com/actions/runner`;
/// v1 calls it `…/github-hosted`. The old spelling stands for the new one unless the
/// certificate says the runner was self-hosted.
fn legacy_hosted_runner(expected: &str, id: &str, signer: &SignerFacts) -> bool {
    expected == GITHUB_HOSTED_RUNNER
        && id == GITHUB_RUNNER
        && signer
            .extension(FulcioExtension::RunnerEnvironment)
            .is_none_or(|environment| environment == "github-hosted")
}

/// The workflow Fulcio certified as the signer: the Build Signer URI, else the SAN.
fn signer_workflow(signer: &SignerFacts) -> String {
    signer
        .extension(FulcioExtension::BuildSignerUri)
        .map(str::to_string)
        .or_else(|| signer.identities.first().cloned())
        .unwrap_or_default()
}

/// The signer must vouch for the builder the statement names: a key only for the trust
/// map entries that list it, a certificate only for the workflow (or GitHub runner) it
/// was issued to.
fn corroborate(id: &str, entry: &TrustedBuilder, signer: &SignerFacts) -> Result<()> {
    if signer.key_signed {
        let key = signer.key_id.as_deref().unwrap_or("an unknown key");
        if entry
            .keys
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(key))
        {
            return Ok(());
        }
        return Err(VerifyError::builder(format!(
            "the statement names builder `{id}` and is signed with key {key}, which the trust map entry `{}` does not list",
            entry.id
        )));
    }
    let base = builder_base(id);
    if is_github_runner(base) {
        let issuer = signer.extension(FulcioExtension::Issuer).unwrap_or("");
        if !is_github_issuer(issuer) {
            return Err(VerifyError::builder(format!(
                "builder `{id}` claims GitHub Actions, but the certificate was issued by `{issuer}`"
            )));
        }
        // Certificates from before Fulcio recorded the runner environment (mid-2023) lack
        // the extension; a present one must agree.
        return match signer.extension(FulcioExtension::RunnerEnvironment) {
            Some(environment) if base == GITHUB_HOSTED_RUNNER && environment != "github-hosted" => {
                Err(VerifyError::builder(format!(
                    "builder `{id}` claims a GitHub-hosted runner, the certificate says `{environment}`"
                )))
            }
            _ => Ok(()),
        };
    }
    let certified = signer_workflow(signer);
    let same = if id.contains('@') {
        certified == id
    } else {
        builder_base(&certified) == id
    };
    if !same {
        return Err(VerifyError::builder(format!(
            "the statement names builder `{id}`, but the certificate was issued to `{certified}`"
        )));
    }
    Ok(())
}

fn check_source(
    facts: &BuildFacts,
    builder: &TrustedBuilder,
    expectations: &ProvenanceExpectations,
) -> Result<()> {
    let source = facts.source.as_deref();
    if !builder.sources.is_empty()
        && !source.is_some_and(|s| builder.sources.iter().any(|g| g.is_match(s)))
    {
        return Err(VerifyError::source(format!(
            "builder `{}` may not build source `{}` (trust map entry `{}`)",
            facts.builder_id,
            source.unwrap_or("unknown"),
            builder.id
        )));
    }
    if expectations.source.is_none() && builder.sources.is_empty() {
        // Any repository can run a trusted builder; without an expected source or a
        // source list the provenance would vouch for a build of anything.
        return Err(VerifyError::source(format!(
            "no expected source repository (and trust map entry `{}` lists no sources); \
             name the repository the artifact must come from",
            builder.id
        )));
    }
    if let Some(expected) = &expectations.source {
        let expected = normalize_source(expected);
        if source != Some(expected.as_str()) {
            return Err(VerifyError::source(format!(
                "expected source `{expected}`, got `{}`",
                source.unwrap_or("none")
            )));
        }
    }
    if let Some(expected) = &expectations.source_ref {
        check_ref(facts.source_ref.as_deref(), expected)?;
    }
    if let Some(expected) = &expectations.source_commit
        && !facts
            .source_commit
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(expected))
    {
        return Err(VerifyError::source(format!(
            "expected source commit {expected}, got {}",
            facts.source_commit.as_deref().unwrap_or("none")
        )));
    }
    for (name, value) in &expectations.inputs {
        match facts.inputs.get(name) {
            Some(actual) if actual == value => {}
            Some(actual) => {
                return Err(VerifyError::source(format!(
                    "expected workflow input {name}=`{value}`, got `{actual}`"
                )));
            }
            None => {
                return Err(VerifyError::source(format!(
                    "expected workflow input `{name}`, the build had none"
                )));
            }
        }
    }
    Ok(())
}

fn check_ref(actual: Option<&str>, expected: &ExpectedRef) -> Result<()> {
    let actual = actual.ok_or_else(|| VerifyError::source("the provenance names no source ref"))?;
    match expected {
        ExpectedRef::Branch(branch) => {
            let name = actual.strip_prefix("refs/heads/").ok_or_else(|| {
                VerifyError::source(format!(
                    "expected branch `{branch}`, but the source ref `{actual}` is not a branch"
                ))
            })?;
            if name != branch {
                return Err(VerifyError::source(format!(
                    "expected branch `{branch}`, got `{name}`"
                )));
            }
        }
        ExpectedRef::Tag(tag) => {
            let name = tag_name(actual, tag)?;
            if name != tag {
                return Err(VerifyError::source(format!(
                    "expected tag `{tag}`, got `{name}`"
                )));
            }
        }
        ExpectedRef::VersionedTag(tag) => {
            let name = tag_name(actual, tag)?;
            let (Some(expected), Some(got)) = (version_parts(tag), version_parts(name)) else {
                return Err(VerifyError::source(format!(
                    "expected a tag matching version `{tag}`, got `{name}` (not a version)"
                )));
            };
            // A pre-release matches only when the expectation names it.
            let matches = expected
                .numbers
                .iter()
                .enumerate()
                .all(|(i, n)| got.numbers.get(i).copied().unwrap_or(0) == *n)
                && expected.suffix == got.suffix;
            if !matches {
                return Err(VerifyError::source(format!(
                    "expected a tag matching version `{tag}`, got `{name}`"
                )));
            }
        }
    }
    Ok(())
}

fn tag_name<'a>(actual: &'a str, expected: &str) -> Result<&'a str> {
    actual.strip_prefix("refs/tags/").ok_or_else(|| {
        VerifyError::source(format!(
            "expected tag `{expected}`, but the source ref `{actual}` is not a tag"
        ))
    })
}

struct Version {
    numbers: Vec<u64>,
    suffix: String,
}

/// `v1.2.3-rc.1+build` → numbers [1, 2, 3], suffix `-rc.1` (build metadata ignored).
fn version_parts(tag: &str) -> Option<Version> {
    let tag = tag.strip_prefix('v').unwrap_or(tag);
    let tag = tag.split('+').next().unwrap_or(tag);
    let (core, suffix) = match tag.find('-') {
        Some(at) => (&tag[..at], tag[at..].to_string()),
        None => (tag, String::new()),
    };
    // Semantic versions have no leading zeros: `v01` is not `v1`.
    let numbers = core
        .split('.')
        .map(|n| {
            (n == "0" || !n.starts_with('0'))
                .then(|| n.parse::<u64>().ok())
                .flatten()
        })
        .collect::<Option<Vec<_>>>()?;
    if numbers.is_empty() || numbers.len() > 3 {
        return None;
    }
    Some(Version { numbers, suffix })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_tags_match_on_the_components_given() {
        let check = |actual: &str, expected: &str| {
            check_ref(
                Some(&format!("refs/tags/{actual}")),
                &ExpectedRef::VersionedTag(expected.into()),
            )
            .is_ok()
        };
        for ok in ["v13", "v13.0", "v13.0.30"] {
            assert!(check("v13.0.30", ok), "{ok}");
        }
        for bad in ["v13.0.29", "v13.0.31", "v13.1", "v12.9", "v2", "v0"] {
            assert!(!check("v13.0.30", bad), "{bad}");
        }
        assert!(check("v14", "v14.0"));
        assert!(!check("v14", "v14.1"));
        assert!(check("v14.2", "v14"));
        assert!(!check("v14.2", "v14.2.1"));
    }

    fn hosted_facts(builder: &str, source: &str) -> BuildFacts {
        BuildFacts {
            predicate_type: PROVENANCE_V1.into(),
            build_type: None,
            builder_id: builder.into(),
            source: Some(source.into()),
            source_ref: Some("refs/tags/v1".into()),
            source_commit: None,
            inputs: BTreeMap::new(),
        }
    }

    fn github_signer(repository: &str, runner: &str) -> SignerFacts {
        SignerFacts {
            identities: vec![format!(
                "https://{repository}/.github/workflows/release.yml@refs/tags/v1"
            )],
            extensions: vec![
                (
                    FulcioExtension::Issuer,
                    "https://token.actions.githubusercontent.com".into(),
                ),
                (FulcioExtension::RunnerEnvironment, runner.into()),
                (
                    FulcioExtension::SourceRepositoryUri,
                    format!("https://{repository}"),
                ),
                (FulcioExtension::SourceRepositoryRef, "refs/tags/v1".into()),
            ],
            key_signed: false,
            key_id: None,
        }
    }

    fn hosted_trust() -> ProvenanceExpectations {
        ProvenanceExpectations {
            builders: vec![
                TrustedBuilder::new(
                    GITHUB_HOSTED_RUNNER,
                    &["github.com/my-org/*".into()],
                    3,
                    Vec::new(),
                    false,
                )
                .unwrap(),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn a_workflow_cannot_claim_another_repository_as_its_source() {
        let facts = hosted_facts(GITHUB_HOSTED_RUNNER, "github.com/my-org/ledger");
        let error = check_provenance(
            &facts,
            &github_signer("github.com/evil/x", "github-hosted"),
            &hosted_trust(),
        )
        .unwrap_err();
        assert_eq!(error.step, super::super::Step::Source, "{error}");
        assert!(
            check_provenance(
                &facts,
                &github_signer("github.com/my-org/ledger", "github-hosted"),
                &hosted_trust()
            )
            .is_ok()
        );
    }

    #[test]
    fn a_self_hosted_runner_cannot_pass_as_hosted_by_adding_a_ref() {
        let facts = hosted_facts(
            &format!("{GITHUB_HOSTED_RUNNER}@refs/tags/x"),
            "github.com/my-org/ledger",
        );
        let error = check_provenance(
            &facts,
            &github_signer("github.com/my-org/ledger", "self-hosted"),
            &hosted_trust(),
        )
        .unwrap_err();
        assert_eq!(error.step, super::super::Step::Builder, "{error}");
    }

    #[test]
    fn a_lookalike_issuer_is_not_github() {
        assert!(is_github_issuer(
            "https://token.actions.githubusercontent.com"
        ));
        assert!(is_github_issuer(
            "https://token.actions.githubusercontent.com/enterprise"
        ));
        assert!(!is_github_issuer(
            "https://token.actions.githubusercontent.com.evil.example"
        ));
    }

    #[test]
    fn a_pre_release_or_a_zero_padded_tag_does_not_match_a_plain_version() {
        let check = |actual: &str, expected: &str| {
            check_ref(
                Some(&format!("refs/tags/{actual}")),
                &ExpectedRef::VersionedTag(expected.into()),
            )
            .is_ok()
        };
        assert!(!check("v1.2.3-rc1", "v1.2.3"));
        assert!(check("v1.2.3-rc1", "v1.2.3-rc1"));
        assert!(!check("v01.2.3", "v1"));
    }

    #[test]
    fn without_an_expected_source_a_builder_must_be_limited_to_sources() {
        let facts = hosted_facts(GITHUB_HOSTED_RUNNER, "github.com/anyone/x");
        let open = ProvenanceExpectations {
            builders: vec![
                TrustedBuilder::new(GITHUB_HOSTED_RUNNER, &[], 3, Vec::new(), false).unwrap(),
            ],
            ..Default::default()
        };
        let error = check_provenance(
            &facts,
            &github_signer("github.com/anyone/x", "github-hosted"),
            &open,
        )
        .unwrap_err();
        assert_eq!(error.step, super::super::Step::Source, "{error}");
    }

    #[test]
    fn only_the_runner_and_ids_below_it_are_the_runner() {
        assert!(is_github_runner("https://github.com/actions/runner"));
        assert!(is_github_runner(
            "https://github.com/actions/runner/github-hosted"
        ));
        assert!(!is_github_runner("https://github.com/actions/runnerX"));
    }

    #[test]
    fn a_branch_is_not_a_tag() {
        let error = check_ref(Some("refs/heads/main"), &ExpectedRef::Tag("v1".into())).unwrap_err();
        assert_eq!(error.step, super::super::Step::Source);
    }

    #[test]
    fn sources_normalize() {
        assert_eq!(
            normalize_source("git+https://github.com/org/repo.git"),
            "github.com/org/repo"
        );
        assert_eq!(
            split_source_uri("git+https://github.com/o/r@refs/tags/v1".into()),
            (Some("github.com/o/r".into()), Some("refs/tags/v1".into()))
        );
    }
}
