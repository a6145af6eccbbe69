//! Reads `trivy -f json`: the current layout (`SchemaVersion: 2`, `Results[]`) and the
//! legacy one (before trivy 0.20), a top-level list of the same per-target results.
//!
//! Only `Vulnerabilities` are evidence; misconfigurations, secrets and licenses in the
//! same report are other controls' business and are skipped. Every vulnerability is kept
//! whatever its vendor `Status` (`affected`, `will_not_fix`, even `not_affected`): the
//! evidence model has no status, and silencing a finding is what VEX and waivers are for.
//! `FixedVersion` is a comma-separated list (`"11.0.14, 10.1.49, 9.0.112"`) and is split.
//! Severity: the `Severity` label, else the `CVSS` score of the `SeveritySource` vendor
//! (then NVD, then any), else its vector. `VendorIDs` (GHSA, DSA, …) are the aliases.
//! A result whose `Class` is `os-pkgs` names an image, not a manifest, so only its
//! `PkgPath` is used as manifest; language results use `PkgPath` or the `Target` file.
//!
//! Surprising: trivy writes `null` for empty lists, and a vulnerability without a
//! `VulnerabilityID` is malformed (nothing could ever waive or track it).

use serde::Deserialize;

use super::{Rating, clean_aliases, non_empty};
use crate::collect::files::json::{self, Convert, Converted};
use crate::evidence::{Gap, GapKind, ScaReport, Scanner, Vulnerability};

const WHAT_V2: &str = "trivy report (SchemaVersion 2)";
const WHAT_LEGACY: &str = "trivy report (legacy list)";

#[derive(Deserialize)]
struct Report {
    #[serde(rename = "SchemaVersion", default)]
    schema_version: Option<u64>,
    #[serde(rename = "Trivy", default)]
    trivy: Option<TrivyInfo>,
    #[serde(rename = "Results", default, deserialize_with = "json::null_default")]
    results: Vec<TargetResult>,
}

#[derive(Deserialize)]
struct TrivyInfo {
    #[serde(rename = "Version", default)]
    version: Option<String>,
}

#[derive(Deserialize)]
struct TargetResult {
    #[serde(rename = "Target", default)]
    target: Option<String>,
    #[serde(rename = "Class", default)]
    class: Option<String>,
    #[serde(rename = "Type", default)]
    kind: Option<String>,
    #[serde(
        rename = "Vulnerabilities",
        default,
        deserialize_with = "json::null_default"
    )]
    vulnerabilities: Vec<Converted<TrivyVuln>>,
}

#[derive(Deserialize)]
struct TrivyVuln {
    #[serde(rename = "VulnerabilityID")]
    id: String,
    #[serde(rename = "VendorIDs", default, deserialize_with = "json::null_default")]
    vendor_ids: Vec<String>,
    #[serde(rename = "PkgName")]
    pkg_name: String,
    #[serde(rename = "PkgPath", default)]
    pkg_path: Option<String>,
    #[serde(rename = "PkgIdentifier", default)]
    pkg_identifier: Option<PkgIdentifier>,
    #[serde(rename = "InstalledVersion", default)]
    installed_version: Option<String>,
    #[serde(rename = "FixedVersion", default)]
    fixed_version: Option<String>,
    #[serde(rename = "Title", default)]
    title: Option<String>,
    #[serde(rename = "PrimaryURL", default)]
    primary_url: Option<String>,
    /// Only the first reference is kept (the URL of last resort).
    #[serde(rename = "References", default, deserialize_with = "json::first")]
    reference: Option<String>,
    #[serde(rename = "Severity", default)]
    severity: Option<String>,
    #[serde(rename = "SeveritySource", default)]
    severity_source: Option<String>,
    #[serde(rename = "CVSS", default, deserialize_with = "json::entries")]
    cvss: Vec<(String, VendorCvss)>,
}

#[derive(Deserialize)]
struct PkgIdentifier {
    #[serde(rename = "PURL", default)]
    purl: Option<String>,
}

