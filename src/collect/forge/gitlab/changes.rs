//! The changes in a range on GitLab: the first-parent commits of `BASE..HEAD`, each
//! accounted for by the merge request that put it on the branch, with its approvals
//! (with their times), diff versions and commits.
//!
//! The reads come in rounds that depend on each other, and each round is read at once
//! (at most [`super::GITLAB_IN_FLIGHT`] in flight): the base commit (its date bounds the
//! listing); the branch's merged merge requests, every page at once after the first
//! (`x-total-pages`); then together the history (in runs of 99 merges between the
//! listed merge commits, since the commit history has no page count and would
//! otherwise cost a round per 100 commits), the listed merge requests' commits and
//! their head pipelines; a lookup of any commit the listing does not settle (a direct
//! push, a merge request outside the listing); and every merge request's approvals,
//! diff versions and head jobs. A thousand merge commits take six rounds and about
//! four requests per change (BENCHMARKS.md). The commits of a rebase run are matched
//! against the merge request's own commit list.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::super::RangeRequest;
use super::super::http::{ApiClient, Job};
use super::super::lineage::{self, Attribution, Candidate, TagAt};
use super::checks::RawPipeline;
use super::review::{Reviewed, complete_all, git_display};
use super::{Project, TokenKind, User, get_all, get_json};
use crate::evidence::forge::{BranchCommit, ChangeSet};
use crate::evidence::{Gap, GapKind};

/// More commits than this between BASE and HEAD is treated as a wrong range.
const MAX_COMMITS: usize = 20_000;

