//! SCA report readers: dependency-scanner JSON in, one normalized [`ScaReport`] out.
//!
//! The format is detected from the content, never from the file name (CI systems rename
//! artifacts freely). Detection costs one allocation-free pass: the top-level keys are
//! read into a small struct of flags with every value skipped (for a top-level array,
//! the keys of its first element), then exactly one typed parse runs. That parse reads
//! only the fields vouch uses and normalizes each finding the moment it is parsed
//! ([`Converted`](super::json::Converted)), so the raw form of a long list never exists
//! all at once: a 50,000-finding trivy report (90 MB) reads in about 0.2 s (release
//! build) with a peak heap barely above the normalized result. No reader ever holds a
//! `serde_json::Value`.
//!
//! Every reader fails closed: empty input, broken JSON and missing required fields are
//! `Malformed` gaps naming the JSON path and position; well-formed JSON that is not a
//! report vouch understands is `Unsupported` and says what vouch reads instead.
//!
//! After a reader returns, entries that repeat the same (id, ecosystem, package, version)
//! are merged into one (grype, for one, lists a match twice when two matchers find it);
//! the merged entry keeps the union of aliases and fixed versions and the higher severity.

mod cargo_audit;

mod gitlab_dependency_scanning;
mod govulncheck;
mod grype;
mod npm_audit;
mod osv_scanner;
mod pip_audit;
mod trivy;

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::json::{self, Flex, Seen};
use crate::evidence::sca::SeveritySource;
use crate::evidence::{Gap, GapKind, ScaReport, Severity, Vulnerability};

/// What `Unsupported` gaps list as readable.
const READABLE: &str = "vouch reads the JSON reports of cargo-audit (`cargo audit --json`), osv-scanner \
     (`--format json`), grype (`-o json`), trivy (`-f json`, SchemaVersion 2 or the legacy list), \
     npm audit (`--json`, npm 6 and npm 7+), pip-audit (`-f json`), govulncheck (`-json`) and \
     GitLab dependency scanning (`gl-dependency-scanning-report.json`)";

/// Reads one SCA scanner report, detecting the scanner from the content.
///
/// `source` names the file in gaps. Never panics, whatever the bytes.
pub fn read_sca(source: &str, bytes: &[u8]) -> Result<ScaReport, Gap> {
    let bytes = json::content(source, bytes)?;
    let mut report = match detect(source, bytes)? {
        Format::CargoAudit => cargo_audit::read(source, bytes),
        Format::OsvScanner => osv_scanner::read(source, bytes),
        Format::Grype => grype::read(source, bytes),
        Format::TrivyV2 => trivy::read_v2(source, bytes),
        Format::TrivyLegacy => trivy::read_legacy(source, bytes),
        Format::NpmAuditV6 => npm_audit::read_v6(source, bytes),
        Format::NpmAuditV7 => npm_audit::read_v7(source, bytes),
        Format::PipAudit => pip_audit::read_dependencies(source, bytes),
        Format::PipAuditLegacy => pip_audit::read_legacy(source, bytes),
        Format::GovulncheckArray => govulncheck::read_array(source, bytes),
        Format::GovulncheckStream => govulncheck::read_stream(source, bytes),
        Format::GitlabDependencyScanning => gitlab_dependency_scanning::read(source, bytes),
    }?;
    report.vulnerabilities = merge_duplicates(std::mem::take(&mut report.vulnerabilities));
    Ok(report)
}

/// The report layouts vouch tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    CargoAudit,
    OsvScanner,
    Grype,
    TrivyV2,
    TrivyLegacy,
    NpmAuditV6,
    NpmAuditV7,
    PipAudit,
    PipAuditLegacy,
    GovulncheckArray,
    GovulncheckStream,
    GitlabDependencyScanning,
}