#[derive(Deserialize)]
struct VendorCvss {
    #[serde(rename = "V3Vector", default)]
    v3_vector: Option<String>,
    #[serde(rename = "V3Score", default, deserialize_with = "json::lenient_f64")]
    v3_score: Option<f64>,
    #[serde(rename = "V40Vector", default)]
    v40_vector: Option<String>,
    #[serde(rename = "V40Score", default, deserialize_with = "json::lenient_f64")]
    v40_score: Option<f64>,
}

/// Reads a SchemaVersion 2 trivy report.
pub(super) fn read_v2(source: &str, bytes: &[u8]) -> Result<ScaReport, Gap> {
    let report: Report = json::parse(source, WHAT_V2, bytes)?;
    if report.schema_version != Some(2) {
        let found = report
            .schema_version
            .map_or_else(|| "not a number".to_owned(), |v| v.to_string());
        return Err(Gap::new(
            GapKind::Unsupported,
            source,
            format!(
                "trivy report `SchemaVersion` is {found}; vouch reads SchemaVersion 2 and the legacy list"
            ),
        ));
    }
    if !scanned_packages(&report.results) {
        return Err(Gap::new(
            GapKind::Unsupported,
            source,
            "the trivy report has no package results (`Class` os-pkgs or lang-pkgs): it is a license, \
             misconfiguration or secret scan, or trivy found nothing to scan; run `trivy fs --scanners vuln`",
        ));
    }
    Ok(ScaReport {
        scanner: Scanner::Trivy,
        scanner_version: report.trivy.and_then(|t| non_empty(t.version)),
        vulnerabilities: normalize(report.results),
    })
}

/// Whether any result is a package scan. A license, misconfiguration or secret scan
/// (or one that found nothing to scan) checked no dependency: reading it as
/// "0 vulnerabilities" would pass the gate.
fn scanned_packages(results: &[TargetResult]) -> bool {
    results.iter().any(|r| {
        matches!(r.class.as_deref(), Some("os-pkgs" | "lang-pkgs"))
            || (r.class.is_none() && r.kind.is_some())
    })
}

/// Reads a legacy (top-level list) trivy report.
pub(super) fn read_legacy(source: &str, bytes: &[u8]) -> Result<ScaReport, Gap> {
    let results: Vec<TargetResult> = json::parse(source, WHAT_LEGACY, bytes)?;
    if !scanned_packages(&results) {
        return Err(super::nothing_scanned(
            source,
            WHAT_LEGACY,
            "no target has a package type (`Type`), so no dependency was scanned",
        ));
    }
    Ok(ScaReport {
        scanner: Scanner::Trivy,
        scanner_version: None,
        vulnerabilities: normalize(results),
    })
}

impl Convert for TrivyVuln {
    type Output = Vulnerability;

    /// Everything but what depends on the enclosing result (see [`normalize`]).
    fn convert(self) -> Result<Vulnerability, String> {
        let t = self;
        let id = t.id.trim().to_owned();
        if id.is_empty() {
            return Err("`VulnerabilityID` is empty".to_owned());
        }
        let rating = rate(&t);
        let eco = t
            .pkg_identifier
            .as_ref()
            .and_then(|p| p.purl.as_deref())
            .and_then(crate::evidence::ecosystem::from_purl);
        let fixed = t
            .fixed_version
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Vulnerability {
            aliases: clean_aliases(&id, t.vendor_ids),
            package: t.pkg_name,
            ecosystem: eco.map(str::to_owned),
            version: non_empty(t.installed_version),
            fixed_versions: fixed,
            severity: rating.severity,
            severity_source: rating.source,
            cvss_vector: rating.vector,
            title: non_empty(t.title),
            url: non_empty(t.primary_url).or_else(|| non_empty(t.reference)),
            manifest: non_empty(t.pkg_path),
            id,
        })
    }
}

