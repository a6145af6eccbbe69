//! Reads GitLab dependency-scanning reports (`gl-dependency-scanning-report.json`,
//! schema 2.x, 3.x and the 14.x/15.x schemas, as Gemnasium and compatible analyzers write).
//!
//! The first of `identifiers[]` is GitLab's primary identifier and becomes the id (for
//! Gemnasium that is its advisory UUID); every other identifier value (CVE, GHSA, …) is
//! an alias. The package is `location.dependency.package.name` at
//! `location.dependency.version`, found in `location.file` (the manifest).
//!
//! Surprising: real Gemnasium reports sometimes omit the package (`"package": {}`). The
//! finding is kept, not dropped: the package name is recovered from the legacy compound
//! `cve` key (`<file>:<package>:gemnasium:<uuid>`) when it has that shape, else left
//! empty. A `severity` of `Unknown` is unrated. GitLab states fixes only as prose
//! (`solution: "Upgrade to version 2.2.3 or above."`): the versions are taken from that
//! sentence; any other solution text is kept verbatim so the finding still reads as
//! fixable, and no solution means no known fix. The ecosystem comes from the
//! `package_manager` of the matching `dependency_files` entry, else the manifest name.

use serde::Deserialize;

use super::{Rating, clean_aliases, clean_list, non_empty};
use crate::collect::files::json::{self, Convert, Converted};
use crate::evidence::ecosystem;
use crate::evidence::{Gap, GapKind, ScaReport, Scanner, Vulnerability};

const WHAT: &str = "GitLab dependency-scanning report";

#[derive(Deserialize)]
struct Report {
    /// Required and never null: `{"vulnerabilities": null}` is not a clean scan.
    vulnerabilities: Vec<Converted<GlVuln>>,
    #[serde(default, deserialize_with = "json::null_default")]
    dependency_files: Vec<DependencyFile>,
    #[serde(default)]
    scan: Option<Scan>,
}

#[derive(Deserialize)]
struct DependencyFile {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    package_manager: Option<String>,
}

#[derive(Deserialize)]
struct Scan {
    /// `success` or `failure`; a failed analyzer's report proves nothing.
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    scanner: Option<Tool>,
    #[serde(default)]
    analyzer: Option<Tool>,
}

#[derive(Deserialize)]
struct Tool {
    #[serde(default)]
    version: Option<String>,
}

#[derive(Deserialize)]
struct GlVuln {
    #[serde(default, deserialize_with = "json::lenient_string")]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    cve: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    solution: Option<String>,
    #[serde(default)]
    location: Option<Location>,
    #[serde(default, deserialize_with = "json::null_default")]
    identifiers: Vec<Identifier>,
    #[serde(default, deserialize_with = "json::null_default")]
    links: Vec<Link>,
}

#[derive(Deserialize)]
struct Location {
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    dependency: Option<Dependency>,
}

#[derive(Deserialize)]
struct Dependency {
    #[serde(default)]
    package: Option<Package>,
    #[serde(default, deserialize_with = "json::lenient_string")]
    version: Option<String>,
}

#[derive(Deserialize)]
struct Package {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Identifier {
    #[serde(default, deserialize_with = "json::lenient_string")]
    value: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct Link {
    #[serde(default)]
    url: Option<String>,
}

impl Convert for GlVuln {
    type Output = Vulnerability;

