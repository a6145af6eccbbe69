//! Reads `govulncheck -json` (protocol v1.0.0, govulncheck 1.0 and later): a stream of
//! messages, each an object with one of `config`, `progress`, `SBOM`, `osv` or `finding`.
//! Both the raw stream of concatenated objects govulncheck prints and a JSON array of
//! the same messages (as DefectDojo and some CI wrappers store it) are read.
//!
//! Which findings count. A `finding` names an OSV entry and a `trace`; `trace[0]` is the
//! vulnerable code and tells how precise the finding is: with a `function`, the program
//! calls a vulnerable symbol; with only a `package`, it imports a vulnerable package;
//! with only a `module`, it requires a vulnerable module. govulncheck emits the coarser
//! findings too, for context, and reports as "affected" only the findings at the scan's
//! own precision (`config.scan_level`: `symbol`, the default, `package` or `module`).
//! vouch counts exactly those: an OSV id counts when at least one of its findings is at
//! least as precise as the scan level (a symbol-level scan counts symbol findings only;
//! a module-level scan counts every finding whose trace names a module). An unknown scan
//! level counts every finding (fail closed); an empty trace counts nothing.
//!
//! One entry per counted OSV id, in the order of its first counted finding; package,
//! version and fixed version come from that finding (`trace[0].module`, `.version`,
//! `fixed_version`), the rest from the `osv` message. The Go vulnerability database
//! rates nothing, so entries are usually unrated. A finding whose OSV entry is missing
//! from the stream still counts, with only its id.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{Rating, clean_aliases, clean_list, empty_field, non_empty};
use crate::collect::files::json;
use crate::evidence::{Gap, GapKind, ScaReport, Scanner, Vulnerability};

const WHAT: &str = "govulncheck JSON stream";

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    config: Option<Config>,
    /// Progress and SBOM messages show the scan got past its configuration.
    #[serde(default)]
    progress: Option<IgnoredAny>,
    #[serde(default, rename = "SBOM")]
    sbom: Option<IgnoredAny>,
    #[serde(default)]
    osv: Option<Osv>,
    #[serde(default)]
    finding: Option<Finding>,
}

#[derive(Deserialize)]
struct Config {
    #[serde(default)]
    scanner_version: Option<String>,
    #[serde(default)]
    scan_level: Option<String>,
}

#[derive(Deserialize)]
struct Osv {
    id: String,
    #[serde(default, deserialize_with = "json::null_default")]
    aliases: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    severity: Vec<OsvSeverity>,
    #[serde(default)]
    database_specific: Option<DatabaseSpecific>,
}

#[derive(Deserialize)]
struct OsvSeverity {
    #[serde(default, deserialize_with = "json::lenient_string")]
    score: Option<String>,
}

#[derive(Deserialize)]
struct DatabaseSpecific {
    #[serde(default, deserialize_with = "json::lenient_string")]
    url: Option<String>,
    #[serde(default, deserialize_with = "json::lenient_string")]
    severity: Option<String>,
}

#[derive(Deserialize)]
struct Finding {
    osv: String,
    #[serde(default)]
    fixed_version: Option<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    trace: Vec<Frame>,
}

#[derive(Deserialize)]
struct Frame {
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    package: Option<String>,
    #[serde(default)]
    function: Option<String>,
}

/// How precise a finding (or a scan) is; higher is more precise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Module,
    Package,
    Symbol,
}

fn frame_level(f: &Frame) -> Option<Level> {
    let set = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
    if set(&f.function) {
        Some(Level::Symbol)
    } else if set(&f.package) {
        Some(Level::Package)
    } else if set(&f.module) {
        Some(Level::Module)
    } else {
        None
    }
}

/// Reads the stream stored as one JSON array of messages.
pub(super) fn read_array(source: &str, bytes: &[u8]) -> Result<ScaReport, Gap> {
    /// Folds each element as it is parsed: the raw messages never exist all at once.
    struct Elements<'a, 's>(&'a mut Fold<'s>);
    impl<'de> serde::de::Visitor<'de> for Elements<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of govulncheck messages")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(m) = seq.next_element::<Message>()? {
                self.0.push(m);
            }
            Ok(())
        }
    }
    let mut fold = Fold::new(source);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde::Deserializer::deserialize_seq(&mut de, Elements(&mut fold))
        .and_then(|()| de.end())
        .map_err(|e| json::malformed::<Vec<Message>>(source, WHAT, bytes, &e))?;
    fold.finish()
}

/// Reads the stream as govulncheck prints it: concatenated JSON objects.
pub(super) fn read_stream(source: &str, bytes: &[u8]) -> Result<ScaReport, Gap> {
    let mut fold = Fold::new(source);
    for message in serde_json::Deserializer::from_slice(bytes).into_iter::<Message>() {
        match message {
            Ok(m) => fold.push(m),
            Err(e) => {
                let what = format!("{WHAT} (message {})", fold.messages + 1);
                return Err(json::malformed_at(source, &what, &e));
            }
        }
    }
    fold.finish()
}

