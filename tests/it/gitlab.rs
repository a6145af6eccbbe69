//! GitLab evidence against a mock GitLab on loopback (wiremock): REST answers shaped
//! like GitLab's documented ones, one scenario per finding, the job-token case and the
//! faults. No test touches the network.

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use super::github::{BASE, HEAD, MID, MockGitHub};
use super::support::{
    codes, control, corpus, errors, run, schema, skip, status, tempdir, vouch, write,
};

/// The project's API path (`acme/ledger`, URL-encoded as GitLab takes it).
const P: &str = "/api/v4/projects/acme%2Fledger";
pub const CANARY: &str = "glpat-CANARY0123456789abcdefCANARY";
const JOB_CANARY: &str = "glcbt-CANARYJOB0123456789abcdefCANARY";

const POLICY: &str = "version: 1
branch_protection: {}
peer_review: {}
required_checks:
  checks: [build, test]
";

/// A mock GitLab: the mock server, and what a scenario mounted.
struct Lab {
    mock: MockGitHub,
}

/// One merge request of a scenario.
#[derive(Clone)]
struct Mr {
    iid: u64,
    /// The commit it put on the branch (its merge commit).
    merge: &'static str,
    head: String,
    author: &'static str,
    approvals: Vec<(&'static str, &'static str, &'static str)>,
    versions: Vec<(String, &'static str)>,
    commits: Vec<Value>,
    jobs: Vec<(&'static str, &'static str)>,
    /// In the branch's list of merged merge requests (else found by its commit).
    listed: bool,
}

impl Mr {
    fn good(iid: u64, merge: &'static str, author: &'static str, approver: &'static str) -> Mr {
        let head = format!("{iid:0>40}");
        Mr {
            iid,
            merge,
            head: head.clone(),
            author,
            approvals: vec![(approver, "Approver Person", "2026-11-20T09:00:00Z")],
            versions: vec![(head.clone(), "2026-11-20T08:00:00Z")],
            commits: vec![commit(
                &head,
                &[],
                author,
                &format!("{author}@example.com"),
                "Change",
            )],
            jobs: vec![("build", "success"), ("test", "success")],
            listed: true,
        }
    }
}

fn commit(sha: &str, parents: &[&str], name: &str, email: &str, message: &str) -> Value {
    json!({
        "id": sha, "short_id": &sha[..8], "title": message.lines().next().unwrap_or(""),
        "message": message, "parent_ids": parents,
        "author_name": name, "author_email": email,
        "committer_name": name, "committer_email": email,
        "created_at": "2026-11-20T07:00:00Z", "committed_date": "2026-11-20T10:00:00Z"
    })
}

fn user(username: &str) -> Value {
    json!({"id": username.len(), "username": username, "name": format!("{username} name"), "state": "active"})
}

impl Lab {
    fn start() -> Lab {
        Lab {
            mock: MockGitHub::start(),
        }
    }

    fn get(&self, p: &str, status: u16, body: Value) {
        self.mock.get(p, status, body);
    }

    /// Protection a well-run project has: nobody pushes, no force push, one approval
    /// required by a rule for every protected branch, approvals reset on push, neither
    /// authors nor committers approve, rules locked.
    fn good_protection(&self) {
        self.get(
            &format!("{P}/protected_branches"),
            200,
            json!([{
                "id": 1, "name": "main",
                "push_access_levels": [{"id": 1, "access_level": 0, "access_level_description": "No one", "user_id": null, "group_id": null}],
                "merge_access_levels": [{"id": 2, "access_level": 40, "access_level_description": "Maintainers"}],
                "allow_force_push": false, "code_owner_approval_required": false
            }]),
        );
        self.get(
            &format!("{P}/approvals"),
            200,
            json!({
                "approvers": [], "approver_groups": [], "approvals_before_merge": 1,
                "reset_approvals_on_push": true, "selective_code_owner_removals": false,
                "disable_overriding_approvers_per_merge_request": true,
                "merge_requests_author_approval": false,
                "merge_requests_disable_committers_approval": true,
                "require_password_to_approve": false
            }),
        );
        self.get(
            &format!("{P}/approval_rules"),
            200,
            json!([{"id": 1, "name": "reviewers", "rule_type": "regular", "approvals_required": 1,
                     "applies_to_all_protected_branches": true, "protected_branches": []}]),
        );
        self.get(
            &format!("{P}/push_rule"),
            200,
            json!({"id": 1, "reject_unsigned_commits": false}),
        );
        self.get(
            P,
            200,
            json!({"id": 7, "path_with_namespace": "acme/ledger", "default_branch": "main",
                   "merge_method": "merge", "only_allow_merge_if_pipeline_succeeds": true}),
        );
    }

    /// The first-parent history HEAD → MID → BASE, each a merge commit of `mrs[i]`
    /// (a commit with no merge request is a direct push).
    fn history(&self, mrs: &[Option<Mr>]) {
        let shas = [HEAD, MID];
        let parents = [MID, BASE];
        let list: Vec<Value> = shas
            .iter()
            .zip(parents)
            .map(|(sha, parent)| {
                commit(
                    sha,
                    &[parent, "9999999999999999999999999999999999999999"],
                    "Merger",
                    "merger@example.com",
                    "Merge branch",
                )
            })
            .collect();
        self.get(&format!("{P}/repository/commits"), 200, json!(list.clone()));
        // Each commit on its own (the base dates the listing of merged merge requests).
        for (sha, shown) in shas.iter().zip(&list) {
            self.get(&format!("{P}/repository/commits/{sha}"), 200, shown.clone());
        }
        let mut base = commit(BASE, &[], "Base", "base@example.com", "Base");
        base["committed_date"] = json!("2026-11-01T10:00:00Z");
        self.get(&format!("{P}/repository/commits/{BASE}"), 200, base);
        let mut merged = Vec::new();
        for (sha, mr) in shas.iter().zip(mrs) {
            let listed = match mr {
                Some(mr) => vec![json!({
                    "id": 100 + mr.iid, "iid": mr.iid, "project_id": 7, "title": format!("Change {}", mr.iid),
                    "state": "merged", "target_branch": "main", "source_branch": "feature",
                    "sha": mr.head, "merge_commit_sha": mr.merge, "squash_commit_sha": null,
                    "author": user(mr.author), "merge_user": user("merger"),
                    "merged_at": "2026-11-20T10:00:00Z", "created_at": "2026-11-19T10:00:00Z",
                    "updated_at": "2026-11-20T10:00:00Z"
                })],
                None => vec![],
            };
            if mr.as_ref().is_some_and(|m| m.listed) {
                merged.extend(listed.iter().cloned());
            }
            self.get(
                &format!("{P}/repository/commits/{sha}/merge_requests"),
                200,
                json!(listed),
            );
            if let Some(mr) = mr {
                self.merge_request(mr);
            }
        }
        self.get(&format!("{P}/merge_requests"), 200, json!(merged));
        // The project's recent pipelines: the merge requests' heads (a listing without
        // `sha`; the per-SHA answers above win where they match).
        let pipelines: Vec<Value> = mrs
            .iter()
            .flatten()
            .map(|mr| json!({"id": 400 + mr.iid, "sha": mr.head, "ref": format!("refs/merge-requests/{}/head", mr.iid), "status": "success"}))
            .collect();
        self.mock.mount(
            Mock::given(method("GET"))
                .and(path(format!("{P}/pipelines")))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!(pipelines)))
                .with_priority(6),
        );
        self.pipeline(HEAD, 500, &[("build", "success"), ("test", "success")]);
    }

