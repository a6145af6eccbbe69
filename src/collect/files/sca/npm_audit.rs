//! Reads `npm audit --json` in both generations.
//!
//! * npm 6: an `advisories` map keyed by advisory number. Each advisory has `findings[]`,
//!   one per installed version of the module; vouch emits one entry per finding version.
//!   The `metadata.vulnerabilities` totals count dependency *paths*, not advisories, so
//!   they are larger than the number of entries and are not used.
//! * npm 7+ (`auditReportVersion: 2`): a `vulnerabilities` map keyed by package. Each
//!   package's `via[]` mixes advisory objects (the package itself is vulnerable) and
//!   plain package names (it is only affected through that dependency). vouch emits one
//!   entry per advisory object; name-only entries would count the same advisory again
//!   under every dependent package. npm 7+ does not state the installed version.
//!
//! The id is the GitHub advisory id (npm 7+ gives only its URL, from which it is taken);
//! the npm advisory number becomes an alias. `fixAvailable` names either a version of the
//! package, an upgrade of another (dependent) package, reported as `name@version`, or
//! just `true` (fixable by `npm audit fix`), kept as a marker so a policy that ignores
//! unfixed vulnerabilities does not ignore it.

use serde::Deserialize;

use super::{Rating, clean_aliases, clean_list, non_empty};
use crate::collect::files::json::{self, Convert, FlattenedValues, Flex};
use crate::evidence::{Gap, GapKind, ScaReport, Scanner, Vulnerability};

const WHAT_V6: &str = "npm audit report (npm 6)";
const WHAT_V7: &str = "npm audit report (npm 7+)";

/// `fixed_versions` entry for `fixAvailable: true`.
const FIX_BY_AUDIT_FIX: &str = "available via `npm audit fix`";

#[derive(Deserialize)]
struct ReportV6 {
    advisories: FlattenedValues<Vulnerability, AdvisoryV6>,
    /// How many dependencies were audited; without it the report proves nothing.
    #[serde(default)]
    metadata: Option<MetadataV6>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataV6 {
    #[serde(default)]
    total_dependencies: Option<u64>,
}

#[derive(Deserialize)]
struct MetadataV7 {
    #[serde(default)]
    dependencies: Option<DependencyCountV7>,
}

#[derive(Deserialize)]
struct DependencyCountV7 {
    #[serde(default)]
    total: Option<u64>,
}

/// Refuses an audit that does not say it audited at least one dependency.
fn require_audited(source: &str, what: &str, field: &str, count: Option<u64>) -> Result<(), Gap> {
    match count {
        None => Err(super::nothing_scanned(
            source,
            what,
            &format!("`{field}` is missing, so nothing says how many dependencies were audited"),
        )),
        Some(0) => Err(super::nothing_scanned(
            source,
            what,
            &format!("`{field}` is 0"),
        )),
        Some(_) => Ok(()),
    }
}

#[derive(Deserialize)]
struct AdvisoryV6 {
    #[serde(default, deserialize_with = "json::lenient_string")]
    id: Option<String>,
    module_name: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    cves: Vec<String>,
    #[serde(default)]
    github_advisory_id: Option<String>,
    #[serde(default)]
    patched_versions: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    cvss: Option<Cvss>,
    #[serde(default, deserialize_with = "json::null_default")]
    findings: Vec<FindingV6>,
}

#[derive(Deserialize)]
struct FindingV6 {
    #[serde(default)]
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cvss {
    #[serde(default, deserialize_with = "json::lenient_f64")]
    score: Option<f64>,
    #[serde(default)]
    vector_string: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportV7 {
    /// Only layout 2 is known; a future layout may move the fields vouch reads.
    audit_report_version: u64,
    vulnerabilities: FlattenedValues<Vulnerability, PackageV7>,
    #[serde(default)]
    metadata: Option<MetadataV7>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PackageV7 {
    name: String,
    #[serde(default, deserialize_with = "json::null_default")]
    via: Vec<Flex<ViaV7>>,
    #[serde(default)]
    fix_available: Flex<FixV7>,
}

#[derive(Deserialize)]
struct ViaV7 {
    #[serde(default, deserialize_with = "json::lenient_string")]
    source: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    cvss: Option<Cvss>,
}

#[derive(Deserialize)]
struct FixV7 {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "json::lenient_string")]
    version: Option<String>,
}

impl Convert for AdvisoryV6 {
    type Output = Vec<Vulnerability>;

