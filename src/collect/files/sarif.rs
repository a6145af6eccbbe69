//! SARIF 2.1.0 reader (any tool), plus GitLab SAST reports, into [`SastReport`].
//!
//! Reading is one typed `serde_json` pass over only the fields the gate needs, so a
//! 100 MB log costs little more than parsing it. Objects the SARIF schema closes
//! (`additionalProperties: false`) are closed here too, which is how pre-release logs
//! (`automationId`, `run.artifact`) are rejected instead of half-read. When the fast
//! pass fails, a second pass with `serde_path_to_error` finds the JSON path of the
//! offending field, so the error names it (`runs[0].results[52]: missing field
//! `message``).
//!
//! Resolution rules (SARIF 2.1.0 §3.27.10, §3.49.14 and GitHub's code scanning):
//! * a result's rule is `ruleId`, else `rule.id`, else the rule at `ruleIndex` /
//!   `rule.index` in the driver or, with `rule.toolComponent.index`, in that extension
//!   (CodeQL keeps query packs' rules in `tool.extensions`);
//! * level is the result's, else the rule's `defaultConfiguration.level`, else `warning`;
//! * `properties.security-severity` (a number, usually as a string) of the result, else of
//!   the rule, maps to critical/high/medium/low as GitHub does.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde::de::IgnoredAny;

mod model;
use model::*;

use crate::evidence::sast::RuleInfo;
use crate::evidence::{
    BaselineState, Gap, GapKind, Location, ResultKind, SarifLevel, SastReport, SastResult, SastRun,
    SuppressionState,
};

/// Reads a SARIF 2.1.0 log or a GitLab SAST report (detected from content).
pub fn read_sast(source: &str, bytes: &[u8]) -> Result<SastReport, Gap> {
    match kind(source, bytes)? {
        Kind::Sarif => normalize_log(source, parse_sarif(source, bytes)?),
        Kind::GitlabSast => super::gitlab_sast::read(source, bytes),
    }
}

/// [`read_sast`] taking the file's bytes, which are dropped once a SARIF log is parsed
/// and before its results are normalized: the text, the parsed results and the
/// normalized ones never all exist at once.
pub fn read_sast_owned(source: &str, bytes: Vec<u8>) -> Result<SastReport, Gap> {
    match kind(source, &bytes)? {
        Kind::Sarif => {
            let log = parse_sarif(source, &bytes)?;
            drop(bytes);
            normalize_log(source, log)
        }
        Kind::GitlabSast => super::gitlab_sast::read(source, &bytes),
    }
}

/// What a SAST input is.
enum Kind {
    Sarif,
    GitlabSast,
}

fn kind(source: &str, bytes: &[u8]) -> Result<Kind, Gap> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Gap::new(
            GapKind::Malformed,
            source,
            "empty file: the scanner wrote no report",
        ));
    }
    let head: Head = serde_json::from_slice(bytes).map_err(|e| json_gap(source, &e))?;
    if head.runs.is_some() || head.schema.as_deref().is_some_and(|s| s.contains("sarif")) {
        return Ok(Kind::Sarif);
    }
    // A dependency scanner's report (cargo-audit and GitLab dependency scanning also
    // have `vulnerabilities`) is named as such rather than misread as GitLab SAST.
    if let Some(scanner) = super::sca::recognize(bytes) {
        return Err(Gap::new(
            GapKind::Unsupported,
            source,
            format!(
                "this is a {scanner} report (dependency scanning), not SAST; pass it with --sca"
            ),
        ));
    }
    if head.vulnerabilities.is_some() {
        return Ok(Kind::GitlabSast);
    }
    Err(Gap::new(
        GapKind::Unsupported,
        source,
        "not a SARIF log (no `runs`) nor a GitLab SAST report (no `vulnerabilities`)",
    ))
}

/// Top-level keys used to tell formats apart without building the document.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "$schema")]
    schema: Option<String>,
    runs: Option<IgnoredAny>,
    vulnerabilities: Option<IgnoredAny>,
}

