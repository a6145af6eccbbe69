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
    /// The page of `items` the request asks for, with GitLab's `Link: rel="next"` (and
    /// `x-total-pages` when `counted`: GitLab leaves it out of the commit history).
    fn page(&self, request: &Request, items: Vec<Value>, counted: bool) -> ResponseTemplate {
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
        if counted {
            let total = items.len().div_ceil(per).max(1);
            template = template.insert_header("x-total-pages", total.to_string().as_str());
        }
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
            "merge_user": user("merger"), "merged_at": self.merged_at(iid - 1),
            "created_at": "2026-11-19T10:00:00Z", "updated_at": "2026-11-20T10:00:00Z"
        })
    }

    /// When the merge commit `merge_sha(i)` was made: the newer, the smaller `i`.
    fn merged_at(&self, i: usize) -> String {
        let at = time::macros::datetime!(2026-11-20 10:00 UTC)
            + time::Duration::minutes((self.n - i) as i64);
        at.format(&time::format_description::well_known::Rfc3339)
            .expect("a date")
    }

    /// The merge commit `merge_sha(i)` as GitLab shows a commit.
    fn commit(&self, i: usize) -> Value {
        let parent = if i + 1 < self.n {
            merge_sha(i + 1)
        } else {
            BASE.to_string()
        };
        json!({"id": merge_sha(i), "title": "Merge", "message": "Merge",
               "parent_ids": [parent, "f".repeat(40)],
               "author_name": "Merger", "author_email": "merger@example.com",
               "committed_date": self.merged_at(i)})
    }

    /// The position of a merge commit on the line (`n` for the base), if it is one.
    fn position(&self, sha: &str) -> Option<usize> {
        if sha == BASE {
            return Some(self.n);
        }
        let i = usize::from_str_radix(sha, 16).ok()?.checked_sub(1)?;
        (i < self.n && merge_sha(i) == sha).then_some(i)
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
                // `ref_name=FROM..TO&first_parent=true`: the line from TO down to FROM.
                let range = request
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "ref_name")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                let Some((from, to)) = range.split_once("..") else {
                    return ResponseTemplate::new(400);
                };
                let (Some(from), Some(to)) = (self.position(from), self.position(to)) else {
                    return ResponseTemplate::new(404);
                };
                let commits = (to..from.max(to)).map(|i| self.commit(i)).collect();
                self.page(request, commits, false)
            }
            ["repository", "commits", sha] => match self.position(sha) {
                Some(i) if i < self.n => ok(self.commit(i)),
                Some(_) => ok(json!({"id": BASE, "title": "Base", "message": "Base",
                    "parent_ids": [], "author_name": "A", "author_email": "a@example.com",
                    "committed_date": "2026-10-31T00:00:00Z"})),
                None => ResponseTemplate::new(404),
            },
            ["merge_requests"] => {
                // Updated most recently first: the newest merge (iid 1) first.
                let mrs = (1..=self.n).map(|iid| self.mr(iid)).collect();
                self.page(request, mrs, true)
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
                        self.page(request, pipelines, true)
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

/// What one run took.
struct Measured {
    requests: usize,
    in_flight: usize,
    /// Wall time over the answers' latency.
    periods: usize,
    /// Sequential rounds, as vouch counts them (`rounds=` in its `-v` log): the longest
    /// chain of requests each sent after the one before it was answered.
    rounds: usize,
}

/// A loopback GitLab with a history of `n` changes, on its own runtime.
fn serve(n: usize) -> (tokio::runtime::Runtime, MockServer, Arc<History>) {
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
    (runtime, server, history)
}

/// `vouch verify` of the whole history against `server`, with `extra` arguments.
fn verify(server: &MockServer, extra: &[&str]) -> (i32, String, String) {
    let dir = tempdir();
    let policy = write(
        dir.path(),
        "vouch.yaml",
        "version: 1\nbranch_protection: {}\npeer_review: {}\nrequired_checks:\n  checks: [build]\n",
    );
    let head = merge_sha(0);
    run(vouch()
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
        .args(["--forge-deadline", "600"])
        .args(extra)
        .env("GITLAB_TOKEN", "glpat-economy-0123456789"))
}

/// One run.
fn measure(n: usize) -> Measured {
    let (_runtime, server, history) = serve(n);
    let started = Instant::now();
    let (code, stdout, stderr) = verify(&server, &["--format", "json", "-v"]);
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
    let rounds = stderr
        .lines()
        .filter(|l| l.contains("forge reads done"))
        .find_map(|l| {
            let (_, rest) = l.split_once("rounds=")?;
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("N={n}: no rounds in the log: {stderr}"));
    Measured {
        requests: arrivals.len(),
        in_flight: max_in_flight(&arrivals),
        periods: (elapsed.as_secs_f64() / LATENCY.as_secs_f64()).round() as usize,
        rounds,
    }
}

#[test]
fn reading_n_changes_stays_within_the_request_budget_eight_in_flight_and_ten_rounds() {
    for n in [10, 100, 1000] {
        let m = measure(n);
        let budget = 4 * n + 2 * n.div_ceil(100) + 20;
        eprintln!(
            "gitlab economy: N={n}: {} requests (budget {budget}, {:.2} per change), at most {} in flight, {} sequential rounds, about {} round trips of {} ms",
            m.requests,
            m.requests as f64 / n as f64,
            m.in_flight,
            m.rounds,
            m.periods,
            LATENCY.as_millis()
        );
        assert!(
            m.requests <= budget,
            "N={n}: {} requests, budget {budget}",
            m.requests
        );
        assert!(
            m.in_flight <= 8,
            "N={n}: {} requests in flight at once",
            m.in_flight
        );
        assert!(m.rounds <= 10, "N={n}: {} sequential rounds", m.rounds);
        // The count is the client's own: it cannot be below the chain of reads that
        // depend on each other (the base; the listing's first page, and its other
        // pages once there are more than 100; the history; the reviews), and the wall
        // time cannot be below what eight in flight allow.
        let chain = 4 + usize::from(n > 100);
        assert!(
            m.rounds >= chain,
            "N={n}: {} rounds, below the chain",
            m.rounds
        );
        assert!(
            m.periods >= m.requests.div_ceil(8),
            "N={n}: {} round trips for {} requests at 8 in flight",
            m.periods,
            m.requests
        );
    }
}

/// A history read in parallel runs and pages (three pages of merge requests, three runs
/// of commits) is saved and re-performed offline to the same verdict: the page counts
/// that let the pages be read at once are part of the transcript.
#[test]
fn a_history_read_in_parallel_runs_replays_offline_to_the_same_verdict() {
    let n = 250;
    let dir = tempdir();
    let out = dir.path().join("evidence");
    let original = dir.path().join("original.json");
    let (runtime, server, history) = serve(n);
    let (code, _, stderr) = verify(
        &server,
        &[
            "--evidence-out",
            out.to_str().unwrap(),
            "--format",
            &format!("json={}", original.display()),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let asked = history.arrivals.lock().unwrap().len();
    drop(server);
    drop(runtime);
    let transcript = std::fs::read_to_string(out.join("forge-transcript.json")).unwrap();
    assert!(
        transcript.contains("\"total_pages\": 3"),
        "no page count kept"
    );
    for run in [merge_sha(99), merge_sha(198)] {
        assert!(
            transcript.contains(&format!("{run}%2E%2E")),
            "no run from {run}"
        );
    }
    let (code, stdout, stderr) = run(vouch().arg("evaluate").arg(&out).args(["--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let replay: Value = serde_json::from_str(&stdout).unwrap();
    let original: Value =
        serde_json::from_str(&std::fs::read_to_string(&original).unwrap()).unwrap();
    assert_eq!(replay["controls"], original["controls"]);
    assert!(asked > 4 * n, "{asked} requests");
}
