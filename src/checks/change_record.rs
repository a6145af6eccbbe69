//! Per-change records: for every change that reached the branch (a merged pull request
//! or a direct push), who wrote it, who approved which head and when, who merged it,
//! and how each review rule judged it.
//!
//! Findings say what failed; an auditor sampling changes also needs the changes that
//! passed, with the facts that made them pass. The check writes one record per change
//! with each rule `pass` or `fail`; the verdict then turns a `fail` into `waived` when
//! every finding behind it carries a live waiver ([`ChangeRecord::settle`]).

use serde::{Deserialize, Serialize};

use super::{Code, Finding};

/// One change and the verdict of each rule on it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChangeRecord {
    /// `#12` for a pull request, the commit SHA for a direct push: the same id the
    /// change's findings carry as their subject (and exceptions match with `id:`).
    pub id: String,
    /// How the change reached the branch.
    pub kind: ChangeKind,
    /// Pull request number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    /// Pull request title, or the commit's first line.
    pub title: String,
    /// Pull request author, or the commit's author.
    pub author: String,
    /// The head commit whose review counts (the one merged, or the current head before
    /// merge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
    /// The commit that put the change on the branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_sha: Option<String>,
    /// Who merged it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_by: Option<String>,
    /// When it was merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_at: Option<String>,
    /// Authors, co-authors and committers of its commits.
    pub contributors: Vec<String>,
    /// Every approval (and dismissed approval) with whether it counted.
    pub approvals: Vec<ApprovalRecord>,
    /// Commits of the verified range that arrived through this change.
    pub commits: Vec<String>,
    /// `fail` if any rule failed, `waived` if failures were all waived, else `pass`
    /// (a skipped rule leaves the others to decide).
    pub status: RuleStatus,
    /// Each rule the control applies to this kind of change, with its verdict.
    pub rules: Vec<RuleOutcome>,
}

/// How a change reached the branch.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// Through a pull (or merge) request.
    PullRequest,
    /// Pushed to the branch without one.
    DirectPush,
}

/// An approval and whether it counted towards the required number.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRecord {
    /// Reviewer login.
    pub reviewer: String,
    /// When the review was submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    /// The head commit it was given on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Whether it counted as an independent approval of the merged head.
    pub counted: bool,
    /// Why it did not count (the finding code that reports it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_counted: Option<String>,
}

/// One rule's verdict on one change.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RuleOutcome {
    /// The finding code this rule reports failures with (`peer-review/stale-approval`).
    pub rule: String,
    /// Verdict.
    pub status: RuleStatus,
    /// The facts behind the verdict, when there is more to say than the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl RuleOutcome {
    /// A rule's verdict: `fail` when `failed`.
    pub fn new(code: &Code, failed: bool, detail: Option<String>) -> Self {
        RuleOutcome {
            rule: code.code.to_string(),
            status: if failed {
                RuleStatus::Fail
            } else {
                RuleStatus::Pass
            },
            detail,
        }
    }
}

impl RuleOutcome {
    /// A rule that could not be applied to the change (`detail` says why): neither
    /// passed nor failed, and never counted as a pass.
    pub fn skipped(code: &Code, why: String) -> Self {
        RuleOutcome {
            rule: code.code.to_string(),
            status: RuleStatus::Skipped,
            detail: Some(why),
        }
    }
}

/// A rule's verdict on a change.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    /// The rule holds.
    Pass,
    /// The rule is broken and nothing waives it.
    Fail,
    /// The rule is broken and live waivers cover every finding behind it.
    Waived,
    /// The rule could not be applied (the reviewed-tree rule without a clone): shown
    /// as such, never as a pass.
    Skipped,
}

impl RuleStatus {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Pass => "pass",
            RuleStatus::Fail => "fail",
            RuleStatus::Waived => "waived",
            RuleStatus::Skipped => "skipped",
        }
    }
}

/// How the forge names its change requests, for ids and messages: GitHub's pull
/// request `#12`, GitLab's merge request `!12` (on GitLab `#12` is an issue).
#[derive(Debug, Clone, Copy)]
pub struct Naming {
    /// `#` or `!`.
    pub sigil: char,
    /// `pull request` or `merge request`.
    pub noun: &'static str,
}

impl Naming {
    /// The naming of the forge the evidence came from (GitHub's when none).
    pub fn of(evidence: &crate::evidence::Evidence) -> Naming {
        match evidence.forge.as_ref().map(|f| f.forge.as_str()) {
            Some("gitlab") => Naming {
                sigil: '!',
                noun: "merge request",
            },
            _ => Naming {
                sigil: '#',
                noun: "pull request",
            },
        }
    }

    /// `#12` or `!12`.
    pub fn id(self, number: u64) -> String {
        format!("{}{number}", self.sigil)
    }
}

