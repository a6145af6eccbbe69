//! Reading a clone for the reviewed-tree rule: for each merged change, the tree that
//! landed and the tree re-merging its reviewed head gives.
//!
//! For a change whose commits on the branch are `oldest..=newest` (one merge or squash
//! commit, or a rebased series), the base it was merged onto is `oldest^1` and what
//! landed is `newest^{tree}`; `git merge-tree --write-tree BASE HEAD` merges the
//! reviewed head onto that base as the forge would have. Equal trees mean the branch
//! got exactly what was reviewed. The clone is only read: the re-merged trees are
//! written to a scratch object directory.

pub mod runner;

use std::collections::HashMap;

use crate::evidence::forge::ChangeSet;
use crate::evidence::git::{GitEvidence, MAX_DIFFERING_PATHS, MergeComparison, TreeComparison};
use crate::evidence::{Gap, GapKind};
use runner::Git;

/// The first question asked of a clone: where its objects are, and their format (the
/// live runner reads the objects from there, in a repository of its own).
pub const PROBE: &[&str] = &[
    "rev-parse",
    "--path-format=absolute",
    "--git-path",
    "objects",
    "--show-object-format",
];

/// Whether `dir` is a git repository `git` can read; `Err` with git's words when not.
pub fn probe(git: &mut dyn Git) -> Result<(), String> {
    let out = git.run(PROBE, None)?;
    if out.status != 0 {
        return Err(if out.stderr.is_empty() {
            format!("git rev-parse exited with {}", out.status)
        } else {
            out.stderr
        });
    }
    Ok(())
}

/// What the clone says of each merged change of `changes`.
///
/// `explicit`: the clone was named (`--git-dir`); one that does not hold the range is
/// then an error for every change. The workspace taken by default may be anything (a
/// shallow CI checkout, another repository): then the rule is skipped, with why.
pub fn compare(
    git: &mut dyn Git,
    git_dir: &str,
    explicit: bool,
    changes: &ChangeSet,
) -> GitEvidence {
    let mut evidence = GitEvidence {
        git_dir: git_dir.to_string(),
        unusable: None,
        merges: Vec::new(),
    };
    let plans = plan(changes);
    if plans.is_empty() {
        return evidence;
    }
    let refuse = |evidence: &mut GitEvidence, why: String, plans: &[Plan]| {
        if explicit {
            let gap = Gap::new(GapKind::Unreadable, git_dir, why);
            evidence.merges = plans
                .iter()
                .map(|p| MergeComparison {
                    change: p.change,
                    observed: Err(gap.clone()),
                })
                .collect();
        } else {
            evidence.unusable = Some(why);
        }
    };
    if let Err(why) = probe(git) {
        refuse(
            &mut evidence,
            format!("not a git repository git can read: {why}"),
            &plans,
        );
        return evidence;
    }
    match git.run(&["rev-parse", "--is-shallow-repository"], None) {
        Ok(out) if out.status == 0 && out.stdout.trim() == "false" => {}
        Ok(out) if out.status == 0 && out.stdout.trim() == "true" => {
            refuse(
                &mut evidence,
                "a shallow clone: merges cannot be redone without history (check out with `fetch-depth: 0`, or `git fetch --unshallow`)".into(),
                &plans,
            );
            return evidence;
        }
        Ok(out) => {
            refuse(
                &mut evidence,
                format!("git rev-parse --is-shallow-repository: {}", failure(&out)),
                &plans,
            );
            return evidence;
        }
        Err(why) => {
            refuse(&mut evidence, why, &plans);
            return evidence;
        }
    }
    // Every object the comparisons need, looked up in one `cat-file` (a process per
    // change would cost more than the merges).
    let mut wanted = vec![format!("{}^{{commit}}", changes.head)];
    for p in plans.iter().filter_map(|p| p.commits.as_ref().ok()) {
        wanted.push(format!("{}^{{commit}}", p.head));
        wanted.push(format!("{}^1", p.oldest));
        wanted.push(format!("{}^{{tree}}", p.newest));
    }
    let found = match lookup(git, &wanted) {
        Ok(found) => found,
        Err(why) => {
            refuse(&mut evidence, why, &plans);
            return evidence;
        }
    };
    if !found.contains_key(&wanted[0]) {
        refuse(
            &mut evidence,
            format!(
                "the clone does not hold {}, the head of the range: it is another repository, or needs `git fetch`",
                changes.head
            ),
            &plans,
        );
        return evidence;
    }
    // What each re-merge reads is copied into the verified store in one fetch; when
    // that fails (an object does not verify), each change is fetched alone, so the
    // failure is its own and not every change's.
    let prepared: Vec<(u64, Result<Prepared, Gap>)> = plans
        .into_iter()
        .map(|p| {
            let prepared = p
                .commits
                .and_then(|commits| prepare(git, git_dir, p.change, &commits, &found));
            (p.change, prepared)
        })
        .collect();
    let ready: Vec<&Prepared> = prepared
        .iter()
        .filter_map(|(_, p)| p.as_ref().ok())
        .collect();
    let together = ready.is_empty() || verified_copy(git, &ready).is_ok();
    for (change, prepared) in prepared {
        let gap = |detail: String| Gap::new(GapKind::Unreadable, git_dir, detail);
        let observed = prepared.and_then(|p| {
            if !together {
                verified_copy(git, &[&p]).map_err(gap)?;
            }
            remerge(git, git_dir, &p)
        });
        evidence.merges.push(MergeComparison { change, observed });
    }
    evidence
}

