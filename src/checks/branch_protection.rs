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
use crate::evidence::forge::{
    BranchProtection, ProtectionSource, PullRequestRule, Requirements, SourceKind, SourceState,
};
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
    /// A change's author must not be able to approve it (GitHub never allows it;
    /// GitLab: `merge_requests_author_approval` off). Off by default: peer review
    /// refuses a self-approval on every change either way.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub forbid_author_approval: bool,
    /// Whoever committed to a change must not be able to approve it (GitLab:
    /// `merge_requests_disable_committers_approval`; GitHub has no such setting).
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub forbid_committer_approval: bool,
    /// A change request must not be able to override its approval rules (GitLab:
    /// `disable_overriding_approvers_per_merge_request`; GitHub never allows it).
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub forbid_rule_override: bool,
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
            forbid_author_approval: false,
            forbid_committer_approval: false,
            forbid_rule_override: false,
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
    "Run with `--forge github --repo OWNER/NAME --branch BRANCH` or `--forge gitlab --repo GROUP/PROJECT --branch BRANCH` (in GitHub Actions and GitLab CI the repository and branch come from the run)."
);
code!(
    UNREADABLE,
    "branch-protection/unreadable",
    Error,
    "The branch's rules could not be read from the forge.",
    "Check the token (GITHUB_TOKEN needs `contents: read`; GITLAB_TOKEN needs read_api and the Maintainer role) and the repository and branch names."
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
    "GitHub: require a pull request before merging (ruleset rule `pull_request` or classic protection). GitLab: set 'Allowed to push and merge' to No one (or Maintainers) on the protected branch."
);
code!(
    TOO_FEW_APPROVALS,
    "branch-protection/too-few-approvals",
    Violation,
    "The branch requires fewer approving reviews than the policy.",
    "Raise the required approving review count on the branch (GitLab: `approvals_required` of an approval rule for the branch)."
);
code!(
    STALE_REVIEWS_KEPT,
    "branch-protection/stale-reviews-kept",
    Violation,
    "Approvals survive new pushes: code can change after it was approved.",
    "Enable 'Dismiss stale pull request approvals when new commits are pushed' (GitLab: 'Remove all approvals when commits are added', reset_approvals_on_push)."
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
    "Block force pushes (ruleset rule `non_fast_forward`, or disable 'Allow force pushes'; GitLab: allow_force_push off on the protected branch)."
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
    "GitHub: enable 'Do not allow bypassing the above settings' (enforce_admins) and remove ruleset bypass actors. GitLab: remove per-user, per-group and deploy-key push allowances from the protected branch."
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

code!(
    AUTHOR_CAN_APPROVE,
    "branch-protection/author-can-approve",
    Violation,
    "A change's author can approve their own change.",
    "GitLab: enable 'Prevent approval by author' (merge_requests_author_approval: false)."
);
code!(
    COMMITTERS_CAN_APPROVE,
    "branch-protection/committers-can-approve",
    Violation,
    "Someone who committed to a change can approve it.",
    "GitLab: enable 'Prevent approvals by users who add commits' (merge_requests_disable_committers_approval)."
);
code!(
    RULES_OVERRIDABLE,
    "branch-protection/rules-overridable",
    Violation,
    "A merge request can override the approval rules it is held to.",
    "GitLab: enable 'Prevent editing approval rules in merge requests' (disable_overriding_approvers_per_merge_request)."
);

static CODES: [&Code; 17] = [
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
    &AUTHOR_CAN_APPROVE,
    &COMMITTERS_CAN_APPROVE,
    &RULES_OVERRIDABLE,
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

/// One setting the policy requires of the branch.
enum Setting {
    PullRequest,
    Approvals(u32),
    DismissStale,
    CodeOwner,
    LastPush,
    AuthorCannotApprove,
    CommittersCannotApprove,
    RulesLocked,
    Check(String),
    ForcePushBlocked,
    DeletionBlocked,
    SignedCommits,
    LinearHistory,
}

impl Setting {
    fn code(&self) -> &'static Code {
        match self {
            Setting::PullRequest => &PULL_REQUEST_NOT_REQUIRED,
            Setting::Approvals(_) => &TOO_FEW_APPROVALS,
            Setting::DismissStale => &STALE_REVIEWS_KEPT,
            Setting::CodeOwner => &CODE_OWNER_REVIEW_NOT_REQUIRED,
            Setting::LastPush => &LAST_PUSH_APPROVAL_NOT_REQUIRED,
            Setting::AuthorCannotApprove => &AUTHOR_CAN_APPROVE,
            Setting::CommittersCannotApprove => &COMMITTERS_CAN_APPROVE,
            Setting::RulesLocked => &RULES_OVERRIDABLE,
            Setting::Check(_) => &REQUIRED_CHECK_NOT_ENFORCED,
            Setting::ForcePushBlocked => &FORCE_PUSH_ALLOWED,
            Setting::DeletionBlocked => &DELETION_ALLOWED,
            Setting::SignedCommits => &SIGNED_COMMITS_NOT_REQUIRED,
            Setting::LinearHistory => &LINEAR_HISTORY_NOT_REQUIRED,
        }
    }

    /// What the policy requires, for the "expected" half of a finding.
    fn expected(&self) -> String {
        match self {
            Setting::PullRequest => "changes only through a pull request".into(),
            Setting::Approvals(n) => format!("at least {n} approving review(s)"),
            Setting::DismissStale => "approvals dismissed when new commits are pushed".into(),
            Setting::CodeOwner => "code owner review required".into(),
            Setting::LastPush => "the last push approved by someone other than its pusher".into(),
            Setting::AuthorCannotApprove => "authors unable to approve their own changes".into(),
            Setting::CommittersCannotApprove => "committers unable to approve the change".into(),
            Setting::RulesLocked => "approval rules that a change request cannot override".into(),
            Setting::Check(name) => format!("status check `{name}` required"),
            Setting::ForcePushBlocked => "force pushes blocked".into(),
            Setting::DeletionBlocked => "deletion blocked".into(),
            Setting::SignedCommits => "signed commits required".into(),
            Setting::LinearHistory => "linear history required".into(),
        }
    }

    /// A review setting, which only a pull-request rule can carry.
    fn pull_request(&self) -> Option<fn(&PullRequestRule, u32) -> bool> {
        Some(match self {
            Setting::PullRequest => |_, _| true,
            // Approvals a change request may lower itself are not required of it.
            Setting::Approvals(_) => |r, min| r.required_approvals >= min && !r.rules_overridable,
            Setting::DismissStale => |r, _| r.dismiss_stale_reviews,
            Setting::CodeOwner => |r, _| r.code_owner_review,
            Setting::LastPush => |r, _| r.last_push_approval,
            Setting::AuthorCannotApprove => |r, _| !r.author_may_approve,
            Setting::CommittersCannotApprove => |r, _| !r.committers_may_approve,
            Setting::RulesLocked => |r, _| !r.rules_overridable,
            _ => return None,
        })
    }

    fn enforced_by(&self, r: &Requirements) -> bool {
        let min = match self {
            Setting::Approvals(n) => *n,
            _ => 0,
        };
        if let Some(holds) = self.pull_request() {
            return r.pull_request.as_ref().is_some_and(|pr| holds(pr, min));
        }
        match self {
            Setting::Check(name) => r.required_checks.iter().any(|c| &c.name == name),
            Setting::ForcePushBlocked => r.block_force_pushes,
            Setting::DeletionBlocked => r.block_deletions,
            Setting::SignedCommits => r.signed_commits,
            Setting::LinearHistory => r.linear_history,
            _ => false,
        }
    }

    /// How a source that does not enforce the setting says so.
    fn lacking_in(&self, source: &ProtectionSource) -> String {
        if source.kind == SourceKind::GithubRulesets {
            return match self {
                Setting::PullRequest => "no ruleset pull-request rule at all".into(),
                Setting::Approvals(_) => "no ruleset pull-request rule".into(),
                Setting::DismissStale => {
                    "no ruleset pull-request rule dismissing stale approvals".into()
                }
                Setting::CodeOwner => {
                    "no ruleset pull-request rule requiring code owner review".into()
                }
                Setting::LastPush => {
                    "no ruleset pull-request rule requiring approval of the last push".into()
                }
                Setting::AuthorCannotApprove
                | Setting::CommittersCannotApprove
                | Setting::RulesLocked => "no ruleset pull-request rule that could".into(),
                Setting::Check(_) => "no active ruleset rule `required_status_checks`".into(),
                Setting::ForcePushBlocked => "no active ruleset rule `non_fast_forward`".into(),
                Setting::DeletionBlocked => "no active ruleset rule `deletion`".into(),
                Setting::SignedCommits => "no active ruleset rule `required_signatures`".into(),
                Setting::LinearHistory => "no active ruleset rule `required_linear_history`".into(),
            };
        }
        let label = source.label();
        match &source.state {
            SourceState::Enforces(_) => format!("{label} does not"),
            SourceState::Absent => format!("there is no {label}"),
            SourceState::Unreadable { .. } => format!("{label} is unreadable"),
        }
    }
}

/// How a source is named among others ("any ruleset or classic protection").
fn noun(source: &ProtectionSource) -> String {
    match source.kind {
        SourceKind::GithubRulesets => "any ruleset".into(),
        _ => source.label(),
    }
}

/// One required setting and the sources that enforce it.
struct Requirement<'a> {
    setting: Setting,
    /// What the branch has instead, when no source enforces it.
    found: String,
    enforcing: Vec<(&'a ProtectionSource, &'a Requirements)>,
}

