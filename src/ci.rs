//! The CI environment: which system runs vouch and what it says about the change.
//!
//! This is the only module that interprets environment variables. `main` snapshots the
//! process environment into an [`Env`] once and passes it down, so the library stays
//! testable with an injected map and no check can read the environment behind the
//! policy's back.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A snapshot of environment variables.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

/// The variables a forge token may come from: every forge's in the registry
/// (`GITHUB_TOKEN`, `GH_TOKEN`, `GITLAB_TOKEN`, `CI_JOB_TOKEN`), each checked and
/// redacted whichever forge the run reads.
fn token_variables() -> impl Iterator<Item = &'static str> {
    crate::collect::forge::registry::token_variables()
}

/// Other secrets vouch reads: the signing key's password and OIDC identity tokens.
/// Redacted like tokens (when long enough to be told apart from ordinary text), never
/// required to look like a forge token.
pub const SECRET_VARIABLES: &[&str] = &[
    "VOUCH_KEY_PASSWORD",
    "SIGSTORE_ID_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
];

/// What a GitLab CI job knows about where its project's releases are.
#[derive(Debug, Clone, Copy)]
pub struct GitlabJob<'a> {
    /// `CI_API_V4_URL`.
    pub api_url: &'a str,
    /// `CI_PROJECT_ID`.
    pub project: &'a str,
    /// `CI_COMMIT_TAG`.
    pub tag: Option<&'a str>,
    /// `PRIVATE-TOKEN` or `JOB-TOKEN`.
    pub auth_header: &'static str,
    /// The token.
    pub token: &'a str,
}

/// Shortest value a token variable may hold.
const MIN_TOKEN_LEN: usize = 8;

impl Env {
    /// Snapshot of the current process environment (non-UTF-8 variables are skipped).
    pub fn from_process() -> Self {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// An environment from explicit pairs (tests).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// A variable's value, treating empty as unset.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn is_true(&self, key: &str) -> bool {
        matches!(self.get(key), Some(v) if v.eq_ignore_ascii_case("true") || v == "1")
    }

    /// Refuses a token variable whose value could not be a token: a line break would
    /// split the `Authorization` header (the HTTP client panics on it), and surrounding
    /// whitespace both breaks authentication and defeats redaction of the echoed
    /// token. The message names the variable, never the value.
    pub fn check_tokens(&self) -> Result<(), String> {
        for name in token_variables() {
            let Some(value) = self.vars.get(name).filter(|v| !v.is_empty()) else {
                continue;
            };
            // No forge issues tokens this short, and redacting a two-letter "secret"
            // from every report and refusing every input that contains it helps nobody.
            if value.len() < MIN_TOKEN_LEN {
                return Err(format!(
                    "{name} is {} character(s) long: that is not a forge token (they are {MIN_TOKEN_LEN} or more)",
                    value.len()
                ));
            }
            if !value.bytes().all(|b| b.is_ascii_graphic()) {
                let what = if value.bytes().any(|b| b == b'\r' || b == b'\n') {
                    "a line break"
                } else if value.trim() != value {
                    "leading or trailing whitespace"
                } else {
                    "a character that is not printable ASCII"
                };
                return Err(format!(
                    "{name} contains {what}: a token is printable ASCII only; strip it (for example `tr -d '[:space:]'`) and run again"
                ));
            }
        }
        Ok(())
    }

    /// The values of every token variable set, and of every other secret long enough
    /// to redact, for redaction.
    pub fn tokens(&self) -> Vec<&str> {
        token_variables()
            .filter_map(|n| self.get(n))
            .chain(
                SECRET_VARIABLES
                    .iter()
                    .filter_map(|n| self.get(n))
                    .filter(|v| v.len() >= MIN_TOKEN_LEN),
            )
            .collect()
    }

