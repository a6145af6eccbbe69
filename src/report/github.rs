//! GitHub Actions annotations: workflow commands that pin blocking findings to the
//! diff (`::error file=…,line=…::…`) and flag expired exceptions (`::warning`).
//!
//! These lines go to stdout, where the runner executes every line that starts with
//! `::`, so untrusted text is the most dangerous here: a newline in a scanner message
//! would let it issue its own commands (`::add-mask::`, `::stop-commands::`, a fake
//! `::error::`). Properties go through [`escape::workflow_property`] and the message
//! through [`escape::workflow_data`], which percent-encode line breaks, `%`, and
//! property separators; nothing untrusted is written raw.

use std::fmt::Write;

use super::{Report, escape, waiver_label};
use crate::checks::Finding;
use crate::checks::sast::repo_path;
use crate::verdict::{WaiverSource, WaiverState, WaiverUse};

/// Most annotation lines written. GitHub shows 10 errors and 10 warnings per step and
/// 50 annotations per job; more only slow the log down.
pub const MAX_ANNOTATIONS: usize = 50;

/// Slots kept for expired-exception warnings when errors alone would fill the cap:
/// GitHub displays warnings apart from errors, so up to 10 of them stay visible.
const RESERVED_WARNINGS: usize = 10;

/// Workflow commands for the report: one `::error` per blocking finding that has a
/// location, one `::warning` per expired exception, capped at [`MAX_ANNOTATIONS`] with
/// a final `::notice` counting what was left out. Every line starts with `::`.
pub fn annotations(report: &Report) -> String {
    let errors: Vec<String> = report
        .controls
        .iter()
        .flat_map(|c| &c.findings)
        .filter(|f| f.is_blocking())
        .filter_map(|f| error_line(f, report.context.workspace.as_deref()))
        .collect();
    let warnings: Vec<String> = report
        .waivers
        .iter()
        .filter(|w| matches!(w.state, WaiverState::Expired | WaiverState::TooLong) || w.too_broad)
        .map(|w| warning_line(report, w))
        .collect();

    let warning_slots = warnings.len().min(RESERVED_WARNINGS);
    let error_slots = errors.len().min(MAX_ANNOTATIONS - warning_slots);
    let warning_slots = warnings.len().min(MAX_ANNOTATIONS - error_slots);
    let omitted_errors = errors.len() - error_slots;
    let omitted_warnings = warnings.len() - warning_slots;

    let mut out = String::new();
    for line in errors.iter().take(error_slots) {
        out.push_str(line);
    }
    for line in warnings.iter().take(warning_slots) {
        out.push_str(line);
    }
    if omitted_errors + omitted_warnings > 0 {
        let text = format!(
            "{} more annotation(s) omitted ({omitted_errors} error(s), {omitted_warnings} \
             warning(s)); the job summary and the SARIF report list every finding.",
            omitted_errors + omitted_warnings
        );
        let _ = writeln!(
            out,
            "::notice title=vouch::{}",
            escape::workflow_data(&text)
        );
    }
    out
}

/// `::error file=…,line=…,col=…,endLine=…,title=…::message`, or nothing when the
/// finding points at no file (it is in the job summary instead).
fn error_line(f: &Finding, workspace: Option<&str>) -> Option<String> {
    let loc = f.location.as_ref()?;
    // GitHub matches `file` against repository-relative paths: drop the `file://` and
    // `./` prefixes SARIF inputs often carry.
    let mut props = format!(
        "file={}",
        escape::workflow_property(&repo_path(&loc.path, workspace).path)
    );
    // Positions are 1-based; 0 (some scanners' "whole file") is left out.
    if let Some(line) = loc.line.filter(|&l| l >= 1) {
        let _ = write!(props, ",line={line}");
        if let Some(col) = loc.column.filter(|&c| c >= 1) {
            let _ = write!(props, ",col={col}");
        }
        if let Some(end) = loc.end_line.filter(|&e| e >= line) {
            let _ = write!(props, ",endLine={end}");
        }
    }
    let title = match f.severity {
        Some(sev) => format!("vouch {} ({sev})", f.code),
        None => format!("vouch {}", f.code),
    };
    let _ = write!(props, ",title={}", escape::workflow_property(&title));
    // The annotation shows a multi-line message: the finding, then how to fix it.
    let message = format!("{}\nFix: {}", f.message, f.remediation);
    Some(format!(
        "::error {props}::{}\n",
        escape::workflow_data(&message)
    ))
}

