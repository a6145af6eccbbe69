//! `vouch verify`: collect, evaluate, report, and optionally save the evidence.

use std::path::{Path, PathBuf};

use clap::Args;
use time::OffsetDateTime;

use super::Outcome;
use super::output::{OutputSpec, emit, parse_output_spec};
use crate::ci::{CiContext, Env};
use crate::collect::record::{self, ForgeRun, InputPaths, RunRecord};
use crate::collect::{FileInputs, collect, sha256_hex};
use crate::evidence::Evidence;
use crate::policy::{self, Policy};
use crate::report::{PolicyRef, Report};
use crate::verdict::{Overall, evaluate};

/// Arguments of `vouch verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Policy file (default: ./vouch.yaml when it exists, else the built-in default policy).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// SARIF 2.1.0 log (any scanner) or GitLab SAST report; repeatable.
    #[arg(long, value_name = "FILE")]
    pub sarif: Vec<PathBuf>,
    /// Dependency-scanner report (cargo-audit, OSV-Scanner, Grype, Trivy, npm audit,
    /// pip-audit, govulncheck, GitLab dependency scanning; detected from content); repeatable.
    #[arg(long, value_name = "FILE")]
    pub sca: Vec<PathBuf>,
    /// OpenVEX or CycloneDX VEX document whose `not_affected` statements waive SCA findings; repeatable.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// CycloneDX SBOM (JSON or XML, spec 1.2 to 1.7); repeatable.
    #[arg(long, value_name = "FILE")]
    pub sbom: Vec<PathBuf>,
    /// Lockfile the SBOMs must be complete against (`Cargo.lock`, `package-lock.json`
    /// v2/v3); repeatable.
    #[arg(long, value_name = "FILE")]
    pub lockfile: Vec<PathBuf>,
    /// Release artifact the provenance control vouches for; repeatable.
    #[arg(long, value_name = "FILE")]
    pub artifact: Vec<PathBuf>,
    /// Attestation for the artifacts (Sigstore bundle, `.intoto.jsonl`, npm attestations
    /// document, OCI image layout directory); repeatable.
    #[arg(long, value_name = "FILE")]
    pub attestation: Vec<PathBuf>,
    /// Sigstore trusted_root.json to verify attestations with (default: the Sigstore
    /// public-good root built into vouch).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// Name of the artifact the SBOM must describe (`metadata.component`).
    #[arg(long, value_name = "NAME")]
    pub subject_name: Option<String>,
    /// Version of the artifact the SBOM must describe (default: from a `v1.2.3` tag
    /// the CI run is for).
    #[arg(long, value_name = "VERSION")]
    pub subject_version: Option<String>,
    /// Repository (`OWNER/NAME`; GitLab `GROUP/SUBGROUP/PROJECT` or the project id) to
    /// read and record as the subject, overriding the CI context.
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Commit SHA to record as the subject, overriding the CI context.
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,
    /// Branch to record as the subject ref (`refs/heads/B`), overriding the CI context.
    #[arg(long, value_name = "B")]
    pub branch: Option<String>,
    /// Read forge evidence (branch protection, reviews, checks) from `github` (needs
    /// GITHUB_TOKEN or GH_TOKEN) or `gitlab` (GITLAB_TOKEN, a token with read_api; a
    /// CI_JOB_TOKEN cannot read approvals or protection). Default: the forge whose CI
    /// this is, else `none`.
    #[arg(long, value_name = "FORGE", value_parser = clap::builder::PossibleValuesParser::new(crate::collect::forge::registry::names()))]
    pub forge: Option<String>,
    /// REST API base URL (default: GITHUB_API_URL, else https://api.github.com; GitLab:
    /// CI_API_V4_URL, else https://gitlab.com/api/v4); GitHub's GraphQL comes from
    /// GITHUB_GRAPHQL_URL or is derived from it.
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Seconds for the whole forge collection, retries and waits included (default: the
    /// policy's forge_deadline_seconds, 180); what is not read by then is an error.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub forge_deadline: Option<u64>,
    /// Changes to verify for peer review, `BASE..HEAD` (default: from the CI event).
    #[arg(long, value_name = "BASE..HEAD")]
    pub range: Option<String>,
    /// Clone with full history (and the change heads fetched) in which peer review
    /// re-merges each change's reviewed head and compares it with what landed (default:
    /// the working directory, when it is a full clone holding the range; otherwise
    /// that rule is skipped).
    #[arg(long, value_name = "DIR")]
    pub git_dir: Option<PathBuf>,
    /// Report format, optionally with a destination: `text`, `json`, `sarif`, `junit`,
    /// `markdown`, or `FMT=PATH`. Repeatable; default `text` to stdout.
    #[arg(long = "format", value_name = "FMT[=PATH]", value_parser = parse_output_spec)]
    pub formats: Vec<OutputSpec>,
    /// Save the evidence (with the sha256 of every input) and the policy to DIR, for `vouch evaluate`.
    #[arg(long, value_name = "DIR")]
    pub evidence_out: Option<PathBuf>,
    /// Sign the verdict and write it to DIR: `vsa.sigstore.json` (SLSA VSA) and
    /// `report.sigstore.json` (the detailed report), and with a key `vsa.dsse.json`.
    /// Needs --sign-key or --keyless.
    #[arg(long, value_name = "DIR")]
    pub attest_out: Option<PathBuf>,
    /// PKCS#8 PEM key (ECDSA P-256/P-384, Ed25519) to sign attestations with; an
    /// encrypted key's password comes from VOUCH_KEY_PASSWORD.
    #[arg(
        long,
        value_name = "FILE",
        requires = "attest_out",
        conflicts_with = "keyless"
    )]
    pub sign_key: Option<PathBuf>,
    /// Sign attestations keyless: a Fulcio certificate for the CI job's OIDC identity
    /// (GitHub Actions with `permissions: id-token: write`, GitLab `id_tokens:`
    /// SIGSTORE_ID_TOKEN, or SIGSTORE_ID_TOKEN), logged in Rekor and timestamped.
    #[arg(long, requires = "attest_out")]
    pub keyless: bool,
    /// Sigstore signing_config.json v0.2 naming the services keyless signing uses
    /// (default: the public-good config built into vouch).
    #[arg(long, value_name = "FILE")]
    pub signing_config: Option<PathBuf>,
    /// Publish the signed bundles: `github` (attestation API), `rekor` (log key-signed
    /// bundles), `gitlab` (the tag's release); repeatable. A failure keeps the files and
    /// exits 1.
    #[arg(long, value_enum, value_name = "TARGET", requires = "attest_out")]
    pub publish: Vec<super::attest::PublishTarget>,
    /// The VSA's resourceUri (default: `git+https://HOST/OWNER/NAME` of the repository).
    #[arg(long, value_name = "URI", requires = "attest_out")]
    pub resource_uri: Option<String>,
}

