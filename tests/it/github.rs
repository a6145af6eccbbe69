//! GitHub evidence against a mock GitHub on loopback (wiremock): REST and GraphQL
//! responses shaped like GitHub's, one scenario per finding. No test touches the network.

use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{codes, control, errors, run, schema, status, tempdir, vouch, write};

pub const HEAD: &str = "1111111111111111111111111111111111111111";
pub const MID: &str = "2222222222222222222222222222222222222222";
pub const BASE: &str = "3333333333333333333333333333333333333333";
pub const CANARY: &str = "ghp_CANARY0123456789abcdefCANARY0123456789";

/// A mock GitHub for one test, with its own runtime.
pub struct MockGitHub {
    pub runtime: tokio::runtime::Runtime,
    pub server: MockServer,
    /// How long every answer mounted with [`MockGitHub::get`] / [`MockGitHub::graphql`]
    /// takes, so that requests in flight together overlap.
    latency: Option<std::time::Duration>,
    /// When each request arrived.
    arrivals: std::sync::Arc<std::sync::Mutex<Vec<std::time::Instant>>>,
}

/// Records each request's arrival and matches nothing: mounted first, it sees them all.
struct Arrivals(std::sync::Arc<std::sync::Mutex<Vec<std::time::Instant>>>);

impl wiremock::Match for Arrivals {
    fn matches(&self, _: &wiremock::Request) -> bool {
        self.0.lock().unwrap().push(std::time::Instant::now());
        false
    }
}

impl MockGitHub {
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime.block_on(MockServer::start());
        let gh = MockGitHub {
            runtime,
            server,
            latency: None,
            arrivals: Default::default(),
        };
        gh.mount(
            Mock::given(Arrivals(gh.arrivals.clone()))
                .respond_with(ResponseTemplate::new(599))
                .with_priority(1),
        );
        gh
    }

    /// A mock whose every answer takes `latency`, as a distant forge's would.
    pub fn with_latency(latency: std::time::Duration) -> Self {
        MockGitHub {
            latency: Some(latency),
            ..MockGitHub::start()
        }
    }

    /// Sequential round trips: the longest chain of requests each sent after the
    /// previous one's answer came back (with [`MockGitHub::with_latency`], an answer
    /// comes back `latency` after its request arrived). Requests in flight together
    /// count once; requests sent one after another count each. A count, not a timing:
    /// the latency only has to be long enough for concurrent requests to overlap.
    pub fn round_trips(&self) -> usize {
        let latency = self.latency.expect("round trips need a latency");
        let mut arrivals = self.arrivals.lock().unwrap().clone();
        arrivals.sort();
        let mut chain = 0;
        let mut free_at: Option<std::time::Instant> = None;
        for at in arrivals {
            if free_at.is_none_or(|t| at >= t) {
                chain += 1;
                free_at = Some(at + latency);
            }
        }
        chain
    }

    fn template(&self, status: u16) -> ResponseTemplate {
        let template = ResponseTemplate::new(status);
        match self.latency {
            Some(latency) => template.set_delay(latency),
            None => template,
        }
    }

    pub fn mount(&self, mock: Mock) {
        self.runtime.block_on(mock.mount(&self.server));
    }

    pub fn get(&self, p: &str, status: u16, body: Value) {
        self.mount(
            Mock::given(method("GET"))
                .and(path(p))
                .respond_with(self.template(status).set_body_json(body)),
        );
    }

    pub fn graphql(&self, contains: &str, body: Value) {
        self.mount(
            Mock::given(method("POST"))
                .and(path("/graphql"))
                .and(body_string_contains(contains))
                .respond_with(self.template(200).set_body_json(body)),
        );
    }

    pub fn requests(&self) -> Vec<wiremock::Request> {
        self.runtime
            .block_on(self.server.received_requests())
            .unwrap_or_default()
    }

    /// Runs `vouch verify --forge github` against this mock; returns (code, report, stderr).
    pub fn verify(&self, policy: &str, extra: &[&str]) -> (i32, Value, String) {
        self.verify_at(HEAD, policy, extra)
    }

    /// [`verify`](Self::verify) for the commit `head`.
    pub fn verify_at(&self, head: &str, policy: &str, extra: &[&str]) -> (i32, Value, String) {
        let dir = tempdir();
        let policy = write(dir.path(), "vouch.yaml", policy);
        let mut cmd = vouch();
        cmd.arg("verify")
            .arg("--policy")
            .arg(&policy)
            .args([
                "--forge",
                "github",
                "--repo",
                "acme/ledger",
                "--branch",
                "main",
                "--commit",
                head,
            ])
            .args(["--format", "json"])
            .args(extra)
            .env("GITHUB_API_URL", self.server.uri())
            .env(
                "GITHUB_GRAPHQL_URL",
                format!("{}/graphql", self.server.uri()),
            )
            .env("GITHUB_TOKEN", CANARY);
        let (code, stdout, stderr) = run(&mut cmd);
        let report: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
        // Every forge report keeps the published shape, per-change records included.
        let errs = errors(&schema("schemas/report.schema.json"), &report);
        assert!(errs.is_empty(), "{errs:?}\n{report}");
        assert_records_agree_with_findings(&report);
        (code, report, stderr)
    }
}

/// The peer-review records and findings tell one story: every finding about a change
/// fails (or waives) the rule of its code in that change's record, and a change that
/// fails has a blocking finding.
fn assert_records_agree_with_findings(report: &Value) {
    let Some(pr) = report["controls"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == "peer-review"))
    else {
        return;
    };
    let changes = pr["changes"].as_array().cloned().unwrap_or_default();
    let record = |id: &str| changes.iter().find(|c| c["id"] == id);
    for f in pr["findings"].as_array().unwrap() {
        let Some(id) = f["subject"]["id"].as_str() else {
            continue;
        };
        let change = record(id).unwrap_or_else(|| panic!("no record for {id}: {pr}"));
        let rule = change["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == f["code"])
            .unwrap_or_else(|| panic!("{id} has no rule {}: {change}", f["code"]));
        let expected = if f["waiver"].is_null() {
            "fail"
        } else {
            "waived"
        };
        assert_eq!(rule["status"], expected, "{change}");
    }
    for c in &changes {
        let blocking = pr["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["subject"]["id"] == c["id"] && f["waiver"].is_null());
        assert_eq!(c["status"] == "fail", blocking, "{c}");
    }
}

/// Protection a well-run repository has: a ruleset with every rule, no bypass actors,
/// and classic protection enforced on admins.
pub fn mount_good_protection(gh: &MockGitHub) {
    gh.get("/repos/acme/ledger/rules/branches/main", 200, good_rules());
    gh.get(
        "/repos/acme/ledger/rulesets/42",
        200,
        json!({"id": 42, "name": "main", "enforcement": "active", "bypass_actors": []}),
    );
    gh.get("/repos/acme/ledger/branches/main/protection", 200, json!({
        "url": "https://api.github.com/repos/acme/ledger/branches/main/protection",
        "enforce_admins": {"enabled": true},
        "required_pull_request_reviews": {"required_approving_review_count": 1, "dismiss_stale_reviews": true, "require_code_owner_reviews": false},
        "allow_force_pushes": {"enabled": false},
        "allow_deletions": {"enabled": false}
    }));
}

fn good_rules() -> Value {
    let rule = |kind: &str, parameters: Value| json!({"type": kind, "ruleset_source_type": "Repository", "ruleset_source": "acme/ledger", "ruleset_id": 42, "parameters": parameters});
    json!([
        rule("pull_request", json!({"required_approving_review_count": 1, "dismiss_stale_reviews_on_push": true, "require_code_owner_review": false, "require_last_push_approval": false, "required_review_thread_resolution": false})),
        rule("required_status_checks", json!({"required_status_checks": [{"context": "build"}], "strict_required_status_checks_policy": true})),
        {"type": "non_fast_forward", "ruleset_source_type": "Repository", "ruleset_source": "acme/ledger", "ruleset_id": 42},
        {"type": "deletion", "ruleset_source_type": "Repository", "ruleset_source": "acme/ledger", "ruleset_id": 42}
    ])
}

pub fn mount_checks(gh: &MockGitHub, runs: Value, statuses: Value) {
    gh.get(
        &format!("/repos/acme/ledger/commits/{HEAD}/check-runs"),
        200,
        json!({"total_count": runs.as_array().map_or(0, |a| a.len()), "check_runs": runs}),
    );
    gh.get(
        &format!("/repos/acme/ledger/commits/{HEAD}/status"),
        200,
        json!({"state": "success", "sha": HEAD, "statuses": statuses, "total_count": 0}),
    );
}

pub fn check_run(name: &str, sha: &str, conclusion: &str) -> Value {
    json!({"id": 4, "name": name, "head_sha": sha, "status": "completed", "conclusion": conclusion, "html_url": "https://github.com/acme/ledger/runs/4"})
}

fn user(login: &str) -> Value {
    let kind = if login.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    };
    json!({"login": login, "__typename": kind})
}

fn git_actor(login: &str) -> Value {
    json!({"name": login, "email": format!("{login}@ledger.example"), "user": {"login": login}})
}

/// A merged PR: `author` wrote it (commits by `authors`), `reviews` are (login, state, commit).
pub fn pr(
    number: u64,
    author: &str,
    authors: &[&str],
    head: &str,
    merge: &str,
    reviews: &[(&str, &str, &str)],
) -> Value {
    json!({
        "number": number, "title": format!("Change {number}"), "merged": true, "mergedAt": "2026-11-20T10:00:00Z",
        "baseRefName": "main", "headRefOid": head, "mergeCommit": {"oid": merge},
        "author": user(author), "mergedBy": user("merger"),
        "commits": {"totalCount": 1, "pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": [{"commit": {"oid": head,
            "authors": {"totalCount": authors.len(), "nodes": authors.iter().map(|a| git_actor(a)).collect::<Vec<_>>()},
            "committer": {"name": "GitHub", "email": "noreply@github.com", "user": {"login": "web-flow"}}}}]},
        "reviews": {"totalCount": reviews.len(), "pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": reviews.iter().map(|(login, state, commit)| review(login, state, commit)).collect::<Vec<_>>()},
        "headCommit": head_checks(head, &[head_check_run("build", "SUCCESS", "2026-11-20T09:30:00Z")])
    })
}

