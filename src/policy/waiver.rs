//! Exceptions (waivers): a reviewed, owned, time-boxed decision to accept a finding.
//!
//! An exception only ever turns a *failing finding* into `waived`; it can never hide
//! an `error` (evidence that could not be gathered). Expiry is compared with the run
//! time recorded in the evidence, so a re-performance reaches the same decision.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use super::sections::{GlobPattern, NonEmpty};
use time::{Date, OffsetDateTime, macros::format_description};

/// One exception entry.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// The control the exception applies to (`sast`, `sca`, …).
    pub control: ControlId,
    /// Which findings it covers; every key given must match.
    #[serde(rename = "match")]
    pub matcher: ExceptionMatch,
    /// Why the risk is accepted (shown in every report).
    pub reason: NonEmpty,
    /// Who accepted it (person or team, shown in every report).
    pub owner: NonEmpty,
    /// Last day (UTC, inclusive) the exception is honored, as `YYYY-MM-DD`.
    pub expires: ExpiryDate,
}

/// Selectors of an exception. At least one must be given: an empty match would waive
/// everything.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(try_from = "Selectors")]
pub struct ExceptionMatch {
    /// Finding identifier: a vulnerability id or any of its aliases (CVE, GHSA, RUSTSEC, PYSEC…).
    #[serde(default)]
    pub id: Option<String>,
    /// SARIF rule id.
    #[serde(default)]
    pub rule: Option<String>,
    /// Package name (SCA).
    #[serde(default)]
    pub package: Option<String>,
    /// Glob over the finding's file path (`**` crosses directories).
    #[serde(default)]
    pub path: Option<GlobPattern>,
    /// Finding code (`sast/required-tool-missing`); errors can never be waived.
    #[serde(default)]
    pub code: Option<String>,
}

/// Which findings an exception covers; every key given must match, and at least one
/// must be given.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1))]
struct Selectors {
    /// Finding identifier: a vulnerability id or any of its aliases (CVE, GHSA, RUSTSEC, PYSEC…).
    #[serde(default)]
    id: Option<NonEmpty>,
    /// SARIF rule id.
    #[serde(default)]
    rule: Option<NonEmpty>,
    /// Package name (SCA).
    #[serde(default)]
    package: Option<NonEmpty>,
    /// Glob over the finding's file path (`**` crosses directories).
    #[serde(default)]
    path: Option<GlobPattern>,
    /// Finding code (`sast/required-tool-missing`); errors can never be waived.
    #[serde(default)]
    code: Option<FindingCode>,
}

/// A finding code some registered check emits.
struct FindingCode(String);

impl<'de> Deserialize<'de> for FindingCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let codes: Vec<&str> = crate::checks::ALL
            .iter()
            .flat_map(|c| c.codes())
            .map(|c| c.code)
            .collect();
        if codes.contains(&s.as_str()) {
            return Ok(FindingCode(s));
        }
        let mut m = format!("unknown finding code `{s}`");
        if let Some(best) = super::load::closest(&s, &codes) {
            m.push_str(&format!(" (did you mean `{best}`?)"));
        }
        Err(serde::de::Error::custom(m))
    }
}

impl JsonSchema for FindingCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FindingCode".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let codes: Vec<&str> = crate::checks::ALL
            .iter()
            .flat_map(|c| c.codes())
            .map(|c| c.code)
            .collect();
        schemars::json_schema!({ "type": "string", "enum": codes })
    }
}

impl TryFrom<Selectors> for ExceptionMatch {
    type Error = &'static str;
    fn try_from(s: Selectors) -> Result<Self, Self::Error> {
        let m = ExceptionMatch {
            id: s.id.map(|v| v.0),
            rule: s.rule.map(|v| v.0),
            package: s.package.map(|v| v.0),
            path: s.path,
            code: s.code.map(|v| v.0),
        };
        if m.is_empty() {
            return Err(
                "match: give at least one of id, rule, package, path, code (an empty match would waive everything)",
            );
        }
        Ok(m)
    }
}

