//! Forge evidence: what the forge (GitHub, GitLab) says about the branch, the changes that
//! reached it, and the checks that ran on the commit.
//!
//! Settings are kept as read, per source (rulesets, classic protection), with the time
//! they were read: the check decides what the combination means, and a source that
//! could not be read stays visible as such instead of looking like "not configured".

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Observed;

/// Everything read from the forge in one run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgeEvidence {
    /// `github`.
    pub forge: String,
    /// REST API base URL used.
    pub api_url: String,
    /// `owner/name`.
    pub repository: String,
    /// Branch protection of the target branch, when a branch was known.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::observed::option"
    )]
    #[schemars(with = "Option<super::observed::Shape<BranchProtection>>")]
    pub protection: Option<Observed<BranchProtection>>,
    /// The changes in the verified range, when a range was known.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::observed::option"
    )]
    #[schemars(with = "Option<super::observed::Shape<ChangeSet>>")]
    pub changes: Option<Observed<ChangeSet>>,
    /// Check runs and statuses of the verified commit, when a commit was known.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::observed::option"
    )]
    #[schemars(with = "Option<super::observed::Shape<CommitChecks>>")]
    pub checks: Option<Observed<CommitChecks>>,
    /// API requests made (REST and GraphQL, retries included).
    pub requests: u32,
}

/// The protection of one branch, per source.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BranchProtection {
    /// Branch name.
    pub branch: String,
    /// When the settings were read (a snapshot: settings can change afterwards).
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub read_at: OffsetDateTime,
    /// Every place the forge keeps rules for the branch, each as read: GitHub's
    /// rulesets and classic protection; GitLab's protected branch and approval settings.
    /// A requirement holds when any readable source enforces it.
    pub sources: Vec<ProtectionSource>,
}

impl BranchProtection {
    /// The sources that could be read and enforce something, with what they enforce.
    pub fn enforcing(&self) -> impl Iterator<Item = (&ProtectionSource, &Requirements)> {
        self.sources.iter().filter_map(|s| match &s.state {
            SourceState::Enforces(r) => Some((s, r)),
            _ => None,
        })
    }

    /// `label: reason` of every source that could not be read.
    pub fn unreadable(&self) -> Vec<String> {
        self.sources
            .iter()
            .filter_map(|s| match &s.state {
                SourceState::Unreadable { reason } => Some(format!("{}: {reason}", s.label())),
                _ => None,
            })
            .collect()
    }
}

/// One place a forge keeps branch rules.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtectionSource {
    /// Which kind of source.
    pub kind: SourceKind,
    /// Which one, where a kind has several (GitLab: the matching protected-branch
    /// name or pattern; GitHub: the ruleset ids the rules come from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it said.
    pub state: SourceState,
}

impl ProtectionSource {
    /// The source as findings name it (`classic protection`, `protected branch release/*`).
    pub fn label(&self) -> String {
        match (&self.kind, &self.name) {
            (SourceKind::GitlabProtectedBranch, Some(name)) => format!("protected branch `{name}`"),
            (kind, _) => kind.label().to_string(),
        }
    }
}

/// Kinds of protection source.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// GitHub rulesets active on the branch (`GET /repos/{o}/{r}/rules/branches/{b}`,
    /// readable with a read-only token), merged: GitHub applies the strictest of them.
    GithubRulesets,
    /// GitHub classic branch protection (`GET …/branches/{b}/protection`, needs admin).
    GithubClassic,
    /// The GitLab protected-branch entry that matches the branch.
    GitlabProtectedBranch,
    /// GitLab's merge request approval settings and rules for the branch.
    GitlabApprovals,
}

impl SourceKind {
    /// The kind as findings name it.
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::GithubRulesets => "rulesets",
            SourceKind::GithubClassic => "classic protection",
            SourceKind::GitlabProtectedBranch => "protected branch",
            SourceKind::GitlabApprovals => "approval settings",
        }
    }
}

