//! `cargo metadata --format-version 1` output: the resolved graph with the kind of
//! every edge. Cargo.lock cannot say which packages only tests and benchmarks use (it
//! lists them like any other, and with dev-dependency features unified in), so an SBOM
//! of what ships always "misses" them; given beside Cargo.lock, this file says which
//! packages the project reaches without dev edges, and the rest are development-only.

use std::collections::{HashMap, VecDeque};

use serde::Deserialize;

use super::LockfileFormat;
use crate::collect::files::json;
use crate::evidence::sbom::{LockedPackage, Lockfile};
use crate::evidence::{Gap, GapKind};

/// Cargo's resolved metadata.
pub struct CargoMetadata;

#[derive(Deserialize)]
struct Raw {
    packages: Vec<RawPackage>,
    workspace_members: Vec<String>,
    resolve: Option<Resolve>,
}

#[derive(Deserialize)]
struct RawPackage {
    id: String,
    name: String,
    version: String,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    #[serde(default)]
    deps: Vec<Dep>,
}

#[derive(Deserialize)]
struct Dep {
    pkg: String,
    #[serde(default)]
    dep_kinds: Vec<DepKind>,
}

#[derive(Deserialize)]
struct DepKind {
    /// `null` (normal), `"dev"` or `"build"`.
    kind: Option<String>,
}

impl LockfileFormat for CargoMetadata {
    fn kind(&self) -> &'static str {
        "cargo-metadata"
    }

    fn detect(&self, _file_name: &str, bytes: &[u8]) -> bool {
        json::first_byte(bytes) == Some(b'{')
            && bytes.windows(19).any(|w| w == b"\"workspace_members\"")
    }

    fn read(&self, source: &str, bytes: &[u8]) -> Result<Lockfile, Gap> {
        let bytes = json::content(source, bytes)?;
        let raw: Raw = json::parse(source, "cargo metadata", bytes)?;
        let Some(resolve) = raw.resolve else {
            return Err(Gap::new(
                GapKind::Malformed,
                source,
                "cargo metadata: no `resolve` graph (it was run with --no-deps)",
            ));
        };
        let nodes: HashMap<&str, &Node> =
            resolve.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
        // Everything the workspace reaches through normal and build edges ships.
        let mut shipped: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut queue: VecDeque<&str> = raw.workspace_members.iter().map(String::as_str).collect();
        while let Some(id) = queue.pop_front() {
            if !shipped.insert(id) {
                continue;
            }
            let Some(node) = nodes.get(id) else { continue };
            for d in &node.deps {
                let non_dev = d.dep_kinds.is_empty()
                    || d.dep_kinds.iter().any(|k| k.kind.as_deref() != Some("dev"));
                if non_dev {
                    queue.push_back(d.pkg.as_str());
                }
            }
        }
        let packages = raw
            .packages
            .iter()
            .filter(|p| nodes.contains_key(p.id.as_str()))
            .map(|p| {
                let kind = match p.source.as_deref() {
                    None => "path",
                    Some(s) if s.starts_with("registry+") || s.starts_with("sparse+") => "registry",
                    Some(s) if s.starts_with("git+") => "git",
                    Some(_) => "other",
                };
                LockedPackage {
                    purl: format!("pkg:cargo/{}@{}", p.name, p.version).into(),
                    name: p.name.as_str().into(),
                    version: p.version.as_str().into(),
                    source: kind.into(),
                    dev: Some(!shipped.contains(p.id.as_str())),
                }
            })
            .collect();
        Ok(Lockfile {
            kind: self.kind().into(),
            packages,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn packages_only_dev_edges_reach_are_development_only() {
        let meta = br#"{"version": 1, "workspace_root": "/w", "workspace_members": ["app 0.1.0 (path+file:///w)"],
          "packages": [
            {"id": "app 0.1.0 (path+file:///w)", "name": "app", "version": "0.1.0", "source": null},
            {"id": "serde 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)", "name": "serde", "version": "1.0.0", "source": "registry+https://github.com/rust-lang/crates.io-index"},
            {"id": "cc 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)", "name": "cc", "version": "1.0.0", "source": "registry+https://github.com/rust-lang/crates.io-index"},
            {"id": "proptest 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)", "name": "proptest", "version": "1.0.0", "source": "registry+https://github.com/rust-lang/crates.io-index"},
            {"id": "rand 0.8.0 (registry+https://github.com/rust-lang/crates.io-index)", "name": "rand", "version": "0.8.0", "source": "registry+https://github.com/rust-lang/crates.io-index"}
          ],
          "resolve": {"root": "app 0.1.0 (path+file:///w)", "nodes": [
            {"id": "app 0.1.0 (path+file:///w)", "deps": [
              {"name": "serde", "pkg": "serde 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)", "dep_kinds": [{"kind": null, "target": null}]},
              {"name": "cc", "pkg": "cc 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)", "dep_kinds": [{"kind": "build", "target": null}]},
              {"name": "proptest", "pkg": "proptest 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)", "dep_kinds": [{"kind": "dev", "target": null}]}]},
            {"id": "serde 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)", "deps": []},
            {"id": "cc 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)", "deps": []},
            {"id": "proptest 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)", "deps": [
              {"name": "rand", "pkg": "rand 0.8.0 (registry+https://github.com/rust-lang/crates.io-index)", "dep_kinds": [{"kind": null, "target": null}]}]},
            {"id": "rand 0.8.0 (registry+https://github.com/rust-lang/crates.io-index)", "deps": []}
          ]}}"#;
        let lock = super::super::read("meta.json", meta).unwrap();
        assert_eq!(lock.kind, "cargo-metadata");
        let dev: Vec<(&str, Option<bool>, &str)> = lock
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.dev, p.source.as_str()))
            .collect();
        assert_eq!(
            dev,
            [
                ("app", Some(false), "path"),
                ("serde", Some(false), "registry"),
                ("cc", Some(false), "registry"),
                ("proptest", Some(true), "registry"),
                ("rand", Some(true), "registry"),
            ]
        );
    }
}