/// A PR's `headCommit` with its status check rollup.
pub fn head_checks(head: &str, contexts: &[Value]) -> Value {
    json!({"nodes": [{"commit": {"oid": head, "statusCheckRollup": {"contexts": {
        "totalCount": contexts.len(), "nodes": contexts
    }}}}]})
}

/// A check run in a head's rollup, from GitHub Actions (app 15368), as GraphQL spells it.
pub fn head_check_run(name: &str, conclusion: &str, completed_at: &str) -> Value {
    json!({"__typename": "CheckRun", "name": name, "status": "COMPLETED", "conclusion": conclusion,
        "completedAt": completed_at, "url": "https://github.com/acme/ledger/runs/7",
        "checkSuite": {"app": {"databaseId": 15368}}})
}

/// A review by someone who can push, submitted before the merge.
pub fn review(login: &str, state: &str, commit: &str) -> Value {
    json!({"author": user(login), "authorCanPushToRepository": true, "state": state, "submittedAt": "2026-11-20T09:00:00Z", "commit": {"oid": commit}})
}

/// The answer to the pre-merge gate's pull request query.
pub fn pull_request(pr: Value) -> Value {
    json!({"data": {"repository": {"pullRequest": pr}}})
}

/// A follow-up page of a PR's reviews (`complete` asks for it with `wantReviews`).
pub fn reviews_page(total: usize, nodes: Vec<Value>, next: Option<&str>) -> Value {
    json!({"data": {"repository": {"pullRequest": {"reviews": {
        "totalCount": total, "pageInfo": {"hasNextPage": next.is_some(), "endCursor": next}, "nodes": nodes
    }}}}})
}

/// The answer to resolving a range's ends: `base` behind an annotated tag object when
/// `tag` is given, `head` a commit.
pub fn resolved_range(tag: Option<&str>, base: &str, head: &str) -> Value {
    let base = match tag {
        Some(tag) => {
            json!({"oid": tag, "__typename": "Tag", "target": {"oid": base, "__typename": "Commit"}})
        }
        None => json!({"oid": base, "__typename": "Commit"}),
    };
    json!({"data": {"repository": {"base": base, "head": {"oid": head, "__typename": "Commit"}}}})
}

/// The tags query's answer: (name, oid, peeled commit for an annotated tag).
pub fn tags(tags: &[(&str, &str, Option<&str>)]) -> Value {
    let nodes: Vec<Value> = tags
        .iter()
        .map(|(name, oid, peeled)| match peeled {
            Some(commit) => {
                json!({"name": name, "target": {"oid": oid, "target": {"oid": commit}}})
            }
            None => json!({"name": name, "target": {"oid": oid}}),
        })
        .collect();
    json!({"data": {"repository": {"refs": {"nodes": nodes}}}})
}

/// A history page: (sha, parent, PRs associated with it). BASE and HEAD resolve to
/// themselves; the default branch is `main`.
pub fn history(nodes: &[(&str, &str, Vec<Value>)], next: Option<&str>) -> Value {
    history_between(BASE, HEAD, nodes, next)
}

/// [`history`] of the range `base..head`.
pub fn history_between(
    base: &str,
    head: &str,
    nodes: &[(&str, &str, Vec<Value>)],
    next: Option<&str>,
) -> Value {
    json!({"data": {"repository": {
        "defaultBranchRef": {"name": "main"},
        "base": {"oid": base},
        "head": {"oid": head, "history": {
            "pageInfo": {"hasNextPage": next.is_some(), "endCursor": next},
            "nodes": nodes.iter().map(|(sha, parent, prs)| json!({
                "oid": sha, "messageHeadline": format!("commit {}", &sha[..7]),
                "parents": {"nodes": [{"oid": parent}]},
                "author": git_actor("dev"),
                "signature": {"isValid": true, "signer": {"login": "dev"}},
                "associatedPullRequests": {"nodes": prs}
            })).collect::<Vec<_>>()
        }}
    }}})
}

pub const POLICY: &str =
    "version: 1\nbranch_protection: {}\npeer_review: {}\nrequired_checks: {}\n";

/// Two merged PRs, each approved on its head by someone independent.
pub fn mount_clean_history(gh: &MockGitHub) {
    gh.graphql(
        "history(",
        history(
            &[
                (
                    HEAD,
                    MID,
                    vec![pr(
                        12,
                        "alice",
                        &["alice"],
                        "a12",
                        HEAD,
                        &[("bob", "APPROVED", "a12")],
                    )],
                ),
                (
                    MID,
                    BASE,
                    vec![pr(
                        11,
                        "carol",
                        &["carol"],
                        "a11",
                        MID,
                        &[("dave", "APPROVED", "a11")],
                    )],
                ),
            ],
            None,
        ),
    );
}

pub fn range() -> String {
    format!("{BASE}..{HEAD}")
}

