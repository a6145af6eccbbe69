//! The Markdown sink, for `$GITHUB_STEP_SUMMARY` and merge-request comments: the
//! verdict, a table of controls, then the blocking findings, the waived ones, the
//! exceptions that need attention (expired, unused) and the per-change records.
//!
//! Untrusted text goes through [`escape::markdown`], which makes it inert inline text:
//! no HTML, no mentions, no table breaks, no line breaks. Output size is bounded for
//! GitHub's 1 MiB step-summary limit: lists over [`COLLAPSE_OVER`] entries are folded
//! under `<details>`, single fields are clipped, and the whole document is cut below
//! [`MAX_BYTES`] with a note saying so.

use crate::release::outcome::AssetStatus;
use std::fmt::Write;

use super::{Report, escape, waiver_label};
use crate::checks::change_record::{ChangeRecord, RuleStatus};
use crate::checks::{Finding, FindingKind};
use crate::verdict::{Overall, Status, WaiverState, WaiverUse};

/// Lists longer than this are collapsed under `<details>`.
pub const COLLAPSE_OVER: usize = 50;

/// The output is always shorter than this many bytes: GitHub rejects step summaries
/// over 1 MiB (1,048,576 bytes); this keeps a margin for whatever else the job writes.
pub const MAX_BYTES: usize = 1_000_000;

/// Longest message, summary or reason shown, in characters; the full text is in the
/// JSON and SARIF reports.
const MAX_FIELD_CHARS: usize = 2_000;

