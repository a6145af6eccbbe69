//! A mutation fuzzer for every reader vouch has, on the stable toolchain.
//!
//! Each target is seeded from the repository's fixtures and, when present, the
//! third-party corpus (`../shared/corpus`), replays the inputs kept in
//! `tests/fixtures/fuzz/<target>/` (inputs that once failed), then mutates seeds for a
//! bounded time: byte flips, insertions, deletions, truncation, repeated and spliced
//! chunks, and JSON-aware edits (huge numbers, long strings, deep nesting). An input
//! fails the run when a reader panics, runs past [`HANG`], or allocates more than
//! [`MEMORY_FACTOR`] times the input (plus [`MEMORY_FLOOR`] for fixed costs such as a
//! compiled schema). A failing input is written to `target/fuzz-failures/` to be kept as
//! a regression fixture.
//!
//! `cargo test` runs every target for `VOUCH_FUZZ_SECONDS` (default 1) seconds; `.ci/run`
//! gives each longer. The mutations are deterministic for a seed (`VOUCH_FUZZ_SEED`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Longest any single reader call may take.
const HANG: Duration = Duration::from_secs(5);
/// Most heap a reader may hold at once, per byte of input.
const MEMORY_FACTOR: usize = 20;
/// Heap allowed on top, for costs that do not grow with the input (compiled schemas,
/// the embedded trusted root).
const MEMORY_FLOOR: usize = 48 << 20;
/// Largest mutated input (bigger seeds are truncated before mutation).
const MAX_INPUT: usize = 256 << 10;

/// Counts live and peak heap bytes, so that a reader's peak can be compared with the
/// size of its input.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size > layout.size() {
                let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A reader under test: it gets the bytes and must return, whatever they are.
type Reader = fn(&[u8]);

struct Target {
    name: &'static str,
    reader: Reader,
    /// Seed files and directories, relative to the repository or to the corpus.
    repo_seeds: &'static [&'static str],
    corpus_seeds: &'static [&'static str],
    /// File name endings taken from seed directories.
    extensions: &'static [&'static str],
}

fn policy(b: &[u8]) {
    let _ = vouch::policy::parse_str(&String::from_utf8_lossy(b), "fuzz.yaml");
}
fn sarif(b: &[u8]) {
    let _ = vouch::collect::files::sarif::read_sast("fuzz", b);
}
fn sca(b: &[u8]) {
    let _ = vouch::collect::files::sca::read_sca("fuzz", b);
}
fn vex(b: &[u8]) {
    let _ = vouch::collect::files::vex::read_vex("fuzz", b);
}
fn sbom(b: &[u8]) {
    let _ = vouch::collect::files::sbom::read("fuzz", b);
}
fn lockfile(b: &[u8]) {
    for name in ["Cargo.lock", "package-lock.json", "metadata.json"] {
        let _ = vouch::collect::files::lockfile::read(name, b);
    }
}
fn attestation(b: &[u8]) {
    thread_local! {
        static ROOT: vouch::verify::trust_root::TrustedRoot =
            vouch::verify::trust_root::TrustedRoot::public_good().expect("embedded root");
    }
    let signers = vouch::verify::provenance::ProvenanceSigner::default();
    ROOT.with(|root| {
        let _ =
            vouch::collect::files::attestation::read_attestation_file("fuzz", b, &signers, root);
    });
}
fn statement(b: &[u8]) {
    let _ = vouch::verify::statement::Statement::from_payload(b);
}
fn certificate(b: &[u8]) {
    let _ = vouch::verify::certificate::ParsedCertificate::from_pem(b);
    let _ = vouch::verify::certificate::ParsedCertificate::from_der(b.to_vec());
}
fn trusted_root(b: &[u8]) {
    let _ = vouch::verify::trust_root::TrustedRoot::from_json(b);
}
fn evidence(b: &[u8]) {
    let _ = serde_json::from_slice::<vouch::evidence::Evidence>(b);
}
/// GitHub's answers: the fuzzed bytes are the answer to one of the reads (chosen by
/// the first byte), the others are well-formed; the whole forge collection runs.
fn github(b: &[u8]) {
    use vouch::collect::forge::transcript::Answer;
    use vouch::collect::forge::{self, ForgeRequest, RangeRequest, github, http};
    let Some((&which, body)) = b.split_first() else {
        return;
    };
    let mut answers: Vec<Answer> = GITHUB_ANSWERS
        .iter()
        .map(|a| Answer::response(200, None, a.as_bytes()))
        .collect();
    let at = usize::from(which) % answers.len();
    answers[at] = Answer::response(200, None, body);
    let api = http::ApiClient::scripted(answers);
    let repo = github::Repo::parse("acme/ledger").expect("repo");
    let mut gh = github::GitHub::new(api, repo);
    let request = ForgeRequest {
        branch: Some("main".into()),
        range: Some(RangeRequest::Commits {
            base: "3".repeat(40),
            head: "1".repeat(40),
            branch: Some("main".into()),
            origin: "fuzz".into(),
        }),
        commit: Some("1".repeat(40)),
        alerts_ref: Some("refs/heads/main".into()),
        commit_ref: None,
    };
    let _ = forge::collect(
        &mut gh,
        "github",
        "https://api.invalid",
        "acme/ledger",
        &request,
        &|_| {},
    );
}

