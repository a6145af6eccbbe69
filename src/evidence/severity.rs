//! One severity scale for every scanner, and the conversions into it.
//!
//! Scanners disagree on names ("moderate", "MEDIUM", "Medium") and on where severity
//! lives (a label, a CVSS score, a SARIF `security-severity` number). Everything is
//! mapped here once so that checks compare one ordered enum.

use serde::{Deserialize, Serialize};

/// Normalized severity, ordered from least to most severe.
///
/// `Unknown` means the report gave no usable rating; policies decide how to treat it
/// (`unrated_as`), so it deliberately sorts below `None` and is never compared directly.
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
pub enum Severity {
    /// No rating was given or it could not be understood.
    Unknown,
    /// Informational; a score of 0.
    None,
    /// Low.
    Low,
    /// Medium (npm calls it "moderate").
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Parses the severity labels scanners use, case-insensitively.
    ///
    /// Returns `None` for labels that carry no rating ("unknown", "negligible" maps to low
    /// as Grype documents it).
    pub fn from_label(label: &str) -> Option<Severity> {
        let s = label.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "critical" => Severity::Critical,
            "high" | "important" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" | "negligible" | "minor" => Severity::Low,
            "none" | "info" | "informational" => Severity::None,
            _ => return None,
        })
    }

    /// Maps a CVSS-style numeric score (0.0-10.0) the way GitHub does for
    /// `security-severity`: >= 9.0 critical, >= 7.0 high, >= 4.0 medium, > 0 low.
    pub fn from_score(score: f64) -> Option<Severity> {
        if !score.is_finite() || !(0.0..=10.0).contains(&score) {
            return None;
        }
        Some(if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::None
        })
    }

    /// Computes the severity of a CVSS v3.x or v4.0 vector string with the `cvss` crate.
    ///
    /// Returns the base score with the severity, or `None` when the vector does not parse.
    pub fn from_cvss_vector(vector: &str) -> Option<(f64, Severity)> {
        let vector = vector.trim();
        if vector.starts_with("CVSS:4.0/") {
            let v: cvss::v4::Vector = vector.parse().ok()?;
            let score = v.score().value();
            Some((score, Severity::from_score(score)?))
        } else if vector.starts_with("CVSS:3.") {
            let v: cvss::v3::Vector = vector.parse().ok()?;
            let score = v.score().value();
            Some((score, Severity::from_score(score)?))
        } else {
            None
        }
    }

    /// Lower-case name as used in policies and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_severity_thresholds_match_github() {
        assert_eq!(Severity::from_score(9.0), Some(Severity::Critical));
        assert_eq!(Severity::from_score(8.9), Some(Severity::High));
        assert_eq!(Severity::from_score(7.0), Some(Severity::High));
        assert_eq!(Severity::from_score(6.9), Some(Severity::Medium));
        assert_eq!(Severity::from_score(4.0), Some(Severity::Medium));
        assert_eq!(Severity::from_score(0.1), Some(Severity::Low));
        assert_eq!(Severity::from_score(0.0), Some(Severity::None));
        assert_eq!(Severity::from_score(10.1), None);
        assert_eq!(Severity::from_score(f64::NAN), None);
    }

    #[test]
    fn cvss_vectors_are_scored() {
        let (score, sev) =
            Severity::from_cvss_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap();
        assert_eq!(score, 9.8);
        assert_eq!(sev, Severity::Critical);
        let (_, sev) = Severity::from_cvss_vector(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        )
        .unwrap();
        assert_eq!(sev, Severity::Critical);
        assert!(Severity::from_cvss_vector("CVSS:3.1/AV:X").is_none());
        assert!(Severity::from_cvss_vector("AV:N/AC:L/Au:N/C:P/I:P/A:P").is_none());
    }

    #[test]
    fn labels_are_case_insensitive() {
        assert_eq!(Severity::from_label("MODERATE"), Some(Severity::Medium));
        assert_eq!(Severity::from_label("Negligible"), Some(Severity::Low));
        assert_eq!(Severity::from_label("Unknown"), None);
    }
}
