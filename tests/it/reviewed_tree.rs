//! The reviewed-tree rule on real repositories built with `git`: each way a change
//! lands (merge commit, squash, rebase), conflicts resolved in the reviewed head or at
//! merge time, an edit made while merging, and clones that cannot show it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use vouch::collect::git::{compare, runner::LiveGit, runner::ReplayGit};
use vouch::evidence::forge::{Actor, BranchCommit, ChangeRequest, ChangeSet};
use vouch::evidence::git::GitEvidence;
use vouch::evidence::{Gap, GapKind};

use crate::github::{MockGitHub, history_between, mount_good_protection, pr};
use crate::support::{run, tempdir, vouch};

/// A repository being built, with a fixed identity and clock so ids are stable.
struct Repo {
    dir: PathBuf,
}

impl Repo {
    fn new(dir: &Path) -> Repo {
        let repo = Repo {
            dir: dir.to_path_buf(),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.write("a.txt", "one\ntwo\nthree\n");
        repo.commit("base");
        repo
    }

    /// A repository in a new folder `name` under `parent`.
    fn at(parent: &Path, name: &str) -> Repo {
        let dir = parent.join(name);
        std::fs::create_dir(&dir).unwrap();
        Repo::new(&dir)
    }

    /// Runs git on the repository with a fixed identity and no user configuration;
    /// returns (succeeded, stdout).
    fn run(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(["-c", "user.name=Dev", "-c", "user.email=dev@ledger.example"])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "merge.conflictStyle=merge",
            ])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs");
        assert!(
            out.status.success() || out.status.code() == Some(1),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
        )
    }

    /// A command that may stop with conflicts (`git merge`).
    fn git(&self, args: &[&str]) {
        self.run(args);
    }

    /// A command that must succeed; its output.
    fn ok(&self, args: &[&str]) -> String {
        let (ok, out) = self.run(args);
        assert!(ok, "git {args:?} failed");
        out
    }

    /// Merges `branch` into main with a merge commit; the merge.
    fn merge_no_ff(&self, branch: &str, message: &str) -> String {
        self.ok(&["merge", "-q", "--no-ff", "-m", message, branch]);
        self.rev("main")
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap();
    }

    fn commit(&self, message: &str) -> String {
        self.ok(&["add", "-A"]);
        self.ok(&["commit", "-q", "--allow-empty", "-m", message]);
        self.rev("HEAD")
    }

    fn rev(&self, rev: &str) -> String {
        self.ok(&["rev-parse", rev])
    }

    /// A feature branch off `main` with one commit writing `file`.
    fn feature(&self, branch: &str, file: &str, text: &str) -> String {
        self.ok(&["checkout", "-q", "-b", branch, "main"]);
        self.write(file, text);
        let head = self.commit(&format!("{branch}: {file}"));
        self.ok(&["checkout", "-q", "main"]);
        head
    }

    /// `main` moves on with a commit of its own.
    fn advance_main(&self, file: &str, text: &str) -> String {
        self.ok(&["checkout", "-q", "main"]);
        self.write(file, text);
        self.commit(&format!("main: {file}"))
    }
}

/// The range `base..main` as the forge reports it: first-parent commits, newest first,
/// `linked` naming the change each came through.
fn change_set(repo: &Repo, base: &str, linked: &[(u64, &str)], heads: &[(u64, &str)]) -> ChangeSet {
    let list = repo.ok(&["rev-list", "--first-parent", &format!("{base}..main")]);
    let commits = list
        .lines()
        .map(|sha| BranchCommit {
            sha: sha.to_string(),
            title: "t".into(),
            author: "dev".into(),
            verified_signer: None,
            change_request: linked.iter().find(|(_, s)| *s == sha).map(|(n, _)| *n),
        })
        .collect();
    ChangeSet {
        base: Some(base.to_string()),
        head: repo.rev("main"),
        origin: "--range".into(),
        commits,
        change_requests: heads
            .iter()
            .map(|(number, head)| ChangeRequest {
                number: *number,
                title: format!("Change {number}"),
                author: Actor::account("alice", false),
                base_branch: "main".into(),
                head_sha: head.to_string(),
                merge_sha: Some("m".into()),
                merged_by: None,
                merged_at: None,
                contributors: Vec::new(),
                reviews: Vec::new(),
                pushes: Vec::new(),
                head_checks: None,
            })
            .collect(),
    }
}

