//! Checks: pure functions from (policy, evidence) to findings.
//!
//! Every control is one file here that owns its finding codes, their meaning and
//! their remediation text, and one line in [`ALL`]. A check never does I/O, never
//! reads the clock or the environment: what it needs is in the evidence, so a saved
//! evidence directory re-evaluates to the same findings.

/// Declares a finding code as a documented static: `code!(NAME, "control/code", Kind,
/// "meaning", "remediation")`.
macro_rules! code {
    ($name:ident, $code:literal, $kind:ident, $meaning:literal, $fix:literal $(,)?) => {
        #[doc = $meaning]
        pub static $name: $crate::checks::Code = $crate::checks::Code {
            code: $code,
            kind: $crate::checks::FindingKind::$kind,
            meaning: $meaning,
            remediation: $fix,
        };
    };
}

pub mod branch_protection;
pub mod change_record;
pub mod peer_review;
pub mod provenance;
pub mod required_checks;
pub mod sast;
pub mod sbom;
pub mod sca;
pub mod vsa;

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

use smol_str::SmolStr;

use crate::evidence::{Evidence, Location, Severity};
use crate::policy::Policy;

/// The registry of controls, in report order. Adding a control = one file + one line.
pub static ALL: &[&dyn Check] = &[
    &branch_protection::BranchProtectionCheck,
    &peer_review::PeerReviewCheck,
    &required_checks::RequiredChecksCheck,
    &sast::SastCheck,
    &sca::ScaCheck,
    &sbom::SbomCheck,
    &provenance::ProvenanceCheck,
    &vsa::VsaCheck,
];

/// Ids of every registered control (`sast`, `sca`, …), for policy validation.
pub fn control_ids() -> Vec<&'static str> {
    ALL.iter().map(|c| c.id()).collect()
}

/// A control's check, as the registry sees it. Implemented for every [`Control`].
pub trait Check: Sync {
    /// Stable control id, also the policy section name (`sast`).
    fn id(&self) -> &'static str;
    /// Human title (`SAST gate`).
    fn title(&self) -> &'static str;
    /// Every finding code this check can emit.
    fn codes(&self) -> &'static [&'static Code];
    /// The control's settings, or `None` when the policy does not enable it (skipped).
    fn settings(&self, policy: &Policy) -> Option<ControlSettings>;
    /// Evaluates the evidence. Only called when [`Check::settings`] is `Some`.
    fn run(&self, policy: &Policy, evidence: &Evidence) -> CheckOutput;
    /// How many inputs of the evidence belong to this control (reported when skipped).
    fn inputs(&self, evidence: &Evidence) -> usize;
}

/// What a control file implements: its identity, its policy section and one pure
/// evaluation function. [`Check`] follows from it.
pub trait Control: Sync {
    /// The control's policy section type.
    type Section: Section;
    /// Stable control id, also the policy section name.
    const ID: &'static str;
    /// Human title.
    const TITLE: &'static str;
    /// Every finding code the control can emit.
    const CODES: &'static [&'static Code];
    /// The section in a policy, when present.
    fn section(policy: &Policy) -> Option<&Self::Section>;
    /// Evaluates the evidence under the section's settings.
    fn evaluate(section: &Self::Section, evidence: &Evidence) -> CheckOutput;
    /// How many inputs of the evidence are this control's.
    fn inputs(evidence: &Evidence) -> usize;
}

/// Settings every control section has.
pub trait Section {
    /// `enabled: false` skips the control.
    fn enabled(&self) -> bool;
    /// `advisory: true` reports without failing the run.
    fn advisory(&self) -> bool;
}

impl<C: Control> Check for C {
    fn id(&self) -> &'static str {
        C::ID
    }
    fn title(&self) -> &'static str {
        C::TITLE
    }
    fn codes(&self) -> &'static [&'static Code] {
        C::CODES
    }
    fn settings(&self, policy: &Policy) -> Option<ControlSettings> {
        let section = C::section(policy).filter(|s| s.enabled())?;
        Some(ControlSettings {
            advisory: section.advisory(),
        })
    }
    fn inputs(&self, evidence: &Evidence) -> usize {
        C::inputs(evidence)
    }
    fn run(&self, policy: &Policy, evidence: &Evidence) -> CheckOutput {
        match C::section(policy) {
            Some(section) => C::evaluate(section, evidence),
            None => CheckOutput::default(),
        }
    }
}

/// Settings common to every control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlSettings {
    /// Advisory controls are reported but never fail the run.
    pub advisory: bool,
}

/// What a check returns: findings plus a one-line summary of what it looked at.
#[derive(Debug, Clone, Default)]
pub struct CheckOutput {
    /// Violations and errors, in a stable order.
    pub findings: Vec<Finding>,
    /// What was examined ("72 results from 1 run of CodeQL; 3 at or above high").
    pub summary: String,
    /// One record per change judged, for controls that judge changes (peer review).
    pub changes: Vec<change_record::ChangeRecord>,
    /// SLSA levels the evidence establishes when the control passes
    /// (`SLSA_BUILD_LEVEL_3` for provenance); what a VSA may state of this control.
    pub verified_levels: Vec<String>,
}

/// Whether a finding means "the control did not operate" or "we could not tell".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// The evidence shows a violation; waivable.
    Violation,
    /// Evidence is missing or unusable; never waivable (fail closed).
    Error,
}

