//! What a local clone says about each merged change: whether the tree that landed on
//! the branch is the tree that merging the reviewed head gives.
//!
//! A forge records who approved which head; it does not show that the merge commit
//! (or squash, or rebased series) carries that head's content and nothing else. A
//! conflict resolved at merge time, or an edit made in the merge, lands code nobody
//! reviewed. The clone can tell: merge the reviewed head into the base it was merged
//! onto, again, and compare trees.

use serde::{Deserialize, Serialize};

use super::Observed;

/// Most differing paths kept per change; the count is always exact.
pub const MAX_DIFFERING_PATHS: usize = 200;

/// The clone that was read and what it said of each merged change.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitEvidence {
    /// The clone, as given (`--git-dir`, or `.`).
    pub git_dir: String,
    /// Why the clone could not be used for any change (a shallow clone, one that does
    /// not hold the range's head): the rule is skipped, with this as the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unusable: Option<String>,
    /// One comparison per merged change with commits on the range, in range order.
    #[serde(default)]
    pub merges: Vec<MergeComparison>,
}

/// One change's comparison, or why it could not be made.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeComparison {
    /// The change request's number.
    pub change: u64,
    /// The comparison.
    #[serde(with = "super::observed")]
    #[schemars(with = "super::observed::Shape<TreeComparison>")]
    pub observed: Observed<TreeComparison>,
}

/// The landed tree against the tree re-merging the reviewed head gives.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TreeComparison {
    /// The branch commit the change was merged onto (first parent of its oldest commit
    /// on the branch).
    pub base: String,
    /// The head that was reviewed.
    pub reviewed_head: String,
    /// The change's newest commit on the branch (merge, squash, or last rebased commit).
    pub landed: String,
    /// That commit's tree.
    pub landed_tree: String,
    /// The tree `git merge-tree --write-tree BASE REVIEWED_HEAD` writes.
    pub remerged_tree: String,
    /// Files the re-merge could not merge cleanly (at most [`MAX_DIFFERING_PATHS`]):
    /// the reviewed head did not resolve these conflicts, so whatever landed for them
    /// was resolved unreviewed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
    /// How many files conflict.
    #[serde(default)]
    pub conflict_count: u64,
    /// Paths whose content differs between the two trees (at most
    /// [`MAX_DIFFERING_PATHS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differing: Vec<String>,
    /// How many paths differ.
    pub differing_count: u64,
}

impl TreeComparison {
    /// Whether what landed is what the reviewed head merges to. A re-merge with
    /// conflicts never matches, even when the landed tree is its result: that tree
    /// holds git's unresolved choice (conflict markers, or one side of a binary or
    /// modify/delete conflict), which nobody reviewed either.
    pub fn matches(&self) -> bool {
        self.landed_tree == self.remerged_tree
            && self.differing_count == 0
            && self.conflict_count == 0
            && self.conflicts.is_empty()
    }
}
