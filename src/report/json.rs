//! The JSON report: the [`Report`] document itself.

use super::Report;

/// Renders the report as pretty JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("the report is plain data");
    s.push('\n');
    s
}