fn json_gap(source: &str, e: &serde_json::Error) -> Gap {
    Gap::new(
        GapKind::Malformed,
        source,
        format!(
            "invalid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ),
    )
}

fn parse_sarif(source: &str, bytes: &[u8]) -> Result<Log, Gap> {
    let log: Log = match serde_json::from_slice(bytes) {
        Ok(log) => log,
        Err(fast) => {
            // Second pass only to locate the field; the fast error is the fallback.
            let de = &mut serde_json::Deserializer::from_slice(bytes);
            let detail = match serde_path_to_error::deserialize::<_, Log>(de) {
                Err(e) => format!("{}: {} (SARIF 2.1.0 schema)", e.path(), e.inner()),
                Ok(_) => fast.to_string(),
            };
            return Err(Gap::new(GapKind::Malformed, source, detail));
        }
    };
    Ok(log)
}

fn normalize_log(source: &str, log: Log) -> Result<SastReport, Gap> {
    if log.version != "2.1.0" {
        return Err(Gap::new(
            GapKind::Unsupported,
            source,
            format!(
                "version: expected \"2.1.0\", got {:?} (only SARIF 2.1.0 is read)",
                log.version
            ),
        ));
    }
    let runs = log
        .runs
        .into_iter()
        .enumerate()
        .map(|(i, run)| {
            normalize_run(run, i).map_err(|detail| Gap::new(GapKind::Malformed, source, detail))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SastReport {
        format: "sarif-2.1.0".into(),
        runs,
    })
}

fn normalize_run(run: Run, run_index: usize) -> Result<SastRun, String> {
    let Tool {
        driver, extensions, ..
    } = run.tool;
    let components: Vec<&ToolComponent> =
        std::iter::once(&driver).chain(extensions.iter()).collect();

    let mut execution_successful = true;
    let mut tool_errors = Vec::new();
    if run.results.is_none() {
        tool_errors.push(
            "the run has no `results` array: the analysis did not produce results (SARIF §3.14.23)"
                .to_string(),
        );
    }
    for inv in &run.invocations {
        execution_successful &= inv.execution_successful;
        for n in inv
            .tool_execution_notifications
            .iter()
            .chain(&inv.tool_configuration_notifications)
        {
            if n.level.as_deref() == Some("error") {
                tool_errors.push(
                    n.message
                        .text
                        .clone()
                        .unwrap_or_else(|| "(no message text)".into()),
                );
            }
        }
    }

    // Rules by id across all components, for results that carry only a `ruleId`.
    let mut by_id: HashMap<&str, &Rule> = HashMap::new();
    for c in &components {
        for r in &c.rules {
            by_id.entry(r.id.as_str()).or_insert(r);
        }
    }

    let mut rules = BTreeMap::new();
    let pending = run.results.unwrap_or_default();
    let mut results = Vec::with_capacity(pending.len());
    for (i, result) in pending.into_iter().enumerate() {
        let rule = resolve_rule(&result, &components, &by_id)
            .map_err(|e| format!("runs[{run_index}].results[{i}]: {e}"))?;
        let at = |e: String| format!("runs[{run_index}].results[{i}].{e}");
        let rule_id = result.rule_id.or_else(|| rule.map(|r| r.id.clone()));
        let kind = result.kind.unwrap_or_default();
        // §3.27.9: a result that is not a `fail` has level `none` or none at all. A
        // `pass` at level `error` contradicts itself; dropping it as "not a problem"
        // would trust the half that lets it through.
        if !kind.is_fail()
            && let Some(level) = result.level.filter(|l| *l != SarifLevel::None)
        {
            return Err(at(format!(
                "kind `{}` with level `{}`: SARIF allows level none (or none given) for a kind other than fail",
                kind.as_str(),
                level.as_str()
            )));
        }
        // §3.27.10: a result that is not a `fail` defaults to level `none`.
        let level = result.level.unwrap_or_else(|| {
            if !kind.is_fail() {
                return SarifLevel::None;
            }
            rule.and_then(|r| r.default_configuration.as_ref())
                .and_then(|c| c.level.as_deref())
                .and_then(SarifLevel::parse)
                .unwrap_or(SarifLevel::Warning)
        });
        let rated = match result.rated.map_err(at)? {
            Some(rated) => Some(rated),
            None => match rule.and_then(|r| r.properties.as_ref()) {
                Some(p) => p.security_severity().map_err(|e| {
                    format!(
                        "runs[{run_index}]: rule {}: {e}",
                        rule.map_or("", |r| r.id.as_str())
                    )
                })?,
                None => None,
            },
        };
        let (security_severity, severity_label) = match rated {
            Some(Rated::Score(s)) => (Some(s), None),
            Some(Rated::Label(l)) => (None, Some(l)),
            None => (None, None),
        };
        if let (Some(id), Some(r)) = (&rule_id, rule)
            && !rules.contains_key(id)
        {
            rules.insert(
                id.clone(),
                RuleInfo {
                    name: r
                        .name
                        .clone()
                        .or_else(|| r.short_description.as_ref().and_then(|d| d.text.clone())),
                    help_uri: r.help_uri.as_deref().map(smol_str::SmolStr::new),
                },
            );
        }
        results.push(SastResult {
            rule_id,
            level,
            security_severity,
            severity_label,
            message: resolve_message(result.message, rule),
            location: result.location.map(|(mut loc, base)| {
                loc.path =
                    resolve_base(loc.path.into(), base.as_deref(), &run.original_uri_base_ids)
                        .into();
                loc
            }),
            suppression: result.suppression,
            baseline_state: result.baseline_state,
            kind,
        });
    }
    Ok(SastRun {
        tool: driver.name.clone(),
        tool_version: driver
            .semantic_version
            .clone()
            .or_else(|| driver.version.clone()),
        execution_successful,
        tool_errors,
        rules,
        results,
    })
}

fn resolve_rule<'a>(
    result: &PendingResult,
    components: &[&'a ToolComponent],
    by_id: &HashMap<&str, &'a Rule>,
) -> Result<Option<&'a Rule>, String> {
    let index = result.rule_index;
    let component = match result.component_index {
        // toolComponent.index points into `extensions`; the driver is addressed by absence.
        Some(ext) => {
            let ext = usize::try_from(ext)
                .map_err(|_| "rule.toolComponent.index: negative".to_string())?;
            Some(*components.get(ext + 1).ok_or_else(|| {
                format!(
                    "rule.toolComponent.index: {ext} is out of range ({} extensions)",
                    components.len() - 1
                )
            })?)
        }
        None => None,
    };
    if let Some(index) = index.filter(|i| *i >= 0) {
        let c = component.unwrap_or(components[0]);
        let rule = c.rules.get(index as usize).ok_or_else(|| {
            format!(
                "ruleIndex: {index} is out of range ({} has {} rules)",
                c.name,
                c.rules.len()
            )
        })?;
        return Ok(Some(rule));
    }
    let id = result.rule_id.as_deref();
    Ok(id.and_then(|id| {
        by_id.get(id).copied().or_else(|| {
            // A hierarchical id (`CA2000/1`) falls back to its base rule (§3.27.5).
            id.split_once('/')
                .and_then(|(base, _)| by_id.get(base).copied())
        })
    }))
}

fn resolve_message(message: Message, rule: Option<&Rule>) -> String {
    if let Some(text) = message.text {
        if message.arguments.is_empty() {
            return text;
        }
        return format_message(&text, &message.arguments);
    }
    let Some(template) = message
        .id
        .as_deref()
        .and_then(|id| rule?.message_strings.get(id))
        .and_then(|m| m.text.as_deref())
    else {
        return String::new();
    };
    format_message(template, &message.arguments)
}

/// Longest message vouch builds from a template and its arguments: a report line,
/// not a document. Longer ones end with [`TRUNCATED`].
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
const TRUNCATED: &str = " [message truncated]";

/// The position of the `}` closing a `{digits}` placeholder at the start of `tail`:
/// only the digits are read, so a template of ten thousand `{` stays linear.
fn placeholder_end(tail: &str) -> Option<usize> {
    let digits = tail[1..].bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && tail.as_bytes().get(1 + digits) == Some(&b'}')).then_some(1 + digits)
}

