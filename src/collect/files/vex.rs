//! VEX readers: OpenVEX JSON (v0.0.1 and v0.2.x) and CycloneDX VEX JSON (spec 1.4–1.7),
//! detected from the content, reduced to [`VexStatement`]s with one status vocabulary:
//! `not_affected`, `affected`, `fixed`, `under_investigation`.
//!
//! OpenVEX: `vulnerability` is an object with `name` and optional `aliases` (v0.2) or a
//! bare string (v0.0.1); `products[]` are strings or objects with `@id`. A product
//! object's `identifiers.purl` and its `subcomponents` are listed as products too: a
//! statement "image X is not affected because its copy of library Y is never loaded"
//! names Y as the subcomponent, and Y is what a dependency scanner reports. The
//! `justification` label and the free-text `impact_statement` are joined.
//!
//! CycloneDX: each `vulnerabilities[]` entry is one statement: `id`, `references[].id`
//! as aliases, `affects[].ref` as products (a ref that names a component of the same BOM
//! also contributes that component's purl), and `analysis.state` mapped as
//! `exploitable` -> affected, `resolved`/`resolved_with_pedigree` -> fixed,
//! `in_triage` -> under_investigation, `false_positive` -> not_affected. An entry with
//! no analysis is a plain vulnerability record (a VDR), read as `affected`.
//!
//! Statuses outside these vocabularies are `Malformed`, not guessed: a misspelled
//! `not_afected` must never waive anything, nor silently vanish.

use std::collections::HashMap;

use serde::Deserialize;

use super::json::{self, Convert, Converted, Flex, Seen};
use crate::evidence::{Gap, GapKind, VexDocument, VexStatement};

const WHAT_OPENVEX: &str = "OpenVEX document";
const WHAT_CYCLONEDX: &str = "CycloneDX VEX document";
const READABLE: &str = "vouch reads OpenVEX JSON (`@context: https://openvex.dev/ns/...`) and CycloneDX VEX JSON \
                        (`bomFormat: CycloneDX` with `vulnerabilities`)";

/// Reads one VEX document (OpenVEX or CycloneDX JSON), detecting the format from content.
///
/// `source` names the file in gaps. Never panics, whatever the bytes.
pub fn read_vex(source: &str, bytes: &[u8]) -> Result<VexDocument, Gap> {
    let content = json::content(source, bytes)?;
    match detect(source, content)? {
        Kind::OpenVex => Ok(convert_openvex(parse_openvex(source, content)?)),
        Kind::CycloneDx => read_cyclonedx(source, content),
    }
}

/// [`read_vex`] taking the file's bytes, which are dropped once an OpenVEX document
/// is parsed and before its statements are normalized: the text, the raw statements
/// and the normalized ones never all exist at once.
pub fn read_vex_owned(source: &str, bytes: Vec<u8>) -> Result<VexDocument, Gap> {
    let content = json::content(source, &bytes)?;
    match detect(source, content)? {
        Kind::OpenVex => {
            let doc = parse_openvex(source, content)?;
            drop(bytes);
            Ok(convert_openvex(doc))
        }
        Kind::CycloneDx => read_cyclonedx(source, content),
    }
}

/// The VEX formats vouch reads.
enum Kind {
    OpenVex,
    CycloneDx,
}

/// Which format `bytes` is in, or why it is none vouch reads.
fn detect(source: &str, bytes: &[u8]) -> Result<Kind, Gap> {
    if json::first_byte(bytes) != Some(b'{') {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Err(e) => Err(json::malformed::<serde::de::IgnoredAny>(
                source,
                "JSON document",
                bytes,
                &e,
            )),
            Ok(_) => Err(Gap::new(
                GapKind::Unsupported,
                source,
                format!("a VEX document is a JSON object; {READABLE}"),
            )),
        };
    }
    // Only the first value decides, so a stream of concatenated objects (govulncheck
    // output passed by mistake) is reported as unsupported rather than as broken JSON.
    let keys: Keys = match serde_json::Deserializer::from_slice(bytes)
        .into_iter::<Keys>()
        .next()
    {
        Some(Ok(keys)) => keys,
        Some(Err(e)) => {
            return Err(json::malformed::<serde::de::IgnoredAny>(
                source,
                "JSON document",
                bytes,
                &e,
            ));
        }
        None => return Err(Gap::new(GapKind::Malformed, source, json::EMPTY_FILE)),
    };
    if let Some(context) = keys.context.as_deref() {
        if is_openvex_namespace(context.trim()) {
            return Ok(Kind::OpenVex);
        }
        return Err(Gap::new(
            GapKind::Unsupported,
            source,
            format!("`@context` is `{context}`, not an OpenVEX namespace; {READABLE}"),
        ));
    }
    if let Some(format) = keys.bom_format.as_deref() {
        if format != "CycloneDX" {
            return Err(Gap::new(
                GapKind::Unsupported,
                source,
                format!("`bomFormat` is `{format}`; {READABLE}"),
            ));
        }
        if !keys.vulnerabilities.0 {
            return Err(Gap::new(
                GapKind::Unsupported,
                source,
                "this CycloneDX document has no `vulnerabilities`: it is an SBOM, not VEX",
            ));
        }
        return Ok(Kind::CycloneDx);
    }
    let hint = if keys.document.0 {
        "this looks like a CSAF document, which vouch does not read; "
    } else {
        "unrecognized JSON layout; "
    };
    Err(Gap::new(
        GapKind::Unsupported,
        source,
        format!("{hint}{READABLE}"),
    ))
}

