//! Required checks: every check the policy (or the branch protection) requires concluded
//! `success` on the exact commit being verified.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{CheckOutput, Code, Control, FindingSubject, Section, change_record};
use crate::evidence::Evidence;
use crate::evidence::forge::{CheckOutcome, CheckResult, CommitChecks, Reporter};
use crate::policy::Policy;
use crate::policy::sections::{NonEmpty, yes};

/// Required checks settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredChecksPolicy {
    /// Set to false to skip the control without deleting its settings.
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub enabled: bool,
    /// When true, failures and errors are reported but do not fail the run.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub advisory: bool,
    /// Check names (check runs or status contexts) that must succeed. Empty: the ones the
    /// branch protection requires.
    #[serde(default)]
    pub checks: Vec<NonEmpty>,
    /// Count a `neutral` conclusion as success.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub allow_neutral: bool,
    /// Count a `skipped` conclusion as success.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub allow_skipped: bool,
}

impl Default for RequiredChecksPolicy {
    fn default() -> Self {
        RequiredChecksPolicy {
            enabled: true,
            advisory: false,
            checks: Vec::new(),
            allow_neutral: false,
            allow_skipped: false,
        }
    }
}

impl Section for RequiredChecksPolicy {
    fn enabled(&self) -> bool {
        self.enabled
    }
    fn advisory(&self) -> bool {
        self.advisory
    }
}

/// The required checks control.
pub struct RequiredChecksCheck;

code!(
    NO_EVIDENCE,
    "required-checks/no-evidence",
    Error,
    "The control is enabled but no commit's checks were read.",
    "Run with `--forge github --commit SHA` (in CI the commit comes from the run)."
);
code!(
    UNREADABLE,
    "required-checks/unreadable",
    Error,
    "The commit's check runs or statuses could not be read.",
    "Check the token (GitHub: `checks: read`, `statuses: read`; GitLab: GITLAB_TOKEN with read_api)."
);
code!(
    NOTHING_REQUIRED,
    "required-checks/nothing-required",
    Error,
    "No check is named by the policy and none could be taken from the branch protection, so nothing can be verified.",
    "List the checks under `required_checks.checks`, or require them on the branch and enable the branch-protection control."
);
code!(
    REQUIREMENTS_UNKNOWN,
    "required-checks/requirements-unknown",
    Error,
    "The policy names no checks and a source of the branch's protection (GitHub: classic protection) could not be read, so the set of required checks is unknown.",
    "Name the checks under `required_checks.checks`, or let vouch read every protection source (GitHub classic protection needs `administration: read`)."
);
code!(
    WRONG_REPORTER,
    "required-checks/wrong-reporter",
    Violation,
    "A required check was reported, but not by the app the branch protection pins it to.",
    "Make sure the pinned app (for example GitHub Actions) runs the check; a status or another app's run under the same name does not count."
);
code!(
    CHECK_MISSING,
    "required-checks/check-missing",
    Violation,
    "A required check did not run on the commit.",
    "Make sure the workflow that reports this check runs on this commit (name spelled as the check reports it)."
);
code!(
    CHECK_FAILED,
    "required-checks/check-failed",
    Violation,
    "A required check concluded with something other than success.",
    "Fix what the check reports and re-run it."
);
code!(
    CHECK_PENDING,
    "required-checks/check-pending",
    Violation,
    "A required check has not finished.",
    "Run vouch after the required checks complete (order the job after them)."
);
code!(
    WRONG_SHA,
    "required-checks/wrong-sha",
    Violation,
    "A required check ran, but on a different commit than the one verified.",
    "Run the check on the exact commit being released."
);

mod per_change;

static CODES: [&Code; 13] = [
    &NO_EVIDENCE,
    &UNREADABLE,
    &NOTHING_REQUIRED,
    &REQUIREMENTS_UNKNOWN,
    &WRONG_REPORTER,
    &CHECK_MISSING,
    &CHECK_FAILED,
    &CHECK_PENDING,
    &WRONG_SHA,
    per_change::CODES[0],
    per_change::CODES[1],
    per_change::CODES[2],
    per_change::CODES[3],
];

