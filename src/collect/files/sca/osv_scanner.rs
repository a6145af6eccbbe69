//! Reads `osv-scanner --format json` (v1 and v2 output: `results[].packages[]`).
//!
//! osv-scanner lists every OSV record that matched a package, so one flaw published by
//! GitHub and by RustSec shows up twice (`GHSA-…` and `RUSTSEC-…`). Its `groups` say which
//! records are the same vulnerability; vouch emits one entry per group (the first id of
//! the group is the id, every other id and alias an alias), which is how osv-scanner's
//! own table counts. A record that no group mentions (or a report without `groups`, as
//! very old versions wrote) is an entry of its own.
//!
//! Severity: a `database_specific.severity` label (GitHub's `HIGH`, `MODERATE`) wins, then
//! the group's numeric `max_severity`, then the records' CVSS vectors (the worst one).
//! Fixed versions are the `fixed` range events of the `affected[]` entries for the
//! package. The `source.path` (the lockfile) is the manifest.

use std::collections::HashSet;

use serde::Deserialize;

use super::{Rating, clean_aliases, clean_list, non_empty};
use crate::collect::files::json::{self, Convert, Flattened};
use crate::evidence::{Gap, ScaReport, Scanner, Severity, Vulnerability};

const WHAT: &str = "osv-scanner report";

/// `results` and, in each result, `source` and `packages` are required: other tools
/// (Bandit, Semgrep's native JSON) also write a top-level `results`, and reading
/// their output as an OSV-Scanner report with no packages would pass the gate.
#[derive(Deserialize)]
struct Report {
    results: Vec<SourceResult>,
}

#[derive(Deserialize)]
struct SourceResult {
    source: Source,
    #[serde(deserialize_with = "json::null_default")]
    packages: Flattened<Vulnerability, PackageResult>,
}

#[derive(Deserialize)]
struct Source {
    #[serde(default)]
    path: Option<String>,
}

#[derive(Deserialize)]
struct PackageResult {
    package: PackageInfo,
    #[serde(default, deserialize_with = "json::null_default")]
    vulnerabilities: Vec<Osv>,
    #[serde(default, deserialize_with = "json::null_default")]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct PackageInfo {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    ecosystem: Option<String>,
}

#[derive(Deserialize)]
struct Osv {
    id: String,
    #[serde(default, deserialize_with = "json::null_default")]
    aliases: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    severity: Vec<OsvSeverity>,
    #[serde(default, deserialize_with = "json::null_default")]
    affected: Vec<Affected>,
    /// The first `ADVISORY` reference; records list dozens of references and only that
    /// one is used.
    #[serde(rename = "references", default, deserialize_with = "advisory_url")]
    advisory_url: Option<String>,
    #[serde(default)]
    database_specific: Option<DatabaseSpecific>,
}

#[derive(Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default, deserialize_with = "json::lenient_string")]
    score: Option<String>,
}

#[derive(Deserialize)]
struct Affected {
    #[serde(default)]
    package: Option<AffectedPackage>,
    #[serde(default, deserialize_with = "json::null_default")]
    ranges: Vec<Range>,
}

#[derive(Deserialize)]
struct AffectedPackage {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Range {
    #[serde(default, deserialize_with = "json::null_default")]
    events: Vec<Event>,
}

#[derive(Deserialize)]
struct Event {
    #[serde(default, deserialize_with = "json::lenient_string")]
    fixed: Option<String>,
}

fn advisory_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let refs: Vec<Reference> = json::null_default(d)?;
    Ok(refs
        .into_iter()
        .find(|r| r.kind.as_deref() == Some("ADVISORY"))
        .and_then(|r| r.url))
}

#[derive(Deserialize)]
struct Reference {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

/// Free-form per-database data; only these two keys are common enough to use.
#[derive(Deserialize)]
struct DatabaseSpecific {
    #[serde(default, deserialize_with = "json::lenient_string")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "json::lenient_string")]
    url: Option<String>,
}

#[derive(Deserialize)]
struct Group {
    #[serde(default, deserialize_with = "json::null_default")]
    ids: Vec<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    aliases: Vec<String>,
    #[serde(default, deserialize_with = "json::lenient_f64")]
    max_severity: Option<f64>,
}

impl Convert for PackageResult {
    type Output = Vec<Vulnerability>;

