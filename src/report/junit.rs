//! The JUnit XML sink, in the dialect GitLab test reports and Jenkins read: one
//! `<testsuite>` named `vouch`, one `<testcase classname="vouch.<control>">` per
//! control. `fail` becomes `<failure>`, `error` becomes `<error>`, `skipped` becomes
//! `<skipped/>`; `pass` and `waived` pass, with the summary and any waived findings
//! (and their waivers) in `<system-out>`. When the run signed attestations, one more
//! `<testcase classname="vouch.attestation">` says so, with a `<failure>` when signing
//! or publishing failed (the run exits 1 then, so the test report must not pass).
//!
//! `schemas/junit.xsd` describes exactly this subset; `tests/it/report_sinks.rs`
//! validates the output against it. Untrusted text goes through [`escape::xml_chars`]
//! (XML 1.0 forbids most control characters outright, escaped or not) before quick-xml
//! escapes the markup.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{Report, escape, waiver_label};
use crate::checks::{Finding, FindingKind};
use crate::verdict::{ControlOutcome, Status, WaiverState};

/// Renders the report as a JUnit XML document with a trailing newline.
pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("writing XML into a Vec cannot fail");
    String::from_utf8(out).expect("quick-xml writes the UTF-8 it is given")
}

/// Writes what [`render`] returns to `out`, without holding it in memory.
pub fn write(report: &Report, out: impl io::Write) -> io::Result<()> {
    let mut w = Writer::new_with_indent(out, b' ', 2);
    write_document(&mut w, report)?;
    w.into_inner().write_all(b"\n")
}

/// Counts for the `tests`/`failures`/`errors`/`skipped` attributes, which GitLab and
/// Jenkins show as the run's totals.
struct Counts {
    tests: String,
    failures: String,
    errors: String,
    skipped: String,
}

impl Counts {
    fn of(report: &Report) -> Self {
        let n = |s: Status| report.controls.iter().filter(|c| c.status == s).count();
        let attestation = report.attestation.as_ref();
        let attestation_failed = attestation.is_some_and(|a| !a.ok());
        Counts {
            tests: (report.controls.len() + usize::from(attestation.is_some())).to_string(),
            failures: (n(Status::Fail) + usize::from(attestation_failed)).to_string(),
            errors: n(Status::Error).to_string(),
            skipped: n(Status::Skipped).to_string(),
        }
    }

