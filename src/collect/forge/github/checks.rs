//! Check runs and commit statuses of one commit.

use serde::Deserialize;

use super::super::http::ApiClient;
use super::Repo;
use crate::evidence::forge::{CheckResult, CommitChecks};
use crate::evidence::{Gap, GapKind};

/// Reads every check run and status of `sha`.
pub fn read(api: &mut ApiClient, repo: &Repo, sha: &str) -> Result<CommitChecks, Gap> {
    let mut checks = Vec::new();
    // Check runs come wrapped (`{total_count, check_runs}`), so pages are followed here.
    let mut next = Some(format!(
        "/repos/{}/commits/{sha}/check-runs?per_page=100&filter=latest",
        repo.path()
    ));
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        if pages > 100 {
            return Err(Gap::new(
                GapKind::Malformed,
                "check runs",
                "more than 100 pages: pagination does not end",
            ));
        }
        let response = api.get(&url, "check runs")?;
        let page: CheckRunPage = response.json("check runs")?;
        checks.extend(page.check_runs.into_iter().map(|r| CheckResult {
            name: r.name,
            kind: "check-run".into(),
            sha: r.head_sha,
            status: r.status,
            conclusion: r.conclusion,
            url: r.html_url,
            app_id: r.app.map(|a| a.id),
        }));
        next = response.next_page();
    }
    let mut next = Some(format!(
        "/repos/{}/commits/{sha}/status?per_page=100",
        repo.path()
    ));
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        if pages > 100 {
            return Err(Gap::new(
                GapKind::Malformed,
                "commit statuses",
                "more than 100 pages: pagination does not end",
            ));
        }
        let response = api.get(&url, "commit statuses")?;
        let combined: CombinedStatus = response.json("commit statuses")?;
        checks.extend(combined.statuses.into_iter().map(|s| CheckResult {
            name: s.context,
            kind: "status".into(),
            sha: combined.sha.clone(),
            status: "completed".into(),
            conclusion: Some(s.state),
            url: s.target_url,
            app_id: None,
        }));
        next = response.next_page();
    }
    Ok(CommitChecks {
        sha: sha.to_string(),
        checks,
    })
}

#[derive(Deserialize)]
struct CheckRunPage {
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
}

#[derive(Deserialize)]
struct App {
    id: u64,
}

#[derive(Deserialize)]
struct CombinedStatus {
    sha: String,
    #[serde(default)]
    statuses: Vec<Status>,
}

#[derive(Deserialize)]
struct Status {
    context: String,
    state: String,
    #[serde(default)]
    target_url: Option<String>,
}
