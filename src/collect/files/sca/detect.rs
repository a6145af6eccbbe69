//! Telling scanner report formats apart from their content.
//!
//! One allocation-free pass reads the top-level keys into a struct of flags, every value
//! skipped (for a top-level array, the keys of its first element); the keys decide the
//! format. Anything that looks like another kind of document (SARIF, SBOM, VEX, a SAST
//! tool's native JSON) is refused with a pointer to where it belongs.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::READABLE;
use crate::collect::files::json::{self, Flex, Seen};
use crate::evidence::{Gap, GapKind};

/// The report layouts vouch tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
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

pub(super) fn detect(source: &str, bytes: &[u8]) -> Result<Format, Gap> {
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
            // A bare `[]` (pip-audit's legacy layout with no dependency, an empty trivy
            // list) names nothing that was scanned, whichever tool wrote it.
            Ok(ArrayPeek::Empty) => Err(super::nothing_scanned(
                source,
                "an empty JSON array",
                "it names no dependency, target or message",
            )),
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
