//! CycloneDX XML, spec 1.2 to 1.7.
//!
//! There is no XSD validator in Rust worth depending on (the options bind libxml2), and
//! `cyclonedx-bom` 0.8 reads XML only up to spec 1.5. So the parts of the document the
//! control judges (the `bom` attributes, `metadata`, every component, the dependency
//! graph) are mapped to their JSON form, element for property as the CycloneDX spec
//! defines the two encodings, and validated against the same official JSON schema as
//! a JSON SBOM, with the semantic rules on top. Problems carry the XML line. What is
//! not mapped (services, vulnerabilities, formulation, …) is checked for being
//! well-formed XML only: this is not a full XSD validation, and says so.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::cyclonedx_json::{Streamed, finish};
use super::json_stream::{Array, Items};
use super::schema;
use super::semantic::Refs;
use super::xml_tree::{self, Element};
use crate::collect::replay::Text;
use crate::evidence::sbom::{Sbom, SbomFormat, SbomProblem};
use crate::evidence::{Gap, GapKind};

const NAMESPACE: &str = "http://cyclonedx.org/schema/bom/";

/// Reads and validates a CycloneDX XML document, one top-level component and
/// dependency at a time: each is checked, mapped and judged as it ends, and dropped.
pub fn read<T: Text + ?Sized>(source: &str, text: &T) -> Result<Sbom, Gap> {
    let mut items: Option<ItemSink> = None;
    let [components, references] = tags(text, [b"<component", b"<dependency"])
        .map_err(|e| Gap::new(GapKind::Malformed, source, format!("CycloneDX XML: {e}")))?;
    let root = xml_tree::parse_streaming(
        text,
        &[("components", "component"), ("dependencies", "dependency")],
        &mut |root, list, index, el| {
            // The spec version is the root's namespace, known before any item ends.
            let Some(version) = spec_version_of(root) else {
                return;
            };
            items
                .get_or_insert_with(|| ItemSink::new(version, components, references))
                .item(list, index, &el);
        },
    )
    .map_err(|e| Gap::new(GapKind::Malformed, source, format!("CycloneDX XML: {e}")))?;
    let spec_version = spec_version_of(&root).ok_or_else(|| {
        Gap::new(
            GapKind::Malformed,
            source,
            format!(
                "CycloneDX XML: the root element is <{}> in namespace {:?}, not <bom> in {NAMESPACE}<version>",
                root.name,
                root.namespace.as_deref().unwrap_or("")
            ),
        )
    })?;
    let ItemSink {
        mut streamed,
        mut lines,
        problems: item_problems,
        ..
    } = items.unwrap_or_else(|| ItemSink::new(spec_version, 0, 0));
    let spec_version = spec_version.to_string();
    let doc = bom(&root, &spec_version, &mut lines);
    // Objects that are not mapped (services, vulnerabilities…) can be dependency
    // targets too: every bom-ref attribute in the document is a known reference.
    every_bom_ref(&root, &mut streamed.refs);
    let line_of = |pointer: &str| lines.line_of(pointer);
    let mut sbom = finish(
        &doc,
        spec_version,
        SbomFormat::CyclonedxXml,
        streamed,
        &line_of,
    );
    structure(&root, &sbom.spec_version, &mut sbom.problems);
    sbom.problems.extend(item_problems);
    Ok(sbom)
}

/// How many start tags named each of `tags` (`<component`) the document has: at least
/// as many as the components (or references) it will yield, to size their lists ahead
/// (a growing list briefly holds its old and new copies). Counted a chunk at a time;
/// each chunk is searched with the end of the one before, so a tag cut in two counts.
fn tags<T: Text + ?Sized, const N: usize>(
    text: &T,
    tags: [&[u8]; N],
) -> std::io::Result<[usize; N]> {
    let finders = tags.map(memchr::memmem::Finder::new);
    let keep = tags.iter().map(|t| t.len()).max().unwrap_or(0);
    let mut counts = [0; N];
    let mut pass = text.pass()?;
    let mut window: Vec<u8> = Vec::with_capacity(keep + (1 << 16));
    let mut chunk = vec![0u8; 1 << 16];
    // Bytes at the start of the window kept from the one before: a tag that ended
    // there (with the byte after it) was counted then.
    let mut carried = 0;
    loop {
        let n = match std::io::Read::read(&mut pass, &mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(counts);
        }
        window.extend_from_slice(&chunk[..n]);
        for ((finder, tag), count) in finders.iter().zip(tags).zip(&mut counts) {
            // A tag counts when the byte after it ends the name; one whose next byte
            // is not here yet is found again in the next window.
            *count += finder
                .find_iter(&window)
                .filter(|&at| {
                    at + tag.len() >= carried
                        && window.get(at + tag.len()).is_some_and(|b| {
                            matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/')
                        })
                })
                .count();
        }
        // The last `keep` bytes hold any tag cut at the end (or found but not judged).
        let cut = window.len().saturating_sub(keep);
        window.drain(..cut);
        carried = window.len();
    }
}

