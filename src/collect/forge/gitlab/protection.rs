//! Branch protection from GitLab: the protected-branch entries that match the branch,
//! the project's merge request approval settings and rules, its push rule (signed
//! commits) and merge method (linear history), read at once.
//!
//! How GitLab's settings map onto the policy's keys:
//! - `require_pull_request`: developers cannot push (every push access level is "No
//!   one" or Maintainer and above); merges then go through a merge request.
//! - `min_approvals`: the largest `approvals_required` of the regular and any-approver
//!   rules that apply to the branch (each must be satisfied, so the largest is a floor;
//!   a regular rule with no eligible approver counts 0, as GitLab makes it optional),
//!   and only while merge requests cannot override the rules.
//! - `dismiss_stale_reviews`: `reset_approvals_on_push`.
//! - `code_owner_review`: `code_owner_approval_required` on the protected branch.
//! - `block_force_pushes`: `allow_force_push` off. `block_deletions`: a protected
//!   branch cannot be deleted by a push (only a Maintainer, in the UI or API).
//! - `no_bypass`: nobody pushes straight to the branch: no per-user, per-group or
//!   deploy-key allowance, and no role allowed to push (Maintainers pushing bypass the
//!   merge request, as GitHub admins do where classic protection does not bind them).
//! - `signed_commits`: the push rule's `reject_unsigned_commits`;
//!   `linear_history`: merge method `ff` (fast-forward merges only).
//! - GitLab-only: `forbid_author_approval` (`merge_requests_author_approval` off),
//!   `forbid_committer_approval` (`merge_requests_disable_committers_approval`),
//!   `forbid_rule_override` (`disable_overriding_approvers_per_merge_request`).
//!
//! When several entries match (`main` and `*`), GitLab applies the most permissive, so
//! vouch does too: a setting holds only if every matching entry enforces it.

use serde::Deserialize;

use super::super::http::{ApiClient, Job};
use super::{Project, TokenKind, get_all, get_json};
use crate::evidence::forge::{
    BranchProtection, ProtectionSource, PullRequestRule, Requirements, SourceKind, SourceState,
};
use crate::evidence::{Gap, GapKind};

/// GitLab's access levels.
const NO_ONE: u32 = 0;
const MAINTAINER: u32 = 40;

/// Reads the protection of `branch`.
pub fn read(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    branch: &str,
) -> BranchProtection {
    let read_at = api.now();
    let base = project.api();
    let jobs: Vec<Job<'_, Part>> = vec![
        Box::new(|api| {
            Part::Branches(get_all(
                api,
                kind,
                &format!("{base}/protected_branches"),
                "protected branches",
                20,
            ))
        }),
        Box::new(|api| {
            Part::Settings(get_json(
                api,
                kind,
                &format!("{base}/approvals"),
                "merge request approval settings",
            ))
        }),
        Box::new(|api| {
            Part::Rules(get_all(
                api,
                kind,
                &format!("{base}/approval_rules"),
                "approval rules",
                20,
            ))
        }),
        Box::new(|api| Part::PushRule(push_rule(api, kind, &base))),
        Box::new(|api| Part::Project(get_json(api, kind, &base, "the project (merge method)"))),
    ];
    let mut branches = None;
    let mut settings = None;
    let mut rules = None;
    let mut push = None;
    let mut info = None;
    for part in api.in_parallel(jobs) {
        match part {
            Part::Branches(b) => branches = Some(b),
            Part::Settings(s) => settings = Some(s),
            Part::Rules(r) => rules = Some(r),
            Part::PushRule(p) => push = Some(p),
            Part::Project(p) => info = Some(p),
        }
    }
    // in_parallel answers every job; a part that did not come back is a gap, not a default.
    fn missing<T>() -> Result<T, Gap> {
        Err(Gap::new(GapKind::Unavailable, "protection", "not read"))
    }
    let sources = sources(
        branch,
        branches.unwrap_or_else(missing),
        settings.unwrap_or_else(missing),
        rules.unwrap_or_else(missing),
        push.unwrap_or_else(missing),
        info.unwrap_or_else(missing),
    );
    BranchProtection {
        branch: branch.to_string(),
        read_at,
        sources,
    }
}