/// What a finding contributes: its advisory, how precise it is, and the module of its
/// first frame (the rest of the trace is not needed).
struct Kept {
    osv: String,
    level: Option<Level>,
    module: Option<String>,
    version: Option<String>,
    fixed_version: Option<String>,
}

/// The stream read so far, one message at a time.
struct Fold<'s> {
    source: &'s str,
    messages: usize,
    scanner_version: Option<String>,
    /// Absent in no v1 stream seen so far; govulncheck's default scan is symbol-level.
    required: Option<Level>,
    any_config: bool,
    ran: bool,
    osvs: HashMap<String, Osv>,
    findings: Vec<Kept>,
    /// The first message that broke the format; reported once the stream is read.
    error: Option<Gap>,
}

impl<'s> Fold<'s> {
    fn new(source: &'s str) -> Self {
        Fold {
            source,
            messages: 0,
            scanner_version: None,
            required: Some(Level::Symbol),
            any_config: false,
            ran: false,
            osvs: HashMap::new(),
            findings: Vec::new(),
            error: None,
        }
    }

    fn push(&mut self, m: Message) {
        let i = self.messages;
        self.messages += 1;
        // Whether a scan ran is judged on every message, before any error in the
        // stream (as when the stream was read whole), so the same stream always gets
        // the same gap.
        self.ran |= m.progress.is_some() || m.sbom.is_some() || m.finding.is_some();
        self.any_config |= m.config.is_some();
        if self.error.is_some() {
            return;
        }
        if let Some(config) = m.config {
            self.scanner_version =
                non_empty(config.scanner_version).or(self.scanner_version.take());
            self.required = match config.scan_level.as_deref().map(str::trim) {
                None | Some("") | Some("symbol") => Some(Level::Symbol),
                Some("package") => Some(Level::Package),
                Some("module") => Some(Level::Module),
                Some(_) => None,
            };
        }
        if let Some(osv) = m.osv {
            if osv.id.trim().is_empty() {
                self.error = Some(empty_field(self.source, WHAT, &format!("[{i}].osv.id")));
                return;
            }
            self.osvs.insert(osv.id.trim().to_owned(), osv);
        }
        if let Some(finding) = m.finding {
            if finding.osv.trim().is_empty() {
                self.error = Some(empty_field(
                    self.source,
                    WHAT,
                    &format!("[{i}].finding.osv"),
                ));
                return;
            }
            let level = finding.trace.first().and_then(frame_level);
            let (module, version) = match finding.trace.into_iter().next() {
                Some(fr) => (fr.module, fr.version),
                None => (None, None),
            };
            self.findings.push(Kept {
                osv: finding.osv.trim().to_owned(),
                level,
                module,
                version,
                fixed_version: finding.fixed_version,
            });
        }
    }