#[test]
fn a_clean_release_passes() {
    let gh = MockGitHub::start();
    mount_good_protection(&gh);
    mount_clean_history(&gh);
    mount_checks(&gh, json!([check_run("build", HEAD, "success")]), json!([]));
    let (code, report, stderr) = gh.verify(POLICY, &["--range", &range()]);
    assert_eq!(code, 0, "{report}\n{stderr}");
    for id in ["branch-protection", "peer-review", "required-checks"] {
        assert_eq!(status(&report, id), "pass", "{id}: {report}");
    }
    // One record per change, in branch order, with the facts an auditor samples and
    // every rule's verdict.
    let changes = &control(&report, "peer-review")["changes"];
    assert_eq!(changes.as_array().unwrap().len(), 2, "{changes}");
    let newest = &changes[0];
    assert_eq!(newest["id"], "#12");
    assert_eq!(newest["kind"], "pull-request");
    assert_eq!(newest["author"], "alice");
    assert_eq!(newest["head_sha"], "a12");
    assert_eq!(newest["merge_sha"], HEAD);
    assert_eq!(newest["merged_by"], "merger");
    assert_eq!(newest["merged_at"], "2026-11-20T10:00:00Z");
    assert_eq!(newest["commits"], json!([HEAD]));
    assert_eq!(
        newest["approvals"],
        json!([{"reviewer": "bob", "submitted_at": "2026-11-20T09:00:00Z", "commit": "a12", "counted": true}])
    );
    assert_eq!(newest["status"], "pass");
    let rules: Vec<(&str, &str)> = newest["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rule"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(rules.len(), 11, "{rules:?}");
    // The tests' working directory is no clone of this mock repository: the
    // reviewed-tree rule is skipped, and says so, instead of passing.
    let (tree, others) = rules.split_last().unwrap();
    assert_eq!(*tree, ("peer-review/merged-tree-differs", "skipped"));
    assert!(others.iter().all(|(_, s)| *s == "pass"), "{rules:?}");
    assert!(
        newest["rules"][10]["detail"]
            .as_str()
            .unwrap()
            .contains("head of the range"),
        "{}",
        newest["rules"][10]
    );
    assert_eq!(
        newest["rules"][1]["detail"],
        "1 of 1 independent approval(s): bob"
    );
    assert_eq!(changes[1]["id"], "#11");
    // The token was sent to the forge (it is the mock), and nowhere else.
    let requests = gh.requests();
    assert!(requests.iter().all(|r| {
        r.headers
            .get("authorization")
            .is_some_and(|v| v.to_str().unwrap().contains(CANARY))
    }));
    assert!(!report.to_string().contains(CANARY) && !stderr.contains(CANARY));
}

fn peer_review_codes(history_nodes: Value) -> (i32, Vec<String>) {
    let gh = MockGitHub::start();
    gh.graphql("history(", history_nodes);
    let (code, report, _) = gh.verify("version: 1\npeer_review: {}\n", &["--range", &range()]);
    (code, codes(&report, "peer-review"))
}

#[test]
fn self_approval_fails() {
    let nodes = history(
        &[(
            HEAD,
            BASE,
            vec![pr(
                12,
                "alice",
                &["alice"],
                "a12",
                HEAD,
                &[("alice", "APPROVED", "a12")],
            )],
        )],
        None,
    );
    assert_eq!(
        peer_review_codes(nodes),
        (1, vec!["peer-review/self-approved".to_string()])
    );
}

#[test]
fn approval_by_a_co_author_fails() {
    let nodes = history(
        &[(
            HEAD,
            BASE,
            vec![pr(
                12,
                "alice",
                &["alice", "bob"],
                "a12",
                HEAD,
                &[("bob", "APPROVED", "a12")],
            )],
        )],
        None,
    );
    assert_eq!(
        peer_review_codes(nodes),
        (1, vec!["peer-review/approved-by-contributor".to_string()])
    );
}

#[test]
fn approval_followed_by_a_push_is_stale() {
    // bob approved commit a11; a12 was pushed after and merged.
    let nodes = history(
        &[(
            HEAD,
            BASE,
            vec![pr(
                12,
                "alice",
                &["alice"],
                "a12",
                HEAD,
                &[("bob", "APPROVED", "a11")],
            )],
        )],
        None,
    );
    assert_eq!(
        peer_review_codes(nodes),
        (1, vec!["peer-review/stale-approval".to_string()])
    );
}

#[test]
fn bot_approval_does_not_count_unless_allowed() {
    let nodes = history(
        &[(
            HEAD,
            BASE,
            vec![pr(
                12,
                "alice",
                &["alice"],
                "a12",
                HEAD,
                &[("renovate[bot]", "APPROVED", "a12")],
            )],
        )],
        None,
    );
    assert_eq!(
        peer_review_codes(nodes.clone()),
        (1, vec!["peer-review/bot-approval".to_string()])
    );
    let gh = MockGitHub::start();
    gh.graphql("history(", nodes);
    let (code, _, _) = gh.verify(
        "version: 1\npeer_review:\n  allow_bot_approvals: true\n",
        &["--range", &range()],
    );
    assert_eq!(code, 0);
}

#[test]
fn a_dismissed_review_does_not_count() {
    let nodes = history(
        &[(
            HEAD,
            BASE,
            vec![pr(
                12,
                "alice",
                &["alice"],
                "a12",
                HEAD,
                &[("bob", "DISMISSED", "a12")],
            )],
        )],
        None,
    );
    assert_eq!(
        peer_review_codes(nodes),
        (1, vec!["peer-review/dismissed-approval".to_string()])
    );
}

#[test]
fn a_direct_push_fails_unless_the_actor_is_allowed() {
    let nodes = history(&[(HEAD, BASE, vec![])], None);
    assert_eq!(
        peer_review_codes(nodes.clone()),
        (1, vec!["peer-review/direct-push".to_string()])
    );
    let gh = MockGitHub::start();
    gh.graphql("history(", nodes);
    let policy = "version: 1\npeer_review:\n  allowed_direct_pushes:\n    - actor: dev\n      reason: release automation bumps the version\n";
    let (code, report, _) = gh.verify(policy, &["--range", &range()]);
    assert_eq!(code, 0, "{report}");
    // The record keeps the push and the allowance that covered it.
    let change = &control(&report, "peer-review")["changes"][0];
    assert_eq!(change["kind"], "direct-push");
    assert_eq!(change["id"], HEAD);
    assert_eq!(change["status"], "pass");
    assert_eq!(change["rules"][0]["rule"], "peer-review/direct-push");
    assert_eq!(
        change["rules"][0]["detail"],
        "111111111111 by dev (release automation bumps the version)"
    );
}

#[test]
fn a_waived_change_is_recorded_as_waived_with_the_rule_it_broke() {
    let gh = MockGitHub::start();
    gh.graphql(
        "history(",
        history(
            &[
                (
                    HEAD,
                    MID,
                    vec![pr(
                        12,
                        "alice",
                        &["alice"],
                        "a12",
                        HEAD,
                        &[("bob", "APPROVED", "a11")],
                    )],
                ),
                (
                    MID,
                    BASE,
                    vec![pr(
                        11,
                        "carol",
                        &["carol"],
                        "a11",
                        MID,
                        &[("carol", "APPROVED", "a11")],
                    )],
                ),
            ],
            None,
        ),
    );
    let policy = "version: 1\nmax_exception_lifetime_days: 400000\npeer_review: {}\nexceptions:\n  - control: peer-review\n    match: {id: \"#12\", code: peer-review/stale-approval}\n    reason: hotfix re-reviewed after merge in INC-7\n    owner: release-eng\n    expires: 2999-01-01\n";
    let (code, report, _) = gh.verify(policy, &["--range", &range()]);
    assert_eq!(code, 1, "#11 is still self-approved: {report}");
    let changes = &control(&report, "peer-review")["changes"];
    let rule = |change: &Value, code: &str| {
        change["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == code)
            .map(|r| r["status"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(changes[0]["id"], "#12");
    assert_eq!(changes[0]["status"], "waived");
    assert_eq!(rule(&changes[0], "peer-review/stale-approval"), "waived");
    // Too few approvals is reported by its reason (the stale approval), not twice.
    assert_eq!(rule(&changes[0], "peer-review/not-approved"), "pass");
    assert_eq!(
        changes[0]["approvals"][0]["not_counted"],
        "peer-review/stale-approval"
    );
    assert_eq!(changes[1]["id"], "#11");
    assert_eq!(changes[1]["status"], "fail");
    assert_eq!(rule(&changes[1], "peer-review/self-approved"), "fail");
    assert_eq!(rule(&changes[1], "peer-review/stale-approval"), "pass");
}

fn required_checks_codes(runs: Value) -> (i32, Vec<String>) {
    let gh = MockGitHub::start();
    mount_checks(&gh, runs, json!([]));
    let (code, report, _) = gh.verify("version: 1\nrequired_checks:\n  checks: [build]\n", &[]);
    (code, codes(&report, "required-checks"))
}

#[test]
fn a_required_check_that_failed_is_missing_or_ran_elsewhere_fails() {
    assert_eq!(
        required_checks_codes(json!([check_run("build", HEAD, "failure")])),
        (1, vec!["required-checks/check-failed".to_string()])
    );
    assert_eq!(
        required_checks_codes(json!([check_run("lint", HEAD, "success")])),
        (1, vec!["required-checks/check-missing".to_string()])
    );
    assert_eq!(
        required_checks_codes(json!([check_run("build", MID, "success")])),
        (1, vec!["required-checks/wrong-sha".to_string()])
    );
    assert_eq!(
        required_checks_codes(json!([check_run("build", HEAD, "success")])).0,
        0
    );
}

#[test]
fn rulesets_pass_when_classic_protection_is_unreadable_and_it_is_reported_unknown() {
    let gh = MockGitHub::start();
    gh.get("/repos/acme/ledger/rules/branches/main", 200, good_rules());
    gh.get(
        "/repos/acme/ledger/rulesets/42",
        200,
        json!({"id": 42, "bypass_actors": []}),
    );
    gh.get(
        "/repos/acme/ledger/branches/main/protection",
        404,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}),
    );
    let (code, report, _) = gh.verify(
        "version: 1\nbranch_protection:\n  required_checks: [build]\n",
        &[],
    );
    assert_eq!(code, 0, "{report}");
    assert_eq!(status(&report, "branch-protection"), "pass");
    let summary = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "branch-protection")
        .unwrap()["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        summary.contains("unknown") && summary.contains("administration:read"),
        "{summary}"
    );

    // A setting only classic protection could enforce is unknown, not missing.
    let (code, report, _) = gh.verify(
        "version: 1\nbranch_protection:\n  signed_commits: true\n",
        &[],
    );
    assert_eq!((code, status(&report, "branch-protection")), (1, "error"));
    // Signed commits, and (since classic protection would then be in play) whether
    // admins are bound by it: both unknown, neither reported missing.
    assert_eq!(
        codes(&report, "branch-protection"),
        vec![
            "branch-protection/setting-unknown",
            "branch-protection/setting-unknown"
        ]
    );
}

#[test]
fn classic_protection_answering_an_empty_object_is_unknown_not_requiring_nothing() {
    // Rulesets enforce nothing about `deploy`; a `200 {}` from classic protection once
    // read as "present, requires nothing", so the check was never asked for and the
    // required-checks control (with no names of its own) passed on `build` alone.
    let gh = MockGitHub::start();
    gh.get("/repos/acme/ledger/rules/branches/main", 200, json!([]));
    gh.get(
        "/repos/acme/ledger/branches/main/protection",
        200,
        json!({}),
    );
    mount_checks(&gh, json!([check_run("build", HEAD, "success")]), json!([]));
    let (code, report, _) = gh.verify(
        "version: 1\nbranch_protection: {}\nrequired_checks: {}\n",
        &[],
    );
    assert_eq!(code, 1, "{report}");
    assert_eq!(status(&report, "branch-protection"), "error", "{report}");
    assert_eq!(
        codes(&report, "required-checks"),
        ["required-checks/requirements-unknown"],
        "{report}"
    );
    assert!(
        report.to_string().contains("missing field `url`"),
        "{report}"
    );
}

#[test]
fn rate_limits_are_waited_out_then_the_read_succeeds() {
    let gh = MockGitHub::start();
    let reset = time::OffsetDateTime::now_utc().unix_timestamp() + 1;
    gh.mount(
        Mock::given(method("GET"))
            .and(path(format!(
                "/repos/acme/ledger/commits/{HEAD}/check-runs"
            )))
            .respond_with(
                ResponseTemplate::new(403)
                    .insert_header("x-ratelimit-remaining", "0")
                    .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                    .set_body_json(json!({"message": "API rate limit exceeded"})),
            )
            .up_to_n_times(1)
            .with_priority(1),
    );
    gh.mount(
        Mock::given(method("GET"))
            .and(path(format!(
                "/repos/acme/ledger/commits/{HEAD}/check-runs"
            )))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "1")
                    .set_body_json(json!({"message": "slow down"})),
            )
            .up_to_n_times(1)
            .with_priority(2),
    );
    mount_checks(&gh, json!([check_run("build", HEAD, "success")]), json!([]));
    let (code, report, stderr) =
        gh.verify("version: 1\nrequired_checks:\n  checks: [build]\n", &[]);
    assert_eq!(code, 0, "{report}\n{stderr}");
    let check_run_requests = gh
        .requests()
        .iter()
        .filter(|r| r.url.path().ends_with("/check-runs"))
        .count();
    assert_eq!(check_run_requests, 3, "403 rate limit, 429, then success");
}

#[test]
fn a_persistent_server_error_is_an_error_and_exits_1() {
    let gh = MockGitHub::start();
    gh.mount(
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(500).set_body_json(json!({"message": "boom"}))),
    );
    let (code, report, _) = gh.verify("version: 1\nrequired_checks:\n  checks: [build]\n", &[]);
    assert_eq!((code, status(&report, "required-checks")), (1, "error"));
    assert_eq!(
        codes(&report, "required-checks"),
        vec!["required-checks/unreadable"]
    );
    let attempts = gh
        .requests()
        .iter()
        .filter(|r| r.url.path().ends_with("/check-runs"))
        .count();
    assert_eq!(attempts, 4, "one attempt and three bounded retries");
}

