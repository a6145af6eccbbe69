//! Reads `cargo audit --json` (rustsec 0.x/cargo-audit 0.13 and later).
//!
//! Only `vulnerabilities.list` is evidence. The `warnings` map (unmaintained, unsound,
//! yanked crates) is advisory information that cargo-audit itself does not fail on, so it
//! is not read. RustSec advisories carry no severity label, only an optional `cvss`
//! vector (v3.1, and v4.0 since 2024), which vouch scores itself; an advisory without one
//! is unrated. One advisory listed for two versions of a crate (a lockfile may hold both
//! `smallvec 0.6` and `smallvec 1.5`) yields two entries.

use serde::Deserialize;

use super::{Rating, clean_aliases, clean_list, non_empty};
use crate::collect::files::json::{self, Convert, Converted};
use crate::evidence::{Gap, GapKind, ScaReport, Scanner, Vulnerability};

const WHAT: &str = "cargo-audit report";

#[derive(Deserialize)]
struct Report {
    vulnerabilities: Vulnerabilities,
    /// What was audited; without it (or with no dependency) the report proves nothing.
    #[serde(default)]
    lockfile: Option<Lockfile>,
}

#[derive(Deserialize)]
struct Lockfile {
    #[serde(rename = "dependency-count")]
    dependency_count: u64,
}

#[derive(Deserialize)]
struct Vulnerabilities {
    /// Required, like `list`: `{"vulnerabilities": {}}` is not a finished audit.
    #[allow(dead_code)]
    found: bool,
    #[serde(default)]
    count: Option<u64>,
    list: Vec<Converted<Entry>>,
}

#[derive(Deserialize)]
struct Entry {
    advisory: Advisory,
    #[serde(default)]
    versions: Option<Versions>,
    package: Package,
}

#[derive(Deserialize)]
struct Advisory {
    id: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    aliases: Vec<String>,
    #[serde(default, deserialize_with = "json::lenient_string")]
    cvss: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct Versions {
    #[serde(default, deserialize_with = "json::null_default")]
    patched: Vec<String>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    #[serde(default)]
    version: Option<String>,
}

impl Convert for Entry {
    type Output = Vulnerability;

    fn convert(self) -> Result<Vulnerability, String> {
        let Entry {
            advisory,
            versions,
            package,
        } = self;
        let id = advisory.id.trim().to_owned();
        if id.is_empty() {
            return Err("`advisory.id` is empty".to_owned());
        }
        let rating = Rating::rate(None, None, advisory.cvss.as_deref());
        let url = non_empty(advisory.url).or_else(|| {
            id.starts_with("RUSTSEC-")
                .then(|| format!("https://rustsec.org/advisories/{id}.html"))
        });
        Ok(Vulnerability {
            aliases: clean_aliases(&id, advisory.aliases),
            package: package.name,
            ecosystem: Some("crates.io".to_owned()),
            version: non_empty(package.version),
            fixed_versions: clean_list(versions.map(|v| v.patched).unwrap_or_default()),
            severity: rating.severity,
            severity_source: rating.source,
            cvss_vector: rating.vector,
            title: non_empty(advisory.title),
            url,
            manifest: None,
            id,
        })
    }
}

/// Reads a cargo-audit JSON report.
pub(super) fn read(source: &str, bytes: &[u8]) -> Result<ScaReport, Gap> {
    let report: Report = json::parse(source, WHAT, bytes)?;
    match &report.lockfile {
        None => {
            return Err(super::nothing_scanned(
                source,
                WHAT,
                "there is no `lockfile` object, so nothing says which dependencies were audited",
            ));
        }
        Some(l) if l.dependency_count == 0 => {
            return Err(super::nothing_scanned(
                source,
                WHAT,
                "`lockfile.dependency-count` is 0",
            ));
        }
        Some(_) => {}
    }
    let vulnerabilities = json::unwrap_all(report.vulnerabilities.list);
    // A count larger than the list means entries went missing between scanner and gate.
    if let Some(count) = report.vulnerabilities.count
        && count > vulnerabilities.len() as u64
    {
        return Err(Gap::new(
            GapKind::Malformed,
            source,
            format!(
                "{WHAT}: `vulnerabilities.count` is {count} but `vulnerabilities.list` has {} entries",
                vulnerabilities.len()
            ),
        ));
    }
    Ok(ScaReport {
        scanner: Scanner::CargoAudit,
        scanner_version: None,
        vulnerabilities,
    })
}

#[cfg(test)]
mod tests {
    use super::super::read_sca;
    use crate::evidence::sca::SeveritySource;
    use crate::evidence::{GapKind, Scanner, Severity};

