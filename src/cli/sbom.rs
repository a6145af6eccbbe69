//! `vouch sbom check`: the SBOM control alone, for a person checking one SBOM.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use time::OffsetDateTime;

use super::Outcome;
use super::output::{OutputSpec, parse_output_spec};
use super::verify::{LoadedPolicy, expected_subject, report_and_conclude};
use crate::checks::sbom::SbomPolicy;
use crate::ci::{CiContext, Env};
use crate::collect::{FileInputs, collect};

/// `vouch sbom …`.
#[derive(Debug, Subcommand)]
pub enum SbomCommand {
    /// Check one SBOM: validity, completeness against lockfiles, fields, NTIA
    /// minimum elements, licenses and banned components.
    Check(CheckArgs),
}

/// Arguments of `vouch sbom check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The SBOM (CycloneDX JSON or XML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Lockfile to check completeness against; repeatable.
    #[arg(long, value_name = "FILE")]
    pub lockfile: Vec<PathBuf>,
    /// Policy whose `sbom` section (and exceptions) apply; other controls are ignored.
    /// Default: ./vouch.yaml when it exists, else the section's defaults.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Name of the artifact the SBOM must describe.
    #[arg(long, value_name = "NAME")]
    pub subject_name: Option<String>,
    /// Version of the artifact the SBOM must describe.
    #[arg(long, value_name = "VERSION")]
    pub subject_version: Option<String>,
    /// Report format, as for `vouch verify`.
    #[arg(long = "format", value_name = "FMT[=PATH]", value_parser = parse_output_spec)]
    pub formats: Vec<OutputSpec>,
}

/// Runs `vouch sbom …`.
pub fn run(cmd: &SbomCommand, env: &Env, stdout_is_tty: bool) -> anyhow::Result<Outcome> {
    let SbomCommand::Check(args) = cmd;
    let mut loaded = LoadedPolicy::resolve(args.policy.as_deref())?;
    // This control alone: the policy's SBOM section (or its defaults), its exceptions.
    let policy = &mut loaded.policy;
    let section = policy.sbom.take().unwrap_or_else(SbomPolicy::default);
    policy.sast = None;
    policy.sca = None;
    policy.branch_protection = None;
    policy.peer_review = None;
    policy.required_checks = None;
    policy.provenance = None;
    policy.sbom = Some(section);
    let inputs = FileInputs {
        sbom: vec![args.file.clone()],
        lockfile: args.lockfile.clone(),
        ..Default::default()
    };
    let mut evidence = collect(&inputs, CiContext::detect(env), OffsetDateTime::now_utc())?;
    evidence.expected_subject = expected_subject(
        args.subject_name.as_deref(),
        args.subject_version.as_deref(),
        None,
    );
    report_and_conclude(&loaded, evidence, &args.formats, env, stdout_is_tty)
}
