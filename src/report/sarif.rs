//! The SARIF 2.1.0 sink: every finding as a result for GitHub code scanning (and any
//! other SARIF viewer).
//!
//! One run whose driver is vouch; one rule per finding code that occurs, documented
//! from the check registry ([`crate::checks::ALL`]); one result per blocking finding,
//! plus waived findings carried as externally accepted suppressions so code scanning
//! shows them as dismissed rather than dropping them. Untrusted text goes through
//! [`escape::plain`]; file paths are percent-encoded into URI references, which is the
//! escaping SARIF's `artifactLocation.uri` calls for.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Report, escape, waiver_label};
use crate::checks::{ALL, Code, Finding, FindingKind};
use crate::evidence::{Location, Severity};
use crate::verdict::{ControlOutcome, WaiverState};

/// The `$schema` written into every log.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Key of the fingerprint in `partialFingerprints`; bump the version if the hashed
/// fields ever change, so code scanning does not silently re-key every alert.
pub const FINGERPRINT_KEY: &str = "vouchFindingHash/v1";

/// Renders the report as a SARIF 2.1.0 log (pretty JSON with a trailing newline).
pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("writing into memory cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Writes what [`render`] returns to `w`, without holding the text in memory.
pub fn write(report: &Report, mut w: impl std::io::Write) -> std::io::Result<()> {
    // Rules first (the driver precedes the results in the log); the results are then
    // made one at a time as they are written, never all held at once.
    let mut rules: Vec<Rule> = Vec::new();
    let mut rule_index: BTreeMap<String, usize> = BTreeMap::new();
    for finding in report.controls.iter().flat_map(|c| c.findings.iter()) {
        let rule_id = escape::plain(&finding.code);
        let index = *rule_index.entry(rule_id.clone()).or_insert_with(|| {
            rules.push(Rule::for_code(&rule_id, &finding.code, finding));
            rules.len() - 1
        });
        rules[index].raise_severity(finding.severity);
    }
    let results = Results {
        report,
        rule_index: &rule_index,
        fingerprints: fingerprints(report),
    };
    let log = Log {
        schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "vouch",
                    version: escape::plain(&report.tool.version),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules,
                },
            },
            // vouch itself ran to completion; a failing verdict is expressed by the
            // results, not by declaring the analysis broken.
            invocations: vec![Invocation {
                execution_successful: true,
                tool_execution_notifications: exception_notifications(report)
                    .into_iter()
                    .chain(attestation_notifications(report))
                    .collect(),
            }],
            results,
        }],
    };
    // The safe formatter keeps C1/bidi controls and `##[` inert when the file is printed.
    super::json::write_safe_json(&mut w, &log)?;
    w.write_all(b"\n")
}

/// Every finding as a SARIF result, made as it is serialized. Every finding is either
/// blocking or waived (non-blocking findings always carry a waiver), so all of them
/// become results; the waived ones get a suppression.
struct Results<'a> {
    report: &'a Report,
    rule_index: &'a BTreeMap<String, usize>,
    /// One per finding, in order: (line-insensitive hash, rank among equal hashes),
    /// written out as text only as each result is serialized.
    fingerprints: Vec<([u8; 32], u32)>,
}

impl Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let report = self.report;
        serializer.collect_seq(
            report
                .controls
                .iter()
                .flat_map(|c| c.findings.iter().map(move |f| (c, f)))
                .zip(
                    self.fingerprints
                        .iter()
                        .map(|(base, rank)| format!("{}:{rank}", hex::encode(base))),
                )
                .map(|((control, finding), fingerprint)| {
                    let rule_id = escape::plain(&finding.code);
                    let index = self.rule_index.get(&rule_id).copied().unwrap_or(0);
                    result_of(report, control, finding, rule_id, index, fingerprint)
                }),
        )
    }
}

