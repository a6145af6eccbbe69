//! Reports: one verdict rendered for people and machines.
//!
//! [`Report`] is the serializable document (`--format json`, valid against
//! `schemas/report.schema.json`); every other format renders from it, so they can
//! never disagree. Untrusted text (scanner messages, paths, rule ids) is escaped by
//! each sink for its own syntax, see [`escape`].

pub mod escape;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

use serde::{Deserialize, Serialize};

use crate::ci::CiContext;
use crate::evidence::{Evidence, InputFile, ToolInfo};
use crate::verdict::{ControlOutcome, Overall, Verdict, WaiverUse};

/// Version of the report document layout.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// The report document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// Layout version ([`REPORT_FORMAT_VERSION`]).
    pub report_version: u32,
    /// `pass` or `fail`.
    pub verdict: Overall,
    /// The vouch build that evaluated.
    pub tool: ToolInfo,
    /// Evidence collection time (RFC 3339), the "now" of every time-dependent decision.
    pub time: String,
    /// What was verified.
    pub subject: Subject,
    /// The CI run.
    pub context: CiContext,
    /// The policy applied.
    pub policy: PolicyRef,
    /// Input files with their digests.
    pub inputs: Vec<InputFile>,
    /// Per-control outcomes.
    pub controls: Vec<ControlOutcome>,
    /// Waivers with their state (applied, expired, unused).
    pub waivers: Vec<WaiverUse>,
}

/// What a run verified.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Subject {
    /// Repository (`owner/name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Commit SHA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Git ref.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "ref")]
    pub git_ref: Option<String>,
    /// Artifacts with digests (filled by the provenance control).
    pub artifacts: Vec<Artifact>,
}

/// An artifact and its digest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Artifact {
    /// File name.
    pub name: String,
    /// `sha256:<hex>`.
    pub digest: String,
}

/// The policy a verdict was reached under.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PolicyRef {
    /// Path as given, or `<built-in default policy>`.
    pub path: String,
    /// sha256 of the policy bytes (of the built-in text for the default).
    pub sha256: String,
}

impl Report {
    /// Assembles the report of one evaluation.
    pub fn new(verdict: Verdict, evidence: &Evidence, policy: PolicyRef) -> Self {
        Report {
            report_version: REPORT_FORMAT_VERSION,
            verdict: verdict.verdict,
            tool: ToolInfo::current(),
            time: evidence
                .collected_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            subject: Subject {
                repository: evidence.context.repository.clone(),
                commit: evidence.context.commit.clone(),
                git_ref: evidence.context.git_ref.clone(),
                artifacts: Vec::new(),
            },
            context: evidence.context.clone(),
            policy,
            inputs: evidence.inputs.clone(),
            controls: verdict.controls,
            waivers: verdict.waivers,
        }
    }

    /// Number of blocking findings (unwaived violations and errors) across controls.
    pub fn blocking_findings(&self) -> usize {
        self.controls
            .iter()
            .flat_map(|c| &c.findings)
            .filter(|f| f.is_blocking())
            .count()
    }
}

/// Output formats of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Summary table and failures, for terminals.
    Text,
    /// The report document (schemas/report.schema.json).
    Json,
    /// SARIF 2.1.0, one result per failing finding (GitHub code scanning).
    Sarif,
    /// JUnit XML, a testcase per control (GitLab test reports).
    Junit,
    /// Markdown, for job summaries and merge-request comments.
    Markdown,
}
