//! Reads `pip-audit -f json` in both layouts: `{"dependencies": [...], "fixes": [...]}`
//! (pip-audit 2.x) and the older top-level list of dependencies.
//!
//! pip-audit reports no severity at all, so every entry is unrated and the policy's
//! `unrated_as` decides. Dependencies with a `skip_reason` (not found on PyPI, local
//! paths) were not audited; they carry no vulnerabilities and are skipped. A bare `[]`
//! (the legacy layout with no dependencies) is a clean report.

use serde::Deserialize;

use super::{clean_aliases, clean_list, non_empty};
use crate::collect::files::json::{self, Convert, Flattened};
use crate::evidence::sca::SeveritySource;
use crate::evidence::{Gap, ScaReport, Scanner, Severity, Vulnerability};

const WHAT: &str = "pip-audit report";
const WHAT_LEGACY: &str = "pip-audit report (legacy list)";

#[derive(Deserialize)]
struct Report {
    /// Required and never null: `{"dependencies": null}` audited nothing.
    dependencies: Flattened<Vulnerability, Dependency>,
}

#[derive(Deserialize)]
struct Dependency {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    vulns: Vec<PipVuln>,
}

#[derive(Deserialize)]
struct PipVuln {
    id: String,
    #[serde(default, deserialize_with = "json::null_default")]
    fix_versions: Vec<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    aliases: Vec<String>,
}

impl Convert for Dependency {
    type Output = Vec<Vulnerability>;

    fn convert(self) -> Result<Vec<Vulnerability>, String> {
        let dep = self;
        let mut out = Vec::with_capacity(dep.vulns.len());
        for (v, vuln) in dep.vulns.into_iter().enumerate() {
            let id = vuln.id.trim().to_owned();
            if id.is_empty() {
                return Err(format!("`vulns[{v}].id` is empty"));
            }
            out.push(Vulnerability {
                aliases: clean_aliases(&id, vuln.aliases),
                package: dep.name.clone(),
                ecosystem: Some("PyPI".to_owned()),
                version: non_empty(dep.version.clone()),
                fixed_versions: clean_list(vuln.fix_versions),
                severity: Severity::Unknown,
                severity_source: SeveritySource::Unrated,
                cvss_vector: None,
                title: None,
                url: None,
                manifest: None,
                id,
            });
        }
        Ok(out)
    }
}

/// Reads the `{"dependencies": [...]}` layout.
pub(super) fn read_dependencies(source: &str, bytes: &[u8]) -> Result<ScaReport, Gap> {
    let report: Report = json::parse(source, WHAT, bytes)?;
    report_of(source, WHAT, report.dependencies)
}

/// Reads the legacy top-level list layout.
pub(super) fn read_legacy(source: &str, bytes: &[u8]) -> Result<ScaReport, Gap> {
    let deps: Flattened<Vulnerability, Dependency> = json::parse(source, WHAT_LEGACY, bytes)?;
    report_of(source, WHAT_LEGACY, deps)
}

/// A report listing no dependency audited none: it is no evidence of a clean scan.
fn report_of(
    source: &str,
    what: &str,
    deps: Flattened<Vulnerability, Dependency>,
) -> Result<ScaReport, Gap> {
    if deps.items == 0 {
        return Err(super::nothing_scanned(
            source,
            what,
            "it lists no dependency",
        ));
    }
    Ok(ScaReport {
        scanner: Scanner::PipAudit,
        scanner_version: None,
        vulnerabilities: deps.entries,
    })
}

#[cfg(test)]
mod tests {
    use super::super::read_sca;
    use crate::evidence::sca::SeveritySource;
    use crate::evidence::{GapKind, Scanner, Severity};

    const NEW: &str = r#"{
      "dependencies": [
        {"name": "jinja2", "version": "3.1.2", "vulns": [
          {"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"], "aliases": ["CVE-2024-22195", "GHSA-h5c8-rqwp-cp95"],
           "description": "Jinja vulnerable to HTML attribute injection"}]},
        {"name": "requests", "version": "2.31.0", "vulns": []},
        {"name": "internal-lib", "skip_reason": "Dependency not found on PyPI and could not be audited: internal-lib (0.1.0)"}
      ],
      "fixes": []
    }"#;

    const LEGACY: &str = r#"[
      {"name": "pyyaml", "version": "5.3", "vulns": [{"id": "PYSEC-2020-96", "fix_versions": ["5.3.1"], "description": "..."},
                                                      {"id": "PYSEC-2021-142", "fix_versions": [], "description": "..."}]},
      {"name": "six", "version": "1.16.0", "vulns": []}
    ]"#;

    #[test]
    fn reads_the_dependencies_layout() {
        let r = read_sca("pip.json", NEW.as_bytes()).unwrap();
        assert_eq!(r.scanner, Scanner::PipAudit);
        assert_eq!(r.vulnerabilities.len(), 1);
        let j = &r.vulnerabilities[0];
        assert_eq!(j.aliases, vec!["CVE-2024-22195"]);
        assert_eq!(
            (j.ecosystem.as_deref(), j.version.as_deref()),
            (Some("PyPI"), Some("3.1.2"))
        );
        assert_eq!(
            (j.severity, j.severity_source),
            (Severity::Unknown, SeveritySource::Unrated)
        );
    }

    #[test]
    fn reads_the_legacy_list() {
        let r = read_sca("pip.json", LEGACY.as_bytes()).unwrap();
        assert_eq!(r.vulnerabilities.len(), 2);
        assert!(r.vulnerabilities[1].fixed_versions.is_empty());
    }

    #[test]
    fn vuln_without_id_is_malformed() {
        let bad = br#"[{"name": "x", "version": "1", "vulns": [{"fix_versions": []}]}]"#;
        let gap = read_sca("pip.json", bad).unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert!(gap.detail.contains("[0].vulns[0]"), "{}", gap.detail);
        assert!(gap.detail.contains("`id`"), "{}", gap.detail);
    }
}
