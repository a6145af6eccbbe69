//! Peer review: every change that reached the branch came through a pull request
//! approved by someone independent of it, on the code that was merged.
//!
//! What happened is checked, not what a setting promises: an approval counts only if
//! its author is not the PR author nor any author, co-author or committer of its
//! commits, is not a bot (unless allowed), was not dismissed, and was made on the head
//! commit that was merged (an approval followed by a push is stale, whatever the
//! branch settings say). A commit with no merged PR is a direct push.

mod merged_tree;

use schemars::JsonSchema;
use serde::Deserialize;

use std::collections::{HashMap, HashSet};

use super::change_record::{
    ApprovalRecord, ChangeKind, ChangeRecord, Naming, RuleOutcome, RuleStatus,
};
use super::{CheckOutput, Code, Control, FindingSubject, Section};
use crate::evidence::Evidence;
use crate::evidence::forge::{BranchCommit, ChangeRequest, ChangeSet, Review, ReviewState};
use crate::evidence::git::GitEvidence;
use crate::policy::Policy;
use crate::policy::sections::{NonEmpty, yes};

/// Peer review settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeerReviewPolicy {
    /// Set to false to skip the control without deleting its settings.
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub enabled: bool,
    /// When true, failures and errors are reported but do not fail the run.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub advisory: bool,
    /// Independent approvals each change needs.
    #[serde(default = "one")]
    pub min_approvals: u32,
    /// Count approvals by bots and apps.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub allow_bot_approvals: bool,
    /// Actors allowed to push directly, each with the reason.
    #[serde(default)]
    pub allowed_direct_pushes: Vec<DirectPushAllowance>,
    /// Require the reviewed-tree rule: a change merged on the range that no clone could
    /// compare (none given, a shallow checkout, another repository) is then an error
    /// instead of `skipped`.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub require_merged_tree: bool,
}

/// An actor allowed to push without a pull request.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectPushAllowance {
    /// Login whose verified commit signature allows the push (an unsigned commit, or
    /// one whose author merely claims the name, is still a direct push).
    pub actor: NonEmpty,
    /// Why (shown in reports).
    pub reason: NonEmpty,
}

fn one() -> u32 {
    1
}

impl Default for PeerReviewPolicy {
    fn default() -> Self {
        PeerReviewPolicy {
            enabled: true,
            advisory: false,
            min_approvals: 1,
            allow_bot_approvals: false,
            allowed_direct_pushes: Vec::new(),
            require_merged_tree: false,
        }
    }
}

impl Section for PeerReviewPolicy {
    fn enabled(&self) -> bool {
        self.enabled
    }
    fn advisory(&self) -> bool {
        self.advisory
    }
}

/// The peer review control.
pub struct PeerReviewCheck;