/// `1.6` for a `<bom>` in `http://cyclonedx.org/schema/bom/1.6`.
fn spec_version_of(root: &Element) -> Option<&str> {
    root.namespace
        .as_deref()
        .and_then(|ns| ns.strip_prefix(NAMESPACE))
        .filter(|_| root.name == "bom")
}

/// The streamed items, as they go by: their structure problems, their JSON form
/// judged by the JSON reader's sink, and their lines.
struct ItemSink {
    streamed: Streamed,
    lines: Lines,
    problems: Vec<SbomProblem>,
    /// The elements a component may have in this spec version.
    component_elements: Vec<String>,
}

impl ItemSink {
    fn new(version: &str, components: usize, references: usize) -> Self {
        // Every `<dependency>` names one reference.
        let streamed = Streamed::new(version, [components, 0, references]);
        ItemSink {
            streamed,
            lines: Lines::default(),
            problems: Vec::new(),
            component_elements: schema::property_names(
                version,
                "/definitions/component/properties",
            ),
        }
    }

    fn item(&mut self, list: &str, index: usize, el: &Element) {
        if list == "components" {
            check_component(el, &self.component_elements, &mut self.problems);
            every_bom_ref(el, &mut self.streamed.refs);
            let value = component(el, &format!("/components/{index}"), &mut self.lines);
            self.streamed.item(Array::Components, index, value);
        } else {
            let value = dependency(el, index, &mut self.lines);
            self.streamed.item(Array::Dependencies, index, value);
        }
    }
}

/// What the mapping to JSON would otherwise let through: an element the spec does not
/// define where vouch reads (a misspelt `<componnet>` would hide a component), and an
/// element given twice (a second `<purl>` or `<licenses>` would be ignored). Extension
/// elements in another namespace (`<ext:x>`) are allowed, as the XSD allows them.
fn structure(root: &Element, version: &str, problems: &mut Vec<SbomProblem>) {
    let known = |pointer: &str| schema::property_names(version, pointer);
    let bom = known("/properties");
    let metadata = known("/definitions/metadata/properties");
    let component = known("/definitions/component/properties");
    check_children(root, "bom", &bom, problems);
    if let Some(m) = root.child("metadata") {
        check_children(m, "metadata", &metadata, problems);
        if let Some(c) = m.child("component") {
            check_component(c, &component, problems);
        }
    }
    for list in root.all("components") {
        check_list(list, "component", problems);
        for c in list.all("component") {
            check_component(c, &component, problems);
        }
    }
    if let Some(deps) = root.child("dependencies") {
        check_list(deps, "dependency", problems);
    }
}

fn check_component(c: &Element, known: &[String], problems: &mut Vec<SbomProblem>) {
    check_children(c, "component", known, problems);
    for (list, item) in [("hashes", "hash"), ("components", "component")] {
        if let Some(l) = c.child(list) {
            check_list(l, item, problems);
        }
    }
    if let Some(l) = c.child("licenses") {
        for x in l.children.iter().filter(|x| !x.prefixed) {
            if x.name != "license" && x.name != "expression" {
                problems.push(unexpected(x, "<licenses> holds <license> and <expression>"));
            }
        }
    }
    if let Some(nested) = c.child("components") {
        for n in nested.all("component") {
            check_component(n, known, problems);
        }
    }
}

/// Every child of `el` is a known, non-repeated element (lists are wrapped in XML, so
/// each child appears once).
fn check_children(el: &Element, what: &str, known: &[String], problems: &mut Vec<SbomProblem>) {
    if known.is_empty() {
        return;
    }
    let mut seen: Vec<&str> = Vec::new();
    for x in el.children.iter().filter(|x| !x.prefixed) {
        if !known.contains(&x.name) {
            problems.push(unexpected(
                x,
                &format!("<{what}> has no <{}> element in this spec version", x.name),
            ));
        } else if seen.contains(&x.name.as_str()) {
            problems.push(unexpected(
                x,
                &format!("<{}> appears more than once in <{what}>", x.name),
            ));
        } else {
            seen.push(&x.name);
        }
    }
}

