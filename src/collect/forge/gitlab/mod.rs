//! The GitLab implementation of [`Forge`](super::Forge) (gitlab.com and self-managed),
//! over REST v4.
//!
//! Transport is reqwest through [`ApiClient::plain`], not the `gitlab` crate the design
//! card names: its constructors verify the token with a request of their own before
//! any read (`GET /user`, which a `CI_JOB_TOKEN` may not call), so a job token would
//! fail as one opaque error instead of a refusal per control; it takes a host rather
//! than the API base URL `CI_API_V4_URL` gives; and its typed endpoints return errors
//! without the status and `RateLimit-*`/`Retry-After` headers the retry policy and the
//! job-token diagnosis need. Its raw request method would leave only reqwest in use.

mod changes;
mod checks;
mod protection;
mod review;

use super::http::{ApiClient, ApiResponse, Job, status_gap};
use super::plan::PlanInputs;
use super::registry::{Connect, Connected, ForgeSpec};
use super::transcript::Transcript;
use super::{Forge, ForgeRequest, Reads};
use crate::ci::Env;
use crate::collect::record::ForgeRun;
use crate::evidence::forge::{BranchProtection, ChangeSet, CommitChecks};
use crate::evidence::{Gap, GapKind, SastReport};

/// GitLab in the forge registry.
pub static SPEC: ForgeSpec = ForgeSpec {
    name: "gitlab",
    repo_syntax: "GROUP/PROJECT (or the numeric project id)",
    token_variables: &["GITLAB_TOKEN", "CI_JOB_TOKEN"],
    in_own_ci: Env::in_gitlab_ci,
    ci_facts,
    connect,
    replay,
};

/// The default API base when neither `--api-url` nor `CI_API_V4_URL` says.
const GITLAB_COM: &str = "https://gitlab.com/api/v4";

/// What a GitLab pipeline says about the range it is for.
fn ci_facts(env: &Env, inputs: &mut PlanInputs) {
    if !env.in_gitlab_ci() {
        return;
    }
    inputs.base_ref = env
        .get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
        .map(str::to_string);
    inputs.gitlab = Some(super::plan::GitlabPipeline {
        merge_request_head: env
            .get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA")
            .or_else(|| env.get("CI_COMMIT_SHA"))
            .map(str::to_string),
        before_sha: env.get("CI_COMMIT_BEFORE_SHA").map(str::to_string),
    });
}

/// The project as the API path takes it: a numeric id, or the full path URL-encoded
/// (`group%2Fsub%2Fproject`).
#[derive(Debug, Clone)]
pub struct Project {
    path: String,
}

impl Project {
    /// `group/subgroup/project` or a numeric id.
    pub fn parse(s: &str) -> Option<Project> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Project {
                path: s.to_string(),
            });
        }
        let parts: Vec<&str> = s.split('/').collect();
        let ok = parts.len() >= 2
            && parts.iter().all(|p| {
                !p.is_empty()
                    && !p.starts_with('.')
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            });
        ok.then(|| Project {
            path: percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        })
    }

    /// `/projects/{id}`.
    pub fn api(&self) -> String {
        format!("/projects/{}", self.path)
    }
}

/// Which kind of token the run has: a job token reaches only GitLab's allow list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// `GITLAB_TOKEN`, sent as `PRIVATE-TOKEN` (personal, project or group token).
    Private,
    /// `CI_JOB_TOKEN`, sent as `JOB-TOKEN`.
    Job,
}