    /// One entry per installed version the advisory's findings name.
    fn convert(self) -> Result<Vec<Vulnerability>, String> {
        let a = self;
        let number = non_empty(a.id);
        let ghsa = non_empty(a.github_advisory_id);
        let Some(id) = ghsa.clone().or_else(|| number.clone()) else {
            return Err("the advisory has neither `id` nor `github_advisory_id`".to_owned());
        };
        let aliases = clean_aliases(&id, a.cves.into_iter().chain(number).chain(ghsa));
        let rating = Rating::rate(
            a.severity.as_deref(),
            a.cvss.as_ref().and_then(|c| c.score),
            a.cvss.as_ref().and_then(|c| c.vector_string.as_deref()),
        );
        // npm marks "no patch exists" with an impossible range.
        let fixed = clean_list(a.patched_versions.filter(|p| p.trim() != "<0.0.0"));
        let mut versions: Vec<Option<String>> = a
            .findings
            .into_iter()
            .map(|f| non_empty(f.version))
            .collect();
        if versions.is_empty() {
            versions.push(None);
        }
        Ok(versions
            .into_iter()
            .map(|version| Vulnerability {
                id: id.clone(),
                aliases: aliases.clone(),
                package: a.module_name.clone(),
                ecosystem: Some("npm".to_owned()),
                version,
                fixed_versions: fixed.clone(),
                severity: rating.severity,
                severity_source: rating.source,
                cvss_vector: rating.vector.clone(),
                title: non_empty(a.title.clone()),
                url: non_empty(a.url.clone()),
                manifest: None,
            })
            .collect())
    }
}

impl Convert for PackageV7 {
    type Output = Vec<Vulnerability>;

