//! Unit tests of `verdict`.

use super::vex::vex_matches;
use super::*;
use crate::checks::FindingSubject;
use crate::checks::sca::VULNERABLE_DEPENDENCY;
use crate::evidence::VexStatement;

fn finding(id: &str, aliases: &[&str], package: &str, version: &str) -> Finding {
    let ecosystem = if package.starts_with('@') {
        "npm"
    } else {
        "crates.io"
    };
    VULNERABLE_DEPENDENCY
        .finding("m")
        .with_subject(FindingSubject {
            id: Some(id.into()),
            aliases: aliases.iter().map(|a| (*a).into()).collect(),
            package: Some(package.into()),
            ecosystem: Some(ecosystem.into()),
            version: Some(version.into()),
            ..Default::default()
        })
}

fn statement(vuln: &str, products: &[&str]) -> VexStatement {
    VexStatement {
        vulnerability: vuln.into(),
        aliases: vec![],
        products: products.iter().map(|p| p.to_string()).collect(),
        status: "not_affected".into(),
        justification: None,
        timestamp: None,
    }
}

#[test]
fn vex_matches_by_alias_and_purl_of_the_affected_package() {
    let f = finding("RUSTSEC-2023-0071", &["CVE-2023-49092"], "rsa", "0.9.6");
    assert!(
        !vex_matches(&statement("CVE-2023-49092", &[]), &f),
        "no product: nothing checkable"
    );
    assert!(
        !vex_matches(&statement("CVE-2023-49092", &["pkg:npm/rsa@0.9.6"]), &f),
        "other ecosystem"
    );
    assert!(vex_matches(
        &statement(
            "CVE-2023-49092",
            &["pkg:cargo/ledger@1.4.0", "pkg:cargo/rsa@0.9.6"]
        ),
        &f
    ));
    assert!(vex_matches(
        &statement("CVE-2023-49092", &["pkg:cargo/rsa"]),
        &f
    ));
    assert!(
        !vex_matches(&statement("CVE-2023-49092", &["pkg:cargo/rsa@0.9.7"]), &f),
        "other version"
    );
    assert!(
        !vex_matches(
            &statement("CVE-2023-49092", &["pkg:cargo/ledger@1.4.0"]),
            &f
        ),
        "product only"
    );
    assert!(
        !vex_matches(&statement("CVE-2023-49092", &["urn:cdx:1234/1#ledger"]), &f),
        "unresolved ref"
    );
    assert!(
        !vex_matches(&statement("CVE-2024-0001", &[]), &f),
        "other vulnerability"
    );

    // Namespaces are part of the name; a versioned statement needs a known version.
    let lodash = finding("GHSA-l", &[], "lodash", "4.17.11");
    let mut npm_lodash = lodash.clone();
    npm_lodash.subject.ecosystem = Some("npm".into());
    assert!(!vex_matches(
        &statement("GHSA-l", &["pkg:npm/%40acme/lodash@4.17.11"]),
        &npm_lodash
    ));
    assert!(vex_matches(
        &statement("GHSA-l", &["pkg:npm/lodash@4.17.11"]),
        &npm_lodash
    ));
    let mut unversioned = npm_lodash.clone();
    unversioned.subject.version = None;
    assert!(!vex_matches(
        &statement("GHSA-l", &["pkg:npm/lodash@4.17.21"]),
        &unversioned
    ));
    assert!(vex_matches(
        &statement("GHSA-l", &["pkg:npm/lodash"]),
        &unversioned
    ));
    let scoped = finding("GHSA-x", &[], "@babel/traverse", "7.22.0");
    assert!(vex_matches(
        &statement("GHSA-x", &["pkg:npm/%40babel/traverse@7.22.0"]),
        &scoped
    ));
}

#[test]
fn the_newest_statement_about_an_id_and_product_supersedes_in_one_pass() {
    use super::vex::{VexEntry, superseded};
    let doc = crate::evidence::VexDocument {
        format: "openvex".into(),
        author: None,
        timestamp: None,
        statements: vec![],
    };
    let sourced = crate::evidence::Sourced {
        source: "v.json".into(),
        observed: Ok(doc.clone()),
    };
    let at = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    };
    let statements = [
        statement("CVE-1", &["pkg:cargo/a@1"]), // 0: superseded by 1
        statement("cve-1", &["pkg:cargo/a@1"]), // 1: newest for a (alias case-insensitive)
        statement("CVE-1", &["pkg:cargo/b@1"]), // 2: another product: stands
        statement("CVE-2", &[]),                // 3: every product; superseded by 4
        statement("CVE-2", &["pkg:cargo/c@1"]), // 4: stands
        statement("CVE-3", &["pkg:cargo/d@1"]), // 5: dated; the undated 6 comes later
        statement("CVE-3", &["pkg:cargo/d@1"]), // 6: undated: position decides
        statement("CVE-4", &["pkg:cargo/e@1"]), // 7: dated later than 8: stands
        statement("CVE-4", &["pkg:cargo/e@1"]), // 8: dated earlier: superseded
    ];
    let times = [
        None,
        None,
        None,
        None,
        None,
        at("2026-01-02T00:00:00Z"),
        None,
        at("2026-03-01T00:00:00Z"),
        at("2026-02-01T00:00:00Z"),
    ];
    let timeline: Vec<VexEntry> = statements
        .iter()
        .zip(times)
        .map(|(st, time)| VexEntry {
            sourced: &sourced,
            doc: &doc,
            statement: st,
            time,
            future: false,
        })
        .collect();
    assert_eq!(
        superseded(&timeline),
        [true, false, false, true, false, true, false, false, true]
    );
    // 30,000 statements about distinct vulnerabilities: no pairwise comparison.
    let many: Vec<VexStatement> = (0..30_000)
        .map(|i| statement(&format!("CVE-2024-{i}"), &["pkg:cargo/x@1"]))
        .collect();
    let timeline: Vec<VexEntry> = many
        .iter()
        .map(|st| VexEntry {
            sourced: &sourced,
            doc: &doc,
            statement: st,
            time: None,
            future: false,
        })
        .collect();
    assert!(superseded(&timeline).iter().all(|s| !s));
}
