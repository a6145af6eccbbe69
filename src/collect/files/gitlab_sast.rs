//! GitLab SAST reports (`gl-sast-report.json`, schema 2.x–15.x) as SAST evidence.
//!
//! GitLab's analysers write their own JSON rather than SARIF. Each vulnerability
//! becomes one result: its first identifier is the rule, its `severity` label is kept
//! as the severity (GitLab has no numeric score), and `scan.status: failure` marks the
//! run as unsuccessful, exactly like a SARIF invocation that did not complete.

use serde::Deserialize;

use crate::evidence::{
    Gap, GapKind, Location, SarifLevel, SastReport, SastResult, SastRun, Severity, SuppressionState,
};

/// Reads a GitLab SAST report.
pub fn read(source: &str, bytes: &[u8]) -> Result<SastReport, Gap> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let report: Report = serde_path_to_error::deserialize(de).map_err(|e| {
        Gap::new(
            GapKind::Malformed,
            source,
            format!("{}: {} (GitLab SAST report)", e.path(), e.inner()),
        )
    })?;
    if let Some(kind) = report.kind().filter(|k| *k != "sast") {
        return Err(Gap::new(
            GapKind::Unsupported,
            source,
            format!(
                "this is a GitLab `{kind}` report, not SAST; the SAST gate reads SARIF and GitLab `sast` reports{}",
                if kind == "dependency_scanning" {
                    " (pass dependency-scanning reports with --sca)"
                } else {
                    ""
                }
            ),
        ));
    }
    let scanner = report.scan.as_ref().and_then(|s| s.scanner.as_ref());
    let tool = scanner
        .map(|s| s.name.clone())
        .or_else(|| {
            report
                .vulnerabilities
                .iter()
                .find_map(|v| v.scanner.as_ref().map(|s| s.name.clone()))
        })
        .unwrap_or_else(|| "gitlab-sast".into());
    let execution_successful = report
        .scan
        .as_ref()
        .and_then(|s| s.status.as_deref())
        .is_none_or(|s| s == "success");
    let mut results = Vec::with_capacity(report.vulnerabilities.len());
    for (i, v) in report.vulnerabilities.into_iter().enumerate() {
        let severity = match v.severity.as_deref() {
            None => None,
            Some(s) if s.eq_ignore_ascii_case("unknown") => Some(Severity::Unknown),
            Some(s) => Some(Severity::from_label(s).ok_or_else(|| {
                Gap::new(
                    GapKind::Malformed,
                    source,
                    format!("vulnerabilities[{i}].severity: unknown value {s:?}"),
                )
            })?),
        };
        let level = match severity {
            Some(Severity::Critical | Severity::High) => SarifLevel::Error,
            Some(Severity::Medium) | Some(Severity::Unknown) | None => SarifLevel::Warning,
            Some(Severity::Low) => SarifLevel::Note,
            Some(Severity::None) => SarifLevel::None,
        };
        let message = v.message.or(v.name).or(v.description).unwrap_or_default();
        let location = v.location.and_then(|l| {
            Some(Location {
                path: l.file?.into(),
                line: l.start_line,
                column: None,
                end_line: l.end_line,
            })
        });
        results.push(SastResult {
            rule_id: v
                .identifiers
                .into_iter()
                .next()
                .map(|id| id.value.into_string()),
            level,
            security_severity: None,
            // `Unknown` has no place on the gate's scale; the level decides for it.
            severity_label: severity.filter(|s| *s != Severity::Unknown),
            message,
            location,
            suppression: SuppressionState::None,
            baseline_state: None,
            kind: crate::evidence::ResultKind::Fail,
        });
    }
    Ok(SastReport {
        format: "gitlab-sast".into(),
        runs: vec![SastRun {
            tool,
            tool_version: scanner.and_then(|s| s.version.clone()),
            execution_successful,
            tool_errors: Vec::new(),
            rules: Default::default(),
            results,
        }],
    })
}

#[derive(Deserialize)]
struct Report {
    #[allow(dead_code)]
    version: String,
    vulnerabilities: Vec<Vulnerability>,
    scan: Option<Scan>,
}

impl Report {
    /// The report type: `scan.type` (schema 14+), else the first finding's `category`
    /// other than `sast` (schema 2.x has no `scan`); `None` when neither says.
    fn kind(&self) -> Option<&str> {
        self.scan
            .as_ref()
            .and_then(|s| s.kind.as_deref())
            .or_else(|| {
                let mut categories = self
                    .vulnerabilities
                    .iter()
                    .filter_map(|v| v.category.as_deref());
                categories
                    .clone()
                    .find(|c| *c != "sast")
                    .or_else(|| categories.next())
            })
    }
}

#[derive(Deserialize)]
struct Scan {
    scanner: Option<Scanner>,
    status: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Scanner {
    name: String,
    version: Option<String>,
}

#[derive(Deserialize)]
struct Vulnerability {
    name: Option<String>,
    message: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    location: Option<VulnLocation>,
    #[serde(default)]
    identifiers: Vec<Identifier>,
    scanner: Option<Scanner>,
    category: Option<String>,
}

#[derive(Deserialize)]
struct VulnLocation {
    file: Option<String>,
    start_line: Option<u32>,
    end_line: Option<u32>,
}

#[derive(Deserialize)]
struct Identifier {
    /// GitLab's analyzers write CWE numbers as JSON numbers (`"value": 79`).
    value: IdentifierValue,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IdentifierValue {
    Text(String),
    Number(serde_json::Number),
}

impl IdentifierValue {
    fn into_string(self) -> String {
        match self {
            IdentifierValue::Text(s) => s,
            IdentifierValue::Number(n) => n.to_string(),
        }
    }
}
