//! Shared plumbing for the JSON evidence readers: empty-file and BOM handling, turning
//! serde_json errors into [`Gap`]s that name the offending field and position, and a few
//! lenient field types for values whose JSON type varies between tool versions.
//!
//! Everything here is written for untrusted input: no indexing, no unwrap, no panics.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::collect::replay::{self, Text};
use crate::evidence::{Gap, GapKind};

/// Detail of the gap for a 0-byte or whitespace-only input.
pub const EMPTY_FILE: &str = "empty file: the scanner wrote no report";

/// Strips a UTF-8 byte-order mark (PowerShell redirection writes one) and rejects empty input.
///
/// An empty report fails closed: a scanner that crashed before writing anything must not
/// look like a clean scan.
pub fn content<'a>(source: &str, bytes: &'a [u8]) -> Result<&'a [u8], Gap> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Gap::new(GapKind::Malformed, source, EMPTY_FILE));
    }
    Ok(bytes)
}

/// The first byte that is not JSON whitespace.
pub fn first_byte(bytes: &[u8]) -> Option<u8> {
    bytes.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// Parses `bytes` as `T`, mapping any error to a `Malformed` gap about `what`.
pub fn parse<T: DeserializeOwned>(source: &str, what: &str, bytes: &[u8]) -> Result<T, Gap> {
    serde_json::from_slice(bytes).map_err(|e| malformed::<T>(source, what, bytes, &e))
}

/// A `Malformed` gap for a failed parse of `bytes` as `T`: the JSON path of the offending
/// value (for data errors) and serde_json's message, which carries the line and column.
///
/// The fast parse does not track paths; only after it failed is the document parsed
/// again with `serde_path_to_error` to find where.
pub fn malformed<T: DeserializeOwned>(
    source: &str,
    what: &str,
    bytes: &[u8],
    e: &serde_json::Error,
) -> Gap {
    let detail = match e.classify() {
        serde_json::error::Category::Data => format!("{what}: at `{}`: {e}", path_of::<T>(bytes)),
        serde_json::error::Category::Eof => format!("{what}: truncated JSON: {e}"),
        _ => format!("{what}: invalid JSON: {e}"),
    };
    Gap::new(GapKind::Malformed, source, detail)
}

/// A `Malformed` gap for an error whose path cannot be recomputed (an element of a
/// stream of concatenated documents): position and message only.
pub fn malformed_at(source: &str, what: &str, e: &serde_json::Error) -> Gap {
    Gap::new(GapKind::Malformed, source, format!("{what}: {e}"))
}

/// The JSON path (`Results[0].Vulnerabilities[3]`) at which parsing `bytes` as `T` fails.
fn path_of<T: DeserializeOwned>(bytes: &[u8]) -> String {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Err(e) if e.path().to_string() != "." => e.path().to_string(),
        _ => "(top level)".to_string(),
    }
}

/// Refuses a JSON document (or a stream of them: JSON Lines, govulncheck's
/// concatenated messages) in which an object repeats a key.
///
/// serde_json keeps the last value of a repeated key in maps and trees, derived structs
/// refuse it, hand-written visitors do either: two `components` arrays would be read
/// differently by vouch and by another tool, and a banned package in the first copy
/// could pass. An ambiguous document is no evidence, so every JSON input is checked
/// here once, before any reader sees it. Syntax errors are left to the reader, which
/// names them in its own terms; only a repeated key fails here.
pub fn reject_duplicate_keys(source: &str, bytes: &[u8]) -> Result<(), Gap> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    unique_keys(
        source,
        serde_json::Deserializer::from_slice(bytes).into_iter(),
    )
}

/// [`reject_duplicate_keys`] over a text read from its file
/// ([`crate::collect::replay`]): a read that fails (the file changed) is a gap too.
pub fn reject_duplicate_keys_in<T: Text + ?Sized>(source: &str, text: &T) -> Result<(), Gap> {
    if let Some(bytes) = text.bytes() {
        return reject_duplicate_keys(source, bytes);
    }
    let unreadable = |e: std::io::Error| Gap::new(GapKind::Malformed, source, e.to_string());
    let reader = replay::without_bom(text).map_err(unreadable)?;
    unique_keys(
        source,
        serde_json::Deserializer::from_reader(std::io::BufReader::new(reader)).into_iter(),
    )
}

