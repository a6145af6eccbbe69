//! The verdict: waivers applied, findings folded into per-control outcomes.
//!
//! Pure: `evaluate(policy, evidence)` reads no clock (the run time is
//! `evidence.collected_at`) and no environment, so the same evidence and policy give
//! the same verdict on any machine, at any later date. That is what makes
//! `vouch evaluate` a re-performance and not a re-run.

use globset::GlobBuilder;
use serde::{Deserialize, Serialize};

use crate::checks::change_record::ChangeRecord;
use crate::checks::{ALL, Finding, FindingKind, WaiverRef};
use crate::evidence::{Evidence, VexStatement};
use crate::policy::{Exception, Policy};

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
    for (k, entry) in timeline.iter().enumerate() {
        let (sourced, doc, st) = (entry.sourced, entry.doc, entry.statement);
        {
            if st.status != "not_affected" || entry.future || superseded(entry, &timeline, k) {
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
            apply_waivers(check.id(), finding, &candidates, &mut waivers);
        }
        flag_too_broad(check.id(), violations, &before, &candidates, &mut waivers);
        let mut changes = output.changes;
        for change in changes.iter_mut() {
            change.settle(&findings);
        }
        controls.push(ControlOutcome {
            id: check.id().into(),
            title: check.title().into(),
            status: status_of(&findings),
            required: !settings.advisory,
            summary: output.summary,
            findings,
            changes,
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

struct Candidate<'a> {
    waiver: usize,
    live: bool,
    rule: WaiverRule<'a>,
}

enum WaiverRule<'a> {
    Exception(ExceptionRule<'a>),
    Vex(&'a VexStatement),
}

/// A policy exception with its path glob compiled once, not once per finding.
struct ExceptionRule<'a> {
    exception: &'a Exception,
    /// `None` when the exception has no `path`; an invalid glob (the loader refuses
    /// them) matches nothing.
    path: Option<Option<globset::GlobMatcher>>,
}

impl<'a> ExceptionRule<'a> {
    fn new(exception: &'a Exception) -> Self {
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
fn flag_too_broad(
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
fn apply_waivers(
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

fn matches(rule: &WaiverRule, f: &Finding) -> bool {
    match rule {
        WaiverRule::Exception(rule) => exception_matches(rule, f),
        WaiverRule::Vex(st) => vex_matches(st, f),
    }
}

fn has_identifier(f: &Finding, id: &str) -> bool {
    f.subject
        .id
        .iter()
        .chain(f.subject.aliases.iter())
        .any(|x| x.eq_ignore_ascii_case(id))
}

fn exception_matches(rule: &ExceptionRule, f: &Finding) -> bool {
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

/// A VEX statement matches by vulnerability id or alias, and only if one of its products
/// (or their subcomponents, which the reader lists among the products) is a purl naming
/// the finding's package: same purl type as the finding's ecosystem, same name, and the
/// same version when the purl has one. A statement with no products, or about "our
/// product" as a whole, cannot be checked against the dependency, so it waives nothing.
fn vex_matches(st: &VexStatement, f: &Finding) -> bool {
    statement_ids(st).any(|id| has_identifier(f, id))
        && st.products.iter().any(|p| product_matches(p, f))
}

fn statement_ids(st: &VexStatement) -> impl Iterator<Item = &String> {
    std::iter::once(&st.vulnerability).chain(st.aliases.iter())
}

/// OpenVEX: a later statement about the same vulnerability and product replaces an
/// earlier one, so `not_affected` followed by `affected` is not a waiver.
fn superseded(entry: &VexEntry, timeline: &[VexEntry], position: usize) -> bool {
    let st = entry.statement;
    timeline.iter().enumerate().any(|(k, other)| {
        let l = other.statement;
        let same_vuln =
            statement_ids(l).any(|a| statement_ids(st).any(|b| a.eq_ignore_ascii_case(b)));
        let same_product = l.products.is_empty()
            || st.products.is_empty()
            || l.products.iter().any(|p| st.products.contains(p));
        same_vuln && same_product && k != position && other.is_newer_than(entry, k, position)
    })
}

/// A VEX statement with where it came from and when it was made.
struct VexEntry<'a> {
    sourced: &'a crate::evidence::Sourced<crate::evidence::VexDocument>,
    doc: &'a crate::evidence::VexDocument,
    statement: &'a VexStatement,
    /// The statement's timestamp, else its document's, when either parses and is not
    /// after the run.
    time: Option<time::OffsetDateTime>,
    /// Dated after the run: a claim that cannot have been made yet. It waives nothing,
    /// and it orders as if undated (by position), so a far-future date cannot make a
    /// statement outrank every later one.
    future: bool,
}

impl VexEntry<'_> {
    /// OpenVEX: the newest statement about a vulnerability and product wins. Without
    /// usable timestamps on both, the later one in command-line and document order wins.
    fn is_newer_than(&self, other: &VexEntry, self_pos: usize, other_pos: usize) -> bool {
        match (self.time, other.time) {
            (Some(a), Some(b)) if a != b => a > b,
            _ => self_pos > other_pos,
        }
    }
}

/// Every statement of every readable VEX document, in command-line and document order.
fn vex_timeline(evidence: &Evidence) -> Vec<VexEntry<'_>> {
    let parse = |s: &Option<String>| {
        s.as_deref().and_then(|t| {
            time::OffsetDateTime::parse(t.trim(), &time::format_description::well_known::Rfc3339)
                .ok()
        })
    };
    let mut out = Vec::new();
    for sourced in &evidence.vex {
        let Ok(doc) = &sourced.observed else { continue };
        for statement in &doc.statements {
            let time = parse(&statement.timestamp).or_else(|| parse(&doc.timestamp));
            let future = time.is_some_and(|t| t > evidence.collected_at);
            out.push(VexEntry {
                sourced,
                doc,
                statement,
                time: time.filter(|_| !future),
                future,
            });
        }
    }
    out
}

fn product_matches(product: &str, f: &Finding) -> bool {
    let (Some(pkg), Some(ecosystem)) =
        (f.subject.package.as_deref(), f.subject.ecosystem.as_deref())
    else {
        return false;
    };
    // A bom-ref or product name the reader could not resolve to a purl says nothing
    // checkable about this dependency: fail closed and don't waive.
    let Some(purl) = Purl::parse(product) else {
        return false;
    };
    // The purl type must be the finding's ecosystem: `pkg:npm/p` says nothing about
    // the crates.io package `p`.
    match crate::evidence::ecosystem::from_purl(product) {
        Some(purl_eco)
            if crate::checks::sca::canonical_ecosystem(purl_eco)
                == crate::checks::sca::canonical_ecosystem(ecosystem) => {}
        _ => return false,
    }
    // The whole name, namespace included: `pkg:npm/%40acme/lodash` is not `lodash`.
    let same = |a: &str, b: &str| normalize_name(a) == normalize_name(b);
    let name_ok = match &purl.namespace {
        Some(ns) => {
            same(&format!("{ns}/{}", purl.name), pkg) || same(&format!("{ns}:{}", purl.name), pkg)
        }
        None => same(&purl.name, pkg),
    };
    // A versioned statement covers that version only; a finding whose version is
    // unknown cannot be shown to be that version.
    let version_ok = match (&purl.version, f.subject.version.as_deref()) {
        (Some(v), Some(fv)) => v == fv,
        (Some(_), None) => false,
        (None, _) => true,
    };
    name_ok && version_ok
}

/// Case-insensitive, and PyPI-style `-`/`_`/`.` folding.
fn normalize_name(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace(['_', '.'], "-")
}

/// The parts of a package URL vouch compares (`pkg:type/namespace/name@version`).
struct Purl {
    namespace: Option<String>,
    name: String,
    version: Option<String>,
}

impl Purl {
    fn parse(s: &str) -> Option<Purl> {
        let rest = s.trim().strip_prefix("pkg:")?;
        let rest = rest.split(['?', '#']).next()?;
        let (path, version) = match rest.rsplit_once('@') {
            // `@` inside the path is percent-encoded, so the last `@` starts the version.
            Some((p, v)) if !p.is_empty() => (p, Some(decode(v))),
            _ => (rest, None),
        };
        let mut segments: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
        if segments.len() < 2 {
            return None; // type and name are required
        }
        let name = segments.pop()?;
        let namespace = (segments.len() > 1).then(|| segments[1..].join("/"));
        Some(Purl {
            namespace,
            name,
            version,
        })
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn describe_match(ex: &Exception) -> String {
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

fn products_suffix(st: &VexStatement) -> String {
    if st.products.is_empty() {
        String::new()
    } else {
        format!(", products={}", st.products.join(" "))
    }
}

#[cfg(test)]
mod tests;
