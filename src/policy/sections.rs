//! Policy types shared by several control sections.
//!
//! Each control's own section type lives beside its check in `src/checks/`; a section
//! that is absent means the control is `skipped`. Defaults fail closed: a present
//! section with no keys gates on `high`.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use crate::evidence::{SarifLevel, Severity};

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

/// Serde default `true`.
pub(crate) fn yes() -> bool {
    true
}

/// Serde default `high`.
pub(crate) fn high() -> Severity {
    Severity::High
}

/// Serde default `high`.
pub(crate) fn high_threshold() -> Threshold {
    Threshold::Severity(Severity::High)
}