    fn merge_request(&self, mr: &Mr) {
        let base = format!("{P}/merge_requests/{}", mr.iid);
        self.get(&format!("{base}/commits"), 200, json!(mr.commits));
        let approved: Vec<Value> = mr
            .approvals
            .iter()
            .map(|(u, name, at)| {
                let mut who = user(u);
                who["name"] = json!(name);
                json!({"user": who, "approved_at": at})
            })
            .collect();
        self.get(
            &format!("{base}/approvals"),
            200,
            json!({"id": 100 + mr.iid, "iid": mr.iid, "approvals_required": 1, "approved_by": approved}),
        );
        let versions: Vec<Value> = mr
            .versions
            .iter()
            .enumerate()
            .map(|(i, (head, at))| {
                json!({"id": i + 1, "head_commit_sha": head, "base_commit_sha": BASE,
                       "start_commit_sha": BASE, "created_at": at, "merge_request_id": 100 + mr.iid,
                       "state": "collected", "real_size": "1"})
            })
            .collect();
        self.get(&format!("{base}/versions"), 200, json!(versions));
        let mr_ref = format!("refs/merge-requests/{}/head", mr.iid);
        self.pipeline_on(&mr.head, &mr_ref, 400 + mr.iid, &mr.jobs);
    }

    /// Pipeline `id` on `sha` with `jobs` (name, status).
    fn pipeline(&self, sha: &str, id: u64, jobs: &[(&str, &str)]) {
        self.pipeline_on(sha, "main", id, jobs);
    }

    /// Pipeline `id` on `sha` for `git_ref` with `jobs` (name, status).
    fn pipeline_on(&self, sha: &str, git_ref: &str, id: u64, jobs: &[(&str, &str)]) {
        self.mock.mount(
            Mock::given(method("GET"))
                .and(path(format!("{P}/pipelines")))
                .and(query_param("sha", sha))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
                    "id": id, "iid": id, "project_id": 7, "sha": sha, "ref": git_ref,
                    "status": "success", "source": "push", "created_at": "2026-11-20T08:30:00Z"
                }]))),
        );
        let listed: Vec<Value> = jobs
            .iter()
            .enumerate()
            .map(|(i, (name, st))| {
                json!({"id": id * 10 + i as u64, "name": name, "status": st, "stage": "test",
                       "allow_failure": false, "finished_at": "2026-11-20T08:45:00Z",
                       "web_url": format!("https://gitlab.example/acme/ledger/-/jobs/{}", id * 10 + i as u64),
                       "pipeline": {"id": id, "sha": sha}})
            })
            .collect();
        self.get(&format!("{P}/pipelines/{id}/jobs"), 200, json!(listed));
    }

    /// Runs `vouch verify --forge gitlab` with a project token; (code, report, stderr).
    fn verify(&self, policy: &str, extra: &[&str]) -> (i32, Value, String) {
        self.verify_with(policy, extra, &[("GITLAB_TOKEN", CANARY)])
    }

    fn verify_with(
        &self,
        policy: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> (i32, Value, String) {
        let dir = tempdir();
        let policy = write(dir.path(), "vouch.yaml", policy);
        let mut cmd = vouch();
        cmd.arg("verify")
            .arg("--policy")
            .arg(&policy)
            .args([
                "--forge",
                "gitlab",
                "--repo",
                "acme/ledger",
                "--branch",
                "main",
            ])
            .args(["--commit", HEAD, "--range", &format!("{BASE}..{HEAD}")])
            .args(["--api-url", &format!("{}/api/v4", self.mock.server.uri())])
            .args(["--format", "json"])
            .args(extra);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let (code, stdout, stderr) = run(&mut cmd);
        let report: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
        let errs = errors(&schema("schemas/report.schema.json"), &report);
        assert!(errs.is_empty(), "{errs:?}\n{report}");
        (code, report, stderr)
    }
}

