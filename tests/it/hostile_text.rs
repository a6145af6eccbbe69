//! A scanner we do not trust writes a SARIF message, rule id and path full of sink
//! syntax; no output of vouch may let it through: terminal, GitHub workflow commands and
//! step summary, Markdown, JUnit XML, SARIF and JSON.

use serde_json::json;

use super::support::{run, tempdir, vouch, write};

const MESSAGE: &str = "SQL injection\n::error file=src/x.rs::forged\r\n   ::add-mask::x\n\t::stop-commands::abc\n##[error]legacy ##[add-mask]y\n<script>alert(document.cookie)</script>\u{1b}[2J\u{1b}]8;;https://evil.example\u{7}click\u{1b}]8;;\u{7} @security-team | 100% \u{202E}gnp.exe";

fn hostile_sarif(dir: &std::path::Path) -> std::path::PathBuf {
    let log = json!({
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "Evil\u{1b}[31mScanner", "rules": [{"id": "x/<b>rule</b>\n::warning::y", "defaultConfiguration": {"level": "error"}}]}},
            "results": [{
                "ruleIndex": 0,
                "message": {"text": MESSAGE},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/a,b:c\n::error::d.rs"}, "region": {"startLine": 3}}}]
            }]
        }]
    });
    write(dir, "hostile.sarif", &log.to_string())
}

fn assert_no_raw_controls(name: &str, text: &str, allowed: &[char]) {
    for c in text.chars() {
        let dangerous = (c.is_control() && !allowed.contains(&c))
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        assert!(!dangerous, "{name} contains raw {:?}:\n{text}", c);
    }
}

#[test]
fn every_sink_neutralizes_hostile_scanner_text() {
    let dir = tempdir();
    let sarif = hostile_sarif(dir.path());
    let policy = write(dir.path(), "p.yaml", "version: 1\nsast: {}\n");
    let summary = write(dir.path(), "summary.md", "");
    let out = dir.path().join("out");
    let mut cmd = vouch();
    cmd.arg("verify")
        .arg("--policy")
        .arg(&policy)
        .arg("--sarif")
        .arg(&sarif);
    for f in ["json", "sarif", "junit", "markdown"] {
        cmd.arg("--format")
            .arg(format!("{f}={}/r.{f}", out.display()));
    }
    cmd.args(["--format", "text"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary);
    let (code, stdout, stderr) = run(&mut cmd);
    assert_eq!(code, 1, "{stderr}");

    // Terminal + workflow commands (stdout). The runner trims leading white space before
    // looking for `::` and finds `##[` anywhere, so check both. The human report sits in
    // a stop-commands block with a random token; outside it only our annotations remain.
    assert_no_raw_controls("stdout", &stdout, &['\n']);
    assert!(
        !stdout.contains("##["),
        "legacy command marker reached the log:\n{stdout}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let first = lines[0];
    let token = first
        .strip_prefix("::stop-commands::")
        .expect("report starts a stop-commands block");
    assert!(token.len() >= 32, "token too short: {token}");
    let end = lines
        .iter()
        .position(|l| *l == format!("::{token}::"))
        .expect("block is closed");
    for line in &lines[1..end] {
        assert!(!line.contains(token), "untrusted text repeated the token");
    }
    for line in &lines[end + 1..] {
        let t = line.trim_start();
        assert!(
            t.starts_with("::error file=")
                || t.starts_with("::warning")
                || t.starts_with("::notice"),
            "{line}"
        );
    }
    assert_eq!(
        lines[end + 1..]
            .iter()
            .filter(|l| l.starts_with("::error"))
            .count(),
        1,
        "{stdout}"
    );
    assert!(
        !stdout.contains("\u{1b}]8;;"),
        "OSC hyperlink reached the terminal"
    );

    // A machine format on stdout in Actions stays parseable and cannot carry commands;
    // the annotations go to stderr.
    for format in ["json", "junit", "sarif", "markdown"] {
        let (_, out, err) = run(vouch()
            .arg("verify")
            .arg("--policy")
            .arg(&policy)
            .arg("--sarif")
            .arg(&sarif)
            .args(["--format", format])
            .env("GITHUB_ACTIONS", "true"));
        assert!(!out.contains("##["), "{format}: legacy marker:\n{out}");
        for line in out.lines() {
            assert!(
                !line.trim_start().starts_with("::"),
                "{format} on stdout carries a command line: {line}"
            );
        }
        assert!(
            err.lines().any(|l| l.starts_with("::error file=")),
            "{format}: annotations on stderr:\n{err}"
        );
        if format == "json" || format == "sarif" {
            serde_json::from_str::<serde_json::Value>(&out)
                .unwrap_or_else(|e| panic!("{format} stdout is not JSON: {e}"));
        }
    }

    // Markdown, both the file and the step summary.
    for (name, md) in [
        (
            "markdown",
            std::fs::read_to_string(out.join("r.markdown")).unwrap(),
        ),
        ("summary", std::fs::read_to_string(&summary).unwrap()),
    ] {
        assert_no_raw_controls(name, &md, &['\n']);
        assert!(
            !md.contains("<script") && !md.contains("<b>"),
            "{name} has raw HTML:\n{md}"
        );
        assert!(!md.contains("@security-team"), "{name} can mention:\n{md}");
        assert!(
            !md.lines().any(|l| l.starts_with("::")),
            "{name} has a workflow command line"
        );
    }

    // JUnit: well-formed XML with no raw markup or forbidden characters from the input.
    let junit = std::fs::read_to_string(out.join("r.junit")).unwrap();
    assert_no_raw_controls("junit", &junit, &['\n', '\r', '\t']);
    assert!(
        !junit.contains("<script") && !junit.contains("<b>"),
        "{junit}"
    );
    let mut reader = quick_xml::Reader::from_str(&junit);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("JUnit is not well-formed XML: {e}\n{junit}"),
        }
    }

    // SARIF and JSON: valid JSON whose strings carry no raw ESC/BEL/bidi.
    for f in ["sarif", "json"] {
        let text = std::fs::read_to_string(out.join(format!("r.{f}"))).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        if f == "sarif" {
            visit_strings(&value, &mut |s| {
                assert_no_raw_controls("sarif", s, &['\n', '\t'])
            });
        }
        // The file itself is inert when printed: serde escapes C0, vouch escapes C1, bidi
        // and `##[`, and no line starts with untrusted text.
        assert_no_raw_controls(f, &text, &['\n']);
        assert!(
            !text.contains("##[") && !text.lines().any(|l| l.trim_start().starts_with("::")),
            "{f}:\n{text}"
        );
    }
}

fn visit_strings(v: &serde_json::Value, f: &mut impl FnMut(&str)) {
    match v {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(a) => a.iter().for_each(|x| visit_strings(x, f)),
        serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
            f(k);
            visit_strings(x, f)
        }),
        _ => {}
    }
}
