//! The command-line contract: exit codes, usage errors, policy subcommands, outputs.

use super::support::{fixture, repo_path, run, tempdir, vouch, write};

#[test]
fn unreadable_input_named_on_the_command_line_exits_2() {
    let (code, _, stderr) = run(vouch().args(["verify", "--sarif", "/nonexistent/x.sarif"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("/nonexistent/x.sarif") && stderr.contains("--sarif"),
        "{stderr}"
    );
}

#[test]
fn invalid_policy_exits_2_with_file_line_and_column() {
    let dir = tempdir();
    let policy = write(
        dir.path(),
        "vouch.yaml",
        "version: 1\nsca:\n  fail_on: high\n  ignore_unfxed: true\n",
    );
    let (code, _, stderr) = run(vouch().arg("verify").arg("--policy").arg(&policy));
    assert_eq!(code, 2);
    assert!(stderr.contains("vouch.yaml:4:3"), "{stderr}");
    assert!(
        stderr.contains("did you mean `ignore_unfixed`?"),
        "{stderr}"
    );
}

#[test]
fn unknown_format_is_a_usage_error() {
    let (code, _, stderr) = run(vouch().args(["verify", "--format", "pdf"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown format `pdf`"), "{stderr}");
}

#[test]
fn two_formats_to_stdout_is_a_usage_error() {
    let dir = tempdir();
    let sarif = fixture("sarif/semgrep-clean.sarif");
    let policy = write(dir.path(), "p.yaml", "version: 1\nsast: {}\n");
    let (code, _, stderr) = run(vouch()
        .arg("verify")
        .arg("--policy")
        .arg(&policy)
        .arg("--sarif")
        .arg(&sarif)
        .args(["--format", "json", "--format", "text"]));
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn every_format_in_one_run() {
    let dir = tempdir();
    let sarif = fixture("sarif/codeql-critical.sarif");
    let policy = write(dir.path(), "p.yaml", "version: 1\nsast: {}\n");
    let out = dir.path().join("out");
    let mut cmd = vouch();
    cmd.arg("verify")
        .arg("--policy")
        .arg(&policy)
        .arg("--sarif")
        .arg(&sarif);
    for f in ["json", "sarif", "junit", "markdown"] {
        cmd.arg("--format")
            .arg(format!("{f}={}/report.{f}", out.display()));
    }
    cmd.args(["--format", "text"]);
    let (code, stdout, _) = run(&mut cmd);
    assert_eq!(code, 1);
    assert!(stdout.contains("verdict FAIL"), "{stdout}");
    assert!(
        !stdout.contains('\x1b'),
        "no colors when stdout is not a terminal"
    );
    for f in ["json", "sarif", "junit", "markdown"] {
        let text = std::fs::read_to_string(out.join(format!("report.{f}"))).unwrap();
        assert!(!text.is_empty(), "{f} report is empty");
    }
}

#[test]
fn github_actions_gets_a_step_summary_and_annotations() {
    let dir = tempdir();
    let sarif = fixture("sarif/codeql-critical.sarif");
    let policy = write(dir.path(), "p.yaml", "version: 1\nsast: {}\n");
    let summary = write(dir.path(), "summary.md", "previous step\n");
    let (code, stdout, _) = run(vouch()
        .arg("verify")
        .arg("--policy")
        .arg(&policy)
        .arg("--sarif")
        .arg(&sarif)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_REPOSITORY", "acme/ledger")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"));
    assert_eq!(code, 1);
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("previous step\n"),
        "the summary is appended to, not replaced"
    );
    assert!(md.len() > "previous step\n".len());
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("::error file=src/ledger/query.rs,line=42")),
        "{stdout}"
    );
    assert!(
        stdout.contains("acme/ledger"),
        "the CI context reaches the report"
    );
}

#[test]
fn policy_init_writes_a_valid_policy_and_refuses_to_overwrite() {
    let dir = tempdir();
    let path = dir.path().join("vouch.yaml");
    let (code, _, _) = run(vouch().args(["policy", "init", "--output"]).arg(&path));
    assert_eq!(code, 0);
    let (code, stdout, _) = run(vouch().args(["policy", "check"]).arg(&path));
    assert_eq!(code, 0);
    assert!(stdout.contains("valid (controls: sast, sca"), "{stdout}");
    let (code, _, stderr) = run(vouch().args(["policy", "init", "--output"]).arg(&path));
    assert_eq!(code, 2);
    assert!(stderr.contains("already exists"));
}

#[test]
fn policy_schema_prints_the_committed_schema() {
    let (code, stdout, _) = run(vouch().args(["policy", "schema"]));
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string(repo_path("schemas/policy.schema.json")).unwrap();
    assert_eq!(
        stdout, committed,
        "schemas/policy.schema.json is stale: regenerate it with `vouch policy schema`"
    );
}

#[test]
fn no_color_is_honored_even_on_a_terminal_path() {
    let report = vouch::report::text::render(&sample_report(), false);
    assert!(!report.contains('\x1b'));
    let colored = vouch::report::text::render(&sample_report(), true);
    assert!(colored.contains('\x1b'), "colors are used when allowed");
}

fn sample_report() -> vouch::report::Report {
    let policy = vouch::policy::parse_str("version: 1\nsast: {}\n", "p.yaml").unwrap();
    let evidence = vouch::collect::collect(
        &vouch::collect::FileInputs {
            sarif: vec![fixture("sarif/codeql-critical.sarif")],
            ..Default::default()
        },
        vouch::ci::CiContext::local(),
        time::OffsetDateTime::UNIX_EPOCH,
    )
    .unwrap();
    let verdict = vouch::verdict::evaluate(&policy, &evidence);
    vouch::report::Report::new(
        verdict,
        &evidence,
        vouch::report::PolicyRef {
            path: "p.yaml".into(),
            sha256: "0".repeat(64),
        },
    )
}

#[test]
fn the_ci_examples_are_valid_yaml() {
    // action/action.yml has its own tests (tests/it/action.rs).
    for file in [
        "examples/github/release-gate.yml",
        "examples/gitlab/vouch.gitlab-ci.yml",
    ] {
        let text = std::fs::read_to_string(repo_path(file)).unwrap();
        let _: serde_json::Value =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}

#[test]
fn with_every_report_in_a_file_the_verdict_still_reaches_stderr() {
    let dir = tempdir();
    let policy = write(dir.path(), "vouch.yaml", "version: 1\nsca: {}\n");
    let report = write(dir.path(), "audit.json", "[]");
    let sarif = dir.path().join("out.sarif");
    let (code, stdout, stderr) = run(vouch()
        .arg("verify")
        .arg("--policy")
        .arg(&policy)
        .arg("--sca")
        .arg(&report)
        .arg("--format")
        .arg(format!("sarif={}", sarif.display())));
    assert_eq!(code, 1);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(sarif.is_file());
    assert!(
        stderr.contains("vouch: FAIL (sca error); reports: sarif="),
        "{stderr}"
    );
}