code!(
    NO_EVIDENCE,
    "peer-review/no-evidence",
    Error,
    "The control is enabled but no range of changes was read.",
    "Run with `--forge github --range BASE..HEAD`, or in CI on a push, tag or pull request event."
);
code!(
    UNREADABLE,
    "peer-review/unreadable",
    Error,
    "The changes or their reviews could not be read from the forge.",
    "Check the token (GitHub: `contents: read`, `pull-requests: read`; GitLab: GITLAB_TOKEN with read_api, not CI_JOB_TOKEN) and the range."
);
code!(
    DIRECT_PUSH,
    "peer-review/direct-push",
    Violation,
    "A commit reached the branch without a merged pull request.",
    "Require pull requests on the branch; if this actor must push directly, list it under `peer_review.allowed_direct_pushes` with a reason."
);
code!(
    SELF_APPROVED,
    "peer-review/self-approved",
    Violation,
    "The only approvals came from the pull request's author.",
    "Have someone who did not write the change approve it."
);
code!(
    APPROVED_BY_CONTRIBUTOR,
    "peer-review/approved-by-contributor",
    Violation,
    "An approval came from an author, co-author or committer of the change's commits.",
    "Have someone who did not contribute to the change approve it."
);
code!(
    STALE_APPROVAL,
    "peer-review/stale-approval",
    Violation,
    "An approval was given on an earlier head: commits were pushed after it, so the merged code was not what was approved.",
    "Re-approve after the last push; enable dismissal of stale approvals on the branch."
);
code!(
    BOT_APPROVAL,
    "peer-review/bot-approval",
    Violation,
    "An approval came from a bot or app, which the policy does not count.",
    "Have a person approve, or set `peer_review.allow_bot_approvals: true` if the bot is a reviewer you trust."
);
code!(
    DISMISSED_APPROVAL,
    "peer-review/dismissed-approval",
    Violation,
    "A review was dismissed and the reviewer did not approve again (GitHub records a dismissed approval and a dismissed change request alike).",
    "Have the change approved again."
);
code!(
    APPROVER_CANNOT_PUSH,
    "peer-review/approver-cannot-push",
    Violation,
    "An approval came from someone without write access to the repository; GitHub's own protection ignores such approvals.",
    "Have a maintainer (someone who can push) approve the change."
);
code!(
    APPROVED_AFTER_MERGE,
    "peer-review/approved-after-merge",
    Violation,
    "An approval was given after the pull request was merged (or its time is unknown): the change reached the branch unapproved.",
    "Require approvals before merging (branch protection or rulesets, with admins included); approving afterwards does not review what was shipped."
);
code!(
    UNKNOWN_APPROVER,
    "peer-review/unknown-approver",
    Violation,
    "An approval came from a deleted account (`ghost`), whose independence from the change cannot be shown.",
    "Have a current maintainer approve the change, or waive it with the evidence of who approved."
);
code!(
    NOT_APPROVED,
    "peer-review/not-approved",
    Violation,
    "The change had fewer independent approvals than the policy requires.",
    "Get the required number of approvals from people independent of the change."
);

pub use merged_tree::{MERGED_TREE_DIFFERS, MERGED_TREE_UNREADABLE};

static CODES: [&Code; 14] = [
    &NO_EVIDENCE,
    &UNREADABLE,
    &DIRECT_PUSH,
    &SELF_APPROVED,
    &APPROVED_BY_CONTRIBUTOR,
    &STALE_APPROVAL,
    &BOT_APPROVAL,
    &DISMISSED_APPROVAL,
    &APPROVER_CANNOT_PUSH,
    &APPROVED_AFTER_MERGE,
    &UNKNOWN_APPROVER,
    &NOT_APPROVED,
    &MERGED_TREE_DIFFERS,
    &MERGED_TREE_UNREADABLE,
];

impl Control for PeerReviewCheck {
    type Section = PeerReviewPolicy;
    const ID: &'static str = "peer-review";
    const TITLE: &'static str = "Peer review";
    const CODES: &'static [&'static Code] = &CODES;

    fn section(policy: &Policy) -> Option<&PeerReviewPolicy> {
        policy.peer_review.as_ref()
    }

    fn evaluate(p: &PeerReviewPolicy, evidence: &Evidence) -> CheckOutput {
        let mut out = CheckOutput::default();
        let Some(observed) = evidence.forge.as_ref().and_then(|f| f.changes.as_ref()) else {
            out.findings.push(
                NO_EVIDENCE.finding(
                    "no changes were read (use --forge with --range, or run on a CI event)",
                ),
            );
            out.summary = "no forge evidence".into();
            return out;
        };
        match observed {
            Ok(changes) => evaluate(
                p,
                changes,
                Naming::of(evidence),
                evidence.git.as_ref(),
                &mut out,
            ),
            Err(gap) => {
                out.findings.push(UNREADABLE.finding(gap.to_string()));
                out.summary = "changes unreadable".into();
            }
        }
        super::sort_findings(&mut out.findings);
        out
    }

    fn inputs(evidence: &Evidence) -> usize {
        evidence.forge.as_ref().is_some_and(|f| f.changes.is_some()) as usize
    }
}

/// Why an approval does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Disqualified {
    Author,
    Contributor,
    Stale,
    Bot,
    Dismissed,
    CannotPush,
    AfterMerge,
    Deleted,
}

impl Disqualified {
    /// Every reason, in the order records list their rules.
    const ALL: [Disqualified; 8] = [
        Disqualified::Author,
        Disqualified::Contributor,
        Disqualified::Stale,
        Disqualified::Bot,
        Disqualified::Dismissed,
        Disqualified::CannotPush,
        Disqualified::AfterMerge,
        Disqualified::Deleted,
    ];

