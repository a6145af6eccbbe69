//! Open code-scanning alerts of a ref, as SAST evidence (one run per tool).
//!
//! GitHub rates security alerts with `rule.security_severity_level`, the same scale as
//! SARIF `security-severity` after GitHub's mapping, so they are kept as severity labels;
//! other alerts keep their level (`rule.severity`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::super::http::ApiClient;
use super::Repo;
use crate::evidence::sast::RuleInfo;
use crate::evidence::{
    Gap, Location, SarifLevel, SastReport, SastResult, SastRun, Severity, SuppressionState,
};

/// Reads the open alerts of `git_ref`.
pub fn read(api: &mut ApiClient, repo: &Repo, git_ref: &str) -> Result<SastReport, Gap> {
    let what = "code scanning alerts";
    let encoded =
        percent_encoding::utf8_percent_encode(git_ref, percent_encoding::NON_ALPHANUMERIC);
    let alerts: Vec<Alert> = api.get_all(
        &format!(
            "/repos/{}/code-scanning/alerts?state=open&ref={encoded}",
            repo.path()
        ),
        what,
    )?;
    let mut runs: BTreeMap<String, SastRun> = BTreeMap::new();
    for alert in alerts.into_iter().filter(|a| a.state == "open") {
        let tool = alert.tool.name.clone();
        let run = runs.entry(tool.clone()).or_insert_with(|| SastRun {
            tool,
            tool_version: alert.tool.version.clone(),
            execution_successful: true,
            tool_errors: Vec::new(),
            rules: BTreeMap::new(),
            results: Vec::new(),
        });
        run.rules
            .entry(alert.rule.id.clone())
            .or_insert_with(|| RuleInfo {
                name: alert
                    .rule
                    .description
                    .clone()
                    .or_else(|| alert.rule.name.clone()),
                help_uri: alert.html_url.as_deref().map(Into::into),
            });
        let instance = alert.most_recent_instance;
        run.results.push(SastResult {
            rule_id: Some(alert.rule.id),
            level: alert
                .rule
                .severity
                .as_deref()
                .and_then(SarifLevel::parse)
                .unwrap_or(SarifLevel::Warning),
            security_severity: None,
            severity_label: alert
                .rule
                .security_severity_level
                .as_deref()
                .and_then(Severity::from_label),
            message: instance
                .as_ref()
                .and_then(|i| i.message.as_ref())
                .and_then(|m| m.text.clone())
                .unwrap_or_default(),
            location: instance.and_then(|i| i.location).and_then(|l| {
                Some(Location {
                    path: l.path?.into(),
                    line: l.start_line,
                    column: l.start_column,
                    end_line: l.end_line,
                })
            }),
            suppression: SuppressionState::None,
            baseline_state: None,
            kind: crate::evidence::ResultKind::Fail,
        });
    }
    Ok(SastReport {
        format: "github-code-scanning".into(),
        runs: runs.into_values().collect(),
    })
}

#[derive(Deserialize)]
struct Alert {
    state: String,
    #[serde(default)]
    html_url: Option<String>,
    rule: AlertRule,
    tool: AlertTool,
    #[serde(default)]
    most_recent_instance: Option<Instance>,
}

#[derive(Deserialize)]
struct AlertRule {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    security_severity_level: Option<String>,
}

#[derive(Deserialize)]
struct AlertTool {
    name: String,
    #[serde(default)]
    version: Option<String>,
}

#[derive(Deserialize)]
struct Instance {
    #[serde(default)]
    message: Option<Message>,
    #[serde(default)]
    location: Option<AlertLocation>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct AlertLocation {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    start_line: Option<u32>,
    #[serde(default)]
    start_column: Option<u32>,
    #[serde(default)]
    end_line: Option<u32>,
}
