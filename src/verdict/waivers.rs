//! Waivers: policy exceptions and VEX `not_affected` statements, matched to findings.
//!
//! Candidates are indexed by the identifiers they name (an id, a rule, a package, a
//! code; path-only exceptions through one glob set), so matching costs each finding a
//! few lookups, not a pass over every waiver: 200 exceptions over 10,000 results, or
//! 30,000 VEX statements, stay linear.

use globset::GlobBuilder;

use super::WaiverUse;
use super::vex::vex_matches;
use crate::checks::{Finding, WaiverRef};
use crate::evidence::VexStatement;
use crate::policy::Exception;

pub(super) struct Candidate<'a> {
    pub(super) waiver: usize,
    pub(super) live: bool,
    pub(super) rule: WaiverRule<'a>,
}

pub(super) enum WaiverRule<'a> {
    Exception(ExceptionRule<'a>),
    Vex(&'a VexStatement),
}

/// A policy exception with its path glob compiled once, not once per finding.
pub(super) struct ExceptionRule<'a> {
    pub(super) exception: &'a Exception,
    /// `None` when the exception has no `path`; an invalid glob (the loader refuses
    /// them) matches nothing.
    pub(super) path: Option<Option<globset::GlobMatcher>>,
}

impl<'a> ExceptionRule<'a> {
    pub(super) fn new(exception: &'a Exception) -> Self {
        let path = exception.matcher.path.as_ref().map(|glob| {
            GlobBuilder::new(glob.as_str())
                .literal_separator(true)
                .build()
                .ok()
                .map(|g| g.compile_matcher())
        });
        ExceptionRule { exception, path }
    }

    /// Whether it names particular findings (an id, rule or package), rather than
    /// everything of a code or under a path.
    fn is_specific(&self) -> bool {
        let m = &self.exception.matcher;
        m.id.is_some() || m.rule.is_some() || m.package.is_some()
    }
}

/// Marks the policy exceptions that waived every violation of `control`: when there
/// were several, or when the exception names no finding in particular (`code` or
/// `path` alone), it switched the whole control off. They still apply, as written; the
/// reports say so. `before` holds each waiver's match count before this control ran.
pub(super) fn flag_too_broad(
    control: &str,
    violations: usize,
    before: &[usize],
    candidates: &[Candidate],
    waivers: &mut [WaiverUse],
) {
    if violations == 0 {
        return;
    }
    for c in candidates {
        let WaiverRule::Exception(rule) = &c.rule else {
            continue;
        };
        let w = &mut waivers[c.waiver];
        let matched_here = w.matched_findings - before[c.waiver];
        if w.control == control
            && matched_here == violations
            && (violations > 1 || !rule.is_specific())
        {
            w.too_broad = true;
        }
    }
}

/// Attaches the first live matching waiver; counts expired matches for the report.
pub(super) fn apply_waivers(
    control: &str,
    finding: &mut Finding,
    candidates: &[Candidate],
    waivers: &mut [WaiverUse],
) {
    for c in candidates {
        if waivers[c.waiver].control != control || !matches(&c.rule, finding) {
            continue;
        }
        waivers[c.waiver].matched_findings += 1;
        if c.live && finding.waiver.is_none() {
            finding.waiver = Some(WaiverRef {
                index: c.waiver,
                reason: waivers[c.waiver].reason.clone(),
            });
        }
    }
}

pub(super) fn matches(rule: &WaiverRule, f: &Finding) -> bool {
    match rule {
        WaiverRule::Exception(rule) => exception_matches(rule, f),
        WaiverRule::Vex(st) => vex_matches(st, f),
    }
}

pub(super) fn has_identifier(f: &Finding, id: &str) -> bool {
    f.subject
        .id
        .iter()
        .chain(f.subject.aliases.iter())
        .any(|x| x.eq_ignore_ascii_case(id))
}

pub(super) fn exception_matches(rule: &ExceptionRule, f: &Finding) -> bool {
    let m = &rule.exception.matcher;
    if let Some(id) = &m.id
        && !has_identifier(f, id)
    {
        return false;
    }
    if let Some(rule) = &m.rule
        && f.subject.rule.as_deref() != Some(rule.as_str())
    {
        return false;
    }
    if let Some(pkg) = &m.package
        && !f
            .subject
            .package
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(pkg))
    {
        return false;
    }
    if let Some(code) = &m.code
        && &f.code != code
    {
        return false;
    }
    if let Some(matcher) = &rule.path {
        let Some(loc) = &f.location else { return false };
        let Some(matcher) = matcher else { return false };
        let path = crate::checks::sast::repo_path(&loc.path, None);
        if path.escapes_root || !matcher.is_match(&path.path) {
            return false;
        }
    }
    true
}

pub(super) fn describe_match(ex: &Exception) -> String {
    let m = &ex.matcher;
    let parts: Vec<String> = [
        ("id", &m.id),
        ("rule", &m.rule),
        ("package", &m.package),
        ("path", &m.path.as_ref().map(|g| g.0.clone())),
        ("code", &m.code),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
    .collect();
    parts.join(", ")
}
