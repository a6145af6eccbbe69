//! GitLab API economy: a range of N merged merge requests (N = 10, 100, 1,000) against
//! a loopback GitLab that answers from the request path, counting requests and how many
//! were in flight at once. The budget (issue 12): at most 4 requests per change, plus 2
//! per 100 commits, plus 20; at most 8 in flight. Figures are printed for BENCHMARKS.md.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

use super::support::{run, status, tempdir, vouch, write};

const PROJECT: &str = "/api/v4/projects/acme%2Fledger";
const BASE: &str = "ba5eba5eba5eba5eba5eba5eba5eba5eba5eba5e";
const LATENCY: Duration = Duration::from_millis(15);

/// A project whose `main` got `n` merge commits, each of one merge request.
struct History {
    n: usize,
    /// The server's address: links carry it (the request's own URL does not).
    base: String,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

fn merge_sha(i: usize) -> String {
    format!("{:040x}", i + 1)
}

fn head_sha(iid: usize) -> String {
    format!("{:040x}", 0x00ab_0000 + iid)
}

fn user(name: &str) -> Value {
    json!({"id": name.len(), "username": name, "name": name})
}

impl History {
    /// The page of `items` the request asks for, with GitLab's `Link: rel="next"`.
    fn page(&self, request: &Request, items: Vec<Value>) -> ResponseTemplate {
        let page: usize = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        let per = 100;
        let slice: Vec<Value> = items
            .iter()
            .skip((page - 1) * per)
            .take(per)
            .cloned()
            .collect();
        let mut template = ResponseTemplate::new(200).set_body_json(slice);
        if page * per < items.len() {
            let mut next = request.url.clone();
            // `http://127.0.0.1:PORT`
            let (host, port) = self
                .base
                .trim_start_matches("http://")
                .split_once(':')
                .expect("host:port");
            next.set_host(Some(host)).expect("host");
            next.set_port(port.parse().ok()).expect("port");
            let pairs: Vec<(String, String)> = request
                .url
                .query_pairs()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            next.query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair("page", &(page + 1).to_string());
            template = template.insert_header("link", format!("<{next}>; rel=\"next\"").as_str());
        }
        template
    }

    fn mr(&self, iid: usize) -> Value {
        json!({
            "id": 1000 + iid, "iid": iid, "title": format!("Change {iid}"), "state": "merged",
            "target_branch": "main", "sha": head_sha(iid), "merge_commit_sha": merge_sha(iid - 1),
            "squash_commit_sha": null, "author": user(&format!("author{iid}")),
            "merge_user": user("merger"), "merged_at": "2026-11-20T10:00:00Z",
            "created_at": "2026-11-19T10:00:00Z", "updated_at": "2026-11-20T10:00:00Z"
        })
    }

    fn answer(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let Some(rest) = path.strip_prefix(PROJECT) else {
            return ResponseTemplate::new(404);
        };
        let ok = |v: Value| ResponseTemplate::new(200).set_body_json(v);
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            [] => ok(json!({"id": 7, "default_branch": "main", "merge_method": "merge"})),
            ["protected_branches"] => ok(json!([{"id": 1, "name": "main",
                "push_access_levels": [{"access_level": 0}], "allow_force_push": false}])),
            ["approvals"] => ok(json!({"reset_approvals_on_push": true,
                "merge_requests_author_approval": false,
                "merge_requests_disable_committers_approval": true,
                "disable_overriding_approvers_per_merge_request": true})),
            ["approval_rules"] => ok(json!([{"approvals_required": 1,
                "applies_to_all_protected_branches": true}])),
            ["push_rule"] => ok(json!({"reject_unsigned_commits": false})),
            ["repository", "commits"] => {
                let commits = (0..self.n)
                    .map(|i| {
                        let parent = if i + 1 < self.n {
                            merge_sha(i + 1)
                        } else {
                            BASE.to_string()
                        };
                        json!({"id": merge_sha(i), "title": "Merge", "message": "Merge",
                               "parent_ids": [parent, "f".repeat(40)],
                               "author_name": "Merger", "author_email": "merger@example.com",
                               "committed_date": "2026-11-20T10:00:00Z"})
                    })
                    .collect();
                self.page(request, commits)
            }
            ["merge_requests"] => {
                let mrs = (1..=self.n).rev().map(|iid| self.mr(iid)).collect();
                self.page(request, mrs)
            }
            ["merge_requests", iid, what] => {
                let iid: usize = iid.parse().unwrap_or(0);
                match *what {
                    "commits" => ok(json!([{"id": head_sha(iid), "title": "c", "message": "c",
                        "parent_ids": [BASE], "author_name": format!("author{iid}"),
                        "author_email": format!("author{iid}@example.com")}])),
                    "approvals" => ok(json!({"approved_by": [{"user": user("reviewer"),
                        "approved_at": "2026-11-20T09:00:00Z"}]})),
                    "versions" => ok(json!([{"id": 1, "head_commit_sha": head_sha(iid),
                        "created_at": "2026-11-20T08:00:00Z"}])),
                    _ => ResponseTemplate::new(404),
                }
            }
            ["pipelines"] => {
                let sha = request
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "sha")
                    .map(|(_, v)| v.into_owned());
                match sha {
                    Some(sha) if sha == merge_sha(0) => {
                        ok(json!([{"id": 1, "sha": sha, "ref": "main"}]))
                    }
                    Some(_) => ok(json!([])),
                    None => {
                        let pipelines = (1..=self.n)
                            .rev()
                            .map(|iid| {
                                json!({"id": 10 + iid, "sha": head_sha(iid),
                                       "ref": format!("refs/merge-requests/{iid}/head")})
                            })
                            .collect();
                        self.page(request, pipelines)
                    }
                }
            }
            ["pipelines", id, "jobs"] => {
                let id: usize = id.parse().unwrap_or(0);
                let sha = if id == 1 {
                    merge_sha(0)
                } else {
                    head_sha(id - 10)
                };
                ok(json!([{"id": id * 10, "name": "build", "status": "success",
                           "allow_failure": false, "finished_at": "2026-11-20T08:30:00Z",
                           "pipeline": {"id": id, "sha": sha}}]))
            }
            _ => ResponseTemplate::new(404),
        }
    }
}

