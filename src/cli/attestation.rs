//! `vouch attestation verify`: a consumer's (deploy gate's) check of a VSA vouch wrote.
//!
//! Checks the signature (a key, or a Fulcio certificate with the expected identity and
//! issuer against the trusted root), that the statement is a VSA about the artifact or
//! commit, from the expected verifier, `PASSED`, at the levels asked (a level implies the
//! lower ones of its track), and, when given, under the policy digest asked. Exit 0
//! verified, 1 not, 2 bad arguments or unreadable files.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::Outcome;
use super::sigstore::{load_root, not_verified, read_key};
use crate::attest::vsa::DEFAULT_VERIFIER_ID;
use crate::report::escape::terminal;
use crate::verify::VerifyError;
use crate::verify::attestation::read_attestations;
use crate::verify::identity::{IdentityPolicy, Matcher};
use crate::verify::sigstore::SignerPolicy;
use crate::verify::trust_root::TrustedRoot;
use crate::verify::vsa::{VsaExpectations, verify_vsa_document};

/// `vouch attestation …`.
#[derive(Debug, Subcommand)]
pub enum AttestationCommand {
    /// Verify a VSA vouch signed (bundle or DSSE envelope): signature, identity, subject,
    /// predicate type, PASSED, levels, policy. Exit 0 verified, 1 not, 2 bad arguments.
    Verify(AttestationVerifyArgs),
}

/// Arguments of `vouch attestation verify`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("subject").required(true).args(["artifact", "subject_digest", "commit"])))]
#[command(group(clap::ArgGroup::new("signer_group").required(true).args(["certificate_identity", "certificate_identity_regexp", "key"])))]
pub struct AttestationVerifyArgs {
    /// The VSA: `vsa.sigstore.json`, `vsa.dsse.json`, or JSON Lines of either.
    #[arg(long, value_name = "FILE")]
    pub attestation: PathBuf,
    /// The artifact the VSA must be about (its sha256 is computed).
    #[arg(long, value_name = "FILE")]
    pub artifact: Option<PathBuf>,
    /// The subject digest the VSA must name, `ALGORITHM:HEX` (`sha256:…`).
    #[arg(long, value_name = "ALG:HEX")]
    pub subject_digest: Option<String>,
    /// The commit the VSA must be about (a `gitCommit` subject), full SHA.
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,
    /// Who must have signed.
    #[command(flatten)]
    pub signer: SignerArgs,
    /// The verifier that must have issued the VSA.
    #[arg(long, value_name = "ID", default_value = DEFAULT_VERIFIER_ID)]
    pub verifier_id: String,
    /// The resource the VSA must be about (`git+https://github.com/OWNER/NAME`).
    #[arg(long, value_name = "URI")]
    pub resource_uri: Option<String>,
    /// The policy the verdict must have been reached under, `sha256:HEX`.
    #[arg(long, value_name = "sha256:HEX")]
    pub policy_digest: Option<String>,
    /// A level the VSA must state (or a higher one of the same track); repeatable.
    #[arg(long, value_name = "LEVEL")]
    pub verified_level: Vec<String>,
}

