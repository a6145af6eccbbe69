//! The reviewed-tree rule: what landed on the branch is what merging the reviewed head
//! gives.
//!
//! Approvals are on a head commit; the branch gets a merge commit, a squash or a
//! rebased series made afterwards, by the forge or by hand. Its tree must equal the
//! tree of merging the reviewed head onto the base it landed on: a difference is a
//! conflict resolved at merge time, or an edit made while merging, that nobody
//! reviewed. Only a clone can show it; without one the rule is `skipped`, never passed.

use super::super::change_record::RuleOutcome;
use super::super::{CheckOutput, FindingSubject};
use crate::evidence::forge::ChangeRequest;
use crate::evidence::git::{GitEvidence, TreeComparison};

code!(
    MERGED_TREE_DIFFERS,
    "peer-review/merged-tree-differs",
    Violation,
    "The tree that landed on the branch is not the tree merging the reviewed head onto its base gives: a conflict was resolved, or an edit made, while merging, and nobody reviewed it.",
    "Review what was merged: revert the merge and merge the reviewed head again (resolving conflicts in the pull request, where they are reviewed), or have the differing files reviewed and waive the finding with that evidence."
);
code!(
    MERGED_TREE_UNREADABLE,
    "peer-review/merged-tree-unreadable",
    Error,
    "The clone could not show whether what landed is what was reviewed (a head or base missing, git failing).",
    "Give a full clone with `--git-dir` (`fetch-depth: 0`) that holds the change heads (`git fetch origin '+refs/pull/*/head:refs/remotes/origin/pull/*'`; GitLab `refs/merge-requests/*/head`)."
);

/// The rule's verdict on one change, with its finding when it fails. `on_range`: the
/// change has commits on the verified range (it was merged there).
pub(super) fn judge(
    change: &ChangeRequest,
    on_range: bool,
    git: Option<&GitEvidence>,
    id: &str,
    out: &mut CheckOutput,
) -> RuleOutcome {
    let skipped = |why: String| RuleOutcome::skipped(&MERGED_TREE_DIFFERS, why);
    if change.merge_sha.is_none() || !on_range {
        return skipped("not merged on the verified range".into());
    }
    let Some(git) = git else {
        return skipped("no clone was read (--git-dir)".into());
    };
    if let Some(why) = &git.unusable {
        return skipped(format!("the clone at {} was not used: {why}", git.git_dir));
    }
    let subject = FindingSubject {
        id: Some(id.into()),
        ..Default::default()
    };
    let comparison = git
        .merges
        .iter()
        .find(|m| m.change == change.number)
        .map(|m| &m.observed);
    match comparison {
        None => {
            // The collector compares every merged change on the range: a missing one
            // means the evidence was edited or is incomplete.
            out.findings.push(
                MERGED_TREE_UNREADABLE
                    .finding(format!(
                        "{id}: the evidence has no tree comparison for it from the clone at {}",
                        git.git_dir
                    ))
                    .with_subject(subject),
            );
            RuleOutcome::new(&MERGED_TREE_DIFFERS, true, Some("not compared".into()))
        }
        Some(Err(gap)) => {
            out.findings.push(
                MERGED_TREE_UNREADABLE
                    .finding(format!("{id}: {gap}"))
                    .with_subject(subject),
            );
            RuleOutcome::new(
                &MERGED_TREE_DIFFERS,
                true,
                Some(format!("could not be compared: {}", gap.detail)),
            )
        }
        Some(Ok(c)) if c.matches() => RuleOutcome::new(
            &MERGED_TREE_DIFFERS,
            false,
            Some(format!(
                "landed tree {} of {} is the re-merge of reviewed head {} onto {}",
                short(&c.landed_tree),
                short(&c.landed),
                short(&c.reviewed_head),
                short(&c.base)
            )),
        ),
        Some(Ok(c)) => {
            out.findings.push(
                MERGED_TREE_DIFFERS
                    .finding(format!(
                        "{id} \"{}\": expected {} to carry the tree of reviewed head {} merged onto {} ({}), got {}; {}",
                        change.title,
                        short(&c.landed),
                        short(&c.reviewed_head),
                        short(&c.base),
                        short(&c.remerged_tree),
                        short(&c.landed_tree),
                        differences(c)
                    ))
                    .with_subject(subject),
            );
            RuleOutcome::new(&MERGED_TREE_DIFFERS, true, Some(differences(c)))
        }
    }
}

/// The differing files (and the conflicts the reviewed head left), for messages.
fn differences(c: &TreeComparison) -> String {
    let mut text = format!(
        "{} file(s) differ: {}",
        c.differing_count,
        c.differing.join(", ")
    );
    if c.differing_count > c.differing.len() as u64 {
        text.push_str(&format!(
            " and {} more",
            c.differing_count - c.differing.len() as u64
        ));
    }
    if !c.conflicts.is_empty() {
        text.push_str(&format!(
            "; the reviewed head does not merge cleanly (conflicts in {}), so the resolution that landed was not reviewed",
            c.conflicts.join(", ")
        ));
    }
    text
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
