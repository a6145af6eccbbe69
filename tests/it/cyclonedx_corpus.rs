//! The CycloneDX specification's own test BOMs (`../shared/corpus/cyclonedx/`): every
//! `valid-*` file is accepted and every `invalid-*` file rejected, JSON and XML, one
//! test per spec version that lists each file it gets wrong (expected: none).

use std::path::Path;

use super::support::corpus;

/// Files per version as SOURCES.md counts them: (valid JSON, invalid JSON, XML).
const EXPECTED: [(&str, usize, usize, usize); 4] = [
    ("1.4", 29, 22, 10),
    ("1.5", 36, 22, 10),
    ("1.6", 45, 25, 10),
    ("1.7", 61, 29, 10),
];

fn misclassified(version: &str) {
    let Some(root) = corpus() else { return };
    let dir = root.join("cyclonedx").join(version);
    let (_, valid_json, invalid_json, xml) = EXPECTED
        .iter()
        .find(|(v, ..)| *v == version)
        .copied()
        .unwrap();
    let mut counts = (0, 0, 0);
    let mut wrong = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let valid = name.starts_with("valid-");
        match (path.extension().and_then(|e| e.to_str()), valid) {
            (Some("json"), true) => counts.0 += 1,
            (Some("json"), false) => counts.1 += 1,
            (Some("xml"), _) => counts.2 += 1,
            _ => panic!("unexpected file {name}"),
        }
        let accepted = accepted(&path);
        if accepted.is_ok() != valid {
            wrong.push(format!(
                "{name}: {}",
                accepted.err().unwrap_or_else(|| "accepted".into())
            ));
        }
    }
    assert_eq!(
        counts,
        (valid_json, invalid_json, xml),
        "{version}: files on disk"
    );
    assert!(
        wrong.is_empty(),
        "{version}: misclassified:\n{}",
        wrong.join("\n")
    );
}

/// `Ok` when vouch reads the file with no problem; else the first problem.
fn accepted(path: &Path) -> Result<(), String> {
    let name = path.display().to_string();
    let sbom = vouch::collect::files::sbom::read(&name, &std::fs::read(path).unwrap())
        .map_err(|gap| gap.to_string())?;
    match sbom.problems.first() {
        None => Ok(()),
        Some(p) => Err(format!("{} (line {:?}): {}", p.location, p.line, p.message)),
    }
}

#[test]
fn spec_1_4_test_boms_are_classified_as_the_spec_says() {
    misclassified("1.4");
}

#[test]
fn spec_1_5_test_boms_are_classified_as_the_spec_says() {
    misclassified("1.5");
}

#[test]
fn spec_1_6_test_boms_are_classified_as_the_spec_says() {
    misclassified("1.6");
}

#[test]
fn spec_1_7_test_boms_are_classified_as_the_spec_says() {
    misclassified("1.7");
}
