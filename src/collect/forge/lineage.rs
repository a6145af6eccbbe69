//! Forge-neutral reasoning about a branch's history: which change request put each
//! first-parent commit on the branch, and which release tag came before another.
//!
//! Pure functions over what any forge can list (a commit's parents and the merged
//! change requests associated with it; tag names and the commits they point at), so
//! GitHub and GitLab decide these the same way and the rules are tested once.

/// A merged change request associated with a commit, as the forge lists it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// Its number (GitHub PR number, GitLab MR iid).
    pub number: u64,
    /// Merged into the branch being verified (not merely containing the commit).
    pub merged_into_target: bool,
    /// The commit the merge put on the branch (merge, squash or last rebased commit).
    pub merge_sha: Option<&'a str>,
    /// How many commits the change request had.
    pub commits: u64,
}

/// Walks the first-parent line newest first and attributes each commit to the change
/// request that put it there, or to none (a direct push).
///
/// A change request must be merged into this branch and must have put the commit there:
/// as its merge commit, or as one of the commits right below a single-parent merge
/// commit (a rebase or fast-forward merge puts several commits on the branch, the newest
/// being the one the forge records as the merge). A change request that merely contains
/// the commit somewhere else proves nothing about how the commit reached the branch.
#[derive(Debug, Default)]
pub struct Attribution {
    /// The rebase run in progress: (change request, commits of it still expected).
    run: Option<(u64, u64)>,
}

impl Attribution {
    /// The next commit down the line: which of `candidates` put it on the branch.
    pub fn next(
        &mut self,
        sha: &str,
        parent_count: usize,
        candidates: &[Candidate<'_>],
    ) -> Option<usize> {
        let eligible = |c: &&Candidate<'_>| c.merged_into_target;
        if let Some(i) = candidates
            .iter()
            .position(|c| eligible(&c) && c.merge_sha == Some(sha))
        {
            // Only a single-parent merge commit (squash, rebase, fast-forward) can have
            // the change's other commits right below it; below a true merge commit is
            // what the branch already had.
            let c = &candidates[i];
            self.run = (parent_count == 1).then(|| (c.number, c.commits.saturating_sub(1)));
            return Some(i);
        }
        let continued =
            self.run
                .as_mut()
                .filter(|(_, left)| *left > 0)
                .and_then(|(number, left)| {
                    let i = candidates
                        .iter()
                        .position(|c| eligible(&c) && c.number == *number)?;
                    *left -= 1;
                    Some(i)
                });
        if continued.is_none() {
            self.run = None;
        }
        continued
    }
}

/// A tag and the commit it points at (an annotated tag's commit, not its tag object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagAt {
    /// Tag name.
    pub name: String,
    /// The commit.
    pub commit: String,
}

/// The release before `tag` among `tags` (newest first by the forge's ordering).
///
/// For a release-shaped tag (`v1.2.3`) the previous release is the highest lower
/// version, not the newest by date: commit dates are whatever the committer typed. A
/// floating tag (`latest`), another tag on the same commit, or a pre-release before a
/// final release would shrink the range and leave changes unverified, so they are
/// passed over. Anyone who may create tags can still plant a release-shaped tag in
/// between, so tag creation should be restricted; the base is named in the summary.
pub fn previous_release<'t>(tags: &'t [TagAt], tag: &str) -> Result<&'t TagAt, NoPrevious> {
    let position = tags
        .iter()
        .position(|t| t.name == tag)
        .ok_or(NoPrevious::TagNotListed)?;
    let current = &tags[position].commit;
    match release_shape(tag) {
        Some((version, prerelease)) => {
            let version = numeric(version);
            // Ties (`v1.1` and `1.1.0`, a final and its pre-release) go to the final
            // release, then to the newest tag (`max_by_key` keeps the last maximum,
            // so the list is walked oldest first).
            tags.iter()
                .rev()
                .filter(|t| &t.commit != current)
                .filter_map(|t| {
                    let (v, pre) = release_shape(&t.name)?;
                    let v = numeric(v);
                    (v < version && (prerelease || !pre)).then_some(((v, !pre), t))
                })
                .max_by_key(|(key, _)| *key)
                .map(|(_, t)| t)
        }
        // Not a version: the tag before it by the forge's order is all there is.
        None => tags[position + 1..].iter().find(|t| &t.commit != current),
    }
    .ok_or(NoPrevious::NoEarlierRelease)
}

/// The release range of `tag`: the previous release's name and commit, and `tag`'s
/// commit, as [`previous_release`] finds them; the reason names how the tags were
/// `listed` when nothing qualifies.
pub fn release_range(
    tags: &[TagAt],
    tag: &str,
    listed: &str,
) -> Result<(String, String, String), String> {
    let previous = previous_release(tags, tag).map_err(|e| e.explain(tag, listed))?;
    let current = tags
        .iter()
        .find(|t| t.name == tag)
        .map(|t| t.commit.clone())
        .unwrap_or_default();
    Ok((previous.name.clone(), previous.commit.clone(), current))
}