/// A scenario: good protection, MR 12 (alice, approved by bob) and MR 11 (carol,
/// approved by dave), each with passing jobs; `edit` changes it first.
fn scenario(edit: impl FnOnce(&mut [Option<Mr>; 2])) -> Lab {
    let lab = Lab::start();
    lab.good_protection();
    let mut mrs = [
        Some(Mr::good(12, HEAD, "alice", "bob")),
        Some(Mr::good(11, MID, "carol", "dave")),
    ];
    edit(&mut mrs);
    lab.history(&mrs);
    lab
}

fn change<'a>(report: &'a Value, control_id: &str, id: &str) -> &'a Value {
    control(report, control_id)["changes"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no change {id} in {control_id}: {report}"))
}

fn rule_status<'a>(change: &'a Value, rule: &str) -> &'a str {
    change["rules"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["rule"] == rule))
        .and_then(|r| r["status"].as_str())
        .unwrap_or_else(|| panic!("no rule {rule}: {change}"))
}

#[test]
fn a_clean_gitlab_range_passes_every_forge_control() {
    let lab = scenario(|_| {});
    let (code, report, stderr) = lab.verify(POLICY, &[]);
    assert_eq!(code, 0, "{report}\n{stderr}");
    for id in ["branch-protection", "peer-review", "required-checks"] {
        assert_eq!(status(&report, id), "pass", "{id}: {report}");
    }
    let mr12 = change(&report, "peer-review", "!12");
    assert_eq!(mr12["kind"], "pull-request", "{mr12}");
    assert_eq!(mr12["merged_by"], "merger");
    assert_eq!(mr12["approvals"][0]["reviewer"], "bob");
    assert_eq!(mr12["approvals"][0]["counted"], true);
    assert_eq!(rule_status(mr12, "peer-review/stale-approval"), "pass");
    assert_eq!(
        rule_status(
            change(&report, "required-checks", "!11"),
            "required-checks/change-check-failed"
        ),
        "pass"
    );
    // The canary never leaves the process.
    let text = report.to_string();
    assert!(!text.contains(CANARY) && !stderr.contains(CANARY));
    // The token went as PRIVATE-TOKEN, and nowhere else.
    let requests = lab.mock.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(
            r.headers.get("private-token").and_then(|v| v.to_str().ok()),
            Some(CANARY),
            "{}",
            r.url
        );
        assert!(r.headers.get("authorization").is_none());
        assert!(!r.url.as_str().contains(CANARY));
    }
}

#[test]
fn self_approval_committer_and_co_author_approvals_do_not_count() {
    // MR 12 approved by its author; MR 11 by someone who committed to it (same e-mail
    // as the approver's public e-mail) and by a co-author (same name as the approver).
    let lab = scenario(|mrs| {
        let mr12 = mrs[0].as_mut().unwrap();
        mr12.approvals = vec![("alice", "Alice A", "2026-11-20T09:00:00Z")];
        let mr11 = mrs[1].as_mut().unwrap();
        let head = mr11.head.clone();
        mr11.commits = vec![
            commit(
                &head,
                &[],
                "carol",
                "carol@example.com",
                "Change\n\nCo-authored-by: Erin Example <erin@example.com>",
            ),
            json!({"id": "5".repeat(40), "title": "fixup", "message": "fixup", "parent_ids": [],
                   "author_name": "carol", "author_email": "carol@example.com",
                   "committer_name": "Dave D", "committer_email": "dave@example.com"}),
        ];
        mr11.approvals = vec![
            ("dave", "Dave D", "2026-11-20T09:00:00Z"),
            ("erin", "Erin Example", "2026-11-20T09:00:00Z"),
        ];
    });
    let (code, report, _) = lab.verify(POLICY, &[]);
    assert_eq!(code, 1, "{report}");
    let findings = codes(&report, "peer-review");
    assert!(
        findings.contains(&"peer-review/self-approved".to_string()),
        "{findings:?}"
    );
    assert!(
        findings.contains(&"peer-review/approved-by-contributor".to_string()),
        "{findings:?}"
    );
    let mr11 = change(&report, "peer-review", "!11");
    assert_eq!(
        rule_status(mr11, "peer-review/approved-by-contributor"),
        "fail"
    );
    // Neither approval counted (the rule that refused them is the finding).
    for approval in mr11["approvals"].as_array().unwrap() {
        assert_eq!(approval["counted"], false, "{mr11}");
    }
    assert_eq!(
        rule_status(
            change(&report, "peer-review", "!12"),
            "peer-review/self-approved"
        ),
        "fail"
    );
}

#[test]
fn an_approval_before_the_last_push_is_stale_also_after_a_force_push() {
    let lab = scenario(|mrs| {
        // MR 12: approved at 09:00, then a push at 09:30 that made the merged head.
        let mr12 = mrs[0].as_mut().unwrap();
        let head = mr12.head.clone();
        mr12.versions = vec![
            ("6".repeat(40), "2026-11-20T08:00:00Z"),
            (head, "2026-11-20T09:30:00Z"),
        ];
        // MR 11: its last diff version (a force push) is not the head that was merged.
        let mr11 = mrs[1].as_mut().unwrap();
        mr11.versions = vec![("7".repeat(40), "2026-11-20T08:00:00Z")];
    });
    let (code, report, _) = lab.verify(POLICY, &[]);
    assert_eq!(code, 1);
    for id in ["!12", "!11"] {
        assert_eq!(
            rule_status(
                change(&report, "peer-review", id),
                "peer-review/stale-approval"
            ),
            "fail",
            "{id}"
        );
    }
}

