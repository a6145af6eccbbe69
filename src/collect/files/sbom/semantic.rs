//! The rules a schema cannot express, the same for JSON and XML: `bom-ref`s are
//! unique, the dependency graph points only at known `bom-ref`s, purls parse (the
//! `packageurl` crate), SPDX license ids and expressions parse (the `spdx` crate), and
//! each hash has the length of its algorithm. Problems carry locations; the reader
//! fills in lines where it knows them.

use smol_str::SmolStr;

use crate::evidence::sbom::{Component, License, SbomProblem};

/// `bom-ref`s defined in a document and references to them, each with its location.
#[derive(Debug, Default)]
pub struct Refs {
    /// Every bom-ref, where it is defined.
    pub defined: Defined,
    /// (bom-ref, where the dependency graph names it).
    pub used: Vec<(SmolStr, UsedAt)>,
}

/// The bom-refs a document defines, each with where: one entry per component, so the
/// locations (`/components/123/bom-ref`, mostly too long to be inline) share one
/// buffer and each entry keeps only where its location ends.
#[derive(Debug, Default)]
pub struct Defined {
    entries: Vec<(SmolStr, usize)>,
    locations: String,
}

impl Defined {
    /// Room for `n` more entries.
    pub fn with_capacity(n: usize) -> Self {
        Defined {
            entries: Vec::with_capacity(n),
            locations: String::new(),
        }
    }
    /// Adds bom-ref `r`, defined at `at`.
    pub fn push(&mut self, r: SmolStr, at: &str) {
        self.locations.push_str(at);
        self.entries.push((r, self.locations.len()));
    }
    /// Moves every entry of `other` to the end.
    pub fn append(&mut self, other: &mut Defined) {
        self.entries.reserve_exact(other.entries.len());
        let base = self.locations.len();
        self.locations.push_str(&other.locations);
        self.entries
            .extend(other.entries.drain(..).map(|(r, end)| (r, base + end)));
        other.locations.clear();
    }
    /// How many.
    fn len(&self) -> usize {
        self.entries.len()
    }
    /// Entry `i`: (bom-ref, where).
    fn get(&self, i: usize) -> (&str, &str) {
        let (r, end) = &self.entries[i];
        let start = i.checked_sub(1).map_or(0, |p| self.entries[p].1);
        (r.as_str(), &self.locations[start..*end])
    }
}

/// A place in `dependencies` that names a bom-ref.
#[derive(Debug, Clone, Copy)]
pub struct UsedAt {
    /// Index in `dependencies`.
    pub dependency: usize,
    /// Index in its `dependsOn`, or `None` for its `ref`.
    pub depends_on: Option<usize>,
}

impl UsedAt {
    /// The JSON pointer.
    pub fn pointer(self) -> String {
        match self.depends_on {
            Some(j) => format!("/dependencies/{}/dependsOn/{j}", self.dependency),
            None => format!("/dependencies/{}/ref", self.dependency),
        }
    }
}

/// Appends every semantic problem of the document to `problems`.
pub fn check(
    refs: &Refs,
    components: &[Component],
    subject: Option<&Component>,
    problems: &mut Vec<SbomProblem>,
) {
    let problem = |location: &str, line: Option<u64>, message: String| SbomProblem {
        location: location.to_string(),
        line,
        message,
    };
    // Uniqueness is checked among components and services, which the dependency graph
    // and every consumer address by bom-ref. Elsewhere (formulation) the specification's
    // own valid examples reuse a bom-ref to refer back to an object.
    let identifies = |at: &str| {
        ["/components/", "/services/", "/metadata/component"]
            .iter()
            .any(|p| at.starts_with(p))
            && !at.contains("/formulation/")
    };
    // Sorted by bom-ref (stably, so equal ones stay in document order) instead of a
    // hash set of every bom-ref: 4 bytes an entry, against 48 for the set and map
    // this replaces, for 200,000 components.
    let defined = &refs.defined;
    let mut order: Vec<u32> = (0..defined.len())
        .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
        .collect();
    order.sort_by(|&a, &b| defined.get(a as usize).0.cmp(defined.get(b as usize).0));
    let mut repeated: Vec<(u32, u32)> = Vec::new(); // (entry, first identifying entry)
    for run in order.chunk_by(|&a, &b| defined.get(a as usize).0 == defined.get(b as usize).0) {
        let mut first = None;
        for &i in run {
            if !identifies(defined.get(i as usize).1) {
                continue;
            }
            match first {
                None => first = Some(i),
                Some(f) => repeated.push((i, f)),
            }
        }
    }
    repeated.sort_unstable();
    for (i, f) in repeated {
        let (r, at) = defined.get(i as usize);
        let earlier = defined.get(f as usize).1;
        problems.push(problem(
            at,
            None,
            format!("bom-ref {r:?} is already defined at {earlier}; bom-refs must be unique"),
        ));
    }
    let known = |r: &str| {
        order
            .binary_search_by(|&i| defined.get(i as usize).0.cmp(r))
            .is_ok()
    };
    for (r, at) in &refs.used {
        if !known(r.as_str()) {
            problems.push(problem(
                &at.pointer(),
                None,
                format!("dependency reference {r:?} names no bom-ref defined in the document"),
            ));
        }
    }
    for c in subject.into_iter().chain(components) {
        if let Some(purl) = &c.purl
            && let Err(e) = purl.parse::<packageurl::PackageUrl>()
        {
            problems.push(problem(
                &format!("{}/purl", c.location),
                None,
                format!("purl {purl:?} does not parse: {e}"),
            ));
        }
        for (i, license) in c.licenses().iter().enumerate() {
            let at = format!("{}/licenses/{i}", c.location);
            match license {
                License::Id(id) if spdx::license_id(id).is_none() => problems.push(problem(
                    &at,
                    None,
                    format!("{id:?} is not an SPDX license id"),
                )),
                License::Expression(e) => {
                    if let Err(err) = parse_expression(e) {
                        problems.push(problem(
                            &at,
                            None,
                            format!("SPDX expression {e:?} does not parse: {}", err.reason),
                        ));
                    }
                }
                _ => {}
            }
        }
        for (i, h) in c.hashes().iter().enumerate() {
            if let Some(expected) = hex_length(&h.alg)
                && (h.content.len() != expected
                    || !h.content.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                problems.push(problem(
                    &format!("{}/hashes/{i}/content", c.location),
                    None,
                    format!(
                        "a {} digest is {expected} hex digits, not {} characters",
                        h.alg,
                        h.content.chars().count()
                    ),
                ));
            }
        }
    }
}