fn result_of(
    report: &Report,
    control: &ControlOutcome,
    finding: &Finding,
    rule_id: String,
    rule_index: usize,
    fingerprint: String,
) -> SarifResult {
    let location = match &finding.location {
        Some(loc) => SarifLocation {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: uri_reference(&loc.path),
                },
                region: region_of(loc),
            },
            message: None,
        },
        // GitHub code scanning rejects results without a location. Findings about the
        // pipeline as a whole (a missing report, a scanner that did not run) are
        // attached to line 1 of the policy file that demanded the evidence, and the
        // location says so.
        None => SarifLocation {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: uri_reference(&report.policy.path),
                },
                region: Some(Region {
                    start_line: 1,
                    start_column: None,
                    end_line: None,
                }),
            },
            message: Some(Message {
                text: "This finding has no source location; it is shown on the policy that requires the evidence.".into(),
            }),
        },
    };
    let suppressions = finding.waiver.as_ref().and_then(|w| {
        // Errors are never waivable; a waiver on one would be a verdict bug, and a
        // suppression would hide a blocking result, so none is written.
        (finding.kind != FindingKind::Error).then(|| {
            vec![Suppression {
                kind: "external",
                status: "accepted",
                justification: escape::plain(&w.reason),
            }]
        })
    });
    SarifResult {
        rule_id,
        rule_index,
        level: "error",
        message: Message {
            text: escape::plain(&finding.message),
        },
        locations: vec![location],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint)]),
        suppressions,
        properties: ResultProperties {
            security_severity: finding.severity.and_then(security_severity),
            control: escape::plain(&control.id),
            kind: match finding.kind {
                FindingKind::Violation => "violation",
                FindingKind::Error => "error",
            },
            help_uri: finding.help_uri.as_deref().map(escape::plain),
        },
    }
}

/// A region only from valid positions: SARIF lines and columns are 1-based and the
/// schema rejects 0, which some scanners write for "whole file".
fn region_of(loc: &Location) -> Option<Region> {
    let start_line = loc.line.filter(|&l| l >= 1)?;
    Some(Region {
        start_line,
        start_column: loc.column.filter(|&c| c >= 1),
        end_line: loc.end_line.filter(|&e| e >= start_line),
    })
}

/// The GitHub `security-severity` score for a severity: a value inside each band
/// GitHub maps back to the same label (>= 9.0 critical, >= 7.0 high, >= 4.0 medium).
fn security_severity(severity: Severity) -> Option<String> {
    let score = match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
        Severity::None | Severity::Unknown => return None,
    };
    Some(score.into())
}

/// A stable identity for a finding across runs, so code scanning tracks one alert
/// instead of opening a new one each time: the code, what the finding is about (advisory
/// id, rule, package) and the file. Line numbers and messages are left out on purpose:
/// they move when unrelated code changes. Fields are NUL-separated so that
/// `("ab", "c")` and `("a", "bc")` hash differently.
/// The fingerprint of every finding, in report order: the line-insensitive hash of
/// [`fingerprint`] plus `:N`, the finding's rank by position among findings with the
/// same hash. Two results of one rule in one file stay two alerts, and an alert keeps
/// its identity when code above it moves (the same scheme as GitHub's
/// `primaryLocationLineHash`, which also appends an occurrence number).
fn fingerprints(report: &Report) -> Vec<([u8; 32], u32)> {
    let findings: Vec<&Finding> = report.controls.iter().flat_map(|c| &c.findings).collect();
    let bases: Vec<[u8; 32]> = findings.iter().map(|f| fingerprint(f)).collect();
    let mut order: Vec<usize> = (0..findings.len()).collect();
    fn position(f: &Finding) -> (Option<u32>, Option<u32>, &str) {
        let l = f.location.as_ref();
        (
            l.and_then(|l| l.line),
            l.and_then(|l| l.column),
            f.message.as_str(),
        )
    }
    order.sort_by(|&a, &b| {
        bases[a]
            .cmp(&bases[b])
            .then_with(|| position(findings[a]).cmp(&position(findings[b])))
    });
    let mut out = vec![([0u8; 32], 0u32); findings.len()];
    let mut rank = 0;
    for (k, &i) in order.iter().enumerate() {
        rank = if k > 0 && bases[order[k - 1]] == bases[i] {
            rank + 1
        } else {
            1
        };
        out[i] = (bases[i], rank);
    }
    out
}

fn fingerprint(f: &Finding) -> [u8; 32] {
    let mut h = Sha256::new();
    let fields = [
        &f.code,
        f.subject.id.as_deref().unwrap_or(""),
        f.subject.rule.as_deref().unwrap_or(""),
        f.subject.package.as_deref().unwrap_or(""),
        f.location.as_ref().map(|l| l.path.as_str()).unwrap_or(""),
    ];
    for field in fields {
        h.update(field.as_bytes());
        h.update([0u8]);
    }
    h.finalize().into()
}

