//! CycloneDX JSON Schema validation against the official schemas bundled in
//! `schemas/cyclonedx/` (taken from PyPI `cyclonedx-python-lib`, see the README there),
//! compiled once per spec version, with formats enforced and every `$ref` served from
//! the bundle: validation never touches the network.
//!
//! Formats matter: `date-time` is the only thing wrong in some invalid test BOMs, and
//! JSF's `algorithm` is `oneOf [enum, {format: uri}]`, which only works when `uri` is
//! checked.

use std::sync::OnceLock;

use jsonschema::{Draft, Registry, Resource, Validator};
use serde_json::Value;

/// `(spec version, bundled schema text)`, oldest first.
const BOM_SCHEMAS: [(&str, &str); 6] = [
    (
        "1.2",
        include_str!("../../../../schemas/cyclonedx/bom-1.2.SNAPSHOT.schema.json"),
    ),
    (
        "1.3",
        include_str!("../../../../schemas/cyclonedx/bom-1.3.SNAPSHOT.schema.json"),
    ),
    (
        "1.4",
        include_str!("../../../../schemas/cyclonedx/bom-1.4.SNAPSHOT.schema.json"),
    ),
    (
        "1.5",
        include_str!("../../../../schemas/cyclonedx/bom-1.5.SNAPSHOT.schema.json"),
    ),
    (
        "1.6",
        include_str!("../../../../schemas/cyclonedx/bom-1.6.SNAPSHOT.schema.json"),
    ),
    (
        "1.7",
        include_str!("../../../../schemas/cyclonedx/bom-1.7.SNAPSHOT.schema.json"),
    ),
];

/// Schemas the BOM schemas `$ref`, by the file name they are referenced with.
const SHARED_SCHEMAS: [(&str, &str); 3] = [
    (
        "spdx.SNAPSHOT.schema.json",
        include_str!("../../../../schemas/cyclonedx/spdx.SNAPSHOT.schema.json"),
    ),
    (
        "jsf-0.82.SNAPSHOT.schema.json",
        include_str!("../../../../schemas/cyclonedx/jsf-0.82.SNAPSHOT.schema.json"),
    ),
    (
        "cryptography-defs.SNAPSHOT.schema.json",
        include_str!("../../../../schemas/cyclonedx/cryptography-defs.SNAPSHOT.schema.json"),
    ),
];

/// Where the BOM schemas' relative `$ref`s resolve to (their `$id`s live here).
const BASE: &str = "http://cyclonedx.org/schema/";

/// Spec versions with a bundled schema.
pub fn supported_versions() -> impl Iterator<Item = &'static str> {
    BOM_SCHEMAS.iter().map(|(v, _)| *v)
}

/// One schema violation: where (JSON pointer) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// JSON pointer into the document (`/components/3/hashes/0/content`).
    pub pointer: String,
    /// What the schema expected there.
    pub message: String,
}

/// Validates `doc` against the schema of `version`; `None` when no schema is bundled
/// for that version. At most `limit` violations are returned.
pub fn validate(version: &str, doc: &Value, limit: usize) -> Option<Vec<SchemaViolation>> {
    Some(violations(validator(version)?, doc, limit))
}

/// At most `limit` violations of `value` against `validator`.
fn violations(validator: &Validator, value: &Value, limit: usize) -> Vec<SchemaViolation> {
    validator
        .iter_errors(value)
        .take(limit)
        .map(|e| SchemaViolation {
            pointer: e.instance_path().to_string(),
            // Masked: the offending value can be the whole components array (a
            // uniqueItems error); the pointer says where it is.
            message: clip(&e.masked().to_string()),
        })
        .collect()
}

/// What a streamed item is validated as.
#[derive(Debug, Clone, Copy)]
pub enum Item {
    /// An item of `/components` (`#/definitions/component`).
    Component,
    /// An item of `/dependencies` (`#/definitions/dependency`).
    Dependency,
}

