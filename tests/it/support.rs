//! Helpers shared by the integration tests: paths, a clean `vouch` command, temp dirs.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The third-party corpus (`../shared/corpus`, or `VOUCH_CORPUS`), if present.
///
/// Tests that need it print why they skip. With `VOUCH_REQUIRE_EXTERNAL=1` (set by
/// `.ci/run`) a missing corpus fails instead, so CI can never pass by skipping.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("VOUCH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if dir.is_dir() {
        Some(dir)
    } else {
        skip(&format!(
            "corpus not found at {} (set VOUCH_CORPUS)",
            dir.display()
        ));
        None
    }
}

/// Says why a test skips; fails instead when external test inputs are required.
pub fn skip(why: &str) {
    if std::env::var_os("VOUCH_REQUIRE_EXTERNAL").is_some_and(|v| v == "1") {
        panic!("VOUCH_REQUIRE_EXTERNAL=1 but {why}");
    }
    eprintln!("skipping: {why}");
}

/// check-jsonschema (`VOUCH_CHECK_JSONSCHEMA`, else the venv `.ci/run` makes), if present.
pub fn check_jsonschema() -> Option<PathBuf> {
    let bin = std::env::var_os("VOUCH_CHECK_JSONSCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_path("target/check-jsonschema/bin/check-jsonschema"));
    if bin.is_file() {
        Some(bin)
    } else {
        skip(&format!(
            "check-jsonschema not found at {} (python3 -m venv target/check-jsonschema && target/check-jsonschema/bin/pip install check-jsonschema==0.39.0, or set VOUCH_CHECK_JSONSCHEMA)",
            bin.display()
        ));
        None
    }
}

/// Writes an executable script `dir/name` and returns its path.
pub fn write_executable(dir: &Path, name: &str, text: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = write(dir, name, text);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// A file of the repository's own test fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// A path in the repository.
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// `vouch` with an empty environment, so the CI running the tests does not leak into them.
pub fn vouch() -> Command {
    let mut cmd = Command::cargo_bin("vouch").expect("binary built");
    cmd.env_clear();
    cmd
}

/// A temporary directory removed on drop.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// Runs `vouch` with args and returns (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run vouch");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Parses the stdout of a `--format json` run.
pub fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

/// Status of control `id` in a JSON report.
pub fn status<'a>(report: &'a serde_json::Value, id: &str) -> &'a str {
    report["controls"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == id))
        .and_then(|c| c["status"].as_str())
        .unwrap_or_else(|| panic!("no control {id} in {report}"))
}

/// Control `id` of a JSON report.
pub fn control<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["controls"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no control {id} in {report}"))
}

/// Codes of the findings of control `id`.
pub fn codes(report: &serde_json::Value, id: &str) -> Vec<String> {
    report["controls"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == id))
        .map(|c| {
            c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A schema of the repository (`schemas/…`), compiled.
pub fn schema(rel: &str) -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo_path(rel)).unwrap()).unwrap();
    jsonschema::draft202012::new(&schema)
        .unwrap_or_else(|e| panic!("{rel} is not a valid schema: {e}"))
}

/// Every way `doc` breaks the schema, with where.
pub fn errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}