fn compared(dir: &Path, explicit: bool, changes: &ChangeSet) -> GitEvidence {
    let mut git = LiveGit::new(dir).unwrap();
    let live = compare(&mut git, &dir.display().to_string(), explicit, changes);
    // What a re-performance derives from the transcript is what the clone gave.
    let mut replay = ReplayGit::new(git.take_transcript());
    let replayed = compare(&mut replay, &dir.display().to_string(), explicit, changes);
    assert_eq!(live, replayed, "the replayed comparison differs");
    live
}

/// The one comparison of `evidence`, asserting it was made.
fn only(evidence: &GitEvidence) -> &vouch::evidence::git::TreeComparison {
    assert_eq!(evidence.unusable, None);
    assert_eq!(evidence.merges.len(), 1, "{evidence:?}");
    evidence.merges[0]
        .observed
        .as_ref()
        .unwrap_or_else(|gap| panic!("{gap}"))
}

#[test]
fn a_merge_commit_of_the_reviewed_head_matches() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    let base = repo.rev("main");
    let head = repo.feature("f", "b.txt", "feature\n");
    repo.advance_main("c.txt", "main moved on\n");
    let merge = repo.merge_no_ff("f", "Merge #1");
    let c = compared(
        dir.path(),
        true,
        &change_set(&repo, &base, &[(1, &merge)], &[(1, &head)]),
    )
    .clone();
    let c = only(&c);
    assert!(c.matches(), "{c:?}");
    assert_eq!(c.landed, merge);
    assert_eq!(c.reviewed_head, head);
    assert_eq!(c.base, repo.rev("main^1"));
    assert!(c.conflicts.is_empty() && c.differing.is_empty());
}

#[test]
fn a_squash_of_the_reviewed_head_matches() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    let base = repo.rev("main");
    repo.ok(&["checkout", "-q", "-b", "f"]);
    repo.write("b.txt", "first\n");
    repo.commit("f 1");
    repo.write("b.txt", "first\nsecond\n");
    let head = repo.commit("f 2");
    repo.advance_main("c.txt", "main moved on\n");
    repo.ok(&["merge", "-q", "--squash", "f"]);
    let squash = repo.commit("Change 1 (#1)");
    let e = compared(
        dir.path(),
        true,
        &change_set(&repo, &base, &[(1, &squash)], &[(1, &head)]),
    );
    assert!(only(&e).matches(), "{e:?}");
}

#[test]
fn a_rebased_series_of_the_reviewed_head_matches() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    let base = repo.rev("main");
    repo.ok(&["checkout", "-q", "-b", "f"]);
    repo.write("b.txt", "first\n");
    let f1 = repo.commit("f 1");
    repo.write("d.txt", "second\n");
    let head = repo.commit("f 2");
    repo.advance_main("c.txt", "main moved on\n");
    // What "rebase and merge" does: the reviewed commits replayed onto the branch.
    repo.ok(&["cherry-pick", &f1, &head]);
    let (r2, r1) = (repo.rev("main"), repo.rev("main^1"));
    let e = compared(
        dir.path(),
        true,
        &change_set(&repo, &base, &[(1, &r2), (1, &r1)], &[(1, &head)]),
    );
    let c = only(&e);
    assert!(c.matches(), "{c:?}");
    assert_eq!(c.landed, r2);
    assert_eq!(c.base, repo.rev("main~2"));
}

/// `main` and the feature both change the line `two`.
fn conflicting(repo: &Repo) -> (String, String) {
    let base = repo.rev("main");
    repo.feature("f", "a.txt", "one\nTWO from the feature\nthree\n");
    repo.advance_main("a.txt", "one\ntwo from main\nthree\n");
    (base, repo.rev("f"))
}