    fn code(self) -> &'static Code {
        match self {
            Disqualified::Author => &SELF_APPROVED,
            Disqualified::Contributor => &APPROVED_BY_CONTRIBUTOR,
            Disqualified::Stale => &STALE_APPROVAL,
            Disqualified::Bot => &BOT_APPROVAL,
            Disqualified::Dismissed => &DISMISSED_APPROVAL,
            Disqualified::CannotPush => &APPROVER_CANNOT_PUSH,
            Disqualified::AfterMerge => &APPROVED_AFTER_MERGE,
            Disqualified::Deleted => &UNKNOWN_APPROVER,
        }
    }

    fn explain(self) -> &'static str {
        match self {
            Disqualified::Author => "is the PR author",
            Disqualified::Contributor => "authored, co-authored or committed a commit of the PR",
            Disqualified::Stale => {
                "approved an earlier head; commits were pushed after the approval"
            }
            Disqualified::Bot => "is a bot",
            Disqualified::Dismissed => "had a review dismissed and did not approve again",
            Disqualified::CannotPush => "cannot push to the repository",
            Disqualified::AfterMerge => {
                "approved after the merge (or at an unknown time): the change shipped unapproved"
            }
            Disqualified::Deleted => "is a deleted account",
        }
    }
}

fn evaluate(
    p: &PeerReviewPolicy,
    changes: &ChangeSet,
    naming: Naming,
    git: Option<&GitEvidence>,
    out: &mut CheckOutput,
) {
    let mut direct = 0usize;
    let mut allowed_pushes: Vec<String> = Vec::new();
    let mut approved = 0usize;
    let mut trees = merged_tree::Tally::default();
    // One record per change, in branch order (newest first); a pull request whose
    // commits are not on the range (the pre-merge gate) comes after.
    let mut records: Vec<ChangeRecord> = Vec::new();
    let mut recorded: HashMap<u64, usize> = HashMap::new();
    let by_number: HashMap<u64, &ChangeRequest> = changes
        .change_requests
        .iter()
        .map(|c| (c.number, c))
        .collect();
    let on_range: HashSet<u64> = changes
        .commits
        .iter()
        .filter_map(|c| c.change_request)
        .collect();
    let mut review = |change: &ChangeRequest, out: &mut CheckOutput| {
        let mut record = review_change(p, change, naming, out);
        let rule = merged_tree::judge(
            change,
            on_range.contains(&change.number),
            git,
            p.require_merged_tree,
            &record.id,
            out,
        );
        if on_range.contains(&change.number) {
            match rule.status {
                RuleStatus::Skipped => trees.skipped += 1,
                _ => trees.compared += 1,
            }
        }
        record.rules.push(rule);
        record.status = record.overall();
        if record.status == RuleStatus::Pass {
            approved += 1;
        }
        record
    };
    for commit in &changes.commits {
        let Some(number) = commit.change_request else {
            let record = direct_push(p, commit, out);
            match record.rules.first().and_then(|r| r.detail.as_ref()) {
                Some(allowance) if record.status == RuleStatus::Pass => {
                    allowed_pushes.push(allowance.clone())
                }
                _ => direct += 1,
            }
            records.push(record);
            continue;
        };
        if let Some(&i) = recorded.get(&number) {
            records[i].commits.push(commit.sha.clone());
            continue;
        }
        let Some(change) = by_number.get(&number) else {
            // The collector reads every PR it links a commit to; a dangling link means
            // the evidence was edited or is incomplete, and the commit is unaccounted for.
            out.findings.push(UNREADABLE.finding(format!(
                "{} is linked to {} {}, which the evidence does not contain",
                short(&commit.sha),
                naming.noun,
                naming.id(number)
            )));
            continue;
        };
        let mut record = review(change, out);
        record.commits.push(commit.sha.clone());
        recorded.insert(number, records.len());
        records.push(record);
    }
    for change in &changes.change_requests {
        if !recorded.contains_key(&change.number) {
            let record = review(change, out);
            records.push(record);
        }
    }
    out.summary = format!(
        "{}: {} commit(s), {} pull request(s), {approved} with {} independent approval(s) on the merged head, {direct} direct push(es){}{}",
        changes.origin,
        changes.commits.len(),
        changes.change_requests.len(),
        p.min_approvals,
        if allowed_pushes.is_empty() {
            String::new()
        } else {
            format!("; allowed direct pushes: {}", allowed_pushes.join("; "))
        },
        trees.describe(git)
    );
    out.changes = records;
}