/// Reads what `range` names.
pub fn read(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    range: &RangeRequest,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<ChangeSet, Gap> {
    match range {
        RangeRequest::Commits {
            base,
            head,
            branch,
            origin,
        } => read_range(
            api,
            project,
            kind,
            base,
            head,
            branch.as_deref(),
            origin,
            progress,
        ),
        RangeRequest::PreviousTag { tag, branch } => {
            let (previous, base, head) = previous_tag(api, project, kind, tag)?;
            read_range(
                api,
                project,
                kind,
                &base,
                &head,
                branch.as_deref(),
                &format!("tag {tag} (since the previous release tag {previous})"),
                progress,
            )
        }
        RangeRequest::PullRequest {
            number,
            expected_head,
        } => read_merge_request(api, project, kind, *number, expected_head.as_deref()),
    }
}

#[allow(clippy::too_many_arguments)]
fn read_range(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    base: &str,
    head: &str,
    branch: Option<&str>,
    origin: &str,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<ChangeSet, Gap> {
    let p = project.api();
    let target = match branch {
        Some(b) => b.to_string(),
        None => {
            let info: RawProject = get_json(api, kind, &p, "the project (default branch)")?;
            info.default_branch.ok_or_else(|| {
                Gap::new(
                    GapKind::NotFound,
                    format!("history {base}..{head}"),
                    "no branch given and the project has no default branch",
                )
            })?
        }
    };
    // 1. The base commit: the range's merge requests were merged after it was made.
    //    A base given as a SHA must be answered as itself: a later commit would drop
    //    the commits between the two from the range.
    let base_commit = commit(api, project, kind, base)?;
    if is_full_sha(base) && base_commit.id != base {
        return Err(Gap::new(
            GapKind::Malformed,
            format!("commit {base}"),
            format!(
                "GitLab answered with commit {}, asked for {base}",
                base_commit.id
            ),
        ));
    }
    let base_sha = base_commit.id.clone();
    let base_time = base_commit.committed_date.as_deref().and_then(parse_time);

    // 2. The merged merge requests of the branch updated since a day before the base
    //    (a day for clock skew), all pages at once: most commits are found here.
    let listed = match base_time {
        Some(made) => list_merged(api, project, kind, &target, made)?,
        None => Vec::new(),
    };
    // The head's own merge request dates the head. Without one (the head is a direct
    // push, or the listing missed it) the head commit dates itself.
    let head_time = match listed.iter().find(|mr| merged_commit(mr) == Some(head)) {
        Some(mr) => mr.merged_at.as_deref().and_then(parse_time),
        None if listed.is_empty() => None,
        None => commit(api, project, kind, head)
            .ok()
            .and_then(|c| c.committed_date.as_deref().and_then(parse_time)),
    };
    // Those merged between the base and the head are probably the range's: their
    // merge commits split the history into runs, and their commits and head pipelines
    // are read with it. Which are the range's is decided below, by the history.
    let window = |mr: &&RawMr| match (
        base_time,
        head_time,
        mr.merged_at.as_deref().and_then(parse_time),
    ) {
        (Some(base), Some(head), Some(merged)) => {
            base - time::Duration::days(1) <= merged && merged <= head
        }
        _ => false,
    };
    let likely: Vec<&RawMr> = listed
        .iter()
        .filter(|mr| candidate(mr, &target).merged_into_target && merged_commit(mr).is_some())
        .filter(window)
        .collect();

    // 3. At once: the history (in runs between the likely merge commits), their
    //    commits (a rebase run below a merge is matched against them) and their head
    //    pipelines.
    let anchors = anchors(&likely, head);
    let heads: HashMap<u64, (String, Vec<String>)> = likely
        .iter()
        .map(|mr| (mr.iid, (mr.sha.clone(), mr.pipeline_refs())))
        .collect();
    let iids: Vec<u64> = likely.iter().map(|mr| mr.iid).collect();
    let (base_ref, anchors_ref, heads_ref) = (base_sha.as_str(), &anchors, &heads);
    let jobs: Vec<Job<'_, Step>> = vec![
        Box::new(move |api| {
            Step::History(history(api, project, kind, base_ref, head, anchors_ref))
        }),
        Box::new(move |api| Step::Commits(commits_each(api, project, kind, iids))),
        Box::new(move |api| {
            Step::Pipelines(super::checks::head_pipelines(api, project, kind, heads_ref))
        }),
    ];
    let (mut history_read, mut early_commits, mut pipelines) =
        (None, HashMap::new(), HashMap::new());
    for step in api.in_parallel(jobs) {
        match step {
            Step::History(h) => history_read = Some(h),
            Step::Commits(c) => early_commits = c,
            Step::Pipelines(p) => pipelines = p,
        }
    }
    let commits = match history_read {
        Some(Ok(commits)) => commits,
        Some(Err(gap)) => return Err(gap),
        None => unreachable!("the history job always answers"),
    };
    progress(commits.len());
    let head_sha = commits.first().map(|c| c.id.clone()).unwrap_or_default();

    // The listed merge requests whose merge commit is on the line, whenever GitLab
    // says they were merged; the commits of any read early are theirs, and a refusal
    // of a read counts only for these.
    let in_range: HashSet<&str> = commits.iter().map(|c| c.id.as_str()).collect();
    let mut known: HashMap<u64, RawMr> = listed
        .into_iter()
        .filter(|mr| merged_commit(mr).is_some_and(|m| in_range.contains(m)))
        .map(|mr| (mr.iid, mr))
        .collect();
    let mut mr_commits: HashMap<u64, Vec<RawCommit>> = HashMap::new();
    let mut unread: Vec<u64> = Vec::new();
    for iid in known.keys() {
        match early_commits.remove(iid) {
            Some(read) => {
                mr_commits.insert(*iid, read?);
            }
            None => unread.push(*iid),
        }
    }
    unread.sort_unstable();
    mr_commits.extend(read_commits(api, project, kind, unread)?);

    // 4. Commits still unaccounted for are looked up one by one, their merge requests
    //    read, and the walk done again.
    let mut looked_up: HashMap<String, Vec<u64>> = HashMap::new();
    let mut chosen = attribute(&commits, &known, &mr_commits, &looked_up, &target);
    let missing: Vec<String> = commits
        .iter()
        .zip(&chosen)
        .filter(|(_, c)| c.is_none())
        .map(|(c, _)| c.id.clone())
        .collect();
    if !missing.is_empty() {
        let jobs: Vec<Job<'_, Lookup>> = missing
            .into_iter()
            .map(|sha| -> Job<'_, Lookup> {
                Box::new(move |api| {
                    let listed = get_json(
                        api,
                        kind,
                        &format!("{}/repository/commits/{sha}/merge_requests", project.api()),
                        &format!("merge requests of commit {sha}"),
                    )?;
                    Ok((sha, listed))
                })
            })
            .collect();
        let mut new = Vec::new();
        for found in api.in_parallel(jobs) {
            let (sha, listed) = found?;
            let mut iids = Vec::new();
            for mr in listed {
                iids.push(mr.iid);
                if !known.contains_key(&mr.iid) && candidate(&mr, &target).merged_into_target {
                    new.push(mr.iid);
                    known.insert(mr.iid, mr);
                }
            }
            looked_up.insert(sha, iids);
        }
        new.sort_unstable();
        new.dedup();
        mr_commits.extend(read_commits(api, project, kind, new)?);
        chosen = attribute(&commits, &known, &mr_commits, &looked_up, &target);
    }
    // Merge requests that put nothing on the branch are not changes of the range.
    let used: HashSet<u64> = chosen.iter().flatten().copied().collect();
    known.retain(|iid, _| used.contains(iid));

    // 5. Every merge request's approvals, diff versions and head jobs, at once.
    let mut requests: Vec<RawMr> = known.into_values().collect();
    requests.sort_by_key(|mr| mr.iid);
    let reviewed = requests
        .into_iter()
        .map(|mr| Reviewed {
            commits: mr_commits.remove(&mr.iid).unwrap_or_default(),
            pipeline: pipelines.get(&mr.iid).cloned(),
            mr,
        })
        .collect();
    let change_requests = complete_all(api, project, kind, reviewed)?;
    let branch_commits = commits
        .into_iter()
        .zip(chosen)
        .map(|(c, change_request)| BranchCommit {
            author: git_display(&c.author_name, &c.author_email),
            title: c.title,
            sha: c.id,
            verified_signer: None,
            change_request,
        })
        .collect();
    Ok(ChangeSet {
        base: Some(base_sha),
        head: head_sha,
        origin: format!("{origin} on {target}"),
        commits: branch_commits,
        change_requests,
    })
}

