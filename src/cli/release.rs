//! `vouch release verify OWNER/REPO@TAG`: fetch a published release and verify it
//! against a policy, asset by asset.
//!
//! Three ways in: online (fetch into a scratch folder, verify), `--download-only DIR`
//! (fetch, stop), and `--dir DIR` (verify a folder offline). The folder's artifacts,
//! attestations (the release's own and the attestations API's) and SBOMs go through
//! the same collection and controls as `vouch verify`; the report adds each asset's
//! outcome, and an asset the policy covers that is not verified fails the run.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use time::OffsetDateTime;

use super::Outcome;
use super::output::{OutputSpec, emit, parse_output_spec};
use super::verify::{LoadedPolicy, attestation_signers, expected_subject};
use crate::ci::{CiContext, Env};
use crate::collect::forge::http::{ApiClient, RetryPolicy};
use crate::collect::record::{self, InputPaths, ReleaseRun, RunRecord};
use crate::collect::release::{self as fetch, Target, download::Downloader};
use crate::collect::{FileInputs, collect};
use crate::policy::Policy;
use crate::release::outcome::{Coverage, FoundFile, outcomes};
use crate::release::{AssetKind, ReleaseRecord, classify};
use crate::report::Report;
use crate::verdict::{Overall, evaluate};

/// `vouch release` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// Verify a published GitHub release: download its assets and their attestations
    /// (release assets and GitHub's attestations API), check provenance, SBOMs and (with
    /// a `vsa:` policy section) VSAs with the policy, and report each asset as verified,
    /// unverified (why) or not covered.
    Verify(Box<ReleaseVerifyArgs>),
}

/// Arguments of `vouch release verify`.
#[derive(Debug, Args)]
pub struct ReleaseVerifyArgs {
    /// The release: `OWNER/REPO@TAG`.
    #[arg(value_name = "OWNER/REPO@TAG")]
    pub target: Target,
    /// The forge hosting it; only `github` (and GitHub Enterprise Server with --api-url).
    #[arg(long, value_name = "FORGE", default_value = "github", value_parser = ["github"])]
    pub forge: String,
    /// REST API base URL (default: GITHUB_API_URL, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Verify a release already downloaded into DIR (by `--download-only`, or by hand),
    /// offline.
    #[arg(long, value_name = "DIR", conflicts_with = "download_only")]
    pub dir: Option<PathBuf>,
    /// Download the release and its attestations into DIR, and stop: verify it later,
    /// anywhere, with `--dir DIR`.
    #[arg(long, value_name = "DIR")]
    pub download_only: Option<PathBuf>,
    /// Policy file (default: ./vouch.yaml when it exists, else a built-in release
    /// policy: provenance from GitHub-hosted runners or the SLSA generator for this
    /// repository, and an SBOM for every artifact).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Lockfile the SBOMs must be complete against; repeatable.
    #[arg(long, value_name = "FILE")]
    pub lockfile: Vec<PathBuf>,
    /// Sigstore trusted_root.json (default: the policy's, else the public-good root).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// Name the SBOMs must describe (`metadata.component`); the version is the tag's.
    #[arg(long, value_name = "NAME")]
    pub subject_name: Option<String>,
    /// Downloads at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub jobs: u16,
    /// Report format, as for `vouch verify`; repeatable.
    #[arg(long = "format", value_name = "FMT[=PATH]", value_parser = parse_output_spec)]
    pub formats: Vec<OutputSpec>,
    /// Save the evidence (assets' digests, attestations, SBOMs, the API's answers) to
    /// DIR, for `vouch evaluate`.
    #[arg(long, value_name = "DIR")]
    pub evidence_out: Option<PathBuf>,
}