/// What a source said.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum SourceState {
    /// Read: it enforces these requirements.
    Enforces(Requirements),
    /// Read: the branch has no rules from this source (GitHub: "Branch not protected";
    /// no ruleset rule applies; no protected branch matches).
    Absent,
    /// Could not be read: what it enforces is unknown.
    Unreadable {
        /// Why (status code, message, what permission would help).
        reason: String,
    },
}

/// What one source enforces on the branch.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    /// Changes must come through a pull (merge) request, with these review settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<PullRequestRule>,
    /// Checks that must pass before merging.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_checks: Vec<RequiredCheck>,
    /// Force pushes are blocked.
    pub block_force_pushes: bool,
    /// Deletion is blocked.
    pub block_deletions: bool,
    /// Signed commits are required.
    pub signed_commits: bool,
    /// Merge commits are not allowed.
    pub linear_history: bool,
    /// Who is exempt from these requirements (GitHub: ruleset bypass actors, admins
    /// when classic protection does not bind them; GitLab: users or groups allowed to
    /// push). Empty: nobody. A gap: not visible to this token, so unknown.
    #[serde(with = "super::observed")]
    #[schemars(with = "super::observed::Shape<Vec<String>>")]
    pub exemptions: Observed<Vec<String>>,
    /// Rules of kinds vouch does not evaluate, by the forge's name, for the record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_rules: Vec<String>,
}

impl Default for Requirements {
    /// Nothing enforced, nobody exempt.
    fn default() -> Self {
        Requirements {
            pull_request: None,
            required_checks: Vec::new(),
            block_force_pushes: false,
            block_deletions: false,
            signed_commits: false,
            linear_history: false,
            exemptions: Ok(Vec::new()),
            other_rules: Vec::new(),
        }
    }
}

/// A check the branch requires.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredCheck {
    /// Check context or job name.
    pub name: String,
    /// The GitHub App the check is pinned to, if any: only its check run counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<u64>,
}

/// Pull-request requirements, from a ruleset or classic protection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PullRequestRule {
    /// Approving reviews required.
    pub required_approvals: u32,
    /// New commits dismiss earlier approvals.
    pub dismiss_stale_reviews: bool,
    /// Code owners must approve.
    pub code_owner_review: bool,
    /// The most recent push must be approved by someone other than its pusher.
    pub last_push_approval: bool,
    /// The change's author may approve it (GitHub: never; GitLab: the project's
    /// `merge_requests_author_approval`).
    pub author_may_approve: bool,
    /// Someone who committed to the change may approve it (GitHub: yes, unless they
    /// wrote it; GitLab: unless `merge_requests_disable_committers_approval`).
    pub committers_may_approve: bool,
    /// A change request may override the approval rules it is held to (GitLab: unless
    /// `disable_overriding_approvers_per_merge_request`; GitHub: never).
    pub rules_overridable: bool,
}

impl PullRequestRule {
    /// What GitHub's pull-request rules always mean beyond their parameters: an
    /// author cannot approve their own pull request, a committer can, and a pull
    /// request cannot lower the rules.
    pub fn github() -> Self {
        PullRequestRule {
            committers_may_approve: true,
            ..PullRequestRule::default()
        }
    }
}

/// The changes in a verified range.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeSet {
    /// Base of the range (exclusive), when the range has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Head of the range (inclusive).
    pub head: String,
    /// Where the range came from (`--range`, tag push, push event, pull request).
    pub origin: String,
    /// Commits on the first-parent line of the branch, newest first, each with the
    /// change request it came through (if any).
    pub commits: Vec<BranchCommit>,
    /// The change requests those commits came through, by number.
    pub change_requests: Vec<ChangeRequest>,
}

/// A commit on the branch's first-parent line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BranchCommit {
    /// Commit SHA.
    pub sha: String,
    /// First line of the message.
    pub title: String,
    /// Who pushed or authored it (login when known, else the git author name).
    pub author: String,
    /// Login of the signer, when the commit's signature verified on the forge (the only
    /// identity of a direct push that cannot be typed into a commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_signer: Option<String>,
    /// The merged change request it came through, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_request: Option<u64>,
}

