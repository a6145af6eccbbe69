//! Unit tests of `sca`.

use super::*;
use crate::evidence::sca::SeveritySource;

fn vuln(id: &str, aliases: &[&str], pkg: &str, sev: Severity) -> Vulnerability {
    Vulnerability {
        id: id.into(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        package: pkg.into(),
        ecosystem: Some("npm".into()),
        version: Some("1.0.0".into()),
        fixed_versions: vec![],
        severity: sev,
        severity_source: SeveritySource::Reported,
        cvss_vector: None,
        title: None,
        url: None,
        manifest: None,
    }
}

#[test]
fn same_cve_from_two_scanners_counts_once_with_highest_severity() {
    let a = vec![vuln(
        "GHSA-aaaa",
        &["CVE-2024-1"],
        "lodash",
        Severity::Medium,
    )];
    let b = vec![vuln("CVE-2024-1", &[], "lodash", Severity::High)];
    let merged =
        deduplicate([("grype", a.as_slice(), "a"), ("trivy", b.as_slice(), "b")].into_iter());
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].vuln.severity, Severity::High);
    assert_eq!(merged[0].scanners, vec!["grype", "trivy"]);
    assert!(merged[0].vuln.aliases.contains(&"CVE-2024-1".to_string()));
}

#[test]
fn a_bridging_entry_joins_two_groups() {
    let a = vec![
        vuln("GHSA-x", &[], "p", Severity::Low),
        vuln("CVE-1", &[], "p", Severity::High),
    ];
    let b = vec![vuln("GHSA-x", &["CVE-1"], "p", Severity::Low)];
    let merged = deduplicate([("s1", a.as_slice(), "a"), ("s2", b.as_slice(), "b")].into_iter());
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].vuln.severity, Severity::High);
}

#[test]
fn same_id_in_different_packages_stays_separate() {
    let a = vec![
        vuln("CVE-1", &[], "p", Severity::Low),
        vuln("CVE-1", &[], "q", Severity::Low),
    ];
    assert_eq!(deduplicate([("s", a.as_slice(), "a")].into_iter()).len(), 2);
}

#[test]
fn an_entry_without_version_joins_the_versioned_one() {
    let mut npm = vuln(
        "GHSA-35jh-r3h4-6jhm",
        &["CVE-2021-23337"],
        "lodash",
        Severity::High,
    );
    npm.version = None;
    let trivy = vec![vuln("CVE-2021-23337", &[], "lodash", Severity::High)];
    let npm = vec![npm];
    let merged = deduplicate(
        [
            ("npm-audit", npm.as_slice(), "a"),
            ("trivy", trivy.as_slice(), "b"),
        ]
        .into_iter(),
    );
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].vuln.version.as_deref(), Some("1.0.0"));
}

#[test]
fn two_installed_versions_stay_two_findings() {
    let mut other = vuln("CVE-1", &[], "p", Severity::High);
    other.version = Some("2.0.0".into());
    let a = vec![vuln("CVE-1", &[], "p", Severity::High), other];
    assert_eq!(deduplicate([("s", a.as_slice(), "a")].into_iter()).len(), 2);
}

#[test]
fn unknown_ecosystem_is_gated() {
    assert!(in_scope(&[EcosystemName("npm".into())], None));
    assert!(in_scope(
        &[EcosystemName("cargo".into())],
        Some("crates.io")
    ));
    assert!(!in_scope(&[EcosystemName("npm".into())], Some("PyPI")));
}

#[test]
fn an_entry_without_version_joins_the_first_versioned_one_listed() {
    // The first compatible group takes it, in the order groups were listed: which one
    // decides which version a VEX statement about the worse severity must name.
    let mut two = vuln("CVE-1", &[], "p", Severity::Low);
    two.version = Some("2.0.0".into());
    let trivy = vec![vuln("CVE-1", &[], "p", Severity::Low), two];
    let mut npm = vuln("CVE-1", &[], "p", Severity::Critical);
    npm.version = None;
    let npm = vec![npm];
    let merged = deduplicate(
        [
            ("trivy", trivy.as_slice(), "a"),
            ("npm-audit", npm.as_slice(), "b"),
        ]
        .into_iter(),
    );
    let critical: Vec<_> = merged
        .iter()
        .filter(|m| m.vuln.severity == Severity::Critical)
        .map(|m| m.vuln.version.as_deref())
        .collect();
    assert_eq!(critical, [Some("1.0.0")]);
}