/// `::warning` for an exception past its expiry: it no longer waives anything, which
/// is usually why the run fails. Policy exceptions point at their line in the policy.
fn warning_line(report: &Report, w: &WaiverUse) -> String {
    let mut props = String::new();
    if let WaiverSource::Policy { line, .. } = &w.source {
        let _ = write!(
            props,
            "file={},line={line},",
            escape::workflow_property(
                &repo_path(&report.policy.path, report.context.workspace.as_deref()).path
            )
        );
    }
    let (what, problem) = match w.state {
        WaiverState::TooLong => (
            "exception past the maximum lifetime",
            format!(
                "expires on {} (beyond the policy's max_exception_lifetime_days) and is not honored; it would have waived {} finding(s). Give it a nearer expiry date.",
                w.expires.as_deref().unwrap_or("a later date"),
                w.matched_findings
            ),
        ),
        WaiverState::Expired => (
            "expired exception",
            format!(
                "expired on {} and is not honored; it would have waived {} finding(s). Renew it with a new date or fix the findings.",
                w.expires.as_deref().unwrap_or("an earlier date"),
                w.matched_findings
            ),
        ),
        _ => (
            "too broad exception",
            format!(
                "waives every finding of the control ({}); narrow it to the findings it is meant for.",
                w.matched_findings
            ),
        ),
    };
    let title = format!("vouch: {what} {}", waiver_label(&w.source));
    let _ = write!(props, "title={}", escape::workflow_property(&title));
    let message = format!(
        "{} for control {} (matching {}) {problem}\nReason: {}",
        waiver_label(&w.source),
        w.control,
        w.matches,
        w.reason
    );
    format!("::warning {props}::{}\n", escape::workflow_data(&message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn no_injected_line_can_start_a_command() {
        let out = annotations(&fixtures::report());
        assert!(!out.is_empty());
        assert!(out.ends_with('\n'));
        assert!(!out.contains('\r'));
        for line in out.lines() {
            assert!(line.starts_with("::"), "line is not a command: {line:?}");
            assert!(!line.chars().any(|c| c.is_control()), "{line:?}");
            assert!(!line.contains('\u{202E}'));
        }
        // The hostile text is still visible, as inert data.
        assert!(out.contains("%0A::error::pwned%0D%0A"));
        assert!(out.contains("100%25"));
    }

    #[test]
    fn properties_cannot_be_closed_or_extended_by_their_values() {
        let out = annotations(&fixtures::report());
        for line in out.lines() {
            let rest = line.strip_prefix("::").unwrap();
            let (command, rest) = rest.split_once(' ').unwrap();
            assert!(matches!(command, "error" | "warning"), "{line}");
            // The first `::` ends the properties; values hold no raw `:` or `,`, so
            // every comma-separated piece is one known property.
            let (props, _message) = rest.split_once("::").unwrap();
            assert!(!props.contains(':'), "{props}");
            for prop in props.split(',') {
                let (key, _) = prop.split_once('=').expect("key=value");
                assert!(
                    matches!(key, "file" | "line" | "col" | "endLine" | "title"),
                    "unexpected property {key:?} in {line}"
                );
            }
        }
    }

    #[test]
    fn errors_for_located_blocking_findings_and_warnings_for_expired_exceptions() {
        let out = annotations(&fixtures::report());
        let lines: Vec<&str> = out.lines().collect();
        // Blocking findings with a location: the critical SAST one (line 0, so no
        // line), the hostile one, and the SCA one in Cargo.lock; the waived finding and
        // the ones without location are not annotated.
        let errors: Vec<&&str> = lines.iter().filter(|l| l.starts_with("::error ")).collect();
        assert_eq!(errors.len(), 3, "{out}");
        assert!(errors[0].starts_with(
            "::error file=/src/server old.js,title=vouch sast/result-over-threshold (critical)::"
        ));
        // Property values cannot close the property list or the command.
        let hostile = errors[1];
        assert!(hostile.starts_with("::error file=src/app.jsx%0A%3A%3Aerror%3A%3Apwned%0D%0A"));
        assert!(
            hostile.contains(
                ",line=12,col=5,endLine=14,title=vouch sast/result-over-threshold (high)::"
            )
        );
        assert!(errors[2].starts_with("::error file=Cargo.lock,title="));
        assert!(!out.contains("js/eval"));

        let warnings: Vec<&&str> = lines
            .iter()
            .filter(|l| l.starts_with("::warning "))
            .collect();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].starts_with(
            "::warning file=.vouch/policy.yaml,line=38,title=vouch%3A expired exception exceptions[1] (policy line 38)::"
        ));
        assert!(warnings[0].contains("expired on 2026-01-31 and is not honored"));
        assert!(!out.contains("::notice"));
    }

    #[test]
    fn annotations_are_capped_with_a_notice() {
        let out = annotations(&fixtures::report_with_many_findings(100, 10));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), MAX_ANNOTATIONS + 1);
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("::warning ")).count(),
            1
        );
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("::error ")).count(),
            49
        );
        // 103 located blocking findings, 49 shown.
        assert_eq!(
            *lines.last().unwrap(),
            "::notice title=vouch::54 more annotation(s) omitted (54 error(s), 0 warning(s)); \
             the job summary and the SARIF report list every finding."
        );
    }
}