/// A change to compare: its commits on the branch, or why they cannot be used.
struct Plan {
    change: u64,
    commits: Result<Commits, Gap>,
}

struct Commits {
    head: String,
    oldest: String,
    newest: String,
}

/// The merged changes with commits on the range, in range order (newest first).
fn plan(changes: &ChangeSet) -> Vec<Plan> {
    let heads: HashMap<u64, &str> = changes
        .change_requests
        .iter()
        .map(|c| (c.number, c.head_sha.as_str()))
        .collect();
    let mut order: Vec<u64> = Vec::new();
    let mut positions: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, commit) in changes.commits.iter().enumerate() {
        if let Some(n) = commit.change_request {
            let list = positions.entry(n).or_default();
            if list.is_empty() {
                order.push(n);
            }
            list.push(i);
        }
    }
    order
        .into_iter()
        .map(|change| {
            let at = &positions[&change];
            let (first, last) = (at[0], at[at.len() - 1]);
            let gap = |detail: String| Gap::new(GapKind::Malformed, format!("change {change}"), detail);
            let commits = if last - first + 1 != at.len() {
                // Another change's commits sit between this one's: no single base and
                // landed tree belong to it alone.
                Err(gap("its commits are not consecutive on the branch, so what it landed cannot be told apart from the commits between them".into()))
            } else {
                let head = heads.get(&change).copied().unwrap_or_default();
                let newest = &changes.commits[first].sha;
                let oldest = &changes.commits[last].sha;
                if [head, newest.as_str(), oldest.as_str()].iter().all(|id| is_object_id(id)) {
                    Ok(Commits {
                        head: head.to_string(),
                        oldest: oldest.clone(),
                        newest: newest.clone(),
                    })
                } else {
                    Err(gap(format!(
                        "its head `{head}` or commits `{oldest}`..`{newest}` are not full commit ids"
                    )))
                }
            };
            Plan { change, commits }
        })
        .collect()
}