/// A pull request (or merge request) with what review needs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    /// Number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Author's login.
    pub author: Actor,
    /// Target branch.
    pub base_branch: String,
    /// Head commit that was reviewed and merged (or is current, before merge).
    pub head_sha: String,
    /// Merge commit on the branch, once merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_sha: Option<String>,
    /// Who merged it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_by: Option<Actor>,
    /// When it was merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_at: Option<String>,
    /// Authors, co-authors (`Co-authored-by:`) and committers of its commits.
    pub contributors: Vec<Actor>,
    /// Reviews in submission order.
    pub reviews: Vec<Review>,
    /// The pushes that changed what is reviewed (GitLab: the merge request's diff
    /// versions), oldest first. Empty where the forge ties each approval to a commit
    /// instead (GitHub): an approval with no commit is dated against these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pushes: Vec<Push>,
    /// The checks on the head commit, as the forge reports them (GitHub: the head's
    /// status check rollup), for the required checks of each change; `None` when the
    /// forge was not asked.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::observed::option"
    )]
    #[schemars(with = "Option<super::observed::Shape<CommitChecks>>")]
    pub head_checks: Option<Observed<CommitChecks>>,
}

/// A push that changed a change request's diff.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Push {
    /// The head commit after the push.
    pub head_sha: String,
    /// When the forge recorded it (RFC 3339).
    pub at: String,
}

/// A user or bot.
#[derive(
    Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// Login, or `name <email>` when the forge could not map a git identity to a user.
    pub login: String,
    /// A bot or app account.
    pub bot: bool,
    /// The account was deleted (GitHub shows it as `ghost`, GitLab as "Ghost User"): who
    /// acted can no longer be shown to be independent of the change.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// Other names the same person goes by where the forge shows them: an account's
    /// display name and public e-mail, a git identity's name and e-mail. GitLab lists
    /// commits by git identity and approvals by account; one shared name or e-mail
    /// makes them the same person, so an approval is never counted for someone who may
    /// have written the change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<String>,
}

impl Actor {
    /// A user or bot account that exists.
    pub fn account(login: impl Into<String>, bot: bool) -> Self {
        Actor {
            login: login.into(),
            bot,
            deleted: false,
            identities: Vec::new(),
        }
    }

    /// A deleted account, under the name the forge shows for it.
    pub fn deleted(shown_as: impl Into<String>) -> Self {
        Actor {
            login: shown_as.into(),
            bot: false,
            deleted: true,
            identities: Vec::new(),
        }
    }

    /// Whether `other` may be the same person: the same login (see [`Actor::is`]), or a
    /// shared name or e-mail among their identities (case-insensitive, trimmed).
    pub fn same_person(&self, other: &Actor) -> bool {
        if self.is(&other.login) {
            return true;
        }
        let norm = |s: &String| s.trim().to_lowercase();
        let mine: Vec<String> = self
            .identities
            .iter()
            .map(norm)
            .filter(|s| !s.is_empty())
            .collect();
        other
            .identities
            .iter()
            .map(norm)
            .any(|theirs| mine.contains(&theirs) || self.is(&theirs))
            || mine.iter().any(|m| other.is(m))
    }

    /// Whether `login` names this account. Logins are case-insensitive on GitHub, and
    /// an app's bot is `dependabot` in GraphQL but `dependabot[bot]` in REST and in its
    /// commit e-mail, so the suffix does not tell two accounts apart.
    pub fn is(&self, login: &str) -> bool {
        let bare = |l: &str| {
            let l = l.trim();
            l.strip_suffix("[bot]").unwrap_or(l).to_ascii_lowercase()
        };
        bare(&self.login) == bare(login)
    }
}