fn unique_keys<'de, R: serde_json::de::Read<'de>>(
    source: &str,
    items: serde_json::StreamDeserializer<'de, R, UniqueKeys>,
) -> Result<(), Gap> {
    for item in items {
        match item {
            Ok(UniqueKeys) => {}
            Err(e) if e.is_io() => {
                return Err(Gap::new(GapKind::Malformed, source, e.to_string()));
            }
            Err(e) if e.classify() == serde_json::error::Category::Data => {
                return Err(Gap::new(
                    GapKind::Malformed,
                    source,
                    format!(
                        "{e}: a document that repeats a key is ambiguous (readers disagree on which value counts)"
                    ),
                ));
            }
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// Deserializes any JSON value, failing on the first object that repeats a key.
struct UniqueKeys;

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UniqueKeys;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys)
            }
            fn visit_unit<E: de::Error>(self) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
                while seq.next_element::<UniqueKeys>()?.is_some() {}
                Ok(UniqueKeys)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
                // Most objects have a handful of keys: a linear scan beats hashing
                // until an object is large (npm keys its advisories by id).
                let mut few: Vec<std::borrow::Cow<'de, str>> = Vec::new();
                let mut many: std::collections::HashSet<std::borrow::Cow<'de, str>> =
                    std::collections::HashSet::new();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    let repeated = if many.is_empty() && few.len() < 16 {
                        if few.contains(&key) {
                            true
                        } else {
                            few.push(key.clone());
                            false
                        }
                    } else {
                        if many.is_empty() {
                            many.extend(few.drain(..));
                        }
                        !many.insert(key.clone())
                    };
                    if repeated {
                        return Err(de::Error::custom(format!("duplicate key `{key}`")));
                    }
                    map.next_value::<UniqueKeys>()?;
                }
                Ok(UniqueKeys)
            }
        }
        d.deserialize_any(V)
    }
}

/// Records that a key was present, whatever its value (including `null`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Seen(
    /// Whether the key was present.
    pub bool,
);

impl<'de> Deserialize<'de> for Seen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d)?;
        Ok(Seen(true))
    }
}

/// `deserialize_with` for lists that Go tools write as `null` when empty.
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `deserialize_with` for a string field whose type varies (numbers are kept as text,
/// objects, arrays, booleans and `null` become `None`).
pub fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// `deserialize_with` for a score written as a number or as a numeric string (`"7.5"`).
pub fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number or a numeric string")
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(v.trim().parse::<f64>().ok())
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(V)
}

/// A value that tools write either as a plain string, a boolean or an object
/// (OpenVEX `vulnerability`/`products`, npm `via` and `fixAvailable`).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Flex<T> {
    /// A JSON string.
    Str(String),
    /// A JSON boolean.
    Bool(bool),
    /// A JSON object, read as `T`.
    Obj(T),
    /// `null`, a number or an array.
    #[default]
    Other,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Flex<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Flex<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, a boolean or an object")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Flex::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Flex::Str(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Flex::Bool(v))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Flex::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Flex::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Flex::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Flex::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Flex::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Flex::Obj)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A raw, format-specific JSON item that becomes normalized evidence.
pub trait Convert {
    /// What the item normalizes to.
    type Output;
    /// Normalizes the item; the error text names the offending field.
    fn convert(self) -> Result<Self::Output, String>;
}

/// An item read as `R` and converted the moment it is parsed, so the raw form of a
/// 50,000-entry list never exists all at once: only the normalized entries accumulate.
/// A conversion error becomes a serde error, which carries the position of the item.
pub struct Converted<R: Convert>(
    /// The normalized item.
    pub R::Output,
    PhantomData<fn() -> R>,
);

impl<'de, R: Convert + Deserialize<'de>> Deserialize<'de> for Converted<R> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Converting inside the object's visitor (rather than after it) makes serde_json
        // stamp a conversion error with the object's own position, like a missing field.
        struct V<R>(PhantomData<fn() -> R>);
        impl<'de, R: Convert + Deserialize<'de>> Visitor<'de> for V<R> {
            type Value = Converted<R>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let raw = R::deserialize(de::value::MapAccessDeserializer::new(map))?;
                raw.convert()
                    .map(|out| Converted(out, PhantomData))
                    .map_err(de::Error::custom)
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// A list whose items each convert to several entries (a package and its advisories),
/// read into one flat list as the items are parsed: no list per item, and no second
/// copy of every entry when they are joined afterwards.
pub struct Flattened<T, R> {
    /// The entries of every item, in document order.
    pub entries: Vec<T>,
    /// How many items there were (a package with no advisory adds none).
    pub items: usize,
    read_as: PhantomData<fn() -> R>,
}