/// Fills in what each vulnerability inherits from its result: the ecosystem named by the
/// result `Type` (when the package has no purl) and the `Target` file as manifest.
fn normalize(results: Vec<TargetResult>) -> Vec<Vulnerability> {
    let mut out = Vec::new();
    for result in results {
        let kind_eco = result
            .kind
            .as_deref()
            .and_then(crate::evidence::ecosystem::from_type);
        let os_packages = match result.class.as_deref() {
            Some(class) => class == "os-pkgs",
            // Legacy results have no class; OS targets have a distribution as type.
            None => result
                .kind
                .as_deref()
                .and_then(crate::evidence::ecosystem::from_distro)
                .is_some(),
        };
        let target_manifest = if os_packages {
            None
        } else {
            non_empty(result.target)
        };
        let mut vulns = json::unwrap_all(result.vulnerabilities);
        for v in &mut vulns {
            if v.ecosystem.is_none() {
                v.ecosystem = kind_eco.map(str::to_owned);
            }
            if v.manifest.is_none() {
                v.manifest.clone_from(&target_manifest);
            }
        }
        if out.is_empty() {
            out = vulns;
        } else {
            out.append(&mut vulns);
        }
    }
    out
}

fn rate(t: &TrivyVuln) -> Rating {
    // The vendor trivy took the label from first, then NVD, then the others by name.
    let preferred = t.severity_source.as_deref().unwrap_or("nvd");
    let mut vendors: Vec<&(String, VendorCvss)> = t.cvss.iter().collect();
    // Stable sort: the other vendors stay in document order.
    vendors.sort_by_key(|(name, _)| (name.as_str() != preferred, name.as_str() != "nvd"));
    let score = vendors.iter().find_map(|(_, c)| c.v40_score.or(c.v3_score));
    let vectors = vendors
        .iter()
        .flat_map(|(_, c)| [c.v40_vector.as_deref(), c.v3_vector.as_deref()])
        .flatten();
    Rating::rate(t.severity.as_deref(), score, vectors)
}

#[cfg(test)]
mod tests {
    use super::super::read_sca;
    use crate::evidence::sca::SeveritySource;
    use crate::evidence::{GapKind, Scanner, Severity};