#[test]
fn too_few_approvals_and_a_direct_push_fail() {
    let lab = scenario(|mrs| {
        mrs[1] = None;
    });
    let policy =
        "version: 1\nbranch_protection: {min_approvals: 2}\npeer_review: {min_approvals: 2}\n";
    let (code, report, _) = lab.verify(policy, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        codes(&report, "branch-protection"),
        ["branch-protection/too-few-approvals"]
    );
    let findings = codes(&report, "peer-review");
    assert!(
        findings.contains(&"peer-review/direct-push".to_string()),
        "{findings:?}"
    );
    assert!(
        findings.contains(&"peer-review/not-approved".to_string()),
        "{findings:?}"
    );
    assert_eq!(
        rule_status(
            change(&report, "peer-review", MID),
            "peer-review/direct-push"
        ),
        "fail"
    );
}

/// Protection with one thing changed, the branch-protection codes it gives.
fn protection_codes(branches: Value) -> Vec<String> {
    let lab = Lab::start();
    lab.get(&format!("{P}/protected_branches"), 200, branches);
    lab.good_protection();
    let (_, report, _) = lab.verify("version: 1\nbranch_protection: {}\n", &[]);
    codes(&report, "branch-protection")
}

#[test]
fn developers_pushing_force_pushes_and_an_unprotected_branch_fail() {
    let entry = |push: Value, force: bool| {
        json!([{"id": 1, "name": "main", "push_access_levels": push,
                "merge_access_levels": [], "allow_force_push": force,
                "code_owner_approval_required": false}])
    };
    let codes_of = protection_codes(entry(json!([{"access_level": 30}]), false));
    assert!(
        codes_of.contains(&"branch-protection/pull-request-not-required".into()),
        "{codes_of:?}"
    );
    assert_eq!(
        protection_codes(entry(json!([{"access_level": 0}]), true)),
        ["branch-protection/force-push-allowed"]
    );
    assert_eq!(
        protection_codes(entry(
            json!([{"access_level": 0}, {"access_level": 40, "user_id": 5}]),
            false
        )),
        ["branch-protection/bypass-allowed"]
    );
    // Only `release/*` is protected: `main` is not.
    let unprotected = protection_codes(json!([{"id": 3, "name": "release/*",
        "push_access_levels": [{"access_level": 0}], "allow_force_push": false}]));
    for code in [
        "pull-request-not-required",
        "force-push-allowed",
        "deletion-allowed",
    ] {
        assert!(
            unprotected.contains(&format!("branch-protection/{code}")),
            "{unprotected:?}"
        );
    }
    // A wildcard entry that matches protects the branch.
    assert!(
        protection_codes(
            json!([{"id": 3, "name": "ma*", "push_access_levels": [{"access_level": 0}],
            "allow_force_push": false}])
        )
        .is_empty()
    );
}

#[test]
fn gitlab_only_settings_are_checked_when_the_policy_asks() {
    let lab = Lab::start();
    lab.get(
        &format!("{P}/approvals"),
        200,
        json!({"reset_approvals_on_push": false, "merge_requests_author_approval": true,
               "merge_requests_disable_committers_approval": false,
               "disable_overriding_approvers_per_merge_request": false}),
    );
    lab.good_protection();
    let policy = "version: 1\nbranch_protection: {forbid_author_approval: true, forbid_committer_approval: true, forbid_rule_override: true}\n";
    let (_, report, _) = lab.verify(policy, &[]);
    assert_eq!(
        codes(&report, "branch-protection"),
        [
            "branch-protection/author-can-approve",
            "branch-protection/committers-can-approve",
            "branch-protection/rules-overridable",
            "branch-protection/stale-reviews-kept",
            "branch-protection/too-few-approvals",
        ]
    );
}

#[test]
fn a_failed_or_missing_required_job_or_another_sha_fails_required_checks() {
    let failed = scenario(|mrs| {
        mrs[0].as_mut().unwrap().jobs = vec![("build", "success"), ("test", "failed")];
    });
    let (code, report, _) = failed.verify(POLICY, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rule_status(
            change(&report, "required-checks", "!12"),
            "required-checks/change-check-failed"
        ),
        "fail"
    );
    let missing = scenario(|mrs| {
        mrs[1].as_mut().unwrap().jobs = vec![("build", "success")];
    });
    let (_, report, _) = missing.verify(POLICY, &[]);
    assert_eq!(
        rule_status(
            change(&report, "required-checks", "!11"),
            "required-checks/change-check-missing"
        ),
        "fail"
    );
    // A pipeline answered for another commit is not the commit's.
    let lab = scenario(|_| {});
    lab.mock.mount(
        Mock::given(method("GET"))
            .and(path(format!("{P}/pipelines")))
            .and(query_param("sha", HEAD))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": 9, "sha": MID}])))
            .with_priority(1),
    );
    let (_, report, _) = lab.verify(POLICY, &[]);
    assert_eq!(status(&report, "required-checks"), "error", "{report}");
    assert_eq!(
        codes(&report, "required-checks"),
        ["required-checks/unreadable"]
    );
}