/// [`Flattened`] over the values of a JSON object, keys dropped (npm keys its
/// advisories by id or package name, which each value repeats).
pub struct FlattenedValues<T, R>(
    /// The entries and the number of values.
    pub Flattened<T, R>,
);

impl<T, R> Default for Flattened<T, R> {
    fn default() -> Self {
        Flattened {
            entries: Vec::new(),
            items: 0,
            read_as: PhantomData,
        }
    }
}

impl<T, R> Flattened<T, R> {
    fn push(&mut self, entries: Vec<T>) {
        self.items += 1;
        self.entries.extend(entries);
    }
}

/// Collects the entries of a list's items or an object's values.
struct FlattenVisitor<T, R>(&'static str, PhantomData<fn() -> (T, R)>);

impl<'de, T, R: Convert<Output = Vec<T>> + Deserialize<'de>> Visitor<'de> for FlattenVisitor<T, R> {
    type Value = Flattened<T, R>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Flattened::default();
        while let Some(Converted(entries, _)) = seq.next_element::<Converted<R>>()? {
            out.push(entries);
        }
        Ok(out)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Flattened::default();
        while let Some((_, Converted(entries, _))) = map.next_entry::<IgnoredAny, Converted<R>>()? {
            out.push(entries);
        }
        Ok(out)
    }
}

impl<'de, T, R: Convert<Output = Vec<T>> + Deserialize<'de>> Deserialize<'de> for Flattened<T, R> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(FlattenVisitor::<T, R>("a list of objects", PhantomData))
    }
}

impl<'de, T, R: Convert<Output = Vec<T>> + Deserialize<'de>> Deserialize<'de>
    for FlattenedValues<T, R>
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(FlattenVisitor::<T, R>("an object", PhantomData))
            .map(FlattenedValues)
    }
}

/// Unwraps a list of converted items (reusing the list's allocation).
pub fn unwrap_all<R: Convert>(items: Vec<Converted<R>>) -> Vec<R::Output> {
    items.into_iter().map(|c| c.0).collect()
}

/// `deserialize_with` keeping only the first element of a list (`null` or `[]` give
/// `None`), so long lists of which one entry is used cost no memory.
pub fn first<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct V<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let first = seq.next_element::<T>()?;
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(first)
        }
    }
    d.deserialize_any(V(PhantomData))
}