/// A policy with the bytes and name it was read from.
pub struct LoadedPolicy {
    /// The parsed policy.
    pub policy: Policy,
    /// Its source text.
    pub bytes: Vec<u8>,
    /// Path as given, or `<built-in default policy>`.
    pub name: String,
}

impl LoadedPolicy {
    /// A policy from its bytes (a saved `policy.yaml`); `name` names it in errors.
    pub fn from_bytes(bytes: Vec<u8>, name: String) -> Result<Self, policy::PolicyError> {
        let text = std::str::from_utf8(&bytes).map_err(|e| policy::PolicyError {
            file: name.clone(),
            line: None,
            column: None,
            message: format!("policy is not UTF-8: {e}"),
        })?;
        let policy = policy::parse_str(text, &name)?;
        Ok(LoadedPolicy {
            policy,
            bytes,
            name,
        })
    }

    /// Reads `path`, else `./vouch.yaml` if present, else the built-in default.
    pub fn resolve(path: Option<&Path>) -> Result<Self, policy::PolicyError> {
        let path = path.map(Path::to_path_buf).or_else(|| {
            let default = PathBuf::from("vouch.yaml");
            default.is_file().then_some(default)
        });
        match path {
            Some(p) => {
                let (policy, bytes) = policy::load_file(&p)?;
                Ok(LoadedPolicy {
                    policy,
                    bytes,
                    name: p.display().to_string(),
                })
            }
            None => Ok(LoadedPolicy {
                policy: policy::default_policy(),
                bytes: policy::STARTER_POLICY.as_bytes().to_vec(),
                name: "<built-in default policy>".into(),
            }),
        }
    }