#[test]
fn a_conflict_resolved_in_the_reviewed_head_matches() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    let (base, _) = conflicting(&repo);
    // The author merges main into the branch and resolves there: the resolution is
    // part of the head that is reviewed.
    repo.ok(&["checkout", "-q", "f"]);
    repo.git(&["merge", "-q", "main"]);
    repo.write("a.txt", "one\ntwo, resolved in review\nthree\n");
    let head = repo.commit("merge main into f");
    repo.ok(&["checkout", "-q", "main"]);
    let merge = repo.merge_no_ff("f", "Merge #1");
    let e = compared(
        dir.path(),
        true,
        &change_set(&repo, &base, &[(1, &merge)], &[(1, &head)]),
    );
    let c = only(&e);
    assert!(c.matches(), "{c:?}");
    assert!(c.conflicts.is_empty());
}

#[test]
fn a_conflict_resolved_differently_at_merge_time_is_found_with_its_file() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    let (base, head) = conflicting(&repo);
    // The merger resolves the conflict in the merge commit: nobody reviewed that.
    repo.git(&["merge", "-q", "f"]);
    repo.write("a.txt", "one\ntwo, resolved by the merger\nthree\n");
    let merge = repo.commit("Merge #1");
    let e = compared(
        dir.path(),
        true,
        &change_set(&repo, &base, &[(1, &merge)], &[(1, &head)]),
    );
    let c = only(&e);
    assert!(!c.matches());
    assert_eq!(c.conflicts, ["a.txt"]);
    assert_eq!(c.differing, ["a.txt"]);
    assert_eq!(c.differing_count, 1);
}

#[test]
fn an_edit_made_while_merging_is_found_with_its_file() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    let (base, head, merge) = merged_with_a_backdoor(&repo);
    let e = compared(
        dir.path(),
        true,
        &change_set(&repo, &base, &[(1, &merge)], &[(1, &head)]),
    );
    let c = only(&e);
    assert!(!c.matches());
    assert!(c.conflicts.is_empty());
    assert_eq!(c.differing, ["backdoor.txt"]);
}

/// An edit made while merging `f` (which adds b.txt): the merge also adds
/// backdoor.txt. Returns (base, reviewed head, merge).
fn merged_with_a_backdoor(repo: &Repo) -> (String, String, String) {
    let base = repo.rev("main");
    let head = repo.feature("f", "b.txt", "feature\n");
    repo.ok(&["merge", "-q", "--no-ff", "--no-commit", "f"]);
    repo.write("backdoor.txt", "unreviewed\n");
    let merge = repo.commit("Merge #1");
    (base, head, merge)
}

#[test]
fn a_merge_driver_in_the_clones_own_config_is_never_run() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    let (base, head) = conflicting(&repo);
    repo.git(&["merge", "-q", "f"]);
    let landed_text = "one\ntwo, resolved by the merger\nthree\n";
    repo.write("a.txt", landed_text);
    let merge = repo.commit("Merge #1");
    // The clone names a merge driver that would write the landed text (so the re-merge
    // would equal what landed) and leave a mark, and selects it for every file.
    let marker = dir.path().join("driver-ran");
    let landed_copy = dir.path().join("landed.txt");
    std::fs::write(&landed_copy, landed_text).unwrap();
    repo.ok(&[
        "config",
        "merge.pwn.driver",
        &format!(
            "touch '{}'; cp '{}' %A",
            marker.display(),
            landed_copy.display()
        ),
    ]);
    repo.ok(&[
        "config",
        "filter.pwn.clean",
        &format!("touch '{}'; cat", marker.display()),
    ]);
    repo.ok(&["config", "merge.renormalize", "true"]);
    std::fs::write(
        dir.path().join(".git/info/attributes"),
        "* merge=pwn filter=pwn\n",
    )
    .unwrap();
    let e = compared(
        dir.path(),
        true,
        &change_set(&repo, &base, &[(1, &merge)], &[(1, &head)]),
    );
    assert!(!marker.exists(), "git ran a program the clone configured");
    let c = only(&e);
    assert!(!c.matches(), "{c:?}");
    assert_eq!(c.differing, ["a.txt"]);
}