fn evaluate(p: &BranchProtectionPolicy, bp: &BranchProtection, out: &mut CheckOutput) {
    let unreadable = bp.unreadable();
    let mut settings = Vec::new();
    if p.require_pull_request {
        settings.push(Setting::PullRequest);
    }
    if p.min_approvals > 0 {
        settings.push(Setting::Approvals(p.min_approvals));
    }
    if p.dismiss_stale_reviews {
        settings.push(Setting::DismissStale);
    }
    if p.code_owner_review {
        settings.push(Setting::CodeOwner);
    }
    if p.last_push_approval {
        settings.push(Setting::LastPush);
    }
    if p.forbid_author_approval {
        settings.push(Setting::AuthorCannotApprove);
    }
    if p.forbid_committer_approval {
        settings.push(Setting::CommittersCannotApprove);
    }
    if p.forbid_rule_override {
        settings.push(Setting::RulesLocked);
    }
    settings.extend(
        p.required_checks
            .iter()
            .map(|c| Setting::Check(c.0.clone())),
    );
    for (wanted, setting) in [
        (p.block_force_pushes, Setting::ForcePushBlocked),
        (p.block_deletions, Setting::DeletionBlocked),
        (p.signed_commits, Setting::SignedCommits),
        (p.linear_history, Setting::LinearHistory),
    ] {
        if wanted {
            settings.push(setting);
        }
    }
    let required: Vec<Requirement<'_>> = settings
        .into_iter()
        .map(|setting| {
            let found = found(&setting, bp);
            let enforcing = bp
                .enforcing()
                .filter(|(_, r)| setting.enforced_by(r))
                .collect();
            Requirement {
                setting,
                found,
                enforcing,
            }
        })
        .collect();

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
        let enforced = if r.enforcing.is_empty() {
            unknown_or_no(&unreadable)
        } else {
            Enforced::Yes
        };
        report(r.setting.code(), &r.setting.expected(), &r.found, enforced);
    }
    if p.no_bypass {
        let (enforced, found) = no_bypass(bp, &required, &unreadable);
        report(
            &BYPASS_ALLOWED,
            "nobody exempt (administrators and bypass actors bound by the rules)",
            &found,
            enforced,
        );
    }

    let sources: Vec<String> = bp
        .sources
        .iter()
        .map(|s| match &s.state {
            SourceState::Enforces(_) => format!("{} present", s.label()),
            SourceState::Absent => format!("{} absent", s.label()),
            SourceState::Unreadable { .. } => format!("{} unknown (unreadable)", s.label()),
        })
        .collect();
    out.summary = format!(
        "{}: {}; read {}{}",
        bp.branch,
        sources.join("; "),
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

/// What the branch has instead of `setting`, should no source enforce it.
fn found(setting: &Setting, bp: &BranchProtection) -> String {
    let nouns = || bp.sources.iter().map(noun).collect::<Vec<_>>();
    let pull_requests: Vec<&PullRequestRule> = bp
        .enforcing()
        .filter_map(|(_, r)| r.pull_request.as_ref())
        .collect();
    if setting.pull_request().is_some() {
        if pull_requests.is_empty() {
            let places: Vec<String> = nouns().iter().map(|n| format!("in {n}")).collect();
            return format!("no pull-request rule {}", places.join(" or "));
        }
        if let Setting::Approvals(min) = setting
            && pull_requests
                .iter()
                .any(|r| r.required_approvals >= *min && r.rules_overridable)
        {
            return "enough approvals required, but a merge request may override its approval rules".into();
        }
        if matches!(setting, Setting::Approvals(_)) {
            let most = pull_requests.iter().map(|r| r.required_approvals).max();
            return format!(
                "at most {} required by {}",
                most.unwrap_or(0),
                nouns().join(" or ")
            );
        }
    }
    if matches!(setting, Setting::Check(_)) {
        let mut listed: Vec<&str> = bp
            .enforcing()
            .flat_map(|(_, r)| r.required_checks.iter().map(|c| c.name.as_str()))
            .collect();
        listed.sort_unstable();
        listed.dedup();
        if !listed.is_empty() {
            return format!("required checks: {}", listed.join(", "));
        }
    }
    bp.sources
        .iter()
        .map(|s| setting.lacking_in(s))
        .collect::<Vec<_>>()
        .join(", and ")
}

fn unknown_or_no(unreadable: &[String]) -> Enforced {
    if unreadable.is_empty() {
        Enforced::No
    } else {
        Enforced::Unknown(unreadable.join("; "))
    }
}

/// Nobody can skip the required settings. The source relied on is the first that alone
/// enforces every required setting (GitHub lists rulesets first: they bind admins, so
/// then only their bypass actors matter); failing that, every source that enforces
/// something is relied on, and an exemption in any of them counts, even where another
/// source might bind the same actor: vouch does not try to prove which actor each
/// source binds, so it errs toward a finding. A source whose exemptions this token
/// cannot see is unknown, and so is an unreadable source when some required setting is
/// enforced nowhere readable. When nothing at all is enforced, nothing binds anyone.
fn no_bypass(
    bp: &BranchProtection,
    required: &[Requirement<'_>],
    unreadable: &[String],
) -> (Enforced, String) {
    let enforcing: Vec<(&ProtectionSource, &Requirements)> = bp.enforcing().collect();
    let Some(first) = enforcing.first() else {
        let found = "no enforced rule, so nothing binds anyone".to_string();
        return (unknown_or_no(unreadable), found);
    };
    let alone = required.iter().all(|r| r.setting.enforced_by(first.1));
    let relied = if alone {
        &enforcing[..1]
    } else {
        &enforcing[..]
    };
    let mut exempted: Vec<String> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for (source, req) in relied {
        let rulesets = source.kind == SourceKind::GithubRulesets;
        match &req.exemptions {
            Ok(list) if list.is_empty() => {}
            Ok(list) if rulesets => {
                exempted.push(format!("ruleset bypass actors {}", list.join(", ")))
            }
            Ok(list) => exempted.push(format!("{} exempts {}", source.label(), list.join(", "))),
            Err(gap) if rulesets => unknown.push(format!("ruleset bypass actors: {}", gap.detail)),
            Err(gap) => unknown.push(format!("{} exemptions: {}", source.label(), gap.detail)),
        }
    }
    if !alone && required.iter().any(|r| r.enforcing.is_empty()) {
        unknown.extend(unreadable.iter().cloned());
    }
    if !exempted.is_empty() {
        (Enforced::No, exempted.join("; "))
    } else if !unknown.is_empty() {
        (Enforced::Unknown(unknown.join("; ")), String::new())
    } else {
        (Enforced::Yes, String::new())
    }
}