fn connect(c: &Connect<'_>) -> anyhow::Result<Connected> {
    let project = Project::parse(c.repository).ok_or_else(|| {
        anyhow::anyhow!(
            "--repo {}: expected GROUP/PROJECT (subgroups allowed) or a numeric project id",
            c.repository
        )
    })?;
    let api_url = c
        .api_url
        .map(str::to_string)
        .or_else(|| c.env.get("CI_API_V4_URL").map(str::to_string))
        .unwrap_or_else(|| GITLAB_COM.to_string())
        .trim_end_matches('/')
        .to_string();
    let (header, kind, token) = match (c.env.get("GITLAB_TOKEN"), c.env.get("CI_JOB_TOKEN")) {
        (Some(t), _) => ("PRIVATE-TOKEN", TokenKind::Private, t),
        (None, Some(t)) => ("JOB-TOKEN", TokenKind::Job, t),
        (None, None) => anyhow::bail!(
            "--forge gitlab needs a token and none was found: vouch looked in GITLAB_TOKEN (a project access token with read_api) and CI_JOB_TOKEN"
        ),
    };
    let graphql_url = graphql_url_for(&api_url);
    let api = ApiClient::plain(
        &api_url,
        &graphql_url,
        (header, token),
        GITLAB_IN_FLIGHT,
        super::http::RetryPolicy {
            deadline: c.deadline,
            ..super::http::RetryPolicy::default()
        },
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    Ok(Connected {
        forge: Box::new(GitLab { api, project, kind }),
        run: ForgeRun {
            kind: SPEC.name.into(),
            api_url,
            graphql_url,
            repository: c.repository.to_string(),
            request: ForgeRequest::default(),
        },
    })
}

fn replay(run: &ForgeRun, transcript: Transcript) -> anyhow::Result<Box<dyn Forge>> {
    let project = Project::parse(&run.repository).ok_or_else(|| {
        anyhow::anyhow!(
            "manifest: forge repository `{}` is not a GitLab project",
            run.repository
        )
    })?;
    // The token kind explains refusals; the replay explains them as the run did.
    let kind = transcript.gitlab_token_kind.unwrap_or(TokenKind::Private);
    let api = ApiClient::replay(transcript, &run.graphql_url);
    Ok(Box::new(GitLab { api, project, kind }))
}

/// `https://host/api/graphql` for `https://host/api/v4` (self-managed under a path too).
fn graphql_url_for(api_url: &str) -> String {
    match api_url.strip_suffix("/api/v4") {
        Some(root) => format!("{root}/api/graphql"),
        None => format!("{api_url}/graphql"),
    }
}

/// GitLab (gitlab.com or self-managed).
pub struct GitLab {
    api: ApiClient,
    project: Project,
    kind: TokenKind,
}

impl GitLab {
    /// A forge over an API client for one project, with the kind of token it carries.
    pub fn new(api: ApiClient, project: Project, kind: TokenKind) -> Self {
        GitLab { api, project, kind }
    }
}

impl Forge for GitLab {
    fn branch_protection(&mut self, branch: &str) -> Result<BranchProtection, Gap> {
        Ok(protection::read(
            &mut self.api,
            &self.project,
            self.kind,
            branch,
        ))
    }

    fn changes(
        &mut self,
        range: &super::RangeRequest,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<ChangeSet, Gap> {
        changes::read(&mut self.api, &self.project, self.kind, range, progress)
    }

    fn commit_checks(&mut self, sha: &str) -> Result<CommitChecks, Gap> {
        checks::read(&mut self.api, &self.project, self.kind, sha, &[])
    }

    fn code_scanning_alerts(&mut self, _git_ref: &str) -> Result<SastReport, Gap> {
        Err(Gap::new(
            GapKind::Unavailable,
            "code scanning alerts",
            "GitLab has no code-scanning alert API: pass the SAST report (gl-sast-report.json) with --sarif",
        ))
    }

    fn requests(&self) -> u32 {
        self.api.requests()
    }

    fn rounds(&self) -> u32 {
        self.api.rounds()
    }

    fn take_transcript(&mut self) -> Transcript {
        let mut transcript = self.api.take_transcript();
        transcript.gitlab_token_kind = Some(self.kind);
        transcript
    }

    /// The independent reads at once (at most [`GITLAB_IN_FLIGHT`] requests in flight).
    fn read(&mut self, request: &ForgeRequest, progress: &(dyn Fn(usize) + Sync)) -> Reads {
        let (project, kind) = (&self.project, self.kind);
        let mut jobs: Vec<Job<'_, Part>> = Vec::new();
        if let Some(branch) = request.branch.as_deref() {
            jobs.push(Box::new(move |api| {
                Part::Protection(protection::read(api, project, kind, branch))
            }));
        }
        if let Some(range) = &request.range {
            jobs.push(Box::new(move |api| {
                Part::Changes(changes::read(api, project, kind, range, progress))
            }));
        }
        if let Some(sha) = request.commit.as_deref() {
            let refs: Vec<String> = request.commit_ref.iter().cloned().collect();
            jobs.push(Box::new(move |api| {
                Part::Checks(checks::read(api, project, kind, sha, &refs))
            }));
        }
        let mut reads = Reads::default();
        for part in self.api.in_parallel(jobs) {
            match part {
                Part::Protection(p) => reads.protection = Some(Ok(p)),
                Part::Changes(c) => reads.changes = Some(c),
                Part::Checks(c) => reads.checks = Some(c),
            }
        }
        if let Some(r) = request.alerts_ref.as_deref() {
            reads.alerts = Some(self.code_scanning_alerts(r));
        }
        reads
    }
}

/// Requests in flight at once against GitLab: gitlab.com's authenticated API limits
/// are per minute, and a self-managed instance is often small. Eight does not crowd
/// other jobs; the rounds a run needs come from reading each round at once.
pub const GITLAB_IN_FLIGHT: usize = 8;

enum Part {
    Protection(BranchProtection),
    Changes(Result<ChangeSet, Gap>),
    Checks(Result<CommitChecks, Gap>),
}

/// `GET path`, the answer as `T`, or a gap that says what GitLab refused and why.
fn get_json<T: serde::de::DeserializeOwned>(
    api: &mut ApiClient,
    kind: TokenKind,
    path: &str,
    what: &str,
) -> Result<T, Gap> {
    let response = api.get(path, what)?;
    check(&response, kind, what)?;
    response.json(what)
}

/// Every page of a list (`per_page=100`, `Link: rel="next"`), or a gap as [`get_json`].
fn get_all<T: serde::de::DeserializeOwned + Send>(
    api: &mut ApiClient,
    kind: TokenKind,
    path: &str,
    what: &str,
    max_pages: usize,
) -> Result<Vec<T>, Gap> {
    let pages: Vec<Vec<T>> = api.get_pages_checked(path, what, max_pages, &|response| {
        check(response, kind, what)
    })?;
    Ok(pages.into_iter().flatten().collect())
}

/// A non-success answer as a gap. With a job token, a 401, 403 or 404 is GitLab's job
/// token allow list at work (it cannot read approvals, protected branches, approval
/// settings, merge request commits or diff versions, or pipelines and jobs of other
/// pipelines), and the gap says so and what token would do.
fn check(response: &ApiResponse, kind: TokenKind, what: &str) -> Result<(), Gap> {
    if response.status.is_success() {
        return Ok(());
    }
    let status = response.status.as_u16();
    if kind == TokenKind::Job && matches!(status, 401 | 403 | 404) {
        return Err(Gap::new(
            GapKind::Forbidden,
            what,
            format!(
                "HTTP {status} with CI_JOB_TOKEN: GitLab does not let a job token read this (job tokens reach only an allow list of endpoints); set GITLAB_TOKEN to a project access token with the read_api scope"
            ),
        ));
    }
    let mut gap = status_gap(what, response.status, &response.body);
    if status == 401 {
        gap.detail = gap
            .detail
            .replace("check GITHUB_TOKEN", "check GITLAB_TOKEN");
    }
    if status == 403 {
        gap.detail
            .push_str("; GitLab needs a token with read_api and at least the Reporter role (Maintainer for protected branches and approval settings)");
    }
    Err(gap)
}

/// A user as GitLab shows one.
#[derive(Debug, Clone, serde::Deserialize)]
struct User {
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    public_email: Option<String>,
    #[serde(default)]
    bot: bool,
}

impl User {
    /// The actor: GitLab shows a deleted account's contributions under its "Ghost User"
    /// (`ghost`, or `ghost1`, … on instances with several).
    fn actor(&self) -> crate::evidence::forge::Actor {
        if self.looks_like_bot() {
            return crate::evidence::forge::Actor::account(&self.username, true);
        }
        let ghost = self
            .username
            .strip_prefix("ghost")
            .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit()));
        if ghost {
            crate::evidence::forge::Actor::deleted(&self.username)
        } else {
            crate::evidence::forge::Actor::account(&self.username, self.bot)
        }
    }
}

