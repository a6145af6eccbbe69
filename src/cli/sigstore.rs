//! `vouch sigstore verify-bundle`: the sigstore-conformance client protocol.
//!
//! Arguments follow `docs/cli_protocol.md` of sigstore-conformance exactly, in its order:
//! `verify-bundle [--staging] --bundle F (--certificate-identity I --certificate-oidc-issuer U
//! | --key K) [--trusted-root F] FILE_OR_DIGEST`. `FILE_OR_DIGEST` is a digest when it is
//! `sha256:` plus 64 hex characters and no such file exists (`sha384:`/`sha512:` digests
//! of their lengths are read too); for a DSSE bundle it names a subject of the statement. Exit 0 verified, 1 not verified, 2 the run could not start.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

use super::Outcome;
use crate::report::escape::terminal;
use crate::verify::artifact::Artifact;
use crate::verify::bundle::Bundle;
use crate::verify::identity::IdentityPolicy;
use crate::verify::keys::PublicKey;
use crate::verify::sigstore::{SignerPolicy, VerifiedBundle, verify_bundle};
use crate::verify::statement::Statement;
use crate::verify::trust_root::{TrustedRoot, format_time};
use crate::verify::{Step, VerifyError};

/// `vouch sigstore …`.
#[derive(Debug, Subcommand)]
pub enum SigstoreCommand {
    /// Verify a Sigstore bundle offline (the sigstore-conformance protocol).
    VerifyBundle(VerifyBundleArgs),
    /// Sign FILE keyless into a Sigstore bundle (the sigstore-conformance protocol):
    /// Fulcio, Rekor and a TSA from the signing config; the bundle is verified before it
    /// is written.
    SignBundle(SignBundleArgs),
    /// Fetch the current Sigstore public-good trusted root through TUF (needs the
    /// network) and write it for `--trusted-root`.
    RefreshRoot(RefreshRootArgs),
}

