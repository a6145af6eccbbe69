//! Per-control policy sections.
//!
//! Each control owns one section; a section that is absent means the control is
//! `skipped`. Defaults are chosen to fail closed: a present section with no keys gates
//! on `high`.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use crate::evidence::{SarifLevel, Severity};

/// SAST gate settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SastPolicy {
    /// Set to false to skip the control without deleting its settings.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// When true, failures and errors are reported but do not fail the run.
    #[serde(default)]
    pub advisory: bool,
    /// Fail on results at or above this severity (`critical`, `high`, `medium`, `low`, `any`)
    /// or SARIF level (`error`, `warning`, `note`).
    #[serde(default = "high_threshold")]
    pub fail_on: Threshold,
    /// Tools (`tool.driver.name`, case-insensitive) that must have produced a run.
    #[serde(default)]
    pub required_tools: Vec<String>,
    /// Gate only on results whose `baselineState` is `new` or `updated`.
    /// Results without a baseline state are treated as new (fail closed).
    #[serde(default)]
    pub new_only: bool,
    /// Which result paths count.
    #[serde(default)]
    pub paths: PathFilter,
}

/// SCA gate settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaPolicy {
    /// Set to false to skip the control without deleting its settings.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// When true, failures and errors are reported but do not fail the run.
    #[serde(default)]
    pub advisory: bool,
    /// Fail on vulnerabilities at or above this severity (`critical`, `high`, `medium`, `low`, `any`).
    #[serde(default = "high_threshold")]
    pub fail_on: Threshold,
    /// Do not fail on vulnerabilities for which no fixed version exists yet (they are still listed).
    #[serde(default)]
    pub ignore_unfixed: bool,
    /// Only gate on these ecosystems (OSV names such as `crates.io`, `npm`, `PyPI`, `Go`, `Maven`); empty means all.
    #[serde(default)]
    pub ecosystems: Vec<String>,
    /// Severity assumed for vulnerabilities the scanner did not rate.
    #[serde(default = "high")]
    pub unrated_as: Severity,
}

/// Include/exclude globs over result paths (`**` crosses directories).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathFilter {
    /// When non-empty, only results whose path matches one of these globs count.
    #[serde(default)]
    pub include: Vec<String>,
    /// Results whose path matches one of these globs are ignored.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// A gate threshold: a severity or, for SARIF, a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// Fail at or above this severity.
    Severity(Severity),
    /// Fail at or above this SARIF level.
    Level(SarifLevel),
}

impl Threshold {
    /// All accepted spellings, for messages and the schema.
    pub const NAMES: &'static [&'static str] = &[
        "critical", "high", "medium", "low", "any", "error", "warning", "note",
    ];

    fn parse(s: &str) -> Option<Threshold> {
        Some(match s {
            "critical" => Threshold::Severity(Severity::Critical),
            "high" => Threshold::Severity(Severity::High),
            "medium" => Threshold::Severity(Severity::Medium),
            "low" => Threshold::Severity(Severity::Low),
            "any" => Threshold::Severity(Severity::None),
            "error" => Threshold::Level(SarifLevel::Error),
            "warning" => Threshold::Level(SarifLevel::Warning),
            "note" => Threshold::Level(SarifLevel::Note),
            _ => return None,
        })
    }

    /// The spelling used in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Threshold::Severity(Severity::None) | Threshold::Severity(Severity::Unknown) => "any",
            Threshold::Severity(s) => s.as_str(),
            Threshold::Level(l) => l.as_str(),
        }
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Threshold::parse(&s).ok_or_else(|| serde::de::Error::unknown_variant(&s, Threshold::NAMES))
    }
}

impl JsonSchema for Threshold {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Threshold".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A severity (critical, high, medium, low, any) or a SARIF level (error, warning, note).",
            "type": "string",
            "enum": Threshold::NAMES,
        })
    }
}

fn yes() -> bool {
    true
}

fn high() -> Severity {
    Severity::High
}

fn high_threshold() -> Threshold {
    Threshold::Severity(Severity::High)
}
