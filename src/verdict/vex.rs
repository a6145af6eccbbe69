//! VEX statements as waivers: which statement is in force (the newest about a
//! vulnerability and product), and whether it names a finding's package.

use super::waivers::has_identifier;
use crate::checks::Finding;
use crate::evidence::{Evidence, VexStatement};

/// A VEX statement matches by vulnerability id or alias, and only if one of its products
/// (or their subcomponents, which the reader lists among the products) is a purl naming
/// the finding's package: same purl type as the finding's ecosystem, same name, and the
/// same version when the purl has one. A statement with no products, or about "our
/// product" as a whole, cannot be checked against the dependency, so it waives nothing.
pub(super) fn vex_matches(st: &VexStatement, f: &Finding) -> bool {
    statement_ids(st).any(|id| has_identifier(f, id))
        && st.products.iter().any(|p| product_matches(p, f))
}

pub(super) fn statement_ids(st: &VexStatement) -> impl Iterator<Item = &String> {
    std::iter::once(&st.vulnerability).chain(st.aliases.iter())
}

/// OpenVEX: a later statement about the same vulnerability and product replaces an
/// earlier one, so `not_affected` followed by `affected` is not a waiver. For each
/// entry of `timeline`, whether a newer one about one of its identifiers and products
/// (or about every product) exists.
///
/// Newer: when both are dated (not after the run), the later timestamp, then the later
/// position; when either is undated, the later position in command-line and document
/// order, so an undated `affected` after a dated `not_affected` still replaces it.
/// Each entry is compared with the newest two entries under each of its
/// (identifier, product) keys, dated and undated apart, not with every other entry.
pub(super) fn superseded(timeline: &[VexEntry]) -> Vec<bool> {
    type Dated = (time::OffsetDateTime, usize);
    /// The two greatest keys seen, with their entries, so an entry can leave itself out.
    #[derive(Clone, Copy)]
    struct Newest<K: Copy + Ord>([Option<(K, usize)>; 2]);
    impl<K: Copy + Ord> Default for Newest<K> {
        fn default() -> Self {
            Newest([None, None])
        }
    }
    impl<K: Copy + Ord> Newest<K> {
        fn add(&mut self, key: K, entry: usize) {
            if self.0.iter().flatten().any(|(_, e)| *e == entry) {
                return;
            }
            let [first, second] = &mut self.0;
            match first {
                Some((k, _)) if *k >= key => {
                    if second.is_none_or(|(k2, _)| k2 < key) {
                        *second = Some((key, entry));
                    }
                }
                _ => {
                    *second = *first;
                    *first = Some((key, entry));
                }
            }
        }
        fn greatest_besides(&self, entry: usize) -> Option<K> {
            self.0
                .iter()
                .flatten()
                .find(|(_, e)| *e != entry)
                .map(|(k, _)| *k)
        }
    }
    /// Under one key: dated entries by (time, position), every entry by position.
    #[derive(Default, Clone, Copy)]
    struct Slot {
        dated: Newest<Dated>,
        any_position: Newest<usize>,
        undated_position: Newest<usize>,
    }
    impl Slot {
        fn add(&mut self, e: &VexEntry, k: usize) {
            self.any_position.add(k, k);
            match e.time {
                Some(t) => self.dated.add((t, k), k),
                None => self.undated_position.add(k, k),
            }
        }
        /// Whether an entry other than `k` here is newer than `k`.
        fn newer_than(&self, e: &VexEntry, k: usize) -> bool {
            match e.time {
                // Undated: position against everything.
                None => self.any_position.greatest_besides(k).is_some_and(|p| p > k),
                // Dated: timestamps against dated entries, position against undated.
                Some(t) => {
                    self.dated.greatest_besides(k).is_some_and(|d| d > (t, k))
                        || self
                            .undated_position
                            .greatest_besides(k)
                            .is_some_and(|p| p > k)
                }
            }
        }
    }
    // Entries grouped by sorting (identifier, entry) and (identifier, product, entry)
    // pairs, identifiers compared without ASCII case: a few words a pair, where maps of
    // owned keys to slots took 600 bytes a statement. One group's slots exist at a time.
    fn fold(a: &str, b: &str) -> std::cmp::Ordering {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    }
    let mut replaced = vec![false; timeline.len()];
    let mut by_id: Vec<(&str, usize)> = timeline
        .iter()
        .enumerate()
        .flat_map(|(k, e)| statement_ids(e.statement).map(move |id| (id.as_str(), k)))
        .collect();
    by_id.sort_by(|a, b| fold(a.0, b.0).then(a.1.cmp(&b.1)));
    for group in by_id.chunk_by(|a, b| fold(a.0, b.0).is_eq()) {
        // Any entry about the id, and the entries about every product of it.
        let (mut any, mut every_product) = (Slot::default(), Slot::default());
        for &(_, k) in group {
            let e = &timeline[k];
            any.add(e, k);
            if e.statement.products.is_empty() {
                every_product.add(e, k);
            }
        }
        for &(_, k) in group {
            let e = &timeline[k];
            // A statement about every product is replaced by any newer one about the
            // id; one about products, by a newer one about every product (or, below,
            // about one of its products).
            let slot = if e.statement.products.is_empty() {
                &any
            } else {
                &every_product
            };
            replaced[k] |= slot.newer_than(e, k);
        }
    }
    drop(by_id);
    let mut by_product: Vec<(&str, &str, usize)> = timeline
        .iter()
        .enumerate()
        .flat_map(|(k, e)| {
            statement_ids(e.statement).flat_map(move |id| {
                e.statement
                    .products
                    .iter()
                    .map(move |p| (id.as_str(), p.as_str(), k))
            })
        })
        .collect();
    by_product.sort_by(|a, b| fold(a.0, b.0).then(a.1.cmp(b.1)).then(a.2.cmp(&b.2)));
    for group in by_product.chunk_by(|a, b| fold(a.0, b.0).is_eq() && a.1 == b.1) {
        let mut slot = Slot::default();
        for &(_, _, k) in group {
            slot.add(&timeline[k], k);
        }
        for &(_, _, k) in group {
            replaced[k] |= slot.newer_than(&timeline[k], k);
        }
    }
    replaced
}