    /// One entry per group; the manifest is filled in by [`read`].
    fn convert(self) -> Result<Vec<Vulnerability>, String> {
        if let Some(v) = self
            .vulnerabilities
            .iter()
            .position(|o| o.id.trim().is_empty())
        {
            return Err(format!("`vulnerabilities[{v}].id` is empty"));
        }
        Ok(grouped(&self)
            .iter()
            .filter_map(|m| normalize(&self, m))
            .collect())
    }
}

/// Reads an osv-scanner JSON report.
pub(super) fn read(source: &str, bytes: &[u8]) -> Result<ScaReport, Gap> {
    let report: Report = json::parse(source, WHAT, bytes)?;
    let mut vulnerabilities = Vec::new();
    for result in report.results {
        let manifest = non_empty(result.source.path);
        let mut entries = result.packages.entries;
        for v in &mut entries {
            v.manifest.clone_from(&manifest);
        }
        if vulnerabilities.is_empty() {
            vulnerabilities = entries;
        } else {
            vulnerabilities.append(&mut entries);
        }
    }
    Ok(ScaReport {
        scanner: Scanner::OsvScanner,
        scanner_version: None,
        vulnerabilities,
    })
}

/// One vulnerability: its group (if any) and the OSV records of the package it covers.
struct Members<'a> {
    group: Option<&'a Group>,
    ids: Vec<&'a str>,
    records: Vec<&'a Osv>,
}

fn grouped(pkg: &PackageResult) -> Vec<Members<'_>> {
    let mut out = Vec::new();
    let mut covered: HashSet<&str> = HashSet::new();
    for group in &pkg.groups {
        let ids: Vec<&str> = group
            .ids
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let records: Vec<&Osv> = pkg
            .vulnerabilities
            .iter()
            .filter(|o| ids.contains(&o.id.trim()))
            .collect();
        covered.extend(ids.iter().copied());
        out.push(Members {
            group: Some(group),
            ids,
            records,
        });
    }
    for osv in &pkg.vulnerabilities {
        if !covered.contains(osv.id.trim()) {
            out.push(Members {
                group: None,
                ids: vec![osv.id.trim()],
                records: vec![osv],
            });
        }
    }
    out
}

fn normalize(pkg: &PackageResult, m: &Members<'_>) -> Option<Vulnerability> {
    let id = (*m.ids.first()?).to_owned();
    let aliases = m
        .ids
        .iter()
        .map(|s| (*s).to_owned())
        .chain(m.group.into_iter().flat_map(|g| g.aliases.iter().cloned()))
        .chain(m.records.iter().flat_map(|o| o.aliases.iter().cloned()));
    let aliases = clean_aliases(&id, aliases);

    let label = m
        .records
        .iter()
        .flat_map(|o| {
            let db = o
                .database_specific
                .as_ref()
                .and_then(|d| d.severity.as_deref());
            // OSV's `Ubuntu` severity type carries a label in `score`.
            let ubuntu = o
                .severity
                .iter()
                .filter(|s| s.kind.as_deref() == Some("Ubuntu"));
            db.into_iter()
                .chain(ubuntu.filter_map(|s| s.score.as_deref()))
        })
        .filter_map(|l| Severity::from_label(l).map(|s| (s, l)))
        .max_by_key(|(s, _)| *s)
        .map(|(_, l)| l);
    let score = m.group.and_then(|g| g.max_severity);
    // Each record's vectors are rated separately and the worst wins, so a group rated
    // HIGH by one database and CRITICAL by another fails closed.
    let rating = if label.is_some() || score.is_some() {
        Rating::rate(label, score, m.records.iter().flat_map(|o| vectors(o)))
    } else {
        m.records
            .iter()
            .map(|o| Rating::rate(None, None, vectors(o)))
            .max_by_key(|r| r.severity)
            .unwrap_or_else(|| Rating::rate(None, None, []))
    };

    let name = pkg.package.name.as_str();
    let fixed = m
        .records
        .iter()
        .flat_map(|o| o.affected.iter())
        .filter(|a| {
            a.package
                .as_ref()
                .and_then(|p| p.name.as_deref())
                .is_none_or(|n| n == name)
        })
        .flat_map(|a| a.ranges.iter())
        .flat_map(|r| r.events.iter())
        .filter_map(|e| e.fixed.clone());

    let url = m.records.iter().find_map(|o| {
        let db = o.database_specific.as_ref().and_then(|d| d.url.clone());
        non_empty(db).or_else(|| non_empty(o.advisory_url.clone()))
    });

    Some(Vulnerability {
        aliases,
        package: pkg.package.name.clone(),
        ecosystem: non_empty(pkg.package.ecosystem.clone()),
        version: non_empty(pkg.package.version.clone()),
        fixed_versions: clean_list(fixed),
        severity: rating.severity,
        severity_source: rating.source,
        cvss_vector: rating.vector,
        title: m.records.iter().find_map(|o| non_empty(o.summary.clone())),
        url,
        manifest: None,
        id,
    })
}

/// CVSS vectors of a record, v4 before v3.
fn vectors(o: &Osv) -> Vec<&str> {
    let mut v: Vec<&str> = o
        .severity
        .iter()
        .filter(|s| s.kind.as_deref().is_some_and(|k| k.starts_with("CVSS_V")))
        .filter_map(|s| s.score.as_deref())
        .collect();
    v.sort_by_key(|s| !s.starts_with("CVSS:4"));
    v
}

#[cfg(test)]
mod tests {
    use super::super::read_sca;
    use crate::evidence::sca::SeveritySource;
    use crate::evidence::{GapKind, Scanner, Severity};

