//! CycloneDX JSON, spec 1.2 to 1.7.
//!
//! Why not the `cyclonedx-bom` crate: version 0.8 reads spec 1.3 to 1.5 only, and it
//! rejects (rather than reports) what it finds invalid, while vouch must validate 1.6
//! and 1.7 too and say where every problem is. So the document is validated against
//! the official schema of its declared version ([`super::schema`]) and the fields the
//! control judges are read from the same `serde_json::Value`s: the top-level
//! components and dependencies one at a time, against their schema definitions, and
//! the rest of the document as one tree ([`super::json_stream`]).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use serde_json::{Map, Value};
use smol_str::SmolStr;

use super::json_stream::{self, Array, Items, TopLevel};
use super::schema;
use std::fmt::Write;

use super::semantic::{self, Defined, Refs, UsedAt};
use crate::collect::files::json;
use crate::collect::replay::{self, Text};
use crate::evidence::sbom::{
    Component, ComponentDetails, Dependency, Hash, License, Sbom, SbomFormat, SbomMetadata,
    SbomProblem,
};
use crate::evidence::{Gap, GapKind};

/// Most schema violations reported per document: past this the SBOM is plainly broken
/// and a longer list helps nobody.
const MAX_SCHEMA_VIOLATIONS: usize = 100;

/// Reads and validates a CycloneDX JSON document, one top-level component and
/// dependency at a time ([`json_stream`]).
pub fn read<T: Text + ?Sized>(source: &str, text: &T) -> Result<Sbom, Gap> {
    match text.bytes() {
        // Held in memory: parsed as a slice, which serde_json does twice as fast.
        Some(bytes) => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            read_passes(source, || Ok(serde_json::de::SliceRead::new(bytes)))
        }
        None => read_passes(source, || {
            replay::without_bom(text)
                .map(|r| serde_json::de::IoRead::new(std::io::BufReader::new(r)))
                .map_err(|e| {
                    json::malformed_at(source, "CycloneDX JSON", &serde_json::Error::io(e))
                })
        }),
    }
}

/// [`read`] over `pass`, which starts a pass over the document each time it is called.
fn read_passes<'de, R: serde_json::de::Read<'de>>(
    source: &str,
    pass: impl Fn() -> Result<R, Gap>,
) -> Result<Sbom, Gap> {
    let malformed = |e: serde_json::Error| json::malformed_at(source, "CycloneDX JSON", &e);
    let (spec_version, counts) = match json_stream::top_level(pass()?).map_err(malformed)? {
        TopLevel::Object(Some(Value::String(v)), counts) => (v, counts),
        TopLevel::NotObject => {
            return Err(Gap::new(
                GapKind::Malformed,
                source,
                "CycloneDX JSON: the document is not a JSON object",
            ));
        }
        TopLevel::Object(..) => {
            return Err(Gap::new(
                GapKind::Malformed,
                source,
                "CycloneDX JSON: `/specVersion` is missing or not a string, so the document cannot be validated",
            ));
        }
    };
    let mut streamed = Streamed::new(&spec_version, counts);
    let root = json_stream::read(pass()?, &mut streamed).map_err(malformed)?;
    Ok(finish(
        &Value::Object(root),
        spec_version,
        SbomFormat::CyclonedxJson,
        streamed,
        &|_| None,
    ))
}

/// Judges a streamed document: `doc` is what is left of it, the streamed arrays
/// standing empty in it (so nothing is counted twice), `streamed` what its items came
/// to. `line_of` gives the source line of a JSON pointer where the reader knows it.
pub(super) fn finish(
    doc: &Value,
    spec_version: String,
    format: SbomFormat,
    streamed: Streamed,
    line_of: &dyn Fn(&str) -> Option<u64>,
) -> Sbom {
    let Streamed {
        mut refs,
        components,
        dependencies,
        violations,
        seen,
        ..
    } = streamed;
    // Only the streaming needed the digests of the items: freed before the document
    // is judged, where the peak would otherwise be.
    drop(seen);
    // What is left of the document (metadata, services) holds few references: read
    // them aside, so the streamed lists, sized to their items, do not double for them.
    let mut rest = Refs::default();
    collect_refs(doc, &mut String::new(), &mut rest);
    refs.defined.append(&mut rest.defined);
    refs.used.reserve_exact(rest.used.len());
    refs.used.append(&mut rest.used);
    let collected = Collected {
        components,
        dependencies,
        violations,
    };
    judge(doc, spec_version, format, refs, line_of, collected)
}

