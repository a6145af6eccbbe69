//! The verdict: waivers applied, findings folded into per-control outcomes.
//!
//! Pure: `evaluate(policy, evidence)` reads no clock (the run time is
//! `evidence.collected_at`) and no environment, so the same evidence and policy give
//! the same verdict on any machine, at any later date. That is what makes
//! `vouch evaluate` a re-performance and not a re-run.

use serde::{Deserialize, Serialize};

use crate::checks::change_record::ChangeRecord;
use crate::checks::{ALL, Finding, FindingKind};
use crate::evidence::Evidence;
use crate::policy::Policy;

/// Outcome of a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every criterion held.
    Pass,
    /// At least one unwaived violation.
    Fail,
    /// Evidence was missing or unusable: the control could not be evaluated.
    Error,
    /// Violations existed, and every one is covered by a live waiver.
    Waived,
    /// The policy does not enable this control.
    Skipped,
}

impl Status {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Waived => "waived",
            Status::Skipped => "skipped",
        }
    }
}

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Overall {
    /// Every required control passed (or was waived or skipped).
    Pass,
    /// A required control failed or could not be evaluated.
    Fail,
}

/// One control's outcome.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ControlOutcome {
    /// Control id (`sast`).
    pub id: String,
    /// Human title.
    pub title: String,
    /// Outcome.
    pub status: Status,
    /// Whether a `fail` or `error` here fails the run (false for advisory controls).
    pub required: bool,
    /// What the check examined.
    pub summary: String,
    /// Violations and errors, waived ones included (with their waiver).
    pub findings: Vec<Finding>,
    /// Per-change records with the verdict of each rule (peer review).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ChangeRecord>,
    /// SLSA levels the control established; only ever set when it passed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verified_levels: Vec<String>,
}

/// Where a waiver comes from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum WaiverSource {
    /// `exceptions[index]` of the policy, defined at `line`.
    Policy {
        /// Position in `exceptions`.
        index: usize,
        /// Line in the policy file.
        line: u64,
    },
    /// A VEX `not_affected` statement.
    Vex {
        /// The VEX file.
        file: String,
    },
}

/// State of a waiver at evaluation time.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum WaiverState {
    /// Live and covering at least one finding.
    Applied,
    /// Past its expiry date: not honored.
    Expired,
    /// Live but matched no finding: candidate for removal.
    Unused,
    /// Expires later than the policy's `max_exception_lifetime_days` allow from the run
    /// time: not honored (an exception until 9999 is not time-boxed).
    TooLong,
}

/// A waiver and what it did in this evaluation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct WaiverUse {
    /// Policy exception or VEX statement.
    pub source: WaiverSource,
    /// Control it applies to.
    pub control: String,
    /// Human description of what it matches (`id=CVE-2024-1, package=openssl`).
    pub matches: String,
    /// Why the risk is accepted.
    pub reason: String,
    /// Who accepted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Expiry date (`YYYY-MM-DD`), for policy exceptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Applied, expired or unused.
    pub state: WaiverState,
    /// Number of findings it waived (or, when expired, would have waived).
    pub matched_findings: usize,
    /// It waived every violation of its control (and names no finding in particular,
    /// or there were several): a whole control switched off, which reviewers must see.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub too_broad: bool,
}

/// The result of an evaluation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Verdict {
    /// Overall verdict.
    pub verdict: Overall,
    /// Every registered control, in registry order.
    pub controls: Vec<ControlOutcome>,
    /// Every waiver the policy and VEX documents declared, with its state.
    pub waivers: Vec<WaiverUse>,
}

