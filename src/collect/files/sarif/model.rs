//! The subset of the SARIF 2.1.0 object model vouch reads.
//!
//! Objects the schema closes (`additionalProperties: false`) are closed here too
//! (`deny_unknown_fields`), with every property the schema allows listed, so a log
//! with pre-release names (`automationId`, `run.artifact`) is rejected, not half-read.

use std::collections::HashMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{PendingResult, pending_results_present};
use crate::evidence::{BaselineState, ResultKind, SarifLevel, Severity};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Log {
    #[serde(rename = "$schema")]
    pub(super) _schema: Option<IgnoredAny>,
    pub(super) version: String,
    pub(super) runs: Vec<Run>,
    #[serde(rename = "inlineExternalProperties")]
    pub(super) _inline_external_properties: Option<IgnoredAny>,
    #[serde(rename = "properties")]
    pub(super) _properties: Option<IgnoredAny>,
}

/// `run`, closed as in the schema; fields vouch does not read are accepted and skipped.
#[derive(Deserialize)]
// Unread fields are listed so that `deny_unknown_fields` accepts exactly the schema's.
#[allow(dead_code)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Run {
    pub(super) tool: Tool,
    #[serde(default)]
    pub(super) invocations: Vec<Invocation>,
    /// Absent (not empty) means the tool produced no results: the analysis did not
    /// complete (SARIF §3.14.23), which is not the same as finding nothing.
    #[serde(default, deserialize_with = "pending_results_present")]
    pub(super) results: Option<Vec<PendingResult>>,
    pub(super) conversion: Option<IgnoredAny>,
    pub(super) language: Option<IgnoredAny>,
    pub(super) version_control_provenance: Option<IgnoredAny>,
    #[serde(default)]
    pub(super) original_uri_base_ids: HashMap<String, BaseUri>,
    pub(super) artifacts: Option<IgnoredAny>,
    pub(super) logical_locations: Option<IgnoredAny>,
    pub(super) graphs: Option<IgnoredAny>,
    pub(super) automation_details: Option<IgnoredAny>,
    pub(super) run_aggregates: Option<IgnoredAny>,
    pub(super) baseline_guid: Option<IgnoredAny>,
    pub(super) redaction_tokens: Option<IgnoredAny>,
    pub(super) default_encoding: Option<IgnoredAny>,
    pub(super) default_source_language: Option<IgnoredAny>,
    pub(super) newline_sequences: Option<IgnoredAny>,
    pub(super) column_kind: Option<IgnoredAny>,
    pub(super) external_property_file_references: Option<IgnoredAny>,
    pub(super) thread_flow_locations: Option<IgnoredAny>,
    pub(super) taxonomies: Option<IgnoredAny>,
    pub(super) addresses: Option<IgnoredAny>,
    pub(super) translations: Option<IgnoredAny>,
    pub(super) policies: Option<IgnoredAny>,
    pub(super) web_requests: Option<IgnoredAny>,
    pub(super) web_responses: Option<IgnoredAny>,
    pub(super) special_locations: Option<IgnoredAny>,
    pub(super) properties: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Tool {
    pub(super) driver: ToolComponent,
    #[serde(default)]
    pub(super) extensions: Vec<ToolComponent>,
    #[serde(rename = "properties")]
    pub(super) _properties: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ToolComponent {
    pub(super) name: String,
    pub(super) version: Option<String>,
    pub(super) semantic_version: Option<String>,
    #[serde(default)]
    pub(super) rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Rule {
    pub(super) id: String,
    pub(super) name: Option<String>,
    pub(super) short_description: Option<Message>,
    pub(super) help_uri: Option<String>,
    pub(super) default_configuration: Option<ReportingConfiguration>,
    #[serde(default)]
    pub(super) message_strings: HashMap<String, Message>,
    pub(super) properties: Option<Properties>,
}

#[derive(Deserialize)]
pub(super) struct ReportingConfiguration {
    pub(super) level: Option<String>,
}

#[derive(Deserialize)]
// Unread fields are listed so that `deny_unknown_fields` accepts exactly the schema's.
#[allow(dead_code)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Invocation {
    pub(super) execution_successful: bool,
    #[serde(default)]
    pub(super) tool_execution_notifications: Vec<Notification>,
    #[serde(default)]
    pub(super) tool_configuration_notifications: Vec<Notification>,
    pub(super) command_line: Option<IgnoredAny>,
    pub(super) arguments: Option<IgnoredAny>,
    pub(super) response_files: Option<IgnoredAny>,
    pub(super) start_time_utc: Option<IgnoredAny>,
    pub(super) end_time_utc: Option<IgnoredAny>,
    pub(super) exit_code: Option<IgnoredAny>,
    pub(super) rule_configuration_overrides: Option<IgnoredAny>,
    pub(super) notification_configuration_overrides: Option<IgnoredAny>,
    pub(super) exit_code_description: Option<IgnoredAny>,
    pub(super) exit_signal_name: Option<IgnoredAny>,
    pub(super) exit_signal_number: Option<IgnoredAny>,
    pub(super) process_start_failure_message: Option<IgnoredAny>,
    pub(super) machine: Option<IgnoredAny>,
    pub(super) account: Option<IgnoredAny>,
    pub(super) process_id: Option<IgnoredAny>,
    pub(super) executable_location: Option<IgnoredAny>,
    pub(super) working_directory: Option<IgnoredAny>,
    pub(super) environment_variables: Option<IgnoredAny>,
    pub(super) stdin: Option<IgnoredAny>,
    pub(super) stdout: Option<IgnoredAny>,
    pub(super) stderr: Option<IgnoredAny>,
    pub(super) stdout_stderr: Option<IgnoredAny>,
    pub(super) properties: Option<IgnoredAny>,
}

#[derive(Deserialize)]
pub(super) struct Notification {
    pub(super) message: Message,
    pub(super) level: Option<String>,
}

/// `result`, closed as in the schema (`message` is required).
#[derive(Deserialize)]
// Unread fields are listed so that `deny_unknown_fields` accepts exactly the schema's.
#[allow(dead_code)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct SarifResult {
    pub(super) rule_id: Option<String>,
    pub(super) rule_index: Option<i64>,
    pub(super) rule: Option<RuleReference>,
    pub(super) level: Option<SarifLevel>,
    pub(super) message: Message,
    #[serde(default)]
    pub(super) locations: Vec<SarifLocation>,
    pub(super) suppressions: Option<Vec<Suppression>>,
    pub(super) baseline_state: Option<BaselineState>,
    pub(super) properties: Option<Properties>,
    pub(super) kind: Option<ResultKind>,
    pub(super) analysis_target: Option<IgnoredAny>,
    pub(super) guid: Option<IgnoredAny>,
    pub(super) correlation_guid: Option<IgnoredAny>,
    pub(super) occurrence_count: Option<IgnoredAny>,
    pub(super) partial_fingerprints: Option<IgnoredAny>,
    pub(super) fingerprints: Option<IgnoredAny>,
    pub(super) stacks: Option<IgnoredAny>,
    pub(super) code_flows: Option<IgnoredAny>,
    pub(super) graphs: Option<IgnoredAny>,
    pub(super) graph_traversals: Option<IgnoredAny>,
    pub(super) related_locations: Option<IgnoredAny>,
    pub(super) rank: Option<IgnoredAny>,
    pub(super) attachments: Option<IgnoredAny>,
    pub(super) hosted_viewer_uri: Option<IgnoredAny>,
    pub(super) work_item_uris: Option<IgnoredAny>,
    pub(super) provenance: Option<IgnoredAny>,
    pub(super) fixes: Option<IgnoredAny>,
    pub(super) taxa: Option<IgnoredAny>,
    pub(super) web_request: Option<IgnoredAny>,
    pub(super) web_response: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RuleReference {
    pub(super) id: Option<String>,
    pub(super) index: Option<i64>,
    pub(super) tool_component: Option<ToolComponentReference>,
}

#[derive(Deserialize)]
pub(super) struct ToolComponentReference {
    pub(super) index: Option<i64>,
}

#[derive(Deserialize)]
pub(super) struct Message {
    pub(super) text: Option<String>,
    pub(super) id: Option<String>,
    #[serde(default)]
    pub(super) arguments: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SarifLocation {
    pub(super) physical_location: Option<PhysicalLocation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PhysicalLocation {
    pub(super) artifact_location: Option<ArtifactLocation>,
    pub(super) region: Option<Region>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ArtifactLocation {
    pub(super) uri: Option<String>,
    pub(super) uri_base_id: Option<String>,
}

/// An entry of `run.originalUriBaseIds`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BaseUri {
    pub(super) uri: Option<String>,
    pub(super) uri_base_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Region {
    pub(super) start_line: Option<u32>,
    pub(super) start_column: Option<u32>,
    pub(super) end_line: Option<u32>,
}

#[derive(Deserialize)]
pub(super) struct Suppression {
    pub(super) status: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Properties {
    #[serde(rename = "security-severity")]
    pub(super) security_severity: Option<NumberOrString>,
}

impl Properties {
    /// The rating, if any: a number in 0.0-10.0 (as number or numeric string), or a
    /// severity label, which Semgrep writes (`"MEDIUM"`) although GitHub documents a
    /// number. Anything else (`"11"`, `"inf"`, `"-1"`, `"bad"`) is an error: read as
    /// "no rating", the result would fall back to its level and could gate lower than
    /// the scanner meant.
    pub(super) fn security_severity(&self) -> Result<Option<Rated>, String> {
        let Some(value) = self.security_severity.as_ref() else {
            return Ok(None);
        };
        let score = match value {
            NumberOrString::Number(n) => *n,
            NumberOrString::String(s) => match s.trim().parse::<f64>() {
                Ok(n) => n,
                Err(_) => {
                    return Severity::from_label(s)
                        .map(|l| Some(Rated::Label(l)))
                        .ok_or_else(|| {
                            format!(
                                "properties.security-severity: {s:?} is neither a score from 0.0 to 10.0 nor a severity label"
                            )
                        });
                }
            },
        };
        match Severity::from_score(score) {
            Some(_) => Ok(Some(Rated::Score(score))),
            None => Err(format!(
                "properties.security-severity: {score} is outside 0.0 to 10.0"
            )),
        }
    }
}

/// A usable `security-severity`.
pub(super) enum Rated {
    Score(f64),
    Label(Severity),
}

/// GitHub documents `security-severity` as a string, but tools also write numbers.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum NumberOrString {
    Number(f64),
    String(String),
}
