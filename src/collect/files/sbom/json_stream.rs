//! CycloneDX JSON without the whole tree: the top-level `components` and `dependencies`
//! arrays (nearly all of a large SBOM) are handed over one item at a time, each item a
//! small `serde_json::Value` that is judged and dropped; everything else (metadata,
//! services, compositions) is kept as a tree, as before.
//!
//! A tree of the whole document costs 10 to 20 times the file; one item at a time,
//! the peak is the file plus what vouch keeps of each component.

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The two top-level arrays read item by item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Array {
    /// `/components`.
    Components,
    /// `/dependencies`.
    Dependencies,
}

/// Receives the items of the streamed arrays, in document order.
pub(super) trait Items {
    /// Item `index` of `array`.
    fn item(&mut self, array: Array, index: usize, item: Value);
}

/// What the document's top level is, read without building anything.
pub(super) enum TopLevel {
    /// Not a JSON object.
    NotObject,
    /// An object, with its `specVersion` member if it has one, and how many items its
    /// `components` and `dependencies` arrays hold and how many references the
    /// dependencies make (to size what is kept of them).
    Object(Option<Value>, [usize; 3]),
}

/// Counts the items of an array (anything else counts 0), keeping nothing; for the
/// dependencies also the references they make (each `ref` and `dependsOn` item).
#[derive(Clone, Copy)]
enum Count {
    Items,
    References,
}

impl<'de> DeserializeSeed<'de> for Count {
    type Value = (usize, usize);
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The references of one dependency: its `ref` and its `dependsOn` items.
struct References;

impl<'de> DeserializeSeed<'de> for References {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for References {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut n = 1;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "dependsOn" {
                n += map.next_value_seed(Count::Items)?.0;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(n)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(0)
    }
    fn visit_bool<E>(self, _: bool) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_i64<E>(self, _: i64) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_u64<E>(self, _: u64) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_f64<E>(self, _: f64) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_str<E>(self, _: &str) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_unit<E>(self) -> Result<usize, E> {
        Ok(0)
    }
}

impl<'de> Visitor<'de> for Count {
    type Value = (usize, usize);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let (mut items, mut references) = (0, 0);
        loop {
            let found = match self {
                Count::Items => seq.next_element::<IgnoredAny>()?.map(|_| 0),
                Count::References => seq.next_element_seed(References)?,
            };
            let Some(refs) = found else { break };
            items += 1;
            references += refs;
        }
        Ok((items, references))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok((0, 0))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok((0, 0))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok((0, 0))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok((0, 0))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok((0, 0))
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok((0, 0))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok((0, 0))
    }
}

/// The top-level `specVersion` (it may come after the components, which cannot be
/// validated before it is known), in a pass that keeps nothing else.
pub(super) fn top_level<'de>(
    text: impl serde_json::de::Read<'de>,
) -> Result<TopLevel, serde_json::Error> {
    struct Root;
    impl<'de> Visitor<'de> for Root {
        type Value = TopLevel;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a CycloneDX document")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopLevel, A::Error> {
            let mut version = None;
            let mut counts = [0; 3];
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match &*key {
                    "specVersion" => version = Some(map.next_value::<Value>()?),
                    "components" => counts[0] = map.next_value_seed(Count::Items)?.0,
                    "dependencies" => {
                        let (items, references) = map.next_value_seed(Count::References)?;
                        counts[1] = items;
                        counts[2] = references;
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(TopLevel::Object(version, counts))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TopLevel, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(TopLevel::NotObject)
        }
        fn visit_bool<E>(self, _: bool) -> Result<TopLevel, E> {
            Ok(TopLevel::NotObject)
        }
        fn visit_i64<E>(self, _: i64) -> Result<TopLevel, E> {
            Ok(TopLevel::NotObject)
        }
        fn visit_u64<E>(self, _: u64) -> Result<TopLevel, E> {
            Ok(TopLevel::NotObject)
        }
        fn visit_f64<E>(self, _: f64) -> Result<TopLevel, E> {
            Ok(TopLevel::NotObject)
        }
        fn visit_str<E>(self, _: &str) -> Result<TopLevel, E> {
            Ok(TopLevel::NotObject)
        }
        fn visit_unit<E>(self) -> Result<TopLevel, E> {
            Ok(TopLevel::NotObject)
        }
    }
    let mut de = serde_json::Deserializer::new(text);
    let top = de.deserialize_any(Root)?;
    de.end()?;
    Ok(top)
}

/// Reads the document, handing the items of the top-level `components` and
/// `dependencies` arrays to `items`; returns the rest of the top level, where each of
/// those arrays stands as an empty array (a member of another type stays as it is,
/// for the schema to report).
pub(super) fn read<'de>(
    text: impl serde_json::de::Read<'de>,
    items: &mut dyn Items,
) -> Result<Map<String, Value>, serde_json::Error> {
    let mut de = serde_json::Deserializer::new(text);
    let root = de.deserialize_map(RootVisitor { items })?;
    de.end()?;
    Ok(root)
}

struct RootVisitor<'a> {
    items: &'a mut dyn Items,
}

