//! The scripts of vouch's release workflow (`.github/scripts/`), run here where they
//! can be: checksums, the Action's table (pinned, then installed from by
//! action/install.sh), the tag check, the commit that moves the major tag (against a
//! local bare repository), and the build, SBOM and self-verification steps with
//! stand-ins for the tools only a release runner has.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::support::{repo_path, tempdir, write, write_executable};

fn script(name: &str) -> PathBuf {
    repo_path(".github/scripts").join(name)
}

fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn sha256(bytes: &[u8]) -> String {
    vouch::collect::sha256_hex(bytes)
}

fn with_path(bin: &Path) -> String {
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn checksums_lists_every_release_file_in_sha256sum_form() {
    let dir = tempdir();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let files = [
        ("vouch-x86_64-unknown-linux-musl", "bin a"),
        ("vouch-x86_64-unknown-linux-musl.cdx.json", "{}"),
        ("vouch-x86_64-pc-windows-msvc.exe", "bin b"),
        ("name with space", "c"),
    ];
    for (name, body) in files {
        write(&dist, name, body);
    }
    write(&dist, "SHA256SUMS", "stale");
    let (code, log) = run(Command::new(script("checksums.sh")).arg(&dist));
    assert_eq!(code, 0, "{log}");
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    let mut want: Vec<String> = files
        .iter()
        .map(|(n, b)| format!("{}  {n}", sha256(b.as_bytes())))
        .collect();
    want.sort_by(|a, b| a[66..].cmp(&b[66..]));
    assert_eq!(sums.lines().collect::<Vec<_>>(), want);
    // sha256sum itself accepts it.
    let (code, log) = run(Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(&dist));
    assert_eq!(code, 0, "{log}");
    // An empty release is refused.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, log) = run(Command::new(script("checksums.sh")).arg(&empty));
    assert_eq!(code, 1, "{log}");
}

const FAKE_VOUCH: &str = "#!/bin/sh\n: > \"$RUNNER_TEMP/ran\"\necho \"vouch 1.4.0 (test build)\"\n";

#[test]
fn a_pinned_release_is_what_the_action_then_installs() {
    let dir = tempdir();
    let table = write(dir.path(), "releases.sha256", "# table\n");
    let linux = sha256(FAKE_VOUCH.as_bytes());
    let sums = write(
        dir.path(),
        "SHA256SUMS",
        &format!(
            "{linux}  vouch-x86_64-unknown-linux-musl\n{linux}  vouch-aarch64-unknown-linux-musl\n{}  vouch-x86_64-pc-windows-msvc.exe\n{}  vouch-x86_64-unknown-linux-musl.cdx.json\n{}  vouch-x86_64-unknown-linux-musl.sigstore.json\n",
            "a".repeat(64),
            "b".repeat(64),
            "c".repeat(64)
        ),
    );
    let pin = |version: &str, sums: &Path| {
        run(Command::new(script("pin-action.sh"))
            .arg(version)
            .arg(sums)
            .arg(&table))
    };
    let (code, log) = pin("v1.4.0", &sums);
    assert_eq!(code, 0, "{log}");
    let text = std::fs::read_to_string(&table).unwrap();
    assert_eq!(
        text,
        format!(
            "# table\n{linux}  v1.4.0/vouch-x86_64-unknown-linux-musl\n{linux}  v1.4.0/vouch-aarch64-unknown-linux-musl\n{}  v1.4.0/vouch-x86_64-pc-windows-msvc.exe\n",
            "a".repeat(64)
        )
    );
    // Again: nothing changes. With other digests: refused, the table untouched.
    let (code, log) = pin("1.4.0", &sums);
    assert_eq!(code, 0, "{log}");
    assert_eq!(std::fs::read_to_string(&table).unwrap(), text);
    let other = write(
        dir.path(),
        "OTHER",
        &format!("{}  vouch-x86_64-unknown-linux-musl\n", "d".repeat(64)),
    );
    let (code, log) = pin("1.4.0", &other);
    assert_eq!(code, 1, "{log}");
    assert!(log.contains("refusing to rewrite it"), "{log}");
    assert_eq!(std::fs::read_to_string(&table).unwrap(), text);
    for (version, sums, code_want) in [("1.4", &sums, 2), ("v1.5.0", &other, 0)] {
        let (code, log) = pin(version, sums);
        assert_eq!(code, code_want, "{version}: {log}");
    }
    let garbage = write(dir.path(), "GARBAGE", "not-a-digest  vouch-x\n");
    let (code, log) = pin("1.6.0", &garbage);
    assert_eq!(code, 1, "{log}");

    // The Action's install step, given this table, takes 1.5.0 for `@v1` (the newest)
    // and refuses its download, whose digest is not the pinned one.
    let runner = dir.path().join("runner");
    for d in ["action", "temp", "cache"] {
        std::fs::create_dir_all(runner.join(d)).unwrap();
    }
    std::fs::copy(
        repo_path("action/install.sh"),
        runner.join("action/install.sh"),
    )
    .unwrap();
    std::fs::copy(&table, runner.join("action/releases.sha256")).unwrap();
    let serve = runner.join("serve");
    for v in ["1.4.0", "1.5.0"] {
        std::fs::create_dir_all(serve.join(format!("v{v}"))).unwrap();
        write(
            &serve.join(format!("v{v}")),
            "vouch-x86_64-unknown-linux-musl",
            FAKE_VOUCH,
        );
    }
    let install = |reference: &str| {
        let output = runner.join("output");
        write(&runner, "output", "");
        let r = run(Command::new("bash")
            .arg(runner.join("action/install.sh"))
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", runner.join("temp"))
            .env("RUNNER_TOOL_CACHE", runner.join("cache"))
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_PATH", runner.join("path"))
            .env("GITHUB_ACTION_REF", reference)
            .env("VOUCH_RELEASE_URL", format!("file://{}", serve.display())));
        (r, std::fs::read_to_string(output).unwrap())
    };
    let ((code, log), _) = install("v1");
    assert_eq!(code, 1, "{log}");
    assert!(
        log.contains("v1.5.0/vouch-x86_64-unknown-linux-musl has sha256"),
        "{log}"
    );
    let ((code, log), outputs) = install("v1.4");
    assert_eq!(code, 0, "{log}");
    assert!(outputs.contains("version=1.4.0"), "{outputs}");
}

#[test]
fn the_tag_must_name_the_version_in_cargo_toml() {
    let dir = tempdir();
    let manifest = write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"vouch\"\nversion = \"1.4.0\"\n\n[dependencies]\nserde = { version = \"1\" }\n",
    );
    let tag = |t: &str| run(Command::new(script("tag-version.sh")).arg(t).arg(&manifest));
    assert_eq!(tag("v1.4.0"), (0, "1.4.0\n".to_string()));
    assert_eq!(tag("refs/tags/v1.4.0").0, 0);
    let (code, log) = tag("v1.4.1");
    assert_eq!(code, 1, "{log}");
    assert!(log.contains("Cargo.toml says version 1.4.0"), "{log}");
    for bad in ["v1.4", "1.4.0", "v1.4.0-rc1", "main"] {
        assert_eq!(tag(bad).0, 2, "{bad}");
    }
    // The project's own manifest has a version it can be tagged with.
    let ours = std::fs::read_to_string(repo_path("Cargo.toml")).unwrap();
    let version = ours
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap();
    let (code, log) = run(Command::new(script("tag-version.sh"))
        .arg(format!("v{version}"))
        .arg(repo_path("Cargo.toml")));
    assert_eq!(code, 0, "{log}");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn the_pin_commit_lands_on_the_branch_and_moves_the_major_tag() {
    let dir = tempdir();
    let origin = dir.path().join("origin.git");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    git(
        dir.path(),
        &[
            "init",
            "--quiet",
            "--bare",
            "-b",
            "main",
            origin.to_str().unwrap(),
        ],
    );
    git(&work, &["init", "--quiet", "-b", "main"]);
    std::fs::create_dir_all(work.join("action")).unwrap();
    write(&work.join("action"), "releases.sha256", "# table\n");
    git(&work, &["add", "."]);
    git(&work, &["commit", "--quiet", "-m", "init"]);
    git(&work, &["tag", "v1"]);
    git(
        &work,
        &["remote", "add", "origin", origin.to_str().unwrap()],
    );
    git(&work, &["push", "--quiet", "origin", "main", "v1"]);
    let before = git(&origin, &["rev-parse", "v1"]);

    write(
        &work.join("action"),
        "releases.sha256",
        &format!("# table\n{}  v1.4.0/vouch-x\n", "a".repeat(64)),
    );
    let commit_pin = || {
        run(Command::new(script("commit-pin.sh"))
            .args(["1.4.0", "main"])
            .current_dir(&work)
            .env("HOME", &work)
            .env("GIT_CONFIG_NOSYSTEM", "1"))
    };
    let (code, log) = commit_pin();
    assert_eq!(code, 0, "{log}");
    let main = git(&origin, &["rev-parse", "main"]);
    assert_ne!(main, before);
    assert_eq!(
        git(&origin, &["rev-parse", "v1"]),
        main,
        "v1 moved to the pin commit"
    );
    assert!(git(&origin, &["show", "main:action/releases.sha256"]).contains("v1.4.0/vouch-x"));
    assert!(git(&origin, &["log", "-1", "--format=%s", "main"]).contains("pin vouch v1.4.0"));
    // Again, with nothing new: no empty commit.
    let (code, log) = commit_pin();
    assert_eq!(code, 0, "{log}");
    assert_eq!(git(&origin, &["rev-parse", "main"]), main);
}

#[test]
fn the_build_step_names_the_binary_for_its_target_and_runs_it() {
    let dir = tempdir();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    // Stand-ins: rustup records the target; cargo records its arguments and the C
    // compiler it was given, and "builds" a binary that prints a version.
    write_executable(&bin, "rustup", "#!/bin/sh\necho \"$@\" >> rustup-args\n");
    write_executable(&bin, "musl-gcc", "#!/bin/sh\nexit 0\n");
    write_executable(
        &bin,
        "cargo",
        "#!/bin/bash\necho \"$@\" > cargo-args\nenv | grep '^CC_' > cargo-env || true\nwhile [ $# -gt 0 ]; do [ \"$1\" = --target ] && t=\"$2\"; shift; done\nexe=\"\"; case \"$t\" in *windows*) exe=.exe ;; esac\nmkdir -p \"target/$t/dist\"\nprintf '#!/bin/sh\\necho vouch 1.4.0\\n' > \"target/$t/dist/vouch$exe\"\nchmod +x \"target/$t/dist/vouch$exe\"\n",
    );
    for (target, asset, cc) in [
        (
            "x86_64-unknown-linux-musl",
            "vouch-x86_64-unknown-linux-musl",
            true,
        ),
        ("aarch64-apple-darwin", "vouch-aarch64-apple-darwin", false),
        (
            "x86_64-pc-windows-msvc",
            "vouch-x86_64-pc-windows-msvc.exe",
            false,
        ),
    ] {
        let work = dir.path().join(target);
        std::fs::create_dir_all(&work).unwrap();
        let (code, log) = run(Command::new(script("build-release.sh"))
            .args([target, "dist"])
            .current_dir(&work)
            .env("PATH", with_path(&bin)));
        assert_eq!(code, 0, "{target}: {log}");
        assert!(work.join("dist").join(asset).is_file(), "{target}: {log}");
        assert!(
            log.contains("vouch 1.4.0") && log.contains(&format!("built dist/{asset}")),
            "{log}"
        );
        let args = std::fs::read_to_string(work.join("cargo-args")).unwrap();
        assert_eq!(
            args.trim(),
            format!("build --profile dist --locked --target {target} --bin vouch")
        );
        assert_eq!(
            std::fs::read_to_string(work.join("rustup-args"))
                .unwrap()
                .trim(),
            format!("target add {target}")
        );
        let env = std::fs::read_to_string(work.join("cargo-env")).unwrap_or_default();
        assert_eq!(
            env.contains("CC_x86_64_unknown_linux_musl=musl-gcc"),
            cc,
            "{env}"
        );
    }
    let (code, log) = run(Command::new(script("build-release.sh"))
        .arg("riscv64gc-unknown-linux-gnu")
        .current_dir(dir.path())
        .env("PATH", with_path(&bin)));
    assert_eq!(code, 2, "{log}");
}

#[test]
fn the_sbom_step_writes_one_sbom_per_target_beside_its_binary() {
    let dir = tempdir();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    write_executable(&bin, "cargo-cyclonedx", "#!/bin/sh\nexit 0\n");
    write_executable(
        &bin,
        "cargo",
        "#!/bin/sh\necho \"$@\" >> cargo-args\necho '{\"bomFormat\":\"CycloneDX\"}' > vouch.cdx.json\n",
    );
    let (code, log) = run(Command::new(script("sbom.sh"))
        .args([
            "dist",
            "x86_64-unknown-linux-musl",
            "x86_64-pc-windows-msvc",
        ])
        .current_dir(dir.path())
        .env("PATH", with_path(&bin)));
    assert_eq!(code, 0, "{log}");
    for f in [
        "vouch-x86_64-unknown-linux-musl.cdx.json",
        "vouch-x86_64-pc-windows-msvc.exe.cdx.json",
    ] {
        assert!(dir.path().join("dist").join(f).is_file(), "{f}: {log}");
    }
    let args = std::fs::read_to_string(dir.path().join("cargo-args")).unwrap();
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        [
            "cyclonedx --format json --spec-version 1.5 --target x86_64-unknown-linux-musl --quiet",
            "cyclonedx --format json --spec-version 1.5 --target x86_64-pc-windows-msvc --quiet",
        ]
    );
}