/// Every child of a list element is an `item`.
fn check_list(list: &Element, item: &str, problems: &mut Vec<SbomProblem>) {
    for x in list
        .children
        .iter()
        .filter(|x| !x.prefixed && x.name != item)
    {
        problems.push(unexpected(
            x,
            &format!("<{}> holds only <{item}> elements", list.name),
        ));
    }
}

fn unexpected(x: &Element, message: &str) -> SbomProblem {
    SbomProblem {
        location: format!("<{}>", x.name),
        line: Some(x.line),
        message: format!("unexpected <{}>: {message}", x.name),
    }
}

/// Source lines of the JSON pointers the mapping produced. The pointers a large SBOM
/// has by the hundred thousand (each top-level component, its hashes, each dependency)
/// are kept as numbers, not as strings in a map.
#[derive(Default)]
struct Lines {
    /// `/components/{i}`, by `i` (0: not noted).
    components: Vec<u32>,
    /// `/components/{i}/hashes/{j}`.
    hashes: HashMap<(u32, u32), u32>,
    /// `/dependencies/{i}`, by `i` (0: not noted).
    dependencies: Vec<u32>,
    /// Every other pointer.
    other: HashMap<String, u64>,
}

/// Where a pointer the mapping notes often points.
enum Slot {
    Component(usize),
    Hash(u32, u32),
    Dependency(usize),
}

fn slot(pointer: &str) -> Option<Slot> {
    let index = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if let Some(rest) = pointer.strip_prefix("/components/") {
        return match rest.split_once("/hashes/") {
            Some((i, j)) => Some(Slot::Hash(index(i)?, index(j)?)),
            None => Some(Slot::Component(index(rest)? as usize)),
        };
    }
    let rest = pointer.strip_prefix("/dependencies/")?;
    Some(Slot::Dependency(index(rest)? as usize))
}

impl Lines {
    fn note(&mut self, pointer: &str, el: &Element) {
        let line = u32::try_from(el.line).unwrap_or(u32::MAX);
        let at = |list: &mut Vec<u32>, i: usize| {
            if list.len() <= i {
                list.resize(i + 1, 0);
            }
            list[i] = line;
        };
        match slot(pointer) {
            Some(Slot::Component(i)) => at(&mut self.components, i),
            Some(Slot::Dependency(i)) => at(&mut self.dependencies, i),
            Some(Slot::Hash(i, j)) => {
                self.hashes.insert((i, j), line);
            }
            None => {
                self.other.insert(pointer.to_string(), el.line);
            }
        }
    }

    fn get(&self, pointer: &str) -> Option<u64> {
        let line = match slot(pointer) {
            Some(Slot::Component(i)) => self.components.get(i).copied(),
            Some(Slot::Dependency(i)) => self.dependencies.get(i).copied(),
            Some(Slot::Hash(i, j)) => self.hashes.get(&(i, j)).copied(),
            None => return self.other.get(pointer).copied(),
        };
        line.filter(|&l| l > 0).map(u64::from)
    }

    /// The line of `pointer`, or of its nearest mapped ancestor.
    fn line_of(&self, pointer: &str) -> Option<u64> {
        let mut p = pointer;
        loop {
            if let Some(line) = self.get(p) {
                return Some(line);
            }
            p = &p[..p.rfind('/')?];
        }
    }
}

fn bom(root: &Element, version: &str, lines: &mut Lines) -> Value {
    lines.note("", root);
    let mut o = Map::new();
    o.insert("bomFormat".into(), json!("CycloneDX"));
    o.insert("specVersion".into(), json!(version));
    if let Some(s) = root.attr("serialNumber") {
        o.insert("serialNumber".into(), json!(s));
    }
    // `version` defaults to 1 in the XSD.
    o.insert(
        "version".into(),
        match root.attr("version") {
            Some(v) => v.parse::<u64>().map_or_else(|_| json!(v), |n| json!(n)),
            None => json!(1),
        },
    );
    if let Some(m) = root.child("metadata") {
        o.insert("metadata".into(), metadata(m, lines));
    }
    if let Some(cs) = root.child("components") {
        o.insert("components".into(), components(cs, "/components", lines));
    }
    if let Some(deps) = root.child("dependencies") {
        o.insert("dependencies".into(), dependencies(deps, lines));
    }
    Value::Object(o)
}

