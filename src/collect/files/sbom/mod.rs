//! SBOM readers: CycloneDX JSON and XML, validated and normalized into
//! [`crate::evidence::sbom::Sbom`]. The format is told from the content, the spec
//! version from the document's own declaration.

mod cyclonedx_json;
mod cyclonedx_xml;
mod json_stream;
pub mod schema;
mod semantic;
mod xml_tree;

pub use semantic::parse_expression;

use crate::collect::files::json;
use crate::collect::replay::{self, Text};
use crate::evidence::sbom::Sbom;
use crate::evidence::{Gap, GapKind};

/// Reads an SBOM of any supported format. A document that parses but breaks the
/// schema or a semantic rule is returned with its problems listed; one that cannot be
/// read at all is a gap.
pub fn read(source: &str, bytes: &[u8]) -> Result<Sbom, Gap> {
    read_text(source, bytes)
}

/// [`read`] over a text read again on each pass: collection passes the file
/// ([`replay::Replayable`]) so that a large SBOM's text is not held while its
/// components are.
pub fn read_text<T: Text + ?Sized>(source: &str, text: &T) -> Result<Sbom, Gap> {
    let unreadable = |e: std::io::Error| Gap::new(GapKind::Malformed, source, e.to_string());
    let head = replay::head(text, HEAD).map_err(unreadable)?;
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    if blank(text, head).map_err(unreadable)? {
        return Err(Gap::new(GapKind::Malformed, source, json::EMPTY_FILE));
    }
    if let Some(kind) = other_document(text, head).map_err(unreadable)? {
        return Err(Gap::new(
            GapKind::Unsupported,
            source,
            format!("this is {kind}; vouch reads CycloneDX SBOMs (JSON or XML)"),
        ));
    }
    match json::first_byte(head) {
        Some(b'{') => cyclonedx_json::read(source, text),
        Some(b'<') => cyclonedx_xml::read(source, text),
        _ => Err(Gap::new(
            GapKind::Malformed,
            source,
            "not a CycloneDX SBOM: expected a JSON object or an XML document",
        )),
    }
}

/// How much of the start of a document tells its format.
const HEAD: usize = 4096;

/// Whether the text is empty or whitespace (its `head` is its start, without a
/// byte-order mark); only a text that starts with a page of whitespace is read on.
fn blank<T: Text + ?Sized>(text: &T, head: &[u8]) -> std::io::Result<bool> {
    if !head.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    let mut pass = std::io::BufReader::new(replay::without_bom(text)?);
    loop {
        let chunk = std::io::BufRead::fill_buf(&mut pass)?;
        if chunk.is_empty() {
            return Ok(true);
        }
        if !chunk.iter().all(u8::is_ascii_whitespace) {
            return Ok(false);
        }
        let n = chunk.len();
        std::io::BufRead::consume(&mut pass, n);
    }
}