    const V2: &str = r#"{
      "SchemaVersion": 2,
      "Trivy": {"Version": "0.58.1"},
      "ArtifactName": "registry.example.com/shop:1.4",
      "ArtifactType": "container_image",
      "Results": [
        {
          "Target": "registry.example.com/shop:1.4 (alpine 3.19.1)", "Class": "os-pkgs", "Type": "alpine",
          "Vulnerabilities": [
            {"VulnerabilityID": "CVE-2024-2511", "PkgName": "libssl3", "InstalledVersion": "3.1.4-r5",
             "FixedVersion": "3.1.4-r6", "Status": "fixed", "SeveritySource": "nvd",
             "PrimaryURL": "https://avd.aquasec.com/nvd/cve-2024-2511", "Title": "openssl: Unbounded memory growth",
             "Severity": "UNKNOWN",
             "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "V3Score": 7.5}}}
          ]
        },
        {
          "Target": "app/package-lock.json", "Class": "lang-pkgs", "Type": "npm",
          "Vulnerabilities": [
            {"VulnerabilityID": "CVE-2024-4068", "VendorIDs": ["GHSA-grv7-fg5c-xmjg"], "PkgName": "braces",
             "PkgIdentifier": {"PURL": "pkg:npm/braces@3.0.2"}, "InstalledVersion": "3.0.2",
             "FixedVersion": "3.0.3, 4.0.1", "Status": "fixed", "Severity": "HIGH", "SeveritySource": "ghsa",
             "CVSS": {"ghsa": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "V3Score": 7.5}}}
          ]
        },
        {"Target": "Dockerfile", "Class": "config", "Type": "dockerfile", "Misconfigurations": [{"ID": "DS002"}]},
        {"Target": "app/go.sum", "Class": "lang-pkgs", "Type": "gomod", "Vulnerabilities": null}
      ]
    }"#;

    const LEGACY: &str = r#"[
      {"Target": "requirements.txt", "Type": "pip", "Vulnerabilities": [
        {"VulnerabilityID": "CVE-2019-11236", "PkgName": "urllib3", "InstalledVersion": "1.24.1", "FixedVersion": "",
         "Severity": "MEDIUM", "References": ["https://github.com/urllib3/urllib3/issues/1553"]}]},
      {"Target": "web (debian 10.2)", "Type": "debian", "Vulnerabilities": null}
    ]"#;

    #[test]
    fn reads_schema_2() {
        let r = read_sca("trivy.json", V2.as_bytes()).unwrap();
        assert_eq!(r.scanner, Scanner::Trivy);
        assert_eq!(r.scanner_version.as_deref(), Some("0.58.1"));
        assert_eq!(r.vulnerabilities.len(), 2);
        let ssl = &r.vulnerabilities[0];
        assert_eq!(ssl.ecosystem.as_deref(), Some("Alpine"));
        assert_eq!(
            (ssl.severity, ssl.severity_source),
            (Severity::High, SeveritySource::Score)
        );
        assert_eq!(ssl.manifest, None);
        let braces = &r.vulnerabilities[1];
        assert_eq!(braces.aliases, vec!["GHSA-grv7-fg5c-xmjg"]);
        assert_eq!(braces.fixed_versions, vec!["3.0.3", "4.0.1"]);
        assert_eq!(braces.ecosystem.as_deref(), Some("npm"));
        assert_eq!(braces.manifest.as_deref(), Some("app/package-lock.json"));
        assert_eq!(
            (braces.severity, braces.severity_source),
            (Severity::High, SeveritySource::Reported)
        );
    }

    #[test]
    fn reads_the_legacy_list() {
        let r = read_sca("trivy.json", LEGACY.as_bytes()).unwrap();
        assert_eq!(r.vulnerabilities.len(), 1);
        let u = &r.vulnerabilities[0];
        assert_eq!(
            (u.package.as_str(), u.ecosystem.as_deref()),
            ("urllib3", Some("PyPI"))
        );
        assert!(u.fixed_versions.is_empty());
        assert_eq!(
            u.url.as_deref(),
            Some("https://github.com/urllib3/urllib3/issues/1553")
        );
        assert_eq!(u.manifest.as_deref(), Some("requirements.txt"));
    }

    #[test]
    fn vulnerability_without_id_is_malformed() {
        let bad = br#"[{"Target": "composer.lock", "Type": "composer", "Vulnerabilities": [{"PkgName": "x"}]}]"#;
        let gap = read_sca("trivy.json", bad).unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert!(
            gap.detail.contains("[0].Vulnerabilities[0]"),
            "{}",
            gap.detail
        );
        assert!(gap.detail.contains("VulnerabilityID"), "{}", gap.detail);
    }

    #[test]
    fn empty_vulnerability_id_names_its_position() {
        let bad = "{\"SchemaVersion\": 2, \"Results\": [{\"Target\": \"go.sum\", \"Vulnerabilities\": [\n  {\"VulnerabilityID\": \"CVE-1\", \"PkgName\": \"a\"},\n  {\"VulnerabilityID\": \" \", \"PkgName\": \"b\"}]}]}";
        let gap = read_sca("trivy.json", bad.as_bytes()).unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert!(
            gap.detail.contains("at `Results[0].Vulnerabilities[1]`"),
            "{}",
            gap.detail
        );
        assert!(
            gap.detail.contains("`VulnerabilityID` is empty"),
            "{}",
            gap.detail
        );
        assert!(gap.detail.contains("line 3"), "{}", gap.detail);
    }

    #[test]
    fn unknown_schema_version_is_unsupported() {
        let gap = read_sca("trivy.json", br#"{"SchemaVersion": 3, "Results": []}"#).unwrap_err();
        assert_eq!(gap.kind, GapKind::Unsupported);
    }
}