#[test]
fn replace_refs_in_the_clone_do_not_change_the_tree_that_landed() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    let (base, head, merge) = merged_with_a_backdoor(&repo);
    // A stand-in for the merge whose tree is the honest re-merge: with `git replace`,
    // `MERGE^{tree}` would name it.
    let honest = repo.ok(&["merge-tree", "--write-tree", &base, &head]);
    let honest = honest.lines().next().unwrap().to_string();
    let fake = repo.ok(&[
        "commit-tree",
        &honest,
        "-p",
        &base,
        "-p",
        &head,
        "-m",
        "Merge #1",
    ]);
    repo.ok(&["replace", &merge, &fake]);
    assert_eq!(repo.rev(&format!("{merge}^{{tree}}")), honest);
    let e = compared(
        dir.path(),
        true,
        &change_set(&repo, &base, &[(1, &merge)], &[(1, &head)]),
    );
    let c = only(&e);
    assert!(!c.matches(), "{c:?}");
    assert_eq!(c.differing, ["backdoor.txt"]);
}

#[test]
fn grafts_in_the_clone_do_not_change_the_base_it_landed_on() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    let base = repo.rev("main");
    let head = repo.feature("f", "b.txt", "feature\n");
    // A commit off the base that adds the backdoor, never on the branch.
    let cover = repo.feature("cover", "backdoor.txt", "unreviewed\n");
    // A squash of the reviewed head that also carries the backdoor.
    repo.ok(&["merge", "-q", "--squash", "f"]);
    repo.write("backdoor.txt", "unreviewed\n");
    let squash = repo.commit("Change #1");
    // Grafted onto `cover`, the squash would be exactly head merged onto its parent.
    std::fs::write(
        dir.path().join(".git/info/grafts"),
        format!("{squash} {cover}\n"),
    )
    .unwrap();
    let e = compared(
        dir.path(),
        true,
        &change_set(&repo, &base, &[(1, &squash)], &[(1, &head)]),
    );
    let c = only(&e);
    assert_eq!(c.base, base, "the graft was followed");
    assert!(!c.matches(), "{c:?}");
    assert_eq!(c.differing, ["backdoor.txt"]);
}

#[test]
fn a_criss_cross_merge_is_re_merged_on_its_virtual_base_as_a_full_clone_would() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    // Long histories on both sides before they cross, so that the merge bases' own
    // merge base lies deep below the tips.
    repo.ok(&["checkout", "-q", "-b", "f", "main"]);
    for i in 0..6 {
        repo.write(&format!("f{i}.txt"), "feature\n");
        repo.commit(&format!("f {i}"));
    }
    repo.ok(&["checkout", "-q", "main"]);
    for i in 0..6 {
        repo.write(&format!("m{i}.txt"), "main\n");
        repo.commit(&format!("m {i}"));
    }
    let (m, f) = (repo.rev("main"), repo.rev("f"));
    repo.ok(&["checkout", "-q", "f"]);
    repo.ok(&["merge", "-q", "-m", "main into f", &m]);
    repo.write("late-f.txt", "after the cross\n");
    let head = repo.commit("f: late");
    repo.ok(&["checkout", "-q", "main"]);
    repo.ok(&["merge", "-q", "-m", "f into main", &f]);
    repo.write("late-m.txt", "after the cross\n");
    let base = repo.commit("main: late");
    let merge = repo.merge_no_ff("f", "Merge #1");
    assert_eq!(
        repo.ok(&["merge-base", "--all", &base, &head])
            .lines()
            .count(),
        2,
        "not a criss-cross"
    );
    let e = compared(
        dir.path(),
        true,
        &change_set(&repo, &base, &[(1, &merge)], &[(1, &head)]),
    );
    let c = only(&e);
    assert!(c.matches(), "{c:?}");
}

