//! Unit tests of `vex`.

use super::*;

const OPENVEX: &str = r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/shop-1.4",
  "author": "Shop Security Team <security@example.com>",
  "timestamp": "2024-03-01T12:00:00Z",
  "version": 1,
  "statements": [
    {
      "vulnerability": {"@id": "https://nvd.nist.gov/vuln/detail/CVE-2023-44487", "name": "CVE-2023-44487",
                        "aliases": ["GHSA-qppj-fm5r-hxr3", "CVE-2023-44487"]},
      "products": [
        {"@id": "pkg:oci/shop@sha256%3A01ab", "identifiers": {"purl": "pkg:oci/shop?tag=1.4"},
         "subcomponents": [{"@id": "pkg:golang/golang.org/x/net@v0.15.0"}]}
      ],
      "status": "not_affected",
      "justification": "vulnerable_code_not_in_execute_path",
      "impact_statement": "The HTTP/2 server is never started."
    },
    {"vulnerability": {"name": "CVE-2024-24790"}, "products": ["pkg:golang/stdlib@1.22.3"], "status": "fixed"},
    {"vulnerability": "CVE-2022-0001", "products": ["pkg:npm/a@1.0.0"], "subcomponents": ["pkg:npm/b@2.0.0"],
     "status": "under_investigation"}
  ]
}"#;

const CYCLONEDX: &str = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "version": 1,
  "metadata": {"authors": [{"name": "Jane Doe"}, {"name": "PSIRT"}],
               "component": {"bom-ref": "app", "name": "app", "purl": "pkg:maven/com.example/app@2.0.0"}},
  "components": [
    {"bom-ref": "jackson", "name": "jackson-databind", "purl": "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4",
     "components": [{"bom-ref": "inner", "purl": "pkg:maven/x/inner@1"}]}
  ],
  "vulnerabilities": [
    {"id": "CVE-2018-7489", "references": [{"id": "GHSA-6fpp-rgj9-8rwc", "source": {"name": "GitHub"}}],
     "analysis": {"state": "not_affected", "justification": "code_not_reachable", "detail": "Polymorphic typing is disabled."},
     "affects": [{"ref": "jackson"}, {"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#inner"}]},
    {"id": "CVE-2020-0001", "analysis": {"state": "exploitable"}, "affects": [{"ref": "app"}]},
    {"id": "CVE-2020-0002", "analysis": {"state": "resolved"}},
    {"id": "CVE-2020-0003", "analysis": {"state": "in_triage"}},
    {"id": "CVE-2020-0004", "analysis": {"state": "false_positive", "detail": "Scanner matched the wrong CPE."}},
    {"id": "CVE-2020-0005"}
  ]
}"#;

#[test]
fn reads_openvex() {
    let d = read_vex("shop.openvex.json", OPENVEX.as_bytes()).unwrap();
    assert_eq!(d.format, "openvex");
    assert_eq!(
        d.author.as_deref(),
        Some("Shop Security Team <security@example.com>")
    );
    assert_eq!(d.statements.len(), 3);
    let s = &d.statements[0];
    assert_eq!(s.vulnerability, "CVE-2023-44487");
    assert_eq!(s.aliases, vec!["GHSA-qppj-fm5r-hxr3"]);
    assert_eq!(
        s.products,
        vec![
            "pkg:oci/shop@sha256%3A01ab",
            "pkg:oci/shop?tag=1.4",
            "pkg:golang/golang.org/x/net@v0.15.0"
        ]
    );
    assert_eq!(s.status, "not_affected");
    assert_eq!(
        s.justification.as_deref(),
        Some("vulnerable_code_not_in_execute_path: The HTTP/2 server is never started.")
    );
    assert_eq!(d.statements[1].status, "fixed");
    let legacy = &d.statements[2];
    assert_eq!(legacy.vulnerability, "CVE-2022-0001");
    assert_eq!(legacy.products, vec!["pkg:npm/a@1.0.0", "pkg:npm/b@2.0.0"]);
    assert_eq!(legacy.status, "under_investigation");
}