#[test]
fn a_job_token_is_told_apart_and_every_refused_read_says_what_token_would_do() {
    // GitLab answers a job token's reads outside its allow list with 403 or 404.
    let lab = Lab::start();
    for route in [
        "protected_branches",
        "approvals",
        "approval_rules",
        "push_rule",
        "repository/commits",
    ] {
        lab.get(
            &format!("{P}/{route}"),
            404,
            json!({"message": "404 Project Not Found"}),
        );
    }
    lab.get(P, 403, json!({"message": "403 Forbidden"}));
    lab.get(
        &format!("{P}/pipelines"),
        403,
        json!({"message": "403 Forbidden"}),
    );
    let (code, report, stderr) = lab.verify_with(POLICY, &[], &[("CI_JOB_TOKEN", JOB_CANARY)]);
    assert_eq!(code, 1, "{report}");
    for id in ["branch-protection", "peer-review", "required-checks"] {
        assert_eq!(status(&report, id), "error", "{id}: {report}");
        let text = control(&report, id).to_string();
        assert!(
            text.contains("CI_JOB_TOKEN") && text.contains("read_api"),
            "{id}: {text}"
        );
    }
    assert!(!report.to_string().contains(JOB_CANARY) && !stderr.contains(JOB_CANARY));
    for r in lab.mock.requests() {
        assert_eq!(
            r.headers.get("job-token").and_then(|v| v.to_str().ok()),
            Some(JOB_CANARY)
        );
        assert!(r.headers.get("private-token").is_none());
    }
}

#[test]
fn in_gitlab_ci_the_project_branch_and_range_come_from_the_pipeline() {
    let lab = scenario(|_| {});
    let dir = tempdir();
    let policy = write(dir.path(), "vouch.yaml", POLICY);
    let uri = lab.mock.server.uri();
    let mut cmd = vouch();
    cmd.args(["verify", "--format", "json", "-vv"])
        .arg("--policy")
        .arg(&policy)
        .envs([
            ("GITLAB_CI", "true"),
            ("CI_API_V4_URL", format!("{uri}/api/v4").as_str()),
            ("CI_PROJECT_PATH", "acme/ledger"),
            ("CI_COMMIT_SHA", HEAD),
            ("CI_COMMIT_BEFORE_SHA", BASE),
            ("CI_COMMIT_BRANCH", "main"),
            ("CI_PIPELINE_SOURCE", "push"),
            ("GITLAB_TOKEN", CANARY),
            ("CI_JOB_TOKEN", JOB_CANARY),
        ]);
    let (code, stdout, stderr) = run(&mut cmd);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        control(&report, "peer-review")["summary"]
            .as_str()
            .unwrap()
            .contains("push pipeline (CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA) on main"),
        "{report}"
    );
    // Neither token, at -vv, in any output.
    for secret in [CANARY, JOB_CANARY] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
    }
}

/// Every GitLab route, and a fault on it, fails closed: the control that needs it is
/// `error`, never `pass`.
#[test]
fn every_gitlab_route_fails_closed_on_every_fault() {
    let routes: Vec<(String, &str)> = vec![
        (format!("{P}/protected_branches"), "branch-protection"),
        (format!("{P}/approvals"), "branch-protection"),
        (format!("{P}/approval_rules"), "branch-protection"),
        (format!("{P}/repository/commits"), "peer-review"),
        (format!("{P}/repository/commits/{BASE}"), "peer-review"),
        (format!("{P}/merge_requests"), "peer-review"),
        (
            format!("{P}/repository/commits/{MID}/merge_requests"),
            "peer-review",
        ),
        (format!("{P}/pipelines"), "required-checks"),
        (format!("{P}/merge_requests/12/approvals"), "peer-review"),
        (format!("{P}/merge_requests/12/versions"), "peer-review"),
        (format!("{P}/merge_requests/12/commits"), "peer-review"),
        (format!("{P}/pipelines/500/jobs"), "required-checks"),
    ];
    let faults: Vec<(&str, ResponseTemplate)> = vec![
        (
            "401",
            ResponseTemplate::new(401).set_body_json(json!({"message": "401 Unauthorized"})),
        ),
        (
            "403",
            ResponseTemplate::new(403).set_body_json(json!({"message": "403 Forbidden"})),
        ),
        (
            "404",
            ResponseTemplate::new(404).set_body_json(json!({"message": "404 Not found"})),
        ),
        (
            "429",
            ResponseTemplate::new(429).insert_header("retry-after", "0"),
        ),
        ("500", ResponseTemplate::new(500)),
        (
            "truncated",
            ResponseTemplate::new(200).set_body_raw(b"[{\"id\": 1".to_vec(), "application/json"),
        ),
        (
            "wrong shape",
            ResponseTemplate::new(200).set_body_json(json!({})),
        ),
        (
            "timeout",
            ResponseTemplate::new(200)
                .set_body_json(json!([]))
                .set_delay(std::time::Duration::from_secs(30)),
        ),
    ];
    for (route, owner) in &routes {
        for (name, fault) in &faults {
            // MR 11 is not in the branch's listing: it is found by its commit.
            let lab = scenario(|mrs| mrs[1].as_mut().unwrap().listed = false);
            lab.mock.mount(
                Mock::given(method("GET"))
                    .and(path(route.as_str()))
                    .respond_with(fault.clone())
                    .with_priority(1),
            );
            let extra: &[&str] = if *name == "timeout" {
                &["--forge-deadline", "2"]
            } else {
                &[]
            };
            let (code, report, _) = lab.verify(POLICY, extra);
            assert_eq!(code, 1, "{route} × {name}: {report}");
            assert_eq!(
                status(&report, owner),
                "error",
                "{route} × {name}: {report}"
            );
        }
    }
}

