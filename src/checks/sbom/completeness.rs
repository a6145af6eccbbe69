//! Completeness of an SBOM against lockfiles: every locked package appears with the
//! same name and version (matched by package URL type, namespace and name), and the
//! SBOM lists no package of a locked ecosystem that the lockfiles lack.
//!
//! One pass over each side with hash maps: linear in components plus packages.

use std::borrow::Cow;
use std::collections::HashMap;

use super::purl::Purl;

use crate::evidence::sbom::{Component, LockedPackage, Sbom};

/// (purl type, namespace, name): what identifies a package across versions. Borrowed
/// from the purls and packages compared (copied only where a name is case-folded), so
/// that the maps of a 200,000-package comparison do not copy every name twice.
type Key<'a> = (Cow<'a, str>, Cow<'a, str>, Cow<'a, str>);

/// What does not line up between a lockfile and an SBOM.
#[derive(Debug, Default, PartialEq)]
pub struct Gaps<'a> {
    /// Locked, absent from the SBOM at any version.
    pub missing: Vec<&'a LockedPackage>,
    /// In the SBOM, of a locked ecosystem, absent from every lockfile.
    pub phantoms: Vec<&'a Component>,
    /// Locked at one version, listed at another: (locked, listed).
    pub mismatched: Vec<(&'a LockedPackage, &'a Component)>,
}

fn key(purl: &str) -> Option<(Key<'static>, String)> {
    let p = Purl::parse(purl)?;
    let (k, v) = key_of(&p);
    Some((
        (
            Cow::Owned(k.0.into_owned()),
            Cow::Owned(k.1.into_owned()),
            Cow::Owned(k.2.into_owned()),
        ),
        v.into_owned(),
    ))
}

/// The key and version of a parsed purl.
pub fn key_of<'a>(p: &'a Purl) -> (Key<'a>, Cow<'a, str>) {
    // Package names compare as their ecosystem does: npm and PyPI are case-insensitive,
    // Cargo (and most others) are not.
    let fold = matches!(p.ty(), "npm" | "pypi");
    let norm = |s: &'a str| -> Cow<'a, str> {
        if fold && s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        }
    };
    (
        (
            Cow::Borrowed(p.ty()),
            norm(p.namespace().unwrap_or("")),
            norm(p.name()),
        ),
        Cow::Borrowed(p.version().unwrap_or("")),
    )
}

/// The key of a locked package. Lockfile readers write purls of a fixed shape
/// (`pkg:TYPE/NAME@VERSION`, npm scopes as the namespace), so the key is built from the
/// package's fields without parsing the purl again; anything else is parsed.
fn locked_key(p: &LockedPackage) -> Option<Key<'_>> {
    let ty = p.purl.strip_prefix("pkg:")?.split('/').next()?;
    fn fold(s: &str) -> Cow<'_, str> {
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        }
    }
    match ty {
        "cargo" => Some((ty.into(), "".into(), p.name.as_str().into())),
        "npm" => Some(
            match p.name.strip_prefix('@').and_then(|n| n.split_once('/')) {
                Some((scope, bare)) => (
                    ty.into(),
                    Cow::Owned(format!("@{}", scope.to_ascii_lowercase())),
                    fold(bare),
                ),
                None => (ty.into(), "".into(), fold(&p.name)),
            },
        ),
        _ => key(&p.purl).map(|(k, _)| k),
    }
}

