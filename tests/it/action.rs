//! The GitHub Action (`action/`): its install step in a simulated runner (`RUNNER_OS`,
//! `RUNNER_ARCH`, `RUNNER_TEMP`, `RUNNER_TOOL_CACHE`, `GITHUB_OUTPUT`, `GITHUB_PATH`,
//! `GITHUB_STEP_SUMMARY` as files) against a loopback release server, and its verify
//! step, which turns inputs into arguments and outputs. The schema and actionlint
//! checks of action.yml and the workflows are in `tests/it/workflows.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{repo_path, tempdir, vouch, write, write_executable};

/// A stand-in release binary: it prints a version, records that it ran, echoes its
/// arguments. (The real one is hundreds of megabytes in a debug build; the verify
/// tests below run the real one.)
const FAKE_VOUCH: &str = "#!/bin/sh\n: > \"$RUNNER_TEMP/ran\"\necho \"vouch 1.2.3 (test build)\"\nfor a in \"$@\"; do echo \"arg:$a\"; done\n";

fn sha256(bytes: &[u8]) -> String {
    vouch::collect::sha256_hex(bytes)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn host_arch() -> (&'static str, &'static str) {
    match std::env::consts::ARCH {
        "aarch64" => ("ARM64", "aarch64-unknown-linux-musl"),
        _ => ("X64", "x86_64-unknown-linux-musl"),
    }
}

/// A runner's directories and files, and a copy of the action with its own table.
struct Runner {
    root: tempfile::TempDir,
    os: &'static str,
    arch: &'static str,
}

impl Runner {
    fn new(table: &str) -> Runner {
        Runner::on("Linux", host_arch().0, table)
    }

    fn on(os: &'static str, arch: &'static str, table: &str) -> Runner {
        let root = tempdir();
        for d in ["temp", "toolcache", "action", "workspace"] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        for f in ["install.sh", "verify.sh", "action.yml"] {
            std::fs::copy(
                repo_path(&format!("action/{f}")),
                root.path().join("action").join(f),
            )
            .unwrap();
        }
        write(&root.path().join("action"), "releases.sha256", table);
        for f in ["output", "path", "summary"] {
            write(root.path(), f, "");
        }
        Runner { root, os, arch }
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// Runs an action script the way the composite step does, with only the runner's
    /// environment (and `extra`).
    fn run(&self, script: &str, extra: &[(&str, String)]) -> (i32, String) {
        let out = Command::new("bash")
            .arg(self.p("action").join(script))
            .current_dir(self.p("workspace"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.root.path())
            .env("RUNNER_OS", self.os)
            .env("RUNNER_ARCH", self.arch)
            .env("RUNNER_TEMP", self.p("temp"))
            .env("RUNNER_TOOL_CACHE", self.p("toolcache"))
            .env("GITHUB_OUTPUT", self.p("output"))
            .env("GITHUB_PATH", self.p("path"))
            .env("GITHUB_STEP_SUMMARY", self.p("summary"))
            .env("GITHUB_ACTION_PATH", self.p("action"))
            .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .expect("bash");
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    /// GITHUB_OUTPUT as a map (later lines win, as on a runner).
    fn outputs(&self) -> BTreeMap<String, String> {
        std::fs::read_to_string(self.p("output"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn ran(&self) -> bool {
        self.p("temp/ran").exists()
    }
}

/// A release server holding `body` as every listed release's asset.
fn server(rt: &tokio::runtime::Runtime, releases: &[(&str, &str)], body: &[u8]) -> MockServer {
    let server = rt.block_on(MockServer::start());
    for (version, asset) in releases {
        rt.block_on(
            Mock::given(method("GET"))
                .and(path(format!("/v{version}/{asset}")))
                .respond_with(ResponseTemplate::new(200).set_body_bytes(body.to_vec()))
                .mount(&server),
        );
    }
    server
}

fn requests(rt: &tokio::runtime::Runtime, server: &MockServer) -> Vec<String> {
    rt.block_on(server.received_requests())
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect()
}

fn table(lines: &[(&str, &str, &str)]) -> String {
    let mut t = String::from("# test table\n");
    for (sha, version, asset) in lines {
        t.push_str(&format!("{sha}  v{version}/{asset}\n"));
    }
    t
}

#[test]
fn the_install_step_installs_the_release_its_table_vouches_for_then_runs_from_the_tool_cache() {
    let rt = runtime();
    let (_, target) = host_arch();
    let asset = format!("vouch-{target}");
    let good = sha256(FAKE_VOUCH.as_bytes());
    let server = server(
        &rt,
        &[("1.2.3", &asset), ("1.1.0", &asset)],
        FAKE_VOUCH.as_bytes(),
    );
    let runner = Runner::new(&table(&[
        (&good, "1.1.0", &asset),
        (&good, "1.2.3", &asset),
        (&"0".repeat(64), "1.2.3", "vouch-x86_64-apple-darwin"),
    ]));
    let env = [
        ("GITHUB_ACTION_REF", "v1".to_string()),
        ("VOUCH_RELEASE_URL", server.uri()),
    ];

    // Cold: `@v1` is the newest v1 release of the table, downloaded once.
    let (code, log) = runner.run("install.sh", &env);
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains(&format!("installed vouch 1.2.3 ({target}), sha256 {good}")),
        "{log}"
    );
    assert!(log.contains("vouch 1.2.3 (test build)"), "it ran: {log}");
    let cache = runner
        .p("toolcache/vouch/1.2.3")
        .join(host_arch().0.to_lowercase());
    let outputs = runner.outputs();
    assert_eq!(outputs["path"], cache.join("vouch").display().to_string());
    assert_eq!(outputs["version"], "1.2.3");
    assert_eq!(
        std::fs::read_to_string(runner.p("path")).unwrap().trim(),
        cache.display().to_string()
    );
    assert!(Path::new(&format!("{}.complete", cache.display())).is_file());
    assert_eq!(requests(&rt, &server), [format!("/v1.2.3/{asset}")]);

    // Warm: the tool cache, hashed again, and no request at all.
    let started = Instant::now();
    let (code, log) = runner.run("install.sh", &env);
    let warm = started.elapsed();
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("from the tool cache"), "{log}");
    assert_eq!(requests(&rt, &server).len(), 1, "the warm run downloaded");
    // A figure, not a limit (BENCHMARKS.md has the measured one).
    eprintln!(
        "warm-cache install step: {} ms",
        warm.as_secs_f64() * 1000.0
    );

    // A cached binary that changed is not run: the job stops.
    std::fs::write(cache.join("vouch"), FAKE_VOUCH.replace("1.2.3", "6.6.6")).unwrap();
    std::fs::remove_file(runner.p("temp/ran")).unwrap();
    let (code, log) = runner.run("install.sh", &env);
    assert_eq!(code, 1, "{log}");
    assert!(
        log.contains("::error title=vouch install::the cached") && log.contains("not running it"),
        "{log}"
    );
    assert!(!runner.ran(), "a changed cached binary ran: {log}");
}

#[test]
fn a_tampered_release_asset_stops_the_job_before_anything_runs() {
    let rt = runtime();
    let (_, target) = host_arch();
    let asset = format!("vouch-{target}");
    let tampered = FAKE_VOUCH.replace("test build", "tampered");
    let server = server(&rt, &[("1.2.3", &asset)], tampered.as_bytes());
    let runner = Runner::new(&table(&[(&sha256(FAKE_VOUCH.as_bytes()), "1.2.3", &asset)]));
    let (code, log) = runner.run(
        "install.sh",
        &[
            ("VOUCH_VERSION", "1.2.3".to_string()),
            ("VOUCH_RELEASE_URL", server.uri()),
        ],
    );
    assert_eq!(code, 1, "{log}");
    assert!(
        log.contains(&format!(
            "has sha256 {}, not {}",
            sha256(tampered.as_bytes()),
            sha256(FAKE_VOUCH.as_bytes())
        )) && log.contains("not running it"),
        "{log}"
    );
    assert!(!runner.ran(), "the tampered binary ran: {log}");
    assert!(!runner.outputs().contains_key("path"));
    assert_eq!(std::fs::read_to_string(runner.p("path")).unwrap(), "");
    let cached: Vec<_> = walk(&runner.p("toolcache"));
    assert!(cached.is_empty(), "left in the tool cache: {cached:?}");

    // A server that answers 404 does not fall back to anything unverified either.
    let empty = rt.block_on(MockServer::start());
    let runner = Runner::new(&table(&[(&sha256(FAKE_VOUCH.as_bytes()), "1.2.3", &asset)]));
    let (code, log) = runner.run(
        "install.sh",
        &[
            ("VOUCH_VERSION", "v1.2.3".to_string()),
            ("VOUCH_RELEASE_URL", empty.uri()),
        ],
    );
    assert_eq!(code, 1, "{log}");
    assert!(log.contains("could not download"), "{log}");
    assert!(!runner.ran());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A stand-in `cargo` that records its arguments and "installs" FAKE_VOUCH where
/// `--root` says.
fn fake_cargo(runner: &Runner) -> String {
    let bin = runner.p("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        "#!/bin/bash\necho \"$@\" > \"$RUNNER_TEMP/cargo-args\"\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=\"$2\"; shift; done\nmkdir -p \"$root/bin\"\ncat > \"$root/bin/vouch\" <<'EOF'\n{FAKE_VOUCH}EOF\nchmod +x \"$root/bin/vouch\"\n"
    );
    write_executable(&bin, "cargo", &script);
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn the_install_step_resolves_versions_from_the_input_or_the_action_ref() {
    let rt = runtime();
    let (_, target) = host_arch();
    let asset = format!("vouch-{target}");
    let good = sha256(FAKE_VOUCH.as_bytes());
    let releases = [
        ("1.1.0", asset.as_str()),
        ("1.2.3", asset.as_str()),
        ("2.0.1", asset.as_str()),
    ];
    let server = server(&rt, &releases, FAKE_VOUCH.as_bytes());
    let t = table(&[
        (&good, "1.1.0", &asset),
        (&good, "1.10.0", "vouch-other-target"),
        (&good, "1.2.3", &asset),
        (&good, "2.0.1", &asset),
    ]);
    let cases: [(&str, &str, &str); 5] = [
        ("VOUCH_VERSION", "1.1.0", "1.1.0"),
        ("VOUCH_VERSION", "v1.2.3", "1.2.3"),
        ("GITHUB_ACTION_REF", "v1", "1.2.3"),
        ("GITHUB_ACTION_REF", "v1.1", "1.1.0"),
        // A commit of the action: the release its table was pinned with.
        (
            "GITHUB_ACTION_REF",
            "0123456789abcdef0123456789abcdef01234567",
            "2.0.1",
        ),
    ];
    for (var, value, want) in cases {
        let runner = Runner::new(&t);
        let (code, log) = runner.run(
            "install.sh",
            &[
                (var, value.to_string()),
                ("VOUCH_RELEASE_URL", server.uri()),
            ],
        );
        assert_eq!(code, 0, "{var}={value}: {log}");
        assert_eq!(runner.outputs()["version"], want, "{var}={value}: {log}");
    }

    // An explicit version the table does not know is refused, not built.
    let runner = Runner::new(&t);
    let (code, log) = runner.run(
        "install.sh",
        &[
            ("VOUCH_VERSION", "9.9.9".to_string()),
            ("VOUCH_RELEASE_URL", server.uri()),
        ],
    );
    assert_eq!(code, 1, "{log}");
    assert!(
        log.contains("vouch 9.9.9 is not in the action's release table"),
        "{log}"
    );

    // A branch ref, `source`, or a tag the table does not know: built from the
    // action's checkout with cargo, and the log says so.
    for (var, value) in [
        ("GITHUB_ACTION_REF", "main"),
        ("VOUCH_VERSION", "source"),
        ("GITHUB_ACTION_REF", "v3.0.0"),
    ] {
        let runner = Runner::new(&t);
        let path = fake_cargo(&runner);
        let (code, log) = runner.run(
            "install.sh",
            &[
                (var, value.to_string()),
                ("VOUCH_RELEASE_URL", server.uri()),
                ("PATH", path),
            ],
        );
        assert_eq!(code, 0, "{var}={value}: {log}");
        assert!(
            log.contains("building from source with cargo install --locked"),
            "{var}={value}: {log}"
        );
        let args = std::fs::read_to_string(runner.p("temp/cargo-args")).unwrap();
        assert!(
            args.starts_with("install --locked")
                && args.contains(&format!("--path {}/..", runner.p("action").display())),
            "{args}"
        );
        assert_eq!(runner.outputs()["version"], "source");
        assert!(runner.ran());
    }
    // The cold installs each downloaded once; nothing else was fetched.
    assert!(requests(&rt, &server).iter().all(|p| p.ends_with(&asset)));
}

#[test]
fn each_runner_platform_installs_its_own_asset() {
    let rt = runtime();
    for (os, arch, asset) in [
        ("Linux", "X64", "vouch-x86_64-unknown-linux-musl"),
        ("Linux", "ARM64", "vouch-aarch64-unknown-linux-musl"),
        ("macOS", "X64", "vouch-x86_64-apple-darwin"),
        ("macOS", "ARM64", "vouch-aarch64-apple-darwin"),
        ("Windows", "X64", "vouch-x86_64-pc-windows-msvc.exe"),
    ] {
        let server = server(&rt, &[("1.2.3", asset)], FAKE_VOUCH.as_bytes());
        let runner = Runner::on(
            os,
            arch,
            &table(&[(&sha256(FAKE_VOUCH.as_bytes()), "1.2.3", asset)]),
        );
        let (code, log) = runner.run(
            "install.sh",
            &[
                ("VOUCH_VERSION", "1.2.3".to_string()),
                ("VOUCH_RELEASE_URL", server.uri()),
            ],
        );
        assert_eq!(code, 0, "{os}/{arch}: {log}");
        assert_eq!(requests(&rt, &server), [format!("/v1.2.3/{asset}")]);
        let exe = if os == "Windows" {
            "vouch.exe"
        } else {
            "vouch"
        };
        assert!(runner.outputs()["path"].ends_with(exe), "{os}/{arch}");
    }
}

#[test]
fn the_verify_step_passes_inputs_as_arguments_never_as_shell() {
    let runner = Runner::new("");
    let bin = write_executable(&runner.p("temp"), "vouch", FAKE_VOUCH);
    let hostile = "$(touch pwned)`touch pwned2`;touch pwned3".to_string();
    let env = [
        ("VOUCH_BIN", bin.display().to_string()),
        ("VOUCH_POLICY", "policy.yaml".to_string()),
        (
            "VOUCH_SARIF",
            "a.sarif\n  b file.sarif \r\n\n*.sarif".to_string(),
        ),
        ("VOUCH_SCA", "audit.json".to_string()),
        ("VOUCH_VEX", String::new()),
        ("VOUCH_SBOM", "x.cdx.json".to_string()),
        ("VOUCH_LOCKFILE", "Cargo.lock".to_string()),
        ("VOUCH_ARTIFACT", "dist/app".to_string()),
        ("VOUCH_ATTESTATION", "dist/app.sigstore.json".to_string()),
        ("VOUCH_TRUSTED_ROOT", "root.json".to_string()),
        ("VOUCH_FORGE", "github".to_string()),
        ("VOUCH_API_URL", "https://ghe.example/api/v3".to_string()),
        ("VOUCH_REPO", "o/r".to_string()),
        ("VOUCH_BRANCH", "main".to_string()),
        ("VOUCH_COMMIT", "abc".to_string()),
        ("VOUCH_RANGE", hostile.clone()),
        ("VOUCH_GIT_DIR", "../clone".to_string()),
        ("VOUCH_SUBJECT_NAME", "app".to_string()),
        ("VOUCH_SUBJECT_VERSION", "1.0".to_string()),
        ("VOUCH_FORMATS", "text\nmarkdown=summary.md".to_string()),
        ("VOUCH_SARIF_OUT", "vouch.sarif".to_string()),
        ("VOUCH_JSON_OUT", "report.json".to_string()),
        ("VOUCH_EVIDENCE_OUT", "ev".to_string()),
        ("VOUCH_VERBOSITY", "2".to_string()),
        ("VOUCH_ATTEST", "keyless".to_string()),
        ("VOUCH_ATTEST_OUT", "att".to_string()),
        ("VOUCH_PUBLISH", "github".to_string()),
    ];
    std::fs::write(runner.p("workspace/z.sarif"), "{}").unwrap();
    let (code, log) = runner.run("verify.sh", &env);
    assert_eq!(code, 0, "{log}");
    let args: Vec<&str> = log.lines().filter_map(|l| l.strip_prefix("arg:")).collect();
    assert_eq!(
        args,
        [
            "-vv",
            "verify",
            "--policy",
            "policy.yaml",
            "--sarif",
            "a.sarif",
            "--sarif",
            "b file.sarif",
            "--sarif",
            "*.sarif",
            "--sca",
            "audit.json",
            "--sbom",
            "x.cdx.json",
            "--lockfile",
            "Cargo.lock",
            "--artifact",
            "dist/app",
            "--attestation",
            "dist/app.sigstore.json",
            "--trusted-root",
            "root.json",
            "--forge",
            "github",
            "--api-url",
            "https://ghe.example/api/v3",
            "--repo",
            "o/r",
            "--branch",
            "main",
            "--commit",
            "abc",
            "--range",
            &hostile,
            "--git-dir",
            "../clone",
            "--subject-name",
            "app",
            "--subject-version",
            "1.0",
            "--evidence-out",
            "ev",
            "--format",
            "text",
            "--format",
            "markdown=summary.md",
            "--format",
            "sarif=vouch.sarif",
            "--format",
            "json=report.json",
            "--attest-out",
            "att",
            "--keyless",
            "--publish",
            "github",
        ]
    );
    for f in ["pwned", "pwned2", "pwned3"] {
        assert!(!runner.p("workspace").join(f).exists(), "{f}");
    }
    // The stand-in wrote no report: the verdict is `error`, never `pass`.
    let outputs = runner.outputs();
    assert_eq!(outputs["verdict"], "error");
    assert_eq!(outputs["report-path"], "report.json");
    assert_eq!(outputs["sarif-path"], "vouch.sarif");
    assert_eq!(outputs["evidence-path"], "ev");
    assert_eq!(outputs["attestation-path"], "att");

    // Bad choices are refused before vouch runs.
    for (var, value, says) in [
        (
            "VOUCH_ATTEST",
            "sometimes",
            "attest must be none, keyless or key",
        ),
        ("VOUCH_VERBOSITY", "9", "verbosity must be 0, 1 or 2"),
    ] {
        let runner = Runner::new("");
        let (code, log) = runner.run(
            "verify.sh",
            &[
                ("VOUCH_BIN", bin.display().to_string()),
                (var, value.to_string()),
            ],
        );
        assert_eq!(code, 2, "{log}");
        assert!(log.contains(says), "{log}");
        assert_eq!(runner.outputs()["verdict"], "error");
    }
}

#[test]
fn the_verify_step_runs_vouch_and_reports_its_verdict_in_the_outputs() {
    let vouch_bin = PathBuf::from(env!("CARGO_BIN_EXE_vouch"));
    let ev = repo_path("examples/evidence");
    let e = |f: &str| ev.join(f).display().to_string();
    let base = |runner: &Runner, policy: &Path| {
        vec![
            ("VOUCH_BIN", vouch_bin.display().to_string()),
            ("VOUCH_POLICY", policy.display().to_string()),
            (
                "VOUCH_SARIF",
                format!("{}\n{}", e("codeql.sarif"), e("semgrep.sarif")),
            ),
            (
                "VOUCH_SCA",
                format!("{}\n{}", e("cargo-audit.json"), e("osv-scanner.json")),
            ),
            ("VOUCH_VEX", e("ledger.openvex.json")),
            ("VOUCH_SBOM", e("ledger.cdx.json")),
            ("VOUCH_LOCKFILE", e("Cargo.lock")),
            ("VOUCH_FORMATS", "text".to_string()),
            ("VOUCH_SARIF_OUT", "vouch.sarif".to_string()),
            ("VOUCH_JSON_OUT", "vouch-report.json".to_string()),
            ("VOUCH_EVIDENCE_OUT", "vouch-evidence".to_string()),
            ("VOUCH_ATTEST", "none".to_string()),
            (
                "GITHUB_STEP_SUMMARY",
                runner.p("summary").display().to_string(),
            ),
            ("GITHUB_ACTIONS", "true".to_string()),
        ]
    };
    let runner = Runner::new("");
    let (code, log) = runner.run(
        "verify.sh",
        &base(&runner, &repo_path("examples/vouch.yaml")),
    );
    assert_eq!(code, 0, "{log}");
    let outputs = runner.outputs();
    assert_eq!(outputs["verdict"], "pass", "{log}");
    let ws = runner.p("workspace");
    assert!(ws.join("vouch.sarif").is_file() && ws.join("vouch-report.json").is_file());
    assert!(ws.join("vouch-evidence/evidence.json").is_file());
    assert!(
        std::fs::read_to_string(runner.p("summary"))
            .unwrap()
            .contains("vouch"),
        "the job summary was written"
    );
    // The saved evidence replays to the same verdict.
    let replay = vouch()
        .current_dir(&ws)
        .args(["evaluate", "vouch-evidence", "--policy"])
        .arg(repo_path("examples/vouch.yaml"))
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );

    // A stricter policy fails the step, and the output says `fail`.
    let runner = Runner::new("");
    let strict = write(
        &runner.p("workspace"),
        "strict.yaml",
        "version: 1\nsast:\n  fail_on: any\n",
    );
    let (code, log) = runner.run("verify.sh", &base(&runner, &strict));
    assert_eq!(code, 1, "{log}");
    assert_eq!(runner.outputs()["verdict"], "fail");
    assert!(
        log.contains("::error"),
        "annotations for the findings: {log}"
    );
}

#[test]
fn action_yml_wires_every_input_to_a_script_and_every_flag_exists() {
    let yml = std::fs::read_to_string(repo_path("action/action.yml")).unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(&yml).unwrap();
    let scripts = ["action/install.sh", "action/verify.sh"]
        .map(|f| std::fs::read_to_string(repo_path(f)).unwrap())
        .join("\n");
    // Each input reaches a step's environment, and each variable a step sets is read.
    for input in doc["inputs"].as_object().unwrap().keys() {
        assert!(
            yml.contains(&format!("${{{{ inputs.{input} }}}}")),
            "input {input} is never used"
        );
    }
    for step in doc["runs"]["steps"].as_array().unwrap() {
        let run = step["run"].as_str().unwrap();
        assert!(
            !run.contains("${{"),
            "a step splices an expression into shell text: {run}"
        );
        for var in step["env"].as_object().unwrap().keys() {
            assert!(
                // vouch itself reads the token and the key's password.
                scripts.contains(&format!("${{{var}"))
                    || ["GITHUB_TOKEN", "VOUCH_KEY_PASSWORD"].contains(&var.as_str()),
                "{var} is set but no script reads it"
            );
        }
    }
    // Each flag verify.sh passes is one `vouch verify` has.
    let help = vouch().args(["verify", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    let verify = std::fs::read_to_string(repo_path("action/verify.sh")).unwrap();
    let mut flags = 0;
    for word in verify.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
        let w = word.trim_matches('"');
        if w.starts_with("--")
            && w.len() > 2
            && w[2..].chars().all(|c| c.is_ascii_lowercase() || c == '-')
        {
            assert!(
                help.contains(w),
                "verify.sh passes {w}, which vouch verify lacks"
            );
            flags += 1;
        }
    }
    assert!(flags > 20, "found only {flags} flags in verify.sh");
}
