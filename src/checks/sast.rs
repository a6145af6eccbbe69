//! The SAST gate: static-analysis results (SARIF 2.1.0, any tool) against a threshold.
//!
//! Fails when a result at or above `fail_on` is neither suppressed (accepted) nor
//! excluded by the path filter or the baseline option, and when a required scanner has
//! no run. A crashed scanner (`executionSuccessful: false`, an error notification) or
//! an unreadable report is an `error`: a scanner that did not finish proves nothing.

use super::{CheckOutput, Code, Control, FindingKind, FindingSubject, Section, sort_findings};
use crate::evidence::{BaselineState, Evidence, SastResult, SastRun, SuppressionState};
use crate::policy::sections::{NonEmpty, SastThreshold, yes};
use smol_str::SmolStr;

mod paths;
use crate::policy::{PathFilter, Policy, Threshold};
use paths::PathMatcher;
pub(crate) use paths::{RepoPath, repo_path};
use schemars::JsonSchema;
use serde::Deserialize;

/// SAST gate settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SastPolicy {
    /// Set to false to skip the control without deleting its settings.
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub enabled: bool,
    /// When true, failures and errors are reported but do not fail the run.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub advisory: bool,
    /// Fail on results at or above this severity (`critical`, `high`, `medium`, `low`, `any`)
    /// or SARIF level (`error`, `warning`, `note`).
    #[serde(default = "high_threshold")]
    pub fail_on: SastThreshold,
    /// Tools (`tool.driver.name`, case-insensitive) that must have produced a run.
    #[serde(default)]
    pub required_tools: Vec<NonEmpty>,
    /// Gate only on results whose `baselineState` is `new` or `updated`.
    /// Results without a baseline state are treated as new (fail closed).
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub new_only: bool,
    /// Which result paths count.
    #[serde(default)]
    pub paths: PathFilter,
    /// Also gate on the open GitHub code-scanning alerts of the ref (needs `--forge
    /// github` and `security-events: read`).
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub code_scanning_alerts: bool,
}

impl Default for SastPolicy {
    fn default() -> Self {
        SastPolicy {
            enabled: true,
            advisory: false,
            fail_on: high_threshold(),
            required_tools: Vec::new(),
            new_only: false,
            paths: PathFilter::default(),
            code_scanning_alerts: false,
        }
    }
}

fn high_threshold() -> SastThreshold {
    SastThreshold(Threshold::Severity(crate::evidence::Severity::High))
}

/// The SAST control.
pub struct SastCheck;

/// No SARIF input was given although the control is enabled.
pub static NO_EVIDENCE: Code = Code {
    code: "sast/no-evidence",
    kind: FindingKind::Error,
    meaning: "The SAST control is enabled but no SARIF report was given.",
    remediation: "Run your static analysers with SARIF output and pass each file with `--sarif FILE`, or disable the control in the policy.",
};

/// A report could not be read or parsed.
pub static UNREADABLE_REPORT: Code = Code {
    code: "sast/unreadable-report",
    kind: FindingKind::Error,
    meaning: "A SAST report could not be read or is not valid SARIF 2.1.0.",
    remediation: "Check that the scanner finished and wrote a complete SARIF 2.1.0 file; the message names the field that is wrong.",
};

/// A scanner reported that it did not run to completion.
pub static SCANNER_FAILED: Code = Code {
    code: "sast/scanner-failed",
    kind: FindingKind::Error,
    meaning: "The scanner reported `executionSuccessful: false` or an error-level tool notification, so its results are incomplete.",
    remediation: "Fix the scanner's configuration or build so the analysis completes; the notification text says what failed.",
};

/// The SARIF inputs hold no run at all.
pub static NO_ANALYSIS: Code = Code {
    code: "sast/no-analysis",
    kind: FindingKind::Error,
    meaning: "The SARIF inputs contain no run (`runs: []`): no analysis is recorded, which is not the same as a clean one.",
    remediation: "Pass the SARIF the scanner wrote for this commit; an empty log usually means the scanner step was skipped.",
};

/// A required scanner produced no run.
pub static REQUIRED_TOOL_MISSING: Code = Code {
    code: "sast/required-tool-missing",
    kind: FindingKind::Violation,
    meaning: "A scanner the policy requires did not run: no SARIF run from it was given.",
    remediation: "Add the scanner to the pipeline and pass its SARIF with `--sarif`, or remove it from `sast.required_tools`.",
};