#[test]
fn gitlabs_documented_examples_are_read_as_documented() {
    let Some(root) = corpus() else {
        return skip("gitlab-api corpus");
    };
    let read = |rel: &str| -> Value {
        let text = std::fs::read_to_string(root.join("gitlab-api").join(rel)).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    // The premium list: `main` pushable by Maintainers and a deploy key, force push off.
    let lab = Lab::start();
    lab.get(
        &format!("{P}/protected_branches"),
        200,
        read("protected_branches/list-protected-branches-premium.json"),
    );
    lab.get(
        &format!("{P}/approval_rules"),
        200,
        read("merge_request_approvals/get-project-level-rules.json"),
    );
    lab.good_protection();
    let (_, report, _) = lab.verify("version: 1\nbranch_protection: {}\n", &[]);
    let found = codes(&report, "branch-protection");
    assert_eq!(found, ["branch-protection/bypass-allowed"], "{report}");
    assert!(
        control(&report, "branch-protection")["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("deploy key 1 may push")
    );
}

#[test]
fn saved_gitlab_evidence_is_replayed_offline_to_the_same_verdict() {
    let dir = tempdir();
    let out = dir.path().join("evidence");
    let original = dir.path().join("original.json");
    {
        let lab = scenario(|mrs| {
            mrs[0].as_mut().unwrap().jobs = vec![("build", "success"), ("test", "failed")];
        });
        let (code, _, stderr) = lab.verify_with(
            POLICY,
            &[
                "--evidence-out",
                out.to_str().unwrap(),
                "--format",
                &format!("json={}", original.display()),
            ],
            &[("CI_JOB_TOKEN", JOB_CANARY), ("GITLAB_TOKEN", CANARY)],
        );
        assert_eq!(code, 1, "{stderr}");
        // The mock stops here: the replay cannot reach it.
    }
    let transcript = std::fs::read_to_string(out.join("forge-transcript.json")).unwrap();
    assert!(!transcript.contains(CANARY) && !transcript.contains(JOB_CANARY));
    let evidence = std::fs::read_to_string(out.join("evidence.json")).unwrap();
    assert!(!evidence.contains(CANARY) && !evidence.contains(JOB_CANARY));
    let (code, stdout, stderr) = run(vouch().arg("evaluate").arg(&out).args(["--format", "json"]));
    assert_eq!(code, 1, "{stderr}");
    let replay: Value = serde_json::from_str(&stdout).unwrap();
    let original: Value =
        serde_json::from_str(&std::fs::read_to_string(&original).unwrap()).unwrap();
    assert_eq!(replay["controls"], original["controls"]);
}

#[test]
fn on_a_public_project_a_job_token_reads_what_it_may_and_the_rest_is_refused() {
    // Public project: the history and pipelines are readable with a job token; the
    // merge request's approvals, versions and commits, and the settings, are not.
    let lab = scenario(|_| {});
    for route in [
        "protected_branches".to_string(),
        "approvals".into(),
        "approval_rules".into(),
        "merge_requests/12/approvals".into(),
        "merge_requests/12/versions".into(),
        "merge_requests/12/commits".into(),
        "merge_requests/11/approvals".into(),
        "merge_requests/11/versions".into(),
        "merge_requests/11/commits".into(),
    ] {
        lab.mock.mount(
            Mock::given(method("GET"))
                .and(path(format!("{P}/{route}")))
                .respond_with(
                    ResponseTemplate::new(403).set_body_json(json!({"message": "403 Forbidden"})),
                )
                .with_priority(1),
        );
    }
    let (code, report, _) = lab.verify_with(POLICY, &[], &[("CI_JOB_TOKEN", JOB_CANARY)]);
    assert_eq!(code, 1);
    for id in ["branch-protection", "peer-review"] {
        assert_eq!(status(&report, id), "error", "{id}: {report}");
        let text = control(&report, id).to_string();
        assert!(text.contains("read_api"), "{id}: {text}");
    }
    let text = control(&report, "peer-review").to_string();
    assert!(text.contains("commits of merge request !1"), "{text}");
}

#[test]
fn maintainers_pushing_an_entry_without_levels_and_rules_that_do_not_bind_are_caught() {
    let entry = |push: Value| {
        json!([{"id": 1, "name": "main", "push_access_levels": push,
                "merge_access_levels": [], "allow_force_push": false}])
    };
    // Maintainers may push straight to the branch: that bypasses the merge request.
    assert_eq!(
        protection_codes(entry(
            json!([{"access_level": 40, "access_level_description": "Maintainers"}])
        )),
        ["branch-protection/bypass-allowed"]
    );
    // An entry without push levels, or with an empty list, says nothing: unknown,
    // never "nobody pushes".
    for entry in [
        json!([{"id": 1, "name": "main", "allow_force_push": false}]),
        json!([{"id": 1, "name": "main", "push_access_levels": [], "allow_force_push": false}]),
    ] {
        let lab = Lab::start();
        lab.get(&format!("{P}/protected_branches"), 200, entry);
        lab.good_protection();
        let (_, report, _) = lab.verify("version: 1\nbranch_protection: {}\n", &[]);
        assert_eq!(status(&report, "branch-protection"), "error", "{report}");
    }
    // Report-approver rules and a regular rule nobody is eligible for require nothing.
    let lab = Lab::start();
    lab.get(
        &format!("{P}/approval_rules"),
        200,
        json!([
            {"approvals_required": 2, "rule_type": "report_approver", "applies_to_all_protected_branches": true},
            {"approvals_required": 2, "rule_type": "regular", "eligible_approvers": [], "applies_to_all_protected_branches": true}
        ]),
    );
    lab.good_protection();
    let (_, report, _) = lab.verify("version: 1\nbranch_protection: {}\n", &[]);
    assert_eq!(
        codes(&report, "branch-protection"),
        ["branch-protection/too-few-approvals"]
    );
}

#[test]
fn a_bot_approval_does_not_count_unless_the_policy_allows_bots() {
    let lab = scenario(|mrs| {
        mrs[0].as_mut().unwrap().approvals =
            vec![("project_7_bot_1a2b3c", "ci bot", "2026-11-20T09:00:00Z")];
    });
    let (code, report, _) = lab.verify(POLICY, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rule_status(
            change(&report, "peer-review", "!12"),
            "peer-review/bot-approval"
        ),
        "fail"
    );
}

#[test]
fn a_pagination_link_to_another_origin_is_not_followed_and_the_token_stays_home() {
    let elsewhere = MockGitHub::start();
    let lab = scenario(|_| {});
    lab.mock.mount(
        Mock::given(method("GET"))
            .and(path(format!("{P}/protected_branches")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!([]))
                    .insert_header(
                        "link",
                        format!(
                            "<{}{P}/protected_branches?page=2>; rel=\"next\"",
                            elsewhere.server.uri()
                        )
                        .as_str(),
                    ),
            )
            .with_priority(1),
    );
    let (code, report, _) = lab.verify(POLICY, &[]);
    assert_eq!(code, 1);
    assert_eq!(status(&report, "branch-protection"), "error", "{report}");
    assert!(
        control(&report, "branch-protection")
            .to_string()
            .contains("not followed"),
        "{report}"
    );
    assert!(
        elsewhere.requests().is_empty(),
        "the other origin was asked"
    );
}

#[test]
fn a_pipeline_on_another_ref_does_not_count_for_the_commit() {
    let lab = scenario(|_| {});
    // Someone pointed a branch of their own at the release commit and ran a pipeline.
    lab.mock.mount(
        Mock::given(method("GET"))
            .and(path(format!("{P}/pipelines")))
            .and(query_param("sha", HEAD))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([
                {"id": 900, "sha": HEAD, "ref": "attacker/branch", "status": "success"}
            ])))
            .with_priority(1),
    );
    lab.get(
        &format!("{P}/pipelines/900/jobs"),
        200,
        json!([{"id": 9000, "name": "build", "status": "success", "allow_failure": false},
               {"id": 9001, "name": "test", "status": "success", "allow_failure": false}]),
    );
    let (code, report, _) = lab.verify(POLICY, &[]);
    assert_eq!(code, 1);
    assert!(
        codes(&report, "required-checks").contains(&"required-checks/check-missing".to_string()),
        "{report}"
    );
}

