//! The CI jobs of a commit on GitLab: the newest pipeline for the exact SHA (the one
//! GitLab itself gates a merge on, as the head pipeline) and its jobs, each by its
//! latest attempt (`include_retried` is left off, so a retried job counts once, as it
//! ended last).

use serde::Deserialize;

use super::super::http::ApiClient;
use super::{Project, TokenKind, get_all, get_json};
use crate::evidence::forge::{CheckOutcome, CheckResult, CommitChecks, Reporter};
use crate::evidence::{Gap, GapKind};

/// Jobs read of one pipeline (100 a page); more is not a pipeline vouch can judge.
const MAX_JOB_PAGES: usize = 20;

/// The jobs of the newest pipeline that ran on `sha`.
pub fn read(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    sha: &str,
) -> Result<CommitChecks, Gap> {
    let p = project.api();
    let what = format!("pipelines of {sha}");
    let pipelines: Vec<RawPipeline> = get_json(
        api,
        kind,
        &format!("{p}/pipelines?sha={sha}&order_by=id&sort=desc&per_page=20"),
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
    let Some(newest) = pipelines.iter().max_by_key(|pl| pl.id) else {
        // No pipeline ran: every required job is missing, which the check reports.
        return Ok(CommitChecks {
            sha: sha.to_string(),
            checks: Vec::new(),
        });
    };
    jobs(api, project, kind, sha, newest.id)
}

/// The jobs (latest attempts) of pipeline `pipeline`, which ran on `sha`.
pub fn jobs(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    sha: &str,
    pipeline: u64,
) -> Result<CommitChecks, Gap> {
    let jobs: Vec<RawJob> = get_all(
        api,
        kind,
        &format!("{}/pipelines/{pipeline}/jobs", project.api()),
        &format!("jobs of pipeline {pipeline}"),
        MAX_JOB_PAGES,
    )?;
    if let Some(other) = jobs
        .iter()
        .find_map(|j| j.pipeline.as_ref().filter(|p| p.sha != sha))
    {
        return Err(Gap::new(
            GapKind::Malformed,
            format!("jobs of pipeline {pipeline}"),
            format!("the pipeline's jobs ran on {}, not on {sha}", other.sha),
        ));
    }
    Ok(CommitChecks {
        sha: sha.to_string(),
        checks: jobs
            .into_iter()
            .map(|job| CheckResult {
                name: job.name,
                reporter: Reporter::GitlabJob {
                    job_id: job.id,
                    pipeline_id: pipeline,
                    allow_failure: job.allow_failure,
                },
                // A job runs on its pipeline's commit.
                sha: sha.to_string(),
                outcome: CheckOutcome::from(job.status),
                url: job.web_url,
                completed_at: job.finished_at,
            })
            .collect(),
    })
}

#[derive(Deserialize)]
struct RawPipeline {
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
    pipeline: Option<RawPipeline>,
}