#[test]
fn a_forged_object_in_the_clone_fails_the_comparison_instead_of_passing_it() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    let fork = repo.rev("main");
    let head = repo.feature("f", "b.txt", "feature\n");
    let base = repo.advance_main("a.txt", "one\ntwo, fixed\nthree\n");
    // What landed: the reviewed head's tree squashed onto the fix, which it reverts.
    let landed_tree = repo.rev(&format!("{head}^{{tree}}"));
    let squash = repo.ok(&["commit-tree", &landed_tree, "-p", &base, "-m", "Change #1"]);
    repo.ok(&["update-ref", "refs/heads/main", &squash]);
    let changes = change_set(&repo, &base, &[(1, &squash)], &[(1, &head)]);
    let honest = compared(dir.path(), true, &changes);
    assert!(!only(&honest).matches(), "the revert must be found");
    // The clone's object for the fork point's tree now holds the fix's tree: read as it
    // is, the re-merge would equal what landed.
    let object = |id: &str| {
        dir.path()
            .join(format!(".git/objects/{}/{}", &id[..2], &id[2..]))
    };
    let forged = object(&repo.rev(&format!("{fork}^{{tree}}")));
    let fix = std::fs::read(object(&repo.rev(&format!("{base}^{{tree}}")))).unwrap();
    let mut perms = std::fs::metadata(&forged).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&forged, perms).unwrap();
    std::fs::write(&forged, fix).unwrap();
    let e = compared(dir.path(), true, &changes);
    assert_eq!(e.merges.len(), 1);
    match &e.merges[0].observed {
        Ok(c) => assert!(!c.matches(), "a forged object made the change pass: {c:?}"),
        Err(gap) => assert!(gap.detail.contains("do not verify"), "{gap}"),
    }
}

#[test]
fn a_conflict_left_as_git_resolves_it_alone_is_not_what_was_reviewed() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    std::fs::write(dir.path().join("key.bin"), b"\x00base\x00").unwrap();
    let base = repo.commit("key");
    repo.ok(&["checkout", "-q", "-b", "f", "main"]);
    std::fs::write(dir.path().join("key.bin"), b"\x00rotated in review\x00").unwrap();
    let head = repo.commit("f: rotate the key");
    repo.ok(&["checkout", "-q", "main"]);
    std::fs::write(dir.path().join("key.bin"), b"\x00changed on main\x00").unwrap();
    repo.commit("main: key");
    // The merger keeps main's side of the binary conflict: the tree is exactly what
    // git's re-merge leaves, yet the reviewed change to key.bin did not land.
    repo.ok(&[
        "merge", "-q", "--no-ff", "-X", "ours", "-m", "Merge #1", "f",
    ]);
    let merge = repo.rev("main");
    let e = compared(
        dir.path(),
        true,
        &change_set(&repo, &base, &[(1, &merge)], &[(1, &head)]),
    );
    let c = only(&e);
    assert_eq!(c.landed_tree, c.remerged_tree);
    assert_eq!(c.conflicts, ["key.bin"]);
    assert!(!c.matches(), "{c:?}");
}

#[test]
fn a_reviewed_head_missing_from_the_clone_is_an_error_saying_what_to_fetch() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    let base = repo.rev("main");
    repo.feature("f", "b.txt", "feature\n");
    repo.ok(&["merge", "-q", "--squash", "f"]);
    let squash = repo.commit("Change 1 (#1)");
    let absent = "0123456789abcdef0123456789abcdef01234567";
    let e = compared(
        dir.path(),
        false,
        &change_set(&repo, &base, &[(1, &squash)], &[(1, absent)]),
    );
    assert_eq!(e.unusable, None);
    let gap: &Gap = e.merges[0].observed.as_ref().unwrap_err();
    assert_eq!(gap.kind, GapKind::NotFound);
    assert!(
        gap.detail.contains(absent) && gap.detail.contains("refs/pull/*/head"),
        "{gap}"
    );
}