/// The keys that tell VEX formats apart; other values are skipped unread.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Keys {
    #[serde(rename = "@context", deserialize_with = "json::lenient_string")]
    context: Option<String>,
    #[serde(rename = "bomFormat", deserialize_with = "json::lenient_string")]
    bom_format: Option<String>,
    vulnerabilities: Seen,
    document: Seen,
}

/// `https://openvex.dev/ns`, optionally with a version (`/v0.2.0`), and nothing else:
/// a prefix match would take `https://openvex.dev/nsEVIL` for OpenVEX.
fn is_openvex_namespace(context: &str) -> bool {
    let Some(rest) = context.strip_prefix("https://openvex.dev/ns") else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let Some(version) = rest.strip_prefix("/v") else {
        return false;
    };
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// OpenVEX's justification labels for `not_affected`.
const OPENVEX_JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

#[derive(Deserialize)]
struct OpenVex {
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(deserialize_with = "json::null_default")]
    statements: Vec<Converted<OvStatement>>,
}

#[derive(Deserialize)]
struct OvStatement {
    vulnerability: Flex<OvVulnerability>,
    #[serde(default, deserialize_with = "json::null_default")]
    products: Vec<Flex<OvProduct>>,
    /// v0.0.1 put subcomponents on the statement.
    #[serde(default, deserialize_with = "json::null_default")]
    subcomponents: Vec<Flex<OvProduct>>,
    status: String,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    impact_statement: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
}

#[derive(Deserialize)]
struct OvVulnerability {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    aliases: Vec<String>,
}

#[derive(Deserialize)]
struct OvProduct {
    #[serde(rename = "@id", default)]
    id: Option<String>,
    #[serde(default)]
    identifiers: Option<OvIdentifiers>,
    #[serde(default, deserialize_with = "json::null_default")]
    subcomponents: Vec<Flex<OvSubcomponent>>,
}

#[derive(Deserialize)]
struct OvSubcomponent {
    #[serde(rename = "@id", default)]
    id: Option<String>,
    #[serde(default)]
    identifiers: Option<OvIdentifiers>,
}

#[derive(Deserialize)]
struct OvIdentifiers {
    #[serde(default)]
    purl: Option<String>,
}

fn parse_openvex(source: &str, bytes: &[u8]) -> Result<OpenVex, Gap> {
    json::parse(source, WHAT_OPENVEX, bytes)
}

fn convert_openvex(doc: OpenVex) -> VexDocument {
    VexDocument {
        format: "openvex".to_owned(),
        author: non_empty(doc.author),
        timestamp: non_empty(doc.timestamp),
        statements: doc.statements.into_iter().map(|s| s.0).collect(),
    }
}

