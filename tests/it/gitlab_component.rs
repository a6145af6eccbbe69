//! The GitLab CI/CD component (`templates/vouch.yml`): it validates against GitLab's CI
//! schema (check-jsonschema's `vendor.gitlab-ci`, with every GitLab YAML in
//! `examples/`), its install step installs a release that matches its SHA256SUMS and
//! refuses one that does not, and its run step passes inputs as arguments, never as
//! shell text. The release server is a loopback mock.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{check_jsonschema, repo_path, tempdir, write};

/// The component's header and job documents.
fn documents() -> (String, String) {
    let text = std::fs::read_to_string(repo_path("templates/vouch.yml")).unwrap();
    let (header, job) = text.split_once("\n---\n").expect("a spec header, then ---");
    (header.to_string(), job.to_string())
}

fn validate(bin: &Path, files: &[PathBuf]) -> (bool, String) {
    let out = Command::new(bin)
        .args(["--builtin-schema", "vendor.gitlab-ci"])
        .args(files)
        .output()
        .expect("run check-jsonschema");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn the_component_and_the_gitlab_examples_follow_gitlabs_ci_schema() {
    let Some(bin) = check_jsonschema() else {
        return;
    };
    let dir = tempdir();
    let (header, job) = documents();
    let mut files = vec![
        write(dir.path(), "header.yml", &header),
        write(dir.path(), "job.yml", &job),
    ];
    for entry in std::fs::read_dir(repo_path("examples/gitlab")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            files.push(p);
        }
    }
    let (ok, out) = validate(&bin, &files);
    assert!(ok, "{out}");
    // The validator is really looking: a misspelt keyword fails it.
    let broken = write(
        dir.path(),
        "broken.yml",
        &job.replace("  script:", "  scripts:"),
    );
    let (ok, out) = validate(&bin, &[broken]);
    assert!(!ok && out.contains("scripts"), "{out}");
    // What the component declares: the inputs the README documents, keyless id token.
    for input in [
        "policy",
        "sarif",
        "sca",
        "sbom",
        "lockfile",
        "artifact",
        "attestation",
        "range",
        "formats",
        "attest",
        "version",
        "stage",
        "job-name",
    ] {
        assert!(
            header.contains(&format!("\n    {input}:\n")),
            "input {input}"
        );
    }
    assert!(job.contains("SIGSTORE_ID_TOKEN:\n      aud: sigstore"));
    assert!(job.contains("junit: vouch-junit.xml"));
}