    const REPORT: &str = r#"{
      "results": [
        {
          "source": {"path": "/src/app/Cargo.lock", "type": "lockfile"},
          "packages": [
            {
              "package": {"name": "time", "version": "0.1.43", "ecosystem": "crates.io"},
              "vulnerabilities": [
                {
                  "id": "GHSA-wcg3-cvx6-7396", "aliases": ["CVE-2020-26235"],
                  "summary": "Segmentation fault in time",
                  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
                  "affected": [{"package": {"ecosystem": "crates.io", "name": "time"},
                                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.2.7"}, {"fixed": "0.2.23"}]},
                                           {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.1.44"}]}]}],
                  "references": [{"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2020-26235"}],
                  "database_specific": {"severity": "MODERATE", "cwe_ids": ["CWE-476"]}
                },
                {
                  "id": "RUSTSEC-2020-0071", "aliases": ["CVE-2020-26235", "GHSA-wcg3-cvx6-7396"],
                  "summary": "Potential segfault in the time crate",
                  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
                  "affected": [{"package": {"ecosystem": "crates.io", "name": "time"},
                                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}, {"fixed": "0.2.23"}]}]}],
                  "database_specific": {"license": "CC0-1.0"}
                }
              ],
              "groups": [{"ids": ["GHSA-wcg3-cvx6-7396", "RUSTSEC-2020-0071"], "aliases": ["CVE-2020-26235"], "max_severity": "5.9"}]
            },
            {
              "package": {"name": "chrono", "version": "0.4.19", "ecosystem": "crates.io"},
              "vulnerabilities": [
                {"id": "RUSTSEC-2020-0159", "aliases": null, "summary": "Potential segfault in localtime_r invocations",
                 "severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N"}],
                 "affected": [{"package": {"name": "chrono"}, "ranges": [{"events": [{"introduced": "0"}, {"fixed": "0.4.20"}]}]}]}
              ],
              "groups": null
            },
            {"package": {"name": "serde", "version": "1.0.0", "ecosystem": "crates.io"}, "vulnerabilities": [], "groups": []}
          ]
        }
      ]
    }"#;

    #[test]
    fn groups_become_one_vulnerability() {
        let r = read_sca("osv.json", REPORT.as_bytes()).unwrap();
        assert_eq!(r.scanner, Scanner::OsvScanner);
        assert_eq!(r.vulnerabilities.len(), 2);
        let time = &r.vulnerabilities[0];
        assert_eq!(time.id, "GHSA-wcg3-cvx6-7396");
        assert_eq!(time.aliases, vec!["RUSTSEC-2020-0071", "CVE-2020-26235"]);
        assert_eq!(
            (time.severity, time.severity_source),
            (Severity::Medium, SeveritySource::Reported)
        );
        assert_eq!(time.fixed_versions, vec!["0.2.23", "0.1.44"]);
        assert_eq!(time.manifest.as_deref(), Some("/src/app/Cargo.lock"));
        assert_eq!(time.title.as_deref(), Some("Segmentation fault in time"));
        assert_eq!(
            time.url.as_deref(),
            Some("https://nvd.nist.gov/vuln/detail/CVE-2020-26235")
        );
        let chrono = &r.vulnerabilities[1];
        assert_eq!(chrono.id, "RUSTSEC-2020-0159");
        assert_eq!(
            (chrono.severity, chrono.severity_source),
            (Severity::High, SeveritySource::CvssV4)
        );
        assert_eq!(chrono.ecosystem.as_deref(), Some("crates.io"));
    }

    #[test]
    fn empty_results_are_clean() {
        let r = read_sca("osv.json", br#"{"results": []}"#).unwrap();
        assert!(r.vulnerabilities.is_empty());
    }

    #[test]
    fn missing_package_name_is_malformed() {
        let bad = br#"{"results": [{"packages": [{"package": {"version": "1"}, "vulnerabilities": []}]}]}"#;
        let gap = read_sca("osv.json", bad).unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert!(
            gap.detail.contains("results[0].packages[0].package"),
            "{}",
            gap.detail
        );
        assert!(gap.detail.contains("`name`"), "{}", gap.detail);
    }
}

#[cfg(test)]
mod recognition_tests {
    use super::super::read_sca;

    #[test]
    fn other_tools_results_objects_are_not_clean_osv_reports() {
        for text in [
            r#"{"results":[{"foo":1}]}"#,
            r#"{"results":null}"#,
            r#"{"errors":[],"results":[{"check_id":"python.lang.security","path":"a.py","extra":{"severity":"ERROR"}}]}"#,
            r#"{"errors":[],"generated_at":"2024-01-01","metrics":{},"results":[{"filename":"a.py","issue_severity":"HIGH","test_id":"B602"}]}"#,
        ] {
            assert!(
                read_sca("r.json", text.as_bytes()).is_err(),
                "accepted: {text}"
            );
        }
    }
}