    fn finish(self) -> Result<ScaReport, Gap> {
        let source = self.source;
        // Every govulncheck run opens with `config` (scanner, database, scan level): a
        // stream without one (a lone progress line) does not show that a scan ran.
        if !self.any_config {
            return Err(super::nothing_scanned(
                source,
                WHAT,
                "there is no `config` message, so nothing says which scan ran",
            ));
        }
        // A stream that stops after `config` (govulncheck killed, output truncated)
        // scanned nothing; a real run always reports progress, an SBOM or findings.
        if !self.ran {
            return Err(Gap::new(
                GapKind::Malformed,
                source,
                format!(
                    "{WHAT}: no progress, SBOM or finding message: the scan did not run to completion"
                ),
            ));
        }
        if let Some(gap) = self.error {
            return Err(gap);
        }
        let (required, mut osvs) = (self.required, self.osvs);
        // The config message comes first in practice, but the level is applied only
        // after the whole stream is read so message order cannot change the count.
        let mut seen: HashSet<String> = HashSet::new();
        let mut vulnerabilities = Vec::new();
        for f in self.findings {
            let Some(level) = f.level else {
                continue;
            };
            if required.is_some_and(|r| level < r) || !seen.insert(f.osv.clone()) {
                continue;
            }
            let id = f.osv;
            let osv = osvs.remove(&id);
            let rating = match &osv {
                Some(o) => Rating::rate(
                    o.database_specific
                        .as_ref()
                        .and_then(|d| d.severity.as_deref()),
                    None,
                    o.severity.iter().filter_map(|s| s.score.as_deref()),
                ),
                None => Rating::rate(None, None, []),
            };
            let (aliases, title, url) = match osv {
                Some(o) => (
                    o.aliases,
                    o.summary,
                    o.database_specific.and_then(|d| d.url),
                ),
                None => (Vec::new(), None, None),
            };
            vulnerabilities.push(Vulnerability {
                aliases: clean_aliases(&id, aliases),
                package: non_empty(f.module).unwrap_or_default(),
                ecosystem: Some("Go".to_owned()),
                version: non_empty(f.version),
                fixed_versions: clean_list(f.fixed_version),
                severity: rating.severity,
                severity_source: rating.source,
                cvss_vector: rating.vector,
                title: non_empty(title),
                url: non_empty(url),
                manifest: None,
                id,
            });
        }
        Ok(ScaReport {
            scanner: Scanner::Govulncheck,
            scanner_version: self.scanner_version,
            vulnerabilities,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::read_sca;
    use crate::evidence::sca::SeveritySource;
    use crate::evidence::{GapKind, Scanner, Severity};

    fn osv(id: &str) -> String {
        format!(
            r#"{{"osv": {{"schema_version": "1.3.1", "id": "{id}", "aliases": ["CVE-{id}"], "summary": "summary of {id}",
                "affected": [], "database_specific": {{"url": "https://pkg.go.dev/vuln/{id}"}}}}}}"#
        )
    }

    fn finding(id: &str, frame: &str) -> String {
        format!(
            r#"{{"finding": {{"osv": "{id}", "fixed_version": "v0.17.0", "trace": [{frame}]}}}}"#
        )
    }

    const SYMBOL: &str = r#"{"module": "golang.org/x/net", "version": "v0.10.0", "package": "golang.org/x/net/http2", "function": "ReadFrame"}"#;
    const PACKAGE: &str = r#"{"module": "golang.org/x/text", "version": "v0.3.0", "package": "golang.org/x/text/language"}"#;
    const MODULE: &str = r#"{"module": "golang.org/x/crypto", "version": "v0.1.0"}"#;

    fn stream(level: &str) -> Vec<String> {
        vec![
            format!(
                r#"{{"config": {{"protocol_version": "v1.0.0", "scanner_name": "govulncheck", "scanner_version": "v1.1.3", "scan_level": "{level}"}}}}"#
            ),
            r#"{"progress": {"message": "Scanning your code..."}}"#.to_owned(),
            osv("GO-2023-2102"),
            osv("GO-2021-0113"),
            osv("GO-2022-1059"),
            finding(
                "GO-2023-2102",
                MODULE
                    .replace("crypto", "net")
                    .replace("v0.1.0", "v0.10.0")
                    .as_str(),
            ),
            finding("GO-2023-2102", SYMBOL),
            finding("GO-2023-2102", SYMBOL),
            finding("GO-2021-0113", PACKAGE),
            finding("GO-2022-1059", MODULE),
        ]
    }

    #[test]
    fn symbol_scans_count_called_vulnerabilities_only() {
        let array = format!("[{}]", stream("symbol").join(",\n"));
        let r = read_sca("govulncheck.json", array.as_bytes()).unwrap();
        assert_eq!(r.scanner, Scanner::Govulncheck);
        assert_eq!(r.scanner_version.as_deref(), Some("v1.1.3"));
        assert_eq!(r.vulnerabilities.len(), 1);
        let v = &r.vulnerabilities[0];
        assert_eq!(v.id, "GO-2023-2102");
        assert_eq!(v.aliases, vec!["CVE-GO-2023-2102"]);
        assert_eq!(
            (v.package.as_str(), v.version.as_deref()),
            ("golang.org/x/net", Some("v0.10.0"))
        );
        assert_eq!(v.fixed_versions, vec!["v0.17.0"]);
        assert_eq!(v.ecosystem.as_deref(), Some("Go"));
        assert_eq!(
            (v.severity, v.severity_source),
            (Severity::Unknown, SeveritySource::Unrated)
        );
        assert_eq!(
            v.url.as_deref(),
            Some("https://pkg.go.dev/vuln/GO-2023-2102")
        );
    }

    #[test]
    fn coarser_scans_count_coarser_findings_and_raw_streams_are_read() {
        let raw = stream("package").join("\n");
        let r = read_sca("govulncheck.jsonl", raw.as_bytes()).unwrap();
        let ids: Vec<&str> = r.vulnerabilities.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, vec!["GO-2023-2102", "GO-2021-0113"]);
        let raw = stream("module").join("\n");
        assert_eq!(
            read_sca("g", raw.as_bytes()).unwrap().vulnerabilities.len(),
            3
        );
    }

    #[test]
    fn finding_without_osv_is_malformed() {
        let bad = br#"[{"config": {"scan_level": "symbol"}}, {"finding": {"trace": []}}]"#;
        let gap = read_sca("g.json", bad).unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert!(gap.detail.contains("[1].finding"), "{}", gap.detail);
        assert!(gap.detail.contains("`osv`"), "{}", gap.detail);
        let truncated = br#"{"config": {"scan_level": "symbol"}} {"finding": {"osv": "#;
        assert_eq!(
            read_sca("g.json", truncated).unwrap_err().kind,
            GapKind::Malformed
        );
    }

    #[test]
    fn an_empty_id_is_reported_wherever_it_sits_in_a_stream_that_ran() {
        for stream in [
            "{\"osv\":{\"id\":\"\"}}\n{\"config\":{}}\n{\"progress\":{}}",
            "{\"config\":{}}\n{\"osv\":{\"id\":\"\"}}\n{\"progress\":{}}",
        ] {
            let gap = read_sca("g.json", stream.as_bytes()).unwrap_err();
            assert_eq!(gap.kind, GapKind::Malformed, "{stream}: {gap}");
            assert!(gap.detail.contains(".osv.id"), "{stream}: {gap}");
        }
    }
}