/// A linear history of `n` squash-merged PRs above BASE, served 50 commits per page as
/// GitHub serves vouch's `history(first: 50)`.
fn mount_long_history(gh: &MockGitHub, n: usize) {
    mount_history_pages(gh, n, true)
}

/// [`mount_long_history`] with GitHub's cursors, or with opaque ones (`page-K`) that
/// give vouch nothing to fetch ahead with.
fn mount_history_pages(gh: &MockGitHub, n: usize, github_cursors: bool) {
    let sha = |i: usize| {
        if i == 0 {
            HEAD.to_string()
        } else {
            format!("{:040x}", i + 0x1000)
        }
    };
    let total = n + 1; // the range's commits, then BASE itself
    let node = |i: usize| -> (String, String, Vec<Value>) {
        if i == n {
            return (
                BASE.to_string(),
                "4444444444444444444444444444444444444444".to_string(),
                vec![],
            );
        }
        let parent = if i + 1 == n {
            BASE.to_string()
        } else {
            sha(i + 1)
        };
        let head = format!("{:040x}", i + 0x9000);
        let prs = vec![pr(
            i as u64 + 1,
            "alice",
            &["alice"],
            &head,
            &sha(i),
            &[("bob", "APPROVED", &head)],
        )];
        (sha(i), parent, prs)
    };
    let mut start = 0;
    while start < total {
        let end = (start + 50).min(total);
        let nodes: Vec<(String, String, Vec<Value>)> = (start..end).map(node).collect();
        let refs: Vec<(&str, &str, Vec<Value>)> = nodes
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.clone()))
            .collect();
        // GitHub's history cursors: "<head oid> <index of the page's last commit>".
        let cursor_after = |last: usize| {
            if github_cursors {
                format!("{HEAD} {last}")
            } else {
                format!("page-{}", last + 1)
            }
        };
        let next = (end < total).then(|| cursor_after(end - 1));
        let mut body = history(&refs, next.as_deref());
        let cursor = if start == 0 {
            // The first page carries the commit counts that size the prefetch.
            body["data"]["repository"]["head"]["history"]["totalCount"] = json!(total);
            body["data"]["repository"]["base"]["ancestors"] = json!({"totalCount": 1});
            "\"cursor\":null".to_string()
        } else {
            format!("\"cursor\":\"{}\"", cursor_after(start - 1))
        };
        gh.graphql(&cursor, body);
        start = end;
    }
}

/// API economy: requests and sequential round trips for a release of N merged
/// changes, protection and checks included. Both are counts at the mock, not timings
/// (the mock's latency only makes concurrent requests overlap; a second is long
/// enough for that on a loaded 2-core machine running the other tests); they are
/// recorded in BENCHMARKS.md (run with `-- --nocapture` to see them).
#[test]
fn api_economy_stays_within_budget() {
    for n in [10usize, 100, 1000] {
        let gh = MockGitHub::with_latency(std::time::Duration::from_millis(1000));
        mount_good_protection(&gh);
        mount_long_history(&gh, n);
        mount_checks(&gh, json!([check_run("build", HEAD, "success")]), json!([]));
        let (code, report, stderr) = gh.verify(POLICY, &["--range", &range()]);
        assert_eq!(code, 0, "N={n}: {stderr}");
        let made = gh.requests().len();
        let budget = n.div_ceil(50) + 5;
        let pr_count = report["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "peer-review")
            .unwrap()["summary"]
            .to_string();
        assert!(
            pr_count.contains(&format!("{n} pull request(s)")),
            "{pr_count}"
        );
        let round_trips = gh.round_trips();
        eprintln!(
            "api-economy: N={n} merged changes -> {made} requests (budget {budget}), {round_trips} sequential round trips (budget 4)"
        );
        assert!(made <= budget, "N={n}: {made} requests, budget {budget}");
        assert!(
            round_trips <= 4,
            "N={n}: {round_trips} round trips, budget 4"
        );
    }
}

/// The prefetch rests on nothing: a forge whose cursors are opaque is paged one page
/// after another, with the same verdict and no request wasted.
#[test]
fn opaque_history_cursors_are_followed_page_by_page() {
    let gh = MockGitHub::start();
    mount_good_protection(&gh);
    mount_history_pages(&gh, 120, false);
    mount_checks(&gh, json!([check_run("build", HEAD, "success")]), json!([]));
    let (code, report, stderr) = gh.verify(POLICY, &["--range", &range()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        control(&report, "peer-review")["summary"]
            .to_string()
            .contains("120 pull request(s)"),
        "{report}"
    );
    let history_queries = gh
        .requests()
        .iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("history("))
        .count();
    assert_eq!(history_queries, 3);
}

/// A history read ahead, concurrently, is saved in the order of the reads, and
/// `vouch evaluate` replays it offline to the same verdict.
#[test]
fn a_history_fetched_ahead_replays_offline_to_the_same_verdict() {
    let dir = tempdir();
    let out = dir.path().join("evidence");
    let json_path = dir.path().join("original.json");
    {
        let gh = MockGitHub::start();
        mount_good_protection(&gh);
        mount_long_history(&gh, 260);
        mount_checks(&gh, json!([check_run("build", HEAD, "success")]), json!([]));
        let (code, _, stderr) = gh.verify(
            POLICY,
            &[
                "--range",
                &range(),
                "--evidence-out",
                out.to_str().unwrap(),
                "--format",
                &format!("json={}", json_path.display()),
            ],
        );
        assert_eq!(code, 0, "{stderr}");
    }
    let output = vouch()
        .arg("evaluate")
        .arg(&out)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let replay: Value = serde_json::from_slice(&output.stdout).unwrap();
    let original: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(replay["controls"], original["controls"]);
}

/// Every output of a run with a canary token, success and failure paths alike: the
/// token appears in no stream, report, summary or evidence file.
#[test]
fn the_token_appears_in_no_output() {
    for mode in ["good", "broken", "reflecting"] {
        let gh = MockGitHub::start();
        match mode {
            "broken" => {
                gh.mount(Mock::given(method("GET")).respond_with(
                    ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"})),
                ));
                gh.mount(Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)));
            }
            "reflecting" => {
                // A server (or proxy) that echoes the token in errors and in data.
                gh.mount(
                    Mock::given(method("GET")).respond_with(
                        ResponseTemplate::new(403).set_body_json(
                            json!({"message": format!("token {CANARY} lacks a scope")}),
                        ),
                    ),
                );
                let mut change = pr(
                    12,
                    "alice",
                    &["alice"],
                    "a12",
                    HEAD,
                    &[("alice", "APPROVED", "a12")],
                );
                change["title"] = json!(format!("leak {CANARY}"));
                gh.graphql("history(", history(&[(HEAD, BASE, vec![change])], None));
            }
            _ => {
                mount_good_protection(&gh);
                mount_clean_history(&gh);
                mount_checks(&gh, json!([check_run("build", HEAD, "success")]), json!([]));
            }
        }
        let broken = mode != "good";
        let dir = tempdir();
        let policy = write(dir.path(), "vouch.yaml", POLICY);
        let summary = write(dir.path(), "summary.md", "");
        let out = dir.path().join("out");
        let mut cmd = vouch();
        cmd.arg("-vv")
            .arg("verify")
            .arg("--policy")
            .arg(&policy)
            .args([
                "--forge",
                "github",
                "--repo",
                "acme/ledger",
                "--branch",
                "main",
                "--commit",
                HEAD,
                "--range",
                &range(),
            ])
            .arg("--evidence-out")
            .arg(out.join("evidence"))
            .args(["--format", "text"]);
        for f in ["json", "sarif", "junit", "markdown"] {
            cmd.arg("--format")
                .arg(format!("{f}={}/r.{f}", out.display()));
        }
        cmd.env("GITHUB_API_URL", gh.server.uri())
            .env("GITHUB_GRAPHQL_URL", format!("{}/graphql", gh.server.uri()))
            .env("GITHUB_TOKEN", CANARY)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary);
        let (code, stdout, stderr) = run(&mut cmd);
        assert_eq!(code, if broken { 1 } else { 0 }, "{stdout}\n{stderr}");
        assert!(
            !stdout.contains(CANARY) && !stderr.contains(CANARY),
            "token in a stream"
        );
        assert!(
            stderr.contains("DEBUG"),
            "-vv logging was on, so the logs were checked too"
        );
        let mut files = vec![summary.clone()];
        for entry in walk(&out) {
            files.push(entry);
        }
        assert!(files.len() >= 7, "{files:?}");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            assert!(!text.contains(CANARY), "token in {}", f.display());
            assert!(
                !text.contains("CANARY"),
                "token fragment in {}",
                f.display()
            );
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

