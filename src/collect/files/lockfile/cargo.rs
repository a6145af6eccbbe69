//! `Cargo.lock`, read with the `toml` crate into the fields vouch uses.
//!
//! Not through `cargo-lock` (RustSec's parser, which the design names): building its
//! `Lockfile` resolves every `dependencies` entry against the package list one by one,
//! which is quadratic (a 20,000-package lockfile took 1.4 s of a 1.6 s run, nearly all
//! of it in that resolution), and completeness needs only each package's name, version
//! and source. The `toml` crate (which `cargo-lock` itself parses with) reads those, and
//! `semver` checks every version as `cargo-lock` did.
//!
//! The `toml` crate holds a whole document's events and tree while it deserializes
//! (18 times the file for a 200,000-package lockfile), so each `[[package]]` table is
//! parsed on its own: see [`tables`].

use serde::Deserialize;

use super::LockfileFormat;
use crate::evidence::sbom::{LockedPackage, Lockfile};
use crate::evidence::{Gap, GapKind};

/// Cargo's lockfile.
pub struct CargoLock;

/// The parts of `Cargo.lock` vouch reads (versions 1 to 4 share them), and the names
/// of the other top-level keys (`metadata`, `patch`), so that a split document can be
/// checked for a table defined in two parts.
#[derive(Default)]
struct Lock {
    version: Option<i64>,
    package: Vec<Package>,
    /// Whether the document named `package` at all (`package = []` included).
    package_seen: bool,
    other_keys: Vec<String>,
}

impl<'de> Deserialize<'de> for Lock {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Lock;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a Cargo.lock document")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Lock, A::Error> {
                let mut lock = Lock::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "version" => lock.version = Some(map.next_value()?),
                        "package" => {
                            lock.package = map.next_value()?;
                            lock.package_seen = true;
                        }
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            lock.other_keys.push(key);
                        }
                    }
                }
                Ok(lock)
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
struct Package {
    name: smol_str::SmolStr,
    version: smol_str::SmolStr,
    #[serde(default)]
    source: Option<String>,
}

/// The document cut before each line that is exactly `[[package]]`, as Cargo writes
/// every package.
///
/// Parsing the parts one by one reads the same packages as parsing the whole, unless
/// a cut fell inside a multi-line string or array (then that part does not parse) or a
/// top-level table is split across parts (then a key other than `package` is seen in
/// two parts, or the first part holds top-level keys and names `package` in another
/// way). [`read_split`] checks for both and, on either, the whole document is parsed
/// at once, which decides validity and names the line of any error.
fn tables(text: &str) -> impl Iterator<Item = &str> {
    const HEADER: &str = "[[package]]";
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        // Bytes, not characters: the search starts past the first byte (a part is
        // never empty), which may be inside a character; what it finds is ASCII.
        let mut search = 1.min(rest.len());
        let cut = loop {
            match memchr::memmem::find(&rest.as_bytes()[search..], b"\n[[package]]") {
                None => break rest.len(),
                Some(at) => {
                    let start = search + at + 1;
                    let after = &rest[start + HEADER.len()..];
                    if after.is_empty() || after.starts_with('\n') || after.starts_with("\r\n") {
                        break start;
                    }
                    search = start;
                }
            }
        };
        let (part, tail) = rest.split_at(cut);
        rest = tail;
        Some(part)
    })
}

/// Reads the parts of [`tables`]; `None` when they must be read as one document.
fn read_split(text: &str) -> Option<Lock> {
    // TOML allows a byte-order mark before the document, not before a part.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lock = Lock::default();
    let mut keys: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (i, part) in tables(text).enumerate() {
        let Lock {
            version,
            package,
            package_seen,
            other_keys,
        } = toml::from_str::<Lock>(part).ok()?;
        if i == 0 {
            lock.version = version;
        } else if version.is_some() {
            return None;
        }
        // The top-level keys also name `package` (even `package = []`, to which TOML
        // refuses to append the tables that follow).
        if i == 0 && package_seen && !part.starts_with("[[package]]") && text.len() > part.len() {
            return None;
        }
        for key in other_keys {
            if !keys.insert(key) {
                return None;
            }
        }
        lock.package.extend(package);
    }
    Some(lock)
}

