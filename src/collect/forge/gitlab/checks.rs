//! The CI jobs of a commit on GitLab: the newest pipeline for the exact SHA on the refs
//! that count (the branch or tag the run is for; a merge request's source branch or its
//! `refs/merge-requests/N/head`), and its jobs, each by its latest attempt
//! (`include_retried` is left off, so a retried job counts once, as it ended last).
//!
//! Why the ref matters: anyone who may push a branch can point it at the same commit and
//! run a pipeline there (with other variables, other `rules:`), and the newest pipeline
//! for a SHA is then theirs.

use std::collections::HashMap;

use serde::Deserialize;

use super::super::http::{ApiClient, Job};
use super::{Project, TokenKind, get_all, get_json};
use crate::evidence::forge::{CheckOutcome, CheckResult, CommitChecks, Reporter};
use crate::evidence::{Gap, GapKind};

/// Jobs read of one pipeline (100 a page); more is not a pipeline vouch can judge.
const MAX_JOB_PAGES: usize = 20;

/// A pipeline as GitLab lists one.
#[derive(Deserialize, Clone)]
pub struct RawPipeline {
    /// Its id.
    pub id: u64,
    /// The commit it ran on.
    pub sha: String,
    /// The branch, tag or merge request ref it ran for.
    #[serde(rename = "ref", default)]
    pub git_ref: Option<String>,
}

impl RawPipeline {
    /// Whether it ran for one of `refs` (any ref when none is known).
    pub fn on(&self, refs: &[String]) -> bool {
        refs.is_empty() || self.git_ref.as_ref().is_some_and(|r| refs.contains(r))
    }
}

/// The jobs of the newest pipeline that ran on `sha` for one of `refs`.
pub fn read(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    sha: &str,
    refs: &[String],
) -> Result<CommitChecks, Gap> {
    let p = project.api();
    let what = format!("pipelines of {sha}");
    let pipelines: Vec<RawPipeline> = get_json(
        api,
        kind,
        &format!("{p}/pipelines?sha={sha}&order_by=id&sort=desc&per_page=100"),
        &what,
    )?;
    if let Some(other) = pipelines.iter().find(|pl| pl.sha != sha) {
        return Err(Gap::new(
            GapKind::Malformed,
            &what,
            format!(
                "GitLab answered with pipeline {} of {}, asked for {sha}",
                other.id, other.sha
            ),
        ));
    }
    let Some(newest) = pipelines
        .iter()
        .filter(|pl| pl.on(refs))
        .max_by_key(|pl| pl.id)
    else {
        // No pipeline ran there: every required job is missing, which the check reports.
        return Ok(CommitChecks {
            sha: sha.to_string(),
            checks: Vec::new(),
        });
    };
    jobs(api, project, kind, newest)
}

/// The jobs (latest attempts) of `pipeline`.
pub fn jobs(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    pipeline: &RawPipeline,
) -> Result<CommitChecks, Gap> {
    let id = pipeline.id;
    let what = format!("jobs of pipeline {id}");
    let jobs: Vec<RawJob> = get_all(
        api,
        kind,
        &format!("{}/pipelines/{id}/jobs", project.api()),
        &what,
        MAX_JOB_PAGES,
    )?;
    if let Some(other) = jobs.iter().find_map(|j| {
        j.pipeline
            .as_ref()
            .filter(|p| p.id != id || p.sha != pipeline.sha)
    }) {
        return Err(Gap::new(
            GapKind::Malformed,
            &what,
            format!(
                "a job of pipeline {} on {} was listed, asked for pipeline {id} on {}",
                other.id, other.sha, pipeline.sha
            ),
        ));
    }
    Ok(CommitChecks {
        sha: pipeline.sha.clone(),
        checks: jobs
            .into_iter()
            .map(|job| CheckResult {
                name: job.name,
                reporter: Reporter::GitlabJob {
                    job_id: job.id,
                    pipeline_id: id,
                    allow_failure: job.allow_failure,
                    pipeline_ref: pipeline.git_ref.clone(),
                },
                // A job runs on its pipeline's commit.
                sha: pipeline.sha.clone(),
                outcome: CheckOutcome::from(job.status),
                url: job.web_url,
                completed_at: job.finished_at,
            })
            .collect(),
    })
}

/// The newest pipeline of each merge request's head (by iid: its head and its refs), from
/// the project's pipelines newest first (a page per 100, as many pages as there are
/// heads per 100 plus two, stopping once every head is found); a head not found there is
/// read on its own.
pub fn head_pipelines(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    mrs: &HashMap<u64, (String, Vec<String>)>,
) -> HashMap<u64, RawPipeline> {
    let mut found: HashMap<u64, RawPipeline> = HashMap::new();
    if mrs.is_empty() {
        return found;
    }
    let pages = mrs.len().div_ceil(100) + 2;
    let first = format!(
        "{}/pipelines?order_by=id&sort=desc&per_page=100",
        project.api()
    );
    let what = "pipelines of the merge requests";
    // An economy: what this listing does not settle is read per head, so a page that
    // cannot be read ends it.
    let read = |api: &mut ApiClient,
                url: &str|
     -> Option<(Vec<RawPipeline>, Option<String>, Option<u32>)> {
        let response = api.get(url, what).ok()?;
        super::check(&response, kind, what).ok()?;
        let page = response.json::<Vec<RawPipeline>>("pipelines").ok()?;
        Some((page, response.next_page(), response.total_pages()))
    };
    let settle = |found: &mut HashMap<u64, RawPipeline>, page: Vec<RawPipeline>| {
        for pl in page {
            for (iid, (head, refs)) in mrs {
                // Newest first: the first pipeline of a head on its refs is the newest.
                if &pl.sha == head && pl.on(refs) && !found.contains_key(iid) {
                    found.insert(*iid, pl.clone());
                }
            }
        }
    };
    let Some((page, mut next, total)) = read(api, &first) else {
        return found;
    };
    settle(&mut found, page);
    let mut seen = 1;
    // With a page count, the rest (as many as the heads may need) at once.
    if let Some(total @ 2..) = total
        && next.is_some()
        && found.len() < mrs.len()
    {
        let last = (total as usize).min(pages);
        let jobs: Vec<Job<'_, Option<Vec<RawPipeline>>>> = (2..=last)
            .map(|page| -> Job<'_, Option<Vec<RawPipeline>>> {
                let url = format!("{first}&page={page}");
                Box::new(move |api| read(api, &url).map(|(page, _, _)| page))
            })
            .collect();
        for page in api.in_parallel(jobs) {
            let Some(page) = page else { break };
            settle(&mut found, page);
        }
        next = None;
    }
    while let Some(url) = next.take() {
        if seen >= pages || found.len() == mrs.len() {
            break;
        }
        seen += 1;
        let Some((page, link, _)) = read(api, &url) else {
            break;
        };
        settle(&mut found, page);
        next = link;
    }
    found
}

#[derive(Deserialize)]
struct JobPipeline {
    id: u64,
    sha: String,
}

/// A job. `status` and `allow_failure` are required: a job without them cannot be
/// judged, and a default would read as a pass or as "allowed to fail".
#[derive(Deserialize)]
struct RawJob {
    id: u64,
    name: String,
    status: String,
    allow_failure: bool,
    #[serde(default)]
    web_url: Option<String>,
    #[serde(default)]
    finished_at: Option<String>,
    #[serde(default)]
    pipeline: Option<JobPipeline>,
}