/// Judges a commit that reached the branch without a pull request.
fn direct_push(p: &PeerReviewPolicy, commit: &BranchCommit, out: &mut CheckOutput) -> ChangeRecord {
    // Git author fields can be typed by anyone: an allowance applies only to commits
    // whose signature the forge verified for that login.
    let allowance = p.allowed_direct_pushes.iter().find(|a| {
        commit
            .verified_signer
            .as_deref()
            .is_some_and(|signer| signer.eq_ignore_ascii_case(&a.actor.0))
    });
    let rule = match allowance {
        Some(allowed) => RuleOutcome::new(
            &DIRECT_PUSH,
            false,
            Some(format!(
                "{} by {} ({})",
                short(&commit.sha),
                allowed.actor.0,
                allowed.reason.0
            )),
        ),
        None => {
            out.findings.push(
                DIRECT_PUSH
                    .finding(format!(
                        "{} by {}: expected a merged pull request, got a direct push: {}",
                        short(&commit.sha),
                        commit.author,
                        commit.title
                    ))
                    .with_subject(FindingSubject {
                        id: Some(commit.sha.as_str().into()),
                        ..Default::default()
                    }),
            );
            RuleOutcome::new(&DIRECT_PUSH, true, None)
        }
    };
    let mut record = ChangeRecord {
        id: commit.sha.clone(),
        kind: ChangeKind::DirectPush,
        number: None,
        title: commit.title.clone(),
        author: commit.author.clone(),
        head_sha: None,
        merge_sha: Some(commit.sha.clone()),
        // Who pushed is not recorded by git; the signer is in the rule's detail.
        merged_by: None,
        merged_at: None,
        contributors: vec![commit.author.clone()],
        approvals: Vec::new(),
        commits: vec![commit.sha.clone()],
        status: RuleStatus::Pass,
        rules: vec![rule],
    };
    record.status = record.overall();
    record
}