/// Which distinguishing keys an object has; every value is skipped unread.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Keys {
    #[serde(rename = "SchemaVersion")]
    trivy_schema_version: Seen,
    #[serde(rename = "Target")]
    trivy_target: Seen,
    #[serde(rename = "Vulnerabilities")]
    trivy_vulnerabilities: Seen,
    #[serde(rename = "Type")]
    trivy_type: Seen,
    #[serde(rename = "auditReportVersion")]
    audit_report_version: Seen,
    advisories: Seen,
    matches: Seen,
    database: Seen,
    lockfile: Seen,
    vulnerabilities: Seen,
    results: Seen,
    errors: Seen,
    dependencies: Seen,
    name: Seen,
    vulns: Seen,
    skip_reason: Seen,
    version: Seen,
    dependency_files: Seen,
    scan: Flex<ScanPeek>,
    config: Seen,
    progress: Seen,
    osv: Seen,
    finding: Seen,
    #[serde(rename = "SBOM")]
    sbom: Seen,
    #[serde(rename = "bomFormat")]
    bom_format: Seen,
    #[serde(rename = "@context")]
    context: Seen,
    statements: Seen,
    runs: Seen,
    document: Seen,
}

impl Keys {
    fn is_govulncheck_message(&self) -> bool {
        self.config.0 || self.progress.0 || self.osv.0 || self.finding.0 || self.sbom.0
    }
}

/// GitLab's `scan` object, of which only the report type matters for detection.
#[derive(Debug, Default, Deserialize)]
struct ScanPeek {
    #[serde(rename = "type", default, deserialize_with = "json::lenient_string")]
    kind: Option<String>,
}

/// What the first element of a top-level array looks like.
enum ArrayPeek {
    Empty,
    FirstObject(Box<Keys>),
    FirstNotObject,
}

impl<'de> Deserialize<'de> for ArrayPeek {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct First(Option<Box<Keys>>);
        impl<'de> Deserialize<'de> for First {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = First;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("any JSON value")
                    }
                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<First, A::Error> {
                        Keys::deserialize(de::value::MapAccessDeserializer::new(map))
                            .map(|k| First(Some(Box::new(k))))
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<First, A::Error> {
                        while seq.next_element::<IgnoredAny>()?.is_some() {}
                        Ok(First(None))
                    }
                    fn visit_str<E: de::Error>(self, _: &str) -> Result<First, E> {
                        Ok(First(None))
                    }
                    fn visit_bool<E: de::Error>(self, _: bool) -> Result<First, E> {
                        Ok(First(None))
                    }
                    fn visit_u64<E: de::Error>(self, _: u64) -> Result<First, E> {
                        Ok(First(None))
                    }
                    fn visit_i64<E: de::Error>(self, _: i64) -> Result<First, E> {
                        Ok(First(None))
                    }
                    fn visit_f64<E: de::Error>(self, _: f64) -> Result<First, E> {
                        Ok(First(None))
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<First, E> {
                        Ok(First(None))
                    }
                }
                d.deserialize_any(V)
            }
        }

        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ArrayPeek;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ArrayPeek, A::Error> {
                let peek = match seq.next_element::<First>()? {
                    None => return Ok(ArrayPeek::Empty),
                    Some(First(Some(keys))) => ArrayPeek::FirstObject(keys),
                    Some(First(None)) => ArrayPeek::FirstNotObject,
                };
                // serde_json insists on every element being consumed.
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(peek)
            }
        }
        d.deserialize_seq(V)
    }
}

fn unsupported(source: &str, detail: impl Into<String>) -> Gap {
    Gap::new(GapKind::Unsupported, source, detail)
}

