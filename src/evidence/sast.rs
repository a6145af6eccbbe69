//! SAST evidence: the results of static analysers, normalized from SARIF 2.1.0.

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use std::collections::BTreeMap;

use super::{Location, Severity};

/// One SARIF log (or GitLab SAST report) as read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SastReport {
    /// Format the file was in (`sarif-2.1.0`, `gitlab-sast`).
    pub format: String,
    /// One entry per `runs[]` element.
    pub runs: Vec<SastRun>,
}

/// One run of one analysis tool.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SastRun {
    /// `tool.driver.name`.
    pub tool: String,
    /// `tool.driver.semanticVersion` or `version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    /// False when any invocation reported `executionSuccessful: false`.
    pub execution_successful: bool,
    /// Messages of `toolExecutionNotifications` at level `error`: the tool itself failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_errors: Vec<String>,
    /// Rules referenced by results, keyed by rule id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, RuleInfo>,
    /// Every result of the run, suppressed ones included (the check decides).
    pub results: Vec<SastResult>,
}

/// What a report says about a rule, kept for remediation text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInfo {
    /// `name` or `shortDescription.text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `helpUri`: an inline or shared string, since every finding of the rule links it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<SmolStr>,
}

/// One result, with its level and severity already resolved against its rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SastResult {
    /// `ruleId` (or the id of the rule at `ruleIndex`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    /// Effective level: the result's own, else the rule's `defaultConfiguration.level`, else `warning`.
    pub level: SarifLevel,
    /// `properties.security-severity` of the result or its rule, when numeric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_severity: Option<f64>,
    /// Severity label from formats that carry one directly (GitLab SAST).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_label: Option<Severity>,
    /// `message.text` (or the rule's message string it refers to); may be empty.
    pub message: String,
    /// First physical location, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Aggregated suppression state.
    pub suppression: SuppressionState,
    /// `baselineState`, when the scanner compared against a baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<BaselineState>,
    /// SARIF `kind`: only `fail` (the default) is a problem; the others record a check
    /// that passed, did not apply, or asks for a human.
    #[serde(default, skip_serializing_if = "ResultKind::is_fail")]
    pub kind: ResultKind,
}

/// SARIF `result.kind` (§3.27.9).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum ResultKind {
    /// A problem was found (the default).
    #[default]
    Fail,
    /// The rule was evaluated and no problem was found.
    Pass,
    /// The rule was not evaluated: it does not apply to the target.
    NotApplicable,
    /// Information, not a problem.
    Informational,
    /// A human must review the target.
    Review,
    /// The tool could not decide (e.g. it lacked information).
    Open,
}

impl ResultKind {
    /// True for `fail`, the only kind that reports a problem.
    pub fn is_fail(&self) -> bool {
        *self == ResultKind::Fail
    }

    /// The SARIF spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultKind::Fail => "fail",
            ResultKind::Pass => "pass",
            ResultKind::NotApplicable => "notApplicable",
            ResultKind::Informational => "informational",
            ResultKind::Review => "review",
            ResultKind::Open => "open",
        }
    }
}

impl SastResult {
    /// Severity on the GitHub scale: `security-severity` when present, a direct label
    /// next, else derived from the level (error = high, warning = medium, note = low).
    pub fn effective_severity(&self) -> Severity {
        if let Some(s) = self.security_severity.and_then(Severity::from_score) {
            return s;
        }
        if let Some(s) = self.severity_label {
            return s;
        }
        match self.level {
            SarifLevel::Error => Severity::High,
            SarifLevel::Warning => Severity::Medium,
            SarifLevel::Note => Severity::Low,
            SarifLevel::None => Severity::None,
        }
    }
}

/// SARIF `level`, ordered from least to most serious.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SarifLevel {
    /// `none`
    None,
    /// `note`
    Note,
    /// `warning` (the SARIF default)
    Warning,
    /// `error`
    Error,
}

impl SarifLevel {
    /// Parses a SARIF level string.
    pub fn parse(s: &str) -> Option<SarifLevel> {
        Some(match s {
            "none" => SarifLevel::None,
            "note" => SarifLevel::Note,
            "warning" => SarifLevel::Warning,
            "error" => SarifLevel::Error,
            _ => return None,
        })
    }

    /// The SARIF spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SarifLevel::None => "none",
            SarifLevel::Note => "note",
            SarifLevel::Warning => "warning",
            SarifLevel::Error => "error",
        }
    }
}

/// Suppression state of a result, after folding its `suppressions[]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SuppressionState {
    /// No suppression.
    None,
    /// At least one suppression with status `accepted` (or no status: the SARIF default).
    Accepted,
    /// Suppressions exist but are only `underReview`.
    UnderReview,
    /// Suppressions exist but were `rejected`.
    Rejected,
}

/// SARIF `baselineState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BaselineState {
    /// `new`
    New,
    /// `unchanged`
    Unchanged,
    /// `updated`
    Updated,
    /// `absent`
    Absent,
}