/// Compares `sbom` with the packages of every lockfile given. `dev` packages count only
/// when `include_dev`; the project's own package (the lockfile's root, or whatever the
/// SBOM names as its subject) is never a gap.
///
/// `purls` holds each component's parsed purl, in the order of `sbom.components`.
pub fn compare<'a>(
    sbom: &'a Sbom,
    purls: &'a [Option<Purl>],
    locked: &[&'a LockedPackage],
    include_dev: bool,
) -> Gaps<'a> {
    let subject = sbom
        .metadata
        .component
        .as_ref()
        .and_then(|c| c.purl.as_deref())
        .and_then(key);
    // Only the project's own (local) package can be the subject: otherwise an SBOM
    // could excuse any missing dependency by naming it as what it describes.
    let local = |p: &LockedPackage| matches!(p.source.as_str(), "path" | "root");
    let subject_named = |p: &LockedPackage| {
        local(p)
            && sbom.metadata.component.as_ref().is_some_and(|c| {
                c.name == p.name && c.version.as_deref() == Some(p.version.as_str())
            })
    };

    // A package is development-only when a lockfile that can tell says so and none
    // says it ships (Cargo.lock cannot tell; cargo metadata and npm can).
    let mut dev: HashMap<&str, (bool, bool)> = HashMap::new();
    for p in locked {
        let e = dev.entry(p.purl.as_str()).or_default();
        match p.dev {
            Some(true) => e.0 = true,
            Some(false) => e.1 = true,
            None => {}
        }
    }
    let dev_only = |p: &LockedPackage| dev.get(p.purl.as_str()).is_some_and(|(d, s)| *d && !*s);

    // Locked versions per package (each once); the ecosystems the lockfiles cover.
    let mut lock: HashMap<Key, Vec<&LockedPackage>> = HashMap::with_capacity(locked.len());
    let mut ecosystems: Vec<Cow<'a, str>> = Vec::new();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    // Every package any lockfile knows, at any version.
    let mut locked_keys: std::collections::HashSet<Key> =
        std::collections::HashSet::with_capacity(locked.len());
    for p in locked {
        let Some(k) = locked_key(p) else { continue };
        locked_keys.insert(k.clone());
        if !ecosystems.contains(&k.0) {
            ecosystems.push(k.0.clone());
        }
        if p.source == "root" || (dev_only(p) && !include_dev) || !seen.insert(p.purl.as_str()) {
            continue;
        }
        if (local(p)
            && subject
                .as_ref()
                .is_some_and(|(sk, sv)| *sk == k && *sv == p.version))
            || subject_named(p)
        {
            continue;
        }
        lock.entry(k).or_default().push(p);
    }
    // Listed versions per package, for the ecosystems the lockfiles cover.
    let mut listed: HashMap<Key, Vec<(Cow<'a, str>, &Component)>> =
        HashMap::with_capacity(sbom.components.len());
    for (c, purl) in sbom.components.iter().zip(purls) {
        let Some((k, version)) = purl.as_ref().map(key_of) else {
            continue;
        };
        if !ecosystems.contains(&k.0) {
            continue;
        }
        // The purl's version is authoritative; without one, the component's.
        let version = if version.is_empty() {
            Cow::Borrowed(c.version.as_deref().unwrap_or_default())
        } else {
            version
        };
        listed.entry(k).or_default().push((version, c));
    }

    let mut gaps = Gaps::default();
    for (k, mut wanted) in lock {
        let mut have: Vec<(Cow<'a, str>, &Component)> = listed.remove(&k).unwrap_or_default();
        // Exact matches first; what is left on both sides pairs up as mismatches.
        wanted.retain(
            |p| match have.iter().position(|(v, _)| *v == p.version.as_str()) {
                Some(i) => {
                    have.swap_remove(i);
                    false
                }
                None => true,
            },
        );
        wanted.sort_by(|a, b| a.version.cmp(&b.version));
        have.sort_by(|a, b| a.0.cmp(&b.0));
        let mut have = have.into_iter();
        for p in wanted {
            match have.next() {
                Some((_, c)) => gaps.mismatched.push((p, c)),
                None => gaps.missing.push(p),
            }
        }
        gaps.phantoms.extend(have.map(|(_, c)| c));
    }
    // Listed packages no lockfile knows at any version. The subject's own parts
    // (components nested in metadata.component, such as cargo targets) are not.
    for (k, rest) in listed {
        if locked_keys.contains(&k) || subject.as_ref().is_some_and(|(sk, _)| *sk == k) {
            continue;
        }
        gaps.phantoms.extend(
            rest.into_iter()
                .map(|(_, c)| c)
                .filter(|c| !c.location.starts_with("/metadata/component/")),
        );
    }
    gaps.missing
        .sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    gaps.phantoms.sort_by(|a, b| a.location.cmp(&b.location));
    gaps.mismatched.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::sbom::{SbomFormat, SbomMetadata};

    fn locked(name: &str, version: &str) -> LockedPackage {
        LockedPackage {
            name: name.into(),
            version: version.into(),
            source: "registry".into(),
            dev: None,
            purl: format!("pkg:cargo/{name}@{version}").into(),
        }
    }

    fn component(i: usize, purl: &str) -> Component {
        Component {
            location: format!("/components/{i}").into(),
            kind: "library".into(),
            name: purl
                .split('/')
                .nth(1)
                .unwrap()
                .split('@')
                .next()
                .unwrap()
                .into(),
            version: purl.rsplit_once('@').map(|(_, v)| v.into()),
            purl: Some(purl.into()),
            ..Default::default()
        }
    }

    fn parsed(s: &Sbom) -> Vec<Option<Purl>> {
        s.components
            .iter()
            .map(|c| c.purl.as_deref().and_then(Purl::parse))
            .collect()
    }

    fn sbom(components: Vec<Component>) -> Sbom {
        Sbom {
            format: SbomFormat::CyclonedxJson,
            spec_version: "1.6".into(),
            serial_number: None,
            metadata: SbomMetadata {
                component: Some(component(99, "pkg:cargo/app@1.0.0")),
                ..Default::default()
            },
            components,
            dependencies: Vec::new(),
            problems: Vec::new(),
        }
    }

    #[test]
    fn locked_keys_equal_parsed_purl_keys() {
        for (name, purl) in [
            ("serde", "pkg:cargo/serde@1.0.0"),
            ("@Types/Node", "pkg:npm/%40types/node@20.1.0"),
            ("left-pad", "pkg:npm/left-pad@1.3.0"),
        ] {
            let p = LockedPackage {
                name: name.into(),
                version: "1".into(),
                source: "registry".into(),
                dev: None,
                purl: purl.into(),
            };
            assert_eq!(locked_key(&p), key(purl).map(|(k, _)| k), "{purl}");
        }
    }

    #[test]
    fn missing_phantom_and_mismatched_are_told_apart() {
        let mut app = locked("app", "1.0.0");
        app.source = "path".into();
        let lock = [
            app,
            locked("serde", "1.0.1"),
            locked("rand", "0.8.5"),
            locked("rand", "0.9.0"),
            locked("log", "0.4.20"),
        ];
        let refs: Vec<&LockedPackage> = lock.iter().collect();
        let s = sbom(vec![
            component(0, "pkg:cargo/serde@1.0.1"),
            component(1, "pkg:cargo/rand@0.8.5"),
            component(2, "pkg:cargo/log@0.4.21"),
            component(3, "pkg:cargo/evil@6.6.6"),
            component(4, "pkg:npm/left-pad@1.3.0"),
        ]);
        let purls = parsed(&s);
        let gaps = compare(&s, &purls, &refs, false);
        let missing: Vec<String> = gaps
            .missing
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(missing, ["rand@0.9.0"]);
        let mismatched: Vec<(String, String)> = gaps
            .mismatched
            .iter()
            .map(|(p, c)| {
                (
                    p.version.to_string(),
                    c.version.as_ref().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(mismatched, [("0.4.20".to_string(), "0.4.21".to_string())]);
        // The npm component is of an ecosystem no lockfile covers: not judged.
        let phantoms: Vec<&str> = gaps.phantoms.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(phantoms, ["evil"]);

        // A registry package named as the subject is still required: an SBOM cannot
        // excuse a dependency by claiming to describe it.
        let mut s = sbom(vec![component(0, "pkg:cargo/serde@1.0.1")]);
        s.metadata.component = Some(component(9, "pkg:cargo/rand@0.9.0"));
        let purls = parsed(&s);
        let gaps = compare(&s, &purls, &refs, false);
        let missing: Vec<String> = gaps
            .missing
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert!(missing.contains(&"rand@0.9.0".to_string()), "{missing:?}");
    }
}