/// Renders the report as GitHub-flavored Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let (mark, word) = match report.verdict {
        Overall::Pass => ("✅", "PASS"),
        Overall::Fail => ("❌", "FAIL"),
    };
    let _ = writeln!(out, "## {mark} vouch: {word}\n");

    let s = &report.subject;
    let mut subject = Vec::new();
    if let Some(r) = &s.repository {
        subject.push(md(r));
    }
    if let Some(c) = &s.commit {
        subject.push(format!("commit {}", commit_link(report, c)));
    }
    if let Some(r) = &s.git_ref {
        subject.push(format!("ref {}", md(r)));
    }
    if !subject.is_empty() {
        // Two trailing spaces: a hard line break between the header lines.
        let _ = writeln!(out, "**Subject:** {}  ", subject.join(", "));
    }
    let _ = writeln!(
        out,
        "**Policy:** {} (sha256 {})  ",
        md(&report.policy.path),
        md(&report.policy.sha256)
    );
    let _ = writeln!(
        out,
        "**Evaluated:** {} by vouch {}\n",
        md(&report.time),
        md(&report.tool.version)
    );

    if let Some(release) = &report.release {
        let _ = writeln!(
            out,
            // Not `OWNER/REPO@TAG`: a bare `@` is a mention on GitHub.
            "**Release:** {}, tag {}: {} verified, {} unverified, {} not covered\n",
            md(&release.repository),
            md(&release.tag),
            release.count(AssetStatus::Verified),
            release.count(AssetStatus::Unverified),
            release.count(AssetStatus::NotCovered)
        );
        out.push_str("| Asset | Kind | Outcome | sha256 | Why |\n");
        out.push_str("| --- | --- | --- | --- | --- |\n");
        for a in &release.assets {
            let outcome = match a.status {
                AssetStatus::Verified => "✅ verified",
                AssetStatus::Unverified => "❌ unverified",
                AssetStatus::NotCovered => "⚪ not covered",
            };
            let why: Vec<String> = a
                .reasons
                .iter()
                .map(|r| md(r))
                .chain(a.notes.iter().map(|n| format!("note: {}", md(n))))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {outcome} | {} | {} |",
                md(&a.name),
                a.kind.as_str(),
                a.sha256.as_deref().map(short).map(md).unwrap_or_default(),
                why.join("<br>")
            );
        }
        out.push('\n');
    }

    out.push_str("| Control | Status | Required | Blocking | Summary |\n");
    out.push_str("| --- | --- | --- | ---: | --- |\n");
    // Enabled controls first; the ones the policy does not enable fit on one line below.
    for c in report
        .controls
        .iter()
        .filter(|c| c.status != Status::Skipped)
    {
        let status = match c.status {
            Status::Pass => "✅ pass",
            Status::Fail => "❌ fail",
            Status::Error => "⚠️ error",
            Status::Waived => "🟨 waived",
            Status::Skipped => "⚪ skipped",
        };
        let required = if c.status == Status::Skipped {
            "–"
        } else if c.required {
            "yes"
        } else {
            "advisory"
        };
        let blocking = c.findings.iter().filter(|f| f.is_blocking()).count();
        let _ = writeln!(
            out,
            "| {} ({}) | {status} | {required} | {blocking} | {} |",
            md(&c.title),
            md(&c.id),
            md(&c.summary)
        );
    }

    let skipped: Vec<String> = report
        .controls
        .iter()
        .filter(|c| c.status == Status::Skipped)
        .map(|c| md(&c.id))
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(out, "\nNot enabled by the policy: {}.", skipped.join(", "));
    }

    let blocking: Vec<&Finding> = report
        .controls
        .iter()
        .flat_map(|c| &c.findings)
        .filter(|f| f.is_blocking())
        .collect();
    if !blocking.is_empty() {
        let items = blocking.iter().map(|f| blocking_item(f));
        section(&mut out, "Findings", "blocking finding(s)", items);
    }

    let waived: Vec<&Finding> = report
        .controls
        .iter()
        .flat_map(|c| &c.findings)
        .filter(|f| !f.is_blocking())
        .collect();
    if !waived.is_empty() {
        let items = waived.iter().map(|f| waived_item(report, f));
        section(&mut out, "Waived", "waived finding(s)", items);
    }

    // Applied waivers are already shown beside the findings they cover; what needs a
    // person's attention is an exception that stopped working or never matched.
    let attention: Vec<String> = report
        .waivers
        .iter()
        .filter(|w| w.state != WaiverState::Applied)
        .map(exception_item)
        .collect();
    if !attention.is_empty() {
        section(
            &mut out,
            "Exceptions",
            "exception(s)",
            attention.into_iter(),
        );
    }

    for c in report.controls.iter().filter(|c| !c.changes.is_empty()) {
        changes_table(&mut out, &c.title, &c.changes);
    }

    if let Some(attestation) = &report.attestation {
        let mut items: Vec<String> = attestation
            .files
            .iter()
            .map(|f| format!("signed {}", md(f)))
            .collect();
        for p in &attestation.published {
            items.push(format!(
                "{} {}: {}{}",
                if p.ok {
                    "✅ published to"
                } else {
                    "❌ **publish failed**:"
                },
                md(&p.target),
                md(&p.detail),
                if p.ids.is_empty() {
                    String::new()
                } else {
                    format!(" (ids {})", md(&p.ids.join(", ")))
                }
            ));
        }
        if let Some(error) = &attestation.error {
            items.push(format!("❌ **signing failed**: {}", md(error)));
        }
        section(&mut out, "Attestations", "item(s)", items.into_iter());
    }

    cap(out)
}