/// Parses an SPDX license expression as the specification defines it, deprecated
/// identifiers included (`GPL-2.0` and `GPL-2.0+` are deprecated, not invalid: the
/// CycloneDX license enum lists them and SBOMs carry them).
pub fn parse_expression(e: &str) -> Result<spdx::Expression, spdx::error::ParseError> {
    spdx::Expression::parse_mode(
        e,
        spdx::ParseMode {
            allow_deprecated: true,
            allow_postfix_plus_on_gpl: true,
            ..spdx::ParseMode::STRICT
        },
    )
}

/// Hex digits of a digest of `alg` (CycloneDX names); `None` for variable-length ones.
fn hex_length(alg: &str) -> Option<usize> {
    Some(match alg {
        "MD5" => 32,
        "SHA-1" => 40,
        "SHA-256" | "SHA3-256" | "BLAKE2b-256" => 64,
        "SHA-384" | "SHA3-384" | "BLAKE2b-384" => 96,
        "SHA-512" | "SHA3-512" | "BLAKE2b-512" => 128,
        // BLAKE3 has a variable output length.
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::sbom::{ComponentDetails, Hash};

    fn component(purl: &str, license: License, hash: (&str, &str)) -> Component {
        Component {
            location: "/components/0".into(),
            // The purl's own name (fields that disagree with it are a problem).
            name: purl
                .parse::<packageurl::PackageUrl>()
                .map_or("x".into(), |p| p.name().into()),
            purl: Some(purl.into()),
            ..Default::default()
        }
        .with_details(ComponentDetails {
            licenses: vec![license].into(),
            hashes: vec![Hash {
                alg: hash.0.into(),
                content: hash.1.into(),
            }]
            .into(),
            ..Default::default()
        })
    }

    #[test]
    fn each_rule_reports_where_and_what() {
        let refs = Refs {
            defined: {
                let mut d = Defined::default();
                d.push("a".into(), "/components/0/bom-ref");
                d.push("a".into(), "/components/1/bom-ref");
                d
            },
            used: vec![(
                "b".into(),
                UsedAt {
                    dependency: 0,
                    depends_on: Some(0),
                },
            )],
        };
        let bad = component(
            "pkg:cargo",
            License::Expression("MIT OR".into()),
            ("SHA-256", "abcd"),
        );
        let mut problems = Vec::new();
        check(&refs, &[bad], None, &mut problems);
        let at: Vec<&str> = problems.iter().map(|p| p.location.as_str()).collect();
        assert_eq!(
            at,
            [
                "/components/1/bom-ref",
                "/dependencies/0/dependsOn/0",
                "/components/0/purl",
                "/components/0/licenses/0",
                "/components/0/hashes/0/content"
            ],
            "{problems:#?}"
        );
        assert!(
            problems[0]
                .message
                .contains("already defined at /components/0/bom-ref")
        );

        let good = component(
            "pkg:cargo/serde@1.0.0",
            License::Expression("MIT OR Apache-2.0 WITH LLVM-exception".into()),
            ("SHA-256", &"a".repeat(64)),
        );
        let mut problems = Vec::new();
        check(&Refs::default(), &[good], None, &mut problems);
        assert!(problems.is_empty(), "{problems:#?}");

        let mut problems = Vec::new();
        check(
            &Refs::default(),
            &[component(
                "pkg:npm/a@1",
                License::Id("NOT-A-LICENSE".into()),
                ("MD5", &"0".repeat(32)),
            )],
            None,
            &mut problems,
        );
        assert_eq!(problems.len(), 1, "{problems:#?}");
    }
}
