//! The SCA gate: known vulnerabilities in dependencies against a severity threshold.
//!
//! Reports from several scanners are merged first: two entries are the same
//! vulnerability when they concern the same package and version and share any
//! identifier (CVE, GHSA, RUSTSEC, PYSEC, OSV id). So a CVE found by both Grype and
//! Trivy counts once, with the union of its aliases and the highest severity reported.

use smol_str::SmolStr;
use std::borrow::Cow;
use std::collections::HashMap;

use super::{CheckOutput, Code, Control, FindingKind, FindingSubject, Section, sort_findings};
use crate::evidence::{Evidence, GapKind, Location, Severity, Vulnerability};
use crate::policy::Policy;
use crate::policy::sections::{EcosystemName, GateSeverity, SeverityThreshold, yes};
use schemars::JsonSchema;
use serde::Deserialize;

/// SCA gate settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaPolicy {
    /// Set to false to skip the control without deleting its settings.
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub enabled: bool,
    /// When true, failures and errors are reported but do not fail the run.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub advisory: bool,
    /// Fail on vulnerabilities at or above this severity (`critical`, `high`, `medium`, `low`, `any`).
    #[serde(default = "high_threshold")]
    pub fail_on: SeverityThreshold,
    /// Do not fail on vulnerabilities for which no fixed version exists yet (they are still listed).
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub ignore_unfixed: bool,
    /// Only gate on these ecosystems (OSV names such as `crates.io`, `npm`, `PyPI`, `Go`, `Maven`); empty means all.
    #[serde(default)]
    pub ecosystems: Vec<EcosystemName>,
    /// Severity assumed for vulnerabilities the scanner did not rate.
    #[serde(default = "high")]
    pub unrated_as: GateSeverity,
}

impl Default for ScaPolicy {
    fn default() -> Self {
        ScaPolicy {
            enabled: true,
            advisory: false,
            fail_on: high_threshold(),
            ignore_unfixed: false,
            ecosystems: Vec::new(),
            unrated_as: high(),
        }
    }
}

fn high_threshold() -> SeverityThreshold {
    SeverityThreshold(Severity::High)
}

fn high() -> GateSeverity {
    GateSeverity(Severity::High)
}

/// The SCA control.
pub struct ScaCheck;

/// No scanner report was given although the control is enabled.
pub static NO_EVIDENCE: Code = Code {
    code: "sca/no-evidence",
    kind: FindingKind::Error,
    meaning: "The SCA control is enabled but no dependency-scanner report was given.",
    remediation: "Run a dependency scanner (cargo audit --json, osv-scanner --format json, grype -o json, trivy -f json, npm audit --json, pip-audit -f json) and pass its report with `--sca FILE`.",
};

/// A report could not be read, parsed or recognized.
pub static UNREADABLE_REPORT: Code = Code {
    code: "sca/unreadable-report",
    kind: FindingKind::Error,
    meaning: "A scanner report could not be read, parsed, or recognized as a supported format.",
    remediation: "Check that the scanner finished and wrote its JSON report; the message names the field or line that is wrong.",
};

/// A dependency has a known vulnerability at or above the threshold.
pub static VULNERABLE_DEPENDENCY: Code = Code {
    code: "sca/vulnerable-dependency",
    kind: FindingKind::Violation,
    meaning: "A dependency has a known vulnerability at or above the policy's `fail_on` severity.",
    remediation: "Upgrade the package to a fixed version (listed in the message), or, if the vulnerable code is not reachable, add a VEX `not_affected` statement or a time-boxed exception with a reason and an owner.",
};

/// A scanner report says the scan did not complete.
pub static SCANNER_FAILED: Code = Code {
    code: "sca/scanner-failed",
    kind: FindingKind::Error,
    meaning: "A scanner report says the scan did not complete (for example GitLab's `scan.status: failure`), so it proves nothing about the dependencies.",
    remediation: "Fix the scanner job so the analysis completes; its log says why it failed.",
};

/// A report is well-formed but does not show that anything was scanned.
pub static NOTHING_SCANNED: Code = Code {
    code: "sca/nothing-scanned",
    kind: FindingKind::Error,
    meaning: "A scanner report is well-formed but does not show that anything was scanned (`[]`, no dependency count, a lone progress message), so its silence is no evidence of a clean dependency tree.",
    remediation: "Pass the complete report of a scan that ran over the project's lockfile or image; the message says what the report lacks.",
};

/// A VEX document could not be read, so its statements cannot be weighed.
pub static UNREADABLE_VEX: Code = Code {
    code: "sca/unreadable-vex",
    kind: FindingKind::Error,
    meaning: "A VEX document given with `--vex` could not be read or recognized; its statements would silently not apply.",
    remediation: "Pass a valid OpenVEX or CycloneDX VEX JSON document, or drop the `--vex` argument.",
};