    /// The web address of the forge the repository is on: `GITHUB_SERVER_URL` or
    /// `CI_SERVER_URL` in CI, else derived from `--api-url` (`https://api.github.com` is
    /// github.com, `https://HOST/api/v3` is HOST), else github.com.
    pub fn forge_server_url(&self, api_url: Option<&str>) -> String {
        if let Some(url) = self
            .get("GITHUB_SERVER_URL")
            .or_else(|| self.get("CI_SERVER_URL"))
        {
            return url.trim_end_matches('/').to_string();
        }
        match api_url.map(|u| u.trim_end_matches('/')) {
            Some("https://api.github.com") | None => "https://github.com".to_string(),
            Some(url) => url
                .strip_suffix("/api/v3")
                .or_else(|| url.strip_suffix("/api/v4"))
                .unwrap_or(url)
                .to_string(),
        }
    }

    /// Where GitHub Actions mints OIDC tokens for this job (`ACTIONS_ID_TOKEN_REQUEST_URL`
    /// and its bearer `ACTIONS_ID_TOKEN_REQUEST_TOKEN`), when the job may
    /// (`permissions: id-token: write`).
    pub fn github_oidc_request(&self) -> Option<(&str, &str)> {
        Some((
            self.get("ACTIONS_ID_TOKEN_REQUEST_URL")?,
            self.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")?,
        ))
    }

    /// An OIDC identity token given to the job (`SIGSTORE_ID_TOKEN`, as GitLab's
    /// `id_tokens:` or any CI sets it).
    pub fn sigstore_id_token(&self) -> Option<&str> {
        self.get("SIGSTORE_ID_TOKEN")
    }

    /// Where a GitLab CI job's release lives: API URL, project id, the tag (when the
    /// pipeline is for one) and the auth header with its token (`GITLAB_TOKEN` as
    /// `PRIVATE-TOKEN`, else `CI_JOB_TOKEN` as `JOB-TOKEN`).
    pub fn gitlab_release_target(&self) -> Option<GitlabJob<'_>> {
        let (auth_header, token) = match (self.get("GITLAB_TOKEN"), self.get("CI_JOB_TOKEN")) {
            (Some(token), _) => ("PRIVATE-TOKEN", token),
            (None, Some(token)) => ("JOB-TOKEN", token),
            (None, None) => return None,
        };
        Some(GitlabJob {
            api_url: self.get("CI_API_V4_URL")?,
            project: self.get("CI_PROJECT_ID")?,
            tag: self.get("CI_COMMIT_TAG"),
            auth_header,
            token,
        })
    }

    /// Whether the run is a GitLab CI job.
    pub fn in_gitlab_ci(&self) -> bool {
        self.is_true("GITLAB_CI")
    }

    /// The password of an encrypted signing key (`VOUCH_KEY_PASSWORD`). Never logged.
    pub fn key_password(&self) -> Option<&str> {
        self.get("VOUCH_KEY_PASSWORD")
    }

    /// The GitHub token (`GITHUB_TOKEN`, else `GH_TOKEN`). Never logged or stored.
    pub fn github_token(&self) -> Option<String> {
        self.get("GITHUB_TOKEN")
            .or_else(|| self.get("GH_TOKEN"))
            .map(str::to_string)
    }

    /// REST API base: `GITHUB_API_URL`, else github.com's.
    pub fn github_api_url(&self) -> String {
        self.get("GITHUB_API_URL")
            .unwrap_or("https://api.github.com")
            .trim_end_matches('/')
            .to_string()
    }

    /// GraphQL endpoint: `GITHUB_GRAPHQL_URL`, else derived from the REST base
    /// (`…/api/v3` on Enterprise Server becomes `…/api/graphql`).
    pub fn github_graphql_url(&self, api_url: &str) -> String {
        match self.get("GITHUB_GRAPHQL_URL") {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => graphql_url_for(api_url),
        }
    }

    /// The webhook payload of the GitHub Actions run (`GITHUB_EVENT_PATH`).
    pub fn github_event_path(&self) -> Option<&str> {
        if self.in_github_actions() {
            self.get("GITHUB_EVENT_PATH")
        } else {
            None
        }
    }

    /// The target branch of a pull request run (`GITHUB_BASE_REF`).
    pub fn github_base_ref(&self) -> Option<&str> {
        if self.in_github_actions() {
            self.get("GITHUB_BASE_REF")
        } else {
            None
        }
    }

    /// Whether this is a GitHub Actions job, whose log the runner scans for workflow commands.
    pub fn in_github_actions(&self) -> bool {
        self.is_true("GITHUB_ACTIONS")
    }

    /// Where GitHub Actions wants the job summary Markdown, when running there.
    pub fn github_step_summary(&self) -> Option<&str> {
        if self.is_true("GITHUB_ACTIONS") {
            self.get("GITHUB_STEP_SUMMARY")
        } else {
            None
        }
    }

    /// Whether terminal output may use colors: `NO_COLOR` (any value) and `TERM=dumb` forbid it.
    /// Whether stdout is a terminal is decided by the caller.
    pub fn color_allowed(&self) -> bool {
        !self.vars.contains_key("NO_COLOR") && self.get("TERM") != Some("dumb")
    }
}