/// GitLab's answers, as for [`github`]: one read's answer is the fuzzed bytes.
fn gitlab(b: &[u8]) {
    use vouch::collect::forge::transcript::Answer;
    use vouch::collect::forge::{self, ForgeRequest, RangeRequest, gitlab, http};
    let Some((&which, body)) = b.split_first() else {
        return;
    };
    let mut answers: Vec<Answer> = GITLAB_ANSWERS
        .iter()
        .map(|a| Answer::response(200, None, a.as_bytes()))
        .collect();
    let at = usize::from(which) % answers.len();
    answers[at] = Answer::response(200, None, body);
    let api = http::ApiClient::scripted(answers);
    let project = gitlab::Project::parse("acme/ledger").expect("project");
    let mut lab = gitlab::GitLab::new(api, project, gitlab::TokenKind::Private);
    let request = ForgeRequest {
        branch: Some("main".into()),
        range: Some(RangeRequest::Commits {
            base: "3".repeat(40),
            head: "1".repeat(40),
            branch: Some("main".into()),
            origin: "fuzz".into(),
        }),
        commit: Some("1".repeat(40)),
        alerts_ref: None,
        commit_ref: Some("main".into()),
    };
    let _ = forge::collect(
        &mut lab,
        "gitlab",
        "https://gitlab.invalid/api/v4",
        "acme/ledger",
        &request,
        &|_| {},
    );
}

/// Well-formed answers in the order the GitLab reads ask: protected branches, approval
/// settings, approval rules, push rule, project; the history, the merged merge
/// requests, a merge request's commits, the pipelines, its head's jobs, approvals and
/// diff versions; the commit's pipelines and jobs.
const GITLAB_ANSWERS: [&str; 14] = [
    r#"[{"id":1,"name":"main","push_access_levels":[{"access_level":0}],"allow_force_push":false}]"#,
    r#"{"reset_approvals_on_push":true,"merge_requests_author_approval":false,"merge_requests_disable_committers_approval":true,"disable_overriding_approvers_per_merge_request":true}"#,
    r#"[{"approvals_required":1,"applies_to_all_protected_branches":true}]"#,
    r#"{"reject_unsigned_commits":false}"#,
    r#"{"id":7,"merge_method":"merge"}"#,
    r#"[{"id":"1111111111111111111111111111111111111111","parent_ids":["3333333333333333333333333333333333333333","9999999999999999999999999999999999999999"],"author_name":"a","author_email":"a@x","committed_date":"2026-11-20T10:00:00Z"}]"#,
    r#"[{"iid":12,"title":"t","state":"merged","target_branch":"main","sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","merge_commit_sha":"1111111111111111111111111111111111111111","author":{"username":"alice"},"created_at":"2026-11-19T10:00:00Z"}]"#,
    r#"[{"id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","author_name":"alice","author_email":"alice@x","parent_ids":[]}]"#,
    r#"[{"id":5,"sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}]"#,
    r#"[{"id":50,"name":"build","status":"success","allow_failure":false}]"#,
    r#"{"approved_by":[{"user":{"username":"bob"},"approved_at":"2026-11-20T09:00:00Z"}]}"#,
    r#"[{"id":1,"head_commit_sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","created_at":"2026-11-20T08:00:00Z"}]"#,
    r#"[{"id":6,"sha":"1111111111111111111111111111111111111111"}]"#,
    r#"[{"id":60,"name":"build","status":"success","allow_failure":false}]"#,
];

