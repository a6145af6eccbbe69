//! What the reviewed-tree rule costs: `collect::git::compare` on a repository built here
//! with `git`, N changes merged onto a moving branch (each with a merge commit, main
//! advancing in between), read live through the isolated stores and the verified copy.
//! Run by `cargo bench --bench reviewed_tree` (figures go to BENCHMARKS.md): wall time
//! per run, per change, and the git commands it took.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use vouch::collect::git::{compare, runner::LiveGit};
use vouch::evidence::forge::{Actor, BranchCommit, ChangeRequest, ChangeSet};

const RUNS: usize = 7;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Dev", "-c", "user.email=dev@ledger.example"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository of `files` files and `changes` merged changes; the range as the forge
/// would report it.
fn build(dir: &Path, files: usize, changes: u64) -> ChangeSet {
    git(dir, &["init", "-q", "-b", "main"]);
    for i in 0..files {
        let sub = dir.join(format!("src/m{}", i % 20));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(
            sub.join(format!("f{i}.rs")),
            format!("// file {i}\n").repeat(40),
        )
        .unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "base"]);
    let base = git(dir, &["rev-parse", "HEAD"]);
    let mut requests = Vec::new();
    let mut linked = Vec::new();
    for n in 1..=changes {
        git(dir, &["checkout", "-q", "-b", &format!("f{n}"), "main"]);
        std::fs::write(
            dir.join(format!("src/m{}/change{n}.rs", n % 20)),
            "fn f() {}\n",
        )
        .unwrap();
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", &format!("change {n}")]);
        let head = git(dir, &["rev-parse", "HEAD"]);
        git(dir, &["checkout", "-q", "main"]);
        // main moves on before the merge, so each merge is a real three-way merge.
        std::fs::write(dir.join("src/m0/f0.rs"), format!("// main {n}\n")).unwrap();
        git(dir, &["commit", "-q", "-am", &format!("main {n}")]);
        git(
            dir,
            &[
                "merge",
                "-q",
                "--no-ff",
                "-m",
                &format!("Merge #{n}"),
                &format!("f{n}"),
            ],
        );
        let merge = git(dir, &["rev-parse", "HEAD"]);
        linked.push((n, merge.clone()));
        requests.push(ChangeRequest {
            number: n,
            title: format!("Change {n}"),
            author: Actor::account("alice", false),
            base_branch: "main".into(),
            head_sha: head,
            merge_sha: Some(merge),
            merged_by: None,
            merged_at: None,
            contributors: Vec::new(),
            reviews: Vec::new(),
            pushes: Vec::new(),
            head_checks: None,
        });
    }
    let list = git(
        dir,
        &["rev-list", "--first-parent", &format!("{base}..main")],
    );
    ChangeSet {
        base: Some(base),
        head: git(dir, &["rev-parse", "main"]),
        origin: "--range".into(),
        commits: list
            .lines()
            .map(|sha| BranchCommit {
                sha: sha.to_string(),
                title: "t".into(),
                author: "dev".into(),
                verified_signer: None,
                change_request: linked.iter().find(|(_, s)| s == sha).map(|(n, _)| *n),
            })
            .collect(),
        change_requests: requests,
    }
}

fn main() {
    for (files, changes) in [(200, 20), (2000, 20)] {
        let dir = tempfile::tempdir().unwrap();
        let set = build(dir.path(), files, changes);
        let mut times = Vec::new();
        let mut commands = 0;
        for _ in 0..RUNS {
            let mut live = LiveGit::new(dir.path()).unwrap();
            let started = Instant::now();
            let evidence = compare(&mut live, ".", true, &set);
            times.push(started.elapsed());
            assert_eq!(evidence.merges.len(), changes as usize);
            assert!(
                evidence
                    .merges
                    .iter()
                    .all(|m| m.observed.as_ref().is_ok_and(|c| c.matches())),
                "{evidence:?}"
            );
            commands = live.take_transcript().exchanges.len();
        }
        times.sort();
        let median: Duration = times[times.len() / 2];
        println!(
            "reviewed tree: {files} files, {changes} merged changes: median {:.1} ms per run ({:.1} ms per change; min {:.1}, max {:.1}), {commands} git commands",
            median.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3 / changes as f64,
            times[0].as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3,
        );
    }
}