/// The GraphQL endpoint that goes with a REST base: github.com's `/graphql`, or
/// `…/api/graphql` for GitHub Enterprise Server's `…/api/v3`.
pub fn graphql_url_for(api_url: &str) -> String {
    let api_url = api_url.trim_end_matches('/');
    match api_url.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{api_url}/graphql"),
    }
}

/// The CI system a run happens in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CiSystem {
    /// GitHub Actions (`GITHUB_ACTIONS=true`).
    GithubActions,
    /// GitLab CI (`GITLAB_CI=true`).
    GitlabCi,
    /// Anything else: a person's shell, another CI.
    Local,
}

/// What the CI system says about the change under verification.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CiContext {
    /// The CI system.
    pub system: CiSystem,
    /// `owner/name` (GitHub) or `group/project` (GitLab).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Full commit SHA being built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Fully qualified ref (`refs/heads/main`, `refs/tags/v1.2.0`, `refs/pull/7/merge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// Triggering event (`push`, `pull_request`, `merge_request_event`, `tag`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Pull request or merge request number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_number: Option<u64>,
    /// URL of the CI run or job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_url: Option<String>,
    /// Absolute path of the checkout, used to make scanners' absolute paths
    /// repository-relative (`GITHUB_WORKSPACE`, `CI_PROJECT_DIR`, else the working directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

impl CiContext {
    /// A context with nothing known (local runs without flags).
    pub fn local() -> Self {
        CiContext {
            system: CiSystem::Local,
            repository: None,
            commit: None,
            git_ref: None,
            event: None,
            change_number: None,
            run_url: None,
            workspace: None,
        }
    }

    /// Detects the CI system and reads what it exposes.
    pub fn detect(env: &Env) -> Self {
        if env.is_true("GITHUB_ACTIONS") {
            Self::github(env)
        } else if env.is_true("GITLAB_CI") {
            Self::gitlab(env)
        } else {
            Self::local()
        }
    }

