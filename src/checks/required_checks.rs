//! Required checks: every check the policy (or the branch protection) requires concluded
//! `success` on the exact commit being verified.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{CheckOutput, Code, Control, FindingSubject, Section};
use crate::evidence::Evidence;
use crate::evidence::forge::{ClassicProtection, CommitChecks, Rule};
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
    "Check the token (`checks: read`, `statuses: read`)."
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
    "The policy names no checks and the branch's classic protection could not be read, so the set of required checks is unknown.",
    "Name the checks under `required_checks.checks`, or let vouch read classic protection (`administration: read`)."
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

static CODES: [&Code; 9] = [
    &NO_EVIDENCE,
    &UNREADABLE,
    &NOTHING_REQUIRED,
    &REQUIREMENTS_UNKNOWN,
    &WRONG_REPORTER,
    &CHECK_MISSING,
    &CHECK_FAILED,
    &CHECK_PENDING,
    &WRONG_SHA,
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
            // Checks only classic protection requires would be silently skipped if it
            // could not be read: then the requirement set itself is unknown.
            if let Some(reason) = classic_unreadable(evidence) {
                out.findings.push(REQUIREMENTS_UNKNOWN.finding(format!(
                    "the branch's required checks are unknown: classic protection {reason}"
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
        out.summary = format!(
            "{} required check(s) (from the {from}) on {}: {} not passed",
            required.len(),
            checks.sha,
            out.findings.len()
        );
        super::sort_findings(&mut out.findings);
        out
    }

    fn inputs(evidence: &Evidence) -> usize {
        evidence.forge.as_ref().is_some_and(|f| f.checks.is_some()) as usize
    }
}

/// Why classic protection could not be read, when it could not (or protection was not read).
fn classic_unreadable(evidence: &Evidence) -> Option<String> {
    match evidence.forge.as_ref().and_then(|f| f.protection.as_ref()) {
        Some(Ok(bp)) => match &bp.classic {
            ClassicProtection::Unreadable { reason } => Some(reason.clone()),
            _ => bp
                .rulesets
                .as_ref()
                .err()
                .map(|g| format!("(rulesets: {})", g.detail)),
        },
        Some(Err(gap)) => Some(format!("(protection: {})", gap.detail)),
        None => None,
    }
}

/// Check names the branch requires (rulesets and classic), when protection was read.
fn required_by_protection(evidence: &Evidence) -> Vec<String> {
    let Some(Ok(bp)) = evidence.forge.as_ref().and_then(|f| f.protection.as_ref()) else {
        return Vec::new();
    };
    let mut names: Vec<String> = bp
        .rulesets
        .iter()
        .flatten()
        .filter_map(|r| match &r.rule {
            Rule::RequiredStatusChecks { contexts, .. } => Some(contexts.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    if let ClassicProtection::Present(c) = &bp.classic {
        names.extend(c.required_checks.clone().unwrap_or_default());
    }
    names.sort();
    names.dedup();
    names
}

/// The app a required check is pinned to by the branch protection, if any: then only a
/// check run from that app counts (a status, or a run from another app, can be posted by
/// anyone with write access under the same name).
fn pinned_app(evidence: &Evidence, name: &str) -> Option<u64> {
    let bp = evidence
        .forge
        .as_ref()?
        .protection
        .as_ref()?
        .as_ref()
        .ok()?;
    let from_rules = bp.rulesets.iter().flatten().find_map(|r| match &r.rule {
        Rule::RequiredStatusChecks { apps, .. } => apps.get(name).copied(),
        _ => None,
    });
    let from_classic = match &bp.classic {
        ClassicProtection::Present(c) => c.required_check_apps.get(name).copied(),
        _ => None,
    };
    from_rules.or(from_classic)
}

fn evaluate(
    p: &RequiredChecksPolicy,
    required: &[String],
    checks: &CommitChecks,
    evidence: &Evidence,
    out: &mut CheckOutput,
) {
    for name in required {
        let app = pinned_app(evidence, name);
        let subject = FindingSubject {
            id: Some(name.clone()),
            ..Default::default()
        };
        let named: Vec<_> = checks
            .checks
            .iter()
            .filter(|c| &c.name == name && app.is_none_or(|a| c.app_id == Some(a)))
            .collect();
        if named.is_empty() {
            if let Some(a) = app
                && checks.checks.iter().any(|c| &c.name == name)
            {
                out.findings.push(
                    WRONG_REPORTER
                        .finding(format!(
                            "`{name}` on {}: expected a result from app {a}, which the branch requires, got results from other reporters only",
                            checks.sha
                        ))
                        .with_subject(subject),
                );
                continue;
            }
            out.findings.push(
                CHECK_MISSING
                    .finding(format!(
                        "`{name}` on {}: expected a successful result, got no result of that name",
                        checks.sha
                    ))
                    .with_subject(subject),
            );
            continue;
        }
        let on_sha: Vec<_> = named.iter().filter(|c| c.sha == checks.sha).collect();
        if on_sha.is_empty() {
            let other = named.first().map(|c| c.sha.as_str()).unwrap_or("");
            out.findings.push(
                WRONG_SHA
                    .finding(format!(
                        "`{name}`: expected a result on {}, got one on {other}",
                        checks.sha
                    ))
                    .with_subject(subject),
            );
            continue;
        }
        // Every result reported under the name must pass: a commit status can be posted
        // by anyone with write access, so a `success` status must not hide a failed run.
        let passed = on_sha.iter().all(|c| {
            c.status == "completed"
                && match c.conclusion.as_deref() {
                    Some("success") => true,
                    Some("neutral") => p.allow_neutral,
                    Some("skipped") => p.allow_skipped,
                    _ => false,
                }
        });
        if passed {
            continue;
        }
        let pending = on_sha
            .iter()
            .any(|c| c.status != "completed" || c.conclusion.as_deref() == Some("pending"));
        let conclusions: Vec<String> = on_sha
            .iter()
            .map(|c| {
                format!(
                    "{} {}",
                    c.kind,
                    c.conclusion.as_deref().unwrap_or(&c.status)
                )
            })
            .collect();
        let code = if pending {
            &CHECK_PENDING
        } else {
            &CHECK_FAILED
        };
        out.findings.push(
            code.finding(format!(
                "`{name}` on {}: expected success{}, got {}",
                checks.sha,
                match (p.allow_neutral, p.allow_skipped) {
                    (true, true) => " (or neutral, skipped)",
                    (true, false) => " (or neutral)",
                    (false, true) => " (or skipped)",
                    (false, false) => "",
                },
                conclusions.join(", ")
            ))
            .with_help_uri(on_sha.iter().find_map(|c| c.url.clone()))
            .with_subject(subject),
        );
    }
}