/// One of the reads of step 3.
enum Step {
    History(Result<Vec<RawCommit>, Gap>),
    Commits(HashMap<u64, Result<Vec<RawCommit>, Gap>>),
    Pipelines(HashMap<u64, RawPipeline>),
}

/// Pages a run of the history may take (a run of 99 merges with direct pushes between
/// them); a longer one sends the history back to one run.
const RUN_PAGES: usize = 5;

/// Merge requests per run of the history read at once: a run of 99 merge commits fits
/// a page of 100 with room for the head.
const RUN: usize = 99;

/// The merge commits that split the history into runs of [`RUN`] merges: every
/// [`RUN`]th of the candidates, newest first, below the head.
fn anchors(candidates: &[&RawMr], head: &str) -> Vec<String> {
    let mut merged: Vec<(time::OffsetDateTime, &str)> = candidates
        .iter()
        .filter_map(|mr| Some((parse_time(mr.merged_at.as_deref()?)?, merged_commit(mr)?)))
        .filter(|(_, sha)| *sha != head)
        .collect();
    merged.sort_by(|a, b| b.cmp(a));
    merged
        .into_iter()
        .skip(RUN - 1)
        .step_by(RUN)
        .map(|(_, sha)| sha.to_string())
        .collect()
}

/// The first-parent history of `base..head`, newest first, checked to be one line from
/// the head down to the base. Read in runs between `anchors` at once (`a1..head`,
/// `a2..a1`, …, `base..aN`); the runs join into that line only when each anchor is on
/// it, which the check proves, and when they do not (the branch was rewritten, a merge
/// request's merge commit is elsewhere) the history is read again in one run.
fn history(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    base: &str,
    head: &str,
    anchors: &[String],
) -> Result<Vec<RawCommit>, Gap> {
    let what = format!("history {base}..{head}");
    if !anchors.is_empty() {
        let mut bounds: Vec<(&str, &str)> = Vec::with_capacity(anchors.len() + 1);
        let mut upper = head;
        for anchor in anchors {
            bounds.push((anchor.as_str(), upper));
            upper = anchor;
        }
        bounds.push((base, upper));
        let jobs: Vec<Job<'_, Result<Vec<RawCommit>, Gap>>> = bounds
            .into_iter()
            .map(|(from, to)| -> Job<'_, Result<Vec<RawCommit>, Gap>> {
                Box::new(move |api| first_parents(api, project, kind, from, to, RUN_PAGES))
            })
            .collect();
        // Any run that fails, overflows or does not join sends the read back to one run,
        // whose own failure is the gap.
        let runs: Result<Vec<Vec<RawCommit>>, Gap> = api.in_parallel(jobs).into_iter().collect();
        let joined = runs.and_then(|runs| {
            let joined: Vec<RawCommit> = runs.into_iter().flatten().collect();
            check_line(&joined, base, head, &what).map(|()| joined)
        });
        match joined {
            Ok(joined) => return Ok(joined),
            Err(gap) => tracing::debug!(
                why = gap.detail.as_str(),
                "the runs of the history do not join: reading it in one run"
            ),
        }
    }
    let commits = first_parents(api, project, kind, base, head, MAX_COMMITS / 100)?;
    check_line(&commits, base, head, &what)?;
    Ok(commits)
}