/// Each statement is normalized as it is parsed ([`json::Converted`]): the raw
/// statements of a 200,000-statement document never all exist beside the normalized
/// ones. An error names the statement by its path (`statements[3]`) and position.
impl Convert for OvStatement {
    type Output = VexStatement;
    fn convert(self) -> Result<VexStatement, String> {
        let s = self;
        let (name, aliases) = match s.vulnerability {
            Flex::Str(name) => (Some(name), Vec::new()),
            Flex::Obj(v) => (v.name, v.aliases),
            _ => (None, Vec::new()),
        };
        let Some(vulnerability) = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty())
        else {
            return Err(
                "`vulnerability` has no name (expected a string or an object with `name`)".into(),
            );
        };
        let status = openvex_status(&s.status).ok_or_else(|| {
            format!(
                "`status` is `{}`; expected not_affected, affected, fixed or under_investigation",
                s.status
            )
        })?;
        // OpenVEX: a `not_affected` statement MUST give a justification or an impact
        // statement. Without either it is an unsupported claim, not a waiver.
        if status == "not_affected" {
            let justification = non_empty(s.justification.clone());
            let impact = non_empty(s.impact_statement.clone());
            match (&justification, &impact) {
                (None, None) => {
                    return Err(
                        "the statement is not_affected without a `justification` or an `impact_statement` (OpenVEX requires one)".into(),
                    );
                }
                (Some(j), _) if !OPENVEX_JUSTIFICATIONS.contains(&j.trim()) => {
                    return Err(format!(
                        "`justification` is `{j}`; expected one of {}",
                        OPENVEX_JUSTIFICATIONS.join(", ")
                    ));
                }
                _ => {}
            }
        }
        let mut products = Vec::new();
        for p in s.products {
            match p {
                Flex::Str(id) => products.push(id),
                Flex::Obj(p) => {
                    products.extend(p.id);
                    products.extend(p.identifiers.and_then(|x| x.purl));
                    for sub in p.subcomponents {
                        push_subcomponent(&mut products, sub);
                    }
                }
                _ => {}
            }
        }
        for sub in s.subcomponents {
            match sub {
                Flex::Str(id) => products.push(id),
                Flex::Obj(p) => {
                    products.extend(p.id);
                    products.extend(p.identifiers.and_then(|x| x.purl));
                }
                _ => {}
            }
        }
        Ok(VexStatement {
            aliases: clean(aliases, Some(vulnerability.as_str())),
            vulnerability,
            products: clean(products, None),
            status: status.to_owned(),
            justification: join_justification(s.justification, s.impact_statement),
            timestamp: non_empty(s.timestamp),
        })
    }
}

fn push_subcomponent(products: &mut Vec<String>, sub: Flex<OvSubcomponent>) {
    match sub {
        Flex::Str(id) => products.push(id),
        Flex::Obj(s) => {
            products.extend(s.id);
            products.extend(s.identifiers.and_then(|x| x.purl));
        }
        _ => {}
    }
}

fn openvex_status(status: &str) -> Option<&'static str> {
    Some(match status.trim() {
        "not_affected" => "not_affected",
        "affected" => "affected",
        "fixed" => "fixed",
        "under_investigation" => "under_investigation",
        _ => return None,
    })
}

#[derive(Deserialize)]
struct Cdx {
    #[serde(rename = "serialNumber", default)]
    serial_number: Option<String>,
    #[serde(default, deserialize_with = "json::lenient_string")]
    version: Option<String>,
    #[serde(default)]
    metadata: Option<CdxMetadata>,
    #[serde(default, deserialize_with = "json::null_default")]
    components: Vec<CdxComponent>,
    #[serde(deserialize_with = "json::null_default")]
    vulnerabilities: Vec<CdxVulnerability>,
}

#[derive(Deserialize)]
struct CdxMetadata {
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    authors: Vec<CdxAuthor>,
    #[serde(default)]
    component: Option<CdxComponent>,
}