/// Judges one pull request: findings for why it fails review, if it does, and its
/// record either way.
fn review_change(
    p: &PeerReviewPolicy,
    change: &ChangeRequest,
    naming: Naming,
    out: &mut CheckOutput,
) -> ChangeRecord {
    // The latest review per reviewer decides (a later COMMENTED does not undo an
    // approval on GitHub, a later CHANGES_REQUESTED or DISMISSED does).
    // Reviews after the merge (or at an unknown time) neither count nor undo what was
    // decided before it; an approval among them is recorded as not counted.
    let (before, after): (Vec<&Review>, Vec<&Review>) =
        change.reviews.iter().partition(|r| before_merge(r, change));
    let mut latest: Vec<&Review> = Vec::new();
    for r in before {
        if matches!(r.state, ReviewState::Commented | ReviewState::Pending) {
            continue;
        }
        latest.retain(|l| l.author != r.author);
        latest.push(r);
    }
    let mut approvals: Vec<(&Review, Option<Disqualified>)> = Vec::new();
    for r in change
        .reviews
        .iter()
        .filter(|r| r.state == ReviewState::Dismissed)
    {
        if !latest
            .iter()
            .any(|l| l.author == r.author && l.state == ReviewState::Approved)
        {
            approvals.push((r, Some(Disqualified::Dismissed)));
        }
    }
    for r in after.iter().filter(|r| r.state == ReviewState::Approved) {
        approvals.push((r, Some(Disqualified::AfterMerge)));
    }
    for r in latest.iter().filter(|r| r.state == ReviewState::Approved) {
        let reason = if r.author.deleted {
            // A deleted account cannot be shown to be independent of the change.
            Some(Disqualified::Deleted)
        } else if r.author.same_person(&change.author) {
            Some(Disqualified::Author)
        } else if change.contributors.iter().any(|c| c.same_person(&r.author)) {
            Some(Disqualified::Contributor)
        } else if r.author.bot && !p.allow_bot_approvals {
            Some(Disqualified::Bot)
        } else if !r.can_push {
            Some(Disqualified::CannotPush)
        } else if !approves_final_head(r, change) {
            Some(Disqualified::Stale)
        } else {
            None
        };
        approvals.push((r, reason));
    }
    let mut valid: Vec<&str> = approvals
        .iter()
        .filter(|(_, why)| why.is_none())
        .map(|(r, _)| r.author.login.as_str())
        .collect();
    valid.sort();
    valid.dedup();
    let passed = valid.len() as u32 >= p.min_approvals;
    let id = naming.id(change.number);
    if !passed {
        report_shortfall(p, change, &id, valid.len(), &approvals, out);
    }

    let mut rules = vec![
        RuleOutcome::new(
            &DIRECT_PUSH,
            false,
            Some(format!("merged through {} {id}", naming.noun)),
        ),
        // Fails when its own finding is emitted: the change is short and no
        // disqualified approval explains why (otherwise that reason's rule fails).
        RuleOutcome::new(
            &NOT_APPROVED,
            !passed && approvals.iter().all(|(_, why)| why.is_none()),
            Some(format!(
                "{} of {} independent approval(s){}",
                valid.len(),
                p.min_approvals,
                if valid.is_empty() {
                    String::new()
                } else {
                    format!(": {}", valid.join(", "))
                }
            )),
        ),
    ];
    for kind in Disqualified::ALL {
        let who: Vec<&str> = approvals
            .iter()
            .filter(|(_, why)| *why == Some(kind))
            .map(|(r, _)| r.author.login.as_str())
            .collect();
        // A disqualified approval breaks its rule only when the change lacked approvals
        // without it (that is when a finding reports it); otherwise it is a fact shown.
        rules.push(RuleOutcome::new(
            kind.code(),
            !passed && !who.is_empty(),
            (!who.is_empty()).then(|| format!("not counted: {}", who.join(", "))),
        ));
    }
    let mut record = ChangeRecord::pull_request(change, naming, rules);
    record.approvals = approvals
        .iter()
        .map(|(r, why)| ApprovalRecord {
            reviewer: r.author.login.clone(),
            submitted_at: r.submitted_at.clone(),
            commit: r.commit.clone(),
            counted: why.is_none(),
            not_counted: why.map(|w| w.code().code.to_string()),
        })
        .collect();
    record
}

/// Whether a review came before the merge. A merged change's approvals must carry a
/// time no later than the merge: an approval given afterwards reviewed nothing that
/// gated the branch. Before the merge (the pre-merge gate) every review counts. Both
/// times are RFC 3339 UTC as the forge writes them; one that does not parse fails
/// closed.
fn rfc3339(t: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
}

/// Whether an approval covers what was merged. An approval that names its commit
/// (GitHub) must name the final head. One that names none (GitLab) must come after the
/// last push that changed the diff, and that push must have produced the final head;
/// with no pushes recorded, or a time that does not parse, it cannot be shown to
/// cover the head, and does not count.
fn approves_final_head(review: &Review, change: &ChangeRequest) -> bool {
    if let Some(commit) = &review.commit {
        return *commit == change.head_sha;
    }
    let Some(last) = change
        .pushes
        .iter()
        .filter_map(|p| Some((rfc3339(&p.at)?, p)))
        .max_by_key(|(at, _)| *at)
    else {
        return false;
    };
    if change.pushes.iter().any(|p| rfc3339(&p.at).is_none()) || last.1.head_sha != change.head_sha
    {
        return false;
    }
    review
        .submitted_at
        .as_deref()
        .and_then(rfc3339)
        .is_some_and(|approved| approved > last.0)
}

fn before_merge(review: &Review, change: &ChangeRequest) -> bool {
    let Some(merged_at) = change.merged_at.as_deref() else {
        return change.merge_sha.is_none();
    };
    let parse = rfc3339;
    match (
        review.submitted_at.as_deref().and_then(parse),
        parse(merged_at),
    ) {
        (Some(approved), Some(merged)) => approved <= merged,
        _ => false,
    }
}