/// `git log --first-parent from..to`, a page per 100, at most `pages`.
fn first_parents(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    from: &str,
    to: &str,
    pages: usize,
) -> Result<Vec<RawCommit>, Gap> {
    let spec = format!("{from}..{to}");
    let encoded = percent_encoding::utf8_percent_encode(&spec, percent_encoding::NON_ALPHANUMERIC);
    get_all(
        api,
        kind,
        &format!(
            "{}/repository/commits?ref_name={encoded}&first_parent=true",
            project.api()
        ),
        &format!("history {spec}"),
        pages,
    )
}

/// The list must be a first-parent line: it starts at the head, each commit's first
/// parent is the next one, and the last one's is the base. Anything else is not the
/// history asked for.
fn check_line(commits: &[RawCommit], base: &str, head: &str, what: &str) -> Result<(), Gap> {
    let Some(newest) = commits.first() else {
        return Err(Gap::new(
            GapKind::Malformed,
            what,
            format!("the range {base}..{head} is empty"),
        ));
    };
    if commits.len() > MAX_COMMITS {
        return Err(Gap::new(
            GapKind::Malformed,
            what,
            format!("more than {MAX_COMMITS} commits: not a range of changes"),
        ));
    }
    if is_full_sha(head) && newest.id != head {
        return Err(Gap::new(
            GapKind::Malformed,
            what,
            format!("GitLab listed {} first, not the head {head}", newest.id),
        ));
    }
    for pair in commits.windows(2) {
        if pair[0].parent_ids.first() != Some(&pair[1].id) {
            return Err(Gap::new(
                GapKind::Malformed,
                what,
                format!(
                    "commit {} is listed after {} but is not its first parent: not a first-parent history",
                    pair[1].id, pair[0].id
                ),
            ));
        }
    }
    let last = commits.last().expect("not empty");
    if last.parent_ids.first().map(String::as_str) != Some(base) {
        return Err(Gap::new(
            GapKind::NotFound,
            what,
            format!(
                "the history ended without meeting {base}: BASE is not on the first-parent line of HEAD"
            ),
        ));
    }
    Ok(())
}