impl User {
    /// GitLab's user objects in merge requests and approvals carry no `bot` flag, so
    /// the accounts GitLab creates for access tokens (`project_123_bot_…`,
    /// `group_45_bot_…`), service accounts and names ending in `bot` are taken as bots:
    /// an approval that might be a bot's is not counted as a person's.
    fn looks_like_bot(&self) -> bool {
        let name = self.username.to_ascii_lowercase();
        let token_bot = ["project_", "group_"].iter().any(|prefix| {
            name.strip_prefix(prefix).is_some_and(|rest| {
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                digits > 0 && rest[digits..].starts_with("_bot")
            })
        });
        self.bot
            || token_bot
            || name.starts_with("service_account")
            || name.ends_with("bot")
            || name.ends_with("[bot]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_accounts_and_service_accounts_are_bots() {
        let user = |name: &str| User {
            username: name.into(),
            name: String::new(),
            public_email: None,
            bot: false,
        };
        for bot in [
            "project_42_bot_3f2a",
            "group_7_bot",
            "service_account_group_9",
            "renovate-bot",
            "deploybot",
        ] {
            assert!(user(bot).actor().bot, "{bot}");
        }
        for person in ["alice", "project_lead", "bottomley", "group_admin"] {
            assert!(!user(person).actor().bot, "{person}");
        }
    }

    #[test]
    fn projects_are_paths_with_a_group_or_numeric_ids() {
        assert_eq!(
            Project::parse("acme/platform/ledger").unwrap().api(),
            "/projects/acme%2Fplatform%2Fledger"
        );
        assert_eq!(Project::parse("4711").unwrap().api(), "/projects/4711");
        for bad in [
            "ledger",
            "acme/",
            "/ledger",
            "acme//ledger",
            "acme/../x",
            "a b/c",
        ] {
            assert!(Project::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_graphql_endpoint_sits_beside_the_rest_base() {
        assert_eq!(
            graphql_url_for("https://gitlab.example.com/gitlab/api/v4"),
            "https://gitlab.example.com/gitlab/api/graphql"
        );
    }
}
