//! Required checks per change: besides the release commit, every merged change's
//! reviewed head must have passed the required checks, and passed them before it was
//! merged. A check that went green only after the merge did not gate the merge; a
//! change merged with a red check is a change that skipped the control, even when a
//! later commit's checks are green.
//!
//! The head's checks come with the change (GitHub: the head's status check rollup, read
//! in the same query as the pull request), so this costs no request of its own. Each
//! change gets a record, as in peer review, with one rule per finding code.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Judgement, RequiredChecksPolicy, expected, judge, pinned_app};
use crate::checks::change_record::{ChangeRecord, Naming, RuleOutcome};
use crate::checks::{CheckOutput, Code, Finding, FindingSubject};
use crate::evidence::Evidence;
use crate::evidence::forge::{ChangeRequest, ChangeSet, CheckResult};

code!(
    CHANGE_CHECKS_UNREADABLE,
    "required-checks/change-checks-unreadable",
    Error,
    "The checks on a merged change's reviewed head could not be read, or do not say when they concluded.",
    "Check the token (`checks: read`, `statuses: read`); a head with more than 100 check results is not read."
);
code!(
    CHANGE_CHECK_MISSING,
    "required-checks/change-check-missing",
    Violation,
    "A merged change's reviewed head has no result of a required check (or none from the app the branch pins it to, or only on another commit).",
    "Make the workflow that reports the check run on pull requests, and require the check on the branch so that GitHub blocks the merge without it."
);
code!(
    CHANGE_CHECK_FAILED,
    "required-checks/change-check-failed",
    Violation,
    "A merged change's reviewed head did not pass a required check: it failed or never finished.",
    "Require the check on the branch (rulesets or classic protection) and do not let anyone bypass it; review the change that was merged without it."
);
code!(
    CHANGE_CHECKED_AFTER_MERGE,
    "required-checks/change-checked-after-merge",
    Violation,
    "A required check passed on a merged change's reviewed head only after the change was merged: it did not gate the merge.",
    "Require the check on the branch so that the merge waits for it."
);

/// The codes of this part of the control, in the order a change's rules are listed.
pub(super) static CODES: [&Code; 4] = [
    &CHANGE_CHECKS_UNREADABLE,
    &CHANGE_CHECK_MISSING,
    &CHANGE_CHECK_FAILED,
    &CHANGE_CHECKED_AFTER_MERGE,
];

/// Judges every merged change of the range; returns how many were judged.
pub(super) fn evaluate(
    p: &RequiredChecksPolicy,
    required: &[String],
    changes: &ChangeSet,
    evidence: &Evidence,
    out: &mut CheckOutput,
) -> usize {
    let mut judged = 0;
    for change in &changes.change_requests {
        // An unmerged pull request (the pre-merge gate, which has no base) is its
        // head: the release commit's checks are that head's. Every change of a range
        // was merged, so one without a merge time cannot be placed, not skipped.
        let merged_at = change.merged_at.as_deref();
        if merged_at.is_none() && changes.base.is_none() {
            continue;
        }
        judged += 1;
        let mut findings = judge_change(p, required, change, merged_at, evidence);
        let record = record(change, changes, Naming::of(evidence), &findings);
        out.findings.append(&mut findings);
        out.changes.push(record);
    }
    judged
}