/// Substitutes `{n}` placeholders with `arguments[n]` in one pass (SARIF §3.11.5):
/// an argument's own text is never searched again for placeholders, so a message
/// cannot expand itself. `{{` and `}}` stand for literal braces; a placeholder with no
/// argument is kept as written. The output is bounded by [`MAX_MESSAGE_BYTES`].
fn format_message(template: &str, arguments: &[String]) -> String {
    let mut out = String::with_capacity(template.len().min(MAX_MESSAGE_BYTES));
    let push = |out: &mut String, piece: &str| -> bool {
        let room = MAX_MESSAGE_BYTES - out.len();
        if piece.len() <= room {
            out.push_str(piece);
            return true;
        }
        let mut cut = room;
        while !piece.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&piece[..cut]);
        out.push_str(TRUNCATED);
        false
    };
    let mut rest = template;
    while let Some(pos) = rest.find(['{', '}']) {
        if !push(&mut out, &rest[..pos]) {
            return out;
        }
        let tail = &rest[pos..];
        let (piece, consumed) = if tail.starts_with("{{") {
            ("{", 2)
        } else if tail.starts_with("}}") {
            ("}", 2)
        } else if let Some(close) = placeholder_end(tail) {
            let arg = tail[1..close]
                .parse::<usize>()
                .ok()
                .and_then(|n| arguments.get(n));
            match arg {
                Some(arg) => (arg.as_str(), close + 1),
                None => (&tail[..=close], close + 1),
            }
        } else {
            (&tail[..1], 1)
        };
        if !push(&mut out, piece) {
            return out;
        }
        rest = &tail[consumed..];
    }
    push(&mut out, rest);
    out
}