fn metadata(m: &Element, lines: &mut Lines) -> Value {
    lines.note("/metadata", m);
    let mut o = Map::new();
    text_field(&mut o, m, "timestamp");
    if let Some(tools) = m.child("tools") {
        let legacy: Vec<Value> = tools
            .all("tool")
            .map(|t| {
                let mut o = Map::new();
                for k in ["vendor", "name", "version"] {
                    text_field(&mut o, t, k);
                }
                Value::Object(o)
            })
            .collect();
        let value = if !legacy.is_empty() || tools.children.is_empty() {
            Value::Array(legacy)
        } else {
            let mut o = Map::new();
            if let Some(cs) = tools.child("components") {
                o.insert(
                    "components".into(),
                    components(cs, "/metadata/tools/components", lines),
                );
            }
            if let Some(ss) = tools.child("services") {
                let services: Vec<Value> = ss
                    .all("service")
                    .map(|s| {
                        let mut o = Map::new();
                        for k in ["name", "version"] {
                            text_field(&mut o, s, k);
                        }
                        Value::Object(o)
                    })
                    .collect();
                o.insert("services".into(), Value::Array(services));
            }
            Value::Object(o)
        };
        o.insert("tools".into(), value);
    }
    if let Some(authors) = m.child("authors") {
        o.insert("authors".into(), contacts(authors, "author"));
    }
    if let Some(c) = m.child("component") {
        o.insert(
            "component".into(),
            component(c, "/metadata/component", lines),
        );
    }
    for key in ["manufacture", "manufacturer", "supplier"] {
        if let Some(e) = m.child(key) {
            o.insert(key.into(), entity(e));
        }
    }
    if let Some(l) = m.child("licenses") {
        o.insert("licenses".into(), licenses(l));
    }
    Value::Object(o)
}

fn components(list: &Element, at: &str, lines: &mut Lines) -> Value {
    Value::Array(
        list.all("component")
            .enumerate()
            .map(|(i, c)| component(c, &format!("{at}/{i}"), lines))
            .collect(),
    )
}

fn component(c: &Element, at: &str, lines: &mut Lines) -> Value {
    lines.note(at, c);
    let mut o = Map::new();
    for (attr, key) in [
        ("type", "type"),
        ("bom-ref", "bom-ref"),
        ("mime-type", "mime-type"),
    ] {
        if let Some(v) = c.attr(attr) {
            o.insert(key.into(), json!(v));
        }
    }
    for key in [
        "author",
        "publisher",
        "group",
        "name",
        "version",
        "description",
        "scope",
        "copyright",
        "cpe",
        "purl",
    ] {
        text_field(&mut o, c, key);
    }
    for key in ["supplier", "manufacturer"] {
        if let Some(e) = c.child(key) {
            o.insert(key.into(), entity(e));
        }
    }
    if let Some(authors) = c.child("authors") {
        o.insert("authors".into(), contacts(authors, "author"));
    }
    if let Some(hashes) = c.child("hashes") {
        let list: Vec<Value> = hashes
            .all("hash")
            .enumerate()
            .map(|(i, h)| {
                lines.note(&format!("{at}/hashes/{i}"), h);
                let mut o = Map::new();
                if let Some(alg) = h.attr("alg") {
                    o.insert("alg".into(), json!(alg));
                }
                o.insert("content".into(), json!(h.text));
                Value::Object(o)
            })
            .collect();
        o.insert("hashes".into(), Value::Array(list));
    }
    if let Some(l) = c.child("licenses") {
        o.insert("licenses".into(), licenses(l));
    }
    if let Some(cs) = c.child("components") {
        o.insert(
            "components".into(),
            components(cs, &format!("{at}/components"), lines),
        );
    }
    Value::Object(o)
}

/// `<licenses>`: `<license><id|name/></license>` and `<expression>` in order.
fn licenses(l: &Element) -> Value {
    Value::Array(
        l.children
            .iter()
            .filter_map(|x| match x.name.as_str() {
                "expression" => Some(json!({"expression": x.text})),
                "license" => {
                    let mut inner = Map::new();
                    text_field(&mut inner, x, "id");
                    text_field(&mut inner, x, "name");
                    text_field(&mut inner, x, "url");
                    Some(json!({"license": inner}))
                }
                _ => None,
            })
            .collect(),
    )
}

/// An organizational entity: its name (and URLs).
fn entity(e: &Element) -> Value {
    let mut o = Map::new();
    text_field(&mut o, e, "name");
    let urls: Vec<Value> = e.all("url").map(|u| json!(u.text)).collect();
    if !urls.is_empty() {
        o.insert("url".into(), Value::Array(urls));
    }
    Value::Object(o)
}