/// The branch's merged merge requests updated since a day before `since`, newest
/// first. An economy, not evidence: a merge request it misses is found by the
/// per-commit lookup, so a listing too long for its pages is left unread.
fn list_merged(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    target: &str,
    since: time::OffsetDateTime,
) -> Result<Vec<RawMr>, Gap> {
    let since = (since - time::Duration::days(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let encoded = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    match get_all(
        api,
        kind,
        &format!(
            "{}/merge_requests?state=merged&target_branch={}&updated_after={}&order_by=updated_at&sort=desc",
            project.api(),
            encoded(target),
            encoded(&since)
        ),
        &format!("merged merge requests of {target}"),
        MAX_COMMITS / 100,
    ) {
        Ok(listed) => Ok(listed),
        Err(gap) if gap.kind == GapKind::Malformed && gap.detail.starts_with("pagination") => {
            Ok(Vec::new())
        }
        Err(gap) => Err(gap),
    }
}

/// A commit's merge requests, as its lookup returned them.
type Lookup = Result<(String, Vec<RawMr>), Gap>;

/// A merge request's commits.
type MrCommits = (u64, Result<Vec<RawCommit>, Gap>);

/// The commits of each merge request, read at once; any refusal is a gap.
fn read_commits(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    iids: Vec<u64>,
) -> Result<HashMap<u64, Vec<RawCommit>>, Gap> {
    commits_each(api, project, kind, iids)
        .into_iter()
        .map(|(iid, read)| read.map(|commits| (iid, commits)))
        .collect()
}

/// The commits of each merge request, read at once, each its own result.
fn commits_each(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    iids: Vec<u64>,
) -> HashMap<u64, Result<Vec<RawCommit>, Gap>> {
    let jobs: Vec<Job<'_, MrCommits>> = iids
        .into_iter()
        .map(|iid| -> Job<'_, MrCommits> {
            Box::new(move |api| {
                let commits = get_all(
                    api,
                    kind,
                    &format!("{}/merge_requests/{iid}/commits", project.api()),
                    &format!("commits of merge request !{iid}"),
                    10,
                );
                (iid, commits)
            })
        })
        .collect();
    api.in_parallel(jobs).into_iter().collect()
}

/// Which merge request put each commit on the branch ([`Attribution`]'s rules): the
/// candidates of a commit are the known merge requests whose merge commit it is, those
/// its own lookup returned, and the rebase run's merge request when the commit is one
/// of that merge request's commits.
fn attribute(
    commits: &[RawCommit],
    known: &HashMap<u64, RawMr>,
    mr_commits: &HashMap<u64, Vec<RawCommit>>,
    looked_up: &HashMap<String, Vec<u64>>,
    target: &str,
) -> Vec<Option<u64>> {
    let mut by_merge: HashMap<&str, Vec<&RawMr>> = HashMap::new();
    for mr in known.values() {
        if let Some(sha) = candidate(mr, target).merge_sha {
            by_merge.entry(sha).or_default().push(mr);
        }
    }
    let mut attribution = Attribution::default();
    let mut run: Option<u64> = None;
    let mut out = Vec::with_capacity(commits.len());
    for commit in commits {
        let mut mrs: Vec<&RawMr> = by_merge
            .get(commit.id.as_str())
            .cloned()
            .unwrap_or_default();
        // A lookup's merge requests are candidates as merges of this very commit;
        // continuing a rebase run needs the commit among the run's own commits.
        for iid in looked_up.get(&commit.id).into_iter().flatten() {
            if let Some(mr) = known.get(iid)
                && candidate(mr, target).merge_sha == Some(commit.id.as_str())
                && !mrs.iter().any(|m| m.iid == *iid)
            {
                mrs.push(mr);
            }
        }
        if let Some(iid) = run
            && let Some(mr) = known.get(&iid)
            && mr_commits
                .get(&iid)
                .is_some_and(|cs| cs.iter().any(|c| c.id == commit.id))
            && !mrs.iter().any(|m| m.iid == iid)
        {
            mrs.push(mr);
        }
        mrs.sort_by_key(|m| m.iid);
        let candidates: Vec<Candidate<'_>> = mrs.iter().map(|m| candidate(m, target)).collect();
        let pick = attribution
            .next(&commit.id, commit.parent_ids.len(), &candidates)
            .map(|i| mrs[i].iid);
        // A merge whose commit has a single parent opens a rebase run of its commits.
        run = match pick {
            Some(iid) if Some(commit.id.as_str()) == candidate(&known[&iid], target).merge_sha => {
                (commit.parent_ids.len() == 1).then_some(iid)
            }
            Some(iid) => Some(iid),
            None => None,
        };
        out.push(pick);
    }
    out
}

fn parse_time(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// A merge request as a candidate for having put a commit on `target`: its merge
/// commit, else its squash commit, else (a fast-forward merge) its head.
fn candidate<'m>(mr: &'m RawMr, target: &str) -> Candidate<'m> {
    Candidate {
        number: mr.iid,
        merged_into_target: mr.state == "merged" && mr.target_branch == target,
        merge_sha: merged_commit(mr),
        commits: u64::MAX,
    }
}