/// Well-formed answers in the order the GitHub reads ask: rules, ruleset, classic
/// protection, history (GraphQL), check runs, statuses, code-scanning alerts.
const GITHUB_ANSWERS: [&str; 7] = [
    r#"[{"type":"pull_request","ruleset_id":42,"parameters":{"required_approving_review_count":1,"dismiss_stale_reviews_on_push":true}},{"type":"deletion","ruleset_id":42}]"#,
    r#"{"id":42,"bypass_actors":[]}"#,
    r#"{"url":"u","enforce_admins":{"enabled":true},"required_pull_request_reviews":{"required_approving_review_count":1,"dismiss_stale_reviews":true,"require_code_owner_reviews":false}}"#,
    r#"{"data":{"repository":{"defaultBranchRef":{"name":"main"},"base":{"oid":"3333333333333333333333333333333333333333"},"head":{"oid":"1111111111111111111111111111111111111111","history":{"pageInfo":{"hasNextPage":false,"endCursor":null},"nodes":[{"oid":"1111111111111111111111111111111111111111","parents":{"totalCount":1},"author":{"name":"a","email":"a@x","user":{"login":"alice"}},"associatedPullRequests":{"nodes":[]}}]}}}}}"#,
    r#"{"total_count":1,"check_runs":[{"name":"build","head_sha":"1111111111111111111111111111111111111111","status":"completed","conclusion":"success"}]}"#,
    r#"{"state":"success","sha":"1111111111111111111111111111111111111111","statuses":[],"total_count":0}"#,
    r#"[]"#,
];

fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "policy",
            reader: policy,
            repo_seeds: &["src/policy/starter.yaml", "examples/vouch.yaml"],
            corpus_seeds: &[],
            extensions: &[".yaml"],
        },
        Target {
            name: "sarif",
            reader: sarif,
            repo_seeds: &["tests/fixtures/sarif", "examples/evidence/codeql.sarif"],
            corpus_seeds: &["sarif", "sca/gitlab-sast"],
            extensions: &[".sarif", ".json"],
        },
        Target {
            name: "sca",
            reader: sca,
            repo_seeds: &["tests/fixtures/sca"],
            corpus_seeds: &["sca"],
            extensions: &[".json"],
        },
        Target {
            name: "vex",
            reader: vex,
            repo_seeds: &["examples/evidence/ledger.openvex.json"],
            corpus_seeds: &[],
            extensions: &[".json"],
        },
        Target {
            name: "cyclonedx",
            reader: sbom,
            repo_seeds: &[
                "tests/fixtures/sbom/app.cdx.json",
                "examples/evidence/ledger.cdx.json",
            ],
            corpus_seeds: &["cyclonedx/1.6", "cyclonedx/1.5"],
            extensions: &[".json", ".xml"],
        },
        Target {
            name: "lockfile",
            reader: lockfile,
            repo_seeds: &[
                "examples/evidence/Cargo.lock",
                "tests/fixtures/sbom/package-lock.json",
            ],
            corpus_seeds: &[],
            extensions: &[".lock", ".json"],
        },
        Target {
            name: "attestation",
            reader: attestation,
            repo_seeds: &[],
            corpus_seeds: &[
                "sigstore-conformance/assets/bundle-verify",
                "slsa-provenance/bundle",
                "slsa-provenance/misc",
            ],
            extensions: &[".json", ".jsonl", ".sigstore"],
        },
        Target {
            name: "statement",
            reader: statement,
            repo_seeds: &[],
            corpus_seeds: &["in-toto"],
            extensions: &[".json"],
        },
        Target {
            name: "certificate",
            reader: certificate,
            repo_seeds: &[],
            corpus_seeds: &["sigstore-conformance/production-trusted-root"],
            extensions: &[".pem", ".crt", ".json"],
        },
        Target {
            name: "trusted-root",
            reader: trusted_root,
            repo_seeds: &["src/verify/roots"],
            corpus_seeds: &["sigstore-conformance/production-trusted-root"],
            extensions: &[".json"],
        },
        Target {
            name: "evidence",
            reader: evidence,
            repo_seeds: &[],
            corpus_seeds: &[],
            extensions: &[".json"],
        },
        Target {
            name: "github",
            reader: github,
            repo_seeds: &[],
            corpus_seeds: &["github-api"],
            extensions: &[".json"],
        },
        Target {
            name: "gitlab",
            reader: gitlab,
            repo_seeds: &[],
            corpus_seeds: &["gitlab-api"],
            extensions: &[".json", ".jsonc"],
        },
    ]
}

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&[u8]] = &[
    b"null",
    b"[]",
    b"{}",
    b"\"\"",
    b"-1",
    b"0",
    b"1e999",
    b"18446744073709551616",
    b"\"\\u0000\"",
    b"\"\\ud800\"",
    b"true",
    b"\xEF\xBB\xBF",
    b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
    b"&a;",
    b"]]>",
    b"{\"a\":",
    b"\"runs\"",
    b"\"components\"",
    b"\"vulnerabilities\"",
    b"\"statements\"",
    b"\"@context\"",
    b"\"{0}{1}{0}\"",
    b"../../",
    b"%2e%2e/",
];

fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let len = b.len();
        match rng.below(10) {
            0 if len > 0 => {
                let i = rng.below(len);
                b[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                b[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(len + 1);
                let t = TOKENS[rng.below(TOKENS.len())];
                b.splice(i..i, t.iter().copied());
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below((len - i).min(64) + 1);
                b.drain(i..i + n);
            }
            4 if len > 0 => b.truncate(rng.below(len)),
            5 if len > 0 => {
                // Repeat a chunk many times (long strings, wide arrays).
                let i = rng.below(len);
                let n = rng.below((len - i).min(32)) + 1;
                let chunk = b[i..i + n].to_vec();
                let times = rng.below(200) + 2;
                let at = i + n;
                for _ in 0..times {
                    b.splice(at..at, chunk.iter().copied());
                }
            }
            6 if !other.is_empty() => {
                // Splice a piece of another seed in.
                let i = rng.below(len + 1);
                let j = rng.below(other.len());
                let n = rng.below((other.len() - j).min(256)) + 1;
                b.splice(i..i, other[j..j + n].iter().copied());
            }
            7 => {
                // Deep nesting.
                let depth = rng.below(300) + 1;
                let i = rng.below(len + 1);
                let open: Vec<u8> = std::iter::repeat_n(b'[', depth).collect();
                b.splice(i..i, open);
            }
            8 if len > 1 => {
                // Swap two bytes (quotes and brackets move).
                let (i, j) = (rng.below(len), rng.below(len));
                b.swap(i, j);
            }
            _ => {
                if let Some(pos) = b.iter().position(|c| c.is_ascii_digit()) {
                    b.splice(pos..pos, b"99999999999999999999".iter().copied());
                }
            }
        }
    }
    b.truncate(MAX_INPUT * 2);
    b
}

fn seeds(target: &Target, corpus: Option<&Path>) -> Vec<Vec<u8>> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for s in target.repo_seeds {
        collect_files(&repo.join(s), target.extensions, &mut files);
    }
    if let Some(corpus) = corpus {
        for s in target.corpus_seeds {
            collect_files(&corpus.join(s), target.extensions, &mut files);
        }
    }
    collect_files(&regressions(target), &[""], &mut files);
    files.sort();
    files.dedup();
    let mut out: Vec<Vec<u8>> = files
        .iter()
        .filter_map(|f| std::fs::read(f).ok())
        .map(|mut b| {
            b.truncate(MAX_INPUT);
            b
        })
        .collect();
    if target.name == "evidence" {
        out.push(br#"{"format_version":2,"collected_at":"2026-01-01T00:00:00Z","tool":{"name":"vouch","version":"0"},"context":{"system":"local"},"inputs":[],"sca":[{"source":"a","observed":{"gap":{"kind":"malformed","source":"a","detail":"x"}}}]}"#.to_vec());
    }
    if target.name == "github" {
        for (i, a) in GITHUB_ANSWERS.iter().enumerate() {
            let mut b = vec![i as u8];
            b.extend_from_slice(a.as_bytes());
            out.push(b);
        }
    }
    if target.name == "gitlab" {
        for (i, a) in GITLAB_ANSWERS.iter().enumerate() {
            let mut b = vec![i as u8];
            b.extend_from_slice(a.as_bytes());
            out.push(b);
        }
    }
    if out.is_empty() {
        out.push(b"{}".to_vec());
    }
    out
}

fn regressions(target: &Target) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target.name)
}

fn collect_files(path: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect_files(&p, extensions, out);
        } else {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if extensions.iter().any(|e| name.ends_with(e)) && name != "README.md" {
                out.push(p);
            }
        }
    }
}

/// When the current call started (ms since the harness started; 0: none running).
static CALL_STARTED: AtomicU64 = AtomicU64::new(0);

