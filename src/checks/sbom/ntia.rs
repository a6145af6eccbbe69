//! NTIA minimum elements (NTIA, "The Minimum Elements For a Software Bill of
//! Materials", 2021), scored per component and for the whole SBOM.
//!
//! Per component: supplier name, component name, version, a unique identifier (a
//! purl), and a dependency relationship (the component takes part in the dependency
//! graph). For the document: the author of the SBOM data (authors, or the tools that
//! wrote it) and a timestamp. The SBOM's score is the share of all those elements
//! present, from 0 to 1.

use std::collections::HashSet;

use crate::evidence::sbom::{Component, Sbom};
use smol_str::SmolStr;

/// The elements scored for each component, in report order.
pub const COMPONENT_ELEMENTS: [&str; 5] = [
    "supplier",
    "name",
    "version",
    "unique identifier",
    "dependency relationship",
];

/// Scores of one SBOM.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Share of every element present, 0 to 1.
    pub overall: f64,
    /// For each of [`COMPONENT_ELEMENTS`], how many components lack it.
    pub missing_per_element: [usize; 5],
    /// Components with every element.
    pub complete_components: usize,
    /// Components scored.
    pub components: usize,
    /// Document elements missing (`author`, `timestamp`).
    pub missing_document: Vec<&'static str>,
}

/// Scores `sbom`.
pub fn score(sbom: &Sbom) -> Score {
    let in_graph: HashSet<&str> = sbom
        .dependencies
        .iter()
        .flat_map(|d| {
            std::iter::once(d.reference.as_str()).chain(d.depends_on.iter().map(SmolStr::as_str))
        })
        .collect();
    let present = |c: &Component| -> [bool; 5] {
        let filled = |v: Option<&SmolStr>| v.is_some_and(|s| !s.trim().is_empty());
        [
            filled(c.supplier()),
            !c.name.trim().is_empty(),
            filled(c.version.as_ref()),
            filled(c.purl.as_ref()),
            c.bom_ref.as_deref().is_some_and(|r| in_graph.contains(r)),
        ]
    };
    let mut missing_per_element = [0usize; 5];
    let mut complete_components = 0;
    let mut have = 0usize;
    for c in &sbom.components {
        let p = present(c);
        for (i, ok) in p.iter().enumerate() {
            if *ok {
                have += 1;
            } else {
                missing_per_element[i] += 1;
            }
        }
        if p.iter().all(|x| *x) {
            complete_components += 1;
        }
    }
    let mut missing_document = Vec::new();
    if sbom.metadata.authors.is_empty() && sbom.metadata.tools.is_empty() {
        missing_document.push("author");
    }
    if sbom
        .metadata
        .timestamp
        .as_deref()
        .is_none_or(|t| t.trim().is_empty())
    {
        missing_document.push("timestamp");
    }
    have += 2 - missing_document.len();
    let total = 5 * sbom.components.len() + 2;
    Score {
        overall: have as f64 / total as f64,
        missing_per_element,
        complete_components,
        components: sbom.components.len(),
        missing_document,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::sbom::{ComponentDetails, Dependency, SbomFormat, SbomMetadata};

    #[test]
    fn every_element_counts_once() {
        let full = Component {
            location: "/components/0".into(),
            kind: "library".into(),
            bom_ref: Some("a".into()),
            name: "a".into(),
            version: Some("1".into()),
            purl: Some("pkg:cargo/a@1".into()),
            ..Default::default()
        }
        .with_details(ComponentDetails {
            supplier: Some("Acme".into()),
            ..Default::default()
        });
        let bare = Component {
            location: "/components/1".into(),
            name: "b".into(),
            ..Default::default()
        };
        let sbom = Sbom {
            format: SbomFormat::CyclonedxJson,
            spec_version: "1.6".into(),
            serial_number: None,
            metadata: SbomMetadata {
                timestamp: Some("2026-01-01T00:00:00Z".into()),
                ..Default::default()
            },
            components: vec![full, bare],
            dependencies: vec![Dependency {
                reference: "a".into(),
                depends_on: vec![],
            }],
            problems: vec![],
        };
        let s = score(&sbom);
        // 5 + 1 component elements and the timestamp, of 12.
        assert_eq!(s.overall, 7.0 / 12.0);
        assert_eq!(s.missing_per_element, [1, 0, 1, 1, 1]);
        assert_eq!(s.complete_components, 1);
        assert_eq!(s.missing_document, ["author"]);
    }
}