    /// One entry per advisory object in `via`; names of vulnerable dependencies are skipped.
    fn convert(self) -> Result<Vec<Vulnerability>, String> {
        let pkg = self;
        let fixed = match pkg.fix_available {
            Flex::Obj(FixV7 {
                name: Some(name),
                version: Some(version),
            }) if name != pkg.name => vec![format!("{name}@{version}")],
            Flex::Obj(FixV7 { version, .. }) => clean_list(version),
            Flex::Bool(true) => vec![FIX_BY_AUDIT_FIX.to_owned()],
            _ => Vec::new(),
        };
        let mut out = Vec::new();
        for (v, via) in pkg.via.into_iter().enumerate() {
            let Flex::Obj(adv) = via else { continue };
            let number = non_empty(adv.source);
            let ghsa = adv
                .url
                .as_deref()
                .and_then(ghsa_from_url)
                .map(str::to_owned);
            let Some(id) = ghsa.or_else(|| number.clone()) else {
                return Err(format!(
                    "`via[{v}]` has neither `source` nor a GitHub advisory `url`"
                ));
            };
            let rating = Rating::rate(
                adv.severity.as_deref(),
                adv.cvss.as_ref().and_then(|c| c.score),
                adv.cvss.as_ref().and_then(|c| c.vector_string.as_deref()),
            );
            out.push(Vulnerability {
                aliases: clean_aliases(&id, number),
                package: non_empty(adv.name).unwrap_or_else(|| pkg.name.clone()),
                ecosystem: Some("npm".to_owned()),
                version: None,
                fixed_versions: fixed.clone(),
                severity: rating.severity,
                severity_source: rating.source,
                cvss_vector: rating.vector,
                title: non_empty(adv.title),
                url: non_empty(adv.url),
                manifest: None,
                id,
            });
        }
        Ok(out)
    }
}

/// Reads an npm 6 audit report.
pub(super) fn read_v6(source: &str, bytes: &[u8]) -> Result<ScaReport, Gap> {
    let report: ReportV6 = json::parse(source, WHAT_V6, bytes)?;
    require_audited(
        source,
        WHAT_V6,
        "metadata.totalDependencies",
        report.metadata.as_ref().and_then(|m| m.total_dependencies),
    )?;
    Ok(ScaReport {
        scanner: Scanner::NpmAuditV6,
        scanner_version: None,
        vulnerabilities: report.advisories.0.entries,
    })
}

/// Reads an npm 7+ audit report (`auditReportVersion: 2`).
pub(super) fn read_v7(source: &str, bytes: &[u8]) -> Result<ScaReport, Gap> {
    let report: ReportV7 = json::parse(source, WHAT_V7, bytes)?;
    if report.audit_report_version != 2 {
        return Err(Gap::new(
            GapKind::Unsupported,
            source,
            format!(
                "auditReportVersion: expected 2, got {} (vouch reads npm audit report layout 2)",
                report.audit_report_version
            ),
        ));
    }
    require_audited(
        source,
        WHAT_V7,
        "metadata.dependencies.total",
        report
            .metadata
            .as_ref()
            .and_then(|m| m.dependencies.as_ref())
            .and_then(|d| d.total),
    )?;
    Ok(ScaReport {
        scanner: Scanner::NpmAudit,
        scanner_version: None,
        vulnerabilities: report.vulnerabilities.0.entries,
    })
}

/// `GHSA-…` from `https://github.com/advisories/GHSA-…`.
fn ghsa_from_url(url: &str) -> Option<&str> {
    let last = url.trim().trim_end_matches('/').rsplit('/').next()?;
    (last.starts_with("GHSA-") && last.len() > 5).then_some(last)
}

#[cfg(test)]
mod tests {
    use super::super::read_sca;
    use crate::evidence::sca::SeveritySource;
    use crate::evidence::{GapKind, Scanner, Severity};

    const V6: &str = r#"{
      "actions": [{"action": "update", "module": "minimist", "target": "1.2.6", "resolves": [{"id": 1179, "path": "mkdirp>minimist"}]}],
      "advisories": {
        "1179": {
          "findings": [{"version": "0.0.8", "paths": ["mkdirp>minimist"]}, {"version": "1.2.0", "paths": ["minimist"]}],
          "id": 1179, "title": "Prototype Pollution", "module_name": "minimist",
          "cves": ["CVE-2020-7598"], "github_advisory_id": "GHSA-vh95-rmgr-6w4m",
          "vulnerable_versions": "<0.2.1 || >=1.0.0 <1.2.3", "patched_versions": ">=0.2.1 <1.0.0 || >=1.2.3",
          "severity": "moderate", "url": "https://github.com/advisories/GHSA-vh95-rmgr-6w4m",
          "cvss": {"score": 5.6, "vectorString": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L"}
        },
        "577": {
          "findings": [{"version": "4.17.4", "paths": ["lodash"]}],
          "id": 577, "title": "Prototype Pollution", "module_name": "lodash", "cves": ["CVE-2018-3721"],
          "patched_versions": "<0.0.0", "severity": "low", "url": "https://npmjs.com/advisories/577"
        }
      },
      "muted": [],
      "metadata": {"vulnerabilities": {"info": 0, "low": 1, "moderate": 2, "high": 0, "critical": 0}, "totalDependencies": 12}
    }"#;

