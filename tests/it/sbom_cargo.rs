//! This project's own Cargo.lock against an SBOM made by an independent generator
//! (cargo-cyclonedx), produced before the tests by `tests/generate-cargo-sbom.sh`
//! (`.ci/run` does it): complete as generated, and each kind of damage (a component
//! removed, a phantom added, a version changed) reported with its own code.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::support::{codes, control, repo_path, run, skip, status, tempdir, vouch, write};

/// Where `name` is in `doc` as it is now (an earlier edit may have moved it).
fn position(doc: &Value, name: &str) -> usize {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name} is in the generated SBOM"))
}

/// An edit of the generated SBOM.
type Damage = dyn Fn(&mut Value);

fn generated() -> Option<(PathBuf, PathBuf)> {
    let dir = repo_path("target/sbom-test");
    let (sbom, meta) = (dir.join("vouch.cdx.json"), dir.join("cargo-metadata.json"));
    if sbom.is_file() && meta.is_file() {
        Some((sbom, meta))
    } else {
        skip("no cargo-cyclonedx SBOM of this project: run tests/generate-cargo-sbom.sh");
        None
    }
}

fn check(sbom: &std::path::Path, meta: &std::path::Path) -> (i32, Value) {
    let (code, stdout, stderr) = run(vouch()
        .args(["sbom", "check"])
        .arg(sbom)
        .arg("--lockfile")
        .arg(repo_path("Cargo.lock"))
        .arg("--lockfile")
        .arg(meta)
        .args(["--format", "json"]));
    let report =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (code, report)
}

#[test]
fn cargo_cyclonedx_sbom_of_this_project_is_complete_and_damage_is_reported() {
    let Some((sbom, meta)) = generated() else {
        return;
    };
    let (code, report) = check(&sbom, &meta);
    assert_eq!(
        (code, status(&report, "sbom")),
        (0, "pass"),
        "{}",
        control(&report, "sbom")
    );

    let doc: Value = serde_json::from_slice(&std::fs::read(&sbom).unwrap()).unwrap();
    // Three kinds of damage, each on its own and then together.
    // Removed cleanly, references included (a dangling one would be sbom/invalid).
    let removed = |doc: &mut Value| {
        let i = position(doc, "serde_json");
        let gone = doc["components"].as_array_mut().unwrap().remove(i)["bom-ref"].clone();
        let deps = doc["dependencies"].as_array_mut().unwrap();
        deps.retain(|d| d["ref"] != gone);
        for d in deps.iter_mut() {
            if let Some(on) = d.get_mut("dependsOn").and_then(Value::as_array_mut) {
                on.retain(|r| *r != gone);
            }
        }
    };
    let phantom = |doc: &mut Value| {
        doc["components"].as_array_mut().unwrap().push(json!({
            "type": "library", "bom-ref": "phantom", "name": "left-pad", "version": "1.3.0",
            "purl": "pkg:cargo/left-pad@1.3.0"
        }));
    };
    let bumped = |doc: &mut Value| {
        let i = position(doc, "sha2");
        let c = &mut doc["components"][i];
        c["version"] = json!("0.0.1");
        c["purl"] = json!("pkg:cargo/sha2@0.0.1");
    };
    let dir = tempdir();
    let cases: [(&str, &Damage); 3] = [
        ("sbom/missing-component", &removed),
        ("sbom/phantom-component", &phantom),
        ("sbom/version-mismatch", &bumped),
    ];
    for (expected, damage) in cases {
        let mut edited = doc.clone();
        damage(&mut edited);
        let file = write(dir.path(), "damaged.cdx.json", &edited.to_string());
        let (code, report) = check(&file, &meta);
        assert_eq!(
            (code, codes(&report, "sbom")),
            (1, vec![expected.to_string()]),
            "{expected}: {}",
            control(&report, "sbom")["findings"][0]
        );
    }
    let mut edited = doc.clone();
    for (_, damage) in cases {
        damage(&mut edited);
    }
    let file = write(dir.path(), "damaged.cdx.json", &edited.to_string());
    let (_, report) = check(&file, &meta);
    let mut got = codes(&report, "sbom");
    got.sort();
    assert_eq!(
        got,
        [
            "sbom/missing-component",
            "sbom/phantom-component",
            "sbom/version-mismatch"
        ]
    );
}