/// Evaluates every registered control and folds the outcome.
pub fn evaluate(policy: &Policy, evidence: &Evidence) -> Verdict {
    let now = evidence.collected_at;
    let mut waivers: Vec<WaiverUse> = Vec::new();
    let mut candidates: Vec<Candidate> = Vec::new();

    let max_days = policy.max_exception_lifetime_days.get();
    for (index, spanned) in policy.exceptions.iter().enumerate() {
        let ex = &spanned.value;
        let too_long = ex.expires.exceeds_lifetime(now, max_days);
        let live = ex.expires.is_live_at(now) && !too_long;
        waivers.push(WaiverUse {
            source: WaiverSource::Policy {
                index,
                line: spanned.referenced.line(),
            },
            control: ex.control.0.clone(),
            matches: describe_match(ex),
            reason: ex.reason.0.clone(),
            owner: Some(ex.owner.0.clone()),
            expires: Some(ex.expires.to_iso()),
            state: if too_long {
                WaiverState::TooLong
            } else if live {
                WaiverState::Unused
            } else {
                WaiverState::Expired
            },
            matched_findings: 0,
            too_broad: false,
        });
        candidates.push(Candidate {
            waiver: waivers.len() - 1,
            live,
            rule: WaiverRule::Exception(ExceptionRule::new(ex)),
        });
    }
    let timeline = vex_timeline(evidence);
    let replaced = superseded(&timeline);
    for (k, entry) in timeline.iter().enumerate() {
        let (sourced, doc, st) = (entry.sourced, entry.doc, entry.statement);
        {
            if st.status != "not_affected" || entry.future || replaced[k] {
                continue;
            }
            waivers.push(WaiverUse {
                source: WaiverSource::Vex {
                    file: sourced.source.clone(),
                },
                control: "sca".into(),
                matches: format!("id={}{}", st.vulnerability, products_suffix(st)),
                reason: st
                    .justification
                    .clone()
                    .unwrap_or_else(|| "VEX: not_affected".into()),
                owner: doc.author.clone(),
                expires: None,
                state: WaiverState::Unused,
                matched_findings: 0,
                too_broad: false,
            });
            candidates.push(Candidate {
                waiver: waivers.len() - 1,
                live: true,
                rule: WaiverRule::Vex(st),
            });
        }
    }

    let index = WaiverIndex::new(&candidates);
    let mut controls = Vec::with_capacity(ALL.len());
    for check in ALL {
        let Some(settings) = check.settings(policy) else {
            controls.push(ControlOutcome {
                id: check.id().into(),
                title: check.title().into(),
                status: Status::Skipped,
                required: false,
                summary: match check.inputs(evidence) {
                    0 => "not enabled by the policy".into(),
                    n => format!(
                        "not enabled by the policy: {n} input(s) given for it were not evaluated"
                    ),
                },
                findings: Vec::new(),
                changes: Vec::new(),
                verified_levels: Vec::new(),
            });
            continue;
        };
        let output = check.run(policy, evidence);
        tracing::debug!(control = check.id(), findings = output.findings.len(), summary = %crate::report::escape::terminal(&output.summary), "evaluated");
        let mut findings = output.findings;
        let before: Vec<usize> = waivers.iter().map(|w| w.matched_findings).collect();
        let mut violations = 0;
        for finding in findings
            .iter_mut()
            .filter(|f| f.kind == FindingKind::Violation)
        {
            violations += 1;
            apply_waivers(check.id(), finding, &candidates, &index, &mut waivers);
        }
        flag_too_broad(check.id(), violations, &before, &candidates, &mut waivers);
        let mut changes = output.changes;
        for change in changes.iter_mut() {
            change.settle(&findings);
        }
        let status = status_of(&findings);
        // A level is vouched for only by a control that passed outright: not one whose
        // violations were waived, and never one that failed or could not tell.
        let verified_levels = if status == Status::Pass {
            output.verified_levels
        } else {
            Vec::new()
        };
        controls.push(ControlOutcome {
            id: check.id().into(),
            title: check.title().into(),
            status,
            required: !settings.advisory,
            summary: output.summary,
            findings,
            changes,
            verified_levels,
        });
    }
    for w in waivers.iter_mut() {
        if w.state == WaiverState::Unused && w.matched_findings > 0 {
            w.state = WaiverState::Applied;
        }
    }
    let failed = controls
        .iter()
        .any(|c| c.required && matches!(c.status, Status::Fail | Status::Error));
    Verdict {
        verdict: if failed { Overall::Fail } else { Overall::Pass },
        controls,
        waivers,
    }
}

fn status_of(findings: &[Finding]) -> Status {
    if findings.iter().any(|f| f.kind == FindingKind::Error) {
        Status::Error
    } else if findings.iter().any(|f| f.waiver.is_none()) {
        Status::Fail
    } else if findings.is_empty() {
        Status::Pass
    } else {
        Status::Waived
    }
}

mod vex;
mod waivers;

use vex::{products_suffix, superseded, vex_timeline};
use waivers::{
    Candidate, ExceptionRule, WaiverIndex, WaiverRule, apply_waivers, describe_match,
    flag_too_broad,
};

#[cfg(test)]
mod tests;