    fn github(env: &Env) -> Self {
        let git_ref = env.get("GITHUB_REF").map(str::to_string);
        // refs/pull/N/merge (or /head) carries the PR number for pull_request events.
        let change_number = git_ref
            .as_deref()
            .and_then(|r| r.strip_prefix("refs/pull/"))
            .and_then(|r| r.split('/').next())
            .and_then(|n| n.parse().ok());
        let run_url = match (
            env.get("GITHUB_SERVER_URL"),
            env.get("GITHUB_REPOSITORY"),
            env.get("GITHUB_RUN_ID"),
        ) {
            (Some(server), Some(repo), Some(run)) => {
                let mut url = format!("{}/{repo}/actions/runs/{run}", server.trim_end_matches('/'));
                if let Some(attempt) = env.get("GITHUB_RUN_ATTEMPT") {
                    url.push_str(&format!("/attempts/{attempt}"));
                }
                Some(url)
            }
            _ => None,
        };
        CiContext {
            system: CiSystem::GithubActions,
            repository: env.get("GITHUB_REPOSITORY").map(str::to_string),
            commit: env.get("GITHUB_SHA").map(str::to_string),
            git_ref,
            event: env.get("GITHUB_EVENT_NAME").map(str::to_string),
            change_number,
            run_url,
            workspace: env.get("GITHUB_WORKSPACE").map(str::to_string),
        }
    }

    fn gitlab(env: &Env) -> Self {
        let git_ref = if let Some(tag) = env.get("CI_COMMIT_TAG") {
            Some(format!("refs/tags/{tag}"))
        } else if let Some(iid) = env.get("CI_MERGE_REQUEST_IID") {
            Some(format!("refs/merge-requests/{iid}/head"))
        } else {
            env.get("CI_COMMIT_BRANCH")
                .or_else(|| env.get("CI_COMMIT_REF_NAME"))
                .map(|b| format!("refs/heads/{b}"))
        };
        CiContext {
            system: CiSystem::GitlabCi,
            repository: env.get("CI_PROJECT_PATH").map(str::to_string),
            commit: env.get("CI_COMMIT_SHA").map(str::to_string),
            git_ref,
            event: env.get("CI_PIPELINE_SOURCE").map(str::to_string),
            change_number: env.get("CI_MERGE_REQUEST_IID").and_then(|n| n.parse().ok()),
            workspace: env.get("CI_PROJECT_DIR").map(str::to_string),
            run_url: env
                .get("CI_JOB_URL")
                .or_else(|| env.get("CI_PIPELINE_URL"))
                .map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_pull_request_context() {
        let env = Env::from_pairs([
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/exchange"),
            ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
            ("GITHUB_REF", "refs/pull/42/merge"),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_RUN_ID", "99"),
            ("GITHUB_RUN_ATTEMPT", "2"),
        ]);
        let ctx = CiContext::detect(&env);
        assert_eq!(ctx.system, CiSystem::GithubActions);
        assert_eq!(ctx.change_number, Some(42));
        assert_eq!(ctx.repository.as_deref(), Some("acme/exchange"));
        assert_eq!(
            ctx.run_url.as_deref(),
            Some("https://github.com/acme/exchange/actions/runs/99/attempts/2")
        );
    }

    #[test]
    fn gitlab_tag_pipeline_context() {
        let env = Env::from_pairs([
            ("GITLAB_CI", "true"),
            ("CI_PROJECT_PATH", "acme/exchange"),
            ("CI_COMMIT_SHA", "abc"),
            ("CI_COMMIT_TAG", "v1.2.0"),
            ("CI_COMMIT_REF_NAME", "v1.2.0"),
            ("CI_PIPELINE_SOURCE", "push"),
            (
                "CI_JOB_URL",
                "https://gitlab.example/acme/exchange/-/jobs/7",
            ),
        ]);
        let ctx = CiContext::detect(&env);
        assert_eq!(ctx.system, CiSystem::GitlabCi);
        assert_eq!(ctx.git_ref.as_deref(), Some("refs/tags/v1.2.0"));
        assert_eq!(ctx.change_number, None);
        assert_eq!(
            ctx.run_url.as_deref(),
            Some("https://gitlab.example/acme/exchange/-/jobs/7")
        );
    }

    #[test]
    fn no_ci_is_local_and_no_color_is_honored() {
        let env = Env::from_pairs([("NO_COLOR", "")]);
        assert_eq!(CiContext::detect(&env).system, CiSystem::Local);
        assert!(!env.color_allowed());
        assert!(Env::default().color_allowed());
    }
}
