//! Value types shared by the control sections of a policy.
//!
//! Each control's own section type lives beside its check in `src/checks/`; a section
//! that is absent means the control is `skipped`, and a section present with no keys
//! (`sast:` or `sast: {}`) means the control runs with its defaults, which fail closed.
//!
//! Every rule about a value is checked while parsing, inside `Deserialize`, so that the
//! YAML reader attaches the line and column to the error, and each type's JSON Schema
//! says the same thing, so the schema and the loader accept exactly the same files.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use crate::evidence::{SarifLevel, Severity};

/// Include/exclude globs over result paths (`**` crosses directories).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathFilter {
    /// When non-empty, only results whose path matches one of these globs count.
    #[serde(default)]
    pub include: Vec<GlobPattern>,
    /// Results whose path matches one of these globs are ignored.
    #[serde(default)]
    pub exclude: Vec<GlobPattern>,
}

/// A glob that compiled (`**` crosses directories, `*` does not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobPattern(pub String);

impl GlobPattern {
    /// The compiled matcher.
    pub fn matcher(&self) -> globset::GlobMatcher {
        globset::GlobBuilder::new(&self.0)
            .literal_separator(true)
            .build()
            .expect("validated when the policy was parsed")
            .compile_matcher()
    }

    /// The glob text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for GlobPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() {
            return Err(serde::de::Error::custom("a glob must not be empty"));
        }
        globset::GlobBuilder::new(&s)
            .literal_separator(true)
            .build()
            .map_err(|e| serde::de::Error::custom(format!("invalid glob `{s}`: {}", e.kind())))?;
        Ok(GlobPattern(s))
    }
}

impl JsonSchema for GlobPattern {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "GlobPattern".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A glob over repository paths: `**` crosses directories, `*` does not.",
            "type": "string",
            "minLength": 1
        })
    }
}

/// A string that must not be empty or blank (names, reasons, owners).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonEmpty(pub String);

impl<'de> Deserialize<'de> for NonEmpty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() {
            return Err(serde::de::Error::custom("must not be empty"));
        }
        Ok(NonEmpty(s))
    }
}

impl JsonSchema for NonEmpty {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "NonEmpty".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "\\S" })
    }
}

impl std::fmt::Display for NonEmpty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for NonEmpty {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// Declares a string-enum value type whose `Deserialize` suggests the closest name and
/// whose JSON Schema lists exactly the accepted names.
macro_rules! named_values {
    ($(#[$meta:meta])* $name:ident => $target:ty { $($text:literal => $value:expr),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub $target);

        impl $name {
            /// All accepted spellings.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            fn parse(s: &str) -> Option<$target> {
                match s {
                    $($text => Some($value),)+
                    _ => None,
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map($name).ok_or_else(|| serde::de::Error::unknown_variant(&s, Self::NAMES))
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": Self::NAMES })
            }
        }
    };
}

named_values! {
    /// A SAST threshold: a severity (`critical`, `high`, `medium`, `low`, `any`) or a
    /// SARIF level (`error`, `warning`, `note`).
    SastThreshold => Threshold {
        "critical" => Threshold::Severity(Severity::Critical),
        "high" => Threshold::Severity(Severity::High),
        "medium" => Threshold::Severity(Severity::Medium),
        "low" => Threshold::Severity(Severity::Low),
        "any" => Threshold::Severity(Severity::None),
        "error" => Threshold::Level(SarifLevel::Error),
        "warning" => Threshold::Level(SarifLevel::Warning),
        "note" => Threshold::Level(SarifLevel::Note),
    }
}

named_values! {
    /// A severity threshold: `critical`, `high`, `medium`, `low` or `any`.
    SeverityThreshold => Severity {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        "any" => Severity::None,
    }
}

named_values! {
    /// A severity that gates: `critical`, `high`, `medium` or `low` (never `unknown` or
    /// `none`, which would let unrated findings through).
    GateSeverity => Severity {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
    }
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
    /// The spelling used in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Threshold::Severity(Severity::None) | Threshold::Severity(Severity::Unknown) => "any",
            Threshold::Severity(s) => s.as_str(),
            Threshold::Level(l) => l.as_str(),
        }
    }
}

/// An ecosystem name a scanner can report (`crates.io`, `npm`, `PyPI`, or a common
/// spelling such as `cargo`); an unknown name would silently gate nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcosystemName(pub String);

impl<'de> Deserialize<'de> for EcosystemName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if crate::evidence::ecosystem::from_type(&s).is_some() {
            return Ok(EcosystemName(s));
        }
        let known = crate::evidence::ecosystem::OSV_NAMES;
        let mut m = format!("unknown ecosystem `{s}`");
        if let Some(best) = super::load::closest(&s, known) {
            m.push_str(&format!(" (did you mean `{best}`?)"));
        }
        m.push_str(&format!("; expected one of: {}", known.join(", ")));
        Err(serde::de::Error::custom(m))
    }
}

impl JsonSchema for EcosystemName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EcosystemName".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An OSV ecosystem name (crates.io, npm, PyPI, Go, Maven, …) or a common spelling (cargo, pip, gem).",
            "type": "string",
            "minLength": 1
        })
    }
}

/// Deserializes a control section where a present-but-empty section (`sast:` is YAML
/// null) means "enabled with defaults", never "skipped".
pub(crate) fn section<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Some(Option::<T>::deserialize(d)?.unwrap_or_default()))
}

/// Serde default `true`.
pub(crate) fn yes() -> bool {
    true
}

/// `deserialize_with` for every policy boolean: only an unquoted `true` or `false`
/// (YAML 1.2, as the published schema's `"type": "boolean"` says). A quoted `"false"`
/// or a YAML 1.1 word (`n`, `no`, `off`) is an error, not a way to turn a control off.
/// The loader reads YAML with `strict_booleans`, so those arrive here as strings.
pub(crate) fn strict_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct StrictBool;
    impl serde::de::Visitor<'_> for StrictBool {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("`true` or `false` (unquoted)")
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
    }
    d.deserialize_any(StrictBool)
}

named_values! {
    /// An SBOM serialization: `cyclonedx-json` or `cyclonedx-xml`.
    SbomFormatName => &'static str {
        "cyclonedx-json" => "cyclonedx-json",
        "cyclonedx-xml" => "cyclonedx-xml",
    }
}

named_values! {
    /// A component field the policy can require.
    RequiredField => &'static str {
        "purl" => "purl",
        "version" => "version",
        "hashes" => "hashes",
        "licenses" => "licenses",
        "supplier" => "supplier",
    }
}
