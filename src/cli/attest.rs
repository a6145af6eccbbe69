//! The attestation step of `vouch verify`: loading the key, deciding the VSA's resource
//! and policy URIs, and running `attest::produce` on the verdict.

use std::path::{Path, PathBuf};

use super::verify::LoadedPolicy;
use crate::attest::produce::{Request, Signer, produce};
use crate::attest::report::SavedEvidence;
use crate::attest::sign::SigningKey;
use crate::attest::vsa::{VsaScope, repository_uri};
use crate::ci::{CiContext, Env};
use crate::evidence::Evidence;
use crate::policy::Policy;
use crate::report::Report;

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

/// What `--attest-out` asked for.
pub struct Plan<'a> {
    /// Where the signed files go.
    pub out_dir: PathBuf,
    /// The key.
    pub key: &'a SigningKey,
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
        let written = produce(
            report,
            policy,
            evidence,
            &Signer::Key(self.key),
            &Request {
                out_dir: &self.out_dir,
                scope: self.scope,
                saved,
                secrets: &secrets,
            },
        )?;
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
