//! `vouch provenance verify`: check that artifacts were built by a trusted builder from the
//! expected source, from their SLSA provenance, offline.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::Outcome;
use super::sigstore::load_root;
use super::sigstore::{not_verified, read_key};
use crate::report::escape::terminal;
use crate::verify::artifact::Artifact;
use crate::verify::attestation::read_attestations;
use crate::verify::identity::Matcher;
use crate::verify::provenance::{ProvenanceSigner, VerifiedAttestation, verify_attestation};
use crate::verify::slsa::{ExpectedRef, ProvenanceExpectations, TrustedBuilder};
use crate::verify::{Step, VerifyError};

/// `vouch provenance …`.
#[derive(Debug, Subcommand)]
pub enum ProvenanceCommand {
    /// Verify SLSA provenance for artifacts: signature, transparency log, subjects,
    /// builder and source. Exit 0 verified, 1 not verified, 2 bad arguments or unreadable input.
    Verify(Box<ProvenanceArgs>),
}

/// Arguments of `vouch provenance verify`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("subject").required(true).multiple(true).args(["artifact", "digest"])))]
pub struct ProvenanceArgs {
    /// An artifact the provenance must cover; repeatable.
    #[arg(long, value_name = "FILE")]
    pub artifact: Vec<PathBuf>,
    /// An artifact known by digest, `sha256:<hex>` (or `sha512:`); several digests of one
    /// artifact are joined with commas. Repeatable.
    #[arg(long, value_name = "ALG:HEX[,ALG:HEX]")]
    pub digest: Vec<String>,
    /// The attestation file: a Sigstore bundle, JSON Lines of bundles or DSSE envelopes
    /// (`.intoto.jsonl`), an npm attestations document, or an OCI image layout directory
    /// with cosign-attached attestations.
    #[arg(long, value_name = "FILE")]
    pub attestation: PathBuf,
    /// The builder that must have built the artifacts (`@ref` optional); it is trusted for
    /// any source unless the policy's trust map says otherwise.
    #[arg(long, value_name = "ID")]
    pub builder_id: Option<String>,
    /// Accept a builder pinned to a branch or commit, not only to a release tag.
    #[arg(long)]
    pub allow_untagged_builder: bool,
    /// The source repository (`github.com/org/repo`, any URI form).
    #[arg(long, value_name = "URI")]
    pub source_uri: Option<String>,
    /// The branch the source must be at.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["source_tag", "source_versioned_tag"])]
    pub source_branch: Option<String>,
    /// The tag the source must be at, exactly.
    #[arg(long, value_name = "TAG", conflicts_with = "source_versioned_tag")]
    pub source_tag: Option<String>,
    /// A version the source tag must match on the components given (`v1` matches `v1.4.2`).
    #[arg(long, value_name = "VERSION")]
    pub source_versioned_tag: Option<String>,
    /// The commit the source must be at.
    #[arg(long, value_name = "SHA")]
    pub source_commit: Option<String>,
    /// The package the subject must be (for purl subjects such as npm's), with namespace:
    /// `@scope/name`.
    #[arg(long, value_name = "NAME")]
    pub package_name: Option<String>,
    /// The package version the subject must be.
    #[arg(long, value_name = "VERSION")]
    pub package_version: Option<String>,
    /// An accepted build type; repeatable (default: any).
    #[arg(long, value_name = "URI")]
    pub build_type: Vec<String>,
    /// A workflow input the build must have had, `NAME=VALUE`; repeatable.
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_input)]
    pub input: Vec<(String, String)>,
    /// A certificate identity (SAN) allowed to sign, exactly; repeatable (default: any,
    /// and the builder check decides).
    #[arg(long, value_name = "IDENTITY")]
    pub certificate_identity: Vec<String>,
    /// A certificate identity allowed to sign, as a regular expression (unanchored, as
    /// cosign's); repeatable.
    #[arg(long, value_name = "REGEX")]
    pub certificate_identity_regexp: Vec<String>,
    /// Accepted OIDC issuer of the signing certificate; repeatable (default: GitHub Actions
    /// and GitLab.com).
    #[arg(long, value_name = "URL")]
    pub certificate_oidc_issuer: Vec<String>,
    /// A PEM public key that key-signed attestations must verify with; repeatable.
    #[arg(long, value_name = "FILE")]
    pub key: Vec<PathBuf>,
    /// A trusted_root.json to use instead of the embedded Sigstore public-good root.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// Print the verified attestations as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

fn parse_input(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .ok_or_else(|| format!("`{text}` is not NAME=VALUE"))
}