struct Responder(Arc<History>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.arrivals.lock().unwrap().push(Instant::now());
        self.0.answer(request).set_delay(LATENCY)
    }
}

/// Most requests in flight at once: every answer takes `LATENCY`, and the client sends
/// a request only when a place is free, so the arrivals within any `LATENCY` are the
/// requests that were on the wire together.
fn max_in_flight(arrivals: &[Instant]) -> usize {
    let mut sorted = arrivals.to_vec();
    sorted.sort();
    let mut most = 0;
    let mut start = 0;
    for (end, at) in sorted.iter().enumerate() {
        while *at - sorted[start] >= LATENCY {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most
}

/// One run: (requests, most in flight, latency periods the run took).
fn measure(n: usize) -> (usize, usize, usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(MockServer::start());
    let history = Arc::new(History {
        n,
        base: server.uri(),
        arrivals: Arc::default(),
    });
    runtime.block_on(
        Mock::given(any())
            .respond_with(Responder(history.clone()))
            .mount(&server),
    );
    let dir = tempdir();
    let policy = write(
        dir.path(),
        "vouch.yaml",
        "version: 1\nbranch_protection: {}\npeer_review: {}\nrequired_checks:\n  checks: [build]\n",
    );
    let head = merge_sha(0);
    let started = Instant::now();
    let (code, stdout, stderr) = run(vouch()
        .arg("verify")
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
        .args(["--commit", &head, "--range", &format!("{BASE}..{head}")])
        .args(["--api-url", &format!("{}/api/v4", server.uri())])
        .args(["--format", "json", "--forge-deadline", "600"])
        .env("GITLAB_TOKEN", "glpat-economy-0123456789"));
    let elapsed = started.elapsed();
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(
        code,
        0,
        "N={n}: {} {}",
        super::support::control(&report, "peer-review"),
        stderr
    );
    for id in ["branch-protection", "peer-review", "required-checks"] {
        assert_eq!(status(&report, id), "pass", "N={n} {id}");
    }
    let arrivals = history.arrivals.lock().unwrap().clone();
    let periods = (elapsed.as_secs_f64() / LATENCY.as_secs_f64()).round() as usize;
    (arrivals.len(), max_in_flight(&arrivals), periods)
}

#[test]
fn reading_n_changes_stays_within_the_request_budget_and_eight_in_flight() {
    for n in [10, 100, 1000] {
        let (requests, in_flight, periods) = measure(n);
        let budget = 4 * n + 2 * n.div_ceil(100) + 20;
        eprintln!(
            "gitlab economy: N={n}: {requests} requests (budget {budget}, {:.2} per change), at most {in_flight} in flight, about {periods} round trips of {} ms",
            requests as f64 / n as f64,
            LATENCY.as_millis()
        );
        assert!(
            requests <= budget,
            "N={n}: {requests} requests, budget {budget}"
        );
        assert!(
            in_flight <= 8,
            "N={n}: {in_flight} requests in flight at once"
        );
    }
}
