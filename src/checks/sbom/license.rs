//! License policy over SPDX expressions, evaluated as the SPDX specification means
//! them: `A OR B` needs one of the two to be acceptable, `A AND B` both, and
//! `A WITH exception` is acceptable when `A` is (an exception only adds permissions)
//! or when exactly that pair is listed. `LicenseRef-` ids compare as themselves.

use spdx::expression::{ExprNode, Operator};
use spdx::{LicenseItem, LicenseReq};

use crate::collect::files::sbom::parse_expression;
use crate::evidence::sbom::License;

/// Why a component's licenses are not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Some choice of licenses is allowed and not denied.
    Acceptable,
    /// Every choice uses a denied license; the denied ones met.
    Denied(Vec<String>),
    /// No choice uses only allowed licenses (or nothing was declared).
    NotAllowed(String),
}

/// An allow or deny list: each entry one license, optionally `WITH` an exception.
#[derive(Debug, Default)]
pub struct LicenseList {
    entries: Vec<Entry>,
}

#[derive(Debug)]
enum Entry {
    Req(LicenseReq),
    /// A non-SPDX license name as written in an SBOM (`license.name`).
    Name(String),
}

impl LicenseList {
    /// Builds a list from policy entries (each an SPDX expression naming one license;
    /// an entry like `MIT OR Apache-2.0` adds both).
    pub fn new<'a>(entries: impl IntoIterator<Item = &'a str>) -> Self {
        let mut out = Vec::new();
        for e in entries {
            match parse_expression(e) {
                Ok(expr) => out.extend(expr.requirements().map(|r| Entry::Req(r.req.clone()))),
                // The policy loader validates entries; a name that still does not parse
                // is matched literally against non-SPDX license names.
                Err(_) => out.push(Entry::Name(e.to_string())),
            }
        }
        LicenseList { entries: out }
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `req` is listed. Versions of one license compare by their base:
    /// `GPL-3.0-only`, `GPL-3.0-or-later`, the deprecated `GPL-3.0` and `GPL-3.0+` are
    /// all GPL-3.0 (an "or later" license can be used under the listed version, and a
    /// denied license stays denied however it is spelled). `LicenseRef-`s compare by
    /// name; on a deny list whatever document they come from.
    fn contains(&self, req: &LicenseReq, deny: bool) -> bool {
        self.entries.iter().any(|e| match e {
            Entry::Req(listed) => {
                same_license(&listed.license, &req.license, deny)
                    && (listed.addition.is_none() || listed.addition == req.addition)
            }
            Entry::Name(_) => false,
        })
    }

    fn contains_name(&self, name: &str) -> bool {
        self.entries.iter().any(|e| match e {
            Entry::Name(n) => n.eq_ignore_ascii_case(name),
            Entry::Req(LicenseReq {
                license: LicenseItem::Spdx { id, .. },
                ..
            }) => id.name.eq_ignore_ascii_case(name),
            Entry::Req(_) => false,
        })
    }
}

fn same_license(listed: &LicenseItem, item: &LicenseItem, deny: bool) -> bool {
    match (listed, item) {
        (LicenseItem::Spdx { id: a, .. }, LicenseItem::Spdx { id: b, .. }) => {
            base(a.name) == base(b.name)
        }
        (LicenseItem::Other(a), LicenseItem::Other(b)) => {
            a.lic_ref == b.lic_ref && (deny || a.doc_ref == b.doc_ref)
        }
        _ => false,
    }
}

/// `GPL-3.0-or-later` → `GPL-3.0`: the license without its version-range suffix.
fn base(id: &str) -> &str {
    ["-or-later", "-only", "+"]
        .iter()
        .find_map(|suffix| id.strip_suffix(suffix))
        .unwrap_or(id)
}

/// Judges a component's declared licenses (all of them apply together) against the
/// allow list (empty: everything allowed) and the deny list.
pub fn judge(licenses: &[License], allow: &LicenseList, deny: &LicenseList) -> Verdict {
    // No lists, nothing to judge (whether the expressions parse is a validity rule,
    // checked when the SBOM was read).
    if allow.is_empty() && deny.is_empty() {
        return Verdict::Acceptable;
    }
    if licenses.is_empty() {
        return if allow.is_empty() {
            Verdict::Acceptable
        } else {
            Verdict::NotAllowed("no license declared".into())
        };
    }
    let mut denied_seen: Vec<String> = Vec::new();
    let mut blocking: Option<Verdict> = None;
    for license in licenses {
        let verdict = match license {
            License::Name(name) => {
                if deny.contains_name(name) {
                    Verdict::Denied(vec![name.to_string()])
                } else if allow.is_empty() || allow.contains_name(name) {
                    Verdict::Acceptable
                } else {
                    Verdict::NotAllowed(format!(
                        "{name:?} is not an SPDX license on the allow list"
                    ))
                }
            }
            License::Id(text) | License::Expression(text) => match parse_expression(text) {
                Err(e) => Verdict::NotAllowed(format!("{text:?} does not parse: {}", e.reason)),
                Ok(expr) => {
                    let ok = |req: &LicenseReq| {
                        !deny.contains(req, true)
                            && (allow.is_empty() || allow.contains(req, false))
                    };
                    if satisfiable(&expr, &ok) {
                        Verdict::Acceptable
                    } else if !satisfiable(&expr, &|req: &LicenseReq| !deny.contains(req, true)) {
                        Verdict::Denied(
                            expr.requirements()
                                .filter(|r| deny.contains(&r.req, true))
                                .map(|r| r.req.to_string())
                                .collect(),
                        )
                    } else {
                        Verdict::NotAllowed(format!("{text} has no choice of allowed licenses"))
                    }
                }
            },
        };
        match verdict {
            Verdict::Acceptable => {}
            Verdict::Denied(mut names) => {
                denied_seen.append(&mut names);
            }
            other => {
                blocking.get_or_insert(other);
            }
        }
    }
    if !denied_seen.is_empty() {
        denied_seen.sort();
        denied_seen.dedup();
        return Verdict::Denied(denied_seen);
    }
    blocking.unwrap_or(Verdict::Acceptable)
}