/// Runs `vouch provenance …`.
pub fn run(cmd: &ProvenanceCommand) -> anyhow::Result<Outcome> {
    let ProvenanceCommand::Verify(args) = cmd;
    let root = load_root(args.trusted_root.as_deref(), false)?;
    let mut artifacts = Vec::new();
    for path in &args.artifact {
        artifacts.push(Artifact::from_file(path).map_err(|e| anyhow::anyhow!("{}", e.message))?);
    }
    for digest in &args.digest {
        let parts: Vec<&str> = digest.split(',').map(str::trim).collect();
        artifacts.push(
            Artifact::from_digests(&parts)
                .map_err(|e| anyhow::anyhow!("--digest: {}", e.message))?,
        );
    }
    let mut signer = ProvenanceSigner::default_keyless();
    if !args.certificate_oidc_issuer.is_empty() {
        signer.issuers = args
            .certificate_oidc_issuer
            .iter()
            .map(|i| Matcher::Exact(i.clone()))
            .collect();
    }
    signer.identities = args
        .certificate_identity
        .iter()
        .map(|identity| Matcher::Exact(identity.clone()))
        .collect();
    for expression in &args.certificate_identity_regexp {
        signer.identities.push(
            Matcher::pattern(expression).map_err(|e| {
                anyhow::anyhow!("--certificate-identity-regexp `{expression}`: {e}")
            })?,
        );
    }
    for path in &args.key {
        signer.keys.push(read_key(path)?);
    }
    let expectations = expectations(args, &signer)?;
    let file = args.attestation.display().to_string();
    let documents = if crate::collect::files::oci::is_layout(&args.attestation) {
        crate::collect::files::oci::read_layout_attestations(
            &args.attestation,
            &mut crate::collect::files::oci::read_from_disk,
        )
        .map_err(VerifyError::parse)
    } else {
        let bytes = crate::collect::input::read_json_file(&args.attestation)
            .with_context(|| format!("cannot read attestation {}", args.attestation.display()))?;
        read_attestations(&bytes)
    };
    let outcome = documents.and_then(|documents| {
        let verified = documents
            .iter()
            .map(|document| {
                verify_attestation(document, &artifacts, &signer, &expectations, &root).map_err(
                    |e| {
                        if document.position.is_empty() {
                            e
                        } else {
                            e.context(&document.position)
                        }
                    },
                )
            })
            .collect::<Result<Vec<_>, VerifyError>>()?;
        if !verified.iter().any(|v| v.provenance.is_some()) {
            return Err(VerifyError::new(
                Step::Predicate,
                "the file holds no SLSA provenance (predicate types: ".to_string()
                    + &verified
                        .iter()
                        .map(|v| v.predicate_type.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                    + ")",
            ));
        }
        Ok(verified)
    });
    match outcome {
        Ok(verified) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&verified)?);
            } else {
                for attestation in &verified {
                    println!("{}", describe(&file, attestation));
                }
            }
            Ok(Outcome::Pass)
        }
        Err(error) => Ok(not_verified(&file, &error)),
    }
}

fn expectations(
    args: &ProvenanceArgs,
    signer: &ProvenanceSigner,
) -> anyhow::Result<ProvenanceExpectations> {
    // A builder named on the command line is trusted for any source, at a level that is
    // not asserted (0) without a policy's trust map; keys given with --key vouch for it.
    let builders = match &args.builder_id {
        Some(id) => {
            let mut entry = TrustedBuilder::new(
                &globset::escape(crate::verify::slsa::builder_base(id)),
                &[],
                0,
                Vec::new(),
                args.allow_untagged_builder,
            )
            .context("--builder-id")?;
            entry.keys = signer
                .keys
                .iter()
                .map(crate::verify::provenance::key_id)
                .collect::<Result<_, _>>()
                .map_err(|e| anyhow::anyhow!("--key: {e}"))?;
            vec![entry]
        }
        None => Vec::new(),
    };
    let source_ref = match (
        &args.source_branch,
        &args.source_tag,
        &args.source_versioned_tag,
    ) {
        (Some(branch), _, _) => Some(ExpectedRef::Branch(branch.clone())),
        (_, Some(tag), _) => Some(ExpectedRef::Tag(tag.clone())),
        (_, _, Some(version)) => Some(ExpectedRef::VersionedTag(version.clone())),
        _ => None,
    };
    Ok(ProvenanceExpectations {
        builders,
        builder_id: args.builder_id.clone(),
        source: args.source_uri.clone(),
        source_ref,
        source_commit: args.source_commit.clone(),
        build_types: args.build_type.clone(),
        inputs: args.input.iter().cloned().collect::<BTreeMap<_, _>>(),
        min_level: 0,
        package_name: args.package_name.clone(),
        package_version: args.package_version.clone(),
    })
}

fn describe(file: &str, attestation: &VerifiedAttestation) -> String {
    let place = if attestation.position.is_empty() {
        file.to_string()
    } else {
        format!("{file} {}", attestation.position)
    };
    let subjects = attestation
        .subjects
        .iter()
        .map(|(artifact, subject)| format!("{artifact} = {subject}"))
        .collect::<Vec<_>>()
        .join(", ");
    let text = match &attestation.provenance {
        Some(outcome) => format!("OK: {place}: {subjects}: {}", outcome.origin()),
        None => format!(
            "OK: {place}: {subjects}: signed {} statement",
            attestation.predicate_type
        ),
    };
    terminal(&text)
}
