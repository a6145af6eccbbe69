//! The checks on a pull request's head commit, read with the PR itself (its status
//! check rollup), so that each change's required checks cost no request of their own.

use serde::Deserialize;

use crate::evidence::forge::{CheckOutcome, CheckResult, CommitChecks, Reporter};
use crate::evidence::{Gap, GapKind, Observed};

/// Check results read per head; a head with more is a gap, never a short list.
pub(super) const MAX_CONTEXTS: usize = 100;

/// The head commit's check runs and statuses. `commits(last: 1)` is the head: a pull
/// request has no direct field for its head commit object.
macro_rules! head_checks_fragment {
    () => {
        r#"
fragment HeadChecks on PullRequest {
  headCommit: commits(last: 1) { nodes { commit { oid
    statusCheckRollup { contexts(first: 100) { totalCount nodes { __typename
      ... on CheckRun { name status conclusion completedAt url checkSuite { app { databaseId } } }
      ... on StatusContext { context state createdAt targetUrl } } } } } } }
}"#
    };
}
pub(super) use head_checks_fragment;

/// `headCommit` as GitHub answers it.
#[derive(Deserialize)]
pub(super) struct HeadCommit {
    nodes: Vec<HeadNode>,
}

#[derive(Deserialize)]
struct HeadNode {
    commit: RollupCommit,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RollupCommit {
    oid: String,
    /// `null` when nothing reported on the commit.
    status_check_rollup: Option<Rollup>,
}

#[derive(Deserialize)]
struct Rollup {
    contexts: Contexts,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Contexts {
    total_count: u64,
    nodes: Vec<Context>,
}

/// A `CheckRun` or a `StatusContext` (the union's two members); which fields must be
/// there depends on `__typename`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Context {
    #[serde(rename = "__typename")]
    typename: String,
    name: Option<String>,
    status: Option<String>,
    conclusion: Option<String>,
    completed_at: Option<String>,
    url: Option<String>,
    check_suite: Option<Suite>,
    context: Option<String>,
    state: Option<String>,
    created_at: Option<String>,
    target_url: Option<String>,
}

#[derive(Deserialize)]
struct Suite {
    app: Option<App>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct App {
    database_id: Option<u64>,
}

/// The head's checks in the shape of a commit's REST checks (lowercase states), or
/// the gap that keeps them unknown.
pub(super) fn head_checks(head: Option<HeadCommit>, what: &str) -> Observed<CommitChecks> {
    let malformed = |detail: String| Gap::new(GapKind::Malformed, what, detail);
    let head = head.ok_or_else(|| malformed("the answer has no head commit checks".into()))?;
    let commit = head
        .nodes
        .into_iter()
        .next()
        .ok_or_else(|| Gap::new(GapKind::NotFound, what, "the pull request has no commits"))?
        .commit;
    let Some(rollup) = commit.status_check_rollup else {
        return Ok(CommitChecks {
            sha: commit.oid,
            checks: Vec::new(),
        });
    };
    let contexts = rollup.contexts;
    if contexts.total_count > contexts.nodes.len() as u64 {
        return Err(malformed(format!(
            "the head {} has {} check results; vouch reads {MAX_CONTEXTS}",
            commit.oid, contexts.total_count
        )));
    }
    let mut checks = Vec::with_capacity(contexts.nodes.len());
    for c in contexts.nodes {
        let check = match c.typename.as_str() {
            "CheckRun" => CheckResult {
                name: c
                    .name
                    .ok_or_else(|| malformed("a check run without a name".into()))?,
                reporter: Reporter::GithubCheckRun {
                    app_id: c
                        .check_suite
                        .and_then(|s| s.app)
                        .and_then(|a| a.database_id),
                },
                sha: commit.oid.clone(),
                outcome: CheckOutcome::from_github_check_run(
                    &c.status
                        .ok_or_else(|| malformed("a check run without a status".into()))?,
                    c.conclusion.as_deref(),
                ),
                url: c.url,
                completed_at: c.completed_at,
            },
            "StatusContext" => CheckResult {
                name: c
                    .context
                    .ok_or_else(|| malformed("a status without a context".into()))?,
                reporter: Reporter::GithubStatus,
                sha: commit.oid.clone(),
                outcome: CheckOutcome::from_github_status(
                    &c.state
                        .ok_or_else(|| malformed("a status without a state".into()))?,
                ),
                url: c.target_url,
                completed_at: c.created_at,
            },
            other => return Err(malformed(format!("a check result of type {other}"))),
        };
        checks.push(check);
    }
    Ok(CommitChecks {
        sha: commit.oid,
        checks,
    })
}