/// The commit a merge put on the branch: the merge commit, else the squash commit, else
/// (a fast-forward merge) the head, but only when someone merged it: GitLab also marks
/// a merge request merged when its head was pushed to the branch by hand, which went
/// through none of the merge request's gates.
pub(super) fn merged_commit(mr: &RawMr) -> Option<&str> {
    mr.merge_commit_sha
        .as_deref()
        .or(mr.squash_commit_sha.as_deref())
        .or_else(|| {
            (mr.state == "merged" && (mr.merge_user.is_some() || mr.merged_by.is_some()))
                .then_some(mr.sha.as_str())
        })
}

/// The commit a ref (tag, branch) or SHA names, with its date.
fn commit(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    r: &str,
) -> Result<RawCommit, Gap> {
    let encoded = percent_encoding::utf8_percent_encode(r, percent_encoding::NON_ALPHANUMERIC);
    get_json(
        api,
        kind,
        &format!("{}/repository/commits/{encoded}", project.api()),
        &format!("commit {r}"),
    )
}

/// The previous release tag's name and commit, and the commit of `tag`, among the 100
/// most recently updated tags.
fn previous_tag(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    tag: &str,
) -> Result<(String, String, String), Gap> {
    let what = format!("tags before {tag}");
    let tags: Vec<RawTag> = get_json(
        api,
        kind,
        &format!("{}/repository/tags?per_page=100", project.api()),
        &what,
    )?;
    let tags: Vec<TagAt> = tags
        .into_iter()
        .map(|t| TagAt {
            name: t.name,
            commit: t.commit.id,
        })
        .collect();
    lineage::release_range(&tags, tag, "the 100 newest tags")
        .map_err(|why| Gap::new(GapKind::NotFound, &what, why))
}

/// One merge request as it is now (a merge request pipeline gating itself).
fn read_merge_request(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    iid: u64,
    expected_head: Option<&str>,
) -> Result<ChangeSet, Gap> {
    let p = project.api();
    let mr: RawMr = get_json(
        api,
        kind,
        &format!("{p}/merge_requests/{iid}"),
        &format!("merge request !{iid}"),
    )?;
    if let Some(expected) = expected_head
        && expected != mr.sha
    {
        return Err(Gap::new(
            GapKind::Malformed,
            format!("merge request !{iid}"),
            format!(
                "the merge request's head is now {}, not {expected}: re-run on the latest head",
                mr.sha
            ),
        ));
    }
    let commits: Vec<RawCommit> = get_all(
        api,
        kind,
        &format!("{p}/merge_requests/{iid}/commits"),
        &format!("commits of merge request !{iid}"),
        10,
    )?;
    let mut changes = complete_all(
        api,
        project,
        kind,
        vec![Reviewed {
            mr,
            commits,
            pipeline: None,
        }],
    )?;
    let change = changes
        .pop()
        .expect("one merge request asked, one answered");
    Ok(ChangeSet {
        base: None,
        head: change.head_sha.clone(),
        origin: format!("merge request !{iid}"),
        commits: Vec::new(),
        change_requests: vec![change],
    })
}

fn is_full_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[derive(Deserialize)]
struct RawProject {
    #[serde(default)]
    default_branch: Option<String>,
}

#[derive(Deserialize, Clone)]
pub(super) struct RawCommit {
    pub(super) id: String,
    #[serde(default)]
    pub(super) title: String,
    #[serde(default)]
    pub(super) message: String,
    #[serde(default)]
    pub(super) parent_ids: Vec<String>,
    pub(super) author_name: String,
    pub(super) author_email: String,
    #[serde(default)]
    pub(super) committer_name: Option<String>,
    #[serde(default)]
    pub(super) committer_email: Option<String>,
    #[serde(default)]
    pub(super) committed_date: Option<String>,
}