static CODES: [&Code; 6] = [
    &NO_EVIDENCE,
    &UNREADABLE_REPORT,
    &NOTHING_SCANNED,
    &SCANNER_FAILED,
    &UNREADABLE_VEX,
    &VULNERABLE_DEPENDENCY,
];

impl Control for ScaCheck {
    type Section = ScaPolicy;
    const ID: &'static str = "sca";
    const TITLE: &'static str = "SCA gate";
    const CODES: &'static [&'static Code] = &CODES;

    fn section(policy: &Policy) -> Option<&ScaPolicy> {
        policy.sca.as_ref()
    }

    fn evaluate(section: &ScaPolicy, evidence: &Evidence) -> CheckOutput {
        evaluate(section, evidence)
    }

    fn inputs(evidence: &Evidence) -> usize {
        evidence.sca.len() + evidence.vex.len()
    }
}

impl Section for ScaPolicy {
    fn enabled(&self) -> bool {
        self.enabled
    }
    fn advisory(&self) -> bool {
        self.advisory
    }
}

/// A vulnerability after cross-scanner deduplication.
#[derive(Debug, Clone)]
pub struct MergedVulnerability<'a> {
    /// The first entry seen, with aliases, fixes and severity merged in.
    pub vuln: Entry<'a>,
    /// Scanners that reported it.
    pub scanners: Vec<&'a str>,
}

/// An entry of the evidence as reported, or a copy of it once others were merged in.
///
/// Most entries are reported once: borrowing them keeps deduplication from doubling
/// the memory a large report takes.
#[derive(Debug, Clone)]
pub enum Entry<'a> {
    /// Reported once so far.
    Reported(&'a Vulnerability),
    /// Others were merged into it.
    Merged(Box<Vulnerability>),
}

impl std::ops::Deref for Entry<'_> {
    type Target = Vulnerability;
    fn deref(&self) -> &Vulnerability {
        match self {
            Entry::Reported(v) => v,
            Entry::Merged(v) => v,
        }
    }
}

impl Entry<'_> {
    fn to_mut(&mut self) -> &mut Vulnerability {
        if let Entry::Reported(v) = *self {
            *self = Entry::Merged(Box::new(v.clone()));
        }
        match self {
            Entry::Merged(v) => v,
            Entry::Reported(_) => unreachable!("made owned above"),
        }
    }

    fn into_owned(self) -> Vulnerability {
        match self {
            Entry::Reported(v) => v.clone(),
            Entry::Merged(v) => *v,
        }
    }
}

fn evaluate(p: &ScaPolicy, evidence: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    if evidence.sca.is_empty() {
        out.findings
            .push(NO_EVIDENCE.finding("no dependency-scanner report was given (--sca)"));
        out.summary = "no SCA evidence".into();
        return out;
    }
    let mut raw = 0usize;
    let mut reports = Vec::new();
    for sourced in &evidence.sca {
        match &sourced.observed {
            Ok(report) => {
                raw += report.vulnerabilities.len();
                reports.push((
                    report.scanner.as_str(),
                    &report.vulnerabilities,
                    sourced.source.as_str(),
                ));
            }
            Err(gap) if gap.kind == GapKind::ScannerFailed => {
                out.findings.push(SCANNER_FAILED.finding(gap.to_string()))
            }
            Err(gap) if gap.kind == GapKind::Empty => {
                out.findings.push(NOTHING_SCANNED.finding(gap.to_string()))
            }
            Err(gap) => out
                .findings
                .push(UNREADABLE_REPORT.finding(gap.to_string())),
        }
    }
    for sourced in &evidence.vex {
        if let Err(gap) = &sourced.observed {
            out.findings.push(UNREADABLE_VEX.finding(gap.to_string()));
        }
    }
    let merged = deduplicate(reports.iter().map(|(s, v, src)| (*s, v.as_slice(), *src)));

    let threshold = p.fail_on.0;
    let (mut out_of_scope, mut unfixed_ignored, mut over) = (0, 0, 0);
    for m in &merged {
        let v = &m.vuln;
        if !in_scope(&p.ecosystems, v.ecosystem.as_deref()) {
            out_of_scope += 1;
            continue;
        }
        let severity = if v.severity == Severity::Unknown {
            p.unrated_as.0
        } else {
            v.severity
        };
        if severity < threshold {
            continue;
        }
        if p.ignore_unfixed && v.fixed_versions.is_empty() {
            unfixed_ignored += 1;
            continue;
        }
        over += 1;
        out.findings.push(vulnerability_finding(m, severity));
    }
    out.summary = format!(
        "{raw} reported, {} unique after deduplication; {over} at or above {}{}{}",
        merged.len(),
        crate::policy::Threshold::Severity(p.fail_on.0).as_str(),
        if out_of_scope > 0 {
            format!("; {out_of_scope} outside the gated ecosystems")
        } else {
            String::new()
        },
        if unfixed_ignored > 0 {
            format!("; {unfixed_ignored} without a fix ignored")
        } else {
            String::new()
        },
    );
    sort_findings(&mut out.findings);
    out
}