    /// Name and digest, for reports.
    pub fn reference(&self) -> PolicyRef {
        PolicyRef {
            path: self.name.clone(),
            sha256: sha256_hex(&self.bytes),
        }
    }
}

/// Runs `vouch verify`. Errors returned here are usage errors (exit 2).
pub fn run(args: &VerifyArgs, env: &Env, stdout_is_tty: bool) -> anyhow::Result<Outcome> {
    env.check_tokens().map_err(|e| anyhow::anyhow!(e))?;
    let loaded = LoadedPolicy::resolve(args.policy.as_deref())?;
    loaded.policy.require_a_control(&loaded.name)?;
    // A key that cannot sign, or keyless signing with no token to be had, is a usage
    // error, found before any evidence is gathered.
    let signer = super::attest::signer(args, env)?;
    let mut context = CiContext::detect(env);
    if let Some(repo) = &args.repo {
        context.repository = Some(repo.clone());
    }
    if let Some(commit) = &args.commit {
        context.commit = Some(commit.clone());
    }
    if let Some(branch) = &args.branch {
        context.git_ref = Some(format!("refs/heads/{branch}"));
    }
    let mut inputs = FileInputs {
        sarif: args.sarif.clone(),
        sca: args.sca.clone(),
        vex: args.vex.clone(),
        sbom: args.sbom.clone(),
        lockfile: args.lockfile.clone(),
        artifact: args.artifact.clone(),
        attestation: args.attestation.clone(),
        ..FileInputs::default()
    };
    provenance_inputs(args, &loaded, &mut inputs)?;
    let recorded_context = context.clone();
    let mut evidence = collect(&inputs, context, OffsetDateTime::now_utc())?;
    evidence.expected_subject = expected_subject(
        args.subject_name.as_deref(),
        args.subject_version.as_deref(),
        evidence.context.git_ref.as_deref(),
    );
    let mut forge_run = None;
    let mut transcript = None;
    if let Some(read) = collect_forge(args, env, &evidence.context, &loaded.policy)? {
        evidence.forge = Some(read.evidence);
        evidence.sast.extend(read.alerts);
        forge_run = Some(read.run);
        transcript = Some(read.transcript);
    }
    let (git_run, git_transcript) = match collect_git(args, &loaded.policy, &evidence)? {
        Some((run, git, transcript)) => {
            evidence.git = Some(git);
            (Some(run), Some(transcript))
        }
        None => (None, None),
    };
    // A server (or a proxy) that echoes the token back in an error message or a field
    // must not get it into the evidence, and so into any report or saved answer.
    for token in env.tokens() {
        evidence.redact(token)?;
        if let Some(t) = transcript.as_mut() {
            t.redact(token);
        }
    }
    let attest = match (&args.attest_out, &signer) {
        (Some(dir), Some(signing)) => Some(super::attest::Plan {
            out_dir: dir.clone(),
            signing,
            api_url: args.api_url.clone(),
            scope: super::attest::scope(
                args.resource_uri.as_deref(),
                &evidence.context,
                args.api_url.as_deref(),
                &loaded,
                env,
            )?,
        }),
        _ => None,
    };
    let mut saved = None;
    if let Some(dir) = &args.evidence_out {
        let run = RunRecord {
            context: recorded_context,
            expected_subject: evidence.expected_subject.clone(),
            inputs: input_paths(&inputs),
            forge: forge_run,
            git: git_run,
            release: None,
        };
        saved = Some(record::save(
            dir,
            &evidence,
            &loaded.bytes,
            run,
            record::Transcripts {
                forge: transcript.as_ref(),
                git: git_transcript.as_ref(),
            },
            &env.tokens(),
        )?);
    }
    let verdict = evaluate(&loaded.policy, &evidence);
    let mut report = Report::new(verdict, &evidence, loaded.reference());
    // Signed and published before the reports are written, so that every report says
    // how that went, and a run whose attestation failed exits 1 whatever it concluded.
    report.attestation =
        attest.map(|plan| plan.run(&report, &loaded.policy, &evidence, saved, env));
    emit(&args.formats, &report, env, stdout_is_tty)?;
    std::mem::forget(evidence);
    let attested = report.attestation.as_ref().is_none_or(|a| a.ok());
    match (report.verdict, attested) {
        (Overall::Pass, true) => Ok(Outcome::Pass),
        _ => Ok(Outcome::Fail),
    }
}