/// A submitted review.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// Reviewer.
    pub author: Actor,
    /// What the review said.
    pub state: ReviewState,
    /// The reviewer could push to the repository (only such approvals satisfy GitHub's
    /// own protection; anyone can leave an "approve" review on a public repository).
    #[serde(default)]
    pub can_push: bool,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    /// The head commit the review was made on, when the forge records one (GitHub
    /// does; a GitLab approval names no commit, and is dated against the change's
    /// pushes instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// What a review (or approval) said, across forges.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewState {
    /// Approved the change.
    Approved,
    /// Asked for changes (blocks until a later approval by the same reviewer).
    ChangesRequested,
    /// Commented only: neither approves nor withdraws an approval.
    Commented,
    /// An approval withdrawn (GitHub: dismissed; GitLab: unapproved).
    Dismissed,
    /// Started, not submitted.
    Pending,
}

impl ReviewState {
    /// GitHub's review state name, as GraphQL and REST give it; `None` for a state
    /// vouch does not know (the collector makes that a gap, not a guess).
    pub fn from_github(state: &str) -> Option<Self> {
        Some(match state {
            "APPROVED" => ReviewState::Approved,
            "CHANGES_REQUESTED" => ReviewState::ChangesRequested,
            "COMMENTED" => ReviewState::Commented,
            "DISMISSED" => ReviewState::Dismissed,
            "PENDING" => ReviewState::Pending,
            _ => return None,
        })
    }
}

/// Check runs and commit statuses of one commit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitChecks {
    /// The commit.
    pub sha: String,
    /// Check runs (GitHub Checks API) and commit statuses, as one list.
    pub checks: Vec<CheckResult>,
}

/// One check result: a GitHub check run or commit status, a GitLab job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckResult {
    /// Check name, status context or job name.
    pub name: String,
    /// Who reported it: a check required by name can be pinned to its reporter.
    pub reporter: Reporter,
    /// The SHA it ran on.
    pub sha: String,
    /// How it ended, or that it has not.
    #[schemars(with = "String")]
    pub outcome: CheckOutcome,
    /// Link to the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When it reached its conclusion (a check run's completion, a status's last
    /// update, a job's finish), as the forge states it: a check that passed only after
    /// a change was merged did not gate the merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
}

/// Who reported a check result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "type", deny_unknown_fields)]
pub enum Reporter {
    /// A GitHub check run, by the GitHub App that created it (when GitHub says).
    GithubCheckRun {
        /// The app's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        app_id: Option<u64>,
    },
    /// A GitHub commit status: anyone with write access can post one.
    GithubStatus,
    /// A GitLab CI job (the latest attempt of a retried job).
    GitlabJob {
        /// The job's id.
        job_id: u64,
        /// The pipeline it ran in.
        pipeline_id: u64,
        /// The job may fail without failing the pipeline (`allow_failure`).
        #[serde(default)]
        allow_failure: bool,
        /// The ref the pipeline ran for (a branch, a tag, `refs/merge-requests/N/head`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pipeline_ref: Option<String>,
    },
}

impl Reporter {
    /// The kind of result, for people.
    pub fn label(&self) -> &'static str {
        match self {
            Reporter::GithubCheckRun { .. } => "check-run",
            Reporter::GithubStatus => "status",
            Reporter::GitlabJob { .. } => "job",
        }
    }

    /// The GitHub App that reported a check run.
    pub fn app_id(&self) -> Option<u64> {
        match self {
            Reporter::GithubCheckRun { app_id } => *app_id,
            _ => None,
        }
    }
}

/// How a check ended, or that it has not, across forges. Written as the forge's own
/// word (`success`, `timed_out`, GitLab's `manual`); one vouch does not know is kept
/// as [`CheckOutcome::Other`], which never passes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum CheckOutcome {
    /// Waiting to start (GitHub `queued`, `waiting`, `requested`; GitLab `created`,
    /// `pending`, `waiting_for_resource`, `preparing`, `scheduled`).
    Queued(String),
    /// Running (`in_progress`, `running`).
    InProgress,
    /// A commit status still `pending`.
    Pending,
    /// Waiting for a person to start it (GitLab `manual`).
    Manual,
    /// Passed.
    Success,
    /// Failed.
    Failure,
    /// Ended without passing or failing (GitHub `neutral`).
    Neutral,
    /// Not run.
    Skipped,
    /// Cancelled (GitHub `cancelled`, GitLab `canceled`).
    Cancelled,
    /// Timed out.
    TimedOut,
    /// Needs an action from a person (GitHub `action_required`).
    ActionRequired,
    /// Stale (GitHub marks a run stale after 14 days incomplete).
    Stale,
    /// Could not start (GitHub `startup_failure`).
    StartupFailure,
    /// A commit status in `error`.
    Error,
    /// A word vouch does not know.
    Other(String),
}