/// GitHub's own published response examples (`corpus/github-api/current/`) read as the
/// real API would serve them.
#[test]
fn githubs_published_examples_are_read_as_documented() {
    let Some(corpus) = super::support::corpus() else {
        return;
    };
    let example = |name: &str| -> Value {
        serde_json::from_slice(
            &std::fs::read(corpus.join("github-api/current").join(name)).unwrap(),
        )
        .unwrap()
    };
    let gh = MockGitHub::start();
    // Rules: commit-message and author-email patterns only (from rulesets 42 and 73).
    gh.get(
        "/repos/acme/ledger/rules/branches/main",
        200,
        example("get-rules-for-branch.200.json"),
    );
    gh.get(
        "/repos/acme/ledger/rulesets/42",
        200,
        example("get-repo-ruleset.200.json"),
    );
    gh.get(
        "/repos/acme/ledger/rulesets/73",
        200,
        example("get-repo-ruleset.200.json"),
    );
    // Classic protection: 2 approvals, stale dismissal, code owners, last push, admins
    // enforced, linear history, but force pushes and deletions allowed.
    gh.get(
        "/repos/acme/ledger/branches/main/protection",
        200,
        example("get-branch-protection.200.json"),
    );
    let policy = "version: 1\nbranch_protection:\n  min_approvals: 2\n  code_owner_review: true\n  last_push_approval: true\n  linear_history: true\n  required_checks: [continuous-integration/travis-ci]\n";
    let (code, report, _) = gh.verify(policy, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        codes(&report, "branch-protection"),
        vec![
            "branch-protection/bypass-allowed",
            "branch-protection/deletion-allowed",
            "branch-protection/force-push-allowed"
        ]
    );

    // The check-run example: `mighty_readme` concluded neutral on ce587453….
    let sha = "ce587453ced02b1526dfb4cb910479d431683101";
    let gh = MockGitHub::start();
    gh.get(
        &format!("/repos/acme/ledger/commits/{sha}/check-runs"),
        200,
        example("list-check-runs-for-ref.200.json"),
    );
    gh.get(
        &format!("/repos/acme/ledger/commits/{sha}/status"),
        200,
        json!({"state": "pending", "sha": sha, "statuses": [], "total_count": 0}),
    );
    let run_policy = |p: &str| {
        let dir = tempdir();
        let policy = write(dir.path(), "vouch.yaml", p);
        let (code, stdout, _) = run(vouch()
            .arg("verify")
            .arg("--policy")
            .arg(&policy)
            .args([
                "--forge",
                "github",
                "--repo",
                "acme/ledger",
                "--commit",
                sha,
                "--format",
                "json",
            ])
            .env("GITHUB_API_URL", gh.server.uri())
            .env("GITHUB_TOKEN", CANARY));
        (code, serde_json::from_str::<Value>(&stdout).unwrap())
    };
    let (code, report) = run_policy("version: 1\nrequired_checks:\n  checks: [mighty_readme]\n");
    assert_eq!(
        (code, codes(&report, "required-checks")),
        (1, vec!["required-checks/check-failed".to_string()])
    );
    let (code, _) = run_policy(
        "version: 1\nrequired_checks:\n  checks: [mighty_readme]\n  allow_neutral: true\n",
    );
    assert_eq!(code, 0);
}

/// Runs vouch as the GitHub Actions run of `event` would, against the mock.
fn verify_in_actions(
    gh: &MockGitHub,
    policy: &str,
    git_ref: &str,
    event_name: &str,
    payload: Value,
) -> (i32, Value) {
    let dir = tempdir();
    let policy = write(dir.path(), "vouch.yaml", policy);
    let event = write(dir.path(), "event.json", &payload.to_string());
    let mut cmd = vouch();
    cmd.arg("verify")
        .arg("--policy")
        .arg(&policy)
        .args(["--format", "json"])
        .envs([
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/ledger"),
            ("GITHUB_SHA", HEAD),
            ("GITHUB_REF", git_ref),
            ("GITHUB_EVENT_NAME", event_name),
            (
                "GITHUB_BASE_REF",
                if event_name == "pull_request" {
                    "main"
                } else {
                    ""
                },
            ),
            ("GITHUB_TOKEN", CANARY),
        ]);
    cmd.env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_API_URL", gh.server.uri())
        .env("GITHUB_GRAPHQL_URL", format!("{}/graphql", gh.server.uri()));
    let (code, stdout, stderr) = run(&mut cmd);
    (
        code,
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}")),
    )
}

#[test]
fn a_pull_request_run_gates_the_pr_on_its_current_head() {
    let gh = MockGitHub::start();
    let approved_on_old_head = pr(
        7,
        "alice",
        &["alice"],
        HEAD,
        MID,
        &[("bob", "APPROVED", MID)],
    );
    gh.graphql("pullRequest(number", pull_request(approved_on_old_head));
    let payload =
        json!({"number": 7, "pull_request": {"head": {"sha": HEAD}, "base": {"ref": "main"}}});
    let (code, report) = verify_in_actions(
        &gh,
        "version: 1\npeer_review: {}\n",
        "refs/pull/7/merge",
        "pull_request",
        payload.clone(),
    );
    assert_eq!(
        (code, codes(&report, "peer-review")),
        (1, vec!["peer-review/stale-approval".to_string()])
    );

    let gh = MockGitHub::start();
    let approved = pr(
        7,
        "alice",
        &["alice"],
        HEAD,
        MID,
        &[("bob", "APPROVED", HEAD)],
    );
    gh.graphql("pullRequest(number", pull_request(approved));
    let (code, report) = verify_in_actions(
        &gh,
        "version: 1\npeer_review: {}\n",
        "refs/pull/7/merge",
        "pull_request",
        payload,
    );
    assert_eq!(code, 0, "{report}");
}

#[test]
fn a_tag_push_verifies_the_changes_since_the_previous_tag() {
    let gh = MockGitHub::start();
    gh.graphql(
        "refs(refPrefix",
        tags(&[
            (
                "v1.2.0",
                "9999999999999999999999999999999999999999",
                Some(HEAD),
            ),
            ("v1.1.0", BASE, None),
        ]),
    );
    mount_clean_history(&gh);
    let (code, report) = verify_in_actions(
        &gh,
        "version: 1\npeer_review: {}\n",
        "refs/tags/v1.2.0",
        "push",
        json!({}),
    );
    assert_eq!(code, 0, "{report}");
    let summary = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "peer-review")
        .unwrap()["summary"]
        .as_str()
        .unwrap()
        .to_string();
    let vars = history_variables(&gh);
    assert_eq!(
        (vars["base"].as_str(), vars["head"].as_str()),
        (Some(BASE), Some(HEAD))
    );
    assert!(
        summary.contains("tag v1.2.0") && summary.contains("2 pull request(s)"),
        "{summary}"
    );
}

#[test]
fn a_branch_push_verifies_the_pushed_range() {
    let gh = MockGitHub::start();
    gh.graphql("history(", history(&[(HEAD, BASE, vec![])], None));
    let (code, report) = verify_in_actions(
        &gh,
        "version: 1\npeer_review: {}\n",
        "refs/heads/main",
        "push",
        json!({"before": BASE, "after": HEAD}),
    );
    assert_eq!(
        (code, codes(&report, "peer-review")),
        (1, vec!["peer-review/direct-push".to_string()])
    );
    let vars = history_variables(&gh);
    assert_eq!(
        (vars["base"].as_str(), vars["head"].as_str()),
        (Some(BASE), Some(HEAD))
    );
}

#[test]
fn open_code_scanning_alerts_gate_the_sast_control() {
    let gh = MockGitHub::start();
    let alert = |number: u64, state: &str, level: &str, rating: Option<&str>| {
        json!({"number": number, "state": state, "html_url": format!("https://github.com/acme/ledger/security/code-scanning/{number}"),
            "rule": {"id": format!("rust/rule-{number}"), "severity": level, "security_severity_level": rating, "description": "d"},
            "tool": {"name": "CodeQL", "version": "2.19.3"},
            "most_recent_instance": {"ref": "refs/heads/main", "state": state, "commit_sha": HEAD,
                "message": {"text": "tainted"}, "location": {"path": "src/a.rs", "start_line": 3, "end_line": 3}}})
    };
    gh.get(
        "/repos/acme/ledger/code-scanning/alerts",
        200,
        json!([
            alert(1, "open", "warning", Some("critical")),
            alert(2, "dismissed", "error", Some("critical")),
            alert(3, "open", "note", None),
        ]),
    );
    let (code, report, _) = gh.verify("version: 1\nsast:\n  code_scanning_alerts: true\n", &[]);
    assert_eq!(code, 1, "{report}");
    let findings = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "sast")
        .unwrap()["findings"]
        .clone();
    assert_eq!(findings.as_array().unwrap().len(), 1, "{findings}");
    assert_eq!(findings[0]["severity"], "critical");
    assert_eq!(findings[0]["subject"]["rule"], "rust/rule-1");

    // Without `security-events: read` the alerts are an error, not a clean scan.
    let gh = MockGitHub::start();
    gh.get(
        "/repos/acme/ledger/code-scanning/alerts",
        403,
        json!({"message": "Resource not accessible by integration"}),
    );
    let (code, report, _) = gh.verify("version: 1\nsast:\n  code_scanning_alerts: true\n", &[]);
    assert_eq!((code, status(&report, "sast")), (1, "error"));

    // GitHub's published example: one open CodeQL alert (js/zipslip, level error).
    let Some(corpus) = super::support::corpus() else {
        return;
    };
    let example: Value = serde_json::from_slice(
        &std::fs::read(
            corpus.join("github-api/current/list-code-scanning-alerts-for-repo.200.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let gh = MockGitHub::start();
    gh.get("/repos/acme/ledger/code-scanning/alerts", 200, example);
    let (code, report, _) = gh.verify("version: 1\nsast:\n  code_scanning_alerts: true\n", &[]);
    assert_eq!(code, 1);
    let finding = &report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "sast")
        .unwrap()["findings"][0];
    assert_eq!(finding["subject"]["rule"], "js/zipslip");
    assert_eq!(finding["location"]["path"], "spec-main/api-session-spec.ts");
    assert_eq!(finding["location"]["line"], 917);
}

#[test]
fn reviews_beyond_the_first_page_are_read() {
    let gh = MockGitHub::start();
    let mut first = pr(
        12,
        "alice",
        &["alice"],
        "a12",
        HEAD,
        &[("alice", "APPROVED", "a12")],
    );
    first["reviews"]["totalCount"] = json!(2);
    first["reviews"]["pageInfo"] = json!({"hasNextPage": true, "endCursor": "r1"});
    gh.graphql("history(", history(&[(HEAD, BASE, vec![first])], None));
    gh.graphql(
        "wantReviews",
        reviews_page(2, vec![review("bob", "APPROVED", "a12")], None),
    );
    let (code, report, _) = gh.verify("version: 1\npeer_review: {}\n", &["--range", &range()]);
    assert_eq!(code, 0, "{report}");
    let paged = gh
        .requests()
        .iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("wantReviews"))
        .count();
    assert_eq!(paged, 1);
}