/// The inputs by role as recorded in the manifest.
fn input_paths(inputs: &FileInputs) -> InputPaths {
    let names = |list: &[PathBuf]| list.iter().map(|p| p.display().to_string()).collect();
    InputPaths {
        sarif: names(&inputs.sarif),
        sca: names(&inputs.sca),
        vex: names(&inputs.vex),
        sbom: names(&inputs.sbom),
        lockfile: names(&inputs.lockfile),
        artifact: names(&inputs.artifact),
        attestation: names(&inputs.attestation),
        keys: names(&inputs.key_files),
        trusted_root: inputs
            .trusted_root
            .as_ref()
            .map(|p| p.display().to_string()),
    }
}

/// Whom attestation signatures are accepted from, per the policy's provenance section.
pub fn attestation_signers(
    policy: &Policy,
) -> anyhow::Result<crate::verify::provenance::ProvenanceSigner> {
    let mut signers = crate::verify::provenance::ProvenanceSigner::default();
    let Some(p) = policy.provenance.as_ref().filter(|p| p.enabled) else {
        return Ok(signers);
    };
    if !p.issuers.is_empty() {
        signers.issuers = p
            .issuers
            .iter()
            .map(|i| crate::verify::identity::Matcher::Exact(i.clone()))
            .collect();
    }
    for (index, identity) in p.identities.iter().enumerate() {
        signers
            .identities
            .push(crate::verify::identity::Matcher::pattern(identity).map_err(
            |e| {
                anyhow::anyhow!(
                    "provenance.identities[{index}]: `{identity}` is not a regular expression: {e}"
                )
            },
        )?);
    }
    for (which, value) in &p.certificate_extensions {
        signers.extensions.push((
            *which,
            crate::verify::identity::Matcher::Exact(value.clone()),
        ));
    }
    Ok(signers)
}

/// Adds the provenance section's globs, keys, issuers and trusted root to the inputs.
fn provenance_inputs(
    args: &VerifyArgs,
    loaded: &LoadedPolicy,
    inputs: &mut FileInputs,
) -> anyhow::Result<()> {
    let section = loaded.policy.provenance.as_ref().filter(|p| p.enabled);
    if let Some(p) = section {
        inputs.artifact.extend(crate::collect::expand_globs(
            &p.artifacts,
            "provenance.artifacts",
        )?);
        inputs.attestation.extend(crate::collect::expand_globs(
            &p.attestations,
            "provenance.attestations",
        )?);
        inputs.key_files.extend(p.keys.iter().cloned());
    }
    // A file named by a flag and matched by a glob is read once (first mention wins).
    for list in [&mut inputs.artifact, &mut inputs.attestation] {
        let mut seen = std::collections::HashSet::new();
        list.retain(|path| seen.insert(path.clone()));
    }
    let root_path = args
        .trusted_root
        .clone()
        .or_else(|| section.and_then(|p| p.trusted_root.clone()));
    inputs.trusted_root = root_path;
    inputs.attestation_signers = attestation_signers(&loaded.policy)?;
    Ok(())
}