/// A path (or URI) as a URI reference, which is what `artifactLocation.uri` must hold:
/// characters a URI allows are kept, an existing `%XX` escape is kept (paths read from
/// SARIF inputs are already URIs), and everything else, controls, spaces, `<`, a lone
/// `%`, non-ASCII, is percent-encoded as UTF-8. `?` and `#` are encoded too: in a file
/// path they are part of the name, not a query or fragment.
fn uri_reference(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let keep = b.is_ascii_alphanumeric()
            || b"-._~!$&'()*+,;=:@/".contains(&b)
            || (b == b'%'
                && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit));
        if keep {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
        i += 1;
    }
    out
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
struct Run<'a> {
    tool: Tool,
    invocations: Vec<Invocation>,
    results: Results<'a>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: String,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Message,
}

/// Expired exceptions (warning: they no longer apply, which may be why the run fails)
/// and unused ones (note: candidates for removal), so that a reader of the SARIF alone
/// learns about them too.
fn exception_notifications(report: &Report) -> Vec<Notification> {
    report
        .waivers
        .iter()
        .filter_map(|w| {
            let (level, what) = match w.state {
                WaiverState::Expired => ("warning", "expired, not honored"),
                WaiverState::TooLong => (
                    "warning",
                    "not honored: it expires beyond the policy's maximum exception lifetime",
                ),
                WaiverState::Unused => ("note", "unused: it matched no finding"),
                WaiverState::Applied if w.too_broad => (
                    "warning",
                    "applied but too broad: it waives every finding of the control",
                ),
                WaiverState::Applied => return None,
            };
            let expires = w
                .expires
                .as_deref()
                .map(|e| format!(", expires {e}"))
                .unwrap_or_default();
            let text = format!(
                "{} for {} ({}{expires}) is {what}; reason: {}",
                waiver_label(&w.source),
                w.control,
                w.matches,
                w.reason
            );
            Some(Notification {
                level,
                message: Message {
                    text: escape::plain(&text),
                },
            })
        })
        .collect()
}

/// The attestation step, so that a reader of the SARIF alone learns that the run's
/// signed statements were (or were not) made and published: an `error` for each
/// failure (the run exits 1 for it), a `note` for each file signed and target reached.
fn attestation_notifications(report: &Report) -> Vec<Notification> {
    let Some(attestation) = &report.attestation else {
        return Vec::new();
    };
    let notify = |level: &'static str| {
        move |text: String| Notification {
            level,
            message: Message {
                text: escape::plain(&format!("attestation: {text}")),
            },
        }
    };
    attestation
        .problems()
        .into_iter()
        .map(notify("error"))
        .chain(attestation.achievements().into_iter().map(notify("note")))
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    short_description: Message,
    help: Message,
    default_configuration: Configuration,
    properties: RuleProperties,
    /// Highest severity among this rule's findings (not serialized itself).
    #[serde(skip)]
    max_severity: Option<Severity>,
}

impl Rule {
    /// The rule of a finding code, documented from the check that declares it; a code
    /// no check declares (a report written by another vouch version) falls back to the
    /// finding's own remediation.
    fn for_code(id: &str, code: &str, finding: &Finding) -> Rule {
        let declared: Option<&Code> = ALL
            .iter()
            .flat_map(|c| c.codes().iter().copied())
            .find(|c| c.code == code);
        Rule {
            id: id.to_string(),
            short_description: Message {
                text: declared.map_or_else(|| id.to_string(), |c| c.meaning.to_string()),
            },
            help: Message {
                text: declared.map_or_else(
                    || escape::plain(&finding.remediation),
                    |c| c.remediation.to_string(),
                ),
            },
            default_configuration: Configuration { level: "error" },
            properties: RuleProperties {
                tags: vec!["security"],
                security_severity: None,
            },
            max_severity: None,
        }
    }

    /// GitHub reads `security-severity` from the rule, not the result, and a code such
    /// as `sca/vulnerable-dependency` covers findings of every severity: the rule
    /// carries the highest one present, erring towards urgency. Each result still
    /// carries its own score in its properties.
    fn raise_severity(&mut self, severity: Option<Severity>) {
        if severity > self.max_severity {
            self.max_severity = severity;
            self.properties.security_severity = severity.and_then(security_severity);
        }
    }
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<&'static str>,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<SarifLocation>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<Vec<Suppression>>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
}

#[derive(Serialize)]
struct ResultProperties {
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
    #[serde(rename = "vouch/control")]
    control: String,
    #[serde(rename = "vouch/kind")]
    kind: &'static str,
    #[serde(rename = "vouch/helpUri", skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
}

#[cfg(test)]
mod tests;