fn detect(source: &str, bytes: &[u8]) -> Result<Format, Gap> {
    match json::first_byte(bytes) {
        Some(b'{') => {
            // A stream deserializer because govulncheck writes concatenated objects, which a
            // whole-document parse would reject as trailing characters.
            let first = serde_json::Deserializer::from_slice(bytes)
                .into_iter::<Keys>()
                .next();
            let keys = match first {
                Some(Ok(keys)) => keys,
                Some(Err(e)) => {
                    return Err(json::malformed::<IgnoredAny>(
                        source,
                        "JSON document",
                        bytes,
                        &e,
                    ));
                }
                None => return Err(Gap::new(GapKind::Malformed, source, json::EMPTY_FILE)),
            };
            detect_object(source, bytes, &keys)
        }
        Some(b'[') => match serde_json::from_slice::<ArrayPeek>(bytes) {
            Err(e) => Err(json::malformed::<IgnoredAny>(
                source,
                "JSON array",
                bytes,
                &e,
            )),
            // Only pip-audit writes a bare `[]` (its legacy layout with no dependencies);
            // every other array format carries at least one element.
            Ok(ArrayPeek::Empty) => Ok(Format::PipAuditLegacy),
            Ok(ArrayPeek::FirstNotObject) => Err(unsupported(
                source,
                format!(
                    "a JSON array whose first element is not an object is not a report; {READABLE}"
                ),
            )),
            Ok(ArrayPeek::FirstObject(keys)) => {
                if keys.trivy_target.0 || keys.trivy_vulnerabilities.0 || keys.trivy_type.0 {
                    Ok(Format::TrivyLegacy)
                } else if keys.name.0 && (keys.vulns.0 || keys.skip_reason.0) {
                    Ok(Format::PipAuditLegacy)
                } else if keys.is_govulncheck_message() {
                    Ok(Format::GovulncheckArray)
                } else {
                    Err(unsupported(
                        source,
                        format!("unrecognized JSON array layout; {READABLE}"),
                    ))
                }
            }
        },
        _ => match serde_json::from_slice::<IgnoredAny>(bytes) {
            Err(e) => Err(json::malformed::<IgnoredAny>(
                source,
                "JSON document",
                bytes,
                &e,
            )),
            Ok(_) => Err(unsupported(
                source,
                format!("the top-level JSON value is neither an object nor an array; {READABLE}"),
            )),
        },
    }
}

fn detect_object(source: &str, bytes: &[u8], keys: &Keys) -> Result<Format, Gap> {
    if keys.bom_format.0 || keys.context.0 || keys.statements.0 || keys.document.0 {
        return Err(unsupported(
            source,
            "this is a CycloneDX, OpenVEX or CSAF document, not a scanner report; pass VEX documents with --vex",
        ));
    }
    if keys.runs.0 {
        return Err(unsupported(
            source,
            "this is a SARIF log; pass it with --sarif",
        ));
    }
    if keys.trivy_schema_version.0 {
        return Ok(Format::TrivyV2);
    }
    if keys.audit_report_version.0 {
        return Ok(Format::NpmAuditV7);
    }
    if keys.advisories.0 {
        return Ok(Format::NpmAuditV6);
    }
    if keys.matches.0 {
        return Ok(Format::Grype);
    }
    if keys.vulnerabilities.0 && (keys.database.0 || keys.lockfile.0) {
        return Ok(Format::CargoAudit);
    }
    if keys.results.0 && keys.errors.0 {
        // Semgrep and Bandit write `results` + `errors`; osv-scanner never writes `errors`.
        return Err(unsupported(
            source,
            "this looks like Semgrep or Bandit native JSON, not a dependency-scanner report; pass the scanner's SARIF with --sarif",
        ));
    }
    if keys.results.0 {
        return Ok(Format::OsvScanner);
    }
    if keys.is_govulncheck_message() {
        return Ok(Format::GovulncheckStream);
    }
    if keys.version.0 && keys.vulnerabilities.0 {
        return gitlab_kind(source, bytes, keys);
    }
    if keys.dependencies.0 {
        return Ok(Format::PipAudit);
    }
    Err(unsupported(
        source,
        format!("unrecognized JSON report layout; {READABLE}"),
    ))
}

const GITLAB_SAST: &str = "this is a GitLab SAST report; pass it with --sarif";

