//! SCA report readers: dependency-scanner JSON in, one normalized [`ScaReport`] out.
//!
//! The format is detected from the content, never from the file name (CI systems rename
//! artifacts freely). Detection costs one allocation-free pass: the top-level keys are
//! read into a small struct of flags with every value skipped (for a top-level array,
//! the keys of its first element), then exactly one typed parse runs. That parse reads
//! only the fields vouch uses and normalizes each finding the moment it is parsed
//! ([`Converted`](super::json::Converted)), so the raw form of a long list never exists
//! all at once: a 50,000-finding trivy report (90 MB) reads in about 0.2 s (release
//! build) with a peak heap barely above the normalized result. No reader ever holds a
//! `serde_json::Value`.
//!
//! Every reader fails closed: empty input, broken JSON and missing required fields are
//! `Malformed` gaps naming the JSON path and position; well-formed JSON that is not a
//! report vouch understands is `Unsupported` and says what vouch reads instead.
//!
//! After a reader returns, entries that repeat the same (id, ecosystem, package, version)
//! are merged into one (grype, for one, lists a match twice when two matchers find it);
//! the merged entry keeps the union of aliases and fixed versions and the higher severity.

mod cargo_audit;
mod detect;
mod gitlab_dependency_scanning;
mod govulncheck;
mod grype;
mod npm_audit;
mod osv_scanner;
mod pip_audit;
mod trivy;

use super::json::{self};
use crate::evidence::sca::SeveritySource;
use crate::evidence::{Gap, GapKind, ScaReport, Scanner, Severity, Vulnerability};

/// What `Unsupported` gaps list as readable.
const READABLE: &str = "vouch reads the JSON reports of cargo-audit (`cargo audit --json`), osv-scanner \
     (`--format json`), grype (`-o json`), trivy (`-f json`, SchemaVersion 2 or the legacy list), \
     npm audit (`--json`, npm 6 and npm 7+), pip-audit (`-f json`), govulncheck (`-json`) and \
     GitLab dependency scanning (`gl-dependency-scanning-report.json`)";

/// Reads one SCA scanner report, detecting the scanner from the content.
///
/// `source` names the file in gaps. Never panics, whatever the bytes.
pub fn read_sca(source: &str, bytes: &[u8]) -> Result<ScaReport, Gap> {
    let bytes = json::content(source, bytes)?;
    let mut report = match detect::detect(source, bytes)? {
        detect::Format::CargoAudit => cargo_audit::read(source, bytes),
        detect::Format::OsvScanner => osv_scanner::read(source, bytes),
        detect::Format::Grype => grype::read(source, bytes),
        detect::Format::TrivyV2 => trivy::read_v2(source, bytes),
        detect::Format::TrivyLegacy => trivy::read_legacy(source, bytes),
        detect::Format::NpmAuditV6 => npm_audit::read_v6(source, bytes),
        detect::Format::NpmAuditV7 => npm_audit::read_v7(source, bytes),
        detect::Format::PipAudit => pip_audit::read_dependencies(source, bytes),
        detect::Format::PipAuditLegacy => pip_audit::read_legacy(source, bytes),
        detect::Format::GovulncheckArray => govulncheck::read_array(source, bytes),
        detect::Format::GovulncheckStream => govulncheck::read_stream(source, bytes),
        detect::Format::GitlabDependencyScanning => gitlab_dependency_scanning::read(source, bytes),
    }?;
    report.vulnerabilities = merge_duplicates(std::mem::take(&mut report.vulnerabilities));
    Ok(report)
}

/// The scanner whose report layout `bytes` has, when it is one vouch reads as SCA
/// evidence; other readers use it to say where a misplaced report belongs.
pub fn recognize(bytes: &[u8]) -> Option<&'static str> {
    let bytes = json::content("", bytes).ok()?;
    let scanner = match detect::detect("", bytes).ok()? {
        detect::Format::CargoAudit => Scanner::CargoAudit,
        detect::Format::OsvScanner => Scanner::OsvScanner,
        detect::Format::Grype => Scanner::Grype,
        detect::Format::TrivyV2 | detect::Format::TrivyLegacy => Scanner::Trivy,
        detect::Format::NpmAuditV6 | detect::Format::NpmAuditV7 => Scanner::NpmAudit,
        detect::Format::PipAudit | detect::Format::PipAuditLegacy => Scanner::PipAudit,
        detect::Format::GovulncheckArray | detect::Format::GovulncheckStream => {
            Scanner::Govulncheck
        }
        detect::Format::GitlabDependencyScanning => Scanner::GitlabDependencyScanning,
    };
    Some(scanner.as_str())
}

/// A `Malformed` gap for a required value that is present but empty.
fn empty_field(source: &str, what: &str, path: &str) -> Gap {
    Gap::new(
        GapKind::Malformed,
        source,
        format!("{what}: `{path}` is empty"),
    )
}

/// An `Empty` gap: the report is well-formed but does not show that anything was
/// scanned (`[]`, a stream of progress messages, a dependency count of 0). A clean
/// result is evidence only when it says what it examined.
fn nothing_scanned(source: &str, what: &str, why: &str) -> Gap {
    Gap::new(
        GapKind::Empty,
        source,
        format!("{what} shows nothing was scanned: {why}"),
    )
}

/// A normalized rating with its provenance.
#[derive(Debug, Clone, PartialEq)]
struct Rating {
    severity: Severity,
    source: SeveritySource,
    vector: Option<String>,
}

