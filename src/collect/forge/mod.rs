//! Forge evidence through a narrow trait: three reads, each a value or a gap.
//!
//! The trait grows only when a check needs data (Scorecard's lesson: a 24-method client
//! interface is a burden on every forge). Every method returns `Result<_, Gap>`: a read
//! that fails becomes evidence of its own, which the check turns into `error`.

pub mod github;
pub mod gitlab;
pub mod http;
pub mod lineage;
pub mod plan;
pub mod registry;
pub mod transcript;

use crate::evidence::forge::{BranchProtection, ChangeSet, CommitChecks, ForgeEvidence};
use crate::evidence::{Gap, SastReport, Sourced};

/// What a forge can tell vouch.
pub trait Forge {
    /// The protection of a branch, per source.
    fn branch_protection(&mut self, branch: &str) -> Result<BranchProtection, Gap>;
    /// The changes in a range, with their reviews. `progress` is called with the number
    /// of commits read so far.
    fn changes(
        &mut self,
        range: &RangeRequest,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<ChangeSet, Gap>;
    /// Check runs and statuses of a commit.
    fn commit_checks(&mut self, sha: &str) -> Result<CommitChecks, Gap>;
    /// Open code-scanning alerts of a ref, as SAST evidence.
    fn code_scanning_alerts(&mut self, git_ref: &str) -> Result<SastReport, Gap>;
    /// Requests made so far.
    fn requests(&self) -> u32;
    /// The longest chain of requests so far each sent after the one before it was
    /// answered: the round trips a run cannot overlap, however many run at once.
    fn rounds(&self) -> u32;
    /// What the forge said so far (every request and answer), for the evidence
    /// directory; empty for a replay.
    fn take_transcript(&mut self) -> transcript::Transcript;

    /// Everything `request` asks for. One read after another unless a forge can do
    /// better: GitHub sends the independent reads at once.
    fn read(&mut self, request: &ForgeRequest, progress: &(dyn Fn(usize) + Sync)) -> Reads {
        Reads {
            protection: request.branch.as_deref().map(|b| self.branch_protection(b)),
            changes: request.range.as_ref().map(|r| self.changes(r, progress)),
            checks: request.commit.as_deref().map(|c| self.commit_checks(c)),
            alerts: request
                .alerts_ref
                .as_deref()
                .map(|r| self.code_scanning_alerts(r)),
        }
    }
}

/// The answers to a [`ForgeRequest`], each a value or a gap, `None` when not asked for.
#[derive(Debug, Default)]
pub struct Reads {
    /// Branch protection.
    pub protection: Option<Result<BranchProtection, Gap>>,
    /// The changes in the range.
    pub changes: Option<Result<ChangeSet, Gap>>,
    /// The commit's checks.
    pub checks: Option<Result<CommitChecks, Gap>>,
    /// Open code-scanning alerts.
    pub alerts: Option<Result<SastReport, Gap>>,
}

/// Which changes to verify.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", deny_unknown_fields)]
pub enum RangeRequest {
    /// `BASE..HEAD` on the first-parent line.
    Commits {
        /// Exclusive base.
        base: String,
        /// Inclusive head.
        head: String,
        /// The target branch, to pick the PR merged into it.
        branch: Option<String>,
        /// Where the range came from, for the report.
        origin: String,
    },
    /// From the tag before `tag` to `tag`.
    PreviousTag {
        /// The tag being released.
        tag: String,
        /// The branch releases are cut from, when known.
        branch: Option<String>,
    },
    /// One pull request as it is now (pre-merge gate).
    PullRequest {
        /// PR number.
        number: u64,
        /// The head the run is about (event or `--commit`): approvals on another head
        /// must not vouch for it.
        expected_head: Option<String>,
    },
}

/// What to read from the forge.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForgeRequest {
    /// Branch whose protection to read.
    pub branch: Option<String>,
    /// Changes to verify.
    pub range: Option<RangeRequest>,
    /// Commit whose checks to read.
    pub commit: Option<String>,
    /// Ref whose open code-scanning alerts to read (the SAST control asked for them).
    pub alerts_ref: Option<String>,
    /// The branch or tag the commit was built on, when known: GitLab counts only that
    /// ref's pipelines (anyone who may push a branch can run one on the same commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_ref: Option<String>,
}

/// Reads everything requested; each part is its own value or gap. Code-scanning alerts
/// come back separately: they are SAST evidence, not forge settings.
pub fn collect(
    forge: &mut dyn Forge,
    kind: &str,
    api_url: &str,
    repository: &str,
    request: &ForgeRequest,
    progress: &(dyn Fn(usize) + Sync),
) -> (ForgeEvidence, Option<Sourced<SastReport>>) {
    let Reads {
        protection,
        changes,
        checks,
        alerts,
    } = forge.read(request, progress);
    let alerts = alerts.map(|observed| Sourced {
        source: format!(
            "GitHub code scanning alerts ({})",
            request.alerts_ref.as_deref().unwrap_or_default()
        ),
        observed,
    });
    tracing::debug!(
        requests = forge.requests(),
        rounds = forge.rounds(),
        "forge reads done"
    );
    let evidence = ForgeEvidence {
        forge: kind.to_string(),
        api_url: api_url.to_string(),
        repository: repository.to_string(),
        protection,
        changes,
        checks,
        requests: forge.requests(),
    };
    (evidence, alerts)
}