/// The first physical location, with the `uriBaseId` its URI is relative to.
fn first_location(locations: &[SarifLocation]) -> Option<(Location, Option<String>)> {
    let phys = locations
        .iter()
        .find_map(|l| l.physical_location.as_ref())?;
    let artifact = phys.artifact_location.as_ref()?;
    let uri = artifact.uri.clone()?;
    let region = phys.region.as_ref();
    let location = Location {
        path: uri.into(),
        line: region.and_then(|r| r.start_line),
        column: region.and_then(|r| r.start_column),
        end_line: region.and_then(|r| r.end_line),
    };
    Some((location, artifact.uri_base_id.clone()))
}

/// Resolves a relative URI against `originalUriBaseIds` (§3.14.14), following nested
/// base ids a few levels. A base the log does not define (`%SRCROOT%` left for the
/// consumer) leaves the URI as it is: relative to the repository root.
fn resolve_base(uri: String, base_id: Option<&str>, bases: &HashMap<String, BaseUri>) -> String {
    let (mut uri, mut base_id) = (uri, base_id.map(str::to_string));
    for _ in 0..4 {
        let Some(base) = base_id.as_deref().and_then(|b| bases.get(b)) else {
            break;
        };
        let Some(prefix) = base.uri.as_deref() else {
            break;
        };
        if uri.contains("://") || uri.starts_with('/') {
            break; // already absolute
        }
        let sep = if prefix.ends_with('/') { "" } else { "/" };
        uri = format!("{prefix}{sep}{uri}");
        base_id = base.uri_base_id.clone();
    }
    uri
}

/// A result is suppressed only when every suppression is `accepted` (a missing status
/// means accepted, §3.35.3). One `underReview` or `rejected` suppression keeps it
/// gating: a reviewer's doubt or refusal outweighs someone else's acceptance.
fn fold_suppressions(suppressions: &Option<Vec<Suppression>>) -> SuppressionState {
    let Some(list) = suppressions.as_ref().filter(|l| !l.is_empty()) else {
        return SuppressionState::None;
    };
    let mut state = SuppressionState::Accepted;
    for s in list {
        match s.status.as_deref() {
            None | Some("accepted") => {}
            Some("underReview") => state = SuppressionState::UnderReview,
            // `rejected` wins over everything; unknown statuses are treated as rejected.
            _ => return SuppressionState::Rejected,
        }
    }
    state
}

/// A result reduced as soon as it is parsed, before its rule is resolved.
///
/// Results are converted one at a time inside the `results` array visitor, so the
/// raw result (with every optional SARIF field) never exists for the whole array at
/// once: on a 100 MB log that halves the memory of reading it.
struct PendingResult {
    rule_id: Option<String>,
    rule_index: Option<i64>,
    component_index: Option<i64>,
    level: Option<SarifLevel>,
    /// `properties.security-severity`, or why it is not a valid rating.
    rated: Result<Option<Rated>, String>,
    kind: Option<ResultKind>,
    message: Message,
    location: Option<(Location, Option<String>)>,
    suppression: SuppressionState,
    baseline_state: Option<BaselineState>,
}

impl From<SarifResult> for PendingResult {
    fn from(r: SarifResult) -> Self {
        let (rule_ref_id, rule_ref_index, component_index) = match r.rule {
            Some(rr) => (rr.id, rr.index, rr.tool_component.and_then(|t| t.index)),
            None => (None, None, None),
        };
        PendingResult {
            rule_id: r.rule_id.or(rule_ref_id),
            rule_index: r.rule_index.or(rule_ref_index),
            component_index,
            level: r.level,
            rated: r
                .properties
                .as_ref()
                .map_or(Ok(None), Properties::security_severity),
            kind: r.kind,
            location: first_location(&r.locations),
            suppression: fold_suppressions(&r.suppressions),
            message: r.message,
            baseline_state: r.baseline_state,
        }
    }
}

/// `results` when present, so that an absent array stays distinguishable from `[]`.
fn pending_results_present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<PendingResult>>, D::Error> {
    pending_results(d).map(Some)
}

/// Deserializes `run.results`, reducing each element as it arrives.
fn pending_results<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<PendingResult>, D::Error> {
    struct Results;
    impl<'de> serde::de::Visitor<'de> for Results {
        type Value = Vec<PendingResult>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of SARIF results")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
            while let Some(raw) = seq.next_element::<SarifResult>()? {
                out.push(PendingResult::from(raw));
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Results)
}

#[cfg(test)]
mod tests;
