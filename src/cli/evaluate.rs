//! `vouch evaluate`: re-perform an evaluation from a saved evidence directory, offline.
//!
//! Nothing is collected again and the clock is not read: the evidence carries its
//! collection time, so exceptions expire exactly as they did in the original run.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use super::Outcome;
use super::output::{OutputSpec, parse_output_spec};
use super::verify::{EVIDENCE_FILE, LoadedPolicy, POLICY_FILE, report_and_conclude};
use crate::ci::Env;
use crate::evidence::{EVIDENCE_FORMAT_VERSION, Evidence};

/// Arguments of `vouch evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Evidence directory written by `vouch verify --evidence-out DIR`.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Policy to evaluate against (default: the policy saved in DIR).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Report format, as for `vouch verify`.
    #[arg(long = "format", value_name = "FMT[=PATH]", value_parser = parse_output_spec)]
    pub formats: Vec<OutputSpec>,
}

/// Runs `vouch evaluate`.
pub fn run(args: &EvaluateArgs, env: &Env, stdout_is_tty: bool) -> anyhow::Result<Outcome> {
    let path = args.dir.join(EVIDENCE_FILE);
    let bytes = crate::collect::input::read_json_file(&path)
        .with_context(|| format!("{}: cannot read evidence", path.display()))?;
    let evidence: Evidence = serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: not a vouch evidence file: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if evidence.format_version != EVIDENCE_FORMAT_VERSION {
        bail!(
            "{}: format_version: expected {EVIDENCE_FORMAT_VERSION}, got {} (written by vouch {})",
            path.display(),
            evidence.format_version,
            evidence.tool.version
        );
    }
    let policy_path = args
        .policy
        .clone()
        .unwrap_or_else(|| args.dir.join(POLICY_FILE));
    let loaded = LoadedPolicy::resolve(Some(&policy_path))?;
    loaded.policy.require_a_control(&loaded.name)?;
    report_and_conclude(&loaded, evidence, &args.formats, env, stdout_is_tty)
}