/// The id of a registered control (`sast`, `sca`, …), checked against `checks::ALL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlId(pub String);

impl ControlId {
    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ControlId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let ids = crate::checks::control_ids();
        if ids.contains(&s.as_str()) {
            return Ok(ControlId(s));
        }
        let mut m = format!("unknown control `{s}`");
        if let Some(best) = super::load::closest(&s, &ids) {
            m.push_str(&format!(" (did you mean `{best}`?)"));
        }
        m.push_str(&format!("; expected one of: {}", ids.join(", ")));
        Err(serde::de::Error::custom(m))
    }
}

impl JsonSchema for ControlId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ControlId".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "enum": crate::checks::control_ids() })
    }
}

impl ExceptionMatch {
    /// True when no selector is set (such an exception would match everything).
    pub fn is_empty(&self) -> bool {
        self.id.is_none()
            && self.rule.is_none()
            && self.package.is_none()
            && self.path.is_none()
            && self.code.is_none()
    }
}

/// An expiry date, inclusive: the exception holds until the end of that day, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpiryDate(pub Date);

impl ExpiryDate {
    /// Whether the exception is still honored at `now`.
    pub fn is_live_at(self, now: OffsetDateTime) -> bool {
        utc_date(now) <= self.0
    }

    /// Whether the expiry lies more than `max_days` days after `now`'s day (UTC): such
    /// an exception is not time-boxed, whatever its date says.
    pub fn exceeds_lifetime(self, now: OffsetDateTime, max_days: u32) -> bool {
        let today = utc_date(now);
        (self.0 - today).whole_days() > i64::from(max_days)
    }

    /// `YYYY-MM-DD`.
    pub fn to_iso(self) -> String {
        self.0
            .format(format_description!("[year]-[month]-[day]"))
            .expect("dates always format")
    }
}

/// The UTC date of `now`; a time whose UTC date is out of range (an edited
/// `9999-12-31T23:59:59-23:59`) counts as the last representable day, so no exception
/// is live then.
fn utc_date(now: OffsetDateTime) -> Date {
    now.checked_to_offset(time::UtcOffset::UTC)
        .map_or(Date::MAX, |t| t.date())
}

impl<'de> Deserialize<'de> for ExpiryDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(s.trim(), format_description!("[year]-[month]-[day]"))
            .map(ExpiryDate)
            .map_err(|_| {
                serde::de::Error::custom(format!("invalid date `{s}`, expected YYYY-MM-DD"))
            })
    }
}

impl JsonSchema for ExpiryDate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ExpiryDate".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Last day the exception is honored (UTC, inclusive).",
            "type": "string",
            "format": "date",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn expiry_is_inclusive_of_the_last_day() {
        let e = ExpiryDate(date!(2026 - 06 - 30));
        assert!(e.is_live_at(datetime!(2026-06-30 23:59:59 UTC)));
        assert!(!e.is_live_at(datetime!(2026-07-01 00:00:00 UTC)));
        // A run at 01:00 +02:00 on July 1st is still June 30th in UTC.
        assert!(e.is_live_at(datetime!(2026-07-01 01:00:00 +02:00)));
    }

    #[test]
    fn an_expiry_past_the_maximum_lifetime_is_not_time_boxed() {
        let now = datetime!(2026-01-01 12:00:00 UTC);
        assert!(!ExpiryDate(date!(2027 - 01 - 01)).exceeds_lifetime(now, 365));
        assert!(ExpiryDate(date!(2027 - 01 - 02)).exceeds_lifetime(now, 365));
        assert!(ExpiryDate(date!(9999 - 12 - 31)).exceeds_lifetime(now, 365));
        assert!(!ExpiryDate(date!(2026 - 01 - 31)).exceeds_lifetime(now, 30));
    }
}