/// What a document is when it is recognisably not CycloneDX: the format is named first,
/// so that an SPDX SBOM is not answered with complaints about `/specVersion`. `head`
/// is the document's start, without a byte-order mark.
fn other_document<T: Text + ?Sized>(text: &T, head: &[u8]) -> std::io::Result<Option<String>> {
    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Keys {
        #[serde(rename = "spdxVersion")]
        spdx_version: Option<serde::de::IgnoredAny>,
        #[serde(rename = "SPDXID")]
        spdx_id: Option<serde::de::IgnoredAny>,
        #[serde(rename = "@context", deserialize_with = "json::lenient_string")]
        context: Option<String>,
        #[serde(rename = "bomFormat")]
        bom_format: Option<serde::de::IgnoredAny>,
        runs: Option<serde::de::IgnoredAny>,
    }
    let text_head = String::from_utf8_lossy(head);
    let trimmed = text_head.trim_start();
    if trimmed.starts_with("SPDXVersion:") {
        return Ok(Some("an SPDX tag-value document".into()));
    }
    if trimmed.starts_with('<')
        && (text_head.contains("spdx.org/rdf") || text_head.contains("<rdf:RDF"))
    {
        return Ok(Some("an SPDX RDF/XML document".into()));
    }
    if json::first_byte(head) != Some(b'{') {
        return Ok(None);
    }
    let first = match text.bytes() {
        Some(bytes) => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            serde_json::Deserializer::from_slice(bytes)
                .into_iter::<Keys>()
                .next()
        }
        None => serde_json::Deserializer::from_reader(std::io::BufReader::new(
            replay::without_bom(text)?,
        ))
        .into_iter::<Keys>()
        .next(),
    };
    let keys = match first {
        Some(Ok(keys)) => keys,
        Some(Err(e)) if e.is_io() => return Err(e.into()),
        _ => return Ok(None),
    };
    if keys.bom_format.is_some() {
        return Ok(None);
    }
    if keys.spdx_version.is_some() || keys.spdx_id.is_some() {
        return Ok(Some("an SPDX 2 JSON document".into()));
    }
    if keys
        .context
        .as_deref()
        .is_some_and(|c| c.contains("spdx.org"))
    {
        return Ok(Some("an SPDX 3 JSON-LD document".into()));
    }
    if keys
        .context
        .as_deref()
        .is_some_and(|c| c.contains("openvex.dev"))
    {
        return Ok(Some("an OpenVEX document (pass it with --vex)".into()));
    }
    if keys.runs.is_some() {
        return Ok(Some("a SARIF log (pass it with --sarif)".into()));
    }
    // Not CycloneDX, whatever it is: read whole to name the scanner, if one wrote it.
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut replay::without_bom(text)?, &mut bytes)?;
    Ok(super::sca::recognize(&bytes)
        .map(|scanner| format!("a {scanner} report (pass it with --sca)")))
}

#[cfg(test)]
mod tests {
    use super::read;