    fn attributes(&self) -> [(&'static str, &str); 4] {
        [
            ("tests", &self.tests),
            ("failures", &self.failures),
            ("errors", &self.errors),
            ("skipped", &self.skipped),
        ]
    }
}

fn write_document<W: io::Write>(w: &mut Writer<W>, report: &Report) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let counts = Counts::of(report);
    w.create_element("testsuites")
        .with_attribute(("name", "vouch"))
        .with_attributes(counts.attributes())
        .write_inner_content(|w| {
            let mut suite = w
                .create_element("testsuite")
                .with_attribute(("name", "vouch"))
                .with_attributes(counts.attributes());
            let timestamp = timestamp(&report.time);
            if let Some(ts) = &timestamp {
                suite = suite.with_attribute(("timestamp", ts.as_str()));
            }
            suite.write_inner_content(|w| {
                write_properties(w, report)?;
                for control in &report.controls {
                    write_testcase(w, report, control)?;
                }
                if let Some(attestation) = &report.attestation {
                    write_attestation(w, attestation)?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

/// The evaluation time, only when it is a valid `xs:dateTime` (RFC 3339 is a subset);
/// an unparsable time is left out rather than making the document invalid.
fn timestamp(time: &str) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(time, &Rfc3339).ok()?;
    t.format(&Rfc3339).ok()
}

/// Run-level facts as `<properties>`: Jenkins shows them, GitLab ignores them.
fn write_properties<W: io::Write>(w: &mut Writer<W>, report: &Report) -> io::Result<()> {
    let verdict = match report.verdict {
        crate::verdict::Overall::Pass => "pass",
        crate::verdict::Overall::Fail => "fail",
    };
    let mut props: Vec<(&str, String)> = vec![
        ("vouch.version", report.tool.version.clone()),
        ("verdict", verdict.into()),
        ("policy", report.policy.path.clone()),
        ("policy.sha256", report.policy.sha256.clone()),
    ];
    let s = &report.subject;
    for (name, value) in [
        ("repository", &s.repository),
        ("commit", &s.commit),
        ("ref", &s.git_ref),
        ("run_url", &report.context.run_url),
    ] {
        if let Some(v) = value {
            props.push((name, v.clone()));
        }
    }
    w.create_element("properties").write_inner_content(|w| {
        for (name, value) in &props {
            w.create_element("property")
                .with_attribute(("name", *name))
                .with_attribute(("value", attr(value).as_str()))
                .write_empty()?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_testcase<W: io::Write>(
    w: &mut Writer<W>,
    report: &Report,
    control: &ControlOutcome,
) -> io::Result<()> {
    let classname = format!("vouch.{}", attr(&control.id));
    let name = attr(&control.title);
    let blocking: Vec<&Finding> = control
        .findings
        .iter()
        .filter(|f| f.is_blocking())
        .collect();
    let advisory = if control.required {
        ""
    } else {
        " (advisory: does not fail the run)"
    };
    w.create_element("testcase")
        .with_attribute(("classname", classname.as_str()))
        .with_attribute(("name", name.as_str()))
        .write_inner_content(|w| {
            match control.status {
                Status::Fail => {
                    let message = format!(
                        "{} blocking finding(s){advisory}: {}",
                        blocking.len(),
                        control.summary
                    );
                    w.create_element("failure")
                        .with_attribute(("message", attr(&message).as_str()))
                        .with_attribute(("type", "vouch.fail"))
                        .write_inner_content(|w| write_findings(w, &blocking))?;
                }
                Status::Error => {
                    let errors = blocking
                        .iter()
                        .filter(|f| f.kind == FindingKind::Error)
                        .count();
                    let message = format!(
                        "could not be evaluated, {errors} error(s){advisory}: {}",
                        control.summary
                    );
                    w.create_element("error")
                        .with_attribute(("message", attr(&message).as_str()))
                        .with_attribute(("type", "vouch.error"))
                        .write_inner_content(|w| write_findings(w, &blocking))?;
                }
                Status::Skipped => {
                    w.create_element("skipped")
                        .with_attribute(("message", attr(&control.summary).as_str()))
                        .write_empty()?;
                    return Ok(());
                }
                Status::Pass | Status::Waived => {}
            }
            w.create_element("system-out")
                .write_text_content(BytesText::new(&system_out(report, control)))?;
            Ok(())
        })?;
    Ok(())
}

/// The attestation step as a test case of its own: signing or publishing that failed
/// is a `<failure>` listing what failed; what was signed and published is the output.
fn write_attestation<W: io::Write>(
    w: &mut Writer<W>,
    attestation: &super::AttestationSummary,
) -> io::Result<()> {
    w.create_element("testcase")
        .with_attribute(("classname", "vouch.attestation"))
        .with_attribute(("name", "Signed attestations"))
        .write_inner_content(|w| {
            let problems = attestation.problems();
            if let Some(first) = problems.first() {
                let body: String = problems.iter().map(|p| format!("{}\n", block(p))).collect();
                w.create_element("failure")
                    .with_attribute(("message", attr(first).as_str()))
                    .with_attribute(("type", "vouch.fail"))
                    .write_text_content(BytesText::new(&body))?;
            }
            let out: String = attestation
                .achievements()
                .iter()
                .map(|a| format!("{}\n", attr(a)))
                .collect();
            w.create_element("system-out")
                .write_text_content(BytesText::new(&out))?;
            Ok(())
        })?;
    Ok(())
}

/// Every blocking finding with what a reader needs to act: code, severity, location,
/// message, remediation and link; one text event a finding, so that the body of a
/// 200,000-finding gate is never a single string.
fn write_findings<W: io::Write>(w: &mut Writer<W>, findings: &[&Finding]) -> io::Result<()> {
    for (i, f) in findings.iter().enumerate() {
        let mut out = finding_head(i + 1, f);
        out.push_str(&format!("\n    fix: {}", block(&f.remediation)));
        if let Some(uri) = &f.help_uri {
            out.push_str(&format!("\n    see: {}", attr(uri)));
        }
        out.push('\n');
        w.write_event(Event::Text(BytesText::new(&out)))?;
    }
    Ok(())
}

/// `[1] code (severity) at path:line:col` then the message, indented.
fn finding_head(n: usize, f: &Finding) -> String {
    let severity = f.severity.map(|s| format!(" ({s})")).unwrap_or_default();
    let at = f
        .location
        .as_ref()
        .map(|l| {
            let mut s = format!(" at {}", attr(&l.path));
            // 0 is some scanners' "whole file", not a position.
            if let Some(line) = l.line.filter(|&n| n >= 1) {
                s.push_str(&format!(":{line}"));
                if let Some(col) = l.column {
                    s.push_str(&format!(":{col}"));
                }
            }
            s
        })
        .unwrap_or_default();
    format!(
        "[{n}] {}{severity}{at}\n    {}",
        attr(&f.code),
        block(&f.message)
    )
}

/// The control's summary, then each waived finding with the waiver that covers it.
fn system_out(report: &Report, control: &ControlOutcome) -> String {
    let mut out = format!("summary: {}\n", attr(&control.summary));
    let waived: Vec<&Finding> = control
        .findings
        .iter()
        .filter(|f| !f.is_blocking())
        .collect();
    if !waived.is_empty() {
        out.push_str(&format!("waived findings: {}\n", waived.len()));
    }
    for (i, f) in waived.iter().enumerate() {
        out.push_str(&finding_head(i + 1, f));
        if let Some(wr) = &f.waiver {
            // `get`, not indexing: a report read back from JSON may be inconsistent,
            // and a sink must not panic on it.
            let by = report.waivers.get(wr.index).map_or_else(
                || format!("waiver #{}", wr.index),
                |w| {
                    let mut by = attr(&waiver_label(&w.source));
                    if let Some(owner) = &w.owner {
                        by.push_str(&format!(", owner {}", attr(owner)));
                    }
                    if let Some(expires) = &w.expires {
                        by.push_str(&format!(", expires {}", attr(expires)));
                    }
                    by
                },
            );
            out.push_str(&format!(
                "\n    waived by {by}\n    reason: {}",
                block(&wr.reason)
            ));
        }
        out.push('\n');
    }
    // Expired exceptions explain a failure (the waiver no longer applies); unused ones
    // are candidates for removal. GitLab shows this text with the test case.
    for w in report.waivers.iter().filter(|w| w.control == control.id) {
        let state = match w.state {
            WaiverState::Expired => "EXPIRED, not honored",
            WaiverState::TooLong => {
                "NOT HONORED: expires beyond the policy's maximum exception lifetime"
            }
            WaiverState::Unused => "unused, matched nothing",
            WaiverState::Applied if w.too_broad => {
                "applied, TOO BROAD: it waives every finding of the control"
            }
            WaiverState::Applied => continue,
        };
        let expires = w
            .expires
            .as_deref()
            .map(|e| format!(", expires {}", attr(e)))
            .unwrap_or_default();
        out.push_str(&format!(
            "exception {} ({}{expires}): {state}\n    reason: {}\n",
            attr(&waiver_label(&w.source)),
            attr(&w.matches),
            block(&w.reason)
        ));
    }
    out
}

/// Untrusted text for an attribute or a one-line field: line breaks become spaces
/// (a parser would turn them into spaces in an attribute anyway, and in a list they
/// could fake a new entry), then XML-forbidden characters are made visible.
fn attr(s: &str) -> String {
    escape::xml_chars(&s.replace("\r\n", " ").replace(['\r', '\n'], " "))
}

/// Untrusted multi-line text inside a list entry: kept multi-line, but every
/// continuation line starts with `    | `, so a message can neither fake the start of
/// another entry nor start a line with `::` (GitHub reads workflow commands after
/// leading white space when this report is printed in a job log).
fn block(s: &str) -> String {
    escape::xml_chars(&s.replace("\r\n", "\n").replace('\r', "\n")).replace('\n', "\n    | ")
}

#[cfg(test)]
mod tests;