impl LockfileFormat for CargoLock {
    fn kind(&self) -> &'static str {
        "cargo"
    }

    fn detect(&self, file_name: &str, bytes: &[u8]) -> bool {
        file_name == "Cargo.lock"
            || bytes.starts_with(b"# This file is automatically @generated by Cargo.")
    }

    fn read(&self, source: &str, bytes: &[u8]) -> Result<Lockfile, Gap> {
        let malformed = |detail: String| Gap::new(GapKind::Malformed, source, detail);
        let text = std::str::from_utf8(bytes)
            .map_err(|e| malformed(format!("Cargo.lock: not UTF-8: {e}")))?;
        let lock = match read_split(text) {
            Some(lock) => lock,
            None => toml::from_str::<Lock>(text)
                .map_err(|e| malformed(format!("Cargo.lock: {}", e.to_string().trim_end())))?,
        };
        if let Some(v) = lock.version
            && !(1..=4).contains(&v)
        {
            return Err(Gap::new(
                GapKind::Unsupported,
                source,
                format!("Cargo.lock: version {v}; vouch reads lockfile versions 1 to 4"),
            ));
        }
        let mut packages = Vec::with_capacity(lock.package.len());
        for (i, p) in lock.package.into_iter().enumerate() {
            if p.name.trim().is_empty() {
                return Err(malformed(format!("Cargo.lock: package[{i}].name is empty")));
            }
            semver::Version::parse(&p.version).map_err(|e| {
                malformed(format!(
                    "Cargo.lock: package[{i}] ({}): version `{}` is not semver: {e}",
                    p.name, p.version
                ))
            })?;
            // No source: a path package (a workspace member or a path dependency).
            let kind = match p.source.as_deref() {
                None => "path",
                Some(s) if s.starts_with("registry+") || s.starts_with("sparse+") => "registry",
                Some(s) if s.starts_with("git+") => "git",
                Some(s) if s.starts_with("path+") => "path",
                Some(_) => "other",
            };
            packages.push(LockedPackage {
                purl: format!("pkg:cargo/{}@{}", p.name, p.version).into(),
                name: p.name,
                version: p.version,
                source: kind.into(),
                // Cargo.lock lists test-only packages like any other.
                dev: None,
            });
        }
        Ok(Lockfile {
            kind: self.kind().into(),
            packages,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(lock: &Lockfile) -> Vec<&str> {
        lock.packages.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn a_lockfile_read_table_by_table_reads_as_the_whole_document_does() {
        // Cargo's layout (version 1: no version key, [metadata] last).
        let v1 = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\nversion = \"2.0.0\"\n\n[metadata]\n\"checksum a 1.0.0\" = \"x\"\n";
        assert_eq!(tables(v1).count(), 2);
        assert_eq!(
            names(&CargoLock.read("Cargo.lock", v1.as_bytes()).unwrap()),
            ["a", "b"]
        );
        // A header inside a multi-line string is not a table: the split part does not
        // parse, and the whole document is read instead.
        let quoted = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nnote = \"\"\"\n[[package]]\nname = \"\"\"\n";
        assert!(read_split(quoted).is_none());
        assert_eq!(
            names(&CargoLock.read("Cargo.lock", quoted.as_bytes()).unwrap()),
            ["a"]
        );
        // A table defined in two parts is an error of the whole document, not two
        // halves each read as valid.
        let twice = "version = 4\n[metadata]\nx = 1\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n[metadata]\ny = 2\n";
        assert!(read_split(twice).is_none());
        let gap = CargoLock.read("Cargo.lock", twice.as_bytes()).unwrap_err();
        assert!(gap.detail.contains("metadata"), "{}", gap.detail);
        // Top-level keys with a package array written another way, then Cargo's
        // headers: parsed whole (TOML refuses appending to a static array).
        let inline = "version = 4\npackage = [{name = \"a\", version = \"1.0.0\"}]\n\n[[package]]\nname = \"b\"\nversion = \"2.0.0\"\n";
        assert!(read_split(inline).is_none());
        assert!(CargoLock.read("Cargo.lock", inline.as_bytes()).is_err());
        let empty = "version = 4\npackage = []\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
        assert!(read_split(empty).is_none());
        assert!(CargoLock.read("Cargo.lock", empty.as_bytes()).is_err());
        // A byte-order mark (or any character of several bytes) first is no place to
        // cut, and the document reads as without it.
        let bom = format!("\u{feff}{v1}");
        assert_eq!(
            names(&CargoLock.read("Cargo.lock", bom.as_bytes()).unwrap()),
            ["a", "b"]
        );
        let wide = format!("é\n{v1}");
        assert_eq!(tables(&wide).count(), 3);
    }

    #[test]
    fn this_projects_own_lockfile_is_read_with_sources_told_apart() {
        let text = include_str!("../../../../Cargo.lock");
        let lock = super::super::read("Cargo.lock", text.as_bytes()).unwrap();
        assert_eq!(lock.kind, "cargo");
        let expected = text.matches("[[package]]").count();
        assert_eq!(lock.packages.len(), expected);
        let vouch = lock.packages.iter().find(|p| p.name == "vouch").unwrap();
        assert_eq!(vouch.source, "path");
        let serde = lock.packages.iter().find(|p| p.name == "serde").unwrap();
        assert_eq!(serde.source, "registry");
        assert_eq!(serde.purl, format!("pkg:cargo/serde@{}", serde.version));
        let gap = CargoLock
            .read("Cargo.lock", b"[[package]]\nname = 3\n")
            .unwrap_err();
        assert!(gap.detail.starts_with("Cargo.lock: "), "{}", gap.detail);
    }
}