/// Runs `vouch release`.
pub fn run(cmd: &ReleaseCommand, env: &Env, stdout_is_tty: bool) -> anyhow::Result<Outcome> {
    let ReleaseCommand::Verify(args) = cmd;
    env.check_tokens().map_err(|e| anyhow::anyhow!(e))?;
    let api_url = args
        .api_url
        .clone()
        .or_else(|| env.get("GITHUB_API_URL").map(str::to_string))
        .unwrap_or_else(|| "https://api.github.com".into());
    let host = web_host(&api_url)?;
    // Online runs fetch into a scratch folder that lives as long as the run.
    let scratch;
    let dir = match (&args.dir, &args.download_only) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) => dir.clone(),
        (None, None) => {
            scratch = tempfile::tempdir().context("cannot make a scratch folder")?;
            scratch.path().to_path_buf()
        }
    };
    if args.dir.is_none() {
        let failures = fetch_into(args, env, &api_url, &host, &dir)?;
        for (name, why) in &failures {
            eprintln!(
                "vouch: {}: {}",
                crate::report::escape::terminal(name),
                crate::report::escape::terminal(why)
            );
        }
        if args.download_only.is_some() {
            eprintln!(
                "vouch: {}@{} downloaded to {}; verify it with `vouch release verify {}@{} --dir {}`",
                args.target.repository,
                crate::report::escape::terminal(&args.target.tag),
                dir.display(),
                args.target.repository,
                crate::report::escape::terminal(&args.target.tag),
                dir.display()
            );
            return Ok(if failures.is_empty() {
                Outcome::Pass
            } else {
                Outcome::Fail
            });
        }
    }
    let folder = fetch::read_folder(&dir, &args.target, &host).map_err(|e| anyhow::anyhow!(e))?;
    let loaded = match &args.policy {
        Some(_) => LoadedPolicy::resolve(args.policy.as_deref())?,
        None if PathBuf::from("vouch.yaml").is_file() => LoadedPolicy::resolve(None)?,
        None => LoadedPolicy::from_bytes(
            default_policy(&folder.record).into_bytes(),
            format!("<built-in release policy for {}>", folder.record.repository),
        )?,
    };
    loaded.policy.require_a_control(&loaded.name)?;
    let mut policy = loaded.policy.clone();
    expect_release_source(&mut policy, &folder.record);
    let coverage = coverage(&policy);
    let mut inputs = FileInputs {
        lockfile: args.lockfile.clone(),
        attestation_signers: attestation_signers(&policy)?,
        ..FileInputs::default()
    };
    if let Some(p) = policy.provenance.as_ref().filter(|p| p.enabled) {
        inputs.key_files = p.keys.clone();
        inputs.trusted_root = p.trusted_root.clone();
    }
    if args.trusted_root.is_some() {
        inputs.trusted_root = args.trusted_root.clone();
    }
    for asset in &folder.record.assets {
        let Some(file) = folder.found.get(&asset.name) else {
            continue;
        };
        let path = PathBuf::from(&file.source);
        match classify(&asset.name) {
            AssetKind::Artifact if coverage.selects(&asset.name) => inputs.artifact.push(path),
            AssetKind::Attestation => inputs.attestation.push(path),
            AssetKind::Sbom => inputs.sbom.push(path),
            _ => {}
        }
    }
    inputs
        .attestation
        .extend(folder.api_bundles.iter().cloned());
    let context = release_context(&folder.record);
    let mut evidence = collect(&inputs, context.clone(), OffsetDateTime::now_utc())?;
    evidence.expected_subject = expected_subject(
        args.subject_name.as_deref(),
        None,
        context.git_ref.as_deref(),
    );
    let found: Vec<(String, FoundFile)> = {
        let mut found: Vec<_> = folder.found.clone().into_iter().collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
    };
    let release_run = ReleaseRun {
        record: folder.record.clone(),
        found,
    };
    if let Some(out) = &args.evidence_out {
        let run = RunRecord {
            context,
            expected_subject: evidence.expected_subject.clone(),
            inputs: InputPaths {
                sbom: names(&inputs.sbom),
                lockfile: names(&inputs.lockfile),
                artifact: names(&inputs.artifact),
                attestation: names(&inputs.attestation),
                keys: names(&inputs.key_files),
                trusted_root: inputs
                    .trusted_root
                    .as_ref()
                    .map(|p| p.display().to_string()),
                ..InputPaths::default()
            },
            forge: None,
            git: None,
            release: Some(release_run.clone()),
        };
        record::save(
            out,
            &evidence,
            &loaded.bytes,
            run,
            record::Transcripts::default(),
            &env.tokens(),
        )?;
    }
    let report = release_report(&loaded, &evidence, &release_run);
    emit(&args.formats, &report, env, stdout_is_tty)?;
    std::mem::forget(evidence);
    Ok(match report.verdict {
        Overall::Pass => Outcome::Pass,
        Overall::Fail => Outcome::Fail,
    })
}