/// `deserialize_with` reading a JSON object as `(key, value)` pairs in document order;
/// leaner than a map type for the two or three entries reports put in such objects.
pub fn entries<'de, D, T>(d: D) -> Result<Vec<(String, T)>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct V<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = Vec<(String, T)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(entry) = map.next_entry::<String, T>()? {
                out.push(entry);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_whitespace_inputs_are_malformed() {
        for input in [&b""[..], b"  \n\t ", b"\xEF\xBB\xBF\n"] {
            let gap = content("r.json", input).unwrap_err();
            assert_eq!(gap.kind, GapKind::Malformed);
            assert_eq!(gap.detail, EMPTY_FILE);
        }
        assert_eq!(content("r.json", b"\xEF\xBB\xBF{}").unwrap(), b"{}");
    }

    #[test]
    fn path_points_at_the_failing_value() {
        let text = br#"{"a": [{"b": 1}, {"b": "x", "c": [true, 5]}]}"#;
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Top {
            a: Vec<Item>,
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Item {
            b: u32,
        }
        let gap = parse::<Top>("f", "test", text).unwrap_err();
        assert!(gap.detail.contains("at `a[1].b`"), "{}", gap.detail);
        assert!(gap.detail.contains("line 1 column"), "{}", gap.detail);
    }

    #[test]
    fn path_of_an_object_missing_a_field_is_the_object() {
        let text = b"{\n  \"a\": [\n    {\"b\": 1},\n    {\"c\": 2}\n  ]\n}";
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Top {
            a: Vec<Item>,
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Item {
            b: u32,
        }
        let gap = parse::<Top>("f", "test", text).unwrap_err();
        assert!(gap.detail.contains("at `a[1]`"), "{}", gap.detail);
        assert!(gap.detail.contains("missing field `b`"), "{}", gap.detail);
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let gap = parse::<IgnoredAny>("f", "test", b"{\n  \"a\": x\n}").unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert!(gap.detail.contains("line 2 column 8"), "{}", gap.detail);
        let gap = parse::<IgnoredAny>("f", "test", b"{\"a\": [1, 2").unwrap_err();
        assert!(gap.detail.contains("truncated"), "{}", gap.detail);
    }

    #[test]
    fn flex_reads_each_shape() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct O {
            x: u8,
        }
        let v: Vec<Flex<O>> =
            serde_json::from_str(r#"["s", true, {"x": 1}, null, 3, [1]]"#).unwrap();
        assert_eq!(
            v,
            vec![
                Flex::Str("s".into()),
                Flex::Bool(true),
                Flex::Obj(O { x: 1 }),
                Flex::Other,
                Flex::Other,
                Flex::Other
            ]
        );
    }

    #[test]
    fn first_and_entries() {
        #[derive(Deserialize)]
        struct F {
            #[serde(default, deserialize_with = "first")]
            a: Option<String>,
            #[serde(default, deserialize_with = "entries")]
            m: Vec<(String, u8)>,
        }
        let f: F =
            serde_json::from_str(r#"{"a": ["x", "y", {"z": 1}], "m": {"k": 1, "j": 2}}"#).unwrap();
        assert_eq!(f.a.as_deref(), Some("x"));
        assert_eq!(f.m, vec![("k".to_string(), 1), ("j".to_string(), 2)]);
        let f: F = serde_json::from_str(r#"{"a": null, "m": null}"#).unwrap();
        assert_eq!((f.a, f.m.len()), (None, 0));
    }

    #[test]
    fn lenient_values() {
        #[derive(Deserialize)]
        struct L {
            #[serde(default, deserialize_with = "lenient_string")]
            s: Option<String>,
            #[serde(default, deserialize_with = "lenient_f64")]
            f: Option<f64>,
        }
        let l: L = serde_json::from_str(r#"{"s": {"nested": 1}, "f": "7.5"}"#).unwrap();
        assert_eq!((l.s, l.f), (None, Some(7.5)));
        let l: L = serde_json::from_str(r#"{"s": 3, "f": 9}"#).unwrap();
        assert_eq!((l.s.as_deref(), l.f), (Some("3"), Some(9.0)));
    }

    #[test]
    fn repeated_keys_are_found_at_any_depth_in_any_document_of_a_stream() {
        let ok = |t: &str| reject_duplicate_keys("x", t.as_bytes()).is_ok();
        assert!(ok(r#"{"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]}"#));
        assert!(!ok(r#"{"a": 1, "a": 2}"#));
        assert!(!ok(r#"{"x": [{"k": 1, "k": 1}]}"#));
        // Escapes are decoded first: `\u0061` is `a`.
        assert!(!ok(r#"{"a": 1, "\u0061": 2}"#));
        // Past the linear-scan size as well.
        let many: Vec<String> = (0..40).map(|i| format!(r#""k{i}": {i}"#)).collect();
        assert!(ok(&format!("{{{}}}", many.join(","))));
        assert!(!ok(&format!("{{{}, \"k3\": 0}}", many.join(","))));
        // JSON Lines and concatenated messages: each document on its own.
        assert!(ok("{\"a\": 1}\n{\"a\": 2}\n"));
        assert!(!ok("{\"a\": 1}\n{\"b\": 1, \"b\": 2}\n"));
        // Not JSON at all, or broken JSON: the reader's business, not this check's.
        assert!(ok("[[package]]\nname = \"a\"\n"));
        assert!(ok("<bom/>"));
        assert!(ok(r#"{"a": "#));
        let gap = reject_duplicate_keys("f.json", br#"{"components": [], "components": []}"#)
            .unwrap_err();
        assert!(
            gap.detail.contains("duplicate key `components` at line 1"),
            "{gap}"
        );
    }
}
