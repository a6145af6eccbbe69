//! Branch protection: the target branch requires what the policy says, from rulesets or
//! classic protection, whichever enforces it.
//!
//! A requirement holds when any readable source enforces it. When none does and a
//! source could not be read (classic protection needs admin), the requirement is
//! *unknown*, reported as such with the permission that would settle it: an `error`,
//! never a pass, and never a false "missing".

use schemars::JsonSchema;
use serde::Deserialize;

use super::{CheckOutput, Code, Control, Section};
use crate::evidence::Evidence;
use crate::evidence::forge::{BranchProtection, ClassicProtection, PullRequestRule, Rule};
use crate::policy::Policy;
use crate::policy::sections::{NonEmpty, yes};

/// Branch protection settings the policy requires.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BranchProtectionPolicy {
    /// Set to false to skip the control without deleting its settings.
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub enabled: bool,
    /// When true, failures and errors are reported but do not fail the run.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub advisory: bool,
    /// Changes must go through a pull request.
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub require_pull_request: bool,
    /// Minimum approving reviews the branch requires.
    #[serde(default = "one")]
    pub min_approvals: u32,
    /// New pushes must dismiss earlier approvals.
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub dismiss_stale_reviews: bool,
    /// Code owners must review.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub code_owner_review: bool,
    /// The last push must be approved by someone other than its pusher.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub last_push_approval: bool,
    /// Status checks the branch must require, by name.
    #[serde(default)]
    pub required_checks: Vec<NonEmpty>,
    /// Force pushes must be blocked.
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub block_force_pushes: bool,
    /// Branch deletion must be blocked.
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub block_deletions: bool,
    /// Administrators and ruleset bypass actors must not be exempt.
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub no_bypass: bool,
    /// Signed commits must be required.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub signed_commits: bool,
    /// Linear history must be required.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub linear_history: bool,
}

fn one() -> u32 {
    1
}

impl Default for BranchProtectionPolicy {
    fn default() -> Self {
        BranchProtectionPolicy {
            enabled: true,
            advisory: false,
            require_pull_request: true,
            min_approvals: 1,
            dismiss_stale_reviews: true,
            code_owner_review: false,
            last_push_approval: false,
            required_checks: Vec::new(),
            block_force_pushes: true,
            block_deletions: true,
            no_bypass: true,
            signed_commits: false,
            linear_history: false,
        }
    }
}

impl Section for BranchProtectionPolicy {
    fn enabled(&self) -> bool {
        self.enabled
    }
    fn advisory(&self) -> bool {
        self.advisory
    }
}

/// The branch protection control.
pub struct BranchProtectionCheck;

code!(
    NO_EVIDENCE,
    "branch-protection/no-evidence",
    Error,
    "The control is enabled but no forge and branch were given, so nothing was read.",
    "Run with `--forge github --repo OWNER/NAME --branch BRANCH` (in GitHub Actions the repository and branch come from the run)."
);
code!(
    UNREADABLE,
    "branch-protection/unreadable",
    Error,
    "The branch's rules could not be read from the forge.",
    "Check the token (GITHUB_TOKEN needs `contents: read`) and the repository and branch names."
);
code!(
    SETTING_UNKNOWN,
    "branch-protection/setting-unknown",
    Error,
    "A required setting is not enforced by any readable source, and a source could not be read, so it is unknown.",
    "Grant the token `administration: read` so vouch can read classic protection, or enforce the setting with a ruleset."
);
code!(
    PULL_REQUEST_NOT_REQUIRED,
    "branch-protection/pull-request-not-required",
    Violation,
    "Changes can reach the branch without a pull request.",
    "Require a pull request before merging (ruleset rule `pull_request` or classic protection)."
);
code!(
    TOO_FEW_APPROVALS,
    "branch-protection/too-few-approvals",
    Violation,
    "The branch requires fewer approving reviews than the policy.",
    "Raise the required approving review count on the branch."
);
code!(
    STALE_REVIEWS_KEPT,
    "branch-protection/stale-reviews-kept",
    Violation,
    "Approvals survive new pushes: code can change after it was approved.",
    "Enable 'Dismiss stale pull request approvals when new commits are pushed'."
);
code!(
    CODE_OWNER_REVIEW_NOT_REQUIRED,
    "branch-protection/code-owner-review-not-required",
    Violation,
    "Code owners' review is not required.",
    "Enable 'Require review from Code Owners'."
);
code!(
    LAST_PUSH_APPROVAL_NOT_REQUIRED,
    "branch-protection/last-push-approval-not-required",
    Violation,
    "The last push does not need approval by someone other than its pusher.",
    "Enable 'Require approval of the most recent reviewable push'."
);
code!(
    REQUIRED_CHECK_NOT_ENFORCED,
    "branch-protection/required-check-not-enforced",
    Violation,
    "A status check the policy names is not required by the branch.",
    "Add the check to the branch's required status checks."
);
code!(
    FORCE_PUSH_ALLOWED,
    "branch-protection/force-push-allowed",
    Violation,
    "Force pushes can rewrite the branch's history.",
    "Block force pushes (ruleset rule `non_fast_forward`, or disable 'Allow force pushes')."
);
code!(
    DELETION_ALLOWED,
    "branch-protection/deletion-allowed",
    Violation,
    "The branch can be deleted.",
    "Block deletions (ruleset rule `deletion`, or disable 'Allow deletions')."
);
code!(
    BYPASS_ALLOWED,
    "branch-protection/bypass-allowed",
    Violation,
    "Administrators or bypass actors are exempt from the rules.",
    "Enable 'Do not allow bypassing the above settings' (enforce_admins) and remove ruleset bypass actors."
);
code!(
    SIGNED_COMMITS_NOT_REQUIRED,
    "branch-protection/signed-commits-not-required",
    Violation,
    "Unsigned commits can reach the branch.",
    "Require signed commits."
);
code!(
    LINEAR_HISTORY_NOT_REQUIRED,
    "branch-protection/linear-history-not-required",
    Violation,
    "Merge commits can reach the branch.",
    "Require linear history."
);

