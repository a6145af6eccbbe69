//! A merge request's review as the evidence keeps it: its approvals (with the times
//! GitLab gives them) and diff versions, and who contributed to its commits, by git
//! identity and by co-author trailer.

use serde::Deserialize;

use super::super::http::{ApiClient, Job};
use super::changes::{RawCommit, RawMr, merged_commit};
use super::checks::RawPipeline;
use super::{Project, TokenKind, User, get_all, get_json};
use crate::evidence::Gap;
use crate::evidence::forge::{Actor, ChangeRequest, CommitChecks, Push, Review, ReviewState};

/// A merged (or open) merge request, its commits, and where its head's jobs are.
pub(super) struct Reviewed {
    pub(super) mr: RawMr,
    pub(super) commits: Vec<RawCommit>,
    /// Its head pipeline, when a listing found it; else it is looked up by the head.
    pub(super) pipeline: Option<RawPipeline>,
}

/// One read of a merge request's review.
enum Piece {
    Approvals(RawApprovals),
    Versions(Vec<RawVersion>),
    HeadChecks(Result<CommitChecks, Gap>),
}

/// The change requests of `mrs`: every merge request's approvals (with their times),
/// diff versions and head jobs, all read at once (three independent reads each, so
/// that a thousand merge requests cost one round of reads, not three).
pub(super) fn complete_all(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    mrs: Vec<Reviewed>,
) -> Result<Vec<ChangeRequest>, Gap> {
    let mut jobs: Vec<Job<'_, Result<Piece, Gap>>> = Vec::with_capacity(mrs.len() * 3);
    for reviewed in &mrs {
        let iid = reviewed.mr.iid;
        jobs.push(Box::new(move |api| {
            get_json(
                api,
                kind,
                &format!("{}/merge_requests/{iid}/approvals", project.api()),
                &format!("approvals of merge request !{iid}"),
            )
            .map(Piece::Approvals)
        }));
        jobs.push(Box::new(move |api| {
            get_all(
                api,
                kind,
                &format!("{}/merge_requests/{iid}/versions", project.api()),
                &format!("diff versions of merge request !{iid}"),
                10,
            )
            .map(Piece::Versions)
        }));
        let (head, refs, pipeline) = (
            reviewed.mr.sha.clone(),
            reviewed.mr.pipeline_refs(),
            reviewed.pipeline.clone(),
        );
        jobs.push(Box::new(move |api| {
            Ok(Piece::HeadChecks(match &pipeline {
                Some(pl) => super::checks::jobs(api, project, kind, pl),
                None => super::checks::read(api, project, kind, &head, &refs),
            }))
        }));
    }
    let mut pieces = api.in_parallel(jobs).into_iter();
    let mut out = Vec::with_capacity(mrs.len());
    for reviewed in mrs {
        let (Some(approvals), Some(versions), Some(checks)) =
            (pieces.next(), pieces.next(), pieces.next())
        else {
            unreachable!("three pieces were read for every merge request")
        };
        let (Piece::Approvals(approvals), Piece::Versions(versions), Piece::HeadChecks(checks)) =
            (approvals?, versions?, checks?)
        else {
            unreachable!("the pieces come back in the order they were asked for")
        };
        out.push(change_request(reviewed, approvals, versions, checks));
    }
    Ok(out)
}

/// The change request a merge request makes with its commits, approvals, diff versions
/// and head jobs.
fn change_request(
    reviewed: Reviewed,
    approvals: RawApprovals,
    mut versions: Vec<RawVersion>,
    head_checks: Result<CommitChecks, Gap>,
) -> ChangeRequest {
    let Reviewed { mr, commits, .. } = reviewed;
    let iid = mr.iid;
    versions.sort_by_key(|v| v.id);
    let mut contributors: Vec<Actor> = Vec::new();
    for c in &commits {
        contributors.push(git_actor(&c.author_name, &c.author_email));
        if let (Some(name), Some(email)) = (&c.committer_name, &c.committer_email) {
            contributors.push(git_actor(name, email));
        }
        for (name, email) in co_authors(&c.message) {
            contributors.push(git_actor(&name, &email));
        }
    }
    contributors.sort();
    contributors.dedup();
    let reviews = approvals
        .approved_by
        .iter()
        .map(|a| Review {
            author: a.user.account_actor(),
            state: ReviewState::Approved,
            // GitLab lets only eligible approvers approve (at least the Developer role,
            // or named in an approval rule): no drive-by approvals to tell apart.
            can_push: true,
            submitted_at: a.approved_at.clone(),
            commit: None,
        })
        .collect();
    let merge_sha = merged_commit(&mr).map(str::to_string);
    ChangeRequest {
        number: iid,
        title: mr.title,
        author: mr.author.account_actor(),
        base_branch: mr.target_branch,
        head_sha: mr.sha.clone(),
        merge_sha,
        merged_by: mr.merge_user.or(mr.merged_by).map(|u| u.account_actor()),
        merged_at: mr.merged_at,
        contributors,
        reviews,
        pushes: versions
            .into_iter()
            .map(|v| Push {
                head_sha: v.head_commit_sha,
                at: v.created_at,
            })
            .collect(),
        head_checks: Some(head_checks),
    }
}

/// `Co-authored-by: Name <email>` trailers of a commit message.
fn co_authors(message: &str) -> Vec<(String, String)> {
    message
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            if !key.trim().eq_ignore_ascii_case("co-authored-by") {
                return None;
            }
            let (name, email) = value.trim().split_once('<')?;
            Some((
                name.trim().to_string(),
                email.trim_end_matches('>').trim().to_string(),
            ))
        })
        .collect()
}

/// A git identity: shown as `name <email>`, known by its name and its e-mail.
fn git_actor(name: &str, email: &str) -> Actor {
    let mut actor = Actor::account(git_display(name, email), false);
    actor.identities = [name, email]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .collect();
    actor
}

pub(super) fn git_display(name: &str, email: &str) -> String {
    format!("{name} <{email}>")
}

impl User {
    /// The account, known also by its display name and public e-mail (what its commits
    /// may carry).
    fn account_actor(&self) -> Actor {
        let mut actor = self.actor();
        actor.identities = [Some(&self.name), self.public_email.as_ref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .cloned()
            .collect();
        actor
    }
}

#[derive(Deserialize)]
struct RawApprovals {
    approved_by: Vec<RawApproval>,
}

#[derive(Deserialize)]
struct RawApproval {
    user: User,
    /// GitLab 16.x and later; without it the approval cannot be dated against the
    /// pushes and does not count (the stale-approval rule fails closed).
    #[serde(default)]
    approved_at: Option<String>,
}

#[derive(Deserialize)]
struct RawVersion {
    id: u64,
    head_commit_sha: String,
    created_at: String,
}

#[cfg(test)]
mod tests {
    use super::co_authors;

    #[test]
    fn co_author_trailers_are_read() {
        let message = "Fix\n\nCo-authored-by: Eve Example <eve@example.com>\nco-authored-by:Bob <bob@x>\nSigned-off-by: A <a@x>";
        assert_eq!(
            co_authors(message),
            vec![
                ("Eve Example".into(), "eve@example.com".into()),
                ("Bob".into(), "bob@x".into())
            ]
        );
    }
}
