//! Escaping of untrusted text for each sink.
//!
//! Scanner messages, rule ids, file paths (and later PR titles and branch names) are
//! written by people we do not trust. Each sink has its own injection: ANSI/OSC
//! sequences and bidi overrides on terminals, workflow commands (`::error::`,
//! `::add-mask::`) in GitHub logs, HTML and mentions in Markdown, control characters that
//! make XML invalid. Every renderer passes untrusted text through the function for its
//! sink; none of them writes such text raw.

use std::fmt::Write;

/// The legacy GitHub runner command marker, recognized anywhere in a line of a job log.
const LEGACY_COMMAND: &str = "##[";

/// Breaks every `##[` so the runner's legacy command parser never sees one; the text
/// stays readable (`#\u{23}[`).
fn defuse_legacy_commands(s: String) -> String {
    if s.contains(LEGACY_COMMAND) {
        s.replace(LEGACY_COMMAND, "#\\u{23}[")
    } else {
        s
    }
}

/// True for characters that can change how a terminal or viewer renders what follows:
/// C0/C1 controls (ESC starts ANSI and OSC sequences) and Unicode bidi controls
/// ("Trojan Source").
fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Text for a terminal, on one line: controls become visible `\u{..}` escapes,
/// newlines and tabs become `\n`, `\t`.
pub fn terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_dangerous(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    defuse_legacy_commands(out)
}

/// Data of a GitHub workflow command (the text after `::`): `%`, CR and LF are
/// percent-encoded as the runner expects, so no line can start a new command; other
/// controls are made visible.
pub fn workflow_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if is_dangerous(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    defuse_legacy_commands(out)
}

/// A property value of a workflow command (`file=`, `title=`): like [`workflow_data`]
/// plus `:` and `,`, which end a property.
pub fn workflow_property(s: &str) -> String {
    workflow_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Inline Markdown (GitHub-flavored), safe in a table cell: HTML and Markdown syntax
/// are neutralized with entities and backslashes, `@` cannot mention anyone, and line
/// breaks become spaces.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '@' => out.push_str("&#64;"),
            '|' => out.push_str("&#124;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '!'
            | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if is_dangerous(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// An `https://` URL as a Markdown autolink (`<https://…>`), when every character is one
/// a URL needs and none can end the link or start markup; `None` otherwise (show it as
/// text). Escaping a URL like prose (`\-`) breaks it in GitHub's renderer.
pub fn markdown_autolink(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let safe = !rest.is_empty()
        && rest.len() <= 2_000
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#@!$&*+,;=%".contains(&b));
    safe.then(|| format!("<{url}>"))
}

/// Text that is valid in XML 1.0 character data: characters XML forbids (most C0
/// controls, ESC included) and bidi controls become visible `\u{..}` escapes. The XML
/// writer then escapes markup (`<`, `&`, quotes).
pub fn xml_chars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(c),
            c if is_dangerous(c) || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    defuse_legacy_commands(out)
}

/// Plain text for JSON-based sinks read by other viewers (SARIF): controls other than
/// newline and tab become visible escapes; JSON string escaping is left to serde.
pub fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if is_dangerous(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    defuse_legacy_commands(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "ok\n::error::pwned\r\n\x1b[31mred\x1b]8;;http://x\x07<script>alert(1)</script> @admin | 100% \u{202E}";

    #[test]
    fn terminal_has_no_escape_or_newline() {
        let t = terminal(HOSTILE);
        assert!(!t.chars().any(|c| c.is_control()), "{t}");
        assert!(!t.contains('\u{202E}'));
        assert!(t.contains("\\u{1b}[31m"));
    }

    #[test]
    fn workflow_data_cannot_start_a_command() {
        let w = workflow_data(HOSTILE);
        assert!(!w.contains('\n') && !w.contains('\r'));
        assert!(w.contains("%0A::error::pwned"));
        assert!(w.contains("100%25"));
        assert!(!w.chars().any(|c| c.is_control()));
        assert_eq!(workflow_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn markdown_has_no_html_mentions_or_table_breaks() {
        let m = markdown(HOSTILE);
        assert!(!m.contains('<') && !m.contains('>') && !m.contains('|') && !m.contains('@'));
        assert!(!m.contains('\n'));
        assert!(!m.chars().any(|c| c.is_control()));
    }

    #[test]
    fn legacy_runner_commands_are_defused_everywhere() {
        let hostile = "a ##[error]forged ##[add-mask]x";
        for out in [
            terminal(hostile),
            workflow_data(hostile),
            xml_chars(hostile),
            plain(hostile),
            markdown(hostile),
        ] {
            assert!(!out.contains("##["), "{out}");
        }
    }

    #[test]
    fn xml_chars_drop_what_xml_forbids() {
        let x = xml_chars(HOSTILE);
        assert!(
            !x.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        );
    }
}