#[test]
fn an_approval_from_someone_who_cannot_push_does_not_count() {
    let mut change = pr(
        12,
        "alice",
        &["alice"],
        "a12",
        HEAD,
        &[("mallory", "APPROVED", "a12")],
    );
    change["reviews"]["nodes"][0]["authorCanPushToRepository"] = json!(false);
    let nodes = history(&[(HEAD, BASE, vec![change])], None);
    assert_eq!(
        peer_review_codes(nodes),
        (1, vec!["peer-review/approver-cannot-push".to_string()])
    );
}

#[test]
fn a_direct_push_allowance_needs_a_verified_signature_by_that_actor() {
    let mut nodes = history(&[(HEAD, BASE, vec![])], None);
    // The author claims to be `dev`, but the signature is not valid.
    nodes["data"]["repository"]["head"]["history"]["nodes"][0]["signature"] =
        json!({"isValid": false, "signer": null});
    let gh = MockGitHub::start();
    gh.graphql("history(", nodes);
    let policy = "version: 1\npeer_review:\n  allowed_direct_pushes:\n    - actor: dev\n      reason: release automation\n";
    let (code, report, _) = gh.verify(policy, &["--range", &range()]);
    assert_eq!(
        (code, codes(&report, "peer-review")),
        (1, vec!["peer-review/direct-push".to_string()])
    );
}

#[test]
fn an_empty_range_is_an_error_not_a_pass() {
    let gh = MockGitHub::start();
    let mut nodes = history(&[], None);
    nodes["data"]["repository"]["base"] = json!({"oid": HEAD});
    gh.graphql("history(", nodes);
    let (code, report, _) = gh.verify(
        "version: 1\npeer_review: {}\n",
        &["--range", &format!("{HEAD}..{HEAD}")],
    );
    assert_eq!((code, status(&report, "peer-review")), (1, "error"));
}

#[test]
fn a_server_that_repeats_a_page_cursor_cannot_loop_vouch() {
    let gh = MockGitHub::start();
    // Every page says "more" and hands back the same cursor; no BASE in sight.
    gh.graphql("history(", history(&[(HEAD, MID, vec![])], Some("same")));
    let (code, report, _) = gh.verify("version: 1\npeer_review: {}\n", &["--range", &range()]);
    assert_eq!((code, status(&report, "peer-review")), (1, "error"));
    assert!(gh.requests().len() <= 3, "{} requests", gh.requests().len());
}

#[test]
fn range_ends_may_be_refs_resolved_by_the_forge() {
    // v1.1.0 is an annotated tag (a tag object pointing at BASE), v1.2.0 a lightweight
    // one: both are resolved to commits before the history is read from them.
    let gh = MockGitHub::start();
    gh.graphql(
        "v1.1.0",
        resolved_range(Some("9999999999999999999999999999999999999999"), BASE, HEAD),
    );
    mount_clean_history(&gh);
    let (code, report, _) = gh.verify(
        "version: 1\npeer_review: {}\n",
        &["--range", "v1.1.0..v1.2.0"],
    );
    assert_eq!(code, 0, "{report}");
    let requests = gh.requests();
    let body = |i: usize| -> Value { serde_json::from_slice(&requests[i].body).unwrap() };
    assert_eq!(body(0)["variables"]["base"], "v1.1.0");
    assert_eq!(body(0)["variables"]["head"], "v1.2.0");
    assert_eq!(body(1)["variables"]["base"], BASE);
    assert_eq!(body(1)["variables"]["head"], HEAD);

    // A ref naming something other than a commit is an error, not an empty range.
    let gh = MockGitHub::start();
    gh.graphql(
        "v1.1.0",
        json!({"data": {"repository": {"base": {"oid": BASE, "__typename": "Tree"}, "head": {"oid": HEAD, "__typename": "Commit"}}}}),
    );
    let (code, report, _) = gh.verify(
        "version: 1\npeer_review: {}\n",
        &["--range", "v1.1.0..v1.2.0"],
    );
    assert_eq!((code, status(&report, "peer-review")), (1, "error"));
}

#[test]
fn github_enterprise_server_urls_work_for_rest_and_graphql() {
    let gh = MockGitHub::start();
    gh.get(
        &format!("/api/v3/repos/acme/ledger/commits/{HEAD}/check-runs"),
        200,
        json!({"total_count": 1, "check_runs": [check_run("build", HEAD, "success")]}),
    );
    gh.get(
        &format!("/api/v3/repos/acme/ledger/commits/{HEAD}/status"),
        200,
        json!({"state": "pending", "sha": HEAD, "statuses": [], "total_count": 0}),
    );
    gh.mount(
        Mock::given(method("POST"))
            .and(path("/api/graphql"))
            .respond_with(ResponseTemplate::new(200).set_body_json(history(
                &[(
                    HEAD,
                    BASE,
                    vec![pr(
                        12,
                        "alice",
                        &["alice"],
                        "a12",
                        HEAD,
                        &[("bob", "APPROVED", "a12")],
                    )],
                )],
                None,
            ))),
    );
    let dir = tempdir();
    let policy = write(
        dir.path(),
        "vouch.yaml",
        "version: 1\npeer_review: {}\nrequired_checks:\n  checks: [build]\n",
    );
    let (code, stdout, stderr) = run(vouch()
        .arg("verify")
        .arg("--policy")
        .arg(&policy)
        .args([
            "--forge",
            "github",
            "--repo",
            "acme/ledger",
            "--commit",
            HEAD,
            "--range",
            &range(),
            "--format",
            "json",
        ])
        .arg("--api-url")
        .arg(format!("{}/api/v3/", gh.server.uri()))
        .env("GITHUB_TOKEN", CANARY));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let paths: Vec<String> = gh
        .requests()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert!(paths.iter().any(|p| p == "/api/graphql"), "{paths:?}");
}

