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

/// How many merged changes the rule compared and skipped, for the control's summary.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub compared: usize,
    pub skipped: usize,
}

impl Tally {
    /// `; reviewed tree: …` for the summary (empty when no change was merged).
    pub fn describe(&self, git: Option<&GitEvidence>) -> String {
        if self.compared + self.skipped == 0 {
            return String::new();
        }
        let why = match git {
            _ if self.skipped == 0 => String::new(),
            None => " (no clone was read)".into(),
            Some(g) => g
                .unusable
                .as_ref()
                .map(|why| format!(" ({why})"))
                .unwrap_or_default(),
        };
        format!(
            "; reviewed tree: {} merged change(s) compared, {} skipped{why}",
            self.compared, self.skipped
        )
    }
}

/// The rule's verdict on one change, with its finding when it fails. `on_range`: the
/// change has commits on the verified range (it was merged there). `required`: a
/// merged change no clone could compare is an error, not skipped.
pub(super) fn judge(
    change: &ChangeRequest,
    on_range: bool,
    git: Option<&GitEvidence>,
    required: bool,
    id: &str,
    out: &mut CheckOutput,
) -> RuleOutcome {
    if change.merge_sha.is_none() || !on_range {
        return RuleOutcome::skipped(
            &MERGED_TREE_DIFFERS,
            "not merged on the verified range".into(),
        );
    }
    let subject = FindingSubject {
        id: Some(id.into()),
        ..Default::default()
    };
    let git = match git {
        Some(git) if git.unusable.is_none() => git,
        _ => return without_clone(git, required, id, subject, out),
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
            RuleOutcome::new(&MERGED_TREE_UNREADABLE, true, Some("not compared".into()))
        }
        Some(Err(gap)) => {
            out.findings.push(
                MERGED_TREE_UNREADABLE
                    .finding(format!("{id}: {gap}"))
                    .with_subject(subject),
            );
            RuleOutcome::new(
                &MERGED_TREE_UNREADABLE,
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

/// A merged change with no usable clone: skipped, or an error when the policy requires
/// the rule.
fn without_clone(
    git: Option<&GitEvidence>,
    required: bool,
    id: &str,
    subject: FindingSubject,
    out: &mut CheckOutput,
) -> RuleOutcome {
    let why = match git.and_then(|g| g.unusable.as_ref().map(|why| (g, why))) {
        Some((g, why)) => format!("the clone at {} was not used: {why}", g.git_dir),
        None => "no clone was read (--git-dir)".to_string(),
    };
    if !required {
        return RuleOutcome::skipped(&MERGED_TREE_DIFFERS, why);
    }
    out.findings.push(
        MERGED_TREE_UNREADABLE
            .finding(format!(
                "{id}: the policy requires the reviewed-tree rule (peer_review.require_merged_tree), but {why}"
            ))
            .with_subject(subject),
    );
    RuleOutcome::new(&MERGED_TREE_UNREADABLE, true, Some(why))
}

/// The differing files (and the conflicts the reviewed head left), for messages.
fn differences(c: &TreeComparison) -> String {
    let mut parts = Vec::new();
    if c.differing_count > 0 {
        parts.push(format!(
            "{} file(s) differ: {}{}",
            c.differing_count,
            c.differing.join(", "),
            more(c.differing_count, c.differing.len())
        ));
    }
    let conflicts = c.conflict_count.max(c.conflicts.len() as u64);
    if conflicts > 0 {
        parts.push(format!(
            "the reviewed head does not merge cleanly (conflicts in {}{}), so the resolution that landed was not reviewed{}",
            c.conflicts.join(", "),
            more(conflicts, c.conflicts.len()),
            if c.differing_count == 0 {
                " (what landed is git's own unresolved merge)"
            } else {
                ""
            }
        ));
    }
    parts.join("; ")
}

/// ` and N more` when a list was cut.
fn more(count: u64, shown: usize) -> String {
    match count.checked_sub(shown as u64) {
        Some(rest) if rest > 0 => format!(" and {rest} more"),
        _ => String::new(),
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