    #[test]
    fn other_formats_are_named_before_any_cyclonedx_rule() {
        for (doc, says) in [
            (
                r#"{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": []}"#,
                "an SPDX 2 JSON document",
            ),
            (
                "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n",
                "an SPDX tag-value document",
            ),
            (
                r#"{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}"#,
                "an SPDX 3 JSON-LD document",
            ),
            (r#"{"version": "2.1.0", "runs": []}"#, "a SARIF log"),
        ] {
            let gap = read("x", doc.as_bytes()).unwrap_err();
            assert_eq!(gap.kind, crate::evidence::GapKind::Unsupported);
            assert!(gap.detail.contains(says), "{gap}");
            assert!(gap.detail.contains("vouch reads CycloneDX"), "{gap}");
            assert!(!gap.detail.contains("specVersion"), "{gap}");
        }
    }
    use crate::evidence::sbom::{License, SbomFormat};

    const XML: &str = r#"<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" serialNumber="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79" version="1">
  <metadata><timestamp>2026-11-01T10:00:00Z</timestamp><component type="application" bom-ref="app"><name>app</name><version>1.0.0</version></component></metadata>
  <components>
    <component type="library" bom-ref="serde">
      <name>serde</name><version>1.0.1</version>
      <hashes><hash alg="SHA-256">abc</hash></hashes>
      <licenses><expression>MIT OR Apache-2.0</expression></licenses>
      <purl>pkg:cargo/serde@1.0.1</purl>
    </component>
  </components>
  <dependencies><dependency ref="app"><dependency ref="serde"/><dependency ref="nope"/></dependency></dependencies>
</bom>"#;

    #[test]
    fn xml_is_read_into_the_model_with_problem_lines() {
        let sbom = read("bom.xml", XML.as_bytes()).unwrap();
        assert_eq!(sbom.format, SbomFormat::CyclonedxXml);
        assert_eq!(sbom.spec_version, "1.6");
        assert_eq!(sbom.metadata.component.as_ref().unwrap().name, "app");
        let serde = &sbom.components[0];
        assert_eq!(serde.purl.as_deref(), Some("pkg:cargo/serde@1.0.1"));
        assert_eq!(serde.line, Some(5));
        assert_eq!(
            *serde.licenses(),
            [License::Expression("MIT OR Apache-2.0".into())]
        );
        assert_eq!(sbom.dependencies[0].depends_on, ["serde", "nope"]);
        // The short hash breaks the schema pattern and the SHA-256 length, on line 7;
        // the dangling reference is found by the semantic rules.
        let problems: Vec<(&str, Option<u64>)> = sbom
            .problems
            .iter()
            .map(|p| (p.location.as_str(), p.line))
            .collect();
        assert!(
            problems.contains(&("/components/0/hashes/0/content", Some(7))),
            "{problems:?}"
        );
        assert!(
            problems.contains(&("/dependencies/0/dependsOn/1", Some(12))),
            "{problems:?}"
        );
    }

    #[test]
    fn xml_elements_vouch_would_not_read_are_problems() {
        let doc = r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.6" xmlns:ext="urn:ext" version="1">
<components>
  <componnet type="library"><name>hidden</name></componnet>
  <component type="library"><name>a</name><version>1</version><purl>pkg:npm/a@1</purl><purl>pkg:npm/evil@6</purl><ext:note>fine</ext:note></component>
</components>
</bom>"#;
        let sbom = read("bom.xml", doc.as_bytes()).unwrap();
        let got: Vec<(Option<u64>, &str)> = sbom
            .problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    Some(3),
                    "unexpected <componnet>: <components> holds only <component> elements"
                ),
                (
                    Some(4),
                    "unexpected <purl>: <purl> appears more than once in <component>"
                ),
            ]
        );
    }

    #[test]
    fn unreadable_documents_are_gaps_that_say_why() {
        let cases: [(&str, &str); 5] = [
            ("", "empty file"),
            ("<bom xmlns=\"urn:other\"/>", "not <bom>"),
            (
                "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\"><x>&e;</x></bom>",
                "a DOCTYPE declaration",
            ),
            ("{\"bomFormat\": \"CycloneDX\"}", "specVersion"),
            ("[1]", "expected a JSON object"),
        ];
        for (doc, expected) in cases {
            let gap = read("f", doc.as_bytes()).unwrap_err();
            assert!(gap.detail.contains(expected), "{doc}: {}", gap.detail);
        }
        let deep = format!(
            "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\">{}",
            "<a>".repeat(1000)
        );
        assert!(
            read("f", deep.as_bytes())
                .unwrap_err()
                .detail
                .contains("nested deeper")
        );
    }

    #[test]
    fn an_unknown_spec_version_is_a_problem_not_a_pass() {
        let doc = r#"{"bomFormat": "CycloneDX", "specVersion": "2.0", "version": 1}"#;
        let sbom = read("f", doc.as_bytes()).unwrap();
        assert_eq!(sbom.problems.len(), 1);
        assert!(
            sbom.problems[0]
                .message
                .contains("not one vouch can validate")
        );
    }

    #[test]
    fn an_sbom_read_from_its_file_reads_as_its_bytes_do_and_a_changed_file_is_a_gap() {
        use crate::collect::replay::Replayable;
        let dir = tempfile::tempdir().unwrap();
        let json = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "components": [{"type": "library", "bom-ref": "a", "name": "a", "version": "1"}]}"#;
        for (name, doc) in [("bom.json", json), ("bom.xml", XML)] {
            let path = dir.path().join(name);
            // With a byte-order mark, as PowerShell writes files.
            std::fs::write(&path, format!("\u{feff}{doc}")).unwrap();
            // Read from the file on every pass, as a large SBOM is.
            let text = Replayable::open_holding(&path, 0).unwrap();
            let from_file = super::read_text(name, &text).unwrap();
            assert_eq!(from_file, read(name, doc.as_bytes()).unwrap(), "{name}");
            // Edited after it was hashed (what the manifest would record): every pass
            // checks what it read, so the edit is a gap, not a different SBOM.
            std::fs::write(&path, doc.replace("\"a\"", "\"b\"").replace(">a<", ">b<")).unwrap();
            let gap = super::read_text(name, &text).unwrap_err();
            assert!(
                gap.detail.contains("changed while vouch was reading it"),
                "{name}: {gap}"
            );
        }
        let blank = dir.path().join("blank.json");
        std::fs::write(&blank, " ".repeat(10_000)).unwrap();
        let gap = super::read_text("blank.json", &Replayable::open_holding(&blank, 0).unwrap())
            .unwrap_err();
        assert_eq!(gap.detail, crate::collect::files::json::EMPTY_FILE);
    }
}