/// What an SBOM must be about: the flags, else the version of the release tag the run
/// is for (`refs/tags/v1.2.3`).
pub fn expected_subject(
    name: Option<&str>,
    version: Option<&str>,
    git_ref: Option<&str>,
) -> Option<crate::evidence::sbom::ExpectedSubject> {
    let tag = git_ref.and_then(|r| r.strip_prefix("refs/tags/"));
    let (version, origin) = match (version, tag) {
        (Some(v), _) => (Some(v.to_string()), "--subject-version".to_string()),
        (None, Some(t))
            if t.trim_start_matches('v')
                .starts_with(|c: char| c.is_ascii_digit()) =>
        {
            (Some(t.to_string()), format!("tag {t}"))
        }
        _ => (None, "--subject-name".to_string()),
    };
    if name.is_none() && version.is_none() {
        return None;
    }
    Some(crate::evidence::sbom::ExpectedSubject {
        name: name.map(str::to_string),
        version,
        origin,
    })
}

/// Evaluates, writes the reports, and maps the verdict to an outcome.
///
/// Takes the evidence because it is the run's last use of it: the process ends right
/// after, and freeing a large evidence tree (every component of a 20,000-component
/// SBOM) one allocation at a time is work nobody waits for, so it is left to the OS.
pub fn report_and_conclude(
    loaded: &LoadedPolicy,
    evidence: Evidence,
    formats: &[OutputSpec],
    env: &Env,
    stdout_is_tty: bool,
) -> anyhow::Result<Outcome> {
    let verdict = evaluate(&loaded.policy, &evidence);
    let report = Report::new(verdict, &evidence, loaded.reference());
    emit(formats, &report, env, stdout_is_tty)?;
    let outcome = match report.verdict {
        Overall::Pass => Outcome::Pass,
        Overall::Fail => Outcome::Fail,
    };
    std::mem::forget(evidence);
    Ok(outcome)
}

