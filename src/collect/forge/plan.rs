//! What to read from the forge, from the flags and the CI run.
//!
//! `--range BASE..HEAD` wins. Otherwise the CI event decides: a pull request run gates
//! the PR itself (pre-merge), a tag push verifies the previous tag up to this one, a
//! branch push verifies the pushed range (`before..after` of the event payload).

use super::{ForgeRequest, RangeRequest};
use crate::ci::CiContext;

/// Flags and CI facts the plan is made from.
#[derive(Debug, Clone, Default)]
pub struct PlanInputs {
    /// `--range BASE..HEAD`.
    pub range: Option<String>,
    /// `--branch` (or the CI ref's branch).
    pub branch: Option<String>,
    /// `--commit` (or the CI commit).
    pub commit: Option<String>,
    /// The PR's target branch in a pull request run.
    pub base_ref: Option<String>,
    /// The CI event payload (GitHub's `GITHUB_EVENT_PATH` file), when read.
    pub event: Option<serde_json::Value>,
    /// What a GitLab pipeline says, in GitLab CI.
    pub gitlab: Option<GitlabPipeline>,
    /// Which reads the enabled controls need.
    pub need_protection: bool,
    /// Peer review is enabled.
    pub need_changes: bool,
    /// Required checks are enabled.
    pub need_checks: bool,
    /// The SAST control asks for open code-scanning alerts.
    pub need_alerts: bool,
}

/// A GitLab pipeline's facts about its range (the merge request and tag come from the
/// CI context: `CI_MERGE_REQUEST_IID`, `CI_COMMIT_TAG`).
#[derive(Debug, Clone, Default)]
pub struct GitlabPipeline {
    /// The merge request's head in a merge request pipeline
    /// (`CI_MERGE_REQUEST_SOURCE_BRANCH_SHA`, else `CI_COMMIT_SHA`).
    pub merge_request_head: Option<String>,
    /// `CI_COMMIT_BEFORE_SHA`: the branch's previous head in a push pipeline (zeros for
    /// a new branch, merge request, scheduled and manual pipelines).
    pub before_sha: Option<String>,
}

/// A usage problem with `--range`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadRange(String);

/// Decides what to read.
pub fn plan(inputs: &PlanInputs, ctx: &CiContext) -> Result<ForgeRequest, BadRange> {
    let ref_branch = ctx
        .git_ref
        .as_deref()
        .and_then(|r| r.strip_prefix("refs/heads/"))
        .map(str::to_string);
    let tag = ctx
        .git_ref
        .as_deref()
        .and_then(|r| r.strip_prefix("refs/tags/"))
        .map(str::to_string);
    let branch = inputs
        .branch
        .clone()
        .or_else(|| inputs.base_ref.clone())
        .or(ref_branch);
    let pr_head = inputs
        .event
        .as_ref()
        .and_then(|e| e.pointer("/pull_request/head/sha"))
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .or_else(|| {
            let gitlab = inputs.gitlab.as_ref()?;
            ctx.change_number?;
            gitlab.merge_request_head.clone()
        });
    // In a pull request run GITHUB_SHA is a synthetic merge commit: checks ran on the head.
    let mut commit = inputs
        .commit
        .clone()
        .or(pr_head)
        .or_else(|| ctx.commit.clone());

    let range = if let Some(spec) = &inputs.range {
        let (base, head) = spec
            .split_once("..")
            .filter(|(b, h)| !b.is_empty() && !h.is_empty() && !h.starts_with('.'))
            .ok_or_else(|| {
                BadRange(format!(
                    "--range {spec}: expected BASE..HEAD (two commit SHAs or refs)"
                ))
            })?;
        // The commit whose checks count is the head of the range, unless --commit says
        // otherwise; a head given as a ref cannot be matched to the SHA a check ran on.
        if inputs.commit.is_none() && inputs.need_checks {
            if !is_full_sha(head) {
                return Err(BadRange(format!(
                    "--range {spec}: required checks are read for the head of the range, and `{head}` is not a full commit SHA: give --commit SHA"
                )));
            }
            commit = Some(head.to_string());
        }
        Some(RangeRequest::Commits {
            base: base.to_string(),
            head: head.to_string(),
            branch: branch.clone(),
            origin: format!("--range {spec}"),
        })
    } else if let Some(number) = ctx.change_number {
        Some(RangeRequest::PullRequest {
            number,
            expected_head: commit.clone(),
        })
    } else if let Some(tag) = tag {
        Some(RangeRequest::PreviousTag {
            tag,
            branch: branch.clone(),
        })
    } else if let Some(gitlab) = &inputs.gitlab {
        gitlab_push_range(gitlab, ctx.commit.as_deref(), branch.clone())
    } else {
        push_range(inputs.event.as_ref(), branch.clone())
    };
    let alerts_ref = ctx
        .git_ref
        .clone()
        .or_else(|| branch.as_ref().map(|b| format!("refs/heads/{b}")));
    // As GitLab names a pipeline's ref: a branch or tag by its name, a merge request
    // pipeline by `refs/merge-requests/N/head`.
    let commit_ref = ctx
        .git_ref
        .as_deref()
        .and_then(|r| {
            r.strip_prefix("refs/heads/")
                .or(r.strip_prefix("refs/tags/"))
                .map(str::to_string)
                .or_else(|| r.starts_with("refs/merge-requests/").then(|| r.to_string()))
        })
        .or_else(|| branch.clone());
    Ok(ForgeRequest {
        commit_ref: if inputs.need_checks { commit_ref } else { None },
        alerts_ref: if inputs.need_alerts { alerts_ref } else { None },
        branch: if inputs.need_protection { branch } else { None },
        range: if inputs.need_changes { range } else { None },
        commit: if inputs.need_checks { commit } else { None },
    })
}