/// A list of contacts (`<authors><author>…`).
fn contacts(list: &Element, item: &str) -> Value {
    Value::Array(
        list.all(item)
            .map(|a| {
                let mut o = Map::new();
                for k in ["name", "email", "phone"] {
                    text_field(&mut o, a, k);
                }
                Value::Object(o)
            })
            .collect(),
    )
}

fn dependencies(deps: &Element, lines: &mut Lines) -> Value {
    Value::Array(
        deps.all("dependency")
            .enumerate()
            .map(|(i, d)| dependency(d, i, lines))
            .collect(),
    )
}

/// Dependency `i`: its `ref` and what it depends on.
fn dependency(d: &Element, i: usize, lines: &mut Lines) -> Value {
    lines.note(&format!("/dependencies/{i}"), d);
    let mut o = Map::new();
    if let Some(r) = d.attr("ref") {
        o.insert("ref".into(), json!(r));
    }
    let on: Vec<Value> = d
        .all("dependency")
        .map(|x| json!(x.attr("ref").unwrap_or("")))
        .collect();
    if !on.is_empty() {
        o.insert("dependsOn".into(), Value::Array(on));
    }
    Value::Object(o)
}

fn text_field(o: &mut Map<String, Value>, el: &Element, name: &str) {
    if let Some(t) = el.text_of(name) {
        o.insert(name.into(), json!(t));
    }
}

fn every_bom_ref(el: &Element, refs: &mut Refs) {
    if let Some(r) = el.attr("bom-ref") {
        refs.defined.push(r.into(), &format!("line {}", el.line));
    }
    for c in &el.children {
        every_bom_ref(c, refs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u64) -> Element {
        Element {
            line,
            ..Default::default()
        }
    }

    #[test]
    fn start_tags_are_counted_once_wherever_the_chunks_cut_them() {
        let naive = |doc: &[u8], tag: &[u8]| {
            memchr::memmem::find_iter(doc, tag)
                .filter(|&i| {
                    doc.get(i + tag.len())
                        .is_some_and(|b| b" \t\r\n>/".contains(b))
                })
                .count()
        };
        for pad in 65_510..65_540 {
            let mut doc = vec![b' '; pad];
            doc.extend_from_slice(b"<component><components/><dependency/><componentx/>");
            doc.extend(std::iter::repeat_n(b' ', pad % 7));
            doc.extend_from_slice(b"<component/>");
            let counted = tags(&doc[..], [b"<component", b"<dependency"]).unwrap();
            assert_eq!(
                counted,
                [naive(&doc, b"<component"), naive(&doc, b"<dependency")],
                "padding {pad}"
            );
            assert_eq!(counted, [2, 1]);
        }
    }

    #[test]
    fn lines_are_found_for_compact_and_other_pointers_and_their_descendants() {
        let mut lines = Lines::default();
        lines.note("", &at(1));
        lines.note("/components/0", &at(3));
        lines.note("/components/2", &at(9));
        lines.note("/components/2/hashes/1", &at(11));
        lines.note("/components/2/components/0", &at(12));
        lines.note("/dependencies/4", &at(40));
        assert_eq!(lines.line_of("/components/0/purl"), Some(3));
        // Component 1 was never noted: its pointer falls back to the root's line.
        assert_eq!(lines.line_of("/components/1/name"), Some(1));
        assert_eq!(lines.line_of("/components/2/hashes/1/content"), Some(11));
        assert_eq!(lines.line_of("/components/2/hashes/0/content"), Some(9));
        assert_eq!(lines.line_of("/components/2/components/0/name"), Some(12));
        assert_eq!(lines.line_of("/dependencies/4/dependsOn/0"), Some(40));
        assert_eq!(lines.line_of("/dependencies/3"), Some(1));
    }

    /// A component written with a prefix bound to the CycloneDX namespace is a
    /// component like any other: streamed, mapped and judged, not validated and dropped.
    #[test]
    fn a_prefixed_component_is_judged_like_the_others() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" xmlns:c="http://cyclonedx.org/schema/bom/1.6" version="1">
 <components>
  <component type="library"><name>ok</name><version>1</version><purl>pkg:npm/ok@1</purl></component>
  <c:component type="library"><c:name>unvetted</c:name><c:purl>not a purl</c:purl></c:component>
 </components>
</bom>
"#;
        let sbom = read("bom.xml", &doc[..]).unwrap();
        let names: Vec<&str> = sbom.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["ok", "unvetted"]);
        assert_eq!(sbom.components[1].location, "/components/1");
        assert!(
            sbom.problems
                .iter()
                .any(|p| p.location == "/components/1/purl" && p.line == Some(5)),
            "{:?}",
            sbom.problems
        );
    }
}