/// Runs `vouch attestation …`.
pub fn run(cmd: &AttestationCommand) -> anyhow::Result<Outcome> {
    let AttestationCommand::Verify(args) = cmd;
    let (signer, root) = args.signer.load()?.ok_or_else(|| {
        anyhow::anyhow!(
            "give --key, or --certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer"
        )
    })?;
    let subject = subject_digest(args)?;
    let policy_sha256 = args
        .policy_digest
        .as_deref()
        .map(|d| {
            d.strip_prefix("sha256:")
                .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                .map(str::to_ascii_lowercase)
                .ok_or_else(|| {
                    anyhow::anyhow!("--policy-digest `{d}`: expected sha256:<64 hex digits>")
                })
        })
        .transpose()?;
    let bytes = crate::collect::input::read_json_file(&args.attestation)
        .with_context(|| format!("cannot read attestation {}", args.attestation.display()))?;
    let expected = VsaExpectations {
        verifier_id: args.verifier_id.clone(),
        resource_uri: args.resource_uri.clone(),
        verified_levels: args.verified_level.clone(),
        subject_digests: vec![subject],
        key_id: None,
        policy_sha256,
    };
    let file = args.attestation.display().to_string();
    let outcome = read_attestations(&bytes).and_then(|documents| {
        if documents.is_empty() {
            return Err(VerifyError::parse("the file holds no attestation"));
        }
        documents
            .iter()
            .map(|document| {
                verify_vsa_document(&document.form, &signer, &root, &expected).map_err(|e| {
                    if document.position.is_empty() {
                        e
                    } else {
                        e.context(document.position.clone())
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()
    });
    match outcome {
        Ok(verified) => {
            for vsa in verified {
                println!(
                    "{}",
                    terminal(&format!(
                        "OK: {file}: {} verified {} PASSED at {} ({})",
                        vsa.verifier_id,
                        vsa.resource_uri,
                        vsa.time_verified.as_deref().unwrap_or("an unstated time"),
                        vsa.verified_levels.join(", ")
                    ))
                );
            }
            Ok(Outcome::Pass)
        }
        Err(error) => Ok(not_verified(&file, &error)),
    }
}

/// Who must have signed an attestation: a key, or a certificate identity and issuer
/// (shared by `attestation verify` and `evaluate --attestation`).
#[derive(Debug, Args)]
pub struct SignerArgs {
    /// The signing certificate's identity (SAN), exactly.
    #[arg(long, value_name = "IDENTITY", requires = "certificate_oidc_issuer")]
    pub certificate_identity: Option<String>,
    /// The signing certificate's identity as a regular expression (unanchored unless
    /// it says `^…$`).
    #[arg(
        long,
        value_name = "RE",
        requires = "certificate_oidc_issuer",
        conflicts_with = "certificate_identity"
    )]
    pub certificate_identity_regexp: Option<String>,
    /// The OIDC issuer of the signing certificate, exactly.
    #[arg(long, value_name = "URL")]
    pub certificate_oidc_issuer: Option<String>,
    /// The PEM public key the attestation must be signed with (instead of an identity).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["certificate_identity", "certificate_identity_regexp", "certificate_oidc_issuer"])]
    pub key: Option<PathBuf>,
    /// A trusted_root.json to verify certificates and log entries with (default: the
    /// Sigstore public-good root built into vouch).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
}

impl SignerArgs {
    /// The signer policy and trusted root; `None` when no signer was given.
    pub fn load(&self) -> anyhow::Result<Option<(SignerPolicy, TrustedRoot)>> {
        let signer = match (
            &self.key,
            &self.certificate_identity,
            &self.certificate_identity_regexp,
            &self.certificate_oidc_issuer,
        ) {
            (None, None, None, None) => return Ok(None),
            (Some(key), None, None, None) => SignerPolicy::Key(read_key(key)?),
            (None, Some(identity), None, Some(issuer)) => {
                SignerPolicy::Identity(IdentityPolicy::exact(identity, issuer))
            }
            (None, None, Some(pattern), Some(issuer)) => SignerPolicy::Identity(IdentityPolicy {
                subject: Matcher::pattern(pattern).map_err(|e| {
                    anyhow::anyhow!(
                        "--certificate-identity-regexp `{pattern}` is not a regular expression: {e}"
                    )
                })?,
                issuer: Matcher::Exact(issuer.clone()),
                extensions: Vec::new(),
            }),
            _ => anyhow::bail!(
                "give --key, or --certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer"
            ),
        };
        Ok(Some((
            signer,
            load_root(self.trusted_root.as_deref(), false)?,
        )))
    }
}

/// The subject the VSA must name, as (algorithm, lower-case value).
fn subject_digest(args: &AttestationVerifyArgs) -> anyhow::Result<(String, String)> {
    if let Some(path) = &args.artifact {
        let artifact = crate::verify::artifact::Artifact::from_file(path)
            .map_err(|e| anyhow::anyhow!("--artifact {}: {}", path.display(), e.message))?;
        let sha256 = artifact
            .digest_hex("sha256")
            .ok_or_else(|| anyhow::anyhow!("--artifact {}: no sha256", path.display()))?;
        return Ok(("sha256".into(), sha256.to_ascii_lowercase()));
    }
    if let Some(commit) = &args.commit {
        if !matches!(commit.len(), 40 | 64) || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
            anyhow::bail!("--commit {}: give the full SHA", terminal(commit));
        }
        return Ok(("gitCommit".into(), commit.to_ascii_lowercase()));
    }
    let digest = args.subject_digest.as_deref().unwrap_or_default();
    let (algorithm, value) = digest
        .split_once(':')
        .filter(|(a, v)| !a.is_empty() && !v.is_empty() && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| anyhow::anyhow!("--subject-digest `{digest}`: expected ALGORITHM:HEX"))?;
    Ok((algorithm.to_string(), value.to_ascii_lowercase()))
}