/// The per-change records of one control as a table, failures first (an auditor
/// samples the passes, a release engineer fixes the failures).
fn changes_table(out: &mut String, title: &str, changes: &[ChangeRecord]) {
    let _ = writeln!(out, "\n### {}: changes ({})\n", md(title), changes.len());
    let collapse = changes.len() > COLLAPSE_OVER;
    if collapse {
        let _ = writeln!(
            out,
            "<details><summary>{} change(s) (expand)</summary>\n",
            changes.len()
        );
    }
    // Approvals are peer review's; a control that judges changes otherwise (required
    // checks per change) has none to show.
    let with_approvals = changes.iter().any(|c| !c.approvals.is_empty());
    if with_approvals {
        out.push_str(
            "| Change | Status | Author | Head reviewed | Merged | Approvals | Broken rules |\n",
        );
        out.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
    } else {
        out.push_str("| Change | Status | Author | Head reviewed | Merged | Broken rules |\n");
        out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    }
    let mut ordered: Vec<&ChangeRecord> = changes.iter().collect();
    ordered.sort_by_key(|c| c.status != RuleStatus::Fail);
    for c in ordered {
        let change = match c.number {
            Some(n) => format!("#{n} {}", md(&c.title)),
            None => format!("{} {}", md(short(&c.id)), md(&c.title)),
        };
        let mut status = match c.status {
            RuleStatus::Pass => "✅ pass",
            RuleStatus::Fail => "❌ fail",
            RuleStatus::Waived => "🟨 waived",
            RuleStatus::Skipped => "⏭️ skipped",
        }
        .to_string();
        // A rule that could not be applied is said so beside the status it did not
        // decide, never folded into a pass.
        let skipped: Vec<String> = c
            .rules
            .iter()
            .filter(|r| r.status == RuleStatus::Skipped)
            .map(|r| md(&r.rule))
            .collect();
        if !skipped.is_empty() {
            let _ = write!(status, " (skipped: {})", skipped.join(", "));
        }
        let mut merged = c
            .merge_sha
            .as_deref()
            .map(short)
            .map(md)
            .unwrap_or_default();
        if let Some(by) = &c.merged_by {
            let _ = write!(merged, " by {}", md(by));
        }
        if let Some(at) = &c.merged_at {
            let _ = write!(merged, " at {}", md(at));
        }
        let approvals: Vec<String> = c
            .approvals
            .iter()
            .map(|a| {
                let mut s = md(&a.reviewer);
                if let Some(at) = &a.submitted_at {
                    let _ = write!(s, " at {}", md(at));
                }
                if let Some(why) = &a.not_counted {
                    let _ = write!(s, " (not counted: {})", md(why));
                }
                s
            })
            .collect();
        let broken: Vec<String> = c
            .rules
            .iter()
            .filter(|r| matches!(r.status, RuleStatus::Fail | RuleStatus::Waived))
            .map(|r| format!("{} ({})", md(&r.rule), r.status.as_str()))
            .collect();
        let approvals = if with_approvals {
            format!(" {} |", approvals.join("; "))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| {change} | {status} | {} | {} | {merged} |{approvals} {} |",
            md(&c.author),
            c.head_sha.as_deref().map(short).map(md).unwrap_or_default(),
            broken.join("; "),
        );
    }
    if collapse {
        out.push_str("\n</details>\n");
    }
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// The commit as a short SHA, linked to the forge's commit page when the run URL tells
/// the server (`https://github.com/o/r/actions/runs/1` -> `https://github.com/o/r/commit/…`).
fn commit_link(report: &Report, sha: &str) -> String {
    let is_sha = sha.len() >= 7 && sha.bytes().all(|b| b.is_ascii_hexdigit());
    let page = report
        .context
        .run_url
        .as_deref()
        .zip(report.subject.repository.as_deref())
        .and_then(|(run, repo)| {
            let at = run.find(&format!("/{repo}/"))?;
            Some(format!("{}/{repo}/commit/{sha}", &run[..at]))
        })
        .filter(|_| is_sha)
        .and_then(|url| escape::markdown_autolink(&url).map(|_| url));
    match page {
        Some(url) => format!("[`{}`]({url})", short(sha)),
        None if is_sha => format!("`{}`", short(sha)),
        None => md(sha),
    }
}

/// `### Title (n)` and the list, folded under `<details>` when it is long.
/// A titled list of items, folded when long. Items are made only while the summary is
/// under its size cap: [`cap`] cuts what lies past it, so making the rest of 200,000
/// findings' lines would only cost memory.
fn section(
    out: &mut String,
    title: &str,
    noun: &str,
    items: impl ExactSizeIterator<Item = String>,
) {
    let _ = writeln!(out, "\n### {title} ({})\n", items.len());
    let collapse = items.len() > COLLAPSE_OVER;
    if collapse {
        // The blank line after `</summary>` lets GitHub render the Markdown inside.
        let _ = writeln!(
            out,
            "<details><summary>{} {noun} (expand)</summary>\n",
            items.len()
        );
    }
    for item in items {
        if out.len() >= MAX_BYTES {
            break;
        }
        out.push_str(&item);
    }
    if collapse {
        out.push_str("\n</details>\n");
    }
}

fn blocking_item(f: &Finding) -> String {
    let mark = if f.kind == FindingKind::Error {
        "⚠️"
    } else {
        "❌"
    };
    let mut s = format!("- {mark} {}\n", headline(f));
    let _ = writeln!(s, "  - Fix: {}", md(&f.remediation));
    if let Some(uri) = &f.help_uri {
        // A plain https URL becomes an autolink; anything else stays escaped text (a link
        // target from a scanner is untrusted: no `javascript:`, no markup).
        let shown = escape::markdown_autolink(uri).unwrap_or_else(|| md(uri));
        let _ = writeln!(s, "  - See: {shown}");
    }
    s
}

fn waived_item(report: &Report, f: &Finding) -> String {
    let mut s = format!("- {}\n", headline(f));
    if let Some(wr) = &f.waiver {
        // `get`, not indexing: a report read back from JSON may be inconsistent.
        let by = report.waivers.get(wr.index).map_or_else(
            || format!("waiver #{}", wr.index),
            |w| {
                let mut by = md(&waiver_label(&w.source));
                if let Some(owner) = &w.owner {
                    let _ = write!(by, ", owner {}", md(owner));
                }
                if let Some(expires) = &w.expires {
                    let _ = write!(by, ", expires {}", md(expires));
                }
                by
            },
        );
        let _ = writeln!(s, "  - Waived by {by}: {}", md(&wr.reason));
    }
    s
}

fn exception_item(w: &WaiverUse) -> String {
    let state = match w.state {
        WaiverState::Expired => "⚠️ **Expired, not honored**",
        WaiverState::TooLong => {
            "⚠️ **Not honored**: expires beyond the policy's maximum exception lifetime"
        }
        WaiverState::Unused => "💤 **Unused** (matched nothing; candidate for removal)",
        WaiverState::Applied if w.too_broad => {
            "⚠️ **Applied, too broad**: it waives every finding of the control"
        }
        WaiverState::Applied => "✅ **Applied**",
    };
    let mut s = format!(
        "- {state}: {} for {}, matching {}",
        md(&waiver_label(&w.source)),
        md(&w.control),
        md(&w.matches)
    );
    if let Some(expires) = &w.expires {
        let _ = write!(s, ", expires {}", md(expires));
    }
    if let Some(owner) = &w.owner {
        let _ = write!(s, ", owner {}", md(owner));
    }
    if matches!(w.state, WaiverState::Expired | WaiverState::TooLong) && w.matched_findings > 0 {
        let _ = write!(s, ", would have waived {} finding(s)", w.matched_findings);
    }
    let _ = writeln!(s, "\n  - Reason: {}", md(&w.reason));
    s
}

/// `**code** · severity · path:line — message`
fn headline(f: &Finding) -> String {
    let mut s = format!("**{}**", md(&f.code));
    if let Some(sev) = f.severity {
        let _ = write!(s, " · {sev}");
    }
    if let Some(loc) = &f.location {
        let _ = write!(s, " · {}", md(&loc.path));
        if let Some(line) = loc.line.filter(|&l| l >= 1) {
            let _ = write!(s, ":{line}");
        }
    }
    let _ = write!(s, " — {}", md(&f.message));
    s
}

/// Untrusted text as inert inline Markdown, clipped to [`MAX_FIELD_CHARS`] first (so
/// the clip never splits an entity the escaping produced).
fn md(s: &str) -> String {
    match s.char_indices().nth(MAX_FIELD_CHARS) {
        Some((end, _)) => format!("{}…", escape::markdown(&s[..end])),
        None => escape::markdown(s),
    }
}

/// Cuts the document below [`MAX_BYTES`] at a line boundary, closes any `<details>`
/// the cut left open, and says that it was cut. Counting tags is reliable because
/// untrusted text cannot contain `<` after escaping.
fn cap(mut out: String) -> String {
    const NOTE: &str = "\n> [!WARNING]\n> This summary was truncated to stay under GitHub's 1 MiB step-summary limit. \
The SARIF, JUnit and JSON reports list every finding.\n";
    const CLOSE: &str = "\n</details>\n";
    if out.len() < MAX_BYTES {
        return out;
    }
    // Room for the note and for closing every `<details>` the document opened.
    let opened = out.matches("<details>").count();
    let budget = MAX_BYTES - NOTE.len() - opened * CLOSE.len() - 1;
    // `\n` is ASCII, so the byte after it is always a char boundary.
    let cut = out.as_bytes()[..budget]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    out.truncate(cut);
    let open = out.matches("<details>").count() - out.matches("</details>").count();
    for _ in 0..open {
        out.push_str(CLOSE);
    }
    out.push_str(NOTE);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    /// The rows of the table whose header starts with `header`: the lines from it up
    /// to the first line that is not a row.
    fn table_rows<'a>(md: &'a str, header: &str) -> Vec<&'a str> {
        md.lines()
            .skip_while(|l| !l.starts_with(header))
            .take_while(|l| l.starts_with('|'))
            .collect()
    }

    #[test]
    fn hostile_text_is_inert() {
        let r = fixtures::report();
        let out = render(&r);
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains('@'), "a mention survived:\n{out}");
        assert!(!out.contains('\x1b') && !out.contains('\x07') && !out.contains('\r'));
        assert!(!out.contains('\u{202E}'));
        // No hostile line break: `::error::pwned` never starts a line.
        assert!(!out.lines().any(|l| l.trim_start().starts_with("::")));

        // Header, separator, one row per control (per change), contiguous: no row was
        // split by a newline, and every row has exactly the pipes of its cells, so no
        // cell content contains a raw `|`.
        let changes: usize = r.controls.iter().map(|c| c.changes.len()).sum();
        assert!(changes > 0, "the sample has change records");
        let assets = r.release.as_ref().map_or(0, |rel| rel.assets.len());
        assert!(assets > 0, "the sample has a release");
        for (header, rows, pipes) in [
            ("| Control", r.controls.len(), 6),
            ("| Change", changes, 8),
            ("| Asset", assets, 6),
        ] {
            let table = table_rows(&out, header);
            assert_eq!(table.len(), rows + 2, "{header}");
            for row in table {
                assert_eq!(row.matches('|').count(), pipes, "{row}");
                assert!(row.ends_with('|'), "{row}");
            }
        }
    }

    #[test]
    fn skipped_controls_fold_into_one_line_and_help_urls_stay_links() {
        let mut report = fixtures::report();
        report.controls[0].status = crate::verdict::Status::Skipped;
        let skipped_id = report.controls[0].id.clone();
        let blocking = report
            .controls
            .iter_mut()
            .flat_map(|c| c.findings.iter_mut())
            .find(|f| f.is_blocking())
            .unwrap();
        blocking.help_uri =
            Some("https://codeql.github.com/codeql-query-help/rust/rust-sql-injection/".into());
        let out = render(&report);
        let table = table_rows(&out, "| Control");
        assert!(
            table.iter().all(|row| !row.contains("skipped")),
            "{table:?}"
        );
        assert!(
            out.contains(&format!("Not enabled by the policy: {}", md(&skipped_id))),
            "{out}"
        );
        assert!(
            out.contains(
                "See: <https://codeql.github.com/codeql-query-help/rust/rust-sql-injection/>"
            ),
            "{out}"
        );
        for hostile in [
            "javascript:alert(1)",
            "https://x.test/a>b",
            "https://x.test/a b",
        ] {
            assert!(
                super::escape::markdown_autolink(hostile).is_none(),
                "{hostile}"
            );
        }
    }

    #[test]
    fn sections_list_findings_waivers_and_exceptions() {
        let out = render(&fixtures::report());
        assert!(out.starts_with("## ❌ vouch: FAIL\n"));
        // A short SHA, linked to the commit; the full SHA only in the link.
        assert!(
            out.contains("**Subject:** acme/exchange, commit [`0123456789ab`](https://github.com/acme/exchange/commit/0123456789abcdef0123456789abcdef01234567)"),
            "{out}"
        );
        // Enabled controls lead; skipped ones are one line.
        let table = table_rows(&out, "| Control");
        assert!(
            table.iter().all(|row| !row.contains("skipped")),
            "{table:?}"
        );
        assert!(out.contains("| SAST gate (sast) | ❌ fail | yes | 3 |"));
        assert!(out.contains("| SCA gate (sca) | ⚠️ error | yes | 2 |"));

        let findings = out
            .split("### Findings (6)")
            .nth(1)
            .expect("findings section");
        let findings = findings.split("### Waived").next().unwrap();
        assert!(findings.contains("**sast/result\\-over\\-threshold** · critical"));
        assert!(findings.contains(":12 — "));
        assert!(findings.contains("  - Fix: "));
        assert!(!findings.contains("js/eval"));

        let waived = out.split("### Waived (1)").nth(1).expect("waived section");
        assert!(waived.contains("Waived by exceptions\\[0\\] \\(policy line 31\\)"));

        let exceptions = out.split("### Exceptions (2)").nth(1).expect("exceptions");
        assert!(exceptions.contains("**Expired, not honored**: exceptions\\[1\\]"));
        assert!(exceptions.contains("**Unused**"));
        // The applied exception is not repeated here.
        assert!(!exceptions.contains("exceptions\\[0\\]"));
        assert!(!out.contains("<details>"));

        // Per-change records: failures first, with the approval that did not count.
        let changes = table_rows(&out, "| Change");
        assert!(out.contains("### Peer review: changes (2)"));
        assert!(
            changes[2].starts_with("| #7 Fix rounding"),
            "{}",
            changes[2]
        );
        assert!(changes[2].contains("| ❌ fail |"));
        assert!(changes[2].contains(
            "carol at 2026\\-02\\-27T09:30:00Z (not counted: peer\\-review/stale\\-approval)"
        ));
        assert!(changes[3].starts_with("| #8 Bump ledger | ✅ pass | alice | 111111111111 |"));
        assert!(changes[3].contains("by bob at 2026\\-02\\-28T10:00:00Z"));
    }

    #[test]
    fn long_lists_are_collapsed_with_a_count() {
        let out = render(&fixtures::report_with_many_findings(60, 10));
        assert!(out.contains("### Findings (66)"));
        assert!(out.contains("<details><summary>66 blocking finding(s) (expand)</summary>\n\n- "));
        assert_eq!(out.matches("<details>").count(), 1);
        assert_eq!(out.matches("</details>").count(), 1);
    }

    #[test]
    fn long_change_tables_are_collapsed_and_capped() {
        let mut r = fixtures::report();
        let peer = r
            .controls
            .iter_mut()
            .find(|c| !c.changes.is_empty())
            .unwrap();
        let one = peer.changes[0].clone();
        peer.changes = vec![one; 60];
        let out = render(&r);
        assert!(out.contains("<details><summary>60 change(s) (expand)</summary>\n\n| Change"));
        assert_eq!(out.matches("<details>").count(), 1);
        assert_eq!(out.matches("</details>").count(), 1);

        // A 10,000-change release with long titles still fits, tables closed.
        let peer = r
            .controls
            .iter_mut()
            .find(|c| !c.changes.is_empty())
            .unwrap();
        let mut long = peer.changes[0].clone();
        long.title = "t".repeat(500);
        peer.changes = vec![long; 10_000];
        let out = render(&r);
        assert!(out.len() < MAX_BYTES, "{} bytes", out.len());
        assert!(out.contains("truncated to stay under GitHub's 1 MiB"));
        assert_eq!(
            out.matches("<details>").count(),
            out.matches("</details>").count()
        );
    }

    #[test]
    fn output_is_capped_below_the_step_summary_limit() {
        // 2,000 findings of ~1 KB each: about 2 MB before the cap.
        let out = render(&fixtures::report_with_many_findings(2_000, 1_000));
        assert!(out.len() < MAX_BYTES, "{} bytes", out.len());
        assert!(out.contains("truncated to stay under GitHub's 1 MiB"));
        assert_eq!(
            out.matches("<details>").count(),
            out.matches("</details>").count()
        );
        // Single fields are clipped too.
        let out = render(&fixtures::report_with_many_findings(1, 50_000));
        assert!(out.len() < 30_000);
        assert!(out.contains("m…"));
    }
}
