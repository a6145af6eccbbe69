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
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
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