/// Merges entries that concern the same package, share any identifier, and have the
/// same version or at least one of them no version (npm audit 7+ states none).
///
/// Linear in the number of entries: each (package, identifier) key keeps the few groups
/// seen under it, and groups are joined through a union-find when one entry bridges two.
pub fn deduplicate<'a>(
    reports: impl Iterator<Item = (&'a str, &'a [Vulnerability], &'a str)>,
) -> Vec<MergedVulnerability<'a>> {
    let mut groups: Vec<MergedVulnerability<'a>> = Vec::new();
    let mut parent: Vec<usize> = Vec::new();
    // (package, identifier) keys by their hash, each to the head of a chain of the
    // groups seen under it: 16 bytes a key instead of two strings and a list. A chain
    // may hold groups of another key with the same hash; `has_key` tells them apart.
    // The hasher is randomly keyed, so a report cannot be written to collide.
    use std::hash::BuildHasher;
    let hasher = std::hash::RandomState::new();
    // (first node, last node): nodes are appended, so candidates are tried in the
    // order they were listed, as the first compatible one becomes the target.
    let mut heads: HashMap<u64, (u32, u32)> = HashMap::new();
    let mut chain: Vec<(u32, u32)> = Vec::new(); // (group, next node or NONE)
    const NONE: u32 = u32::MAX;

    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    fn compatible(a: Option<&str>, b: Option<&str>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }
    // Whether a group was listed under (package, id): it holds every identifier of
    // the entries listed under it (they are merged in before they are listed).
    fn has_key(group: &Vulnerability, pkg: &str, id: &str) -> bool {
        normalize_package(&group.package) == pkg
            && group.identifiers().any(|i| i.eq_ignore_ascii_case(id))
    }
    let nodes = |heads: &HashMap<u64, (u32, u32)>, chain: &[(u32, u32)], hash: u64| {
        let mut at = heads.get(&hash).map_or(NONE, |&(first, _)| first);
        let mut out = Vec::new();
        while at != NONE {
            let (g, next) = chain[at as usize];
            out.push(g as usize);
            at = next;
        }
        out
    };

    for (scanner, vulns, _source) in reports {
        for v in vulns {
            let pkg = normalize_package(&v.package);
            let keys: Vec<(u64, &str)> = v
                .identifiers()
                .map(|id| (hasher.hash_one((&*pkg, &*upper(id))), id))
                .collect();
            let mut target: Option<usize> = None;
            for &(hash, id) in &keys {
                for listed in nodes(&heads, &chain, hash) {
                    if !has_key(&groups[listed].vuln, &pkg, id) {
                        continue;
                    }
                    let g = find(&mut parent, listed);
                    if !compatible(groups[g].vuln.version.as_deref(), v.version.as_deref()) {
                        continue;
                    }
                    match target {
                        None => target = Some(g),
                        Some(t) if t != g => {
                            if !compatible(
                                groups[g].vuln.version.as_deref(),
                                groups[t].vuln.version.as_deref(),
                            ) {
                                continue;
                            }
                            parent[g] = t;
                            // Rare (an entry bridging two groups): a clone keeps this simple.
                            let absorbed = groups[g].clone();
                            absorb(&mut groups[t], absorbed);
                        }
                        _ => {}
                    }
                }
            }
            let g = match target {
                Some(t) => {
                    absorb(
                        &mut groups[t],
                        MergedVulnerability {
                            vuln: Entry::Reported(v),
                            scanners: vec![scanner],
                        },
                    );
                    t
                }
                None => {
                    groups.push(MergedVulnerability {
                        vuln: Entry::Reported(v),
                        scanners: vec![scanner],
                    });
                    parent.push(groups.len() - 1);
                    groups.len() - 1
                }
            };
            for (hash, _) in keys {
                if nodes(&heads, &chain, hash).contains(&g) {
                    continue;
                }
                let Ok(node) = u32::try_from(chain.len()) else {
                    continue; // 4 billion keys: far past any input limit
                };
                chain.push((g as u32, NONE));
                match heads.get_mut(&hash) {
                    Some((_, last)) => {
                        chain[*last as usize].1 = node;
                        *last = node;
                    }
                    None => {
                        heads.insert(hash, (node, node));
                    }
                }
            }
        }
    }
    let mut index = 0;
    groups.retain(|_| {
        let root = find(&mut parent, index) == index;
        index += 1;
        root
    });
    groups
}

