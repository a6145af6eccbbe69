//! `vouch vsa verify`: check a SLSA Verification Summary Attestation signed with a key.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::Outcome;
use super::sigstore::{not_verified, read_key};
use crate::report::escape::terminal;
use crate::verify::attestation::read_attestations;
use crate::verify::sigstore::SignerPolicy;
use crate::verify::trust_root::TrustedRoot;
use crate::verify::vsa::{VsaExpectations, verify_vsa_document};

/// `vouch vsa …`.
#[derive(Debug, Subcommand)]
pub enum VsaCommand {
    /// Verify a key-signed VSA (DSSE envelope, Sigstore bundle, or JSON Lines of them): signature, subject,
    /// verifier, resource, result and levels. Exit 0 verified, 1 not, 2 bad arguments.
    Verify(VsaArgs),
}

/// Arguments of `vouch vsa verify`.
#[derive(Debug, Args)]
pub struct VsaArgs {
    /// The VSA file.
    #[arg(long, value_name = "FILE")]
    pub attestation: PathBuf,
    /// The verifier's PEM public key.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The key id the signature must carry (default: any signature that verifies).
    #[arg(long, value_name = "ID")]
    pub key_id: Option<String>,
    /// A subject digest the VSA must name, `ALGORITHM:VALUE`; repeatable.
    #[arg(long, value_name = "ALG:VALUE", required = true, value_parser = parse_digest)]
    pub subject_digest: Vec<(String, String)>,
    /// The verifier that must have issued it.
    #[arg(long, value_name = "ID")]
    pub verifier_id: String,
    /// The resource it must be about.
    #[arg(long, value_name = "URI")]
    pub resource_uri: Option<String>,
    /// A level it must have verified; repeatable.
    #[arg(long, value_name = "LEVEL")]
    pub verified_level: Vec<String>,
}

fn parse_digest(text: &str) -> Result<(String, String), String> {
    text.split_once(':')
        .filter(|(a, v)| !a.is_empty() && !v.is_empty())
        .map(|(a, v)| (a.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{text}` is not ALGORITHM:VALUE"))
}

/// Runs `vouch vsa …`.
pub fn run(cmd: &VsaCommand) -> anyhow::Result<Outcome> {
    let VsaCommand::Verify(args) = cmd;
    let key = read_key(&args.key)?;
    let bytes = crate::collect::input::read_json_file(&args.attestation)
        .with_context(|| format!("cannot read attestation {}", args.attestation.display()))?;
    let expected = VsaExpectations {
        verifier_id: args.verifier_id.clone(),
        resource_uri: args.resource_uri.clone(),
        verified_levels: args.verified_level.clone(),
        subject_digests: args.subject_digest.clone(),
        key_id: args.key_id.clone(),
        policy_sha256: None,
    };
    let signer = SignerPolicy::Key(key);
    // A key-signed bundle with log entries is verified against the public-good root.
    let root = TrustedRoot::public_good()?;
    let file = args.attestation.display().to_string();
    let outcome = read_attestations(&bytes).and_then(|documents| {
        documents
            .iter()
            .map(|document| verify_vsa_document(&document.form, &signer, &root, &expected))
            .collect::<Result<Vec<_>, _>>()
    });
    match outcome {
        Ok(verified) => {
            for vsa in verified {
                println!(
                    "{}",
                    terminal(&format!(
                        "OK: {file}: {} verified {} at levels {}",
                        vsa.verifier_id,
                        vsa.resource_uri,
                        vsa.verified_levels.join(", ")
                    ))
                );
            }
            Ok(Outcome::Pass)
        }
        Err(error) => Ok(not_verified(&file, &error)),
    }
}