static CODES: [&Code; 14] = [
    &NO_EVIDENCE,
    &UNREADABLE,
    &SETTING_UNKNOWN,
    &PULL_REQUEST_NOT_REQUIRED,
    &TOO_FEW_APPROVALS,
    &STALE_REVIEWS_KEPT,
    &CODE_OWNER_REVIEW_NOT_REQUIRED,
    &LAST_PUSH_APPROVAL_NOT_REQUIRED,
    &REQUIRED_CHECK_NOT_ENFORCED,
    &FORCE_PUSH_ALLOWED,
    &DELETION_ALLOWED,
    &BYPASS_ALLOWED,
    &SIGNED_COMMITS_NOT_REQUIRED,
    &LINEAR_HISTORY_NOT_REQUIRED,
];

impl Control for BranchProtectionCheck {
    type Section = BranchProtectionPolicy;
    const ID: &'static str = "branch-protection";
    const TITLE: &'static str = "Branch protection";
    const CODES: &'static [&'static Code] = &CODES;

    fn section(policy: &Policy) -> Option<&BranchProtectionPolicy> {
        policy.branch_protection.as_ref()
    }

    fn evaluate(p: &BranchProtectionPolicy, evidence: &Evidence) -> CheckOutput {
        let mut out = CheckOutput::default();
        let Some(observed) = evidence.forge.as_ref().and_then(|f| f.protection.as_ref()) else {
            out.findings.push(
                NO_EVIDENCE.finding("no branch protection was read (use --forge and --branch)"),
            );
            out.summary = "no forge evidence".into();
            return out;
        };
        let protection = match observed {
            Ok(p) => p,
            Err(gap) => {
                out.findings.push(UNREADABLE.finding(gap.to_string()));
                out.summary = "branch protection unreadable".into();
                return out;
            }
        };
        evaluate(p, protection, &mut out);
        super::sort_findings(&mut out.findings);
        out
    }

    fn inputs(evidence: &Evidence) -> usize {
        evidence
            .forge
            .as_ref()
            .is_some_and(|f| f.protection.is_some()) as usize
    }
}

/// Whether a requirement is enforced by a readable source, not enforced anywhere, or
/// cannot be told because a source was unreadable.
enum Enforced {
    Yes,
    No,
    Unknown(String),
}

/// One requirement: does a ruleset enforce it, does classic protection?
struct Requirement {
    code: &'static Code,
    /// What the policy requires (`deletion blocked`).
    what: String,
    /// What the branch has instead, when neither source enforces it.
    found: String,
    by_ruleset: bool,
    by_classic: bool,
}