/// 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
fn is_full_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `before..after` of a push event; none for a new branch (`before` is all zeros).
fn push_range(event: Option<&serde_json::Value>, branch: Option<String>) -> Option<RangeRequest> {
    let event = event?;
    let before = event.get("before")?.as_str()?;
    let after = event.get("after")?.as_str()?;
    if before.chars().all(|c| c == '0') {
        return None;
    }
    Some(RangeRequest::Commits {
        base: before.to_string(),
        head: after.to_string(),
        branch,
        origin: "push event (before..after)".to_string(),
    })
}

/// `CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA` of a GitLab push pipeline; none when GitLab
/// gives no previous head (all zeros).
fn gitlab_push_range(
    pipeline: &GitlabPipeline,
    commit: Option<&str>,
    branch: Option<String>,
) -> Option<RangeRequest> {
    let before = pipeline.before_sha.as_deref()?;
    if before.chars().all(|c| c == '0') {
        return None;
    }
    Some(RangeRequest::Commits {
        base: before.to_string(),
        head: commit?.to_string(),
        branch,
        origin: "push pipeline (CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA)".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::CiSystem;

    fn ctx(git_ref: &str, change: Option<u64>) -> CiContext {
        CiContext {
            system: CiSystem::GithubActions,
            git_ref: Some(git_ref.into()),
            change_number: change,
            commit: Some("merge-sha".into()),
            ..CiContext::local()
        }
    }

    fn all() -> PlanInputs {
        PlanInputs {
            need_protection: true,
            need_changes: true,
            need_checks: true,
            ..Default::default()
        }
    }

    #[test]
    fn a_pull_request_run_gates_the_pr_on_its_head() {
        let inputs = PlanInputs {
            base_ref: Some("main".into()),
            event: Some(serde_json::json!({"pull_request": {"head": {"sha": "head-sha"}}})),
            ..all()
        };
        let plan = plan(&inputs, &ctx("refs/pull/7/merge", Some(7))).unwrap();
        assert_eq!(
            plan.range,
            Some(RangeRequest::PullRequest {
                number: 7,
                expected_head: Some("head-sha".into())
            })
        );
        assert_eq!(plan.branch.as_deref(), Some("main"));
        assert_eq!(plan.commit.as_deref(), Some("head-sha"));
    }

    #[test]
    fn a_tag_push_verifies_since_the_previous_tag() {
        let plan = plan(&all(), &ctx("refs/tags/v1.2.0", None)).unwrap();
        assert_eq!(
            plan.range,
            Some(RangeRequest::PreviousTag {
                tag: "v1.2.0".into(),
                branch: None
            })
        );
    }

    #[test]
    fn a_branch_push_verifies_the_pushed_range() {
        let inputs = PlanInputs {
            event: Some(serde_json::json!({"before": "aaa", "after": "bbb"})),
            ..all()
        };
        let plan = plan(&inputs, &ctx("refs/heads/main", None)).unwrap();
        assert!(
            matches!(plan.range, Some(RangeRequest::Commits { ref base, ref head, .. }) if base == "aaa" && head == "bbb")
        );
        let new_branch = PlanInputs {
            event: Some(serde_json::json!({"before": "0000000", "after": "bbb"})),
            ..all()
        };
        assert_eq!(
            super::plan(&new_branch, &ctx("refs/heads/main", None))
                .unwrap()
                .range,
            None
        );
    }

    #[test]
    fn the_checks_that_count_are_the_range_heads_unless_commit_says_otherwise() {
        let head = "1".repeat(40);
        let inputs = PlanInputs {
            range: Some(format!("{}..{head}", "3".repeat(40))),
            ..all()
        };
        let local = CiContext::local();
        assert_eq!(plan(&inputs, &local).unwrap().commit, Some(head.clone()));
        let pinned = PlanInputs {
            commit: Some("2".repeat(40)),
            ..inputs.clone()
        };
        assert_eq!(plan(&pinned, &local).unwrap().commit, Some("2".repeat(40)));
        let by_ref = PlanInputs {
            range: Some("v1.0.0..v1.1.0".into()),
            ..all()
        };
        let err = plan(&by_ref, &local).unwrap_err().to_string();
        assert!(err.contains("give --commit"), "{err}");
    }

    #[test]
    fn a_gitlab_pipeline_gives_its_range() {
        let gitlab = |before: &str| PlanInputs {
            gitlab: Some(GitlabPipeline {
                merge_request_head: Some("mr-head".into()),
                before_sha: Some(before.into()),
            }),
            ..all()
        };
        let push = CiContext {
            system: CiSystem::GitlabCi,
            git_ref: Some("refs/heads/main".into()),
            commit: Some("new".into()),
            ..CiContext::local()
        };
        assert!(matches!(
            plan(&gitlab("old"), &push).unwrap().range,
            Some(RangeRequest::Commits { ref base, ref head, .. }) if base == "old" && head == "new"
        ));
        assert_eq!(plan(&gitlab(&"0".repeat(40)), &push).unwrap().range, None);
        let mr = CiContext {
            git_ref: Some("refs/merge-requests/9/head".into()),
            change_number: Some(9),
            ..push.clone()
        };
        let planned = plan(&gitlab("0"), &mr).unwrap();
        assert_eq!(
            planned.range,
            Some(RangeRequest::PullRequest {
                number: 9,
                expected_head: Some("mr-head".into())
            })
        );
        assert_eq!(planned.commit.as_deref(), Some("mr-head"));
        // The merge request pipeline's own ref is the one whose jobs count.
        assert_eq!(
            planned.commit_ref.as_deref(),
            Some("refs/merge-requests/9/head")
        );
        assert_eq!(
            plan(&gitlab("old"), &push).unwrap().commit_ref.as_deref(),
            Some("main")
        );
    }

    #[test]
    fn range_flag_wins_and_is_validated() {
        let inputs = PlanInputs {
            range: Some("v1.0.0..v1.1.0".into()),
            commit: Some("merge-sha".into()),
            ..all()
        };
        assert!(matches!(
            plan(&inputs, &ctx("refs/pull/7/merge", Some(7)))
                .unwrap()
                .range,
            Some(RangeRequest::Commits { .. })
        ));
        for bad in ["abc", "..x", "a..", "a...b"] {
            let inputs = PlanInputs {
                range: Some(bad.into()),
                ..all()
            };
            assert!(plan(&inputs, &CiContext::local()).is_err(), "{bad}");
        }
    }
}