    const V7: &str = r#"{
      "auditReportVersion": 2,
      "vulnerabilities": {
        "express": {"name": "express", "severity": "high", "isDirect": true, "via": ["qs", "body-parser"],
                    "effects": [], "range": "<=4.17.2", "nodes": ["node_modules/express"], "fixAvailable": true},
        "qs": {"name": "qs", "severity": "high", "isDirect": false,
               "via": [{"source": 1088111, "name": "qs", "dependency": "qs", "title": "qs vulnerable to Prototype Pollution",
                        "url": "https://github.com/advisories/GHSA-hrpp-h998-j3pp", "severity": "high", "cwe": ["CWE-1321"],
                        "cvss": {"score": 7.5, "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}, "range": "<6.10.3"}],
               "effects": ["express"], "range": "<6.10.3", "nodes": ["node_modules/qs"],
               "fixAvailable": {"name": "express", "version": "4.18.2", "isSemVerMajor": false}},
        "semver": {"name": "semver", "severity": "moderate", "isDirect": true,
                   "via": [{"source": 1096482, "name": "semver", "title": "semver ReDoS",
                            "url": "https://github.com/advisories/GHSA-c2qf-rxjj-qqgw", "severity": "moderate",
                            "cvss": {"score": 5.3, "vectorString": null}, "range": ">=7.0.0 <7.5.2"}],
                   "nodes": ["node_modules/semver"], "fixAvailable": {"name": "semver", "version": "7.5.2"}}
      },
      "metadata": {"vulnerabilities": {"high": 2, "moderate": 1, "total": 3}, "dependencies": {"prod": 9, "total": 9}}
    }"#;

    #[test]
    fn reads_npm6_one_entry_per_finding_version() {
        let r = read_sca("audit.json", V6.as_bytes()).unwrap();
        assert_eq!(r.scanner, Scanner::NpmAuditV6);
        assert_eq!(r.vulnerabilities.len(), 3);
        let m = &r.vulnerabilities[0];
        assert_eq!(m.id, "GHSA-vh95-rmgr-6w4m");
        assert_eq!(m.aliases, vec!["CVE-2020-7598", "1179"]);
        assert_eq!(m.version.as_deref(), Some("0.0.8"));
        assert_eq!(
            (m.severity, m.severity_source),
            (Severity::Medium, SeveritySource::Reported)
        );
        assert_eq!(m.fixed_versions, vec![">=0.2.1 <1.0.0 || >=1.2.3"]);
        assert_eq!(r.vulnerabilities[1].version.as_deref(), Some("1.2.0"));
        let lodash = &r.vulnerabilities[2];
        assert_eq!(lodash.id, "577");
        assert!(lodash.fixed_versions.is_empty());
    }

    #[test]
    fn reads_npm7_advisories_not_dependents() {
        let r = read_sca("audit.json", V7.as_bytes()).unwrap();
        assert_eq!(r.scanner, Scanner::NpmAudit);
        assert_eq!(r.vulnerabilities.len(), 2);
        let qs = &r.vulnerabilities[0];
        assert_eq!(
            (qs.id.as_str(), qs.package.as_str()),
            ("GHSA-hrpp-h998-j3pp", "qs")
        );
        assert_eq!(qs.aliases, vec!["1088111"]);
        assert_eq!(qs.version, None);
        assert_eq!(qs.fixed_versions, vec!["express@4.18.2"]);
        assert_eq!(r.vulnerabilities[1].fixed_versions, vec!["7.5.2"]);
    }

    #[test]
    fn malformed_npm_reports_name_the_field() {
        let bad = br#"{"auditReportVersion": 2, "vulnerabilities": {"qs": {"severity": "high", "via": []}}}"#;
        let gap = read_sca("audit.json", bad).unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert!(gap.detail.contains("vulnerabilities.qs"), "{}", gap.detail);
        assert!(
            gap.detail.contains("missing field `name`"),
            "{}",
            gap.detail
        );
        let bad = br#"{"advisories": {"1": {"id": 1, "findings": []}}}"#;
        let gap = read_sca("audit.json", bad).unwrap_err();
        assert!(gap.detail.contains("module_name"), "{}", gap.detail);
    }
}