/// Validates one item of a top-level array against its definition in the schema of
/// `version`; pointers are relative to the item. `None` when no schema is bundled.
pub fn validate_item(
    version: &str,
    item: Item,
    value: &Value,
    limit: usize,
) -> Option<Vec<SchemaViolation>> {
    static VALIDATORS: [[OnceLock<Validator>; 2]; 6] =
        [const { [const { OnceLock::new() }, const { OnceLock::new() }] }; 6];
    let index = BOM_SCHEMAS.iter().position(|(v, _)| *v == version)?;
    let (slot, definition) = match item {
        Item::Component => (0, "component"),
        Item::Dependency => (1, "dependency"),
    };
    let validator = VALIDATORS[index][slot].get_or_init(|| {
        let bom = parse(BOM_SCHEMAS[index].1);
        let id = bom["$id"].as_str().unwrap_or_default().to_string();
        // The definition is reached through the BOM schema's own `$id`, so that its
        // internal `#/definitions/…` references resolve inside the BOM schema.
        let registry = registry_with(&id, bom);
        jsonschema::options()
            .with_draft(Draft::Draft7)
            .should_validate_formats(true)
            .with_registry(&registry)
            .build(&serde_json::json!({ "$ref": format!("{id}#/definitions/{definition}") }))
            .expect("bundled CycloneDX definitions compile")
    });
    Some(violations(validator, value, limit))
}

/// At most 300 characters of a message.
fn clip(message: &str) -> String {
    match message.char_indices().nth(300) {
        Some((end, _)) => format!("{}…", &message[..end]),
        None => message.to_string(),
    }
}

fn validator(version: &str) -> Option<&'static Validator> {
    static VALIDATORS: [OnceLock<Validator>; 6] = [const { OnceLock::new() }; 6];
    let index = BOM_SCHEMAS.iter().position(|(v, _)| *v == version)?;
    Some(VALIDATORS[index].get_or_init(|| compile(BOM_SCHEMAS[index].1)))
}

/// The property names the schema of `version` defines at `pointer` (an object's
/// `properties`, e.g. `/definitions/component/properties`): what the XML reader
/// accepts as child elements. Empty when the version or pointer is unknown.
pub fn property_names(version: &str, pointer: &str) -> Vec<String> {
    static PARSED: [OnceLock<Value>; 6] = [const { OnceLock::new() }; 6];
    let Some(index) = BOM_SCHEMAS.iter().position(|(v, _)| *v == version) else {
        return Vec::new();
    };
    let schema = PARSED[index].get_or_init(|| parse(BOM_SCHEMAS[index].1));
    schema
        .pointer(pointer)
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn registry() -> &'static Registry<'static> {
    static REGISTRY: OnceLock<Registry<'static>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        shared_registry()
            .prepare()
            .expect("bundled schemas form a registry")
    })
}

/// A registry builder holding the schemas the BOM schemas `$ref`.
fn shared_registry() -> jsonschema::RegistryBuilder<'static> {
    let mut builder = Registry::new().draft(Draft::Draft7);
    for (name, text) in SHARED_SCHEMAS {
        builder = builder
            .add(
                format!("{BASE}{name}"),
                Resource::from_contents(parse(text)),
            )
            .expect("bundled schema URIs are valid");
    }
    builder
}

/// The shared schemas plus one BOM schema under its `$id`.
fn registry_with(id: &str, bom: Value) -> Registry<'static> {
    shared_registry()
        .add(id, Resource::from_contents(bom))
        .expect("bundled schema URIs are valid")
        .prepare()
        .expect("bundled schemas form a registry")
}

fn compile(text: &str) -> Validator {
    // The bundled schemas are part of the binary and tested: failing here is a build
    // defect, not an input error.
    jsonschema::options()
        .with_draft(Draft::Draft7)
        .should_validate_formats(true)
        .with_registry(registry())
        .build(&parse(text))
        .expect("bundled CycloneDX schema compiles")
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("bundled schema is JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_version_compiles_and_checks_formats() {
        for v in supported_versions() {
            let ok = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": v, "version": 1, "components": []});
            assert_eq!(validate(v, &ok, 10), Some(vec![]), "{v}");
        }
        let bad_time = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "metadata": {"timestamp": "yesterday"}});
        let errors = validate("1.6", &bad_time, 10).unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].pointer, "/metadata/timestamp");
        assert!(
            errors[0].message.contains("date-time"),
            "{}",
            errors[0].message
        );
        assert_eq!(validate("9.9", &bad_time, 10), None);
    }
}