/// A VEX statement with where it came from and when it was made.
pub(super) struct VexEntry<'a> {
    pub(super) sourced: &'a crate::evidence::Sourced<crate::evidence::VexDocument>,
    pub(super) doc: &'a crate::evidence::VexDocument,
    pub(super) statement: &'a VexStatement,
    /// The statement's timestamp, else its document's, when either parses and is not
    /// after the run.
    pub(super) time: Option<time::OffsetDateTime>,
    /// Dated after the run: a claim that cannot have been made yet. It waives nothing,
    /// and it orders as if undated (by position), so a far-future date cannot make a
    /// statement outrank every later one.
    pub(super) future: bool,
}

/// Every statement of every readable VEX document, in command-line and document order.
pub(super) fn vex_timeline(evidence: &Evidence) -> Vec<VexEntry<'_>> {
    let parse = |s: &Option<String>| {
        s.as_deref().and_then(|t| {
            time::OffsetDateTime::parse(t.trim(), &time::format_description::well_known::Rfc3339)
                .ok()
        })
    };
    let mut out = Vec::new();
    for sourced in &evidence.vex {
        let Ok(doc) = &sourced.observed else { continue };
        for statement in &doc.statements {
            let time = parse(&statement.timestamp).or_else(|| parse(&doc.timestamp));
            let future = time.is_some_and(|t| t > evidence.collected_at);
            out.push(VexEntry {
                sourced,
                doc,
                statement,
                time: time.filter(|_| !future),
                future,
            });
        }
    }
    out
}

pub(super) fn product_matches(product: &str, f: &Finding) -> bool {
    let (Some(pkg), Some(ecosystem)) =
        (f.subject.package.as_deref(), f.subject.ecosystem.as_deref())
    else {
        return false;
    };
    // A bom-ref or product name the reader could not resolve to a purl says nothing
    // checkable about this dependency: fail closed and don't waive.
    let Some(purl) = Purl::parse(product) else {
        return false;
    };
    // The purl type must be the finding's ecosystem: `pkg:npm/p` says nothing about
    // the crates.io package `p`.
    match crate::evidence::ecosystem::from_purl(product) {
        Some(purl_eco)
            if crate::checks::sca::canonical_ecosystem(purl_eco)
                == crate::checks::sca::canonical_ecosystem(ecosystem) => {}
        _ => return false,
    }
    // The whole name, namespace included: `pkg:npm/%40acme/lodash` is not `lodash`.
    let same = |a: &str, b: &str| normalize_name(a) == normalize_name(b);
    let name_ok = match &purl.namespace {
        Some(ns) => {
            same(&format!("{ns}/{}", purl.name), pkg) || same(&format!("{ns}:{}", purl.name), pkg)
        }
        None => same(&purl.name, pkg),
    };
    // A versioned statement covers that version only; a finding whose version is
    // unknown cannot be shown to be that version.
    let version_ok = match (&purl.version, f.subject.version.as_deref()) {
        (Some(v), Some(fv)) => v == fv,
        (Some(_), None) => false,
        (None, _) => true,
    };
    name_ok && version_ok
}

/// Case-insensitive, and PyPI-style `-`/`_`/`.` folding.
pub(super) fn normalize_name(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace(['_', '.'], "-")
}

/// The parts of a package URL vouch compares (`pkg:type/namespace/name@version`).
pub(super) struct Purl {
    pub(super) namespace: Option<String>,
    pub(super) name: String,
    pub(super) version: Option<String>,
}

impl Purl {
    fn parse(s: &str) -> Option<Purl> {
        let rest = s.trim().strip_prefix("pkg:")?;
        let rest = rest.split(['?', '#']).next()?;
        let (path, version) = match rest.rsplit_once('@') {
            // `@` inside the path is percent-encoded, so the last `@` starts the version.
            Some((p, v)) if !p.is_empty() => (p, Some(decode(v))),
            _ => (rest, None),
        };
        let mut segments: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
        if segments.len() < 2 {
            return None; // type and name are required
        }
        let name = segments.pop()?;
        let namespace = (segments.len() > 1).then(|| segments[1..].join("/"));
        Some(Purl {
            namespace,
            name,
            version,
        })
    }
}

pub(super) fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

pub(super) fn products_suffix(st: &VexStatement) -> String {
    if st.products.is_empty() {
        String::new()
    } else {
        format!(", products={}", st.products.join(" "))
    }
}
