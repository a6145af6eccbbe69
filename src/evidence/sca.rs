//! SCA evidence: known vulnerabilities in dependencies, normalized across scanners.

use serde::{Deserialize, Serialize};

use super::Severity;

/// One scanner report as read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaReport {
    /// Which scanner wrote it (detected from content).
    pub scanner: Scanner,
    /// Scanner version, when the report states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanner_version: Option<String>,
    /// One entry per (advisory, package, version) the report lists.
    pub vulnerabilities: Vec<Vulnerability>,
}

/// Scanners whose reports vouch reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Scanner {
    /// `cargo audit --json`
    CargoAudit,
    /// `osv-scanner --format json`
    OsvScanner,
    /// `grype -o json`
    Grype,
    /// `trivy -f json` (SchemaVersion 2 and the legacy top-level list)
    Trivy,
    /// `npm audit --json`, npm 6 (`advisories` map)
    NpmAuditV6,
    /// `npm audit --json`, npm 7+ (`auditReportVersion: 2`)
    NpmAudit,
    /// `pip-audit -f json` (both layouts)
    PipAudit,
    /// `govulncheck -json` message stream
    Govulncheck,
    /// GitLab dependency-scanning report (`gl-dependency-scanning-report.json`)
    GitlabDependencyScanning,
}

impl Scanner {
    /// Stable kebab-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Scanner::CargoAudit => "cargo-audit",
            Scanner::OsvScanner => "osv-scanner",
            Scanner::Grype => "grype",
            Scanner::Trivy => "trivy",
            Scanner::NpmAuditV6 => "npm-audit-v6",
            Scanner::NpmAudit => "npm-audit",
            Scanner::PipAudit => "pip-audit",
            Scanner::Govulncheck => "govulncheck",
            Scanner::GitlabDependencyScanning => "gitlab-dependency-scanning",
        }
    }
}

/// One known vulnerability affecting one package version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vulnerability {
    /// Primary identifier as the scanner reports it (RUSTSEC-…, GHSA-…, CVE-…, PYSEC-…, GO-…, npm advisory URL or number).
    pub id: String,
    /// Other identifiers of the same advisory (CVE, GHSA, RUSTSEC, PYSEC, OSV ids), deduplicated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Affected package name.
    pub package: String,
    /// Ecosystem in OSV spelling (`crates.io`, `npm`, `PyPI`, `Go`, `Maven`, …), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    /// Installed (affected) version, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Versions (or ranges) that fix it; empty when no fix exists yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<String>,
    /// Normalized severity.
    pub severity: Severity,
    /// Where the severity came from.
    pub severity_source: SeveritySource,
    /// CVSS vector used or reported, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
    /// Short title or summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Advisory URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Manifest or lockfile the scanner found the package in, when stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
}

impl Vulnerability {
    /// Every identifier of this advisory: the id and its aliases.
    pub fn identifiers(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// Provenance of a [`Vulnerability::severity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SeveritySource {
    /// A label in the report (`"severity": "HIGH"`).
    Reported,
    /// A numeric score in the report.
    Score,
    /// Computed by vouch from a CVSS v3.x vector.
    CvssV3,
    /// Computed by vouch from a CVSS v4.0 vector.
    CvssV4,
    /// The report gave no rating.
    Unrated,
}