/// The report of a release run: the controls under the policy (with the release's
/// expected source), then each asset's outcome. `vouch evaluate` makes it the same way.
pub fn release_report(
    loaded: &LoadedPolicy,
    evidence: &crate::evidence::Evidence,
    run: &ReleaseRun,
) -> Report {
    let mut policy = loaded.policy.clone();
    expect_release_source(&mut policy, &run.record);
    let verdict = evaluate(&policy, evidence);
    let report = Report::new(verdict, evidence, loaded.reference());
    let found: HashMap<String, FoundFile> = run.found.iter().cloned().collect();
    let summary = outcomes(
        &run.record,
        &found,
        &coverage(&policy),
        &report.controls,
        evidence,
    );
    report.with_release(summary)
}

/// Fetches the release into `dir` (a new or empty folder); the assets that could not
/// be fetched, with why.
fn fetch_into(
    args: &ReleaseVerifyArgs,
    env: &Env,
    api_url: &str,
    host: &str,
    dir: &std::path::Path,
) -> anyhow::Result<Vec<(String, String)>> {
    if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        bail!(
            "{}: is not empty; give a new or empty folder to download into (or verify it with --dir)",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let token = env.github_token();
    let graphql = format!("{}/graphql", api_url.trim_end_matches('/'));
    let mut api = ApiClient::new(api_url, &graphql, token.clone(), RetryPolicy::default())
        .map_err(|e| anyhow::anyhow!(e))?;
    let downloader = Downloader::new(api_url, token).map_err(|e| anyhow::anyhow!(e))?;
    let bar = progress_bar();
    let progress = |done: u64, total: u64| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    };
    let origin = fetch::Origin {
        target: args.target.clone(),
        api_url: api_url.to_string(),
        host: host.to_string(),
    };
    let (_, failures) = fetch::fetch(
        &mut api,
        &downloader,
        &origin,
        dir,
        usize::from(args.jobs),
        &progress,
    )
    .map_err(|e| anyhow::anyhow!("{}: {e}", args.target.repository))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(failures)
}

/// A byte counter on stderr when it is a terminal; CI logs stay quiet.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        ) {
            bar.set_style(style);
        }
        bar
    })
}

/// The web host of a GitHub API (`api.github.com` → `github.com`; GitHub Enterprise
/// Server's `https://HOST/api/v3` → `HOST`).
fn web_host(api_url: &str) -> anyhow::Result<String> {
    let url = reqwest::Url::parse(api_url).with_context(|| format!("--api-url {api_url}"))?;
    let host = url
        .host_str()
        .ok_or_else(|| anyhow::anyhow!("--api-url {api_url}: no host"))?;
    let host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    Ok(match host.strip_prefix("api.") {
        Some(web) => web.to_string(),
        None => host,
    })
}

/// What the run is about: the release's repository at its tag.
fn release_context(record: &ReleaseRecord) -> CiContext {
    CiContext {
        repository: Some(record.repository.clone()),
        git_ref: Some(format!("refs/tags/{}", record.tag)),
        ..CiContext::local()
    }
}

/// The provenance must be of this repository (and, from the context, this tag) unless
/// the policy says which.
fn expect_release_source(policy: &mut Policy, record: &ReleaseRecord) {
    if let Some(p) = policy.provenance.as_mut().filter(|p| p.enabled)
        && p.from_ci_context
        && p.source.repository.is_none()
    {
        p.source.repository = Some(format!("{}/{}", record.host, record.repository));
    }
}

/// Which assets the policy covers.
fn coverage(policy: &Policy) -> Coverage {
    let provenance = policy.provenance.as_ref().filter(|p| p.enabled);
    Coverage {
        provenance: provenance.is_some(),
        sbom: policy.sbom.as_ref().is_some_and(|s| s.enabled),
        vsa: policy.vsa.as_ref().is_some_and(|v| v.enabled),
        artifacts: provenance
            .map(|p| p.artifacts.iter().map(|g| g.matcher()).collect())
            .unwrap_or_default(),
    }
}

/// The release policy used when none is given: provenance from the builders GitHub
/// releases are attested by, for this repository, and an SBOM for every artifact.
fn default_policy(record: &ReleaseRecord) -> String {
    let source = format!("{}/{}", record.host, record.repository);
    format!(
        "# vouch's built-in release policy for {source}.\n\
         version: 1\n\
         provenance:\n  \
           builders:\n    \
             - id: \"https://github.com/actions/runner/github-hosted\"\n      \
               sources: [\"{source}\"]\n      \
               max_level: 2\n    \
             - id: \"https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_*_slsa3.yml\"\n      \
               sources: [\"{source}\"]\n      \
               max_level: 3\n\
         sbom: {{}}\n"
    )
}

fn names(list: &[PathBuf]) -> Vec<String> {
    list.iter().map(|p| p.display().to_string()).collect()
}