/// A history of single-parent commits HEAD → MID → BASE and the merge requests the
/// branch's listing returns for it.
fn linear(lab: &Lab, mrs: Vec<Value>, mr_commits: &[(u64, Vec<Value>)]) {
    lab.get(
        &format!("{P}/repository/commits"),
        200,
        json!([
            commit(HEAD, &[MID], "alice", "alice@example.com", "Second"),
            commit(MID, &[BASE], "alice", "alice@example.com", "First"),
        ]),
    );
    lab.get(&format!("{P}/merge_requests"), 200, json!(mrs));
    lab.get(
        &format!("{P}/repository/commits/{BASE}"),
        200,
        commit(BASE, &[], "alice", "alice@example.com", "Base"),
    );
    lab.get(
        &format!("{P}/repository/commits/{HEAD}"),
        200,
        commit(HEAD, &[MID], "alice", "alice@example.com", "Second"),
    );
    for sha in [HEAD, MID] {
        lab.get(
            &format!("{P}/repository/commits/{sha}/merge_requests"),
            200,
            json!([]),
        );
    }
    for (iid, commits) in mr_commits {
        let base = format!("{P}/merge_requests/{iid}");
        lab.get(&format!("{base}/commits"), 200, json!(commits));
        lab.get(
            &format!("{base}/approvals"),
            200,
            json!({"approved_by": [{"user": user("bob"), "approved_at": "2026-11-20T09:00:00Z"}]}),
        );
        lab.get(
            &format!("{base}/versions"),
            200,
            json!([{"id": 1, "head_commit_sha": HEAD, "created_at": "2026-11-20T08:00:00Z"}]),
        );
    }
    lab.pipeline(HEAD, 500, &[("build", "success"), ("test", "success")]);
}

fn merged(iid: u64, merge: Option<&str>, squash: Option<&str>, merge_user: bool) -> Value {
    json!({"iid": iid, "title": "Change", "state": "merged", "target_branch": "main",
           "source_branch": "feature", "sha": HEAD, "merge_commit_sha": merge,
           "squash_commit_sha": squash, "author": user("alice"),
           "merge_user": if merge_user { user("merger") } else { Value::Null },
           "merged_at": "2026-11-20T10:00:00Z"})
}