    const REPORT: &str = r#"{
      "database": {"advisory-count": 500},
      "lockfile": {"dependency-count": 120},
      "settings": {"ignore": []},
      "vulnerabilities": {
        "found": true,
        "count": 3,
        "list": [
          {
            "advisory": {
              "id": "RUSTSEC-2022-0013", "package": "regex",
              "title": "Regexes with large repetitions on empty sub-expressions take a very long time to parse",
              "aliases": ["CVE-2022-24713", "GHSA-m5pq-gvj9-9vr8", "RUSTSEC-2022-0013"],
              "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
              "url": "https://groups.google.com/g/rustlang-security-announcements/c/NcNNL1Jq7Yw"
            },
            "versions": {"patched": [">=1.5.5"], "unaffected": []},
            "package": {"name": "regex", "version": "1.5.4", "source": "registry+https://github.com/rust-lang/crates.io-index"}
          },
          {
            "advisory": {"id": "RUSTSEC-2021-0003", "package": "smallvec", "title": "Buffer overflow in SmallVec::insert_many",
                         "aliases": ["CVE-2021-25900"], "cvss": null, "url": null},
            "versions": {"patched": [">=0.6.14, <1.0.0", ">=1.6.1"]},
            "package": {"name": "smallvec", "version": "0.6.13"}
          },
          {
            "advisory": {"id": "RUSTSEC-2021-0003", "package": "smallvec", "aliases": ["CVE-2021-25900"], "cvss": null},
            "versions": {"patched": []},
            "package": {"name": "smallvec", "version": "1.5.0"}
          }
        ]
      },
      "warnings": {"unmaintained": [{"kind": "unmaintained", "package": {"name": "ansi_term", "version": "0.12.1"}}]}
    }"#;

    #[test]
    fn reads_vulnerabilities_and_scores_cvss_vectors() {
        let r = read_sca("audit.json", REPORT.as_bytes()).unwrap();
        assert_eq!(r.scanner, Scanner::CargoAudit);
        assert_eq!(r.vulnerabilities.len(), 3);
        let regex = &r.vulnerabilities[0];
        assert_eq!(regex.id, "RUSTSEC-2022-0013");
        assert_eq!(regex.aliases, vec!["CVE-2022-24713", "GHSA-m5pq-gvj9-9vr8"]);
        assert_eq!(regex.ecosystem.as_deref(), Some("crates.io"));
        assert_eq!(regex.version.as_deref(), Some("1.5.4"));
        assert_eq!(regex.fixed_versions, vec![">=1.5.5"]);
        assert_eq!(
            (regex.severity, regex.severity_source),
            (Severity::High, SeveritySource::CvssV3)
        );
        let small = &r.vulnerabilities[1];
        assert_eq!(
            (small.severity, small.severity_source),
            (Severity::Unknown, SeveritySource::Unrated)
        );
        assert_eq!(
            small.url.as_deref(),
            Some("https://rustsec.org/advisories/RUSTSEC-2021-0003.html")
        );
        assert_eq!(r.vulnerabilities[2].version.as_deref(), Some("1.5.0"));
        assert!(r.vulnerabilities[2].fixed_versions.is_empty());
    }

    #[test]
    fn clean_report_has_no_vulnerabilities() {
        let clean = r#"{"database": {}, "lockfile": {"dependency-count": 1},
            "vulnerabilities": {"found": false, "count": 0, "list": []}, "warnings": {}}"#;
        assert!(
            read_sca("a.json", clean.as_bytes())
                .unwrap()
                .vulnerabilities
                .is_empty()
        );
    }

    #[test]
    fn missing_advisory_id_names_the_field() {
        let bad = r#"{"database": {}, "lockfile": {"dependency-count": 2}, "vulnerabilities": {"list": [
            {"advisory": {"package": "x"}, "package": {"name": "x", "version": "1"}}]}}"#;
        let gap = read_sca("a.json", bad.as_bytes()).unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert!(
            gap.detail.contains("vulnerabilities.list[0].advisory"),
            "{}",
            gap.detail
        );
        assert!(gap.detail.contains("missing field `id`"), "{}", gap.detail);
    }

    #[test]
    fn count_larger_than_list_is_malformed() {
        let bad = r#"{"database": {}, "lockfile": {"dependency-count": 2}, "vulnerabilities": {"found": true, "count": 2, "list": []}}"#;
        let gap = read_sca("a.json", bad.as_bytes()).unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert!(
            gap.detail.contains("vulnerabilities.count"),
            "{}",
            gap.detail
        );
    }
}