/// Why [`previous_release`] found nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoPrevious {
    /// The tag is not among those listed (the caller knows how many it asked for).
    TagNotListed,
    /// Nothing earlier qualifies.
    NoEarlierRelease,
}

impl NoPrevious {
    /// The reason for the report, given how the tags were listed.
    pub fn explain(self, tag: &str, listed: &str) -> String {
        match self {
            NoPrevious::TagNotListed => format!("tag {tag} not found among {listed}"),
            NoPrevious::NoEarlierRelease => format!(
                "no earlier release tag before {tag}: give the range with --range BASE..{tag}"
            ),
        }
    }
}

/// `1.2.3` as numbers, for ordering (`1.10` after `1.9`; `1.2` as `1.2.0`).
fn numeric(version: &str) -> [u64; 3] {
    let mut out = [0u64; 3];
    for (slot, part) in out.iter_mut().zip(version.split('.')) {
        *slot = part.parse().unwrap_or(u64::MAX);
    }
    out
}

/// `Some((version, is_prerelease))` for a semantic-version tag (`v1.2.3`, `1.2.3-rc.1`).
fn release_shape(tag: &str) -> Option<(&str, bool)> {
    let version = tag.strip_prefix('v').unwrap_or(tag);
    let (core, pre) = match version.split_once('-') {
        Some((core, _)) => (core, true),
        None => (version.split('+').next().unwrap_or(version), false),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    numeric.then_some((core, pre))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_numerically() {
        assert!(numeric("1.10.0") > numeric("1.9.9"));
        assert_eq!(numeric("1.2"), numeric("1.2.0"));
        assert!(numeric("2.0") > numeric("1.99.99"));
    }

    #[test]
    fn release_tags_are_recognized() {
        assert_eq!(release_shape("v1.2.3"), Some(("1.2.3", false)));
        assert_eq!(release_shape("1.2.3-rc.1"), Some(("1.2.3", true)));
        assert_eq!(release_shape("v1.2"), Some(("1.2", false)));
        assert_eq!(release_shape("nightly"), None);
        assert_eq!(release_shape("v1.x"), None);
    }

    fn tags(list: &[(&str, &str)]) -> Vec<TagAt> {
        list.iter()
            .map(|(n, c)| TagAt {
                name: n.to_string(),
                commit: c.to_string(),
            })
            .collect()
    }

    #[test]
    fn the_previous_release_is_the_highest_lower_final_version() {
        // Newest first by date; v1.9.0 was tagged after v1.10.0 on an old commit.
        let t = tags(&[
            ("latest", "e"),
            ("v1.11.0", "e"),
            ("v1.11.0-rc.1", "d"),
            ("v1.9.0", "c"),
            ("v1.10.0", "b"),
            ("v1.0.0", "a"),
        ]);
        assert_eq!(previous_release(&t, "v1.11.0").unwrap().name, "v1.10.0");
        // A pre-release may follow a pre-release.
        assert_eq!(
            previous_release(&t, "v1.11.0-rc.1").unwrap().name,
            "v1.10.0"
        );
        // A floating tag: the next tag by order on another commit.
        assert_eq!(previous_release(&t, "latest").unwrap().name, "v1.11.0-rc.1");
        assert_eq!(
            previous_release(&t, "v1.0.0"),
            Err(NoPrevious::NoEarlierRelease)
        );
        assert_eq!(previous_release(&t, "v9"), Err(NoPrevious::TagNotListed));
    }

    fn cand(number: u64, merge: &str, commits: u64) -> Candidate<'_> {
        Candidate {
            number,
            merged_into_target: true,
            merge_sha: Some(merge),
            commits,
        }
    }

    #[test]
    fn a_rebase_run_is_attributed_below_its_merge_commit_and_no_further() {
        let mut a = Attribution::default();
        // c3 is MR 7's recorded merge (a rebase of three commits: c3, c2, c1).
        assert_eq!(a.next("c3", 1, &[cand(7, "c3", 3)]), Some(0));
        assert_eq!(a.next("c2", 1, &[cand(7, "c3", 3)]), Some(0));
        assert_eq!(a.next("c1", 1, &[cand(7, "c3", 3)]), Some(0));
        // A fourth commit associated with MR 7 is past the run: a direct push.
        assert_eq!(a.next("c0", 1, &[cand(7, "c3", 3)]), None);
    }

    #[test]
    fn below_a_true_merge_commit_nothing_is_attributed_to_it() {
        let mut a = Attribution::default();
        assert_eq!(a.next("m", 2, &[cand(4, "m", 2)]), Some(0));
        assert_eq!(a.next("x", 1, &[cand(4, "m", 2)]), None);
    }

    #[test]
    fn a_change_merged_elsewhere_does_not_account_for_a_commit() {
        let mut a = Attribution::default();
        let other = Candidate {
            merged_into_target: false,
            ..cand(9, "s", 1)
        };
        assert_eq!(a.next("s", 1, &[other]), None);
        // Containing the commit without having merged it here proves nothing.
        assert_eq!(a.next("t", 1, &[cand(5, "elsewhere", 1)]), None);
    }
}