#[test]
fn reads_cyclonedx_vex() {
    let d = read_vex("bom.vex.json", CYCLONEDX.as_bytes()).unwrap();
    assert_eq!(d.format, "cyclonedx");
    assert_eq!(d.author.as_deref(), Some("Jane Doe, PSIRT"));
    let statuses: Vec<&str> = d.statements.iter().map(|s| s.status.as_str()).collect();
    assert_eq!(
        statuses,
        vec![
            "not_affected",
            "affected",
            "fixed",
            "under_investigation",
            "not_affected",
            "affected"
        ]
    );
    let s = &d.statements[0];
    assert_eq!(s.aliases, vec!["GHSA-6fpp-rgj9-8rwc"]);
    // The BOM-Link names a BOM with another serial number (this document has none):
    // it does not resolve to this document's `inner` component.
    assert_eq!(
        s.products,
        vec![
            "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4",
            "jackson",
            "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#inner"
        ]
    );
    // A link into this very document does.
    let own = CYCLONEDX.replacen(
        "\"specVersion\": \"1.5\",",
        "\"specVersion\": \"1.5\", \"serialNumber\": \"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79\",",
        1,
    );
    let d = read_vex("bom.vex.json", own.as_bytes()).unwrap();
    assert!(
        d.statements[0]
            .products
            .contains(&"pkg:maven/x/inner@1".to_string()),
        "{:?}",
        d.statements[0].products
    );
    let other_version = own.replacen("\"version\": 1", "\"version\": 2", 1);
    if other_version != own {
        let d = read_vex("bom.vex.json", other_version.as_bytes()).unwrap();
        assert!(
            !d.statements[0]
                .products
                .contains(&"pkg:maven/x/inner@1".to_string())
        );
    }
    assert_eq!(
        s.justification.as_deref(),
        Some("code_not_reachable: Polymorphic typing is disabled.")
    );
    assert_eq!(
        d.statements[1].products,
        vec!["pkg:maven/com.example/app@2.0.0", "app"]
    );
    assert_eq!(
        d.statements[4].justification.as_deref(),
        Some("false_positive: Scanner matched the wrong CPE.")
    );
}

#[test]
fn empty_input_fails_closed() {
    let gap = read_vex("v.json", b"  \n").unwrap_err();
    assert_eq!(
        (gap.kind, gap.detail.as_str()),
        (
            GapKind::Malformed,
            "empty file: the scanner wrote no report"
        )
    );
}

#[test]
fn unknown_statuses_are_malformed() {
    let bad = r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
        {"vulnerability": {"name": "CVE-1"}, "status": "not_afected"}]}"#;
    let gap = read_vex("v.json", bad.as_bytes()).unwrap_err();
    assert_eq!(gap.kind, GapKind::Malformed);
    assert!(
        gap.detail
            .contains("at `statements[0]`: `status` is `not_afected`"),
        "{}",
        gap.detail
    );
    assert!(gap.detail.contains("line 2"), "{}", gap.detail);
    let bad = r#"{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "fine"}}]}"#;
    let gap = read_vex("v.json", bad.as_bytes()).unwrap_err();
    assert_eq!(gap.kind, GapKind::Malformed);
    assert!(
        gap.detail.contains("vulnerabilities[0].analysis.state"),
        "{}",
        gap.detail
    );
}

#[test]
fn malformed_documents_name_field_and_position() {
    let bad = "{\"@context\": \"https://openvex.dev/ns/v0.2.0\",\n \"statements\": [{\"vulnerability\": {\"name\": \"CVE-1\"}}]}";
    let gap = read_vex("v.json", bad.as_bytes()).unwrap_err();
    assert_eq!(gap.kind, GapKind::Malformed);
    assert!(gap.detail.contains("statements[0]"), "{}", gap.detail);
    assert!(
        gap.detail.contains("missing field `status`"),
        "{}",
        gap.detail
    );
    assert!(gap.detail.contains("line 2"), "{}", gap.detail);
    let gap = read_vex(
        "v.json",
        b"{\"@context\": \"https://openvex.dev/ns\", \"statements\": [",
    )
    .unwrap_err();
    assert_eq!(gap.kind, GapKind::Malformed);
    let gap = read_vex("v.json", br#"{"@context": "https://openvex.dev/ns", "statements": [{"vulnerability": 5, "status": "fixed"}]}"#)
        .unwrap_err();
    assert!(
        gap.detail
            .contains("at `statements[0]`: `vulnerability` has no name"),
        "{}",
        gap.detail
    );
    let gap = read_vex(
        "v.json",
        br#"{"bomFormat": "CycloneDX", "vulnerabilities": [{"analysis": {}}]}"#,
    )
    .unwrap_err();
    assert!(
        gap.detail.contains("vulnerabilities[0].id"),
        "{}",
        gap.detail
    );
}

#[test]
fn other_documents_are_unsupported() {
    for doc in [
        &br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}"#[..],
        br#"{"@context": "https://www.w3.org/2018/credentials/v1"}"#,
        br#"{"document": {"category": "csaf_vex"}}"#,
        br#"{"matches": []}"#,
        b"[]",
    ] {
        let gap = read_vex("v.json", doc).unwrap_err();
        assert_eq!(
            gap.kind,
            GapKind::Unsupported,
            "{}",
            String::from_utf8_lossy(doc)
        );
    }
}
