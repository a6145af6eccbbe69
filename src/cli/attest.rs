//! The attestation step of `vouch verify`: loading the key, deciding the VSA's resource
//! and policy URIs, and running `attest::produce` on the verdict.

use std::path::{Path, PathBuf};

use super::verify::LoadedPolicy;
use super::verify::VerifyArgs;
use crate::attest::http::Http;
use crate::attest::oidc::TokenSource;
use crate::attest::produce::{Keyless, Request, Signer, produce};
use crate::attest::report::SavedEvidence;
use crate::attest::sign::SigningKey;
use crate::attest::signing_config::SigningConfig;
use crate::attest::vsa::{VsaScope, repository_uri};
use crate::ci::{CiContext, Env};
use crate::evidence::Evidence;
use crate::policy::Policy;
use crate::report::Report;
use crate::verify::trust_root::TrustedRoot;

/// Reads the signing key (usage errors: exit 2).
pub fn load_key(path: &Path, env: &Env) -> anyhow::Result<SigningKey> {
    let bytes = crate::collect::input::read_file(path)
        .map_err(|e| anyhow::anyhow!("--sign-key {}: {e}", path.display()))?;
    Ok(SigningKey::from_pem(
        &bytes,
        env.key_password(),
        &path.display().to_string(),
    )?)
}

/// The VSA's resource URI and policy URI.
pub fn scope(
    resource_uri: Option<&str>,
    context: &CiContext,
    api_url: Option<&str>,
    loaded: &LoadedPolicy,
    env: &Env,
) -> anyhow::Result<VsaScope> {
    let resource_uri = match resource_uri {
        Some(uri) => uri.to_string(),
        None => {
            let repository = context.repository.as_deref().ok_or_else(|| {
                anyhow::anyhow!(
                    "--attest-out: the VSA needs a resource: pass --resource-uri URI, or --repo OWNER/NAME"
                )
            })?;
            repository_uri(&env.forge_server_url(api_url), repository)
        }
    };
    let policy_uri = if loaded.name == "<built-in default policy>" {
        format!(
            "https://github.com/vouch-dev/vouch/blob/v{}/src/policy/starter.yaml",
            env!("CARGO_PKG_VERSION")
        )
    } else {
        loaded.name.clone()
    };
    Ok(VsaScope {
        resource_uri,
        policy_uri,
    })
}

/// How the run signs.
pub enum PlanSigner {
    /// `--sign-key`.
    Key(SigningKey),
    /// `--keyless`.
    Keyless {
        /// The signing config and its name.
        config: SigningConfig,
        /// `--signing-config`, or `built-in public-good`.
        config_name: String,
        /// Where the token comes from.
        token: TokenSource,
        /// What the bundles must verify against.
        root: TrustedRoot,
    },
}

/// The signer `vouch verify`'s flags ask for, checked before collection (exit 2).
pub fn signer(args: &VerifyArgs, env: &Env) -> anyhow::Result<Option<PlanSigner>> {
    if args.attest_out.is_some() && args.sign_key.is_none() && !args.keyless {
        anyhow::bail!("--attest-out needs a signer: --sign-key KEY or --keyless");
    }
    if let Some(path) = &args.sign_key {
        return Ok(Some(PlanSigner::Key(load_key(path, env)?)));
    }
    if !args.keyless {
        return Ok(None);
    }
    let (config, config_name) = match &args.signing_config {
        Some(path) => {
            let bytes = crate::collect::input::read_json_file(path)
                .map_err(|e| anyhow::anyhow!("--signing-config {}: {e}", path.display()))?;
            let name = path.display().to_string();
            (SigningConfig::from_json(&bytes, &name)?, name)
        }
        None => (
            SigningConfig::public_good(),
            "built-in public-good".to_string(),
        ),
    };
    let token = crate::attest::oidc::find(env)?;
    let root = super::sigstore::load_root(args.trusted_root.as_deref(), false)?;
    Ok(Some(PlanSigner::Keyless {
        config,
        config_name,
        token,
        root,
    }))
}

/// What `--attest-out` asked for.
pub struct Plan<'a> {
    /// Where the signed files go.
    pub out_dir: PathBuf,
    /// How to sign.
    pub signer: &'a PlanSigner,
    /// The VSA's URIs.
    pub scope: VsaScope,
}

impl Plan<'_> {
    /// Signs and writes; prints what was written on stderr.
    pub fn run(
        self,
        report: &Report,
        policy: &Policy,
        evidence: &Evidence,
        saved: Option<SavedEvidence>,
        env: &Env,
    ) -> anyhow::Result<()> {
        let secrets: Vec<String> = env
            .tokens()
            .iter()
            .flat_map(|s| crate::evidence::secret_forms(s))
            .collect();
        let request = Request {
            out_dir: &self.out_dir,
            scope: self.scope,
            saved,
            secrets: &secrets,
        };
        let written = match self.signer {
            PlanSigner::Key(key) => produce(report, policy, evidence, &Signer::Key(key), &request)?,
            PlanSigner::Keyless {
                config,
                config_name,
                token,
                root,
            } => {
                let services = config.select(evidence.collected_at, config_name)?;
                let http = Http::new(std::time::Duration::from_secs(60), secrets.clone())
                    .map_err(|e| anyhow::anyhow!(e))?;
                let signer = Signer::Keyless(Keyless {
                    http: &http,
                    services: &services,
                    token,
                    root,
                    now: evidence.collected_at.unix_timestamp(),
                });
                let written = produce(report, policy, evidence, &signer, &request)?;
                tracing::debug!(requests = http.requests(), "signed keyless");
                written
            }
        };
        for file in &written {
            eprintln!(
                "vouch: signed {} ({})",
                crate::report::escape::terminal(&file.path.display().to_string()),
                file.predicate_type
            );
        }
        Ok(())
    }
}