/// What the items of the top-level arrays came to, as they went by.
pub(super) struct Streamed {
    version: String,
    /// Every `bom-ref` and dependency reference of the items.
    pub refs: Refs,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
    violations: Vec<schema::SchemaViolation>,
    /// Digests of the items seen, per array, for the schema's `uniqueItems`.
    seen: [HashMap<u128, usize>; 2],
}

impl Streamed {
    /// Nothing seen yet, for a document of spec `version` whose arrays hold about
    /// `[components, dependencies, references made by the dependencies]` items (sized ahead: a growing list briefly holds
    /// its old and new copies, half again the final size for the largest lists).
    pub(super) fn new(version: &str, [components, dependencies, references]: [usize; 3]) -> Self {
        Streamed {
            version: version.to_string(),
            refs: Refs {
                defined: Defined::with_capacity(components),
                used: Vec::with_capacity(references),
            },
            components: Vec::with_capacity(components),
            dependencies: Vec::with_capacity(dependencies),
            violations: Vec::new(),
            seen: [
                HashMap::with_capacity(components),
                HashMap::with_capacity(dependencies),
            ],
        }
    }
}

impl Items for Streamed {
    fn item(&mut self, array: Array, index: usize, item: Value) {
        let (name, kind, slot) = match array {
            Array::Components => ("components", schema::Item::Component, 0),
            Array::Dependencies => ("dependencies", schema::Item::Dependency, 1),
        };
        let at = format!("/{name}/{index}");
        let room = MAX_SCHEMA_VIOLATIONS.saturating_sub(self.violations.len());
        if room > 0
            && let Some(found) = schema::validate_item(&self.version, kind, &item, room)
        {
            self.violations
                .extend(found.into_iter().map(|v| schema::SchemaViolation {
                    pointer: format!("{at}{}", v.pointer),
                    message: v.message,
                }));
        }
        match self.seen[slot].entry(json_stream::digest(&item)) {
            Entry::Occupied(first) => {
                if self.violations.len() < MAX_SCHEMA_VIOLATIONS {
                    self.violations.push(schema::SchemaViolation {
                        pointer: format!("/{name}"),
                        message: format!(
                            "items {} and {index} are equal: the items of `{name}` must be unique",
                            first.get()
                        ),
                    });
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(index);
            }
        }
        match array {
            Array::Components => {
                collect_refs(&item, &mut at.clone(), &mut self.refs);
                if let Some(obj) = item.as_object() {
                    push_component(obj, at, &mut self.components);
                }
            }
            Array::Dependencies => {
                dependency_refs(index, &item, &mut self.refs);
                self.dependencies.extend(dependency(&item));
            }
        }
    }
}

/// Components, dependencies and schema violations read before the rest is judged.
struct Collected {
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
    violations: Vec<schema::SchemaViolation>,
}

/// Validates `doc` (for a streamed document, what is left of it) against the schema and
/// reads the rest of the fields the control judges.
fn judge(
    doc: &Value,
    spec_version: String,
    format: SbomFormat,
    refs: Refs,
    line_of: &dyn Fn(&str) -> Option<u64>,
    collected: Collected,
) -> Sbom {
    let empty = Map::new();
    let root = doc.as_object().unwrap_or(&empty);
    let Collected {
        components,
        dependencies,
        violations: streamed_violations,
    } = collected;
    // The schema is checked on the other core while the fields are read: both only
    // read the tree, and the schema pass is the larger part of a big SBOM's check.
    std::thread::scope(|scope| {
        let schema_pass =
            scope.spawn(|| schema::validate(&spec_version, doc, MAX_SCHEMA_VIOLATIONS));
        let mut sbom = read_fields(
            root,
            &spec_version,
            format,
            &refs,
            line_of,
            components,
            dependencies,
        );
        let violations = schema_pass.join().unwrap_or_else(|_| {
            Some(vec![schema::SchemaViolation {
                pointer: String::new(),
                message: "schema validation failed unexpectedly".into(),
            }])
        });
        let mut problems: Vec<SbomProblem> = match violations {
            Some(mut violations) => {
                violations.extend(streamed_violations);
                violations.truncate(MAX_SCHEMA_VIOLATIONS);
                violations
                    .into_iter()
                    .map(|v| {
                        let location = pointer_or_root(v.pointer);
                        SbomProblem {
                            line: line_of(&location),
                            location,
                            message: v.message,
                        }
                    })
                    .collect()
            }
            None => vec![SbomProblem {
                location: "/specVersion".into(),
                line: None,
                message: format!(
                    "spec version {spec_version:?} is not one vouch can validate ({})",
                    schema::supported_versions().collect::<Vec<_>>().join(", ")
                ),
            }],
        };
        problems.append(&mut sbom.problems);
        sbom.problems = problems;
        sbom
    })
}

/// Reads the fields the control judges, with the semantic problems.
fn read_fields(
    root: &Map<String, Value>,
    spec_version: &str,
    format: SbomFormat,
    refs: &Refs,
    line_of: &dyn Fn(&str) -> Option<u64>,
    mut components: Vec<Component>,
    dependencies: Vec<Dependency>,
) -> Sbom {
    let mut problems = Vec::new();
    let metadata = root.get("metadata").and_then(Value::as_object);
    let mut subject = metadata
        .and_then(|m| m.get("component"))
        .and_then(Value::as_object)
        .map(|c| {
            if let Some(nested) = c.get("components").and_then(Value::as_array) {
                collect_components(nested, "/metadata/component/components", &mut components);
            }
            component(c, "/metadata/component".into())
        });

    for c in components.iter_mut().chain(subject.iter_mut()) {
        c.line = line_of(&c.location).and_then(|l| u32::try_from(l).ok());
    }
    semantic::check(refs, &components, subject.as_ref(), &mut problems);
    for p in &mut problems {
        p.line = line_of(&p.location);
    }

    Sbom {
        format,
        spec_version: spec_version.to_string(),
        serial_number: str_field(root, "serialNumber"),
        metadata: SbomMetadata {
            timestamp: metadata.and_then(|m| str_field(m, "timestamp")),
            authors: metadata.map(metadata_authors).unwrap_or_default(),
            tools: metadata.map(tools).unwrap_or_default(),
            supplier: metadata
                .and_then(|m| m.get("supplier"))
                .and_then(|s| s.get("name"))
                .and_then(Value::as_str)
                .map(str::to_string),
            component: subject,
        },
        components,
        dependencies,
        problems,
    }
}

fn pointer_or_root(pointer: String) -> String {
    if pointer.is_empty() {
        "/".into()
    } else {
        pointer
    }
}

fn str_field(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_string)
}