/// A finding code with its documentation, declared beside the check that emits it.
#[derive(Debug)]
pub struct Code {
    /// Stable kebab-case code, prefixed with the control id (`sast/scanner-failed`).
    pub code: &'static str,
    /// Violation or error.
    pub kind: FindingKind,
    /// What the code means, one sentence.
    pub meaning: &'static str,
    /// How to fix it.
    pub remediation: &'static str,
}

impl Code {
    /// A finding of this code with the given message.
    pub fn finding(&'static self, message: impl Into<String>) -> Finding {
        let mut message = message.into();
        // `format!` leaves up to half its buffer unused; a finding lives to the end of
        // the run and a gate can keep 200,000.
        message.shrink_to_fit();
        Finding {
            code: Cow::Borrowed(self.code),
            kind: self.kind,
            message,
            severity: None,
            location: None,
            subject: Box::default(),
            help_uri: None,
            remediation: Cow::Borrowed(self.remediation),
            waiver: None,
        }
    }
}

/// One thing a check found.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Stable code (`sca/vulnerable-dependency`). The code's own text, not a copy,
    /// for findings made in this run (a SARIF gate can make 200,000 of them).
    pub code: Cow<'static, str>,
    /// Violation or error.
    pub kind: FindingKind,
    /// What was found, with the facts (ids, versions, expected vs got).
    pub message: String,
    /// Severity, for findings that carry one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Where, when the finding points into a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Identifiers that exceptions match against.
    /// Boxed: most of its fields are empty, and a finding is kept per result.
    #[serde(default, skip_serializing_if = "FindingSubject::is_empty_box")]
    pub subject: Box<FindingSubject>,
    /// Link to the rule or advisory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<SmolStr>,
    /// How to fix it: the code's remediation text.
    pub remediation: Cow<'static, str>,
    /// The exception or VEX statement that waived it, if any (set by the verdict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverRef>,
}

impl Finding {
    /// Sets the severity.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
    /// Sets the location.
    pub fn with_location(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }
    /// Sets the subject.
    pub fn with_subject(mut self, subject: FindingSubject) -> Self {
        *self.subject = subject;
        self
    }
    /// Sets the help link.
    pub fn with_help_uri(mut self, uri: Option<SmolStr>) -> Self {
        self.help_uri = uri;
        self
    }
    /// True for an unwaived violation or any error.
    pub fn is_blocking(&self) -> bool {
        self.kind == FindingKind::Error || self.waiver.is_none()
    }
}

/// The identifiers of what a finding is about.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FindingSubject {
    /// Advisory or result identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<SmolStr>,
    /// Other identifiers of the same advisory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<SmolStr>,
    /// SARIF rule id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<SmolStr>,
    /// Package name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<SmolStr>,
    /// Package ecosystem (OSV spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<SmolStr>,
    /// Package version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<SmolStr>,
    /// Tool or scanner(s) that reported it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<SmolStr>,
}

impl FindingSubject {
    /// True when nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == FindingSubject::default()
    }

    /// [`is_empty`](Self::is_empty) for serde's `skip_serializing_if` on the boxed field.
    #[allow(clippy::borrowed_box)]
    fn is_empty_box(subject: &Box<FindingSubject>) -> bool {
        subject.is_empty()
    }
}

/// A reference to what waived a finding.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WaiverRef {
    /// Index into the verdict's `waivers` list.
    pub index: usize,
    /// The waiver's reason, repeated for readers of a single finding.
    pub reason: String,
}

/// Keeps findings in a deterministic order: errors first, then by severity, code, message.
///
/// In place (an unstable sort needs no buffer the size of the list), so the order of
/// findings equal in all four is fixed by their location, their subject and their link
/// (waivers are set after sorting; findings equal in all of these are the same).
pub(crate) fn sort_findings(findings: &mut [Finding]) {
    findings.sort_unstable_by(|a, b| {
        (b.kind == FindingKind::Error)
            .cmp(&(a.kind == FindingKind::Error))
            .then(b.severity.cmp(&a.severity))
            .then(a.code.cmp(&b.code))
            .then(a.message.cmp(&b.message))
            .then_with(|| location_key(a).cmp(&location_key(b)))
            .then_with(|| subject_key(a).cmp(&subject_key(b)))
            .then_with(|| a.help_uri.cmp(&b.help_uri))
    });
}

fn location_key(f: &Finding) -> impl Ord + '_ {
    f.location
        .as_ref()
        .map(|l| (l.path.as_str(), l.line, l.column, l.end_line))
}

fn subject_key(f: &Finding) -> impl Ord + '_ {
    let s = &*f.subject;
    (
        &s.id,
        &s.aliases,
        &s.rule,
        &s.package,
        &s.ecosystem,
        &s.version,
        &s.tools,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_kebab_case_and_prefixed_by_their_control() {
        let mut seen = HashSet::new();
        for check in ALL {
            for code in check.codes() {
                assert!(seen.insert(code.code), "duplicate code {}", code.code);
                let (control, rest) = code.code.split_once('/').expect("control/code");
                assert_eq!(
                    control,
                    check.id(),
                    "{} is not under {}",
                    code.code,
                    check.id()
                );
                assert!(
                    rest.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                    "{} is not kebab-case",
                    code.code
                );
                assert!(
                    !code.meaning.is_empty() && !code.remediation.is_empty(),
                    "{} lacks docs",
                    code.code
                );
            }
        }
    }

    #[test]
    fn control_ids_are_unique() {
        let ids = control_ids();
        assert_eq!(ids.len(), ids.iter().collect::<HashSet<_>>().len());
    }
}