/// A result is at or above the threshold.
pub static RESULT_OVER_THRESHOLD: Code = Code {
    code: "sast/result-over-threshold",
    kind: FindingKind::Violation,
    meaning: "A static-analysis result is at or above the policy's `fail_on` threshold and is not suppressed.",
    remediation: "Fix the code the rule points at, or, if it is a false positive, suppress it in the scanner (status `accepted`) or add a time-boxed exception with a reason and an owner.",
};

static CODES: [&Code; 6] = [
    &NO_EVIDENCE,
    &NO_ANALYSIS,
    &UNREADABLE_REPORT,
    &SCANNER_FAILED,
    &REQUIRED_TOOL_MISSING,
    &RESULT_OVER_THRESHOLD,
];

impl Control for SastCheck {
    type Section = SastPolicy;
    const ID: &'static str = "sast";
    const TITLE: &'static str = "SAST gate";
    const CODES: &'static [&'static Code] = &CODES;

    fn section(policy: &Policy) -> Option<&SastPolicy> {
        policy.sast.as_ref()
    }

    fn evaluate(section: &SastPolicy, evidence: &Evidence) -> CheckOutput {
        evaluate(section, evidence)
    }

    fn inputs(evidence: &Evidence) -> usize {
        evidence.sast.len()
    }
}

impl Section for SastPolicy {
    fn enabled(&self) -> bool {
        self.enabled
    }
    fn advisory(&self) -> bool {
        self.advisory
    }
}

fn evaluate(p: &SastPolicy, evidence: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    if evidence.sast.is_empty() {
        out.findings
            .push(NO_EVIDENCE.finding("no SARIF report was given (--sarif)"));
        out.summary = "no SAST evidence".into();
        return out;
    }
    let filter = PathMatcher::new(&p.paths);
    let workspace = evidence.context.workspace.as_deref();
    let mut tally = Tally::default();
    let mut tools_seen: Vec<String> = Vec::new();

    for sourced in &evidence.sast {
        let report = match &sourced.observed {
            Ok(r) => r,
            Err(gap) => {
                out.findings
                    .push(UNREADABLE_REPORT.finding(gap.to_string()));
                continue;
            }
        };
        if report.runs.is_empty() {
            // Each log on its own: another scanner's clean log must not hide this one.
            out.findings.push(NO_ANALYSIS.finding(format!(
                "{} contains no run: no analysis is recorded",
                sourced.source
            )));
        }
        for run in &report.runs {
            tools_seen.push(run.tool.clone());
            tally.runs += 1;
            check_run_health(run, &sourced.source, &mut out);
            for result in &run.results {
                tally.results += 1;
                let path = result
                    .location
                    .as_ref()
                    .map(|l| repo_path(&l.path, workspace));
                match classify(result, path.as_ref(), p, &filter) {
                    Disposition::NotAProblem => tally.not_problems += 1,
                    Disposition::Gone => tally.gone += 1,
                    Disposition::Suppressed => tally.suppressed += 1,
                    Disposition::Excluded => tally.excluded += 1,
                    Disposition::NotNew => tally.not_new += 1,
                    Disposition::BelowThreshold => {}
                    Disposition::Gating => {
                        tally.over += 1;
                        out.findings
                            .push(result_finding(result, path, run, &p.fail_on.0));
                    }
                }
            }
        }
    }

    tools_seen.sort();
    tools_seen.dedup();
    for required in &p.required_tools {
        if !tools_seen.iter().any(|t| t.eq_ignore_ascii_case(required)) {
            let seen = if tools_seen.is_empty() {
                "none".to_string()
            } else {
                tools_seen.join(", ")
            };
            out.findings.push(
                REQUIRED_TOOL_MISSING
                    .finding(format!(
                        "scanner did not run: `{required}` is required, runs given: {seen}"
                    ))
                    .with_subject(FindingSubject {
                        tools: vec![required.0.as_str().into()],
                        ..Default::default()
                    }),
            );
        }
    }

    out.summary = format!(
        "{} result(s) in {} run(s) ({}); {} at or above {}; {} suppressed, {} excluded by path{}",
        tally.results,
        tally.runs,
        if tools_seen.is_empty() {
            "no tools".to_string()
        } else {
            tools_seen.join(", ")
        },
        tally.over,
        p.fail_on.0.as_str(),
        tally.suppressed,
        tally.excluded,
        if p.new_only {
            format!(", {} not new", tally.not_new)
        } else {
            String::new()
        },
    );
    if tally.not_problems > 0 {
        out.summary += &format!(
            "; {} not a problem (kind other than fail)",
            tally.not_problems
        );
    }
    if tally.gone > 0 {
        out.summary += &format!(
            "; {} absent from this scan (baselineState absent)",
            tally.gone
        );
    }
    sort_findings(&mut out.findings);
    out
}

