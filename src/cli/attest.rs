//! The attestation step of `vouch verify`: loading the key, deciding the VSA's resource
//! and policy URIs, and running `attest::produce` on the verdict.

use std::path::{Path, PathBuf};

use super::verify::LoadedPolicy;
use super::verify::VerifyArgs;
use crate::attest::http::Http;
use crate::attest::oidc::TokenSource;
use crate::attest::produce::{Keyless, RekorLogging, Request, Signer, produce};
use crate::attest::publish::{GithubTarget, GitlabTarget, Published};
use crate::attest::report::SavedEvidence;
use crate::attest::sign::SigningKey;
use crate::attest::signing_config::SigningConfig;
use crate::attest::vsa::{VsaScope, repository_uri};
use crate::ci::{CiContext, Env};
use crate::evidence::Evidence;
use crate::policy::Policy;
use crate::report::AttestationSummary;
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
    /// `--keyless`, with where the token comes from.
    Keyless(TokenSource),
}

/// Everything signing needs, read before collection.
pub struct Signing {
    /// The signer.
    pub signer: PlanSigner,
    /// The services (keyless signing; Rekor for `--publish rekor`).
    pub config: SigningConfig,
    /// `--signing-config`, or `built-in public-good`.
    pub config_name: String,
    /// What the bundles must verify against.
    pub root: TrustedRoot,
    /// `--publish` targets.
    pub publish: Vec<PublishTarget>,
}

/// Where `--publish` sends the signed bundles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PublishTarget {
    /// GitHub's attestation API (needs `attestations: write`).
    Github,
    /// Rekor, for key-signed bundles (keyless ones are logged already).
    Rekor,
    /// The GitLab release of the tag (generic package + release link); otherwise left
    /// as job artifacts.
    Gitlab,
}

/// The signer `vouch verify`'s flags ask for, checked before collection (exit 2).
pub fn signer(args: &VerifyArgs, env: &Env) -> anyhow::Result<Option<Signing>> {
    if args.attest_out.is_some() && args.sign_key.is_none() && !args.keyless {
        anyhow::bail!("--attest-out needs a signer: --sign-key KEY or --keyless");
    }
    let signer = match (&args.sign_key, args.keyless) {
        (Some(path), _) => PlanSigner::Key(load_key(path, env)?),
        (None, true) => PlanSigner::Keyless(crate::attest::oidc::find(env)?),
        (None, false) => return Ok(None),
    };
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
    let root = super::sigstore::load_root(args.trusted_root.as_deref(), false)?;
    let mut publish = args.publish.clone();
    publish.dedup();
    // A config that cannot sign (no Fulcio, Rekor v2 without a TSA, an EXACT count it
    // cannot meet) is a usage error found now, before any evidence is collected; the
    // services are chosen again at the run's recorded time when signing.
    if matches!(signer, PlanSigner::Keyless(_)) || publish.contains(&PublishTarget::Rekor) {
        let services = config.select(time::OffsetDateTime::now_utc(), &config_name)?;
        if services.rekor.len() > 1 {
            eprintln!(
                "vouch: warning: the signing config selects {} transparency logs, so each bundle carries {} log entries; sigstore-python 4.5.1 refuses bundles with more than one",
                services.rekor.len(),
                services.rekor.len()
            );
        }
    }
    if publish.contains(&PublishTarget::Github) && env.github_token().is_none() {
        anyhow::bail!(
            "--publish github needs a token with `attestations: write` in GITHUB_TOKEN (or GH_TOKEN)"
        );
    }
    Ok(Some(Signing {
        signer,
        config,
        config_name,
        root,
        publish,
    }))
}

/// What `--attest-out` asked for.
pub struct Plan<'a> {
    /// Where the signed files go.
    pub out_dir: PathBuf,
    /// How to sign, and where to publish.
    pub signing: &'a Signing,
    /// The VSA's URIs.
    pub scope: VsaScope,
    /// `--api-url`, for `--publish github`.
    pub api_url: Option<String>,
}

