//! The terminal report: a summary table, then every blocking finding with its reason,
//! location and remediation, then waivers. Colors only when the caller allows them
//! (a TTY without `NO_COLOR`); untrusted text always goes through [`escape::terminal`].

use crate::release::outcome::AssetStatus;
use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::{Report, escape};
use crate::checks::{Finding, FindingKind};
use crate::verdict::{Overall, Status, WaiverSource, WaiverState};

/// Renders the text report.
pub fn render(report: &Report, color: bool) -> String {
    let mut bytes = Vec::new();
    // Writing to a Vec cannot fail, and every piece written is a `String`.
    let _ = write(report, color, &mut bytes);
    String::from_utf8(bytes).unwrap_or_default()
}

/// How much text is gathered before it goes to the writer.
const CHUNK: usize = 1 << 16;

/// Writes the text report to `w` as it is made, a chunk at a time: a gate with
/// 200,000 findings makes over 100 MB of text, which need not all exist at once.
pub fn write(report: &Report, color: bool, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let paint = |style: Style, text: &str| -> String {
        if color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    };
    let red = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
    let green = Style::new().fg_color(Some(AnsiColor::Green.into())).bold();
    let yellow = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
    let dim = Style::new().dimmed();
    let bold = Style::new().bold();

    let mut out = String::new();
    let verdict = match report.verdict {
        Overall::Pass => paint(green, "PASS"),
        Overall::Fail => paint(red, "FAIL"),
    };
    let _ = writeln!(out, "vouch {}: verdict {verdict}", report.tool.version);
    let mut subject = Vec::new();
    if let Some(r) = &report.subject.repository {
        subject.push(escape::terminal(r));
    }
    if let Some(c) = &report.subject.commit {
        subject.push(format!("@ {}", escape::terminal(c)));
    }
    if let Some(r) = &report.subject.git_ref {
        subject.push(format!("({})", escape::terminal(r)));
    }
    if !subject.is_empty() {
        let _ = writeln!(out, "subject: {}", subject.join(" "));
    }
    let _ = writeln!(
        out,
        "policy:  {} (sha256 {})",
        escape::terminal(&report.policy.path),
        &report.policy.sha256
    );
    out.push('\n');

    let id_w = report
        .controls
        .iter()
        .map(|c| c.id.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let _ = writeln!(
        out,
        "{}",
        paint(
            bold,
            &format!(
                "{:<id_w$}  {:<7}  {:<8}  {:>8}  SUMMARY",
                "CONTROL", "STATUS", "REQUIRED", "BLOCKING"
            )
        )
    );
    for c in &report.controls {
        let status = format!("{:<7}", c.status.as_str());
        let status = match c.status {
            Status::Pass => paint(green, &status),
            Status::Fail | Status::Error => paint(red, &status),
            Status::Waived => paint(yellow, &status),
            Status::Skipped => paint(dim, &status),
        };
        let blocking = c.findings.iter().filter(|f| f.is_blocking()).count();
        let required = if c.status == Status::Skipped {
            "-"
        } else if c.required {
            "yes"
        } else {
            "advisory"
        };
        let _ = writeln!(
            out,
            "{:<id_w$}  {status}  {required:<8}  {blocking:>8}  {}",
            c.id,
            escape::terminal(&c.summary)
        );
    }

    if let Some(release) = &report.release {
        let _ = writeln!(
            out,
            "\n{} {}@{}: {} verified, {} unverified, {} not covered",
            paint(bold, "Release"),
            escape::terminal(&release.repository),
            escape::terminal(&release.tag),
            release.count(AssetStatus::Verified),
            release.count(AssetStatus::Unverified),
            release.count(AssetStatus::NotCovered)
        );
        for asset in &release.assets {
            let status = format!("{:<11}", asset.status.as_str());
            let status = match asset.status {
                AssetStatus::Verified => paint(green, &status),
                AssetStatus::Unverified => paint(red, &status),
                AssetStatus::NotCovered => paint(dim, &status),
            };
            let _ = writeln!(
                out,
                "  {status}  {:<11}  {}",
                asset.kind.as_str(),
                escape::terminal(&asset.name)
            );
            for reason in &asset.reasons {
                let _ = writeln!(out, "               {}", escape::terminal(reason));
            }
            for note in &asset.notes {
                let _ = writeln!(
                    out,
                    "               {}",
                    paint(dim, &format!("note: {}", escape::terminal(note)))
                );
            }
        }
    }

    let blocking: Vec<(&str, &Finding)> = report
        .controls
        .iter()
        .flat_map(|c| {
            c.findings
                .iter()
                .filter(|f| f.is_blocking())
                .map(move |f| (c.id.as_str(), f))
        })
        .collect();
    if !blocking.is_empty() {
        let _ = writeln!(out, "\n{}", paint(bold, "Findings"));
        for (_, f) in &blocking {
            if out.len() > CHUNK {
                w.write_all(out.as_bytes())?;
                out.clear();
            }
            let mark = if f.kind == FindingKind::Error {
                paint(red, "error")
            } else {
                paint(red, "fail ")
            };
            let sev = f.severity.map(|s| format!(" [{s}]")).unwrap_or_default();
            let _ = writeln!(out, "  {mark} {}{sev}{}", f.code, location_suffix(f));
            let _ = writeln!(out, "        {}", escape::terminal(&f.message));
            let _ = writeln!(
                out,
                "        {} {}",
                paint(dim, "fix:"),
                escape::terminal(&f.remediation)
            );
            if let Some(uri) = &f.help_uri {
                let _ = writeln!(
                    out,
                    "        {} {}",
                    paint(dim, "see:"),
                    escape::terminal(uri)
                );
            }
        }
    }

    let waived: Vec<&Finding> = report
        .controls
        .iter()
        .flat_map(|c| &c.findings)
        .filter(|f| !f.is_blocking())
        .collect();
    if !waived.is_empty() {
        let _ = writeln!(out, "\n{}", paint(bold, "Waived findings"));
        for f in waived {
            if out.len() > CHUNK {
                w.write_all(out.as_bytes())?;
                out.clear();
            }
            let waiver = f
                .waiver
                .as_ref()
                .expect("non-blocking findings carry a waiver");
            let _ = writeln!(
                out,
                "  {} {}{}: {}\n        waived by {}: {}",
                paint(yellow, "waived"),
                f.code,
                location_suffix(f),
                escape::terminal(&f.message),
                waiver_name(&report.waivers[waiver.index].source),
                escape::terminal(&waiver.reason)
            );
        }
    }

    if !report.waivers.is_empty() {
        let _ = writeln!(out, "\n{}", paint(bold, "Exceptions"));
        for waiver in &report.waivers {
            let state = match waiver.state {
                WaiverState::Applied if waiver.too_broad => paint(
                    yellow,
                    "applied, TOO BROAD (waives every finding of the control)",
                ),
                WaiverState::Applied => paint(green, "applied"),
                WaiverState::Expired => paint(red, "EXPIRED, not honored"),
                WaiverState::TooLong => paint(
                    red,
                    "NOT HONORED: expires beyond the maximum exception lifetime",
                ),
                WaiverState::Unused => paint(yellow, "unused"),
            };
            let expires = waiver
                .expires
                .as_deref()
                .map(|e| format!(", expires {e}"))
                .unwrap_or_default();
            let owner = waiver
                .owner
                .as_deref()
                .map(|o| format!(", owner {}", escape::terminal(o)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} [{}] {}: {state}, {} finding(s){owner}{expires}\n        reason: {}",
                waiver_name(&waiver.source),
                waiver.control,
                escape::terminal(&waiver.matches),
                waiver.matched_findings,
                escape::terminal(&waiver.reason)
            );
        }
    }
    if let Some(attestation) = &report.attestation {
        let _ = writeln!(out, "\n{}", paint(bold, "Attestations"));
        for file in &attestation.files {
            let _ = writeln!(out, "  signed {}", escape::terminal(file));
        }
        for published in &attestation.published {
            let state = if published.ok {
                paint(green, "published")
            } else {
                paint(red, "PUBLISH FAILED")
            };
            let _ = writeln!(
                out,
                "  {} {state}: {}{}",
                published.target,
                escape::terminal(&published.detail),
                if published.ids.is_empty() {
                    String::new()
                } else {
                    format!(" (ids {})", escape::terminal(&published.ids.join(", ")))
                }
            );
        }
        if let Some(error) = &attestation.error {
            let _ = writeln!(
                out,
                "  {}: {}",
                paint(red, "SIGNING FAILED"),
                escape::terminal(error)
            );
        }
    }
    w.write_all(out.as_bytes())
}

fn location_suffix(f: &Finding) -> String {
    match &f.location {
        Some(l) => {
            let line = l.line.map(|n| format!(":{n}")).unwrap_or_default();
            format!(" at {}{line}", escape::terminal(&l.path))
        }
        None => String::new(),
    }
}

/// `exceptions[2] (line 31)` or `VEX file.json`.
pub fn waiver_name(source: &WaiverSource) -> String {
    match source {
        WaiverSource::Policy { index, line } => format!("exceptions[{index}] (policy line {line})"),
        WaiverSource::Vex { file } => format!("VEX {}", escape::terminal(file)),
    }
}