impl Control for RequiredChecksCheck {
    type Section = RequiredChecksPolicy;
    const ID: &'static str = "required-checks";
    const TITLE: &'static str = "Required checks";
    const CODES: &'static [&'static Code] = &CODES;

    fn section(policy: &Policy) -> Option<&RequiredChecksPolicy> {
        policy.required_checks.as_ref()
    }

    fn evaluate(p: &RequiredChecksPolicy, evidence: &Evidence) -> CheckOutput {
        let mut out = CheckOutput::default();
        let forge = evidence.forge.as_ref();
        let Some(observed) = forge.and_then(|f| f.checks.as_ref()) else {
            out.findings.push(
                NO_EVIDENCE.finding("no commit checks were read (use --forge with --commit)"),
            );
            out.summary = "no forge evidence".into();
            return out;
        };
        let checks = match observed {
            Ok(c) => c,
            Err(gap) => {
                out.findings.push(UNREADABLE.finding(gap.to_string()));
                out.summary = "checks unreadable".into();
                return out;
            }
        };
        let mut required: Vec<String> = p.checks.iter().map(|c| c.0.clone()).collect();
        let mut from = "policy";
        if required.is_empty() {
            // Checks only an unreadable source (GitHub's classic protection, which needs
            // admin) requires would be silently skipped: the requirement set is unknown.
            if let Some(reason) = requirements_unknown(evidence) {
                out.findings.push(REQUIREMENTS_UNKNOWN.finding(format!(
                    "the branch's required checks are unknown: {reason}"
                )));
                out.summary = "required checks unknown".into();
                return out;
            }
            required = required_by_protection(evidence);
            from = "branch protection";
        }
        if required.is_empty() {
            out.findings.push(NOTHING_REQUIRED.finding(format!(
                "{} check result(s) on {}, but none is required",
                checks.checks.len(),
                checks.sha
            )));
            out.summary = "nothing to verify".into();
            return out;
        }
        evaluate(p, &required, checks, evidence, &mut out);
        let on_commit = out.findings.len();
        out.summary = format!(
            "{} required check(s) (from the {from}) on {}: {on_commit} not passed",
            required.len(),
            checks.sha,
        );
        match forge.and_then(|f| f.changes.as_ref()) {
            Some(Ok(changes)) => {
                let judged = per_change::evaluate(p, &required, changes, evidence, &mut out);
                if judged > 0 {
                    let failed = out
                        .changes
                        .iter()
                        .filter(|c| c.status == change_record::RuleStatus::Fail)
                        .count();
                    out.summary.push_str(&format!(
                        "; {judged} merged change(s) checked on their reviewed head: {failed} failed"
                    ));
                }
            }
            // The changes themselves are unknown, so their checks are too.
            Some(Err(gap)) => out.findings.push(
                per_change::CHANGE_CHECKS_UNREADABLE
                    .finding(format!("the changes of the range could not be read: {gap}")),
            ),
            // Only the commit was verified: say that the changes behind it were not.
            None => out
                .summary
                .push_str("; no range of changes given, so their own checks were not read"),
        }
        super::sort_findings(&mut out.findings);
        out
    }

    fn inputs(evidence: &Evidence) -> usize {
        evidence.forge.as_ref().is_some_and(|f| f.checks.is_some()) as usize
    }
}

/// Why the branch's own list of required checks is unknown: a protection source (or
/// the whole read) that could not be read may require checks nobody else does.
fn requirements_unknown(evidence: &Evidence) -> Option<String> {
    match evidence.forge.as_ref().and_then(|f| f.protection.as_ref()) {
        Some(Ok(bp)) => {
            let unreadable = bp.unreadable();
            (!unreadable.is_empty()).then(|| unreadable.join("; "))
        }
        Some(Err(gap)) => Some(format!("protection: {}", gap.detail)),
        None => None,
    }
}