/// Tells GitLab dependency-scanning reports from the other GitLab security reports,
/// which share the `version` + `vulnerabilities` layout.
fn gitlab_kind(source: &str, bytes: &[u8], keys: &Keys) -> Result<Format, Gap> {
    let kind = match &keys.scan {
        Flex::Obj(scan) => scan.kind.as_deref(),
        _ => None,
    };
    match kind {
        Some("dependency_scanning") => return Ok(Format::GitlabDependencyScanning),
        Some("sast") => return Err(unsupported(source, GITLAB_SAST)),
        Some(other) => {
            return Err(unsupported(
                source,
                format!(
                    "this is a GitLab `{other}` report; vouch reads GitLab dependency-scanning reports"
                ),
            ));
        }
        None => {}
    }
    // Schema 2.x reports have no `scan` object. Dependency scanning always lists the
    // files it analysed; otherwise the per-finding `category`, when given, decides.
    if keys.dependency_files.0 {
        return Ok(Format::GitlabDependencyScanning);
    }
    #[derive(Deserialize)]
    struct Categories {
        #[serde(default, deserialize_with = "json::null_default")]
        vulnerabilities: Vec<Category>,
    }
    #[derive(Deserialize)]
    struct Category {
        #[serde(default, deserialize_with = "json::lenient_string")]
        category: Option<String>,
    }
    let cats: Categories = json::parse(source, "GitLab security report", bytes)?;
    let mut other = None;
    for c in cats
        .vulnerabilities
        .iter()
        .filter_map(|v| v.category.as_deref())
    {
        match c {
            "dependency_scanning" => return Ok(Format::GitlabDependencyScanning),
            "sast" => {}
            c => other = other.or(Some(c)),
        }
    }
    match other {
        Some(c) => Err(unsupported(
            source,
            format!(
                "this is a GitLab `{c}` report; vouch reads GitLab dependency-scanning reports"
            ),
        )),
        None => Err(unsupported(source, GITLAB_SAST)),
    }
}

/// A `Malformed` gap for a required value that is present but empty.
fn empty_field(source: &str, what: &str, path: &str) -> Gap {
    Gap::new(
        GapKind::Malformed,
        source,
        format!("{what}: `{path}` is empty"),
    )
}

/// A normalized rating with its provenance.
#[derive(Debug, Clone, PartialEq)]
struct Rating {
    severity: Severity,
    source: SeveritySource,
    vector: Option<String>,
}

impl Rating {
    /// Rates from what a report offers, in the order of trust the evidence model defines:
    /// a label, else a numeric score, else a CVSS v3.x/v4.0 vector vouch scores itself.
    ///
    /// `vectors` are in order of preference; the first v3/v4 one is reported even when a
    /// label decided, so the vector stays visible to reviewers. CVSS v2 vectors carry no
    /// version prefix and cannot be scored here, so they are neither used nor reported.
    fn rate<'a>(
        label: Option<&str>,
        score: Option<f64>,
        vectors: impl IntoIterator<Item = &'a str>,
    ) -> Rating {
        let modern: Vec<&str> = vectors
            .into_iter()
            .map(str::trim)
            .filter(|v| v.starts_with("CVSS:3.") || v.starts_with("CVSS:4.0/"))
            .collect();
        let reported = modern.first().map(|v| (*v).to_owned());
        if let Some(severity) = label.and_then(Severity::from_label) {
            return Rating {
                severity,
                source: SeveritySource::Reported,
                vector: reported,
            };
        }
        if let Some(severity) = score.and_then(Severity::from_score) {
            return Rating {
                severity,
                source: SeveritySource::Score,
                vector: reported,
            };
        }
        for v in modern {
            if let Some((_, severity)) = Severity::from_cvss_vector(v) {
                let source = if v.starts_with("CVSS:4") {
                    SeveritySource::CvssV4
                } else {
                    SeveritySource::CvssV3
                };
                return Rating {
                    severity,
                    source,
                    vector: Some(v.to_owned()),
                };
            }
        }
        Rating {
            severity: Severity::Unknown,
            source: SeveritySource::Unrated,
            vector: reported,
        }
    }
}

/// Trims, drops empties and the primary id itself, and removes repeats (ids compare
/// case-insensitively: `cve-2021-1` and `CVE-2021-1` are one id), keeping first-seen order.
fn clean_aliases(id: &str, aliases: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in aliases {
        let a = a.trim();
        if a.is_empty()
            || a.eq_ignore_ascii_case(id)
            || out.iter().any(|o| o.eq_ignore_ascii_case(a))
        {
            continue;
        }
        out.push(a.to_owned());
    }
    out
}

/// Trims, drops empties and exact repeats, keeping first-seen order.
fn clean_list(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        let i = i.trim();
        if i.is_empty() || out.iter().any(|o| o == i) {
            continue;
        }
        out.push(i.to_owned());
    }
    out
}

/// `Some` for a non-blank string.
fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// What makes two entries the same: (id, ecosystem, package, version).
type EntryKey<'a> = (&'a str, Option<&'a str>, &'a str, Option<&'a str>);

