//! Waivers: policy exceptions and VEX `not_affected` statements, matched to findings.
//!
//! Candidates are indexed by the identifiers they name (an id, a rule, a package, a
//! code; path-only exceptions through one glob set), so matching costs each finding a
//! few lookups, not a pass over every waiver: 200 exceptions over 10,000 results, or
//! 30,000 VEX statements, stay linear.

use std::collections::HashMap;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

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

/// The candidates by what they name, so a finding is compared only with the waivers
/// that could match it. Each exception is filed under its most selective selector (id,
/// else rule, else package, else code); path-only exceptions go into one glob set; a
/// VEX statement under its vulnerability id and aliases.
pub(super) struct WaiverIndex {
    by_id: HashMap<String, Vec<usize>>,
    by_rule: HashMap<String, Vec<usize>>,
    by_package: HashMap<String, Vec<usize>>,
    by_code: HashMap<String, Vec<usize>>,
    by_path: Option<(GlobSet, Vec<usize>)>,
}

impl WaiverIndex {
    /// Indexes `candidates` (positions into it).
    pub(super) fn new(candidates: &[Candidate]) -> Self {
        let mut index = WaiverIndex {
            by_id: HashMap::new(),
            by_rule: HashMap::new(),
            by_package: HashMap::new(),
            by_code: HashMap::new(),
            by_path: None,
        };
        let mut paths = GlobSetBuilder::new();
        let mut path_candidates = Vec::new();
        for (k, c) in candidates.iter().enumerate() {
            match &c.rule {
                WaiverRule::Vex(st) => {
                    for id in std::iter::once(&st.vulnerability).chain(&st.aliases) {
                        index
                            .by_id
                            .entry(id.to_ascii_lowercase())
                            .or_default()
                            .push(k);
                    }
                }
                WaiverRule::Exception(rule) => {
                    let m = &rule.exception.matcher;
                    if let Some(id) = &m.id {
                        index
                            .by_id
                            .entry(id.to_ascii_lowercase())
                            .or_default()
                            .push(k);
                    } else if let Some(r) = &m.rule {
                        index.by_rule.entry(r.clone()).or_default().push(k);
                    } else if let Some(pkg) = &m.package {
                        index
                            .by_package
                            .entry(pkg.to_ascii_lowercase())
                            .or_default()
                            .push(k);
                    } else if let Some(code) = &m.code {
                        index.by_code.entry(code.clone()).or_default().push(k);
                    } else if let Some(glob) = &m.path
                        && let Ok(g) = GlobBuilder::new(glob.as_str())
                            .literal_separator(true)
                            .build()
                    {
                        paths.add(g);
                        path_candidates.push(k);
                    }
                }
            }
        }
        if !path_candidates.is_empty()
            && let Ok(set) = paths.build()
        {
            index.by_path = Some((set, path_candidates));
        }
        index
    }

    /// Positions of the candidates that could match `f`, in candidate order.
    fn for_finding(&self, f: &Finding) -> Vec<usize> {
        let mut out = Vec::new();
        for id in f.subject.id.iter().chain(&f.subject.aliases) {
            out.extend(
                self.by_id
                    .get(&id.to_ascii_lowercase())
                    .into_iter()
                    .flatten(),
            );
        }
        if let Some(rule) = &f.subject.rule {
            out.extend(self.by_rule.get(rule.as_str()).into_iter().flatten());
        }
        if let Some(pkg) = &f.subject.package {
            out.extend(
                self.by_package
                    .get(&pkg.to_ascii_lowercase())
                    .into_iter()
                    .flatten(),
            );
        }
        out.extend(self.by_code.get::<str>(&f.code).into_iter().flatten());
        if let (Some((set, positions)), Some(loc)) = (&self.by_path, &f.location) {
            let path = crate::checks::sast::repo_path(&loc.path, None);
            if !path.escapes_root {
                out.extend(set.matches(&path.path).into_iter().map(|i| positions[i]));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Attaches the first live matching waiver; counts expired matches for the report.
pub(super) fn apply_waivers(
    control: &str,
    finding: &mut Finding,
    candidates: &[Candidate],
    index: &WaiverIndex,
    waivers: &mut [WaiverUse],
) {
    for k in index.for_finding(finding) {
        let c = &candidates[k];
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