#[test]
fn commits_of_a_change_split_by_another_cannot_be_compared() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    let base = repo.rev("main");
    let c1 = repo.advance_main("b.txt", "1\n");
    let c2 = repo.advance_main("c.txt", "2\n");
    let c3 = repo.advance_main("d.txt", "3\n");
    let e = compared(
        dir.path(),
        true,
        &change_set(
            &repo,
            &base,
            &[(1, &c3), (2, &c2), (1, &c1)],
            &[(1, &c3), (2, &c2)],
        ),
    );
    let first = e.merges.iter().find(|m| m.change == 1).unwrap();
    let gap = first.observed.as_ref().unwrap_err();
    assert!(gap.detail.contains("not consecutive"), "{gap}");
    // The change in between is compared as usual (its head is its own commit).
    let second = e.merges.iter().find(|m| m.change == 2).unwrap();
    assert!(second.observed.as_ref().unwrap().matches());
}

#[test]
fn a_shallow_or_unrelated_workspace_skips_the_rule_and_a_named_one_is_an_error() {
    let dir = tempdir();
    let repo = Repo::at(dir.path(), "origin");
    let origin = repo.dir.clone();
    let base = repo.rev("main");
    let head = repo.feature("f", "b.txt", "feature\n");
    let merge = repo.merge_no_ff("f", "Merge #1");
    let changes = change_set(&repo, &base, &[(1, &merge)], &[(1, &head)]);

    let shallow = dir.path().join("shallow");
    let url = format!("file://{}", origin.display());
    repo.ok(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &url,
        shallow.to_str().unwrap(),
    ]);
    let e = compared(&shallow, false, &changes);
    assert!(e.merges.is_empty());
    assert!(
        e.unusable.as_deref().unwrap().contains("fetch-depth: 0"),
        "{e:?}"
    );
    let e = compared(&shallow, true, &changes);
    assert!(e.unusable.is_none());
    assert!(
        e.merges[0]
            .observed
            .as_ref()
            .unwrap_err()
            .detail
            .contains("shallow")
    );

    let other = Repo::at(dir.path(), "other").dir;
    let e = compared(&other, false, &changes);
    assert!(
        e.unusable.as_deref().unwrap().contains("head of the range"),
        "{e:?}"
    );

    let none = dir.path().join("none");
    std::fs::create_dir(&none).unwrap();
    let e = compared(&none, false, &changes);
    assert!(
        e.unusable
            .as_deref()
            .unwrap()
            .contains("not a git repository"),
        "{e:?}"
    );
}

#[test]
fn the_clone_is_not_written_to() {
    let dir = tempdir();
    let repo = Repo::new(dir.path());
    let (base, head) = conflicting(&repo);
    repo.git(&["merge", "-q", "f"]);
    repo.write("a.txt", "one\nresolved\nthree\n");
    let merge = repo.commit("Merge #1");
    let objects = || repo.ok(&["count-objects", "-v"]);
    let before = objects();
    compared(
        dir.path(),
        true,
        &change_set(&repo, &base, &[(1, &merge)], &[(1, &head)]),
    );
    assert_eq!(objects(), before, "the re-merge wrote into the clone");
}

