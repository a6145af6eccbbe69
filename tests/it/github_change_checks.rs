//! Required checks per change: every merged change's reviewed head passed the required
//! checks before it was merged, judged from the head's status check rollup that comes
//! with each pull request, and recorded per change.

use serde_json::{Value, json};

use super::github::{
    BASE, HEAD, MockGitHub, POLICY, check_run, head_check_run, head_checks, history, mount_checks,
    mount_good_protection, pr, range,
};
use super::support::{codes, control};

/// Commit `i` of the range (1 is the oldest, 5 is HEAD).
fn commit(i: usize) -> String {
    if i == 5 {
        HEAD.to_string()
    } else {
        format!("{:040x}", 0xc000 + i)
    }
}

/// PR `number`, merged at 10:00 as commit `number`, approved by bob, whose head had
/// the given rollup (`None`: the answer leaves the head's checks out).
fn change(number: usize, rollup: Option<Value>) -> Value {
    let head = format!("{:040x}", 0xa000 + number);
    let mut pr = pr(
        number as u64,
        "alice",
        &["alice"],
        &head,
        &commit(number),
        &[("bob", "APPROVED", &head)],
    );
    match rollup {
        Some(contexts) => pr["headCommit"] = head_checks(&head, contexts.as_array().unwrap()),
        None => {
            pr.as_object_mut().unwrap().remove("headCommit");
        }
    }
    pr
}

fn mount(gh: &MockGitHub, changes: Vec<Value>) {
    let n = changes.len();
    let nodes: Vec<(String, String, Vec<Value>)> = changes
        .into_iter()
        .enumerate()
        .map(|(k, pr)| {
            // Newest first, numbered down from 5 (HEAD); the oldest sits on BASE.
            let i = pr["number"].as_u64().unwrap() as usize;
            let parent = if k + 1 == n {
                BASE.to_string()
            } else {
                commit(i - 1)
            };
            (commit(i), parent, vec![pr])
        })
        .collect();
    let refs: Vec<(&str, &str, Vec<Value>)> = nodes
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.clone()))
        .collect();
    gh.graphql("history(", history(&refs, None));
    mount_good_protection(gh);
    mount_checks(gh, json!([check_run("build", HEAD, "success")]), json!([]));
}

fn before() -> Value {
    json!([head_check_run("build", "SUCCESS", "2026-11-20T09:30:00Z")])
}

#[test]
fn each_merged_change_must_have_passed_the_required_checks_on_its_reviewed_head_before_the_merge() {
    let gh = MockGitHub::start();
    // Newest first: #5 good, #4 green only after its merge, #3 red, #2 never ran
    // `build`, #1 read without its head's checks.
    mount(
        &gh,
        vec![
            change(5, Some(before())),
            change(
                4,
                Some(json!([head_check_run(
                    "build",
                    "SUCCESS",
                    "2026-11-20T10:05:00Z"
                )])),
            ),
            change(
                3,
                Some(json!([head_check_run(
                    "build",
                    "FAILURE",
                    "2026-11-20T09:30:00Z"
                )])),
            ),
            change(
                2,
                Some(json!([head_check_run(
                    "lint",
                    "SUCCESS",
                    "2026-11-20T09:30:00Z"
                )])),
            ),
            change(1, None),
        ],
    );
    let (code, report, stderr) = gh.verify(POLICY, &["--range", &range()]);
    assert_eq!(code, 1, "{stderr}");
    let rc = control(&report, "required-checks");
    assert_eq!(rc["status"], "error", "{rc}");
    let mut found = codes(&report, "required-checks");
    found.sort();
    assert_eq!(
        found,
        [
            "required-checks/change-check-failed",
            "required-checks/change-check-missing",
            "required-checks/change-checked-after-merge",
            "required-checks/change-checks-unreadable",
        ]
    );
    // Every finding names its change, what was required and what was found.
    for f in rc["findings"].as_array().unwrap() {
        let message = f["message"].as_str().unwrap();
        assert!(f["subject"]["id"].as_str().unwrap().starts_with('#'), "{f}");
        if f["code"] != "required-checks/change-checks-unreadable" {
            assert!(
                message.contains("expected") && message.contains("got"),
                "{message}"
            );
        }
    }
    // One record per merged change, the passing one included, with its facts.
    let records = rc["changes"].as_array().unwrap();
    let status_of = |id: &str| {
        records
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no record {id}: {rc}"))["status"]
            .clone()
    };
    assert_eq!(status_of("#5"), "pass");
    for id in ["#1", "#2", "#3", "#4"] {
        assert_eq!(status_of(id), "fail", "{id}");
    }
    let good = records.iter().find(|r| r["id"] == "#5").unwrap();
    assert_eq!(good["head_sha"], format!("{:040x}", 0xa005));
    assert_eq!(good["commits"], json!([HEAD]));
    assert!(
        rc["summary"]
            .as_str()
            .unwrap()
            .contains("5 merged change(s) checked on their reviewed head: 4 failed"),
        "{rc}"
    );
}