#[test]
fn a_link_header_that_points_back_cannot_loop_vouch() {
    let gh = MockGitHub::start();
    let self_link = format!(
        "<{}/repos/acme/ledger/rules/branches/main?per_page=100>; rel=\"next\"",
        gh.server.uri()
    );
    gh.mount(
        Mock::given(method("GET"))
            .and(path("/repos/acme/ledger/rules/branches/main"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("link", self_link.as_str())
                    .set_body_json(good_rules()),
            ),
    );
    gh.get(
        "/repos/acme/ledger/branches/main/protection",
        404,
        json!({"message": "Not Found"}),
    );
    let (code, report, _) = gh.verify("version: 1\nbranch_protection: {}\n", &[]);
    assert_eq!((code, status(&report, "branch-protection")), (1, "error"));
    let rule_requests = gh
        .requests()
        .iter()
        .filter(|r| r.url.path().ends_with("/rules/branches/main"))
        .count();
    assert!(rule_requests <= 2, "{rule_requests} requests");
}

#[test]
fn a_success_status_does_not_hide_a_failed_check_run_of_the_same_name() {
    let gh = MockGitHub::start();
    mount_checks(
        &gh,
        json!([check_run("build", HEAD, "failure")]),
        json!([{"context": "build", "state": "success", "target_url": "https://ci.example/1"}]),
    );
    let (code, report, _) = gh.verify("version: 1\nrequired_checks:\n  checks: [build]\n", &[]);
    assert_eq!(
        (code, codes(&report, "required-checks")),
        (1, vec!["required-checks/check-failed".to_string()])
    );
}

#[test]
fn required_checks_from_protection_are_unknown_when_classic_is_unreadable() {
    let gh = MockGitHub::start();
    gh.get("/repos/acme/ledger/rules/branches/main", 200, good_rules());
    gh.get(
        "/repos/acme/ledger/rulesets/42",
        200,
        json!({"id": 42, "bypass_actors": []}),
    );
    gh.get(
        "/repos/acme/ledger/branches/main/protection",
        403,
        json!({"message": "Resource not accessible by integration"}),
    );
    mount_checks(&gh, json!([check_run("build", HEAD, "success")]), json!([]));
    let (code, report, _) = gh.verify("version: 1\nrequired_checks: {}\n", &[]);
    assert_eq!(
        (code, codes(&report, "required-checks")),
        (1, vec!["required-checks/requirements-unknown".to_string()])
    );
}

#[test]
fn admins_exempt_from_classic_rules_are_a_bypass_even_with_a_ruleset() {
    let gh = MockGitHub::start();
    // The ruleset only blocks deletion; classic protection requires PRs but exempts admins.
    gh.get(
        "/repos/acme/ledger/rules/branches/main",
        200,
        json!([{"type": "deletion", "ruleset_id": 42}]),
    );
    gh.get(
        "/repos/acme/ledger/rulesets/42",
        200,
        json!({"id": 42, "bypass_actors": []}),
    );
    gh.get("/repos/acme/ledger/branches/main/protection", 200, json!({
        "url": "https://api.github.com/repos/acme/ledger/branches/main/protection",
        "enforce_admins": {"enabled": false},
        "required_pull_request_reviews": {"required_approving_review_count": 1, "dismiss_stale_reviews": true, "require_code_owner_reviews": false},
        "allow_force_pushes": {"enabled": false}, "allow_deletions": {"enabled": false}
    }));
    let (code, report, _) = gh.verify("version: 1\nbranch_protection: {}\n", &[]);
    assert_eq!(
        (code, codes(&report, "branch-protection")),
        (1, vec!["branch-protection/bypass-allowed".to_string()])
    );
}

#[test]
fn a_pull_request_that_moved_on_is_an_error_not_a_vouch_for_the_old_head() {
    let gh = MockGitHub::start();
    let moved = pr(
        7,
        "alice",
        &["alice"],
        MID,
        MID,
        &[("bob", "APPROVED", MID)],
    );
    gh.graphql("pullRequest(number", pull_request(moved));
    let payload = json!({"number": 7, "pull_request": {"head": {"sha": HEAD}}});
    let (code, report) = verify_in_actions(
        &gh,
        "version: 1\npeer_review: {}\n",
        "refs/pull/7/merge",
        "pull_request",
        payload,
    );
    assert_eq!((code, status(&report, "peer-review")), (1, "error"));
}

#[test]
fn a_graphql_rate_limit_inside_a_200_is_waited_out() {
    let gh = MockGitHub::start();
    let reset = time::OffsetDateTime::now_utc().unix_timestamp() + 1;
    gh.mount(
        Mock::given(method("POST"))
            .and(path("/graphql"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                    .set_body_json(json!({"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]})),
            )
            .up_to_n_times(1)
            .with_priority(1),
    );
    mount_clean_history(&gh);
    let (code, report, _) = gh.verify("version: 1\npeer_review: {}\n", &["--range", &range()]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(gh.requests().len(), 2);
}

#[test]
fn floating_and_pre_release_tags_do_not_shrink_a_release_range() {
    let gh = MockGitHub::start();
    gh.graphql(
        "refs(refPrefix",
        tags(&[
            ("v1.2.0", HEAD, None),
            ("latest", HEAD, None),
            ("nightly", MID, None),
            ("v1.2.0-rc.1", MID, None),
            // A backport release tagged after v1.1.0 is not the previous release.
            ("v1.0.5", MID, None),
            ("v1.1.0", BASE, None),
        ]),
    );
    mount_clean_history(&gh);
    let (code, report) = verify_in_actions(
        &gh,
        "version: 1\npeer_review: {}\n",
        "refs/tags/v1.2.0",
        "push",
        json!({}),
    );
    assert_eq!(code, 0, "{report}");
    let vars = history_variables(&gh);
    assert_eq!(
        (vars["base"].as_str(), vars["head"].as_str()),
        (Some(BASE), Some(HEAD)),
        "the range starts at v1.1.0"
    );
    assert!(
        control(&report, "peer-review")["summary"]
            .as_str()
            .unwrap()
            .contains("since the previous release tag v1.1.0")
    );
}

/// The variables of the first history query the mock received: the mock answers any
/// range, so tests of how a range is chosen assert what was asked.
fn history_variables(gh: &MockGitHub) -> Value {
    let body = gh
        .requests()
        .into_iter()
        .find(|r| String::from_utf8_lossy(&r.body).contains("history("))
        .expect("a history query");
    let body: Value = serde_json::from_slice(&body.body).unwrap();
    body["variables"].clone()
}

#[test]
fn a_check_pinned_to_an_app_only_counts_from_that_app() {
    let gh = MockGitHub::start();
    let rules = json!([{"type": "required_status_checks", "ruleset_id": 42, "parameters": {
        "required_status_checks": [{"context": "build", "integration_id": 15368}], "strict_required_status_checks_policy": false}}]);
    gh.get("/repos/acme/ledger/rules/branches/main", 200, rules);
    gh.get(
        "/repos/acme/ledger/rulesets/42",
        200,
        json!({"id": 42, "bypass_actors": []}),
    );
    gh.get(
        "/repos/acme/ledger/branches/main/protection",
        404,
        json!({"message": "Branch not protected"}),
    );
    // A `build` success posted as a commit status, not by the pinned GitHub Actions app.
    mount_checks(
        &gh,
        json!([]),
        json!([{"context": "build", "state": "success"}]),
    );
    let (code, report, _) = gh.verify("version: 1\nrequired_checks: {}\n", &[]);
    assert_eq!(
        (code, codes(&report, "required-checks")),
        (1, vec!["required-checks/wrong-reporter".to_string()])
    );

    let gh = MockGitHub::start();
    let rules = json!([{"type": "required_status_checks", "ruleset_id": 42, "parameters": {
        "required_status_checks": [{"context": "build", "integration_id": 15368}]}}]);
    gh.get("/repos/acme/ledger/rules/branches/main", 200, rules);
    gh.get(
        "/repos/acme/ledger/rulesets/42",
        200,
        json!({"id": 42, "bypass_actors": []}),
    );
    gh.get(
        "/repos/acme/ledger/branches/main/protection",
        404,
        json!({"message": "Branch not protected"}),
    );
    let mut run = check_run("build", HEAD, "success");
    run["app"] = json!({"id": 15368, "slug": "github-actions"});
    mount_checks(&gh, json!([run]), json!([]));
    let (code, report, _) = gh.verify("version: 1\nrequired_checks: {}\n", &[]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn a_pull_request_whose_review_pages_repeat_cannot_loop_vouch() {
    let gh = MockGitHub::start();
    let mut first = pr(
        12,
        "alice",
        &["alice"],
        "a12",
        HEAD,
        &[("alice", "APPROVED", "a12")],
    );
    first["reviews"]["totalCount"] = json!(2);
    first["reviews"]["pageInfo"] = json!({"hasNextPage": true, "endCursor": "r1"});
    gh.graphql("history(", history(&[(HEAD, BASE, vec![first])], None));
    // Every follow-up page claims more and returns the same cursor.
    gh.graphql("wantReviews", reviews_page(2, Vec::new(), Some("r1")));
    let (code, report, _) = gh.verify("version: 1\npeer_review: {}\n", &["--range", &range()]);
    assert_eq!((code, status(&report, "peer-review")), (1, "error"));
    assert!(gh.requests().len() <= 3, "{} requests", gh.requests().len());
}

/// Peer-review codes for one PR merged as HEAD, after `edit` changes its JSON.
fn codes_for_pr(edit: impl FnOnce(&mut Value)) -> (i32, Vec<String>) {
    let mut change = pr(
        12,
        "alice",
        &["alice"],
        "a12",
        HEAD,
        &[("bob", "APPROVED", "a12")],
    );
    edit(&mut change);
    peer_review_codes(history(&[(HEAD, BASE, vec![change])], None))
}

#[test]
fn an_approval_given_after_the_merge_does_not_count() {
    let after = codes_for_pr(|pr| {
        pr["reviews"]["nodes"][0]["submittedAt"] = json!("2026-11-20T10:00:01Z");
    });
    assert_eq!(
        after,
        (1, vec!["peer-review/approved-after-merge".to_string()])
    );
    // An approval whose time is unknown cannot be shown to precede the merge.
    let unknown = codes_for_pr(|pr| {
        pr["reviews"]["nodes"][0]["submittedAt"] = Value::Null;
    });
    assert_eq!(
        unknown,
        (1, vec!["peer-review/approved-after-merge".to_string()])
    );
    // What happens after the merge neither counts nor undoes the approval before it.
    let later = codes_for_pr(|pr| {
        let mut again = pr["reviews"]["nodes"][0].clone();
        again["state"] = json!("CHANGES_REQUESTED");
        again["submittedAt"] = json!("2026-11-21T08:00:00Z");
        pr["reviews"]["nodes"].as_array_mut().unwrap().push(again);
        pr["reviews"]["totalCount"] = json!(2);
    });
    assert_eq!(later, (0, vec![]));
    // At the very second of the merge still counts (GitHub's times are to the second).
    assert_eq!(
        codes_for_pr(|pr| pr["reviews"]["nodes"][0]["submittedAt"] = json!("2026-11-20T10:00:00Z")),
        (0, vec![])
    );
}

#[test]
fn identities_match_across_case_and_bot_spellings() {
    // The author's login in another case is still the author.
    let upper = codes_for_pr(|pr| {
        pr["reviews"]["nodes"][0]["author"]["login"] = json!("ALICE");
    });
    assert_eq!(upper, (1, vec!["peer-review/self-approved".to_string()]));
    // A bot whose commits GitHub did not map to a user (only its no-reply e-mail) is
    // still a contributor, and its GraphQL login has no `[bot]` suffix.
    let gh = MockGitHub::start();
    let mut change = pr(
        12,
        "alice",
        &["alice"],
        "a12",
        HEAD,
        &[("bob", "APPROVED", "a12"), ("renovate", "APPROVED", "a12")],
    );
    change["commits"]["nodes"][0]["commit"]["authors"]["nodes"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "renovate[bot]", "email": "29139614+renovate[bot]@users.noreply.github.com", "user": null}));
    change["commits"]["nodes"][0]["commit"]["authors"]["totalCount"] = json!(2);
    change["reviews"]["nodes"][1]["author"]["__typename"] = json!("Bot");
    gh.graphql("history(", history(&[(HEAD, BASE, vec![change])], None));
    let policy = "version: 1\npeer_review:\n  min_approvals: 2\n  allow_bot_approvals: true\n";
    let (code, report, _) = gh.verify(policy, &["--range", &range()]);
    assert_eq!(
        (code, codes(&report, "peer-review")),
        (1, vec!["peer-review/approved-by-contributor".to_string()])
    );
}

#[test]
fn a_deleted_approver_is_reported_as_unknown() {
    let ghost = codes_for_pr(|pr| {
        pr["reviews"]["nodes"][0]["author"]["login"] = json!("ghost");
    });
    assert_eq!(ghost, (1, vec!["peer-review/unknown-approver".to_string()]));
    // GraphQL gives no author at all for some deleted accounts.
    let gone = codes_for_pr(|pr| {
        pr["reviews"]["nodes"][0]["author"] = Value::Null;
    });
    assert_eq!(gone, (1, vec!["peer-review/unknown-approver".to_string()]));
}

#[test]
fn a_review_state_vouch_does_not_know_is_an_error_not_a_guess() {
    let odd = codes_for_pr(|pr| {
        pr["reviews"]["nodes"][0]["state"] = json!("APPROVED_WITH_SUGGESTIONS");
    });
    assert_eq!(odd, (1, vec!["peer-review/unreadable".to_string()]));
}

#[test]
fn a_rebase_merge_accounts_for_every_rewritten_commit() {
    // PR #12 had 3 commits, rebased onto main as C1, C2 and HEAD (its merge commit).
    const C1: &str = "c111111111111111111111111111111111111111";
    const C2: &str = "c222222222222222222222222222222222222222";
    let mut change = pr(
        12,
        "alice",
        &["alice"],
        "a12",
        HEAD,
        &[("bob", "APPROVED", "a12")],
    );
    change["commits"]["totalCount"] = json!(3);
    let commit = change["commits"]["nodes"][0].clone();
    change["commits"]["nodes"] = json!([commit.clone(), commit.clone(), commit]);
    let gh = MockGitHub::start();
    gh.graphql(
        "history(",
        history(
            &[
                (HEAD, C2, vec![change.clone()]),
                (C2, C1, vec![change.clone()]),
                (C1, BASE, vec![change.clone()]),
            ],
            None,
        ),
    );
    let (code, report, _) = gh.verify("version: 1\npeer_review: {}\n", &["--range", &range()]);
    assert_eq!(code, 0, "{report}");
    let record = &control(&report, "peer-review")["changes"][0];
    assert_eq!(record["commits"], json!([HEAD, C2, C1]));

    // One commit more than the PR had is not the PR's: it reached the branch another way.
    let gh = MockGitHub::start();
    const C0: &str = "c000000000000000000000000000000000000000";
    gh.graphql(
        "history(",
        history(
            &[
                (HEAD, C2, vec![change.clone()]),
                (C2, C1, vec![change.clone()]),
                (C1, C0, vec![change.clone()]),
                (C0, BASE, vec![change]),
            ],
            None,
        ),
    );
    let (code, report, _) = gh.verify("version: 1\npeer_review: {}\n", &["--range", &range()]);
    assert_eq!(
        (code, codes(&report, "peer-review")),
        (1, vec!["peer-review/direct-push".to_string()])
    );
    assert_eq!(control(&report, "peer-review")["changes"][1]["id"], C0);
}

#[test]
fn commits_below_a_true_merge_commit_are_not_the_prs() {
    // HEAD merges PR #12 (two commits) with a merge commit: its first parent MID is what
    // main already had, even if GitHub associates MID with the PR.
    let mut change = pr(
        12,
        "alice",
        &["alice"],
        "a12",
        HEAD,
        &[("bob", "APPROVED", "a12")],
    );
    change["commits"]["totalCount"] = json!(2);
    let commit = change["commits"]["nodes"][0].clone();
    change["commits"]["nodes"] = json!([commit.clone(), commit]);
    let mut nodes = history(
        &[(HEAD, MID, vec![change.clone()]), (MID, BASE, vec![change])],
        None,
    );
    nodes["data"]["repository"]["head"]["history"]["nodes"][0]["parents"]["nodes"] =
        json!([{"oid": MID}, {"oid": "a12"}]);
    assert_eq!(
        peer_review_codes(nodes),
        (1, vec!["peer-review/direct-push".to_string()])
    );
}

#[test]
fn a_pr_that_merely_contains_a_direct_push_does_not_cover_it() {
    // MID was pushed straight to main; PR #12, later merged as HEAD, lists it among its
    // commits (and GitHub associates it with the PR). The PR had one commit of its own
    // above the branch, so only HEAD came through it; MID is a direct push.
    let mut change = pr(
        12,
        "alice",
        &["alice"],
        "a12",
        HEAD,
        &[("bob", "APPROVED", "a12")],
    );
    change["commits"]["nodes"][0]["commit"]["oid"] = json!(MID);
    let gh = MockGitHub::start();
    gh.graphql(
        "history(",
        history(
            &[(HEAD, MID, vec![change.clone()]), (MID, BASE, vec![change])],
            None,
        ),
    );
    let (code, report, _) = gh.verify("version: 1\npeer_review: {}\n", &["--range", &range()]);
    assert_eq!(
        (code, codes(&report, "peer-review")),
        (1, vec!["peer-review/direct-push".to_string()])
    );
    // A PR merged into another branch does not cover a commit on this one either.
    let mut elsewhere = pr(
        13,
        "alice",
        &["alice"],
        "a13",
        HEAD,
        &[("bob", "APPROVED", "a13")],
    );
    elsewhere["baseRefName"] = json!("release/1.x");
    assert_eq!(
        peer_review_codes(history(&[(HEAD, BASE, vec![elsewhere])], None)),
        (1, vec!["peer-review/direct-push".to_string()])
    );
}

#[test]
fn a_graphql_query_timeout_is_retried_and_a_persistent_one_is_an_error() {
    let timeout = json!({"data": null, "errors": [{"message": "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug."}]});
    let gh = MockGitHub::start();
    gh.mount(
        Mock::given(method("POST"))
            .and(path("/graphql"))
            .respond_with(ResponseTemplate::new(200).set_body_json(timeout.clone()))
            .up_to_n_times(1)
            .with_priority(1),
    );
    mount_clean_history(&gh);
    let (code, report, _) = gh.verify("version: 1\npeer_review: {}\n", &["--range", &range()]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(gh.requests().len(), 2);

    let gh = MockGitHub::start();
    gh.graphql("history(", timeout);
    let (code, report, _) = gh.verify("version: 1\npeer_review: {}\n", &["--range", &range()]);
    assert_eq!((code, status(&report, "peer-review")), (1, "error"));
    assert_eq!(gh.requests().len(), 4, "the first try and 3 retries");
}

#[test]
fn a_short_commit_is_refused_before_any_request() {
    let gh = MockGitHub::start();
    let dir = tempdir();
    let policy = write(dir.path(), "vouch.yaml", POLICY);
    let mut cmd = vouch();
    cmd.arg("verify")
        .arg("--policy")
        .arg(&policy)
        .args([
            "--forge",
            "github",
            "--repo",
            "acme/ledger",
            "--commit",
            "1111111",
        ])
        .env("GITHUB_API_URL", gh.server.uri())
        .env("GITHUB_TOKEN", CANARY);
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("give its full SHA"), "{stderr}");
    assert!(gh.requests().is_empty());
}

#[test]
fn a_range_without_commit_gates_the_checks_of_its_head() {
    let gh = MockGitHub::start();
    mount_checks(&gh, json!([check_run("build", HEAD, "success")]), json!([]));
    // The range's changes are read too: their heads' checks count as well.
    mount_clean_history(&gh);
    let dir = tempdir();
    let policy = write(
        dir.path(),
        "vouch.yaml",
        "version: 1\nrequired_checks:\n  checks: [build]\n",
    );
    let (code, stdout, stderr) = run(vouch()
        .arg("verify")
        .arg("--policy")
        .arg(&policy)
        .args(["--forge", "github", "--repo", "acme/ledger", "--range"])
        .arg(format!("{BASE}..{HEAD}"))
        .args(["--format", "json"])
        .env("GITHUB_API_URL", gh.server.uri())
        .env("GITHUB_TOKEN", CANARY));
    // Once `error`: "no commit checks were read".
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status(&report, "required-checks"), "pass");
}

#[test]
fn a_violated_requirement_says_what_was_required_and_what_was_found() {
    let gh = MockGitHub::start();
    gh.get("/repos/acme/ledger/rules/branches/main", 200, json!([]));
    gh.get(
        "/repos/acme/ledger/branches/main/protection",
        404,
        json!({"message": "Branch not protected"}),
    );
    let (code, report, _) = gh.verify(
        "version: 1\nbranch_protection:\n  required_checks: [build]\n",
        &[],
    );
    assert_eq!(code, 1);
    let messages: Vec<String> = control(&report, "branch-protection")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}: {}",
                f["code"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    let find = |code: &str| {
        messages
            .iter()
            .find(|m| m.starts_with(code))
            .unwrap_or_else(|| panic!("no {code} in {messages:?}"))
            .clone()
    };
    // Once "main: deletion is blocked", worded as if it held.
    assert_eq!(
        find("branch-protection/deletion-allowed"),
        "branch-protection/deletion-allowed: main: expected deletion blocked, got no active ruleset rule `deletion`, and there is no classic protection"
    );
    assert!(
        find("branch-protection/required-check-not-enforced")
            .contains("expected status check `build` required, got")
    );
    for m in &messages {
        assert!(m.contains("expected ") && m.contains(", got "), "{m}");
    }
}

#[test]
fn a_peer_review_finding_says_what_was_required_and_what_was_found() {
    let gh = MockGitHub::start();
    gh.graphql(
        "history(",
        history(
            &[
                (
                    HEAD,
                    MID,
                    vec![pr(
                        12,
                        "alice",
                        &["alice"],
                        "a12",
                        HEAD,
                        &[("alice", "APPROVED", "a12")],
                    )],
                ),
                (MID, BASE, vec![]),
            ],
            None,
        ),
    );
    let (code, report, _) = gh.verify("version: 1\npeer_review: {}\n", &["--range", &range()]);
    assert_eq!(code, 1);
    let messages: Vec<String> = control(&report, "peer-review")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains(
            "expected 1 independent approval(s) on the merged head, got 0; alice is the PR author"
        )),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("expected a merged pull request, got a direct push")),
        "{messages:?}"
    );
}