#[derive(Deserialize, Clone)]
pub(super) struct RawMr {
    pub(super) iid: u64,
    pub(super) title: String,
    pub(super) state: String,
    pub(super) target_branch: String,
    pub(super) sha: String,
    #[serde(default)]
    pub(super) merge_commit_sha: Option<String>,
    #[serde(default)]
    pub(super) squash_commit_sha: Option<String>,
    pub(super) author: User,
    #[serde(default)]
    pub(super) merge_user: Option<User>,
    #[serde(default)]
    pub(super) merged_by: Option<User>,
    #[serde(default)]
    pub(super) merged_at: Option<String>,
    #[serde(default)]
    pub(super) source_branch: Option<String>,
}

impl RawMr {
    /// The refs its head's pipelines run for: its source branch (branch pipelines) and
    /// `refs/merge-requests/N/head` (merge request pipelines).
    pub(super) fn pipeline_refs(&self) -> Vec<String> {
        let mut refs = vec![format!("refs/merge-requests/{}/head", self.iid)];
        refs.extend(self.source_branch.clone());
        refs
    }
}

#[derive(Deserialize)]
struct RawTag {
    name: String,
    commit: RawTagCommit,
}

#[derive(Deserialize)]
struct RawTagCommit {
    id: String,
}

#[cfg(test)]
mod tests {
    use super::super::super::transcript::Answer;
    use super::*;

    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const X: &str = "cccccccccccccccccccccccccccccccccccccccc";
    const H: &str = "dddddddddddddddddddddddddddddddddddddddd";

    fn page(commits: &[(&str, &str)]) -> Answer {
        let list: Vec<serde_json::Value> = commits
            .iter()
            .map(|(id, parent)| {
                serde_json::json!({"id": id, "parent_ids": [parent],
                    "author_name": "a", "author_email": "a@example.com"})
            })
            .collect();
        Answer::response(200, None, serde_json::to_string(&list).unwrap().as_bytes())
    }

    fn read(answers: Vec<Answer>) -> (Result<Vec<String>, Gap>, u32) {
        let mut api = ApiClient::scripted(answers);
        let project = Project::parse("acme/ledger").unwrap();
        let read = history(
            &mut api,
            &project,
            TokenKind::Private,
            B,
            H,
            &[A.to_string()],
        )
        .map(|cs| cs.into_iter().map(|c| c.id).collect());
        (read, api.requests())
    }

    #[test]
    fn runs_that_join_into_one_line_are_the_history() {
        let (read, requests) = read(vec![page(&[(H, A)]), page(&[(A, B)])]);
        assert_eq!(read.unwrap(), [H, A]);
        assert_eq!(requests, 2);
    }

    #[test]
    fn runs_that_do_not_join_are_read_again_in_one_run() {
        // A is not on the head's first-parent line: the first run walked past it.
        let (read, requests) = read(vec![
            page(&[(H, X)]),
            page(&[(A, B)]),
            page(&[(H, X), (X, B)]),
        ]);
        assert_eq!(read.unwrap(), [H, X]);
        assert_eq!(requests, 3);
    }

    #[test]
    fn a_run_that_fails_sends_the_history_back_to_one_run() {
        // The anchor is gone (the branch was rewritten): its run is a 404.
        let (read, requests) = read(vec![
            page(&[(H, A)]),
            Answer::response(404, None, br#"{"message":"404 Not Found"}"#),
            page(&[(H, X), (X, B)]),
        ]);
        assert_eq!(read.unwrap(), [H, X]);
        assert_eq!(requests, 3);
    }

    #[test]
    fn a_history_that_is_not_a_line_either_way_is_a_gap() {
        let (read, _) = read(vec![
            page(&[(H, X)]),
            page(&[(A, B)]),
            page(&[(H, X), (A, B)]),
        ]);
        let gap = read.unwrap_err();
        assert!(gap.detail.contains("not its first parent"), "{gap:?}");
    }
}
