//! The GitHub implementation of [`Forge`](super::Forge): REST for protection and checks,
//! GraphQL for the change history.

mod alerts;
mod changes;
mod checks;
mod protection;
mod rollup;

use serde::Deserialize;

use super::http::{ApiClient, Job};
use super::lineage::{self, TagAt};
use super::plan::PlanInputs;
use super::registry::{Connect, Connected, ForgeSpec};
use super::transcript::Transcript;
use super::{Forge, ForgeRequest, RangeRequest, Reads};
use crate::ci::Env;
use crate::collect::record::ForgeRun;
use crate::evidence::forge::{BranchProtection, ChangeSet, CommitChecks};
use crate::evidence::{Gap, GapKind};

/// `owner/name`, split.
#[derive(Debug, Clone)]
pub struct Repo {
    /// Owner (user or organization).
    pub owner: String,
    /// Repository name.
    pub name: String,
}

impl Repo {
    /// Parses `owner/name`.
    pub fn parse(s: &str) -> Option<Repo> {
        let (owner, name) = s.split_once('/')?;
        let ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        (ok(owner) && ok(name)).then(|| Repo {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }

    /// `owner/name` for URL paths (both parts are URL-safe by construction).
    pub fn path(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// GitHub in the forge registry.
pub static SPEC: ForgeSpec = ForgeSpec {
    name: "github",
    repo_syntax: "OWNER/NAME",
    token_variables: &["GITHUB_TOKEN", "GH_TOKEN"],
    in_own_ci: Env::in_github_actions,
    ci_facts,
    connect,
    replay,
};

/// A pull request run's event payload (its head SHA) and target branch.
fn ci_facts(env: &Env, inputs: &mut PlanInputs) {
    inputs.event = env
        .github_event_path()
        .and_then(|p| crate::collect::input::read_file(std::path::Path::new(p)).ok())
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    inputs.base_ref = env.github_base_ref().map(str::to_string);
}

/// REST and GraphQL endpoints (an explicit `--api-url` decides both, else the
/// conventional variables), the token, and the repository as `OWNER/NAME`.
fn connect(c: &Connect<'_>) -> anyhow::Result<Connected> {
    let repo = Repo::parse(c.repository)
        .ok_or_else(|| anyhow::anyhow!("--repo {}: expected OWNER/NAME", c.repository))?;
    let (api_url, graphql_url) = match c.api_url {
        Some(url) => {
            let url = url.trim_end_matches('/').to_string();
            let graphql = crate::ci::graphql_url_for(&url);
            (url, graphql)
        }
        None => {
            let url = c.env.github_api_url();
            let graphql = c.env.github_graphql_url(&url);
            (url, graphql)
        }
    };
    // Without a token GitHub refuses GraphQL outright and rate-limits REST at 60
    // requests an hour: say so now, not after a minute of retries.
    let Some(token) = c.env.github_token() else {
        anyhow::bail!(
            "--forge github needs a token and none was found: vouch looked in GITHUB_TOKEN and GH_TOKEN (in GitHub Actions: `env: GITHUB_TOKEN: ${{{{ github.token }}}}`)"
        );
    };
    let api = ApiClient::new(
        &api_url,
        &graphql_url,
        Some(token),
        super::http::RetryPolicy {
            deadline: c.deadline,
            ..super::http::RetryPolicy::default()
        },
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    Ok(Connected {
        forge: Box::new(GitHub::new(api, repo)),
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
    let repo = Repo::parse(&run.repository).ok_or_else(|| {
        anyhow::anyhow!(
            "manifest: forge repository `{}` is not OWNER/NAME",
            run.repository
        )
    })?;
    let api = ApiClient::replay(transcript, &run.graphql_url);
    Ok(Box::new(GitHub::new(api, repo)))
}

/// GitHub (github.com or Enterprise Server).
pub struct GitHub {
    api: ApiClient,
    repo: Repo,
}

impl GitHub {
    /// A forge over an API client for one repository.
    pub fn new(api: ApiClient, repo: Repo) -> Self {
        GitHub { api, repo }
    }
}

impl Forge for GitHub {
    fn take_transcript(&mut self) -> Transcript {
        self.api.take_transcript()
    }

    fn branch_protection(&mut self, branch: &str) -> Result<BranchProtection, Gap> {
        Ok(protection::read(&mut self.api, &self.repo, branch))
    }

    fn changes(
        &mut self,
        range: &RangeRequest,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<ChangeSet, Gap> {
        read_changes(&mut self.api, &self.repo, range, progress)
    }

    fn commit_checks(&mut self, sha: &str) -> Result<CommitChecks, Gap> {
        checks::read(&mut self.api, &self.repo, sha)
    }

    fn code_scanning_alerts(&mut self, git_ref: &str) -> Result<crate::evidence::SastReport, Gap> {
        alerts::read(&mut self.api, &self.repo, git_ref)
    }

    fn requests(&self) -> u32 {
        self.api.requests()
    }

    fn rounds(&self) -> u32 {
        self.api.rounds()
    }

    /// The four reads at once: none needs another's answer, so the run waits for the
    /// longest of them instead of their sum.
    fn read(&mut self, request: &ForgeRequest, progress: &(dyn Fn(usize) + Sync)) -> Reads {
        let repo = &self.repo;
        let mut jobs: Vec<Job<'_, Part>> = Vec::new();
        if let Some(branch) = request.branch.as_deref() {
            jobs.push(Box::new(move |api| {
                Part::Protection(Ok(protection::read(api, repo, branch)))
            }));
        }
        if let Some(range) = &request.range {
            jobs.push(Box::new(move |api| {
                Part::Changes(read_changes(api, repo, range, progress))
            }));
        }
        if let Some(sha) = request.commit.as_deref() {
            jobs.push(Box::new(move |api| {
                Part::Checks(checks::read(api, repo, sha))
            }));
        }
        if let Some(git_ref) = request.alerts_ref.as_deref() {
            jobs.push(Box::new(move |api| {
                Part::Alerts(alerts::read(api, repo, git_ref))
            }));
        }
        let mut reads = Reads::default();
        for part in self.api.in_parallel(jobs) {
            match part {
                Part::Protection(p) => reads.protection = Some(p),
                Part::Changes(c) => reads.changes = Some(c),
                Part::Checks(c) => reads.checks = Some(c),
                Part::Alerts(a) => reads.alerts = Some(a),
            }
        }
        reads
    }
}

/// One of the reads of [`GitHub::read`], as it comes back from its job.
enum Part {
    Protection(Result<BranchProtection, Gap>),
    Changes(Result<ChangeSet, Gap>),
    Checks(Result<CommitChecks, Gap>),
    Alerts(Result<crate::evidence::SastReport, Gap>),
}

/// The changes a range request names.
fn read_changes(
    api: &mut ApiClient,
    repo: &Repo,
    range: &RangeRequest,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<ChangeSet, Gap> {
    match range {
        RangeRequest::Commits {
            base,
            head,
            branch,
            origin,
        } => changes::read_range(api, repo, base, head, branch.as_deref(), origin, progress),
        RangeRequest::PreviousTag { tag, branch } => {
            let (previous, base, head) = previous_tag(api, repo, tag)?;
            changes::read_range(
                api,
                repo,
                &base,
                &head,
                branch.as_deref(),
                &format!("tag {tag} (since the previous release tag {previous})"),
                progress,
            )
        }
        RangeRequest::PullRequest {
            number,
            expected_head,
        } => changes::read_pull_request(api, repo, *number, expected_head.as_deref()),
    }
}

/// The newest 100 tags by tagged-commit date, with the commit each points at.
const TAGS_QUERY: &str = "query($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    refs(refPrefix: \"refs/tags/\", first: 100, orderBy: {field: TAG_COMMIT_DATE, direction: DESC}) {
      nodes { name target { oid ... on Tag { target { oid } } } }
    }
  }
}";

/// Every GraphQL document vouch sends to GitHub, by name: a test validates them against
/// GitHub's published schema and its node limit, which a mock server cannot do.
#[doc(hidden)]
pub fn graphql_documents() -> Vec<(&'static str, String)> {
    vec![
        ("resolve-range", changes::RESOLVE_QUERY.to_string()),
        ("history", changes::history_query()),
        ("pull-request", changes::pull_request_query()),
        ("pull-request-page", changes::PR_PAGE.to_string()),
        ("tags", TAGS_QUERY.to_string()),
    ]
}

/// The previous release tag's name and commit, and the commit of `tag`, by the rules
/// of [`lineage::previous_release`] over the 100 newest tags.
fn previous_tag(
    api: &mut ApiClient,
    repo: &Repo,
    tag: &str,
) -> Result<(String, String, String), Gap> {
    let query = TAGS_QUERY;
    #[derive(Deserialize)]
    struct Data {
        repository: Option<Repository>,
    }
    #[derive(Deserialize)]
    struct Repository {
        refs: Refs,
    }
    #[derive(Deserialize)]
    struct Refs {
        nodes: Vec<TagRef>,
    }
    #[derive(Deserialize)]
    struct TagRef {
        name: String,
        target: Target,
    }
    #[derive(Deserialize)]
    struct Target {
        oid: String,
        /// Annotated tags point at a tag object whose target is the commit.
        target: Option<Box<Target>>,
    }
    let what = format!("tags before {tag}");
    let data: Data = api.graphql(
        query,
        serde_json::json!({ "owner": repo.owner, "name": repo.name }),
        &what,
    )?;
    let tags = data.repository.map(|r| r.refs.nodes).unwrap_or_default();
    let commit = |t: &TagRef| {
        t.target
            .target
            .as_ref()
            .map_or(t.target.oid.clone(), |inner| inner.oid.clone())
    };
    let tags: Vec<TagAt> = tags
        .iter()
        .map(|t| TagAt {
            name: t.name.clone(),
            commit: commit(t),
        })
        .collect();
    lineage::release_range(&tags, tag, "the 100 newest tags")
        .map_err(|why| Gap::new(GapKind::NotFound, &what, why))
}