fn evaluate(p: &BranchProtectionPolicy, bp: &BranchProtection, out: &mut CheckOutput) {
    let rules: &[crate::evidence::forge::RulesetRule] = bp.rulesets.as_deref().unwrap_or(&[]);
    let mut unreadable = Vec::new();
    if let Err(gap) = &bp.rulesets {
        unreadable.push(format!("rulesets: {}", gap.detail));
    }
    if let ClassicProtection::Unreadable { reason } = &bp.classic {
        unreadable.push(format!("classic protection: {reason}"));
    }
    let classic = match &bp.classic {
        ClassicProtection::Present(c) => Some(c),
        _ => None,
    };
    let ruleset_pr: Vec<&PullRequestRule> = rules
        .iter()
        .filter_map(|r| match &r.rule {
            Rule::PullRequest(pr) => Some(pr),
            _ => None,
        })
        .collect();
    let classic_pr = classic.and_then(|c| c.pull_request.as_ref());
    // What classic protection contributes, for the "got" half of a finding.
    let classic_state = match &bp.classic {
        ClassicProtection::Present(_) => "classic protection does not",
        ClassicProtection::Absent => "there is no classic protection",
        ClassicProtection::Unreadable { .. } => "classic protection is unreadable",
    };
    let pr_req =
        |code: &'static Code, what: String, setting: &str, f: &dyn Fn(&PullRequestRule) -> bool| {
            let found = if ruleset_pr.is_empty() && classic_pr.is_none() {
                "no pull-request rule in any ruleset or in classic protection".to_string()
            } else {
                format!("no ruleset pull-request rule {setting}, and {classic_state}")
            };
            Requirement {
                code,
                what,
                found,
                by_ruleset: ruleset_pr.iter().any(|r| f(r)),
                by_classic: classic_pr.is_some_and(f),
            }
        };
    let rule_req = |code: &'static Code,
                    what: &str,
                    rule: &str,
                    want: &dyn Fn(&Rule) -> bool,
                    classic_says: bool| Requirement {
        code,
        what: what.to_string(),
        found: format!("no active ruleset rule `{rule}`, and {classic_state}"),
        by_ruleset: rules.iter().any(|r| want(&r.rule)),
        by_classic: classic_says,
    };

    let mut required: Vec<Requirement> = Vec::new();
    if p.require_pull_request {
        required.push(pr_req(
            &PULL_REQUEST_NOT_REQUIRED,
            "changes only through a pull request".into(),
            "at all",
            &|_| true,
        ));
    }
    let min = p.min_approvals;
    if min > 0 {
        let most = ruleset_pr
            .iter()
            .map(|r| r.required_approvals)
            .chain(classic_pr.map(|r| r.required_approvals))
            .max();
        let mut approvals = pr_req(
            &TOO_FEW_APPROVALS,
            format!("at least {min} approving review(s)"),
            "",
            &|r| r.required_approvals >= min,
        );
        if let Some(most) = most {
            approvals.found =
                format!("at most {most} required by any ruleset or classic protection");
        }
        required.push(approvals);
    }
    if p.dismiss_stale_reviews {
        required.push(pr_req(
            &STALE_REVIEWS_KEPT,
            "approvals dismissed when new commits are pushed".into(),
            "dismissing stale approvals",
            &|r| r.dismiss_stale_reviews,
        ));
    }
    if p.code_owner_review {
        required.push(pr_req(
            &CODE_OWNER_REVIEW_NOT_REQUIRED,
            "code owner review required".into(),
            "requiring code owner review",
            &|r| r.code_owner_review,
        ));
    }
    if p.last_push_approval {
        required.push(pr_req(
            &LAST_PUSH_APPROVAL_NOT_REQUIRED,
            "the last push approved by someone other than its pusher".into(),
            "requiring approval of the last push",
            &|r| r.last_push_approval,
        ));
    }
    for check in &p.required_checks {
        let name = check.0.as_str();
        let in_rules = |r: &Rule| matches!(r, Rule::RequiredStatusChecks { contexts, .. } if contexts.iter().any(|c| c == name));
        let in_classic = classic
            .and_then(|c| c.required_checks.as_ref())
            .is_some_and(|c| c.iter().any(|x| x == name));
        let mut check_req = rule_req(
            &REQUIRED_CHECK_NOT_ENFORCED,
            &format!("status check `{name}` required"),
            "required_status_checks",
            &in_rules,
            in_classic,
        );
        let mut listed: Vec<&str> = rules
            .iter()
            .filter_map(|r| match &r.rule {
                Rule::RequiredStatusChecks { contexts, .. } => Some(contexts),
                _ => None,
            })
            .flatten()
            .map(String::as_str)
            .chain(
                classic
                    .and_then(|c| c.required_checks.as_deref())
                    .unwrap_or(&[])
                    .iter()
                    .map(String::as_str),
            )
            .collect();
        listed.sort_unstable();
        listed.dedup();
        if !listed.is_empty() {
            check_req.found = format!("required checks: {}", listed.join(", "));
        }
        required.push(check_req);
    }
    if p.block_force_pushes {
        required.push(rule_req(
            &FORCE_PUSH_ALLOWED,
            "force pushes blocked",
            "non_fast_forward",
            &|r| matches!(r, Rule::NonFastForward),
            classic.is_some_and(|c| !c.allow_force_pushes),
        ));
    }
    if p.block_deletions {
        required.push(rule_req(
            &DELETION_ALLOWED,
            "deletion blocked",
            "deletion",
            &|r| matches!(r, Rule::Deletion),
            classic.is_some_and(|c| !c.allow_deletions),
        ));
    }
    if p.signed_commits {
        required.push(rule_req(
            &SIGNED_COMMITS_NOT_REQUIRED,
            "signed commits required",
            "required_signatures",
            &|r| matches!(r, Rule::RequiredSignatures),
            classic.is_some_and(|c| c.required_signatures),
        ));
    }
    if p.linear_history {
        required.push(rule_req(
            &LINEAR_HISTORY_NOT_REQUIRED,
            "linear history required",
            "required_linear_history",
            &|r| matches!(r, Rule::RequiredLinearHistory),
            classic.is_some_and(|c| c.required_linear_history),
        ));
    }

    let mut report =
        |code: &'static Code, what: &str, found: &str, enforced: Enforced| match enforced {
            Enforced::Yes => {}
            Enforced::No => out
                .findings
                .push(code.finding(format!("{}: expected {what}, got {found}", bp.branch))),
            Enforced::Unknown(why) => out.findings.push(SETTING_UNKNOWN.finding(format!(
                "{}: expected {what}, got unknown, because {why}",
                bp.branch
            ))),
        };
    for r in &required {
        let enforced = if r.by_ruleset || r.by_classic {
            Enforced::Yes
        } else {
            unknown_or_no(&unreadable)
        };
        report(r.code, &r.what, &r.found, enforced);
    }
    if p.no_bypass {
        let rulesets_cover_all = required.iter().all(|r| r.by_ruleset);
        let found = match (&bp.ruleset_bypass, classic) {
            (Ok(actors), _) if !actors.is_empty() => {
                format!("ruleset bypass actors {}", actors.join(", "))
            }
            (_, Some(c)) if !c.enforce_admins => {
                "classic protection does not bind administrators (enforce_admins off)".into()
            }
            (_, Some(c)) if c.pull_request_bypass => {
                "classic protection lets named users, teams or apps bypass pull requests".into()
            }
            _ => "an exemption".into(),
        };
        report(
            &BYPASS_ALLOWED,
            "nobody exempt (administrators and bypass actors bound by the rules)",
            &found,
            no_bypass(bp, rulesets_cover_all),
        );
    }

    out.summary = format!(
        "{}: {} ruleset rule(s); classic protection {}; read {}{}",
        bp.branch,
        rules.len(),
        match &bp.classic {
            ClassicProtection::Present(_) => "present",
            ClassicProtection::Absent => "absent",
            ClassicProtection::Unreadable { .. } => "unknown (unreadable)",
        },
        bp.read_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        if unreadable.is_empty() {
            String::new()
        } else {
            format!("; unknown: {}", unreadable.join("; "))
        }
    );
}