/// Folds `other` into `target`: identifiers, fixes, scanners, the worse severity, and
/// the version and ecosystem when `target` lacked them. Only here does `target` become
/// a copy of its first entry.
fn absorb<'a>(target: &mut MergedVulnerability<'a>, other: MergedVulnerability<'a>) {
    let MergedVulnerability { vuln, scanners } = other;
    let vuln = vuln.into_owned();
    let t = target.vuln.to_mut();
    merge_ids(
        t,
        vuln.identifiers()
            .map(str::to_string)
            .collect::<Vec<_>>()
            .into_iter(),
    );
    merge_fixed(t, vuln.fixed_versions);
    if vuln.severity > t.severity {
        t.severity = vuln.severity;
        t.severity_source = vuln.severity_source;
        t.cvss_vector = vuln.cvss_vector;
    }
    if t.version.is_none() {
        t.version = vuln.version;
    }
    if t.ecosystem.is_none() {
        t.ecosystem = vuln.ecosystem;
    }
    if t.title.is_none() {
        t.title = vuln.title;
    }
    for s in scanners {
        if !target.scanners.contains(&s) {
            target.scanners.push(s);
        }
    }
}

fn merge_ids(target: &mut Vulnerability, ids: impl Iterator<Item = String>) {
    for id in ids {
        if !id.eq_ignore_ascii_case(&target.id)
            && !target.aliases.iter().any(|a| a.eq_ignore_ascii_case(&id))
        {
            target.aliases.push(id);
        }
    }
}

fn merge_fixed(target: &mut Vulnerability, fixed: Vec<String>) {
    for f in fixed {
        if !target.fixed_versions.contains(&f) {
            target.fixed_versions.push(f);
        }
    }
}

/// Package names compare case-insensitively, and PyPI treats `-`, `_` and `.` alike;
/// borrowed when already in that form.
fn normalize_package(name: &str) -> Cow<'_, str> {
    let name = name.trim();
    if name
        .bytes()
        .any(|b| b.is_ascii_uppercase() || b == b'_' || b == b'.')
    {
        Cow::Owned(name.to_ascii_lowercase().replace(['_', '.'], "-"))
    } else {
        Cow::Borrowed(name)
    }
}

/// An identifier in upper case (`cve-2021-1` and `CVE-2021-1` are one id), borrowed
/// when it already is.
fn upper(id: &str) -> Cow<'_, str> {
    if id.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(id.to_ascii_uppercase())
    } else {
        Cow::Borrowed(id)
    }
}

/// Whether an ecosystem is gated. Unknown ecosystems are always gated (fail closed).
fn in_scope(scope: &[EcosystemName], ecosystem: Option<&str>) -> bool {
    let Some(eco) = ecosystem else { return true };
    scope.is_empty()
        || scope
            .iter()
            .any(|s| canonical_ecosystem(&s.0) == canonical_ecosystem(eco))
}

/// Folds the spellings of an ecosystem (`cargo`, `crates.io`, `rust-crate`) to one key.
pub(crate) fn canonical_ecosystem(name: &str) -> String {
    crate::evidence::ecosystem::from_type(name)
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| name.trim().to_ascii_lowercase())
}

fn vulnerability_finding(m: &MergedVulnerability, severity: Severity) -> super::Finding {
    let v = &m.vuln;
    let version = v.version.as_deref().unwrap_or("(version unknown)");
    let fix = if v.fixed_versions.is_empty() {
        "no fixed version yet".to_string()
    } else {
        format!("fixed in {}", v.fixed_versions.join(", "))
    };
    let aliases = if v.aliases.is_empty() {
        String::new()
    } else {
        format!(" [{}]", v.aliases.join(", "))
    };
    let title = v
        .title
        .as_deref()
        .map(|t| format!(": {t}"))
        .unwrap_or_default();
    let rated = if v.severity == Severity::Unknown {
        " (unrated by the scanner; policy unrated_as)"
    } else {
        ""
    };
    VULNERABLE_DEPENDENCY
        .finding(format!(
            "{}{aliases} in {} {version} ({severity}{rated}; {fix}; reported by {}){title}",
            v.id,
            v.package,
            m.scanners.join(", ")
        ))
        .with_severity(severity)
        .with_location(v.manifest.as_ref().map(|path| Location {
            path: path.as_str().into(),
            ..Default::default()
        }))
        .with_help_uri(v.url.as_deref().map(Into::into))
        .with_subject(FindingSubject {
            id: Some(v.id.as_str().into()),
            aliases: v.aliases.iter().map(SmolStr::from).collect(),
            package: Some(v.package.as_str().into()),
            ecosystem: v.ecosystem.as_deref().map(SmolStr::new),
            version: v.version.as_deref().map(SmolStr::new),
            tools: m.scanners.iter().map(SmolStr::new).collect(),
            ..Default::default()
        })
}

#[cfg(test)]
mod tests;
