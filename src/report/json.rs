//! The JSON report: the [`Report`] document itself, written so that it is safe to `cat`.
//!
//! serde_json escapes C0 controls but writes C1 controls (U+009B is a one-character CSI
//! on some terminals) and bidi overrides as raw UTF-8. [`SafeFormatter`] writes those as
//! `\uXXXX` escapes too: the decoded data is identical, the bytes on disk are inert.

use std::io;

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

use super::Report;

/// Renders the report as pretty JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    let mut out = to_safe_json(report);
    out.push('\n');
    out
}

/// Writes what [`render`] returns to `w`, without holding it in memory.
pub fn write(report: &Report, mut w: impl io::Write) -> io::Result<()> {
    write_safe_json(&mut w, report)?;
    w.write_all(b"\n")
}

/// Serializes any value as pretty JSON with dangerous characters escaped.
pub fn to_safe_json<T: Serialize>(value: &T) -> String {
    let mut buf = Vec::new();
    write_safe_json(&mut buf, value).expect("plain data serializes into memory");
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

/// Writes pretty JSON with dangerous characters escaped.
pub fn write_safe_json<W: io::Write, T: Serialize>(writer: W, value: &T) -> serde_json::Result<()> {
    let mut ser =
        serde_json::Serializer::with_formatter(writer, SafeFormatter(PrettyFormatter::new()));
    value.serialize(&mut ser)
}

/// A pretty formatter that escapes C1 controls and bidi controls in strings.
pub struct SafeFormatter<'a>(PrettyFormatter<'a>);

fn needs_escape(c: char) -> bool {
    matches!(c, '\u{7F}'..='\u{9F}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

impl Formatter for SafeFormatter<'_> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if i < start {
                continue; // inside a `##[` already written
            }
            // `##[` is GitHub's legacy command marker, honored anywhere in a log line;
            // writing its second `#` as `\u0023` keeps the data and breaks the marker.
            if c == '#' && fragment[i..].starts_with("##[") {
                w.write_all(&fragment.as_bytes()[start..i])?;
                w.write_all(b"#\\u0023[")?;
                start = i + 3;
            } else if needs_escape(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                write!(w, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c1_and_bidi_controls_are_escaped_but_round_trip() {
        let value = serde_json::json!({"m": "a\u{9b}31m b\u{202E}c \u{1b}[0m é ##[error]x"});
        let text = to_safe_json(&value);
        assert!(
            !text.contains('\u{9b}') && !text.contains('\u{202E}') && !text.contains('\u{1b}'),
            "{text}"
        );
        assert!(text.contains("é"), "ordinary non-ASCII stays readable");
        assert!(!text.contains("##["), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