impl<'de> Visitor<'de> for RootVisitor<'_> {
    type Value = Map<String, Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut root = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let array = match key.as_str() {
                "components" => Some(Array::Components),
                "dependencies" => Some(Array::Dependencies),
                _ => None,
            };
            let value = match array {
                Some(array) => map.next_value_seed(ArraySeed {
                    array,
                    items: &mut *self.items,
                })?,
                None => map.next_value::<Value>()?,
            };
            root.insert(key, value);
        }
        Ok(root)
    }
}

struct ArraySeed<'a> {
    array: Array,
    items: &'a mut dyn Items,
}

impl<'de> DeserializeSeed<'de> for ArraySeed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// An array is streamed; anything else is kept whole, for the schema to refuse.
impl<'de> Visitor<'de> for ArraySeed<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut index = 0;
        while let Some(item) = seq.next_element::<Value>()? {
            self.items.item(self.array, index, item);
            index += 1;
        }
        Ok(Value::Array(Vec::new()))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        serde::Deserialize::deserialize(MapAccessDeserializer::new(map))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

/// A digest of `value` under JSON Schema's equality (object members in any order,
/// `1` equal to `1.0`), for `uniqueItems` over items that are not kept: the first 128
/// bits of a SHA-256, so that two different items collide with odds of 2^-64 even
/// among billions.
pub(super) fn digest(value: &Value) -> u128 {
    use sha2::{Digest, Sha256};
    fn feed(hasher: &mut Sha256, value: &Value) {
        match value {
            Value::Null => hasher.update(b"n"),
            Value::Bool(b) => hasher.update(if *b { b"t" } else { b"f" }),
            Value::Number(n) => {
                let text = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                    (Some(i), _, _) => format!("i{i}"),
                    (None, Some(u), _) => format!("i{u}"),
                    // An integral float equals the integer of the same value (`1e16`
                    // and `10000000000000000`); every JSON integer fits in an i128.
                    (None, None, Some(f)) if f.fract() == 0.0 && f.abs() < 1.0e38 => {
                        format!("i{}", f as i128)
                    }
                    (None, None, Some(f)) => format!("f{}", f.to_bits()),
                    _ => format!("x{n}"),
                };
                hasher.update(text.len().to_le_bytes());
                hasher.update(text.as_bytes());
            }
            Value::String(s) => {
                hasher.update(b"s");
                hasher.update(s.len().to_le_bytes());
                hasher.update(s.as_bytes());
            }
            Value::Array(items) => {
                hasher.update(b"a");
                hasher.update(items.len().to_le_bytes());
                for item in items {
                    feed(hasher, item);
                }
            }
            Value::Object(members) => {
                hasher.update(b"o");
                hasher.update(members.len().to_le_bytes());
                let mut keys: Vec<&String> = members.keys().collect();
                keys.sort();
                for key in keys {
                    hasher.update(key.len().to_le_bytes());
                    hasher.update(key.as_bytes());
                    feed(hasher, &members[key]);
                }
            }
        }
    }
    let mut hasher = Sha256::new();
    feed(&mut hasher, value);
    let full: [u8; 32] = hasher.finalize().into();
    let mut first = [0u8; 16];
    first.copy_from_slice(&full[..16]);
    u128::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Collect(Vec<(Array, usize, Value)>);
    impl Items for Collect {
        fn item(&mut self, array: Array, index: usize, item: Value) {
            self.0.push((array, index, item));
        }
    }

    #[test]
    fn the_arrays_are_streamed_and_the_rest_kept() {
        let doc = br#"{"components": [{"name": "a"}, {"name": "b"}], "specVersion": "1.6",
            "dependencies": [{"ref": "a"}], "metadata": {"x": 1}}"#;
        let mut items = Collect(Vec::new());
        let root = read(serde_json::de::SliceRead::new(doc), &mut items).unwrap();
        assert_eq!(root["components"], json!([]));
        assert_eq!(root["dependencies"], json!([]));
        assert_eq!(root["metadata"], json!({"x": 1}));
        assert_eq!(items.0.len(), 3);
        assert_eq!(items.0[1], (Array::Components, 1, json!({"name": "b"})));
        assert_eq!(items.0[2].0, Array::Dependencies);
        assert!(
            matches!(top_level(serde_json::de::SliceRead::new(doc)).unwrap(), TopLevel::Object(Some(v), [2, 1, 1]) if v == "1.6")
        );
        assert!(matches!(
            top_level(serde_json::de::SliceRead::new(b"[1]")).unwrap(),
            TopLevel::NotObject
        ));
    }

    #[test]
    fn a_member_that_is_not_an_array_is_kept_for_the_schema() {
        let mut items = Collect(Vec::new());
        let root = read(
            serde_json::de::SliceRead::new(br#"{"components": {"a": 1}, "dependencies": "x"}"#),
            &mut items,
        )
        .unwrap();
        assert_eq!(root["components"], json!({"a": 1}));
        assert_eq!(root["dependencies"], json!("x"));
        assert!(items.0.is_empty());
    }

    #[test]
    fn the_digest_follows_json_schema_equality() {
        assert_eq!(
            digest(&json!({"a": 1, "b": [true]})),
            digest(&json!({"b": [true], "a": 1.0}))
        );
        assert_ne!(digest(&json!({"a": "1"})), digest(&json!({"a": 1})));
        assert_eq!(
            digest(&json!(1e16)),
            digest(&json!(10_000_000_000_000_000u64))
        );
        assert_ne!(digest(&json!(["ab", "c"])), digest(&json!(["a", "bc"])));
    }
}