enum Part {
    Branches(Result<Vec<RawProtectedBranch>, Gap>),
    Settings(Result<RawSettings, Gap>),
    Rules(Result<Vec<RawRule>, Gap>),
    PushRule(Result<Option<RawPushRule>, Gap>),
    Project(Result<RawProject, Gap>),
}

/// The push rule, `None` when the project has none (GitLab answers `null` or 404).
fn push_rule(api: &mut ApiClient, kind: TokenKind, base: &str) -> Result<Option<RawPushRule>, Gap> {
    let what = "push rule";
    let response = api.get(&format!("{base}/push_rule"), what)?;
    if response.status == http::StatusCode::NOT_FOUND && kind == TokenKind::Private {
        let message = super::super::http::error_message(&response.body);
        // "404 Not Found" for a project without a push rule; a missing project says
        // "404 Project Not Found" and is a gap like any other.
        if message == "404 Not Found" {
            return Ok(None);
        }
    }
    super::check(&response, kind, what)?;
    response.json(what)
}

/// The sources, as the check reads them: the matching protected branch with the
/// approval settings folded into its merge request requirements (approvals only
/// matter where developers cannot push), and, when the approval settings could not
/// be read, a source that says so, so that what they decide is unknown, not missing.
fn sources(
    branch: &str,
    branches: Result<Vec<RawProtectedBranch>, Gap>,
    settings: Result<RawSettings, Gap>,
    rules: Result<Vec<RawRule>, Gap>,
    push: Result<Option<RawPushRule>, Gap>,
    project: Result<RawProject, Gap>,
) -> Vec<ProtectionSource> {
    let source = |state, name| ProtectionSource {
        kind: SourceKind::GitlabProtectedBranch,
        name,
        state,
    };
    let branches = match branches {
        Ok(b) => b,
        Err(gap) => return vec![source(SourceState::Unreadable { reason: gap.detail }, None)],
    };
    let matching: Vec<&RawProtectedBranch> = branches
        .iter()
        .filter(|b| matches(&b.name, branch))
        .collect();
    if matching.is_empty() {
        return vec![source(SourceState::Absent, None)];
    }
    let name = matching
        .iter()
        .map(|b| b.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut requirements = Requirements::default();
    let mut exemptions = Vec::new();
    let mut developers_cannot_push = true;
    for entry in &matching {
        // GitLab always lists who may push ("No one" is level 0): an empty list says
        // nothing, and must not read as nobody.
        if entry.push_access_levels.is_empty() {
            return vec![source(
                SourceState::Unreadable {
                    reason: format!(
                        "protected branch `{}`: no push access levels listed",
                        entry.name
                    ),
                },
                Some(entry.name.clone()),
            )];
        }
        for level in &entry.push_access_levels {
            if let Some(user) = level.user_id {
                exemptions.push(format!("user {user} may push"));
            } else if let Some(group) = level.group_id {
                exemptions.push(format!("group {group} may push"));
            } else if let Some(key) = level.deploy_key_id {
                exemptions.push(format!("deploy key {key} may push"));
            } else {
                match level.access_level {
                    Some(NO_ONE) => {}
                    // Developers (30) and below: changes need no merge request at all.
                    Some(l) if l < MAINTAINER => developers_cannot_push = false,
                    // Maintainers (40) or administrators (60) pushing straight to the
                    // branch bypass the merge request, as GitHub admins do where
                    // classic protection does not bind them.
                    Some(MAINTAINER) => exemptions.push("maintainers may push".into()),
                    Some(l) => exemptions.push(format!("access level {l} may push")),
                    None => {
                        return vec![source(
                            SourceState::Unreadable {
                                reason: format!(
                                    "protected branch `{}`: a push access entry names no level, user, group or deploy key",
                                    entry.name
                                ),
                            },
                            Some(entry.name.clone()),
                        )];
                    }
                }
            }
        }
    }
    exemptions.sort();
    exemptions.dedup();
    requirements.exemptions = Ok(exemptions);
    requirements.block_force_pushes = matching.iter().all(|b| !b.allow_force_push);
    // A protected branch cannot be deleted by a push; a Maintainer can still delete it
    // in the UI or the API, as a GitHub admin can where rules do not bind admins.
    requirements.block_deletions = true;
    let code_owners = matching.iter().all(|b| b.code_owner_approval_required);
    let mut extra = Vec::new();
    match push {
        Ok(rule) => requirements.signed_commits = rule.is_some_and(|r| r.reject_unsigned_commits),
        Err(gap) => extra.push(unreadable("push rules", gap)),
    }
    match project {
        Ok(p) => {
            requirements.linear_history = p.merge_method.as_deref() == Some("ff");
            // GitLab has no per-branch list of required jobs: the project can require
            // the pipeline to succeed, recorded here; the jobs that must have passed are
            // the ones the policy names (`required_checks.checks`).
            if p.only_allow_merge_if_pipeline_succeeds {
                requirements
                    .other_rules
                    .push("only_allow_merge_if_pipeline_succeeds".into());
            }
        }
        Err(gap) => extra.push(unreadable("merge method", gap)),
    }
    let approvals = match (settings, rules) {
        (Ok(settings), Ok(rules)) => Some(review_rule(&settings, &rules, &matching, code_owners)),
        (Err(gap), _) | (_, Err(gap)) => {
            extra.push(ProtectionSource {
                kind: SourceKind::GitlabApprovals,
                name: None,
                state: SourceState::Unreadable { reason: gap.detail },
            });
            None
        }
    };
    if developers_cannot_push {
        // Without the approval settings only "through a merge request" is known; the
        // rest stays at what cannot satisfy a requirement, and the unreadable source
        // makes those requirements unknown.
        requirements.pull_request = Some(approvals.unwrap_or(PullRequestRule {
            code_owner_review: code_owners,
            author_may_approve: true,
            committers_may_approve: true,
            rules_overridable: true,
            ..PullRequestRule::default()
        }));
    }
    let mut out = vec![source(SourceState::Enforces(requirements), Some(name))];
    out.extend(extra);
    out
}

fn unreadable(what: &str, gap: Gap) -> ProtectionSource {
    ProtectionSource {
        kind: SourceKind::GitlabApprovals,
        name: Some(what.to_string()),
        state: SourceState::Unreadable { reason: gap.detail },
    }
}

/// The merge request rule: approvals from the rules that apply to the branch.
fn review_rule(
    settings: &RawSettings,
    rules: &[RawRule],
    matching: &[&RawProtectedBranch],
    code_owners: bool,
) -> PullRequestRule {
    let applies = |rule: &RawRule| {
        // Report-approver rules (license, coverage) bind only when their scanner finds
        // something; code-owner rules are the protected branch's setting.
        let counted = matches!(
            rule.rule_type.as_deref(),
            None | Some("regular" | "any_approver")
        );
        counted
            && (rule.applies_to_all_protected_branches
                || rule.protected_branches.is_empty()
                || rule.protected_branches.iter().any(|p| {
                    matching
                        .iter()
                        .any(|m| m.id == p.id || p.name.as_deref() == Some(&m.name))
                }))
    };
    // GitLab treats a rule no one is eligible to satisfy as optional.
    let effective = |rule: &RawRule| match &rule.eligible_approvers {
        Some(eligible) if rule.rule_type.as_deref() == Some("regular") && eligible.is_empty() => 0,
        _ => rule.approvals_required,
    };
    let required = rules
        .iter()
        .filter(|r| applies(r))
        .map(effective)
        .max()
        .unwrap_or(0);
    PullRequestRule {
        required_approvals: required,
        dismiss_stale_reviews: settings.reset_approvals_on_push,
        code_owner_review: code_owners,
        // GitLab has no "approval of the last push" setting; preventing committers'
        // approval is the nearest, and it is kept apart.
        last_push_approval: false,
        author_may_approve: settings.merge_requests_author_approval,
        committers_may_approve: !settings.merge_requests_disable_committers_approval,
        rules_overridable: !settings.disable_overriding_approvers_per_merge_request,
    }
}

/// Whether a protected-branch name or wildcard (`release/*`, `*-stable`) covers
/// `branch`. GitLab's `*` matches any run of characters, `/` included.
pub fn matches(pattern: &str, branch: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == branch;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !branch.starts_with(first) || branch.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &branch[first.len()..];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[derive(Deserialize)]
struct RawProtectedBranch {
    id: u64,
    name: String,
    /// Required: an entry without it says nothing about who may push.
    push_access_levels: Vec<RawAccess>,
    /// Required: an answer without it is not protection that "allows nothing".
    allow_force_push: bool,
    #[serde(default, deserialize_with = "lenient_bool")]
    code_owner_approval_required: bool,
}

#[derive(Deserialize)]
struct RawAccess {
    #[serde(default)]
    access_level: Option<u32>,
    #[serde(default)]
    user_id: Option<u64>,
    #[serde(default)]
    group_id: Option<u64>,
    #[serde(default)]
    deploy_key_id: Option<u64>,
}

/// The project's approval settings. The fields vouch decides on are required: an
/// answer without them (`{}`, another endpoint's body) is not "nothing enforced".
#[derive(Deserialize)]
struct RawSettings {
    reset_approvals_on_push: bool,
    merge_requests_author_approval: bool,
    merge_requests_disable_committers_approval: bool,
    disable_overriding_approvers_per_merge_request: bool,
}

#[derive(Deserialize)]
struct RawRule {
    approvals_required: u32,
    #[serde(default)]
    rule_type: Option<String>,
    #[serde(default)]
    eligible_approvers: Option<Vec<serde::de::IgnoredAny>>,
    #[serde(default)]
    applies_to_all_protected_branches: bool,
    #[serde(default)]
    protected_branches: Vec<RawBranchRef>,
}

/// A protected branch a rule applies to: by id, and (GitLab's examples do not always
/// agree on ids) by its unique name.
#[derive(Deserialize)]
struct RawBranchRef {
    id: u64,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawPushRule {
    #[serde(default)]
    reject_unsigned_commits: bool,
}

#[derive(Deserialize)]
struct RawProject {
    #[allow(dead_code)]
    id: u64,
    #[serde(default)]
    merge_method: Option<String>,
    #[serde(default)]
    only_allow_merge_if_pipeline_succeeds: bool,
}

/// GitLab's documentation shows `code_owner_approval_required` as `"false"` in one
/// answer: a string `"true"`/`"false"` reads as the boolean it names.
fn lenient_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Bool(bool),
        Text(String),
    }
    match Either::deserialize(d)? {
        Either::Bool(b) => Ok(b),
        Either::Text(t) if t == "true" => Ok(true),
        Either::Text(t) if t == "false" => Ok(false),
        Either::Text(t) => Err(serde::de::Error::custom(format!(
            "expected a boolean, got {t:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn wildcards_match_as_gitlab_matches_them() {
        assert!(matches("main", "main"));
        assert!(!matches("main", "main2"));
        assert!(matches("release/*", "release/1.2"));
        assert!(matches("release/*", "release/a/b"));
        assert!(!matches("release/*", "releases/1"));
        assert!(matches("*-stable", "1-2-stable"));
        assert!(matches("*", "anything"));
        assert!(matches("a*b*c", "aXbYc"));
        assert!(!matches("a*b*c", "aXcYb"));
        assert!(!matches("ab*ba", "aba"));
    }
}