    /// Everything but the ecosystem stated by `dependency_files` (see [`read`]).
    fn convert(self) -> Result<Vulnerability, String> {
        let v = self;
        let mut ids = v
            .identifiers
            .iter()
            .filter_map(|x| non_empty(x.value.clone()));
        let id = match ids
            .next()
            .or_else(|| non_empty(v.cve.clone()))
            .or_else(|| non_empty(v.id.clone()))
        {
            Some(id) => id.trim().to_owned(),
            None => {
                return Err(
                    "no `identifiers[].value` (nor `cve` or `id`) to identify the finding"
                        .to_owned(),
                );
            }
        };
        let aliases = clean_aliases(&id, ids);
        let url = v
            .identifiers
            .first()
            .and_then(|x| non_empty(x.url.clone()))
            .or_else(|| v.links.into_iter().find_map(|l| non_empty(l.url)));

        let (file, dependency) = match v.location {
            Some(l) => (non_empty(l.file), l.dependency),
            None => (None, None),
        };
        let (name, version) = match dependency {
            Some(d) => (
                non_empty(d.package.and_then(|p| p.name)),
                non_empty(d.version),
            ),
            None => (None, None),
        };
        let package = name
            .or_else(|| package_from_compound_key(v.cve.as_deref(), file.as_deref()))
            .unwrap_or_default();
        let rating = Rating::rate(v.severity.as_deref(), None, []);
        Ok(Vulnerability {
            aliases,
            package,
            ecosystem: file
                .as_deref()
                .and_then(ecosystem::from_manifest)
                .map(str::to_owned),
            version,
            fixed_versions: v
                .solution
                .as_deref()
                .map(fixed_from_solution)
                .unwrap_or_default(),
            severity: rating.severity,
            severity_source: rating.source,
            cvss_vector: None,
            title: non_empty(v.name).or_else(|| non_empty(v.message)),
            url,
            manifest: file,
            id,
        })
    }
}

/// Reads a GitLab dependency-scanning report.
pub(super) fn read(source: &str, bytes: &[u8]) -> Result<ScaReport, Gap> {
    let report: Report = json::parse(source, WHAT, bytes)?;
    let mut vulnerabilities = json::unwrap_all(report.vulnerabilities);
    // The analyzer's own `package_manager` for the file beats a guess from its name.
    for v in &mut vulnerabilities {
        let stated = v.manifest.as_deref().and_then(|m| {
            report
                .dependency_files
                .iter()
                .find(|d| d.path.as_deref() == Some(m))
                .and_then(|d| d.package_manager.as_deref())
                .and_then(ecosystem::from_type)
        });
        if let Some(eco) = stated {
            v.ecosystem = Some(eco.to_owned());
        }
    }
    if let Some(status) = report.scan.as_ref().and_then(|s| s.status.as_deref())
        && status != "success"
    {
        return Err(Gap::new(
            GapKind::ScannerFailed,
            source,
            format!("scan.status: {status:?}: the dependency scanner did not complete"),
        ));
    }
    // Schema 15 reports carry `scan` (status, analyzer); older ones list the files
    // analysed. A report with neither, and no finding, does not show a scan ran.
    if vulnerabilities.is_empty() && report.dependency_files.is_empty() && report.scan.is_none() {
        return Err(super::nothing_scanned(
            source,
            WHAT,
            "it has no finding, no `dependency_files` and no `scan` object",
        ));
    }
    let scanner_version = report.scan.and_then(|s| {
        s.scanner
            .and_then(|t| non_empty(t.version))
            .or_else(|| s.analyzer.and_then(|t| non_empty(t.version)))
    });
    Ok(ScaReport {
        scanner: Scanner::GitlabDependencyScanning,
        scanner_version,
        vulnerabilities,
    })
}

/// `gopkg.in/yaml.v2` from `service/go.sum:gopkg.in/yaml.v2:gemnasium:7368f513-…`, only
/// when the key starts with the finding's own file, so an unrelated `cve` is never split.
fn package_from_compound_key(cve: Option<&str>, file: Option<&str>) -> Option<String> {
    let rest = cve?.strip_prefix(file?)?.strip_prefix(':')?;
    let mut parts = rest.rsplitn(3, ':');
    let _uuid = parts.next()?;
    let _analyzer = parts.next()?;
    non_empty(parts.next().map(str::to_owned))
}

/// Versions from Gemnasium's "Upgrade to version(s) X[, Y] or above." sentence; other
/// prose is kept whole, and sentences saying there is no fix give nothing.
fn fixed_from_solution(solution: &str) -> Vec<String> {
    let s = solution.trim();
    if s.is_empty() || s.to_ascii_lowercase().contains("no solution") {
        return Vec::new();
    }
    let list = s
        .strip_prefix("Upgrade to versions ")
        .or_else(|| s.strip_prefix("Upgrade to version "))
        .map(|rest| {
            rest.trim_end_matches('.')
                .trim_end_matches(" or above")
                .trim_end_matches(" or later")
        });
    if let Some(list) = list {
        let versions: Vec<String> = list
            .split(',')
            .flat_map(|p| p.split(" or "))
            .map(str::trim)
            .map(str::to_owned)
            .collect();
        if !versions.is_empty() && versions.iter().all(|v| !v.is_empty() && !v.contains(' ')) {
            return clean_list(versions);
        }
    }
    vec![s.to_owned()]
}

#[cfg(test)]
mod tests {
    use super::super::read_sca;
    use super::fixed_from_solution;
    use crate::evidence::sca::SeveritySource;
    use crate::evidence::{GapKind, Scanner, Severity};