/// Full SHA-1 or SHA-256 object id in lower-case hex (nothing git would read as an
/// option or a revision expression).
fn is_object_id(id: &str) -> bool {
    matches!(id.len(), 40 | 64) && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Resolves revision expressions with one `git cat-file --batch-check`: each found one
/// mapped to its object id.
fn lookup(git: &mut dyn Git, wanted: &[String]) -> Result<HashMap<String, String>, String> {
    let mut stdin = wanted.join("\n");
    stdin.push('\n');
    let out = git.run(
        &["cat-file", "--batch-check=%(objectname) %(objecttype)"],
        Some(&stdin),
    )?;
    if out.status != 0 {
        return Err(format!("git cat-file --batch-check: {}", failure(&out)));
    }
    let lines: Vec<&str> = out.stdout.lines().collect();
    if lines.len() != wanted.len() {
        return Err(format!(
            "git cat-file --batch-check answered {} lines for {} objects",
            lines.len(),
            wanted.len()
        ));
    }
    let mut found = HashMap::new();
    for (rev, line) in wanted.iter().zip(lines) {
        // `<rev> missing` (or `ambiguous`) when absent.
        if let Some((id, _kind)) = line.split_once(' ')
            && is_object_id(id)
        {
            found.insert(rev.clone(), id.to_string());
        }
    }
    Ok(found)
}

/// Re-merges one change's reviewed head onto its base and compares the trees.
/// A change ready to be re-merged: the commits it reads, and how deep a fetch of
/// them must go to hold their merge bases.
struct Prepared {
    base: String,
    head: String,
    landed: String,
    landed_tree: String,
    depth: u64,
}

/// The base, reviewed head and landed tree of a change, found in the clone, and the
/// depth its re-merge reads.
fn prepare(
    git: &mut dyn Git,
    git_dir: &str,
    change: u64,
    c: &Commits,
    found: &HashMap<String, String>,
) -> Result<Prepared, Gap> {
    let gap = |kind: GapKind, detail: String| Gap::new(kind, git_dir, detail);
    if !found.contains_key(&format!("{}^{{commit}}", c.head)) {
        return Err(gap(
            GapKind::NotFound,
            format!(
                "the reviewed head {} of change {change} is not in the clone; fetch the change heads (GitHub: `git fetch origin '+refs/pull/*/head:refs/remotes/origin/pull/*'`, GitLab: `'+refs/merge-requests/*/head:refs/remotes/origin/mr/*'`)",
                c.head
            ),
        ));
    }
    let Some(base) = found.get(&format!("{}^1", c.oldest)) else {
        return Err(gap(
            GapKind::NotFound,
            format!(
                "{} has no parent in the clone: there is no base to re-merge onto",
                c.oldest
            ),
        ));
    };
    let Some(landed_tree) = found.get(&format!("{}^{{tree}}", c.newest)) else {
        return Err(gap(
            GapKind::NotFound,
            format!("commit {} is not in the clone", c.newest),
        ));
    };
    let depth = depth(git, base, &c.head).map_err(|e| gap(GapKind::Unreadable, e))?;
    Ok(Prepared {
        base: base.clone(),
        head: c.head.clone(),
        landed: c.newest.clone(),
        landed_tree: landed_tree.clone(),
        depth,
    })
}

/// Re-merges one change's reviewed head onto its base, in the verified store, and
/// compares the trees.
fn remerge(git: &mut dyn Git, git_dir: &str, p: &Prepared) -> Result<TreeComparison, Gap> {
    let gap = |kind: GapKind, detail: String| Gap::new(kind, git_dir, detail);
    let (base, head) = (&p.base, &p.head);
    let out = git
        .run_verified(&[
            "merge-tree",
            "--write-tree",
            "--name-only",
            "--no-messages",
            "-z",
            base,
            head,
        ])
        .map_err(|e| gap(GapKind::Unreadable, e))?;
    // 0: merged cleanly; 1: conflicts (the tree then holds conflict markers).
    if !matches!(out.status, 0 | 1) {
        return Err(gap(
            GapKind::Unreadable,
            format!("git merge-tree {base} {head}: {}", failure(&out)),
        ));
    }
    let mut fields = out.stdout.split('\0');
    let remerged_tree = fields.next().unwrap_or_default().to_string();
    if !is_object_id(&remerged_tree) {
        return Err(gap(
            GapKind::Malformed,
            format!(
                "git merge-tree gave no tree id (got `{}`)",
                crate::report::escape::terminal(&remerged_tree)
            ),
        ));
    }
    // `--name-only` names a file once per conflicting stage; kept sorted, unique, and
    // capped as the differing paths are (the count stays exact).
    let mut conflicts: Vec<&str> = fields.take_while(|f| !f.is_empty()).collect();
    conflicts.sort_unstable();
    conflicts.dedup();
    let conflict_count = conflicts.len() as u64;
    let conflicts: Vec<String> = conflicts
        .into_iter()
        .take(MAX_DIFFERING_PATHS)
        .map(str::to_string)
        .collect();
    let mut comparison = TreeComparison {
        base: base.clone(),
        reviewed_head: head.clone(),
        landed: p.landed.clone(),
        landed_tree: p.landed_tree.clone(),
        remerged_tree,
        conflicts,
        conflict_count,
        differing: Vec::new(),
        differing_count: 0,
    };
    if comparison.landed_tree != comparison.remerged_tree {
        let out = git
            .run_verified(&[
                "diff-tree",
                "-r",
                "--no-renames",
                "--name-only",
                "-z",
                &comparison.remerged_tree,
                &comparison.landed_tree,
            ])
            .map_err(|e| gap(GapKind::Unreadable, e))?;
        if out.status != 0 {
            return Err(gap(
                GapKind::Unreadable,
                format!("git diff-tree: {}", failure(&out)),
            ));
        }
        let paths: Vec<&str> = out.stdout.split('\0').filter(|p| !p.is_empty()).collect();
        comparison.differing_count = paths.len() as u64;
        comparison.differing = paths
            .into_iter()
            .take(MAX_DIFFERING_PATHS)
            .map(str::to_string)
            .collect();
        if comparison.differing_count == 0 {
            // Different tree ids with no differing path: trees that differ only in how
            // they are stored. Still not shown to be the same content.
            comparison.differing_count = 1;
            comparison.differing.push("(tree objects differ)".into());
        }
    }
    Ok(comparison)
}

/// How deep a fetch from `base` and `head` must go to hold their merge bases: the
/// commits from the two tips down to them, plus the bases themselves (counted in the
/// borrowed store; if that count was steered, the copy lacks a merge base and the
/// re-merge fails, never passes).
fn depth(git: &mut dyn Git, base: &str, head: &str) -> Result<u64, String> {
    let mut bases = merge_bases(git, &[base, head])?
        .ok_or_else(|| format!("{base} and {head} have no common ancestor"))?;
    // Several merge bases (a criss-cross merge): git merges them into a virtual base,
    // on their own merge bases, so the copy must reach those too; the same again while
    // there are several (a few rounds at most in real histories).
    for _ in 0..MAX_VIRTUAL_BASE_ROUNDS {
        if bases.len() < 2 {
            break;
        }
        let of: Vec<&str> = bases.iter().map(String::as_str).collect();
        match merge_bases(git, &of)? {
            Some(deeper) => bases = deeper,
            // Unrelated merge bases: git's virtual base then starts from nothing, in
            // a full clone as in the copy.
            None => break,
        }
    }
    let negated: Vec<String> = bases.iter().map(|b| format!("^{b}")).collect();
    let mut count = vec!["rev-list", "--count", base, head];
    count.extend(negated.iter().map(String::as_str));
    let out = git.run(&count, None)?;
    match out.stdout.trim().parse::<u64>() {
        Ok(n) if out.status == 0 => Ok(n.saturating_add(1)),
        _ => Err(format!("git rev-list --count: {}", failure(&out))),
    }
}

/// Rounds of merge bases of merge bases followed for a criss-cross merge.
const MAX_VIRTUAL_BASE_ROUNDS: usize = 8;

/// The merge bases of `commits` (`--octopus` for more than two: those common to all);
/// `None` when they have none.
fn merge_bases(git: &mut dyn Git, commits: &[&str]) -> Result<Option<Vec<String>>, String> {
    let mut args = vec!["merge-base", "--all"];
    if commits.len() > 2 {
        args.push("--octopus");
    }
    args.extend(commits);
    let out = git.run(&args, None)?;
    if out.status == 1 && out.stdout.trim().is_empty() {
        return Ok(None);
    }
    if out.status != 0 {
        return Err(format!("git merge-base: {}", failure(&out)));
    }
    let bases: Vec<String> = out.stdout.lines().map(str::to_string).collect();
    if bases.is_empty() || !bases.iter().all(|b| is_object_id(b)) {
        return Err(format!("git merge-base answered `{}`", out.stdout.trim()));
    }
    Ok(Some(bases))
}

/// Copies what re-merging each change reads (its base, reviewed head and landed commit,
/// as deep as its merge bases) into the verified store: `git fetch` re-hashes every
/// object it receives, so an object of the clone whose content is not what its id says
/// (a forged tree or commit, which git would otherwise read as it is) never arrives,
/// and the re-merge fails instead of merging it.
fn verified_copy(git: &mut dyn Git, changes: &[&Prepared]) -> Result<(), String> {
    let depth = changes.iter().map(|p| p.depth).max().unwrap_or(1);
    let depth = format!("--depth={depth}");
    let mut args = vec![
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        "--no-recurse-submodules",
        depth.as_str(),
        runner::BORROWED,
    ];
    let mut tips: Vec<&str> = changes
        .iter()
        .flat_map(|p| [p.base.as_str(), p.head.as_str(), p.landed.as_str()])
        .collect();
    tips.sort_unstable();
    tips.dedup();
    args.extend(tips);
    let out = git.run_verified(&args)?;
    if out.status != 0 {
        return Err(format!(
            "the clone's objects do not verify (a missing, corrupt or forged object): {}",
            failure(&out)
        ));
    }
    Ok(())
}

fn failure(out: &runner::GitOutput) -> String {
    if out.stderr.is_empty() {
        format!("exit status {}", out.status)
    } else {
        format!("exit status {}: {}", out.status, out.stderr)
    }
}
