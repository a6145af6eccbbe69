//! A merge request's review as the evidence keeps it: its approvals (with the times
//! GitLab gives them) and diff versions, and who contributed to its commits, by git
//! identity and by co-author trailer.

use serde::Deserialize;

use super::super::http::ApiClient;
use super::changes::{RawCommit, RawMr, merged_commit};
use super::{Project, TokenKind, User, get_all, get_json};
use crate::evidence::Gap;
use crate::evidence::forge::{Actor, ChangeRequest, CommitChecks, Push, Review, ReviewState};

/// The approvals (with their times) and diff versions of a merge request, and the
/// change request they make with its commits.
pub(super) fn complete(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    mr: RawMr,
    commits: Vec<RawCommit>,
    head_checks: Result<CommitChecks, Gap>,
) -> Result<ChangeRequest, Gap> {
    let p = project.api();
    let iid = mr.iid;
    let approvals: RawApprovals = get_json(
        api,
        kind,
        &format!("{p}/merge_requests/{iid}/approvals"),
        &format!("approvals of merge request !{iid}"),
    )?;
    let mut versions: Vec<RawVersion> = get_all(
        api,
        kind,
        &format!("{p}/merge_requests/{iid}/versions"),
        &format!("diff versions of merge request !{iid}"),
        10,
    )?;
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
    Ok(ChangeRequest {
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
    })
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