impl Rating {
    /// Rates from what a report offers, in the order of trust the evidence model defines:
    /// a label, else a numeric score, else a CVSS v3.x/v4.0 vector vouch scores itself.
    ///
    /// `vectors` are in order of preference; the first v3/v4 one is reported even when a
    /// label decided, so the vector stays visible to reviewers. CVSS v2 vectors carry no
    /// version prefix and cannot be scored here, so they are neither used nor reported.
    fn rate<'a>(
        label: Option<&str>,
        score: Option<f64>,
        vectors: impl IntoIterator<Item = &'a str>,
    ) -> Rating {
        let modern: Vec<&str> = vectors
            .into_iter()
            .map(str::trim)
            .filter(|v| v.starts_with("CVSS:3.") || v.starts_with("CVSS:4.0/"))
            .collect();
        let reported = modern.first().map(|v| (*v).to_owned());
        if let Some(severity) = label.and_then(Severity::from_label) {
            return Rating {
                severity,
                source: SeveritySource::Reported,
                vector: reported,
            };
        }
        if let Some(severity) = score.and_then(Severity::from_score) {
            return Rating {
                severity,
                source: SeveritySource::Score,
                vector: reported,
            };
        }
        for v in modern {
            if let Some((_, severity)) = Severity::from_cvss_vector(v) {
                let source = if v.starts_with("CVSS:4") {
                    SeveritySource::CvssV4
                } else {
                    SeveritySource::CvssV3
                };
                return Rating {
                    severity,
                    source,
                    vector: Some(v.to_owned()),
                };
            }
        }
        Rating {
            severity: Severity::Unknown,
            source: SeveritySource::Unrated,
            vector: reported,
        }
    }
}

/// Trims, drops empties and the primary id itself, and removes repeats (ids compare
/// case-insensitively: `cve-2021-1` and `CVE-2021-1` are one id), keeping first-seen order.
fn clean_aliases(id: &str, aliases: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in aliases {
        let a = a.trim();
        if a.is_empty()
            || a.eq_ignore_ascii_case(id)
            || out.iter().any(|o| o.eq_ignore_ascii_case(a))
        {
            continue;
        }
        out.push(a.to_owned());
    }
    out
}

/// Trims, drops empties and exact repeats, keeping first-seen order.
fn clean_list(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        let i = i.trim();
        if i.is_empty() || out.iter().any(|o| o == i) {
            continue;
        }
        out.push(i.to_owned());
    }
    out
}

/// `Some` for a non-blank string.
fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// What makes two entries the same: (id, ecosystem, package, version).
type EntryKey<'a> = (&'a str, Option<&'a str>, &'a str, Option<&'a str>);

/// Merges entries with the same (id, ecosystem, package, version), keeping first-seen order.
fn merge_duplicates(vulns: Vec<Vulnerability>) -> Vec<Vulnerability> {
    let mut first: Vec<usize> = Vec::with_capacity(vulns.len());
    let mut any_duplicate = false;
    {
        // A table of indices (8 bytes an entry) rather than a map from four string
        // references (72): the keys are read from the entries themselves.
        use std::hash::BuildHasher;
        fn key(v: &Vulnerability) -> EntryKey<'_> {
            (
                v.id.as_str(),
                v.ecosystem.as_deref(),
                v.package.as_str(),
                v.version.as_deref(),
            )
        }
        let hasher = std::hash::RandomState::new();
        let mut seen: hashbrown::HashTable<usize> =
            hashbrown::HashTable::with_capacity(vulns.len());
        for (i, v) in vulns.iter().enumerate() {
            let k = key(v);
            let hash = hasher.hash_one(k);
            let f = match seen.find(hash, |&j| key(&vulns[j]) == k) {
                Some(&j) => j,
                None => {
                    seen.insert_unique(hash, i, |&j| hasher.hash_one(key(&vulns[j])));
                    i
                }
            };
            any_duplicate |= f != i;
            first.push(f);
        }
    }
    if !any_duplicate {
        return vulns;
    }
    let mut slot: Vec<Option<usize>> = vec![None; vulns.len()];
    let mut out: Vec<Vulnerability> = Vec::with_capacity(vulns.len());
    for (i, v) in vulns.into_iter().enumerate() {
        let f = first.get(i).copied().unwrap_or(i);
        let target = slot.get(f).copied().flatten();
        match target.and_then(|t| out.get_mut(t)) {
            Some(kept) if f != i => merge_into(kept, v),
            _ => {
                if let Some(s) = slot.get_mut(i) {
                    *s = Some(out.len());
                }
                out.push(v);
            }
        }
    }
    out
}

fn merge_into(kept: &mut Vulnerability, dup: Vulnerability) {
    let aliases = std::mem::take(&mut kept.aliases)
        .into_iter()
        .chain(dup.aliases);
    kept.aliases = clean_aliases(&kept.id, aliases);
    let fixed = std::mem::take(&mut kept.fixed_versions)
        .into_iter()
        .chain(dup.fixed_versions);
    kept.fixed_versions = clean_list(fixed);
    if dup.severity > kept.severity {
        kept.severity = dup.severity;
        kept.severity_source = dup.severity_source;
        kept.cvss_vector = dup.cvss_vector;
    } else if kept.cvss_vector.is_none() {
        kept.cvss_vector = dup.cvss_vector;
    }
    if kept.title.is_none() {
        kept.title = dup.title;
    }
    if kept.url.is_none() {
        kept.url = dup.url;
    }
    if kept.manifest.is_none() {
        kept.manifest = dup.manifest;
    }
}

#[cfg(test)]
mod tests;
