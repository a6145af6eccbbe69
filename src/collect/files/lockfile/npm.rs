//! `package-lock.json` (and `npm-shrinkwrap.json`), lockfile versions 2 and 3: the
//! `packages` map npm 7 and later write. Version 1 has no such map and is refused
//! with a hint rather than read half-way.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::LockfileFormat;
use crate::collect::files::json;
use crate::evidence::sbom::{LockedPackage, Lockfile};
use crate::evidence::{Gap, GapKind};

/// npm's lockfile.
pub struct PackageLock;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    lockfile_version: u32,
    #[serde(default)]
    packages: Option<BTreeMap<String, RawPackage>>,
}

#[derive(Deserialize)]
struct RawPackage {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    resolved: Option<String>,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    dev: bool,
    /// Optional (often platform-specific) packages npm installs only where they fit.
    #[serde(default)]
    optional: bool,
}

impl LockfileFormat for PackageLock {
    fn kind(&self) -> &'static str {
        "npm"
    }

    fn detect(&self, file_name: &str, bytes: &[u8]) -> bool {
        matches!(file_name, "package-lock.json" | "npm-shrinkwrap.json")
            || (json::first_byte(bytes) == Some(b'{')
                && bytes
                    .windows(17)
                    .take(4096)
                    .any(|w| w == b"\"lockfileVersion\""))
    }

    fn read(&self, source: &str, bytes: &[u8]) -> Result<Lockfile, Gap> {
        let bytes = json::content(source, bytes)?;
        let raw: Raw = json::parse(source, "package-lock.json", bytes)?;
        let Some(packages) = raw.packages.filter(|_| raw.lockfile_version >= 2) else {
            return Err(Gap::new(
                GapKind::Malformed,
                source,
                format!(
                    "package-lock.json: lockfileVersion {} has no `packages` map; regenerate it with npm 7 or later",
                    raw.lockfile_version
                ),
            ));
        };
        let mut out = Vec::with_capacity(packages.len());
        for (key, p) in packages {
            // A link points at a workspace package listed under its own key.
            if p.link {
                continue;
            }
            // A project without a version in package.json has a root without one.
            if key.is_empty() && p.version.is_none() {
                continue;
            }
            let Some(version) = p.version else {
                return Err(Gap::new(
                    GapKind::Malformed,
                    source,
                    format!("package-lock.json: `packages[{key:?}]` has no version"),
                ));
            };
            // `node_modules/@scope/name` (possibly nested): the name is what follows
            // the last `node_modules/`; the root (`""`) and workspaces name themselves.
            // An alias (`"node_modules/strip-ansi-cjs": {"name": "strip-ansi"}`) installs
            // the package `name` under another directory: the package is `name`.
            let name = match (p.name.clone(), key.rfind("node_modules/")) {
                (Some(name), _) => name,
                (None, Some(i)) => key[i + "node_modules/".len()..].to_string(),
                (None, None) => key.clone(),
            };
            let kind = if key.is_empty() {
                "root"
            } else if !key.contains("node_modules/") {
                "path"
            } else {
                match p.resolved.as_deref() {
                    Some(r) if r.starts_with("git") => "git",
                    Some(r) if r.starts_with("file:") => "path",
                    _ => "registry",
                }
            };
            out.push(LockedPackage {
                purl: purl(&name, &version).into(),
                name: name.into(),
                version: version.into(),
                source: kind.into(),
                // Development-only and optional (platform-specific) packages need not
                // be in an SBOM of one build.
                dev: Some(p.dev || p.optional),
            });
        }
        Ok(Lockfile {
            kind: self.kind().into(),
            packages: out,
        })
    }
}

/// `pkg:npm/%40scope/name@1.0.0` (the scope is the purl namespace, `@` encoded).
fn purl(name: &str, version: &str) -> String {
    match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
        Some((scope, bare)) => format!("pkg:npm/%40{scope}/{bare}@{version}"),
        None => format!("pkg:npm/{name}@{version}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_are_named_and_sourced_from_their_keys() {
        let lock = br#"{"name": "app", "version": "1.0.0", "lockfileVersion": 3, "packages": {
            "": {"name": "app", "version": "1.0.0"},
            "node_modules/@types/node": {"version": "20.1.0", "resolved": "https://registry.npmjs.org/@types/node/-/node-20.1.0.tgz", "dev": true},
            "node_modules/a/node_modules/b": {"version": "2.0.0"},
            "node_modules/c": {"version": "1.0.0", "resolved": "git+ssh://git@github.com/x/c.git#abc"},
            "node_modules/ws-lib": {"resolved": "packages/ws-lib", "link": true},
            "packages/ws-lib": {"name": "ws-lib", "version": "0.1.0"}
        }}"#;
        let lock = PackageLock.read("package-lock.json", lock).unwrap();
        let got: Vec<(&str, &str, &str, Option<bool>)> = lock
            .packages
            .iter()
            .map(|p| (p.purl.as_str(), p.name.as_str(), p.source.as_str(), p.dev))
            .collect();
        assert_eq!(
            got,
            [
                ("pkg:npm/app@1.0.0", "app", "root", Some(false)),
                (
                    "pkg:npm/%40types/node@20.1.0",
                    "@types/node",
                    "registry",
                    Some(true)
                ),
                ("pkg:npm/b@2.0.0", "b", "registry", Some(false)),
                ("pkg:npm/c@1.0.0", "c", "git", Some(false)),
                ("pkg:npm/ws-lib@0.1.0", "ws-lib", "path", Some(false)),
            ]
        );
        let v1 = br#"{"lockfileVersion": 1, "dependencies": {}}"#;
        assert!(
            PackageLock
                .read("package-lock.json", v1)
                .unwrap_err()
                .detail
                .contains("npm 7")
        );
    }
}
