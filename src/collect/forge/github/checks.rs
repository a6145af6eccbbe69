//! Check runs and commit statuses of one commit.

use serde::Deserialize;

use super::super::http::{ApiClient, Job};
use super::Repo;
use crate::evidence::Gap;
use crate::evidence::forge::{CheckOutcome, CheckResult, CommitChecks, Reporter};

/// Pages of check runs or statuses read at most (100 results each).
const MAX_PAGES: usize = 100;

/// Reads every check run and status of `sha`, both lists at once.
pub fn read(api: &mut ApiClient, repo: &Repo, sha: &str) -> Result<CommitChecks, Gap> {
    let runs: Job<'_, Result<Vec<CheckResult>, Gap>> = Box::new(|api| check_runs(api, repo, sha));
    let statuses: Job<'_, Result<Vec<CheckResult>, Gap>> = Box::new(|api| statuses(api, repo, sha));
    let mut checks = Vec::new();
    for list in api.in_parallel(vec![runs, statuses]) {
        checks.extend(list?);
    }
    Ok(CommitChecks {
        sha: sha.to_string(),
        checks,
    })
}

fn check_runs(api: &mut ApiClient, repo: &Repo, sha: &str) -> Result<Vec<CheckResult>, Gap> {
    let path = format!(
        "/repos/{}/commits/{sha}/check-runs?filter=latest",
        repo.path()
    );
    let mut checks = Vec::new();
    for page in api.get_pages::<CheckRunPage>(&path, "check runs", MAX_PAGES)? {
        checks.extend(page.check_runs.into_iter().map(|r| CheckResult {
            name: r.name,
            reporter: Reporter::GithubCheckRun {
                app_id: r.app.map(|a| a.id),
            },
            sha: r.head_sha,
            outcome: CheckOutcome::from_github_check_run(&r.status, r.conclusion.as_deref()),
            url: r.html_url,
            completed_at: r.completed_at,
        }));
    }
    Ok(checks)
}

fn statuses(api: &mut ApiClient, repo: &Repo, sha: &str) -> Result<Vec<CheckResult>, Gap> {
    let path = format!("/repos/{}/commits/{sha}/status", repo.path());
    let mut checks = Vec::new();
    for combined in api.get_pages::<CombinedStatus>(&path, "commit statuses", MAX_PAGES)? {
        checks.extend(combined.statuses.into_iter().map(|s| CheckResult {
            name: s.context,
            reporter: Reporter::GithubStatus,
            sha: combined.sha.clone(),
            outcome: CheckOutcome::from_github_status(&s.state),
            url: s.target_url,
            completed_at: s.updated_at,
        }));
    }
    Ok(checks)
}

/// Every field GitHub documents as required is required here: a body of another
/// shape (`{}`) is a gap, never "no checks ran".
#[derive(Deserialize)]
struct CheckRunPage {
    #[allow(dead_code)]
    total_count: u64,
    check_runs: Vec<CheckRun>,
}

#[derive(Deserialize)]
struct CheckRun {
    name: String,
    head_sha: String,
    status: String,
    #[serde(default)]
    conclusion: Option<String>,
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    app: Option<App>,
    #[serde(default)]
    completed_at: Option<String>,
}

#[derive(Deserialize)]
struct App {
    id: u64,
}

#[derive(Deserialize)]
struct CombinedStatus {
    sha: String,
    #[allow(dead_code)]
    state: String,
    statuses: Vec<Status>,
}

#[derive(Deserialize)]
struct Status {
    context: String,
    state: String,
    #[serde(default)]
    target_url: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
}