#[test]
fn self_verification_checks_its_own_binary_then_hands_the_release_to_vouch() {
    let dir = tempdir();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    // The "vouch" of the release echoes its arguments; the rest of the release is
    // listed in SHA256SUMS but not downloaded (vouch release verify fetches it).
    let linux = "vouch-x86_64-unknown-linux-musl";
    write(
        &dist,
        linux,
        "#!/bin/sh\nfor a in \"$@\"; do echo \"arg:$a\"; done\n",
    );
    write(&dist, "vouch-aarch64-apple-darwin", "mac");
    let (code, log) = run(Command::new(script("checksums.sh")).arg(&dist));
    assert_eq!(code, 0, "{log}");
    std::fs::remove_file(dist.join("vouch-aarch64-apple-darwin")).unwrap();
    let self_verify = |extra: &[(&str, &str)]| {
        let mut cmd = Command::new(script("self-verify.sh"));
        cmd.args(["dist", "vouch-dev/vouch", "v1.4.0"])
            .current_dir(dir.path())
            .env_remove("VOUCH_TRUSTED_ROOT")
            .env_remove("VOUCH_API_URL");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        run(&mut cmd)
    };
    let (code, log) = self_verify(&[("VOUCH_API_URL", "http://127.0.0.1:9")]);
    assert_eq!(code, 0, "{log}");
    let args: Vec<&str> = log.lines().filter_map(|l| l.strip_prefix("arg:")).collect();
    assert_eq!(
        args,
        [
            "release",
            "verify",
            "vouch-dev/vouch@v1.4.0",
            "--policy",
            ".github/release-policy.yaml",
            "--subject-name",
            "vouch",
            "--lockfile",
            "Cargo.lock",
            "--format",
            "text",
            "--format",
            "markdown=dist/../self-verify.md",
            "--api-url",
            "http://127.0.0.1:9",
        ]
    );

    // A checking binary that is not what SHA256SUMS says stops it before it runs.
    write(&dist, linux, "#!/bin/sh\necho arg:tampered\n");
    let (code, log) = self_verify(&[]);
    assert_ne!(code, 0, "{log}");
    assert!(!log.contains("arg:"), "{log}");
    // So does a SHA256SUMS that does not list it.
    write(
        &dist,
        "SHA256SUMS",
        &format!("{}  vouch-other\n", "0".repeat(64)),
    );
    let (code, log) = self_verify(&[]);
    assert_ne!(code, 0, "{log}");
    assert!(!log.contains("arg:"), "{log}");
}

#[test]
fn the_release_policy_is_a_valid_policy() {
    // Exit 2 is a policy vouch cannot read; 1 here is the controls' `error` (no artifacts).
    let out = super::support::vouch()
        .args(["verify", "--forge", "none", "--policy"])
        .arg(repo_path(".github/release-policy.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