/// Merges entries with the same (id, ecosystem, package, version), keeping first-seen order.
fn merge_duplicates(vulns: Vec<Vulnerability>) -> Vec<Vulnerability> {
    let mut first: Vec<usize> = Vec::with_capacity(vulns.len());
    let mut any_duplicate = false;
    {
        let mut seen: HashMap<EntryKey<'_>, usize> = HashMap::with_capacity(vulns.len());
        for (i, v) in vulns.iter().enumerate() {
            let key = (
                v.id.as_str(),
                v.ecosystem.as_deref(),
                v.package.as_str(),
                v.version.as_deref(),
            );
            let f = *seen.entry(key).or_insert(i);
            any_duplicate |= f != i;
            first.push(f);
        }
    }
    if !any_duplicate {
        return vulns;
    }
    let mut slot: Vec<Option<usize>> = vec![None; vulns.len()];
    let mut out: Vec<Vulnerability> = Vec::with_capacity(vulns.len());
    for (i, v) in vulns.into_iter().enumerate() {
        let f = first.get(i).copied().unwrap_or(i);
        let target = slot.get(f).copied().flatten();
        match target.and_then(|t| out.get_mut(t)) {
            Some(kept) if f != i => merge_into(kept, v),
            _ => {
                if let Some(s) = slot.get_mut(i) {
                    *s = Some(out.len());
                }
                out.push(v);
            }
        }
    }
    out
}

