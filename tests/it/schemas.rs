//! The published schemas hold: example policies validate against the policy schema
//! (and the typed loader agrees), JSON reports validate against the report schema.

use serde_json::Value;

use super::support::{errors, fixture, repo_path, run, schema, tempdir, vouch, write};

fn yaml_to_json(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("YAML")
}

#[test]
fn every_example_policy_validates_against_the_schema_and_loads() {
    let v = schema("schemas/policy.schema.json");
    let mut policies = vec![(
        "starter".to_string(),
        vouch::policy::STARTER_POLICY.to_string(),
    )];
    for entry in std::fs::read_dir(repo_path("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            policies.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    assert!(policies.len() >= 2, "examples/ has a policy");
    for (name, text) in policies {
        let errs = errors(&v, &yaml_to_json(&text));
        assert!(errs.is_empty(), "{name}: {errs:?}");
        vouch::policy::parse_str(&text, &name).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn the_schema_and_the_loader_both_reject_unknown_keys_and_bad_values() {
    let v = schema("schemas/policy.schema.json");
    for bad in [
        "version: 1\nsast:\n  fial_on: high\n",
        "version: 1\nsca:\n  fail_on: severe\n",
        "version: 2\n",
        "version: 1\nexceptions:\n  - control: sca\n    match: {id: CVE-1}\n    reason: r\n    owner: o\n",
        "version: 1\nrelease_gate: {}\n",
        "version: 1\nsca:\n  fail_on: error\n",
        "version: 1\nsast:\n  paths:\n    include: ['']\n",
        "version: 1\nexceptions:\n  - control: sca\n    match: {id: ''}\n    reason: r\n    owner: o\n    expires: 2030-01-01\n",
        "version: 1\nexceptions:\n  - control: sca\n    match: {code: sca/nope}\n    reason: r\n    owner: o\n    expires: 2030-01-01\n",
        "version: 1\nsca:\n  unrated_as: unknown\n",
        "version: 1\nsast:\n  required_tools: ['']\n",
        "version: 1\nexceptions:\n  - control: sca\n    match: {}\n    reason: r\n    owner: o\n    expires: 2030-01-01\n",
        "version: 1\nexceptions:\n  - control: sac\n    match: {id: X}\n    reason: r\n    owner: o\n    expires: 2030-01-01\n",
        "version: 1\nexceptions:\n  - control: sca\n    match: {id: X}\n    reason: '  '\n    owner: o\n    expires: 2030-01-01\n",
    ] {
        assert!(
            !errors(&v, &yaml_to_json(bad)).is_empty(),
            "schema accepted:\n{bad}"
        );
        assert!(
            vouch::policy::parse_str(bad, "p.yaml").is_err(),
            "loader accepted:\n{bad}"
        );
    }
}

#[test]
fn the_loader_rejects_unknown_ecosystems_with_a_suggestion() {
    // The schema only says "a name" here: the accepted spellings are case-insensitive
    // and many, which JSON Schema cannot express compactly; the loader is the authority.
    let err = vouch::policy::parse_str("version: 1\nsca:\n  ecosystems: [crates]\n", "p.yaml")
        .unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    assert!(err.message.contains("unknown ecosystem `crates`"), "{err}");
    assert!(
        vouch::policy::parse_str(
            "version: 1\nsca:\n  ecosystems: [cargo, PyPI, npm]\n",
            "p.yaml"
        )
        .is_ok()
    );
}

#[test]
fn json_reports_validate_against_the_report_schema() {
    let v = schema("schemas/report.schema.json");
    let dir = tempdir();
    let scenarios: &[(&str, &[&str])] = &[
        ("version: 1\nsast: {}\n", &["sarif/codeql-critical.sarif"]),
        ("version: 1\nsast: {}\n", &["sarif/crashed-scanner.sarif"]),
        (
            "version: 1\nsast: {}\nsca: {}\n",
            &["sarif/semgrep-clean.sarif"],
        ),
        (
            "version: 1\nmax_exception_lifetime_days: 400000\nsast: {}\nexceptions:\n  - control: sast\n    match: {rule: rust/sql-injection}\n    reason: r\n    owner: o\n    expires: 2999-01-01\n  - control: sast\n    match: {code: sast/scanner-failed}\n    reason: r\n    owner: o\n    expires: 2001-01-01\n",
            &["sarif/codeql-critical.sarif"],
        ),
    ];
    for (policy, sarifs) in scenarios {
        let policy = write(dir.path(), "p.yaml", policy);
        let mut cmd = vouch();
        cmd.arg("verify")
            .arg("--policy")
            .arg(&policy)
            .args(["--format", "json", "--commit", "abc", "--repo", "acme/x"]);
        for s in *sarifs {
            cmd.arg("--sarif").arg(fixture(s));
        }
        let (_, stdout, stderr) = run(&mut cmd);
        let report: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
        let errs = errors(&v, &report);
        assert!(errs.is_empty(), "{errs:?}\n{stdout}");
    }
    // SCA findings, VEX and exception waivers, a GitLab CI context.
    let mut cmd = vouch();
    cmd.current_dir(repo_path(""))
        .args([
            "verify",
            "--policy",
            "examples/vouch.yaml",
            "--format",
            "json",
        ])
        .args([
            "--sarif",
            "examples/evidence/codeql.sarif",
            "--sarif",
            "examples/evidence/semgrep.sarif",
        ])
        .args([
            "--sca",
            "examples/evidence/cargo-audit.json",
            "--sca",
            "examples/evidence/osv-scanner.json",
        ])
        .args(["--vex", "examples/evidence/ledger.openvex.json"])
        .envs([
            ("GITLAB_CI", "true"),
            ("CI_PROJECT_PATH", "ledger/ledger"),
            ("CI_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567"),
            ("CI_MERGE_REQUEST_IID", "17"),
            ("CI_PIPELINE_SOURCE", "merge_request_event"),
            (
                "CI_JOB_URL",
                "https://gitlab.example/ledger/ledger/-/jobs/9",
            ),
            ("CI_PROJECT_DIR", "/builds/ledger/ledger"),
        ]);
    let (_, stdout, stderr) = run(&mut cmd);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(report["context"]["change_number"], 17);
    assert!(
        report["waivers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["source"]["kind"] == "vex")
    );
    let errs = errors(&v, &report);
    assert!(errs.is_empty(), "{errs:?}\n{stdout}");

    // The schema is strict enough to catch drift.
    let mut broken: Value = serde_json::from_str(
        &run(vouch()
            .args(["verify", "--format", "json", "--sarif"])
            .arg(fixture("sarif/semgrep-clean.sarif")))
        .1,
    )
    .unwrap();
    broken["controls"][0]["status"] = "ok".into();
    assert!(!errors(&v, &broken).is_empty());
}