impl CheckOutcome {
    /// A GitHub check run's `status` and `conclusion` (either case).
    pub fn from_github_check_run(status: &str, conclusion: Option<&str>) -> Self {
        match (status.to_ascii_lowercase().as_str(), conclusion) {
            ("completed", Some(c)) => Self::from(c.to_ascii_lowercase()),
            ("completed", None) => CheckOutcome::Other("completed without a conclusion".into()),
            ("in_progress", _) => CheckOutcome::InProgress,
            ("pending", _) => CheckOutcome::Pending,
            (s @ ("queued" | "waiting" | "requested"), _) => CheckOutcome::Queued(s.to_string()),
            (other, _) => CheckOutcome::Other(other.to_string()),
        }
    }

    /// A GitHub commit status's `state` (either case).
    pub fn from_github_status(state: &str) -> Self {
        match state.to_ascii_lowercase().as_str() {
            "success" => CheckOutcome::Success,
            "failure" => CheckOutcome::Failure,
            "error" => CheckOutcome::Error,
            "pending" => CheckOutcome::Pending,
            other => CheckOutcome::Other(other.to_string()),
        }
    }

    /// The word for it.
    pub fn as_str(&self) -> &str {
        match self {
            CheckOutcome::Queued(word) | CheckOutcome::Other(word) => word,
            CheckOutcome::InProgress => "in_progress",
            CheckOutcome::Pending => "pending",
            CheckOutcome::Manual => "manual",
            CheckOutcome::Success => "success",
            CheckOutcome::Failure => "failure",
            CheckOutcome::Neutral => "neutral",
            CheckOutcome::Skipped => "skipped",
            CheckOutcome::Cancelled => "cancelled",
            CheckOutcome::TimedOut => "timed_out",
            CheckOutcome::ActionRequired => "action_required",
            CheckOutcome::Stale => "stale",
            CheckOutcome::StartupFailure => "startup_failure",
            CheckOutcome::Error => "error",
        }
    }

    /// Whether it has not ended yet (and so may still pass or fail).
    pub fn is_unfinished(&self) -> bool {
        matches!(
            self,
            CheckOutcome::Queued(_)
                | CheckOutcome::InProgress
                | CheckOutcome::Pending
                | CheckOutcome::Manual
        )
    }
}

impl From<String> for CheckOutcome {
    fn from(word: String) -> Self {
        match word.as_str() {
            "queued"
            | "waiting"
            | "requested"
            | "created"
            | "waiting_for_resource"
            | "preparing"
            | "scheduled" => CheckOutcome::Queued(word),
            "in_progress" | "running" => CheckOutcome::InProgress,
            "pending" => CheckOutcome::Pending,
            "manual" => CheckOutcome::Manual,
            "success" => CheckOutcome::Success,
            "failure" | "failed" => CheckOutcome::Failure,
            "neutral" => CheckOutcome::Neutral,
            "skipped" => CheckOutcome::Skipped,
            "cancelled" | "canceled" => CheckOutcome::Cancelled,
            "timed_out" => CheckOutcome::TimedOut,
            "action_required" => CheckOutcome::ActionRequired,
            "stale" => CheckOutcome::Stale,
            "startup_failure" => CheckOutcome::StartupFailure,
            "error" => CheckOutcome::Error,
            _ => CheckOutcome::Other(word),
        }
    }
}

impl From<CheckOutcome> for String {
    fn from(outcome: CheckOutcome) -> String {
        outcome.as_str().to_string()
    }
}