fn merge_into(kept: &mut Vulnerability, dup: Vulnerability) {
    let aliases = std::mem::take(&mut kept.aliases)
        .into_iter()
        .chain(dup.aliases);
    kept.aliases = clean_aliases(&kept.id, aliases);
    let fixed = std::mem::take(&mut kept.fixed_versions)
        .into_iter()
        .chain(dup.fixed_versions);
    kept.fixed_versions = clean_list(fixed);
    if dup.severity > kept.severity {
        kept.severity = dup.severity;
        kept.severity_source = dup.severity_source;
        kept.cvss_vector = dup.cvss_vector;
    } else if kept.cvss_vector.is_none() {
        kept.cvss_vector = dup.cvss_vector;
    }
    if kept.title.is_none() {
        kept.title = dup.title;
    }
    if kept.url.is_none() {
        kept.url = dup.url;
    }
    if kept.manifest.is_none() {
        kept.manifest = dup.manifest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Scanner;

    fn vuln(id: &str, package: &str, version: &str, severity: Severity) -> Vulnerability {
        Vulnerability {
            id: id.into(),
            aliases: vec![],
            package: package.into(),
            ecosystem: Some("npm".into()),
            version: Some(version.into()),
            fixed_versions: vec![],
            severity,
            severity_source: SeveritySource::Reported,
            cvss_vector: None,
            title: None,
            url: None,
            manifest: None,
        }
    }

    #[test]
    fn empty_input_fails_closed() {
        for input in [&b""[..], b"\n \r\n\t"] {
            let gap = read_sca("r.json", input).unwrap_err();
            assert_eq!(gap.kind, GapKind::Malformed);
            assert_eq!(gap.detail, "empty file: the scanner wrote no report");
            assert_eq!(gap.source_name, "r.json");
        }
    }

    #[test]
    fn bare_empty_array_is_a_clean_pip_audit_report() {
        let r = read_sca("r.json", b" [ ] ").unwrap();
        assert_eq!(r.scanner, Scanner::PipAudit);
        assert!(r.vulnerabilities.is_empty());
    }

    #[test]
    fn unknown_shapes_are_unsupported_and_list_formats() {
        for input in [
            &br#"{"hello": "world"}"#[..],
            b"[1, 2]",
            b"[{\"x\": 1}]",
            b"42",
            b"\"text\"",
        ] {
            let gap = read_sca("r.json", input).unwrap_err();
            assert_eq!(gap.kind, GapKind::Unsupported, "{input:?}");
            assert!(
                gap.detail.contains("cargo-audit") || gap.detail.contains("not a report"),
                "{}",
                gap.detail
            );
        }
    }

    #[test]
    fn non_json_and_broken_json_are_malformed_with_position() {
        let gap = read_sca("r.json", b"<xml/>").unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert!(gap.detail.contains("line 1 column 1"), "{}", gap.detail);
        let gap = read_sca("r.json", b"{\n \"matches\": [\n  {,}\n ]\n}").unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert!(gap.detail.contains("line 3"), "{}", gap.detail);
    }

    #[test]
    fn other_document_kinds_point_to_the_right_flag() {
        let sarif = br#"{"version": "2.1.0", "runs": []}"#;
        assert!(read_sca("s", sarif).unwrap_err().detail.contains("--sarif"));
        let vex = br#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": []}"#;
        assert!(read_sca("v", vex).unwrap_err().detail.contains("--vex"));
    }

    #[test]
    fn gitlab_sast_is_rejected_in_every_schema_generation() {
        let v3 = br#"{"version": "15.0.0", "vulnerabilities": [], "scan": {"type": "sast"}}"#;
        let v2_empty = br#"{"version": "2.3", "vulnerabilities": [], "remediations": []}"#;
        let v2_category =
            br#"{"version": "2.3", "vulnerabilities": [{"category": "sast", "name": "x"}]}"#;
        for input in [&v3[..], v2_empty, v2_category] {
            let gap = read_sca("gl-sast-report.json", input).unwrap_err();
            assert_eq!(gap.kind, GapKind::Unsupported);
            assert!(
                gap.detail
                    .contains("this is a GitLab SAST report; pass it with --sarif"),
                "{}",
                gap.detail
            );
        }
        let dast = br#"{"version": "15.0.0", "vulnerabilities": [], "scan": {"type": "dast"}}"#;
        let gap = read_sca("gl-dast.json", dast).unwrap_err();
        assert_eq!(gap.kind, GapKind::Unsupported);
        assert!(gap.detail.contains("`dast`"), "{}", gap.detail);
    }

    #[test]
    fn ratings_prefer_label_then_score_then_vector() {
        let v3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
        let r = Rating::rate(Some("LOW"), Some(9.8), [v3]);
        assert_eq!(
            (r.severity, r.source, r.vector.as_deref()),
            (Severity::Low, SeveritySource::Reported, Some(v3))
        );
        let r = Rating::rate(Some("unknown"), Some(5.0), [v3]);
        assert_eq!(
            (r.severity, r.source),
            (Severity::Medium, SeveritySource::Score)
        );
        let r = Rating::rate(None, None, ["AV:N/AC:L/Au:N/C:P/I:P/A:P", v3]);
        assert_eq!(
            (r.severity, r.source, r.vector.as_deref()),
            (Severity::Critical, SeveritySource::CvssV3, Some(v3))
        );
        let v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        let r = Rating::rate(None, None, [v4]);
        assert_eq!(
            (r.severity, r.source),
            (Severity::Critical, SeveritySource::CvssV4)
        );
        let r = Rating::rate(None, None, ["CVSS:3.1/garbage"]);
        assert_eq!(
            (r.severity, r.source),
            (Severity::Unknown, SeveritySource::Unrated)
        );
        let r = Rating::rate(Some("high"), None, ["AV:N/AC:L/Au:N/C:P/I:P/A:P"]);
        assert_eq!(r.vector, None);
    }

    #[test]
    fn aliases_exclude_the_id_and_repeats() {
        let a = clean_aliases(
            "GHSA-1",
            [
                "CVE-1".into(),
                "ghsa-1".into(),
                " ".into(),
                "cve-1".into(),
                "X".into(),
            ],
        );
        assert_eq!(a, vec!["CVE-1".to_string(), "X".to_string()]);
    }

    #[test]
    fn duplicates_merge_keeping_the_worse_severity() {
        let mut a = vuln("CVE-1", "lodash", "1.0.0", Severity::Low);
        a.aliases = vec!["GHSA-a".into()];
        let mut b = vuln("CVE-1", "lodash", "1.0.0", Severity::High);
        b.aliases = vec!["GHSA-b".into()];
        b.fixed_versions = vec!["1.0.1".into()];
        let c = vuln("CVE-1", "lodash", "2.0.0", Severity::Low);
        let out = merge_duplicates(vec![a, c.clone(), b]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].severity, Severity::High);
        assert_eq!(
            out[0].aliases,
            vec!["GHSA-a".to_string(), "GHSA-b".to_string()]
        );
        assert_eq!(out[0].fixed_versions, vec!["1.0.1".to_string()]);
        assert_eq!(out[1], c);
    }
}
