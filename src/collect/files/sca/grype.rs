//! Reads `grype -o json` (every version from 0.7 to 0.9x share the `matches[]` layout).
//!
//! Each match is one (vulnerability, artifact) pair. The `relatedVulnerabilities` are the
//! same flaw under other ids (a GHSA match relates its CVE) and become aliases, together
//! with any vendor `advisories`. Grype labels every match (`Negligible` counts as low,
//! as grype documents); `Unknown` falls back to the best CVSS entry's `baseScore`, then
//! to its vector. Fix versions are only taken when `fix.state` does not say there is
//! no fix (`not-fixed`, `wont-fix`). The ecosystem comes from the artifact's purl, else
//! from its grype `type`; the first location is the manifest (for images, the file in
//! the layer, such as `/var/lib/dpkg/status`).
//!
//! Surprising: old grype versions list the very same match twice when two matchers hit
//! it; `read_sca` merges such repeats.

use serde::Deserialize;

use super::{Rating, clean_aliases, clean_list, non_empty};
use crate::collect::files::json::{self, Convert, Converted};
use crate::evidence::ecosystem;
use crate::evidence::{Gap, ScaReport, Scanner, Vulnerability};

const WHAT: &str = "grype report";

#[derive(Deserialize)]
struct Report {
    /// Required and never null: `{"matches": null}` is not a clean scan.
    matches: Vec<Converted<Match>>,
    /// Grype always writes its descriptor; requiring it keeps other JSON with a
    /// `matches` key from reading as a clean grype report.
    descriptor: Descriptor,
    #[serde(default)]
    distro: Option<Distro>,
    /// What was scanned (an image, a directory, an SBOM); a report without it does not
    /// show that grype looked at anything.
    #[serde(default)]
    source: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct Descriptor {
    #[serde(default, deserialize_with = "json::lenient_string")]
    version: Option<String>,
}

#[derive(Deserialize)]
struct Distro {
    #[serde(default, deserialize_with = "json::lenient_string")]
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Match {
    vulnerability: Vuln,
    #[serde(default, deserialize_with = "json::null_default")]
    related_vulnerabilities: Vec<Related>,
    artifact: Artifact,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vuln {
    id: String,
    #[serde(default)]
    data_source: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(rename = "urls", default, deserialize_with = "json::first")]
    url: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    cvss: Vec<Cvss>,
    #[serde(default)]
    fix: Option<Fix>,
    #[serde(default, deserialize_with = "json::null_default")]
    advisories: Vec<Advisory>,
}

#[derive(Deserialize)]
struct Related {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    cvss: Vec<Cvss>,
}

#[derive(Deserialize)]
struct Advisory {
    #[serde(default)]
    id: Option<String>,
}

#[derive(Deserialize)]
struct Cvss {
    #[serde(default, deserialize_with = "json::lenient_string")]
    version: Option<String>,
    #[serde(default)]
    vector: Option<String>,
    #[serde(default)]
    metrics: Option<Metrics>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metrics {
    #[serde(default, deserialize_with = "json::lenient_f64")]
    base_score: Option<f64>,
}

#[derive(Deserialize)]
struct Fix {
    #[serde(default, deserialize_with = "json::null_default")]
    versions: Vec<String>,
    #[serde(default)]
    state: Option<String>,
}

#[derive(Deserialize)]
struct Artifact {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(rename = "locations", default, deserialize_with = "json::first")]
    location: Option<Location>,
    #[serde(default)]
    purl: Option<String>,
}

#[derive(Deserialize)]
struct Location {
    #[serde(default)]
    path: Option<String>,
}

/// A normalized match, and whether its ecosystem should come from the image's distro.
struct Normalized {
    vulnerability: Vulnerability,
    distro_package: bool,
}

impl Convert for Match {
    type Output = Normalized;