fn main() {
    let budget = std::env::var("VOUCH_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(1.0);
    let seed = std::env::var("VOUCH_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0x5EED_F00D);
    // `cargo test -- --list` and name filters: this harness is one test.
    if std::env::args().any(|a| a == "--list") {
        println!("fuzz: test");
        return;
    }
    let corpus = std::env::var_os("VOUCH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let corpus = corpus.is_dir().then_some(corpus);
    if corpus.is_none() {
        if std::env::var_os("VOUCH_REQUIRE_EXTERNAL").is_some_and(|v| v == "1") {
            eprintln!("fuzz: VOUCH_REQUIRE_EXTERNAL=1 but the corpus is missing");
            std::process::exit(1);
        }
        eprintln!("fuzz: corpus not found; seeding from the repository's fixtures only");
    }
    let started = Instant::now();
    let current = std::sync::Arc::new(std::sync::Mutex::new((String::new(), Vec::<u8>::new())));
    {
        // The watchdog: a call past HANG fails the run with the input that hung.
        let current = current.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(200));
                let at = CALL_STARTED.load(Ordering::Relaxed);
                let now = started.elapsed().as_millis() as u64;
                if at != 0 && now.saturating_sub(at) > HANG.as_millis() as u64 {
                    let (name, input) = current.lock().map(|c| c.clone()).unwrap_or_default();
                    let path = save_failure(&name, "hang", &input);
                    eprintln!(
                        "fuzz: {name}: a call ran past {HANG:?}; input saved to {}",
                        path.display()
                    );
                    std::process::exit(1);
                }
            }
        });
    }
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    let mut total = 0usize;
    for target in targets() {
        let seeds = seeds(&target, corpus.as_deref());
        let mut rng = Rng(seed ^ (target.name.len() as u64) << 32 ^ 0x9E37_79B9);
        let deadline = Instant::now() + Duration::from_secs_f64(budget);
        let mut runs = 0usize;
        let mut i = 0usize;
        // Every seed once, unmutated (regressions first-class), then mutations.
        loop {
            let input = if i < seeds.len() {
                seeds[i].clone()
            } else {
                if Instant::now() >= deadline {
                    break;
                }
                let a = rng.below(seeds.len());
                let b = rng.below(seeds.len());
                mutate(&mut rng, &seeds[a], &seeds[b])
            };
            i += 1;
            if let Ok(mut c) = current.lock() {
                *c = (target.name.to_string(), input.clone());
            }
            let before = LIVE.load(Ordering::Relaxed);
            PEAK.store(before, Ordering::Relaxed);
            CALL_STARTED.store(
                started.elapsed().as_millis().max(1) as u64,
                Ordering::Relaxed,
            );
            let outcome = std::panic::catch_unwind(|| (target.reader)(&input));
            CALL_STARTED.store(0, Ordering::Relaxed);
            let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
            runs += 1;
            let allowed = MEMORY_FACTOR * input.len() + MEMORY_FLOOR;
            let problem = match outcome {
                Err(_) => Some("panic".to_string()),
                Ok(()) if peak > allowed => Some(format!(
                    "memory: {peak} bytes at peak for a {}-byte input (allowed {allowed})",
                    input.len()
                )),
                Ok(()) => None,
            };
            if let Some(problem) = problem {
                let path = save_failure(target.name, &problem, &input);
                failures.push(format!(
                    "{}: {problem}; input saved to {}",
                    target.name,
                    path.display()
                ));
                if failures.len() > 20 {
                    break;
                }
            }
        }
        total += runs;
        eprintln!(
            "fuzz: {:<13} {runs:>7} inputs from {} seeds",
            target.name,
            seeds.len()
        );
    }
    eprintln!(
        "fuzz: {total} inputs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("fuzz: FAIL {f}");
        }
        eprintln!(
            "fuzz: keep each failing input under tests/fixtures/fuzz/<target>/ once it is fixed"
        );
        std::process::exit(1);
    }
}

fn save_failure(target: &str, problem: &str, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/fuzz-failures")
        .join(target);
    let _ = std::fs::create_dir_all(&dir);
    let name = format!(
        "{}-{:016x}.bin",
        problem.split(':').next().unwrap_or("fail"),
        fnv(input)
    );
    let path = dir.join(name);
    let _ = std::fs::write(&path, input);
    path
}

fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, x| {
        (h ^ u64::from(*x)).wrapping_mul(0x100_0000_01b3)
    })
}
