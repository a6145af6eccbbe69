//! The README's first set-up command, run exactly as written (minus the cargo
//! wrapper), must work on the bundled example and tell the story the README tells.

use super::support::{repo_path, run, vouch};

/// The arguments after `--` of the first `cargo run` line in the README.
fn readme_example_args() -> Vec<String> {
    let readme = std::fs::read_to_string(repo_path("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.starts_with("cargo run "))
        .expect("the README has a `cargo run` set-up command");
    let (_, args) = line.split_once(" -- ").expect("cargo run … -- ARGS");
    args.split_whitespace().map(str::to_string).collect()
}

#[test]
fn readme_example_command_passes_with_the_waivers_it_describes() {
    let args = readme_example_args();
    let (code, stdout, stderr) = run(vouch().current_dir(repo_path("")).args(&args));
    assert_eq!(code, 0, "the README example must pass:\n{stdout}\n{stderr}");
    assert!(stdout.contains("verdict PASS"), "{stdout}");

    let (_, json, _) = run(vouch()
        .current_dir(repo_path(""))
        .args(&args)
        .args(["--format", "json"]));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let status = |id: &str| {
        report["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("sast"), "pass");
    assert_eq!(status("sca"), "waived");
    assert_eq!(status("sbom"), "pass");
    let states: Vec<_> = report["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["state"].as_str().unwrap().to_string())
        .collect();
    assert!(
        states.iter().filter(|s| *s == "applied").count() >= 2,
        "{states:?}"
    );
    // The idna advisory reported by two scanners is one finding.
    let sca = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "sca")
        .unwrap();
    let idna: Vec<_> = sca["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["subject"]["package"] == "idna")
        .collect();
    assert_eq!(idna.len(), 1, "{idna:?}");
    assert_eq!(idna[0]["subject"]["tools"].as_array().unwrap().len(), 2);
}

#[test]
fn without_the_vex_document_the_example_fails() {
    let mut args = readme_example_args();
    let i = args.iter().position(|a| a == "--vex").unwrap();
    args.drain(i..i + 2);
    let (code, stdout, _) = run(vouch().current_dir(repo_path("")).args(&args));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("RUSTSEC-2023-0071") || stdout.contains("CVE-2023-49092"),
        "{stdout}"
    );
}