/// The job's `script` entries.
fn scripts() -> Vec<String> {
    let (_, job) = documents();
    let doc: Value = serde_saphyr::from_str(&job).expect("the job document is YAML");
    let job = doc
        .as_object()
        .and_then(|m| m.values().next())
        .expect("one job");
    job["script"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

const FAKE_VOUCH: &str = "#!/bin/sh\nfor a in \"$@\"; do echo \"arg:$a\"; done\n";

/// A release server with `asset` and a SHA256SUMS naming `digest` for it.
fn release(runtime: &tokio::runtime::Runtime, digest: &str) -> MockServer {
    let server = runtime.block_on(MockServer::start());
    let mut sums = String::new();
    for target in ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"] {
        sums.push_str(&format!("{digest}  vouch-{target}\n"));
        runtime.block_on(
            Mock::given(method("GET"))
                .and(path(format!("/v1.2.3/vouch-{target}")))
                .respond_with(ResponseTemplate::new(200).set_body_bytes(FAKE_VOUCH.as_bytes()))
                .mount(&server),
        );
    }
    runtime.block_on(
        Mock::given(method("GET"))
            .and(path("/v1.2.3/SHA256SUMS"))
            .respond_with(ResponseTemplate::new(200).set_body_string(sums))
            .mount(&server),
    );
    server
}

fn bash(script: &str, dir: &Path, env: &[(&str, String)]) -> (i32, String, String) {
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("CI_PROJECT_DIR", dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("bash");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_install_step_runs_a_matching_release_and_refuses_a_tampered_one() {
    let install = &scripts()[0];
    let rt = runtime();
    let good = hex::encode(Sha256::digest(FAKE_VOUCH.as_bytes()));
    let server = release(&rt, &good);
    let dir = tempdir();
    let env = [
        ("VOUCH_VERSION", "v1.2.3".to_string()),
        ("VOUCH_RELEASE_URL", server.uri()),
    ];
    let (code, stdout, stderr) = bash(install, dir.path(), &env);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("installed release v1.2.3"), "{stdout}");
    assert!(
        stdout.contains("arg:--version"),
        "the installed binary ran: {stdout}"
    );

    let tampered = release(&rt, &"0".repeat(64));
    let dir = tempdir();
    let env = [
        ("VOUCH_VERSION", "1.2.3".to_string()),
        ("VOUCH_RELEASE_URL", tampered.uri()),
    ];
    let (code, stdout, stderr) = bash(install, dir.path(), &env);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("does not match the release's SHA256SUMS"),
        "{stderr}"
    );
    assert!(!stdout.contains("arg:"), "nothing unverified ran: {stdout}");
    assert!(!dir.path().join(".vouch/bin/vouch").exists());
}

#[test]
fn without_a_release_the_install_step_builds_with_cargo_and_says_so() {
    let install = &scripts()[0];
    let rt = runtime();
    let server = rt.block_on(MockServer::start()); // every asset 404
    let dir = tempdir();
    // A stand-in cargo that records its arguments and "installs" the fake binary.
    let bin = dir.path().join("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    let cargo = write(
        &bin,
        "cargo",
        &format!(
            "#!/bin/sh\necho \"$@\" > \"$CI_PROJECT_DIR/cargo-args\"\nmkdir -p \"$CI_PROJECT_DIR/.vouch/bin\"\nprintf '%s' '{}' > \"$CI_PROJECT_DIR/.vouch/bin/vouch\"\nchmod +x \"$CI_PROJECT_DIR/.vouch/bin/vouch\"\n",
            FAKE_VOUCH.replace('\'', "'\\''")
        ),
    );
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&cargo)
        .status()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = [
        ("VOUCH_VERSION", "1.2.3".to_string()),
        ("VOUCH_RELEASE_URL", server.uri()),
        ("PATH", path),
    ];
    let (code, stdout, stderr) = bash(install, dir.path(), &env);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("building from source with cargo install --locked"),
        "{stdout}"
    );
    let args = std::fs::read_to_string(dir.path().join("cargo-args")).unwrap();
    assert!(
        args.contains("install --locked") && args.contains("--tag v1.2.3"),
        "{args}"
    );
}

#[test]
fn the_run_step_passes_inputs_as_arguments_never_as_shell() {
    let run = &scripts()[1];
    let dir = tempdir();
    let bin = dir.path().join(".vouch/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let vouch = write(&bin, "vouch", FAKE_VOUCH);
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&vouch)
        .status()
        .unwrap();
    let env = [
        ("VOUCH_POLICY", "policy.yaml".to_string()),
        ("VOUCH_SARIF", "a.sarif  b.sarif".to_string()),
        ("VOUCH_SCA", String::new()),
        ("VOUCH_SBOM", "*.cdx.json".to_string()),
        ("VOUCH_LOCKFILE", String::new()),
        ("VOUCH_ARTIFACT", String::new()),
        ("VOUCH_ATTESTATION", String::new()),
        ("VOUCH_FORMATS", "text junit=vouch-junit.xml".to_string()),
        ("VOUCH_RANGE", "$(touch pwned)`touch pwned2`".to_string()),
        ("VOUCH_ATTEST", "true".to_string()),
        ("VOUCH_MR_NOTE", "false".to_string()),
    ];
    std::fs::write(dir.path().join("x.cdx.json"), "{}").unwrap();
    let (code, stdout, stderr) = bash(run, dir.path(), &env);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let args: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("arg:"))
        .collect();
    assert_eq!(
        args,
        [
            "verify",
            "--forge",
            "gitlab",
            "--policy",
            "policy.yaml",
            "--evidence-out",
            "vouch-evidence",
            "--sarif",
            "a.sarif",
            "--sarif",
            "b.sarif",
            "--sbom",
            "*.cdx.json",
            "--format",
            "text",
            "--format",
            "junit=vouch-junit.xml",
            "--range",
            "$(touch pwned)`touch pwned2`",
            "--attest-out",
            "vouch-attestations",
            "--keyless",
            "--publish",
            "gitlab",
        ]
    );
    assert!(!dir.path().join("pwned").exists() && !dir.path().join("pwned2").exists());
}