fn collect_components(list: &[Value], at: &str, out: &mut Vec<Component>) {
    for (i, c) in list.iter().enumerate() {
        let Some(obj) = c.as_object() else { continue };
        push_component(obj, format!("{at}/{i}"), out);
    }
}

/// A component at `location` and the components nested in it.
fn push_component(obj: &Map<String, Value>, location: String, out: &mut Vec<Component>) {
    if let Some(nested) = obj.get("components").and_then(Value::as_array) {
        let at = format!("{location}/components");
        out.push(component(obj, location));
        collect_components(nested, &at, out);
    } else {
        out.push(component(obj, location));
    }
}

fn component(obj: &Map<String, Value>, location: String) -> Component {
    let text = |v: &Value| v.as_str().map(SmolStr::new);
    let name_of = |v: &Value| v.get("name").and_then(Value::as_str).map(SmolStr::new);
    let mut c = Component {
        location: location.into(),
        ..Default::default()
    };
    let mut d = ComponentDetails::default();
    let (mut supplier, mut manufacturer, mut publisher, mut authors) = (None, None, None, None);
    // One pass over the members (a component has a dozen; looking each field up by
    // name was a visible share of a 20,000-component check).
    for (key, value) in obj {
        match key.as_str() {
            "type" => c.kind = value.as_str().unwrap_or_default().into(),
            "bom-ref" => c.bom_ref = text(value),
            "group" => d.group = text(value),
            "name" => c.name = value.as_str().unwrap_or_default().into(),
            "version" => c.version = text(value),
            "purl" => c.purl = text(value),
            "author" => d.author = text(value),
            "supplier" => supplier = name_of(value),
            "manufacturer" => manufacturer = name_of(value),
            "publisher" => publisher = text(value),
            "authors" => {
                authors = value.as_array().map(|a| {
                    a.iter()
                        .filter_map(|x| x.get("name").and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join(", ")
                        .into()
                })
            }
            "hashes" => {
                d.hashes = value
                    .as_array()
                    .map(|hs| {
                        hs.iter()
                            .filter_map(|h| {
                                Some(Hash {
                                    alg: h.get("alg")?.as_str()?.into(),
                                    content: h.get("content")?.as_str()?.into(),
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            }
            "licenses" => {
                d.licenses = value
                    .as_array()
                    .map(|ls| licenses(ls).into())
                    .unwrap_or_default()
            }
            _ => {}
        }
    }
    d.supplier = supplier.or(manufacturer).or(publisher);
    if d.author.is_none() {
        d.author = authors.filter(|a: &SmolStr| !a.is_empty());
    }
    c.with_details(d)
}

fn licenses(list: &[Value]) -> Vec<License> {
    list.iter()
        .filter_map(|l| {
            if let Some(e) = l.get("expression").and_then(Value::as_str) {
                return Some(License::Expression(e.into()));
            }
            let license = l.get("license")?;
            if let Some(id) = license.get("id").and_then(Value::as_str) {
                return Some(License::Id(id.into()));
            }
            license
                .get("name")
                .and_then(Value::as_str)
                .map(|n| License::Name(n.into()))
        })
        .collect()
}

fn dependency(d: &Value) -> Option<Dependency> {
    Some(Dependency {
        reference: d.get("ref")?.as_str()?.into(),
        depends_on: d
            .get("dependsOn")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(SmolStr::new)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// `metadata.authors[].name`, the 1.2–1.5 `metadata.manufacture.name` and the 1.6+
/// `metadata.manufacturer.name`: who made the SBOM data.
fn metadata_authors(m: &Map<String, Value>) -> Vec<String> {
    let mut out: Vec<String> = m
        .get("authors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.get("name").or_else(|| x.get("email")))
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    for key in ["manufacture", "manufacturer"] {
        if let Some(name) = m
            .get(key)
            .and_then(|x| x.get("name"))
            .and_then(Value::as_str)
        {
            out.push(name.to_string());
        }
    }
    out
}

/// `metadata.tools`: the legacy array of tools, or the 1.5+ object of components and
/// services.
fn tools(m: &Map<String, Value>) -> Vec<String> {
    let describe = |t: &Value| {
        let name = t.get("name").and_then(Value::as_str)?;
        Some(match t.get("version").and_then(Value::as_str) {
            Some(v) => format!("{name} {v}"),
            None => name.to_string(),
        })
    };
    match m.get("tools") {
        Some(Value::Array(list)) => list.iter().filter_map(describe).collect(),
        Some(Value::Object(o)) => ["components", "services"]
            .iter()
            .filter_map(|k| o.get(*k).and_then(Value::as_array))
            .flatten()
            .filter_map(describe)
            .collect(),
        _ => Vec::new(),
    }
}

/// The references dependency `i` makes (its `ref` and its `dependsOn`). Where a
/// reference sits is rendered only if it does not resolve.
fn dependency_refs(i: usize, d: &Value, refs: &mut Refs) {
    if let Some(r) = d.get("ref").and_then(Value::as_str) {
        refs.used.push((
            r.into(),
            UsedAt {
                dependency: i,
                depends_on: None,
            },
        ));
    }
    if let Some(on) = d.get("dependsOn").and_then(Value::as_array) {
        for (j, r) in on.iter().enumerate() {
            if let Some(r) = r.as_str() {
                refs.used.push((
                    r.into(),
                    UsedAt {
                        dependency: i,
                        depends_on: Some(j),
                    },
                ));
            }
        }
    }
}

/// Every `bom-ref` defined anywhere in the document, and every reference to one from
/// the dependency graph, with their pointers.
pub(super) fn collect_refs(v: &Value, at: &mut String, refs: &mut Refs) {
    match v {
        Value::Object(obj) => {
            for (key, value) in obj {
                let len = at.len();
                at.push('/');
                if key.contains(['~', '/']) {
                    at.push_str(&key.replace('~', "~0").replace('/', "~1"));
                } else {
                    at.push_str(key);
                }
                if key == "bom-ref"
                    && let Value::String(r) = value
                {
                    refs.defined.push(r.as_str().into(), at);
                } else if key == "dependencies"
                    && len == 0
                    && let Value::Array(deps) = value
                {
                    for (i, d) in deps.iter().enumerate() {
                        dependency_refs(i, d, refs);
                    }
                } else {
                    collect_refs(value, at, refs);
                }
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                let _ = write!(at, "/{i}");
                collect_refs(item, at, refs);
                at.truncate(len);
            }
        }
        _ => {}
    }
}