#[derive(Deserialize)]
struct CdxAuthor {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct CdxComponent {
    #[serde(rename = "bom-ref", default, deserialize_with = "json::lenient_string")]
    bom_ref: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    components: Vec<CdxComponent>,
}

#[derive(Deserialize)]
struct CdxVulnerability {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    references: Vec<CdxReference>,
    #[serde(default)]
    analysis: Option<CdxAnalysis>,
    #[serde(default, deserialize_with = "json::null_default")]
    affects: Vec<CdxAffects>,
}

#[derive(Deserialize)]
struct CdxReference {
    #[serde(default)]
    id: Option<String>,
}

#[derive(Deserialize)]
struct CdxAnalysis {
    #[serde(default)]
    state: Option<String>,
    #[serde(default, rename = "lastUpdated")]
    last_updated: Option<String>,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

#[derive(Deserialize)]
struct CdxAffects {
    #[serde(rename = "ref", default, deserialize_with = "json::lenient_string")]
    reference: Option<String>,
}

fn read_cyclonedx(source: &str, bytes: &[u8]) -> Result<VexDocument, Gap> {
    let doc: Cdx = json::parse(source, WHAT_CYCLONEDX, bytes)?;
    // BOM-Link (`urn:cdx:<serial>/<version>#<bom-ref>`) names a BOM by its serial
    // number; only a link to this very document resolves to one of its components.
    let own_link = doc
        .serial_number
        .as_deref()
        .and_then(|s| s.trim().strip_prefix("urn:uuid:"))
        .map(|serial| {
            format!(
                "urn:cdx:{serial}/{}#",
                doc.version.as_deref().unwrap_or("1")
            )
        });
    let mut purls: HashMap<String, String> = HashMap::new();
    let (authors, root, doc_time) = match doc.metadata {
        Some(m) => (m.authors, m.component, m.timestamp),
        None => (Vec::new(), None, None),
    };
    let mut stack: Vec<CdxComponent> = doc.components;
    stack.extend(root);
    while let Some(c) = stack.pop() {
        if let (Some(r), Some(p)) = (c.bom_ref, c.purl) {
            purls.insert(r, p);
        }
        stack.extend(c.components);
    }

    let mut statements = Vec::with_capacity(doc.vulnerabilities.len());
    for (i, v) in doc.vulnerabilities.into_iter().enumerate() {
        let Some(vulnerability) = non_empty(v.id).map(|s| s.trim().to_owned()) else {
            return Err(malformed(
                source,
                WHAT_CYCLONEDX,
                format!("`vulnerabilities[{i}].id` is missing or empty"),
            ));
        };
        let (state, justification, detail, updated) = match v.analysis {
            Some(a) => (a.state, a.justification, a.detail, a.last_updated),
            None => (None, None, None, None),
        };
        let status = match state.as_deref().map(str::trim) {
            None => "affected",
            Some(s) => cyclonedx_status(s).ok_or_else(|| {
                malformed(
                    source,
                    WHAT_CYCLONEDX,
                    format!(
                        "`vulnerabilities[{i}].analysis.state` is `{s}`; expected resolved, resolved_with_pedigree, \
                         exploitable, in_triage, false_positive or not_affected"
                    ),
                )
            })?,
        };
        // A false-positive claim carries no justification code; say what it was.
        let justification = match (state.as_deref(), justification) {
            (Some("false_positive"), None) => Some("false_positive".to_owned()),
            (_, j) => j,
        };
        // As for OpenVEX: a `not_affected` claim without a reason waives nothing.
        if status == "not_affected"
            && non_empty(justification.clone()).is_none()
            && non_empty(detail.clone()).is_none()
        {
            return Err(malformed(
                source,
                WHAT_CYCLONEDX,
                format!(
                    "`vulnerabilities[{i}].analysis` is not_affected without a `justification` or `detail`"
                ),
            ));
        }
        let mut products = Vec::new();
        for a in v.affects {
            let Some(r) = non_empty(a.reference) else {
                continue;
            };
            // A plain bom-ref, or a BOM-Link into this document, resolves to the
            // component's purl; a BOM-Link to another BOM stays as written and so
            // matches no dependency (its BOM is not this one).
            let local = match r.strip_prefix("urn:cdx:") {
                Some(_) => own_link.as_deref().and_then(|own| r.strip_prefix(own)),
                None => Some(r.as_str()),
            };
            if let Some(purl) = local.and_then(|l| purls.get(l)) {
                products.push(purl.clone());
            }
            products.push(r);
        }
        statements.push(VexStatement {
            aliases: clean(
                v.references.into_iter().filter_map(|r| r.id).collect(),
                Some(vulnerability.as_str()),
            ),
            vulnerability,
            products: clean(products, None),
            status: status.to_owned(),
            justification: join_justification(justification, detail),
            timestamp: non_empty(updated),
        });
    }
    let author = authors
        .into_iter()
        .filter_map(|a| non_empty(a.name))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(VexDocument {
        format: "cyclonedx".to_owned(),
        author: non_empty(Some(author)),
        timestamp: non_empty(doc_time),
        statements,
    })
}

fn cyclonedx_status(state: &str) -> Option<&'static str> {
    Some(match state {
        "not_affected" | "false_positive" => "not_affected",
        "exploitable" => "affected",
        "resolved" | "resolved_with_pedigree" => "fixed",
        "in_triage" => "under_investigation",
        _ => return None,
    })
}

fn malformed(source: &str, what: &str, detail: String) -> Gap {
    Gap::new(GapKind::Malformed, source, format!("{what}: {detail}"))
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// `code: text` when both are given, else whichever is.
fn join_justification(code: Option<String>, text: Option<String>) -> Option<String> {
    match (non_empty(code), non_empty(text)) {
        (Some(c), Some(t)) => Some(format!("{}: {}", c.trim(), t.trim())),
        (c, t) => c.or(t).map(|s| s.trim().to_owned()),
    }
}

/// Trims, drops empties, repeats and `exclude`, keeping order.
fn clean(items: Vec<String>, exclude: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for i in items {
        let i = i.trim();
        if i.is_empty()
            || exclude.is_some_and(|e| e.eq_ignore_ascii_case(i))
            || out.iter().any(|o| o == i)
        {
            continue;
        }
        out.push(i.to_owned());
    }
    out
}

#[cfg(test)]
mod tests;