impl ChangeRecord {
    /// The record of a pull request judged by `rules`, with its facts as the forge
    /// gave them; `approvals` and `commits` are left for the control to fill in.
    pub fn pull_request(
        change: &crate::evidence::forge::ChangeRequest,
        naming: Naming,
        rules: Vec<RuleOutcome>,
    ) -> Self {
        let login = |a: &crate::evidence::forge::Actor| a.login.clone();
        let mut record = ChangeRecord {
            id: naming.id(change.number),
            kind: ChangeKind::PullRequest,
            number: Some(change.number),
            title: change.title.clone(),
            author: change.author.login.clone(),
            head_sha: Some(change.head_sha.clone()),
            merge_sha: change.merge_sha.clone(),
            merged_by: change.merged_by.as_ref().map(login),
            merged_at: change.merged_at.clone(),
            contributors: change.contributors.iter().map(login).collect(),
            approvals: Vec::new(),
            commits: Vec::new(),
            status: RuleStatus::Pass,
            rules,
        };
        record.status = record.overall();
        record
    }

    /// Folds the waivers the verdict attached to the control's findings into the
    /// record: a failed rule is `waived` when every finding of its code about this
    /// change is waived. A check fails a rule exactly when it emits a finding of the
    /// rule's code about the change, so a waiver written for a rule's code is what
    /// waives that rule.
    pub fn settle(&mut self, findings: &[Finding]) {
        for rule in self.rules.iter_mut() {
            if rule.status != RuleStatus::Fail {
                continue;
            }
            let mut behind = findings.iter().filter(|f| {
                f.code == rule.rule && f.subject.id.as_deref() == Some(self.id.as_str())
            });
            let first = behind.next();
            if first.is_some_and(|f| f.waiver.is_some()) && behind.all(|f| f.waiver.is_some()) {
                rule.status = RuleStatus::Waived;
            }
        }
        self.status = self.overall();
    }

    /// The record's status from its rules.
    pub fn overall(&self) -> RuleStatus {
        let any = |s: RuleStatus| self.rules.iter().any(|r| r.status == s);
        if any(RuleStatus::Fail) {
            RuleStatus::Fail
        } else if any(RuleStatus::Waived) {
            RuleStatus::Waived
        } else {
            RuleStatus::Pass
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::peer_review::{NOT_APPROVED, SELF_APPROVED, STALE_APPROVAL};
    use crate::checks::{FindingSubject, WaiverRef};

    fn record() -> ChangeRecord {
        ChangeRecord {
            id: "#3".into(),
            kind: ChangeKind::PullRequest,
            number: Some(3),
            title: "t".into(),
            author: "a".into(),
            head_sha: None,
            merge_sha: None,
            merged_by: None,
            merged_at: None,
            contributors: Vec::new(),
            approvals: Vec::new(),
            commits: Vec::new(),
            status: RuleStatus::Fail,
            rules: vec![
                RuleOutcome::new(&NOT_APPROVED, true, None),
                RuleOutcome::new(&SELF_APPROVED, true, None),
                RuleOutcome::new(&STALE_APPROVAL, true, None),
            ],
        }
    }

    fn finding(code: &'static Code, id: &str, waived: bool) -> Finding {
        let mut f = code.finding("m").with_subject(FindingSubject {
            id: Some(id.into()),
            ..Default::default()
        });
        if waived {
            f.waiver = Some(WaiverRef {
                index: 0,
                reason: "r".into(),
            });
        }
        f
    }

    fn statuses(r: &ChangeRecord) -> Vec<&str> {
        r.rules.iter().map(|r| r.status.as_str()).collect()
    }

    #[test]
    fn a_rule_is_waived_only_when_every_finding_behind_it_is() {
        let mut r = record();
        r.settle(&[
            finding(&SELF_APPROVED, "#3", true),
            finding(&STALE_APPROVAL, "#3", false),
            finding(&STALE_APPROVAL, "#3", true),
            finding(&NOT_APPROVED, "#4", true),
        ]);
        assert_eq!(statuses(&r), ["fail", "waived", "fail"]);
        assert_eq!(r.status, RuleStatus::Fail);

        let mut r = record();
        r.rules.remove(0);
        r.settle(&[
            finding(&SELF_APPROVED, "#3", true),
            finding(&STALE_APPROVAL, "#3", true),
        ]);
        assert_eq!(statuses(&r), ["waived", "waived"]);
        assert_eq!(r.status, RuleStatus::Waived);

        // A failed rule with no finding of its own is never waived.
        let mut r = record();
        r.settle(&[finding(&SELF_APPROVED, "#4", true)]);
        assert_eq!(statuses(&r), ["fail", "fail", "fail"]);
    }
}