fn check_run_health(run: &SastRun, source: &str, out: &mut CheckOutput) {
    if !run.execution_successful {
        out.findings.push(SCANNER_FAILED.finding(format!(
            "{} run in {source} reported executionSuccessful: false",
            run.tool
        )));
    }
    for error in &run.tool_errors {
        out.findings.push(SCANNER_FAILED.finding(format!(
            "{} reported a tool error in {source}: {error}",
            run.tool
        )));
    }
}

#[derive(Default)]
struct Tally {
    runs: usize,
    results: usize,
    over: usize,
    suppressed: usize,
    excluded: usize,
    not_new: usize,
    not_problems: usize,
    gone: usize,
}

enum Disposition {
    NotAProblem,
    Gone,
    Suppressed,
    Excluded,
    NotNew,
    BelowThreshold,
    Gating,
}

fn classify(
    result: &SastResult,
    path: Option<&RepoPath>,
    p: &SastPolicy,
    filter: &PathMatcher,
) -> Disposition {
    // Only a `fail` is a problem (SARIF §3.27.9); `pass`, `notApplicable`,
    // `informational`, `review` and `open` record something else.
    if !result.kind.is_fail() {
        return Disposition::NotAProblem;
    }
    // `absent`: the result was in the baseline and is gone from this scan (§3.27.24).
    if result.baseline_state == Some(BaselineState::Absent) {
        return Disposition::Gone;
    }
    if result.suppression == SuppressionState::Accepted {
        return Disposition::Suppressed;
    }
    // A result with no location, or one outside the checkout, cannot be shown to be
    // outside the included paths: it still counts (fail closed). Excludes still apply.
    if let Some(path) = path
        && !filter.admits(path)
    {
        return Disposition::Excluded;
    }
    if p.new_only && result.baseline_state == Some(BaselineState::Unchanged) {
        return Disposition::NotNew;
    }
    if exceeds(result, p.fail_on.0) {
        Disposition::Gating
    } else {
        Disposition::BelowThreshold
    }
}

/// Whether a result is at or above the threshold.
pub fn exceeds(result: &SastResult, threshold: Threshold) -> bool {
    match threshold {
        Threshold::Severity(min) => result.effective_severity() >= min,
        Threshold::Level(min) => result.level >= min,
    }
}

fn result_finding(
    result: &SastResult,
    path: Option<RepoPath>,
    run: &SastRun,
    threshold: &Threshold,
) -> super::Finding {
    let rule = result
        .rule_id
        .clone()
        .unwrap_or_else(|| "(no rule id)".into());
    let severity = result.effective_severity();
    let detail = match result.security_severity {
        Some(score) => format!("security-severity {score}"),
        None => format!("level {}", result.level.as_str()),
    };
    let message = if result.message.is_empty() {
        "(no message)"
    } else {
        result.message.as_str()
    };
    let help = result
        .rule_id
        .as_ref()
        .and_then(|r| run.rules.get(r))
        .and_then(|r| r.help_uri.clone());
    RESULT_OVER_THRESHOLD
        .finding(format!(
            "{} {rule} ({severity}, {detail}; fail_on {}): {message}",
            run.tool,
            threshold.as_str()
        ))
        .with_severity(severity)
        .with_location(result.location.clone().map(|mut l| {
            if let Some(p) = path {
                l.path = p.path.into();
            }
            l
        }))
        .with_help_uri(help)
        .with_subject(FindingSubject {
            rule: result.rule_id.as_deref().map(SmolStr::new),
            tools: vec![run.tool.as_str().into()],
            ..Default::default()
        })
}