/// Arguments of `vouch sigstore refresh-root`.
#[derive(Debug, Args)]
pub struct RefreshRootArgs {
    /// Where to write trusted_root.json.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Arguments of `vouch sigstore sign-bundle`.
#[derive(Debug, Args)]
pub struct SignBundleArgs {
    /// Use Sigstore staging (its signing config and trusted root) instead of public good.
    #[arg(long)]
    pub staging: bool,
    /// FILE is an in-toto statement, signed as a DSSE envelope.
    #[arg(long)]
    pub in_toto: bool,
    /// The OIDC identity token (the conformance protocol passes it here; in CI prefer
    /// `vouch verify --keyless`, which finds the token in the environment).
    #[arg(long, value_name = "TOKEN")]
    pub identity_token: String,
    /// Where to write the bundle.
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// A trusted_root.json to verify the new bundle with.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// A signing_config.json v0.2 naming the services.
    #[arg(long, value_name = "FILE")]
    pub signing_config: Option<PathBuf>,
    /// The file to sign.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Arguments of `vouch sigstore verify-bundle`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("signer").required(true).args(["certificate_identity", "key"])))]
pub struct VerifyBundleArgs {
    /// Use the embedded Sigstore staging trusted root instead of public good.
    #[arg(long)]
    pub staging: bool,
    /// The Sigstore bundle (v0.1, v0.2 or v0.3).
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// The expected certificate identity (SAN), exactly.
    #[arg(long, value_name = "IDENTITY", requires = "certificate_oidc_issuer")]
    pub certificate_identity: Option<String>,
    /// The expected OIDC issuer, exactly.
    #[arg(long, value_name = "URL", requires = "certificate_identity")]
    pub certificate_oidc_issuer: Option<String>,
    /// A PEM public key the bundle must be signed with (instead of an identity).
    #[arg(long, value_name = "FILE", conflicts_with = "certificate_identity")]
    pub key: Option<PathBuf>,
    /// A trusted_root.json to use instead of the embedded Sigstore root.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// The artifact, or its digest as `sha256:<hex>` (or `sha384:`, `sha512:`); for a
    /// DSSE bundle, a subject.
    #[arg(value_name = "FILE_OR_DIGEST")]
    pub file_or_digest: String,
}

/// Runs `vouch sigstore …`.
pub fn run(cmd: &SigstoreCommand) -> anyhow::Result<Outcome> {
    let args = match cmd {
        SigstoreCommand::VerifyBundle(args) => args,
        SigstoreCommand::RefreshRoot(args) => return refresh_root(&args.out),
        SigstoreCommand::SignBundle(args) => return sign_bundle(args),
    };
    let root = load_root(args.trusted_root.as_deref(), args.staging)?;
    let policy = match (
        &args.certificate_identity,
        &args.certificate_oidc_issuer,
        &args.key,
    ) {
        (Some(identity), Some(issuer), None) => {
            SignerPolicy::Identity(IdentityPolicy::exact(identity, issuer))
        }
        (None, None, Some(key)) => SignerPolicy::Key(read_key(key)?),
        _ => anyhow::bail!("give --certificate-identity with --certificate-oidc-issuer, or --key"),
    };
    let bundle_bytes = crate::collect::input::read_json_file(&args.bundle)
        .with_context(|| format!("cannot read bundle {}", args.bundle.display()))?;
    let artifact = artifact_argument(&args.file_or_digest)?;
    match verify(&bundle_bytes, &artifact, &policy, &root) {
        Ok(verified) => {
            println!("{}", describe(&args.bundle, &verified));
            Ok(Outcome::Pass)
        }
        Err(error) => Ok(not_verified(&args.bundle.display().to_string(), &error)),
    }
}

/// Signs a file keyless into a bundle (`sign-bundle`).
fn sign_bundle(args: &SignBundleArgs) -> anyhow::Result<Outcome> {
    use crate::attest::http::Http;
    use crate::attest::oidc::TokenSource;
    use crate::attest::sign::keyless::Session;
    use crate::attest::signing_config::SigningConfig;
    let (config, config_name) = match &args.signing_config {
        Some(path) => {
            let bytes = crate::collect::input::read_json_file(path)
                .with_context(|| format!("cannot read signing config {}", path.display()))?;
            let name = path.display().to_string();
            (SigningConfig::from_json(&bytes, &name)?, name)
        }
        None if args.staging => (SigningConfig::staging(), "built-in staging".to_string()),
        None => (
            SigningConfig::public_good(),
            "built-in public-good".to_string(),
        ),
    };
    let root = load_root(args.trusted_root.as_deref(), args.staging)?;
    let content = crate::collect::input::read_file(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    if args.in_toto {
        Statement::from_payload(&content).map_err(|e| {
            anyhow::anyhow!("{}: not an in-toto statement: {e}", args.file.display())
        })?;
    }
    let now = time::OffsetDateTime::now_utc();
    let services = config.select(now, &config_name)?;
    let http = Http::new(
        std::time::Duration::from_secs(60),
        vec![args.identity_token.clone()],
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    let token = TokenSource::Given(args.identity_token.clone());
    let signed =
        Session::start(&http, &services, &token, now.unix_timestamp()).and_then(|session| {
            let bundle = if args.in_toto {
                session.sign(&http, &services, &content)?
            } else {
                session.sign_artifact(&http, &services, &content)?
            };
            Ok((session, bundle))
        });
    let (session, bundle) = match signed {
        Ok(signed) => signed,
        Err(error) => {
            eprintln!(
                "vouch: signing {} failed: {}",
                terminal(&args.file.display().to_string()),
                terminal(&error.to_string())
            );
            return Ok(Outcome::Fail);
        }
    };
    let json = serde_json::to_vec_pretty(&bundle.to_value()).expect("JSON serializes");
    // Verified as a consumer would before it is written: a bundle that does not verify
    // is never handed out.
    let artifact = Artifact::from_bytes(args.file.display().to_string(), content.clone());
    let checked = Bundle::from_json(&json).and_then(|read| {
        verify_bundle(
            &read,
            (!args.in_toto).then_some(&artifact),
            &SignerPolicy::Identity(session.identity.clone()),
            &root,
        )
    });
    if let Err(error) = checked {
        eprintln!(
            "vouch: the bundle vouch signed does not verify: {}; not written",
            terminal(&error.to_string())
        );
        return Ok(Outcome::Fail);
    }
    std::fs::write(&args.bundle, &json)
        .with_context(|| format!("cannot write {}", args.bundle.display()))?;
    Ok(Outcome::Pass)
}

/// Fetches the public-good trusted root through Sigstore's TUF repository with the
/// `sigstore` crate (tough verifies the metadata from the TUF root embedded in that
/// crate, and the target against its signed hash), checks that vouch can read it, and
/// writes it. Verification itself never fetches anything.
fn refresh_root(out: &Path) -> anyhow::Result<Outcome> {
    let checkout = tempfile_dir()?;
    let fetched = fetch_trusted_root(&checkout);
    let _ = std::fs::remove_dir_all(&checkout);
    let bytes = fetched?;
    TrustedRoot::from_json(&bytes)
        .map_err(|e| anyhow::anyhow!("the fetched trusted root does not read: {e}"))?;
    let partial = out.with_extension("json.partial");
    std::fs::write(&partial, &bytes)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, out).with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "wrote {} ({} bytes); pass it with --trusted-root",
        terminal(&out.display().to_string()),
        bytes.len()
    );
    Ok(Outcome::Pass)
}

fn fetch_trusted_root(checkout: &Path) -> anyhow::Result<Vec<u8>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime
        .block_on(::sigstore::trust::sigstore::SigstoreTrustRoot::new(Some(
            checkout,
        )))
        .map_err(|e| {
            anyhow::anyhow!("TUF refresh from https://tuf-repo-cdn.sigstore.dev failed: {e}")
        })?;
    let fetched = checkout.join("trusted_root.json");
    crate::collect::input::read_json_file(&fetched)
        .with_context(|| format!("TUF gave no {}", fetched.display()))
}

/// A fresh private directory for the TUF checkout.
fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("vouch-tuf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// Says on stderr why `what` did not verify (escaped: it quotes untrusted input) and
/// concludes the run failed.
pub fn not_verified(what: &str, error: &VerifyError) -> Outcome {
    eprintln!(
        "vouch: {} does not verify: {}",
        terminal(what),
        terminal(&error.to_string())
    );
    Outcome::Fail
}

/// Reads a PEM public key named on the command line or in the policy.
pub fn read_key(path: &Path) -> anyhow::Result<PublicKey> {
    let bytes = crate::collect::input::read_file(path)
        .with_context(|| format!("cannot read key {}", path.display()))?;
    let pem = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("key {}: not UTF-8 PEM text", path.display()))?;
    PublicKey::from_pem(&pem).map_err(|e| anyhow::anyhow!("key {}: {e}", path.display()))
}

/// The trusted root: a file, or the embedded public-good (or staging) root.
pub fn load_root(path: Option<&Path>, staging: bool) -> anyhow::Result<TrustedRoot> {
    match path {
        Some(path) => {
            let bytes = crate::collect::input::read_json_file(path)
                .with_context(|| format!("cannot read trusted root {}", path.display()))?;
            TrustedRoot::from_json(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
        }
        None if staging => Ok(TrustedRoot::staging()?),
        None => Ok(TrustedRoot::public_good()?),
    }
}

/// The protocol's `FILE_OR_DIGEST`: a digest only when it looks like one and no such file
/// exists.
///
/// The conformance protocol passes `sha256:<64 hex>`; `sha384:<96 hex>` and
/// `sha512:<128 hex>` are read the same way. A path on disk wins over a digest spelling.
pub fn artifact_argument(text: &str) -> anyhow::Result<Artifact> {
    if Path::new(text).exists() {
        return Artifact::from_file(Path::new(text)).map_err(|e| anyhow::anyhow!("{}", e.message));
    }
    for (algorithm, length) in [("sha256", 64), ("sha384", 96), ("sha512", 128)] {
        if let Some(hex) = text
            .strip_prefix(algorithm)
            .and_then(|r| r.strip_prefix(':'))
        {
            if hex.len() != length || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                anyhow::bail!(
                    "`{text}` is neither a file nor a {algorithm} digest ({algorithm}:<{length} hex digits>)"
                );
            }
            return Ok(Artifact::from_digest(&text.to_ascii_lowercase())?);
        }
    }
    Artifact::from_file(Path::new(text)).map_err(|e| anyhow::anyhow!("{}", e.message))
}

/// Verifies a bundle against an artifact: the bundle itself, and for a DSSE bundle, that
/// the artifact is a subject of its in-toto statement.
pub fn verify(
    bundle_bytes: &[u8],
    artifact: &Artifact,
    policy: &SignerPolicy,
    root: &TrustedRoot,
) -> Result<VerifiedBundle, VerifyError> {
    let bundle = Bundle::from_json(bundle_bytes)?;
    let verified = verify_bundle(&bundle, Some(artifact), policy, root)?;
    if let Some(envelope) = &verified.envelope {
        if envelope.payload_type != crate::verify::dsse::IN_TOTO_PAYLOAD_TYPE {
            return Err(VerifyError::new(
                Step::Predicate,
                format!(
                    "expected an in-toto payload, got `{}`",
                    envelope.payload_type
                ),
            ));
        }
        Statement::from_payload(&envelope.payload)?.subject_for(artifact)?;
    }
    Ok(verified)
}

fn describe(bundle: &Path, verified: &VerifiedBundle) -> String {
    let signer = if verified.identities.is_empty() {
        "the given key".to_string()
    } else {
        verified.identities.join(", ")
    };
    let times: Vec<String> = verified
        .times
        .iter()
        .map(|(_, at)| format_time(*at))
        .collect();
    terminal(&format!(
        "OK: {} signed by {} at {} (log index {})",
        bundle.display(),
        signer,
        times.join(", "),
        verified
            .log_indexes
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    ))
}