/// Whether some choice of licenses satisfies `ok`, walking the postfix expression.
fn satisfiable(expr: &spdx::Expression, ok: &dyn Fn(&LicenseReq) -> bool) -> bool {
    let mut stack: Vec<bool> = Vec::new();
    for node in expr.iter() {
        match node {
            ExprNode::Req(r) => stack.push(ok(&r.req)),
            ExprNode::Op(op) => {
                let (Some(b), Some(a)) = (stack.pop(), stack.pop()) else {
                    return false;
                };
                stack.push(match op {
                    Operator::And => a && b,
                    Operator::Or => a || b,
                });
            }
        }
    }
    stack.pop().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(e: &str) -> Vec<License> {
        vec![License::Expression(e.into())]
    }

    #[test]
    fn expressions_are_evaluated_as_spdx_defines_them() {
        let allow = LicenseList::new([
            "MIT",
            "Apache-2.0",
            "BSD-3-Clause",
            "GPL-2.0-only WITH Classpath-exception-2.0",
            "LicenseRef-acme-eula",
        ]);
        let deny = LicenseList::new(["GPL-3.0-only", "AGPL-3.0-or-later"]);
        let cases: &[(&str, &str)] = &[
            ("MIT", "ok"),
            ("MIT OR GPL-3.0-only", "ok"),
            ("GPL-3.0-only OR MIT", "ok"),
            ("MIT AND GPL-3.0-only", "denied"),
            ("GPL-3.0-only", "denied"),
            ("AGPL-3.0-or-later OR GPL-3.0-only", "denied"),
            ("MIT AND Apache-2.0", "ok"),
            ("MIT AND MPL-2.0", "not-allowed"),
            ("MPL-2.0 OR ISC", "not-allowed"),
            ("(MIT OR MPL-2.0) AND (BSD-3-Clause OR ISC)", "ok"),
            ("Apache-2.0 WITH LLVM-exception", "ok"),
            ("GPL-2.0-only WITH Classpath-exception-2.0", "ok"),
            ("GPL-2.0-only", "not-allowed"),
            ("GPL-2.0-only WITH GCC-exception-2.0", "not-allowed"),
            ("LicenseRef-acme-eula", "ok"),
            ("LicenseRef-other", "not-allowed"),
            ("MIT OR LicenseRef-other", "ok"),
            ("GPL-2.0 OR MIT", "ok"),
            // Spellings of one license are one license.
            ("GPL-3.0-or-later", "denied"),
            ("GPL-3.0", "denied"),
            ("GPL-3.0+", "denied"),
            ("AGPL-3.0-only OR MIT", "ok"),
            ("Apache-2.0+", "ok"),
            ("GPL-2.0-or-later WITH Classpath-exception-2.0", "ok"),
            ("DocumentRef-other:LicenseRef-acme-eula", "not-allowed"),
        ];
        for (e, expected) in cases {
            let got = match judge(&expr(e), &allow, &deny) {
                Verdict::Acceptable => "ok",
                Verdict::Denied(_) => "denied",
                Verdict::NotAllowed(_) => "not-allowed",
            };
            assert_eq!(got, *expected, "{e}");
        }
    }

    #[test]
    fn ids_names_and_missing_licenses() {
        let allow = LicenseList::new(["MIT"]);
        let none = LicenseList::default();
        let deny = LicenseList::new(["GPL-3.0-only"]);
        assert_eq!(
            judge(&[License::Id("MIT".into())], &allow, &deny),
            Verdict::Acceptable
        );
        assert_eq!(
            judge(
                &[
                    License::Id("MIT".into()),
                    License::Id("GPL-3.0-only".into())
                ],
                &allow,
                &deny
            ),
            Verdict::Denied(vec!["GPL-3.0-only".into()])
        );
        assert!(matches!(judge(&[], &allow, &deny), Verdict::NotAllowed(_)));
        assert_eq!(judge(&[], &none, &deny), Verdict::Acceptable);
        assert!(matches!(
            judge(&[License::Name("Acme Proprietary".into())], &allow, &deny),
            Verdict::NotAllowed(_)
        ));
        assert_eq!(
            judge(&[License::Name("mit".into())], &allow, &deny),
            Verdict::Acceptable
        );
    }
}
