//! Unit tests of `sca`.

use super::*;

fn vuln(id: &str, package: &str, version: &str, severity: Severity) -> Vulnerability {
    Vulnerability {
        id: id.into(),
        aliases: vec![],
        package: package.into(),
        ecosystem: Some("npm".into()),
        version: Some(version.into()),
        fixed_versions: vec![],
        severity,
        severity_source: SeveritySource::Reported,
        cvss_vector: None,
        title: None,
        url: None,
        manifest: None,
    }
}

#[test]
fn empty_input_fails_closed() {
    for input in [&b""[..], b"\n \r\n\t"] {
        let gap = read_sca("r.json", input).unwrap_err();
        assert_eq!(gap.kind, GapKind::Malformed);
        assert_eq!(gap.detail, "empty file: the scanner wrote no report");
        assert_eq!(gap.source_name, "r.json");
    }
}

#[test]
fn reports_that_show_nothing_scanned_are_no_evidence() {
    // Each of these was once read as a clean scan.
    for (text, says) in [
        (" [ ] ", "an empty JSON array"),
        (r#"{"advisories": null}"#, "expected an object"),
        (
            r#"{"advisories": {}, "metadata": {}}"#,
            "metadata.totalDependencies",
        ),
        (
            r#"{"auditReportVersion": 2, "vulnerabilities": {}, "metadata": {"dependencies": {"total": 0}}}"#,
            "metadata.dependencies.total` is 0",
        ),
        (
            r#"[{"progress": {"message": "Scanning your code..."}}]"#,
            "no `config` message",
        ),
        (
            r#"{"progress": {"message": "Scanning your code..."}}"#,
            "no `config` message",
        ),
        (r#"{"dependencies": []}"#, "lists no dependency"),
        (
            r#"{"database": {}, "vulnerabilities": {"found": false, "list": []}}"#,
            "no `lockfile` object",
        ),
        (
            r#"{"database": {}, "lockfile": {"dependency-count": 0}, "vulnerabilities": {"found": false, "list": []}}"#,
            "dependency-count` is 0",
        ),
        (
            r#"{"matches": [], "descriptor": {"name": "grype"}}"#,
            "no `source` object",
        ),
        (
            r#"{"version": "15.0.0", "vulnerabilities": [], "dependency_files": []}"#,
            "no finding",
        ),
        (
            r#"{"version": "15.0.0", "vulnerabilities": null, "dependency_files": [{"path": "a"}]}"#,
            "expected a sequence",
        ),
    ] {
        let gap = read_sca("r.json", text.as_bytes()).expect_err(text);
        assert!(gap.detail.contains(says), "{text}: {gap}");
    }
}

#[test]
fn unknown_shapes_are_unsupported_and_list_formats() {
    for input in [
        &br#"{"hello": "world"}"#[..],
        b"[1, 2]",
        b"[{\"x\": 1}]",
        b"42",
        b"\"text\"",
    ] {
        let gap = read_sca("r.json", input).unwrap_err();
        assert_eq!(gap.kind, GapKind::Unsupported, "{input:?}");
        assert!(
            gap.detail.contains("cargo-audit") || gap.detail.contains("not a report"),
            "{}",
            gap.detail
        );
    }
}

#[test]
fn non_json_and_broken_json_are_malformed_with_position() {
    let gap = read_sca("r.json", b"<xml/>").unwrap_err();
    assert_eq!(gap.kind, GapKind::Malformed);
    assert!(gap.detail.contains("line 1 column 1"), "{}", gap.detail);
    let gap = read_sca("r.json", b"{\n \"matches\": [\n  {,}\n ]\n}").unwrap_err();
    assert_eq!(gap.kind, GapKind::Malformed);
    assert!(gap.detail.contains("line 3"), "{}", gap.detail);
}

#[test]
fn other_document_kinds_point_to_the_right_flag() {
    let sarif = br#"{"version": "2.1.0", "runs": []}"#;
    assert!(read_sca("s", sarif).unwrap_err().detail.contains("--sarif"));
    let vex = br#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": []}"#;
    assert!(read_sca("v", vex).unwrap_err().detail.contains("--vex"));
}

#[test]
fn gitlab_sast_is_rejected_in_every_schema_generation() {
    let v3 = br#"{"version": "15.0.0", "vulnerabilities": [], "scan": {"type": "sast"}}"#;
    let v2_empty = br#"{"version": "2.3", "vulnerabilities": [], "remediations": []}"#;
    let v2_category =
        br#"{"version": "2.3", "vulnerabilities": [{"category": "sast", "name": "x"}]}"#;
    for input in [&v3[..], v2_empty, v2_category] {
        let gap = read_sca("gl-sast-report.json", input).unwrap_err();
        assert_eq!(gap.kind, GapKind::Unsupported);
        assert!(
            gap.detail
                .contains("this is a GitLab SAST report; pass it with --sarif"),
            "{}",
            gap.detail
        );
    }
    let dast = br#"{"version": "15.0.0", "vulnerabilities": [], "scan": {"type": "dast"}}"#;
    let gap = read_sca("gl-dast.json", dast).unwrap_err();
    assert_eq!(gap.kind, GapKind::Unsupported);
    assert!(gap.detail.contains("`dast`"), "{}", gap.detail);
}

#[test]
fn ratings_prefer_label_then_score_then_vector() {
    let v3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    let r = Rating::rate(Some("LOW"), Some(9.8), [v3]);
    assert_eq!(
        (r.severity, r.source, r.vector.as_deref()),
        (Severity::Low, SeveritySource::Reported, Some(v3))
    );
    let r = Rating::rate(Some("unknown"), Some(5.0), [v3]);
    assert_eq!(
        (r.severity, r.source),
        (Severity::Medium, SeveritySource::Score)
    );
    let r = Rating::rate(None, None, ["AV:N/AC:L/Au:N/C:P/I:P/A:P", v3]);
    assert_eq!(
        (r.severity, r.source, r.vector.as_deref()),
        (Severity::Critical, SeveritySource::CvssV3, Some(v3))
    );
    let v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    let r = Rating::rate(None, None, [v4]);
    assert_eq!(
        (r.severity, r.source),
        (Severity::Critical, SeveritySource::CvssV4)
    );
    let r = Rating::rate(None, None, ["CVSS:3.1/garbage"]);
    assert_eq!(
        (r.severity, r.source),
        (Severity::Unknown, SeveritySource::Unrated)
    );
    let r = Rating::rate(Some("high"), None, ["AV:N/AC:L/Au:N/C:P/I:P/A:P"]);
    assert_eq!(r.vector, None);
}

#[test]
fn aliases_exclude_the_id_and_repeats() {
    let a = clean_aliases(
        "GHSA-1",
        [
            "CVE-1".into(),
            "ghsa-1".into(),
            " ".into(),
            "cve-1".into(),
            "X".into(),
        ],
    );
    assert_eq!(a, vec!["CVE-1".to_string(), "X".to_string()]);
}

#[test]
fn duplicates_merge_keeping_the_worse_severity() {
    let mut a = vuln("CVE-1", "lodash", "1.0.0", Severity::Low);
    a.aliases = vec!["GHSA-a".into()];
    let mut b = vuln("CVE-1", "lodash", "1.0.0", Severity::High);
    b.aliases = vec!["GHSA-b".into()];
    b.fixed_versions = vec!["1.0.1".into()];
    let c = vuln("CVE-1", "lodash", "2.0.0", Severity::Low);
    let out = merge_duplicates(vec![a, c.clone(), b]);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].severity, Severity::High);
    assert_eq!(
        out[0].aliases,
        vec!["GHSA-a".to_string(), "GHSA-b".to_string()]
    );
    assert_eq!(out[0].fixed_versions, vec!["1.0.1".to_string()]);
    assert_eq!(out[1], c);
}

#[test]
fn an_unknown_npm_audit_layout_is_unsupported() {
    let text = br#"{"auditReportVersion": 3, "vulnerabilities": {}, "metadata": {}}"#;
    let gap = read_sca("npm.json", text).unwrap_err();
    assert_eq!(gap.kind, GapKind::Unsupported);
    assert!(
        gap.detail.contains("auditReportVersion: expected 2, got 3"),
        "{gap}"
    );
}

#[test]
fn reports_that_checked_no_dependency_are_refused() {
    for text in [
        r#"{"SchemaVersion": 2, "Results": [{"Target": "LICENSE", "Class": "license"}]}"#,
        r#"{"SchemaVersion": 2}"#,
        r#"{"SchemaVersion": 2, "Results": [{"foo": 1}]}"#,
        r#"{"matches": null, "descriptor": {"name": "grype"}}"#,
        r#"{"matches": []}"#,
        r#"{"dependencies": null}"#,
        r#"{"vulnerabilities": {}, "database": {}}"#,
        r#"{"config": {"scanner_name": "govulncheck"}}"#,
    ] {
        assert!(
            read_sca("r.json", text.as_bytes()).is_err(),
            "read as clean: {text}"
        );
    }
}