    fn convert(self) -> Result<Normalized, String> {
        let Match {
            vulnerability: v,
            related_vulnerabilities: related,
            artifact,
        } = self;
        let id = v.id.trim().to_owned();
        if id.is_empty() {
            return Err("`vulnerability.id` is empty".to_owned());
        }
        let rating = rate(&v, &related);
        let aliases = related
            .into_iter()
            .filter_map(|r| r.id)
            .chain(v.advisories.into_iter().filter_map(|a| a.id));
        let fixed = match v.fix {
            Some(Fix { state: Some(s), .. }) if s == "not-fixed" || s == "wont-fix" => Vec::new(),
            Some(fix) => clean_list(fix.versions),
            None => Vec::new(),
        };
        let purl_eco = artifact.purl.as_deref().and_then(ecosystem::from_purl);
        // Without a purl, a distribution package belongs to the scanned image's distro,
        // which the report only names after the matches.
        let distro_package =
            purl_eco.is_none() && matches!(artifact.kind.as_deref(), Some("deb" | "apk" | "rpm"));
        let eco = purl_eco.or_else(|| artifact.kind.as_deref().and_then(ecosystem::from_type));
        Ok(Normalized {
            vulnerability: Vulnerability {
                aliases: clean_aliases(&id, aliases),
                package: artifact.name,
                ecosystem: eco.map(str::to_owned),
                version: non_empty(artifact.version),
                fixed_versions: fixed,
                severity: rating.severity,
                severity_source: rating.source,
                cvss_vector: rating.vector,
                title: non_empty(v.description),
                url: non_empty(v.data_source).or_else(|| non_empty(v.url)),
                manifest: artifact.location.and_then(|l| non_empty(l.path)),
                id,
            },
            distro_package,
        })
    }
}

/// Reads a grype JSON report.
pub(super) fn read(source: &str, bytes: &[u8]) -> Result<ScaReport, Gap> {
    let report: Report = json::parse(source, WHAT, bytes)?;
    if report.source.is_none() {
        return Err(super::nothing_scanned(
            source,
            WHAT,
            "there is no `source` object naming what was scanned",
        ));
    }
    let distro = report.distro.and_then(|d| d.name);
    let distro_eco = distro.as_deref().and_then(ecosystem::from_distro);
    let vulnerabilities = json::unwrap_all(report.matches)
        .into_iter()
        .map(|n| {
            let mut v = n.vulnerability;
            if n.distro_package && distro_eco.is_some() {
                v.ecosystem = distro_eco.map(str::to_owned);
            }
            v
        })
        .collect();
    Ok(ScaReport {
        scanner: Scanner::Grype,
        scanner_version: non_empty(report.descriptor.version),
        vulnerabilities,
    })
}

fn rate(v: &Vuln, related: &[Related]) -> Rating {
    // The match's own CVSS entries first, then the related records', newest CVSS first.
    let mut entries: Vec<&Cvss> = v
        .cvss
        .iter()
        .chain(related.iter().flat_map(|r| r.cvss.iter()))
        .collect();
    entries.sort_by_key(|c| std::cmp::Reverse(major(c)));
    let score = entries
        .iter()
        .find_map(|c| c.metrics.as_ref().and_then(|m| m.base_score));
    let vectors: Vec<String> = entries.iter().filter_map(|c| full_vector(c)).collect();
    Rating::rate(
        v.severity.as_deref(),
        score,
        vectors.iter().map(String::as_str),
    )
}

/// The CVSS major version of an entry (4, 3, 2), 0 when unstated.
fn major(c: &Cvss) -> u8 {
    let version = c.version.as_deref().unwrap_or_default();
    let vector = c.vector.as_deref().unwrap_or_default();
    if version.starts_with('4') || vector.starts_with("CVSS:4") {
        4
    } else if version.starts_with('3') || vector.starts_with("CVSS:3") {
        3
    } else if version.starts_with('2') {
        2
    } else {
        0
    }
}

/// Some grype versions drop the `CVSS:3.x/` prefix from v3 vectors; it is restored from
/// the entry's `version` so the vector can be scored.
fn full_vector(c: &Cvss) -> Option<String> {
    let vector = c.vector.as_deref()?.trim();
    if vector.is_empty() {
        return None;
    }
    let version = c.version.as_deref().unwrap_or_default();
    if !vector.starts_with("CVSS:") && (version.starts_with("3.") || version == "4.0") {
        return Some(format!("CVSS:{version}/{vector}"));
    }
    Some(vector.to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::read_sca;
    use crate::evidence::sca::SeveritySource;
    use crate::evidence::{GapKind, Scanner, Severity};

    const REPORT: &str = r#"{
      "matches": [
        {
          "vulnerability": {
            "id": "GHSA-jfh8-c2jp-5v3q", "dataSource": "https://github.com/advisories/GHSA-jfh8-c2jp-5v3q",
            "namespace": "github:language:java", "severity": "Critical",
            "urls": ["https://github.com/advisories/GHSA-jfh8-c2jp-5v3q"],
            "description": "Remote code injection in Log4j",
            "cvss": [], "fix": {"versions": ["2.15.0"], "state": "fixed"}, "advisories": []
          },
          "relatedVulnerabilities": [
            {"id": "CVE-2021-44228", "namespace": "nvd:cpe", "severity": "Critical",
             "cvss": [{"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "metrics": {"baseScore": 10}}]}
          ],
          "matchDetails": [{"type": "exact-direct-match", "matcher": "java-matcher"}],
          "artifact": {
            "name": "log4j-core", "version": "2.14.1", "type": "java-archive",
            "locations": [{"path": "/app/lib/log4j-core-2.14.1.jar"}],
            "language": "java", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
          }
        },
        {
          "vulnerability": {
            "id": "CVE-2022-37434", "severity": "Unknown",
            "cvss": [{"version": "2.0", "vector": "AV:N/AC:L/Au:N/C:P/I:P/A:P", "metrics": {"baseScore": 7.5}},
                     {"version": "3.1", "vector": "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "metrics": {"baseScore": 9.8}}],
            "fix": {"versions": [], "state": "not-fixed"}
          },
          "artifact": {"name": "zlib1g", "version": "1:1.2.11.dfsg-2", "type": "deb", "locations": [{"path": "/var/lib/dpkg/status"}]}
        }
      ],
      "source": {"type": "image"},
      "distro": {"name": "debian", "version": "11"},
      "descriptor": {"name": "grype", "version": "0.74.0"}
    }"#;

    #[test]
    fn reads_matches() {
        let r = read_sca("grype.json", REPORT.as_bytes()).unwrap();
        assert_eq!(r.scanner, Scanner::Grype);
        assert_eq!(r.scanner_version.as_deref(), Some("0.74.0"));
        assert_eq!(r.vulnerabilities.len(), 2);
        let log4j = &r.vulnerabilities[0];
        assert_eq!(log4j.aliases, vec!["CVE-2021-44228"]);
        assert_eq!(log4j.ecosystem.as_deref(), Some("Maven"));
        assert_eq!(log4j.fixed_versions, vec!["2.15.0"]);
        assert_eq!(
            (log4j.severity, log4j.severity_source),
            (Severity::Critical, SeveritySource::Reported)
        );
        assert_eq!(
            log4j.cvss_vector.as_deref(),
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H")
        );
        assert_eq!(
            log4j.manifest.as_deref(),
            Some("/app/lib/log4j-core-2.14.1.jar")
        );
        let zlib = &r.vulnerabilities[1];
        assert_eq!(zlib.ecosystem.as_deref(), Some("Debian"));
        assert_eq!(
            (zlib.severity, zlib.severity_source),
            (Severity::Critical, SeveritySource::Score)
        );
        assert_eq!(
            zlib.cvss_vector.as_deref(),
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
        );
        assert!(zlib.fixed_versions.is_empty());
    }

    #[test]
    fn repeated_matches_are_merged() {
        let m = r#"{"vulnerability": {"id": "CVE-1", "severity": "High"}, "artifact": {"name": "a", "version": "1", "type": "npm"}}"#;
        let doc = format!(
            r#"{{"matches": [{m}, {m}], "source": {{"type": "directory"}}, "descriptor": {{"version": "0.28.0"}}}}"#
        );
        assert_eq!(
            read_sca("g.json", doc.as_bytes())
                .unwrap()
                .vulnerabilities
                .len(),
            1
        );
    }

    #[test]
    fn artifact_without_name_is_malformed() {
        let bad =
            br#"{"matches": [{"vulnerability": {"id": "CVE-1"}, "artifact": {"version": "1"}}]}"#;
        let gap = read_sca("g.json", bad).unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert!(gap.detail.contains("matches[0].artifact"), "{}", gap.detail);
    }
}
