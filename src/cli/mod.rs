//! Command-line interface: clap definitions, one file per subcommand.
//!
//! Subcommands return an [`Outcome`]; only `main` turns it into an exit code, so no
//! library code exits the process or decides what "failure" means for the shell.

pub mod attest;
pub mod attestation;
pub mod evaluate;
pub mod output;
pub mod policy;
pub mod provenance;
pub mod release;
pub mod sbom;
pub mod sigstore;
pub mod verify;
pub mod vsa;

use clap::{Parser, Subcommand};

/// What a subcommand concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every required control passed: exit 0.
    Pass,
    /// A required control failed or could not be evaluated: exit 1.
    Fail,
}

/// Prove that a change or release went through the controls it claims.
///
/// vouch gathers evidence (scanner reports, SBOMs and lockfiles, provenance attestations, the forge), judges it against a policy, and
/// fails the build when a control did not operate. Exit codes: 0 every required
/// control passed; 1 a required control failed or could not be evaluated; 2 the run
/// could not start (bad arguments, invalid policy, unreadable input).
#[derive(Debug, Parser)]
#[command(name = "vouch", version, about, long_about)]
pub struct Cli {
    /// More detail on stderr: `-v` debug, `-vv` trace (never tokens or secrets).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Largest input file read (reports, SBOMs, lockfiles, attestations, keys, policy):
    /// bytes, or with a unit (`500MiB`, `4GiB`). Only regular files are read.
    #[arg(long, global = true, value_name = "SIZE", default_value = "2GiB", value_parser = crate::collect::input::parse_size)]
    pub max_input_size: u64,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Collect evidence, evaluate it against the policy and report.
    Verify(Box<verify::VerifyArgs>),
    /// Re-perform an evaluation offline from a saved evidence directory.
    Evaluate(evaluate::EvaluateArgs),
    /// Write, check or describe policy files.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Check an SBOM on its own (the SBOM control alone).
    #[command(subcommand)]
    Sbom(sbom::SbomCommand),
    /// Verify SLSA provenance of artifacts (builder, source, subjects), offline.
    #[command(subcommand)]
    Provenance(provenance::ProvenanceCommand),
    /// Verify a VSA vouch signed, as a deploy gate does (keyless or with a key).
    #[command(subcommand)]
    Attestation(attestation::AttestationCommand),
    /// Verify a SLSA Verification Summary Attestation (VSA), key-signed.
    #[command(subcommand)]
    Vsa(vsa::VsaCommand),
    /// Sigstore bundle verification (the sigstore-conformance client protocol).
    #[command(subcommand)]
    Sigstore(sigstore::SigstoreCommand),
    /// Verify a published release, asset by asset.
    #[command(subcommand)]
    Release(release::ReleaseCommand),
}