/// The whole run: two changes from a mock GitHub, one merged as reviewed and one with
/// a conflict resolved in the merge; saved and re-performed offline.
#[test]
fn verify_reports_the_rule_per_change_and_evaluate_re_performs_it() {
    let dir = tempdir();
    let repo = Repo::at(dir.path(), "clone");
    let clone = repo.dir.clone();
    let base = repo.rev("main");
    let h1 = repo.feature("f1", "b.txt", "feature one\n");
    let m1 = repo.merge_no_ff("f1", "Merge #1");
    repo.feature("f2", "a.txt", "one\nTWO from the feature\nthree\n");
    let h2 = repo.rev("f2");
    repo.advance_main("a.txt", "one\ntwo from main\nthree\n");
    let mid = repo.rev("main");
    repo.git(&["merge", "-q", "f2"]);
    repo.write("a.txt", "one\nresolved by the merger\nthree\n");
    let m2 = repo.commit("Merge #2");

    let gh = MockGitHub::start();
    mount_good_protection(&gh);
    let approved = |n: u64, head: &str, merge: &str| {
        pr(
            n,
            "alice",
            &["alice"],
            head,
            merge,
            &[("bob", "APPROVED", head)],
        )
    };
    gh.graphql(
        "history(",
        history_between(
            &base,
            &m2,
            &[
                (&m2, &mid, vec![approved(2, &h2, &m2)]),
                (&mid, &m1, vec![]),
                (&m1, &base, vec![approved(1, &h1, &m1)]),
            ],
            None,
        ),
    );
    let policy = "version: 1\npeer_review:\n  allowed_direct_pushes:\n    - actor: dev\n      reason: release bumps\n";
    let evidence = dir.path().join("evidence");
    let range = format!("{base}..{m2}");
    let (code, report, stderr) = gh.verify_at(
        &m2,
        policy,
        &[
            "--range",
            &range,
            "--git-dir",
            clone.to_str().unwrap(),
            "--evidence-out",
            evidence.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{stderr}\n{report}");
    let control = crate::support::control(&report, "peer-review");
    let findings: Vec<&Value> = control["findings"].as_array().unwrap().iter().collect();
    let differs: Vec<&&Value> = findings
        .iter()
        .filter(|f| f["code"] == "peer-review/merged-tree-differs")
        .collect();
    assert_eq!(differs.len(), 1, "{findings:?}");
    let message = differs[0]["message"].as_str().unwrap();
    assert!(
        message.contains("#2") && message.contains("a.txt") && message.contains("conflicts"),
        "{message}"
    );
    let rule = |number: u64| -> Value {
        let change = control["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["number"] == json!(number))
            .unwrap_or_else(|| panic!("no record of #{number}: {control}"));
        change["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "peer-review/merged-tree-differs")
            .cloned()
            .unwrap()
    };
    assert_eq!(rule(1)["status"], "pass", "{}", rule(1));
    assert_eq!(rule(2)["status"], "fail", "{}", rule(2));

    // Offline, from the saved clone answers: the same verdict.
    let (code, stdout, stderr) = run(vouch()
        .arg("evaluate")
        .arg(&evidence)
        .args(["--format", "json"])
        .current_dir(dir.path()));
    assert_eq!(code, 1, "{stderr}");
    let again: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        crate::support::control(&again, "peer-review")["findings"],
        control["findings"]
    );

    // Without a clone (a working directory that is none), the rule is skipped, never
    // passed, and says why.
    let (_, report, _) = gh.verify_at(&m2, policy, &["--range", &range]);
    let control = crate::support::control(&report, "peer-review");
    for change in control["changes"].as_array().unwrap() {
        let Some(rule) = change["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "peer-review/merged-tree-differs")
        else {
            continue;
        };
        assert_eq!(rule["status"], "skipped", "{change}");
    }
    let summary = control["summary"].as_str().unwrap();
    assert!(
        summary.contains("reviewed tree: 0 merged change(s) compared, 2 skipped"),
        "{summary}"
    );

    // A policy that requires the rule makes each uncompared merged change an error.
    let required = format!("{policy}  require_merged_tree: true\n");
    let (code, report, _) = gh.verify_at(&m2, &required, &["--range", &range]);
    assert_eq!(code, 1, "{report}");
    let control = crate::support::control(&report, "peer-review");
    let unreadable: Vec<&Value> = control["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "peer-review/merged-tree-unreadable")
        .collect();
    assert_eq!(unreadable.len(), 2, "{control}");
    assert!(
        unreadable[0]["message"]
            .as_str()
            .unwrap()
            .contains("require_merged_tree"),
        "{unreadable:?}"
    );
}