/// Check names the branch requires (every readable source), when protection was read.
fn required_by_protection(evidence: &Evidence) -> Vec<String> {
    let Some(Ok(bp)) = evidence.forge.as_ref().and_then(|f| f.protection.as_ref()) else {
        return Vec::new();
    };
    let mut names: Vec<String> = bp
        .enforcing()
        .flat_map(|(_, r)| r.required_checks.iter().map(|c| c.name.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The app a required check is pinned to by the branch protection, if any: then only a
/// check run from that app counts (a status, or a run from another app, can be posted by
/// anyone with write access under the same name).
pub(super) fn pinned_app(evidence: &Evidence, name: &str) -> Option<u64> {
    let bp = evidence
        .forge
        .as_ref()?
        .protection
        .as_ref()?
        .as_ref()
        .ok()?;
    bp.enforcing()
        .flat_map(|(_, r)| r.required_checks.iter())
        .find_map(|c| (c.name == name).then_some(c.app_id).flatten())
}

/// What the results reported under one required name come to.
pub(super) enum Judgement {
    /// Every result under the name passed (on the right commit, from the right app).
    Passed,
    /// Results under the name, but none from the app the branch pins the check to.
    WrongReporter(u64),
    /// No result under the name.
    Missing,
    /// Results under the name, but on another commit.
    WrongSha(String),
    /// A result has not finished: the conclusions seen.
    Pending(String),
    /// A result concluded with something else than success: the conclusions seen.
    Failed(String),
}

/// Judges the results of `checks` named `name` (pinned to `app`, when the branch pins
/// it). Every result reported under the name must pass: a commit status can be posted
/// by anyone with write access, so a `success` status must not hide a failed run.
pub(super) fn judge<'a>(
    p: &RequiredChecksPolicy,
    name: &str,
    app: Option<u64>,
    checks: &'a CommitChecks,
) -> (Judgement, Vec<&'a CheckResult>) {
    let named: Vec<&CheckResult> = checks
        .checks
        .iter()
        .filter(|c| c.name == name && app.is_none_or(|a| c.reporter.app_id() == Some(a)))
        .collect();
    if named.is_empty() {
        let judgement = match app {
            Some(a) if checks.checks.iter().any(|c| c.name == name) => Judgement::WrongReporter(a),
            _ => Judgement::Missing,
        };
        return (judgement, named);
    }
    let other = named[0].sha.clone();
    let on_sha: Vec<&CheckResult> = named.into_iter().filter(|c| c.sha == checks.sha).collect();
    if on_sha.is_empty() {
        return (Judgement::WrongSha(other), on_sha);
    }
    let passed = on_sha.iter().all(|c| match c.outcome {
        CheckOutcome::Success => true,
        CheckOutcome::Neutral => p.allow_neutral,
        CheckOutcome::Skipped => p.allow_skipped,
        _ => false,
    });
    if passed {
        return (Judgement::Passed, on_sha);
    }
    let conclusions = on_sha
        .iter()
        .map(|c| {
            let allowed = match c.reporter {
                Reporter::GitlabJob {
                    allow_failure: true,
                    ..
                } => " (allowed to fail)",
                _ => "",
            };
            format!("{} {}{allowed}", c.reporter.label(), c.outcome.as_str())
        })
        .collect::<Vec<_>>()
        .join(", ");
    let pending = on_sha.iter().any(|c| c.outcome.is_unfinished());
    let judgement = if pending {
        Judgement::Pending(conclusions)
    } else {
        Judgement::Failed(conclusions)
    };
    (judgement, on_sha)
}

/// "success (or neutral)": what the policy accepts.
pub(super) fn expected(p: &RequiredChecksPolicy) -> &'static str {
    match (p.allow_neutral, p.allow_skipped) {
        (true, true) => "success (or neutral, skipped)",
        (true, false) => "success (or neutral)",
        (false, true) => "success (or skipped)",
        (false, false) => "success",
    }
}

fn evaluate(
    p: &RequiredChecksPolicy,
    required: &[String],
    checks: &CommitChecks,
    evidence: &Evidence,
    out: &mut CheckOutput,
) {
    let sha = &checks.sha;
    for name in required {
        let app = pinned_app(evidence, name);
        let subject = FindingSubject {
            id: Some(name.as_str().into()),
            ..Default::default()
        };
        let (judgement, results) = judge(p, name, app, checks);
        let finding = match judgement {
            Judgement::Passed => continue,
            Judgement::WrongReporter(a) => WRONG_REPORTER.finding(format!(
                "`{name}` on {sha}: expected a result from app {a}, which the branch requires, got results from other reporters only"
            )),
            Judgement::Missing => CHECK_MISSING.finding(format!(
                "`{name}` on {sha}: expected a successful result, got no result of that name"
            )),
            Judgement::WrongSha(other) => WRONG_SHA.finding(format!(
                "`{name}`: expected a result on {sha}, got one on {other}"
            )),
            Judgement::Pending(got) => CHECK_PENDING.finding(format!(
                "`{name}` on {sha}: expected {}, got {got}",
                expected(p)
            )),
            Judgement::Failed(got) => CHECK_FAILED.finding(format!(
                "`{name}` on {sha}: expected {}, got {got}",
                expected(p)
            )),
        };
        out.findings.push(
            finding
                .with_help_uri(
                    results
                        .iter()
                        .find_map(|c| c.url.as_deref().map(Into::into)),
                )
                .with_subject(subject),
        );
    }
}