impl Plan<'_> {
    /// Signs, writes and publishes; says on stderr what was written and where it went.
    /// Never fails: what went wrong is in the summary, which every report carries.
    pub fn run(
        self,
        report: &Report,
        policy: &Policy,
        evidence: &Evidence,
        saved: Option<SavedEvidence>,
        env: &Env,
    ) -> AttestationSummary {
        let mut summary = AttestationSummary::default();
        match self.sign_and_publish(report, policy, evidence, saved, env, &mut summary) {
            Ok(()) => {}
            Err(e) => summary.error = Some(e.to_string()),
        }
        for file in &summary.files {
            eprintln!("vouch: signed {}", crate::report::escape::terminal(file));
        }
        for published in &summary.published {
            eprintln!(
                "vouch: publish {}: {}{}",
                published.target,
                if published.ok { "" } else { "FAILED: " },
                crate::report::escape::terminal(&published.detail)
            );
            if !published.ids.is_empty() {
                eprintln!(
                    "vouch: {} ids: {}",
                    published.target,
                    published.ids.join(", ")
                );
            }
        }
        if let Some(error) = &summary.error {
            eprintln!(
                "vouch: attestation failed: {}",
                crate::report::escape::terminal(error)
            );
        }
        summary
    }

    fn sign_and_publish(
        self,
        report: &Report,
        policy: &Policy,
        evidence: &Evidence,
        saved: Option<SavedEvidence>,
        env: &Env,
        summary: &mut AttestationSummary,
    ) -> anyhow::Result<()> {
        let secrets: Vec<String> = env
            .tokens()
            .iter()
            .flat_map(|s| crate::evidence::secret_forms(s))
            .collect();
        let signing = self.signing;
        let http = Http::new(std::time::Duration::from_secs(60), secrets.clone())
            .map_err(|e| anyhow::anyhow!(e))?;
        let wants = |t: PublishTarget| signing.publish.contains(&t);
        let services = match (&signing.signer, wants(PublishTarget::Rekor)) {
            (PlanSigner::Keyless(_), _) | (PlanSigner::Key(_), true) => Some(
                signing
                    .config
                    .select(evidence.collected_at, &signing.config_name)?,
            ),
            _ => None,
        };
        let rekor = match (&signing.signer, &services) {
            (PlanSigner::Key(_), Some(services)) if wants(PublishTarget::Rekor) => {
                Some(RekorLogging {
                    http: &http,
                    logs: &services.rekor,
                    root: &signing.root,
                })
            }
            _ => None,
        };
        let request = Request {
            out_dir: &self.out_dir,
            scope: self.scope,
            saved,
            secrets: &secrets,
            rekor,
        };
        let produced = match &signing.signer {
            PlanSigner::Key(key) => produce(report, policy, evidence, &Signer::Key(key), &request)?,
            PlanSigner::Keyless(token) => {
                let services = services.as_ref().expect("selected above");
                let signer = Signer::Keyless(Keyless {
                    http: &http,
                    services,
                    token,
                    root: &signing.root,
                    now: evidence.collected_at.unix_timestamp(),
                });
                produce(report, policy, evidence, &signer, &request)?
            }
        };
        summary.files = produced
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect();
        if let Some(rekor) = produced.rekor {
            summary.published.push(rekor);
        } else if wants(PublishTarget::Rekor) {
            summary.published.push(Published {
                target: "rekor".into(),
                ok: true,
                detail: "keyless bundles are logged when signed".into(),
                ids: Vec::new(),
            });
        }
        if wants(PublishTarget::Github) {
            let api_url = self
                .api_url
                .clone()
                .map(|u| u.trim_end_matches('/').to_string())
                .unwrap_or_else(|| env.github_api_url());
            let repository = evidence.context.repository.clone().unwrap_or_default();
            let token = env.github_token().unwrap_or_default();
            summary.published.push(crate::attest::publish::github(
                &http,
                &GithubTarget {
                    api_url: &api_url,
                    repository: &repository,
                    token: &token,
                },
                &produced.files,
            ));
        }
        if wants(PublishTarget::Gitlab) {
            summary.published.push(match env.gitlab_release_target() {
                Some(job) => crate::attest::publish::gitlab(
                    &http,
                    &GitlabTarget {
                        api_url: job.api_url,
                        project: job.project,
                        tag: job.tag,
                        auth: (job.auth_header, job.token),
                    },
                    &produced.files,
                ),
                None => Published {
                    target: "gitlab".into(),
                    ok: false,
                    detail: "--publish gitlab runs in a GitLab CI job (CI_API_V4_URL, CI_PROJECT_ID and CI_JOB_TOKEN or GITLAB_TOKEN)".into(),
                    ids: Vec::new(),
                },
            });
        }
        tracing::debug!(requests = http.requests(), "signed and published");
        Ok(())
    }
}