fn unknown_or_no(unreadable: &[String]) -> Enforced {
    if unreadable.is_empty() {
        Enforced::No
    } else {
        Enforced::Unknown(unreadable.join("; "))
    }
}

/// Nobody can skip the required settings. Rulesets bind admins too, so when rulesets
/// enforce every required setting only their bypass actors matter. When classic
/// protection enforces any of them, admins must be bound (`enforce_admins`) and nobody
/// may be allowed to bypass pull requests; if classic protection could not be read,
/// that is unknown.
fn no_bypass(bp: &BranchProtection, rulesets_cover_all: bool) -> Enforced {
    let uses_rulesets = bp.rulesets.as_ref().is_ok_and(|r| !r.is_empty());
    if uses_rulesets {
        match &bp.ruleset_bypass {
            Ok(actors) if !actors.is_empty() => return Enforced::No,
            Ok(_) => {}
            Err(gap) => return Enforced::Unknown(format!("ruleset bypass actors: {}", gap.detail)),
        }
        if rulesets_cover_all {
            return Enforced::Yes;
        }
    }
    match &bp.classic {
        ClassicProtection::Present(c) if c.enforce_admins && !c.pull_request_bypass => {
            Enforced::Yes
        }
        ClassicProtection::Present(_) => Enforced::No,
        // Nothing classic to bypass; with no rulesets either, nothing binds admins.
        ClassicProtection::Absent => {
            if uses_rulesets {
                Enforced::Yes
            } else {
                Enforced::No
            }
        }
        ClassicProtection::Unreadable { reason } => {
            Enforced::Unknown(format!("classic protection: {reason}"))
        }
    }
}