/// Reads what the enabled forge controls need; `None` when no forge is used or needed.
fn collect_forge(
    args: &VerifyArgs,
    env: &Env,
    context: &CiContext,
    policy: &Policy,
) -> anyhow::Result<Option<ForgeRead>> {
    use crate::collect::forge::{self, plan, registry};
    let Some(spec) = registry::select(args.forge.as_deref(), env) else {
        return Ok(None);
    };
    // Check runs are matched to the exact commit: a short SHA or a ref would never
    // equal the SHA a check ran on, and would read as "ran on another commit".
    if let Some(commit) = &context.commit
        && !((commit.len() == 40 || commit.len() == 64)
            && commit
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
    {
        anyhow::bail!(
            "--commit {}: the forge is read for an exact commit; give its full SHA (40 lowercase hex digits)",
            crate::report::escape::terminal(commit)
        );
    }
    let on = |s: Option<bool>| s.unwrap_or(false);
    let need_checks = on(policy.required_checks.as_ref().map(|s| s.enabled));
    let need_protection = on(policy.branch_protection.as_ref().map(|s| s.enabled))
        || policy
            .required_checks
            .as_ref()
            .is_some_and(|s| s.enabled && s.checks.is_empty());
    // Required checks are judged per change too: each merged change's reviewed head.
    let need_changes = on(policy.peer_review.as_ref().map(|s| s.enabled)) || need_checks;
    let need_alerts = policy
        .sast
        .as_ref()
        .is_some_and(|s| s.enabled && s.code_scanning_alerts);
    if !(need_checks || need_protection || need_changes || need_alerts) {
        return Ok(None);
    }
    let repository = context.repository.clone().ok_or_else(|| {
        anyhow::anyhow!(
            "--forge {} needs the repository: pass --repo {}",
            spec.name,
            spec.repo_syntax
        )
    })?;
    let mut inputs = plan::PlanInputs {
        range: args.range.clone(),
        branch: args.branch.clone(),
        commit: args.commit.clone(),
        need_protection,
        need_changes,
        need_checks,
        need_alerts,
        ..plan::PlanInputs::default()
    };
    (spec.ci_facts)(env, &mut inputs);
    let request = plan::plan(&inputs, context)?;
    let deadline = args
        .forge_deadline
        .unwrap_or(u64::from(policy.forge_deadline_seconds.get()));
    let registry::Connected {
        forge: mut session,
        run: mut forge_run,
    } = (spec.connect)(&registry::Connect {
        env,
        api_url: args.api_url.as_deref(),
        repository: &repository,
        deadline: std::time::Duration::from_secs(deadline),
    })?;
    forge_run.request = request.clone();
    let bar = progress_bar();
    let progress = |n: usize| {
        if let Some(bar) = &bar {
            bar.set_message(format!("{n} commits read"));
            bar.tick();
        }
    };
    let (evidence, alerts) = forge::collect(
        session.as_mut(),
        &forge_run.kind,
        &forge_run.api_url,
        &repository,
        &request,
        &progress,
    );
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    tracing::debug!(requests = evidence.requests, "forge evidence collected");
    Ok(Some(ForgeRead {
        evidence,
        alerts,
        run: forge_run,
        transcript: session.take_transcript(),
    }))
}

/// Compares what landed with what was reviewed in the clone, for peer review;
/// `None` when peer review is off or no changes were read.
fn collect_git(
    args: &VerifyArgs,
    policy: &Policy,
    evidence: &Evidence,
) -> anyhow::Result<
    Option<(
        record::GitRun,
        crate::evidence::git::GitEvidence,
        crate::collect::git::runner::GitTranscript,
    )>,
> {
    use crate::collect::git::{self, runner::LiveGit};
    if !policy.peer_review.as_ref().is_some_and(|p| p.enabled) {
        return Ok(None);
    }
    let Some(Ok(changes)) = evidence.forge.as_ref().and_then(|f| f.changes.as_ref()) else {
        return Ok(None);
    };
    let explicit = args.git_dir.is_some();
    let dir = args.git_dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let name = dir.display().to_string();
    let mut live = LiveGit::new(&dir)
        .map_err(|e| anyhow::anyhow!("cannot make a scratch directory for git: {e}"))?;
    if explicit {
        // A clone that was named and cannot be read is a mistake in the command, found
        // before anything is judged.
        let mut probe = LiveGit::new(&dir)
            .map_err(|e| anyhow::anyhow!("cannot make a scratch directory for git: {e}"))?;
        git::probe(&mut probe).map_err(|why| {
            anyhow::anyhow!(
                "--git-dir {}: not a git repository git can read: {}",
                crate::report::escape::terminal(&name),
                crate::report::escape::terminal(&why)
            )
        })?;
    }
    let compared = git::compare(&mut live, &name, explicit, changes);
    Ok(Some((
        record::GitRun {
            git_dir: name,
            explicit,
        },
        compared,
        live.take_transcript(),
    )))
}

/// What reading the forge gave: the evidence, code-scanning alerts as SAST evidence,
/// and what the evidence directory keeps of it.
pub struct ForgeRead {
    /// Forge evidence.
    pub evidence: crate::evidence::forge::ForgeEvidence,
    /// Open code-scanning alerts, when asked for.
    pub alerts: Option<crate::evidence::Sourced<crate::evidence::SastReport>>,
    /// What was read, from where.
    pub run: ForgeRun,
    /// Every request and answer.
    pub transcript: crate::collect::forge::transcript::Transcript,
}

/// A spinner on stderr when it is a terminal; CI logs stay quiet.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message("reading the change history");
        bar
    })
}