/// Findings for a change short of independent approvals: one per approval that did
/// not count, or "not approved" when there was none.
fn report_shortfall(
    p: &PeerReviewPolicy,
    change: &ChangeRequest,
    id: &str,
    counted: usize,
    approvals: &[(&Review, Option<Disqualified>)],
    out: &mut CheckOutput,
) {
    let subject = FindingSubject {
        id: Some(id.into()),
        ..Default::default()
    };
    let head = format!(
        "PR #{} \"{}\" by {} (merged by {}): expected {} independent approval(s) on the merged head, got {counted}",
        change.number,
        change.title,
        change.author.login,
        change
            .merged_by
            .as_ref()
            .map_or("nobody yet", |m| m.login.as_str()),
        p.min_approvals
    );
    let disqualified: Vec<(&Review, Disqualified)> = approvals
        .iter()
        .filter_map(|(r, why)| why.map(|w| (*r, w)))
        .collect();
    if disqualified.is_empty() {
        out.findings.push(
            NOT_APPROVED
                .finding(format!("{head}; no approvals"))
                .with_subject(subject.clone()),
        );
    }
    for (review, why) in disqualified {
        out.findings.push(
            why.code()
                .finding(format!("{head}; {} {}", review.author.login, why.explain()))
                .with_subject(subject.clone()),
        );
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::forge::{Actor, Push};

    fn change(pushes: &[(&str, &str)]) -> ChangeRequest {
        ChangeRequest {
            number: 7,
            title: "t".into(),
            author: Actor::account("alice", false),
            base_branch: "main".into(),
            head_sha: "h2".into(),
            merge_sha: Some("m".into()),
            merged_by: None,
            merged_at: Some("2026-11-20T12:00:00Z".into()),
            contributors: Vec::new(),
            reviews: Vec::new(),
            pushes: pushes
                .iter()
                .map(|(sha, at)| Push {
                    head_sha: (*sha).into(),
                    at: (*at).into(),
                })
                .collect(),
            head_checks: None,
        }
    }

    fn approval(commit: Option<&str>, at: Option<&str>) -> Review {
        Review {
            author: Actor::account("bob", false),
            state: ReviewState::Approved,
            can_push: true,
            submitted_at: at.map(Into::into),
            commit: commit.map(Into::into),
        }
    }

    #[test]
    fn an_approval_naming_its_commit_must_name_the_final_head() {
        let c = change(&[]);
        assert!(approves_final_head(&approval(Some("h2"), None), &c));
        assert!(!approves_final_head(&approval(Some("h1"), None), &c));
    }

    #[test]
    fn an_approval_without_a_commit_must_follow_the_last_push_to_the_final_head() {
        let c = change(&[
            ("h1", "2026-11-20T09:00:00Z"),
            ("h2", "2026-11-20T10:00:00Z"),
        ]);
        let at = |t: &str| approval(None, Some(t));
        assert!(approves_final_head(&at("2026-11-20T10:30:00Z"), &c));
        // Between the two pushes: it approved h1, and h2 came after.
        assert!(!approves_final_head(&at("2026-11-20T09:30:00Z"), &c));
        // At the same instant as the push: not shown to be after it.
        assert!(!approves_final_head(&at("2026-11-20T10:00:00Z"), &c));
        // Pushes listed out of order are ordered by time.
        let shuffled = change(&[
            ("h2", "2026-11-20T10:00:00Z"),
            ("h1", "2026-11-20T09:00:00Z"),
        ]);
        assert!(approves_final_head(&at("2026-11-20T10:30:00Z"), &shuffled));
    }

    #[test]
    fn without_pushes_times_or_a_matching_head_an_approval_without_a_commit_does_not_count() {
        let late = approval(None, Some("2026-11-20T11:00:00Z"));
        assert!(!approves_final_head(&late, &change(&[])));
        assert!(!approves_final_head(
            &approval(None, None),
            &change(&[("h2", "2026-11-20T10:00:00Z")])
        ));
        // The last push produced another head than the one merged: inconsistent evidence.
        assert!(!approves_final_head(
            &late,
            &change(&[("h3", "2026-11-20T10:00:00Z")])
        ));
        // A push whose time does not parse might be the last one.
        let unknown = change(&[("h2", "2026-11-20T10:00:00Z"), ("h4", "yesterday")]);
        assert!(!approves_final_head(&late, &unknown));
    }
}