#[test]
fn a_fast_forward_rebase_run_and_a_squash_are_accounted_for_and_a_hand_push_is_not() {
    let policy = "version: 1\npeer_review: {}\n";
    // Fast-forward merge of two rebased commits: both came through !12.
    let lab = Lab::start();
    let both = vec![
        commit(HEAD, &[MID], "alice", "alice@example.com", "Second"),
        commit(MID, &[BASE], "alice", "alice@example.com", "First"),
    ];
    linear(&lab, vec![merged(12, None, None, true)], &[(12, both)]);
    let (code, report, _) = lab.verify(policy, &[]);
    assert_eq!(code, 0, "{report}");
    let record = change(&report, "peer-review", "!12");
    assert_eq!(record["commits"].as_array().unwrap().len(), 2, "{record}");

    // A squash merge puts one commit there; the one below it is a direct push.
    let lab = Lab::start();
    let one = vec![commit(
        &"a".repeat(40),
        &[],
        "alice",
        "alice@example.com",
        "Work",
    )];
    linear(&lab, vec![merged(12, None, Some(HEAD), true)], &[(12, one)]);
    let (code, report, _) = lab.verify(policy, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rule_status(
            change(&report, "peer-review", MID),
            "peer-review/direct-push"
        ),
        "fail"
    );
    assert_eq!(
        rule_status(
            change(&report, "peer-review", "!12"),
            "peer-review/direct-push"
        ),
        "pass"
    );

    // The head pushed to the branch by hand: GitLab marks the merge request merged,
    // with no merge commit and nobody who merged it. That is a direct push.
    let lab = Lab::start();
    linear(&lab, vec![merged(12, None, None, false)], &[]);
    let (code, report, _) = lab.verify(policy, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rule_status(
            change(&report, "peer-review", HEAD),
            "peer-review/direct-push"
        ),
        "fail"
    );
}

#[test]
fn a_rate_limit_with_retry_after_is_waited_out() {
    let lab = scenario(|_| {});
    // Once: 429 with GitLab's headers; then the answer.
    lab.mock.mount(
        Mock::given(method("GET"))
            .and(path(format!("{P}/protected_branches")))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "1")
                    .insert_header("ratelimit-remaining", "0")
                    .set_body_json(json!({"message": "Retry later"})),
            )
            .up_to_n_times(1)
            .with_priority(1),
    );
    let (code, report, _) = lab.verify(POLICY, &[]);
    assert_eq!(code, 0, "{report}");
    let asked = lab
        .mock
        .requests()
        .iter()
        .filter(|r| r.url.path() == format!("{P}/protected_branches"))
        .count();
    assert_eq!(asked, 2);
}

#[test]
fn a_fault_on_the_push_rule_or_the_project_leaves_what_they_decide_unknown() {
    let policy = "version: 1\nbranch_protection: {signed_commits: true, linear_history: true}\n";
    for route in [format!("{P}/push_rule"), P.to_string()] {
        for status_code in [401u16, 403, 500] {
            let lab = Lab::start();
            lab.mock.mount(
                Mock::given(method("GET"))
                    .and(path(route.as_str()))
                    .respond_with(
                        ResponseTemplate::new(status_code)
                            .set_body_json(json!({"message": "refused"})),
                    )
                    .with_priority(1),
            );
            lab.good_protection();
            let (code, report, _) = lab.verify(policy, &[]);
            assert_eq!(code, 1, "{route} × {status_code}");
            assert_eq!(
                status(&report, "branch-protection"),
                "error",
                "{route} × {status_code}: {report}"
            );
            assert!(
                codes(&report, "branch-protection")
                    .contains(&"branch-protection/setting-unknown".to_string()),
                "{report}"
            );
        }
    }
}

#[test]
fn a_merge_request_pipeline_gates_its_merge_request_on_its_own_jobs() {
    let lab = Lab::start();
    lab.good_protection();
    let mut mr = Mr::good(12, HEAD, "alice", "bob");
    mr.head = HEAD.to_string();
    mr.versions = vec![(HEAD.to_string(), "2026-11-20T08:00:00Z")];
    lab.get(
        &format!("{P}/merge_requests/12"),
        200,
        json!({"iid": 12, "title": "Change", "state": "opened", "target_branch": "main",
               "source_branch": "feature", "sha": HEAD, "merge_commit_sha": null,
               "author": user("alice")}),
    );
    lab.merge_request(&mr);
    let dir = tempdir();
    let policy = write(dir.path(), "vouch.yaml", POLICY);
    let uri = lab.mock.server.uri();
    let (code, stdout, stderr) = run(vouch()
        .args(["verify", "--format", "json"])
        .arg("--policy")
        .arg(&policy)
        .envs([
            ("GITLAB_CI", "true"),
            ("CI_API_V4_URL", format!("{uri}/api/v4").as_str()),
            ("CI_PROJECT_PATH", "acme/ledger"),
            ("CI_COMMIT_SHA", HEAD),
            ("CI_COMMIT_BEFORE_SHA", &"0".repeat(40)),
            ("CI_MERGE_REQUEST_IID", "12"),
            ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
            ("CI_PIPELINE_SOURCE", "merge_request_event"),
            ("GITLAB_TOKEN", CANARY),
        ]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    for id in ["branch-protection", "peer-review", "required-checks"] {
        assert_eq!(status(&report, id), "pass", "{id}: {report}");
    }
    assert!(
        control(&report, "peer-review")["summary"]
            .as_str()
            .unwrap()
            .contains("merge request !12"),
        "{report}"
    );
}

#[test]
fn a_base_commit_answered_as_another_commit_is_an_error_not_a_shorter_range() {
    let lab = scenario(|_| {});
    // Answered as MID, the range would shrink to MID..HEAD and MID's change go unread.
    lab.mock.mount(
        Mock::given(method("GET"))
            .and(path(format!("{P}/repository/commits/{BASE}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(commit(
                MID,
                &[BASE],
                "Merger",
                "merger@example.com",
                "Merge branch",
            )))
            .with_priority(1),
    );
    let (code, report, _) = lab.verify(POLICY, &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(status(&report, "peer-review"), "error", "{report}");
    assert!(
        control(&report, "peer-review")
            .to_string()
            .contains(&format!("asked for {BASE}")),
        "{report}"
    );
}