/// The findings about one merged change.
fn judge_change(
    p: &RequiredChecksPolicy,
    required: &[String],
    change: &ChangeRequest,
    merged_at: Option<&str>,
    evidence: &Evidence,
) -> Vec<Finding> {
    let id = Naming::of(evidence).id(change.number);
    let subject = || FindingSubject {
        id: Some(id.as_str().into()),
        ..Default::default()
    };
    let head = &change.head_sha;
    let unreadable = |why: String| {
        vec![
            CHANGE_CHECKS_UNREADABLE
                .finding(format!("{id} (head {head}): {why}"))
                .with_subject(subject()),
        ]
    };
    let checks = match &change.head_checks {
        Some(Ok(checks)) => checks,
        Some(Err(gap)) => return unreadable(gap.to_string()),
        None => return unreadable("the forge was not asked for the head's checks".into()),
    };
    let Some(merged_at) = merged_at else {
        return unreadable("merged into the range, but the forge states no merge time".into());
    };
    let Some(merged) = parse_time(merged_at) else {
        return unreadable(format!("merge time `{merged_at}` is not an RFC 3339 time"));
    };
    // The head the checks ran on must be the head that was reviewed and merged.
    if checks.sha != *head {
        return unreadable(format!(
            "the checks read are of {}, not of the head",
            checks.sha
        ));
    }
    let mut findings = Vec::new();
    for name in required {
        let (judgement, results) = judge(p, name, pinned_app(evidence, name), checks);
        let finding = match judgement {
            Judgement::Passed => match concluded_after(&results, merged) {
                Ok(None) => continue,
                Ok(Some(late)) => CHANGE_CHECKED_AFTER_MERGE.finding(format!(
                    "{id} `{name}` on {head}: expected {} before the merge at {merged_at}, got it at {late}",
                    expected(p)
                )),
                Err(()) => CHANGE_CHECKS_UNREADABLE.finding(format!(
                    "{id} `{name}` on {head}: the result does not say when it concluded, so it cannot be placed before the merge"
                )),
            },
            Judgement::Missing => CHANGE_CHECK_MISSING.finding(format!(
                "{id} `{name}` on {head}: expected {} before the merge, got no result of that name",
                expected(p)
            )),
            Judgement::WrongReporter(app) => CHANGE_CHECK_MISSING.finding(format!(
                "{id} `{name}` on {head}: expected a result from app {app}, which the branch requires, got results from other reporters only"
            )),
            Judgement::WrongSha(other) => CHANGE_CHECK_MISSING.finding(format!(
                "{id} `{name}`: expected a result on the head {head}, got one on {other}"
            )),
            Judgement::Pending(got) | Judgement::Failed(got) => CHANGE_CHECK_FAILED.finding(
                format!("{id} `{name}` on {head}: expected {} before the merge, got {got}", expected(p)),
            ),
        };
        findings.push(
            finding
                .with_help_uri(
                    results
                        .iter()
                        .find_map(|c| c.url.as_deref().map(Into::into)),
                )
                .with_subject(subject()),
        );
    }
    findings
}

/// The latest conclusion time among `results` when it is after `merged`; `Err` when a
/// result does not state one (or states something that is not a time).
///
/// A check run's time is the one its app stated (GitHub keeps no server time for a
/// run); a status's is GitHub's. So the time is as trustworthy as the reporter: a
/// check pinned to an app counts only that app's runs (see [`pinned_app`]), which is
/// what the README tells users to do.
fn concluded_after(results: &[&CheckResult], merged: OffsetDateTime) -> Result<Option<String>, ()> {
    let mut late = None;
    for result in results {
        let text = result.completed_at.as_deref().ok_or(())?;
        let at = parse_time(text).ok_or(())?;
        if at > merged {
            late = Some(text.to_string());
        }
    }
    Ok(late)
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// The change's record: one rule per code, failed when a finding of that code is about
/// the change.
fn record(
    change: &ChangeRequest,
    changes: &ChangeSet,
    naming: Naming,
    findings: &[Finding],
) -> ChangeRecord {
    let rules = CODES
        .iter()
        .map(|code| {
            let behind: Vec<&str> = findings
                .iter()
                .filter(|f| f.code == code.code)
                .map(|f| f.message.as_str())
                .collect();
            let detail = (!behind.is_empty()).then(|| behind.join("; "));
            RuleOutcome::new(code, !behind.is_empty(), detail)
        })
        .collect();
    let mut record = ChangeRecord::pull_request(change, naming, rules);
    record.commits = changes
        .commits
        .iter()
        .filter(|c| c.change_request == Some(change.number))
        .map(|c| c.sha.clone())
        .collect();
    record
}