    const REPORT: &str = r#"{
      "version": "15.0.7",
      "vulnerabilities": [
        {
          "id": "5f1b6d0e", "name": "Prototype Pollution", "description": "lodash before 4.17.12 is vulnerable.",
          "severity": "High", "solution": "Upgrade to version 4.17.12 or above.",
          "location": {"file": "web/yarn.lock", "dependency": {"package": {"name": "lodash"}, "version": "4.17.11"}},
          "identifiers": [
            {"type": "gemnasium", "name": "Gemnasium-1a2b", "value": "1a2b", "url": "https://gitlab.com/gemnasium-db/npm/lodash/CVE-2019-10744.yml"},
            {"type": "cve", "name": "CVE-2019-10744", "value": "CVE-2019-10744"},
            {"type": "ghsa", "name": "GHSA-jf85-cpcp-j695", "value": "GHSA-jf85-cpcp-j695"}
          ],
          "links": [{"url": "https://nvd.nist.gov/vuln/detail/CVE-2019-10744"}]
        },
        {
          "id": "77aa", "name": "Billion Laughs", "cve": "svc/go.sum:gopkg.in/yaml.v2:gemnasium:3c4d",
          "severity": "Unknown", "solution": "Unfortunately, there is no solution available yet.",
          "location": {"file": "svc/go.sum", "dependency": {"package": {}}},
          "identifiers": [{"type": "gemnasium", "name": "Gemnasium-3c4d", "value": "3c4d"}]
        }
      ],
      "dependency_files": [{"path": "web/yarn.lock", "package_manager": "yarn", "dependencies": []}],
      "scan": {"analyzer": {"id": "gemnasium", "version": "4.12.0"}, "scanner": {"id": "gemnasium", "version": "4.12.0"},
               "type": "dependency_scanning", "status": "success"}
    }"#;

    #[test]
    fn reads_findings() {
        let r = read_sca("gl-dependency-scanning-report.json", REPORT.as_bytes()).unwrap();
        assert_eq!(r.scanner, Scanner::GitlabDependencyScanning);
        assert_eq!(r.scanner_version.as_deref(), Some("4.12.0"));
        assert_eq!(r.vulnerabilities.len(), 2);
        let l = &r.vulnerabilities[0];
        assert_eq!(l.id, "1a2b");
        assert_eq!(l.aliases, vec!["CVE-2019-10744", "GHSA-jf85-cpcp-j695"]);
        assert_eq!(
            (l.package.as_str(), l.version.as_deref()),
            ("lodash", Some("4.17.11"))
        );
        assert_eq!(l.ecosystem.as_deref(), Some("npm"));
        assert_eq!(l.fixed_versions, vec!["4.17.12"]);
        assert_eq!(
            (l.severity, l.severity_source),
            (Severity::High, SeveritySource::Reported)
        );
        assert_eq!(l.manifest.as_deref(), Some("web/yarn.lock"));
        let y = &r.vulnerabilities[1];
        assert_eq!(y.package, "gopkg.in/yaml.v2");
        assert_eq!(y.version, None);
        assert_eq!(y.ecosystem.as_deref(), Some("Go"));
        assert!(y.fixed_versions.is_empty());
        assert_eq!(
            (y.severity, y.severity_source),
            (Severity::Unknown, SeveritySource::Unrated)
        );
    }

    #[test]
    fn solutions_become_fixed_versions() {
        assert_eq!(
            fixed_from_solution("Upgrade to versions 1.2.3, 2.0.1 or above."),
            vec!["1.2.3", "2.0.1"]
        );
        assert_eq!(
            fixed_from_solution("Upgrade to the latest version."),
            vec!["Upgrade to the latest version."]
        );
        assert!(fixed_from_solution("").is_empty());
    }

    #[test]
    fn finding_without_any_identifier_is_malformed() {
        let bad =
            br#"{"version": "3.0.0", "vulnerabilities": [{"severity": "High", "identifiers": []}],
                       "scan": {"type": "dependency_scanning"}}"#;
        let gap = read_sca("gl.json", bad).unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert!(gap.detail.contains("vulnerabilities[0]"), "{}", gap.detail);
        assert!(gap.detail.contains("identifiers"), "{}", gap.detail);
        let bad = br#"{"version": "3.0.0", "vulnerabilities": {"a": 1}, "scan": {"type": "dependency_scanning"}}"#;
        let gap = read_sca("gl.json", bad).unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert!(gap.detail.contains("vulnerabilities"), "{}", gap.detail);
    }
}

#[cfg(test)]
mod status_tests {
    use crate::evidence::GapKind;

    #[test]
    fn a_failed_scan_is_a_scanner_failure_not_a_clean_report() {
        let text = r#"{"version":"15.0.0","vulnerabilities":[],"dependency_files":[],
            "scan":{"type":"dependency_scanning","status":"failure","scanner":{"id":"gemnasium","name":"Gemnasium","version":"4.0"}}}"#;
        let gap = super::super::read_sca("gl.json", text.as_bytes()).unwrap_err();
        assert_eq!(gap.kind, GapKind::ScannerFailed);
        assert!(gap.detail.contains("scan.status"));
    }
}