/// A change of a range came through a merged pull request: without a merge time its
/// checks cannot be placed before the merge, so it is an error, not a change skipped.
#[test]
fn a_merged_change_without_a_merge_time_is_an_error_not_skipped() {
    let gh = MockGitHub::start();
    let mut undated = change(5, Some(before()));
    undated["mergedAt"] = Value::Null;
    mount(&gh, vec![undated]);
    let (code, report, stderr) = gh.verify(POLICY, &["--range", &range()]);
    assert_eq!(code, 1, "{stderr}");
    let rc = control(&report, "required-checks");
    assert_eq!(rc["status"], "error", "{rc}");
    assert_eq!(
        codes(&report, "required-checks"),
        ["required-checks/change-checks-unreadable"]
    );
    assert!(
        rc["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no merge time"),
        "{rc}"
    );
}

#[test]
fn a_change_whose_head_passed_in_time_passes_and_the_summary_tables_it() {
    let gh = MockGitHub::start();
    mount(
        &gh,
        vec![change(5, Some(before())), change(4, Some(before()))],
    );
    let dir = super::support::tempdir();
    let summary = dir.path().join("summary.md");
    let (code, report, stderr) = gh.verify(
        POLICY,
        &[
            "--range",
            &range(),
            "--format",
            &format!("markdown={}", summary.display()),
        ],
    );
    let failing: Vec<&Value> = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] != "pass")
        .collect();
    assert_eq!(code, 0, "{stderr}{failing:?}");
    let rc = control(&report, "required-checks");
    assert_eq!(rc["status"], "pass", "{rc}");
    assert_eq!(rc["changes"].as_array().unwrap().len(), 2);
    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert!(
        markdown.contains("### Required checks: changes (2)"),
        "{markdown}"
    );
}

/// A status posted under the name of a check the branch pins to an app does not stand
/// in for that app's check run on the head either.
#[test]
fn a_status_under_a_pinned_checks_name_does_not_pass_a_change() {
    let gh = MockGitHub::start();
    let status = json!([{"__typename": "StatusContext", "context": "build", "state": "SUCCESS",
        "createdAt": "2026-11-20T09:30:00Z", "targetUrl": null}]);
    // Pin `build` to GitHub Actions in the ruleset (mounted first: the first match answers).
    gh.get(
        "/repos/acme/ledger/rules/branches/main",
        200,
        json!([{"type": "required_status_checks", "ruleset_id": 42, "parameters": {
            "required_status_checks": [{"context": "build", "integration_id": 15368}],
            "strict_required_status_checks_policy": false}}]),
    );
    mount(&gh, vec![change(5, Some(status))]);
    let (code, report, stderr) =
        gh.verify("version: 1\nrequired_checks: {}\n", &["--range", &range()]);
    assert_eq!(code, 1, "{stderr}");
    let rc = control(&report, "required-checks");
    let messages: Vec<&str> = rc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "required-checks/change-check-missing")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 1, "{report}");
    assert!(messages[0].contains("app 15368"), "{}", messages[0]);
}

/// A change's failure is waivable by its id, like peer review's, and the record says so.
#[test]
fn a_waiver_for_one_change_waives_its_record_only() {
    let gh = MockGitHub::start();
    let red = json!([head_check_run("build", "FAILURE", "2026-11-20T09:30:00Z")]);
    mount(
        &gh,
        vec![change(5, Some(red.clone())), change(4, Some(red))],
    );
    let expires = (time::OffsetDateTime::now_utc() + time::Duration::days(30)).date();
    let policy = format!(
        "{POLICY}exceptions:\n  - control: required-checks\n    match: {{id: \"#4\", code: required-checks/change-check-failed}}\n    reason: flaky runner, re-run green in INC-9\n    owner: release-eng\n    expires: {expires}\n"
    );
    let (code, report, stderr) = gh.verify(&policy, &["--range", &range()]);
    assert_eq!(code, 1, "{stderr}");
    let records = control(&report, "required-checks")["changes"]
        .as_array()
        .unwrap()
        .clone();
    let status_of = |id: &str| records.iter().find(|r| r["id"] == id).unwrap()["status"].clone();
    assert_eq!(status_of("#4"), "waived");
    assert_eq!(status_of("#5"), "fail");
}
