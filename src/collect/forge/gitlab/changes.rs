//! The changes in a range on GitLab: the first-parent commits of `BASE..HEAD` (one
//! request per 100), each accounted for by the merge request that put it on the branch,
//! with its approvals (with their times), diff versions and commits.
//!
//! Requests (measured in BENCHMARKS.md): per 100 commits one page of the first-parent
//! history and one of the branch's merged merge requests, which settle most commits by
//! their merge commit; per merge request four (its commits, approvals, diff versions,
//! and its head pipeline's jobs, the pipeline found in one listing per 100 heads); a
//! commit the listing does not settle costs one lookup (a direct push, or a merge
//! request outside the listing). The commits of a rebase run are matched against the
//! merge request's own commit list. At most [`super::GITLAB_IN_FLIGHT`] in flight.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::super::RangeRequest;
use super::super::http::{ApiClient, Job};
use super::super::lineage::{self, Attribution, Candidate, TagAt};
use super::review::{complete, git_display};
use super::{Project, TokenKind, User, get_all, get_json};
use crate::evidence::forge::{BranchCommit, ChangeRequest, ChangeSet};
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
    let what = format!("history {base}..{head}");
    let target = match branch {
        Some(b) => b.to_string(),
        None => {
            let info: RawProject = get_json(api, kind, &p, "the project (default branch)")?;
            info.default_branch.ok_or_else(|| {
                Gap::new(
                    GapKind::NotFound,
                    &what,
                    "no branch given and the project has no default branch",
                )
            })?
        }
    };
    let base_sha = resolve(api, project, kind, base)?;
    let spec = format!("{base_sha}..{head}");
    let encoded = percent_encoding::utf8_percent_encode(&spec, percent_encoding::NON_ALPHANUMERIC);
    let commits: Vec<RawCommit> = get_all(
        api,
        kind,
        &format!("{p}/repository/commits?ref_name={encoded}&first_parent=true"),
        &what,
        MAX_COMMITS / 100,
    )?;
    progress(commits.len());
    let Some(newest) = commits.first() else {
        return Err(Gap::new(
            GapKind::Malformed,
            &what,
            format!("the range {base}..{head} is empty"),
        ));
    };
    if is_full_sha(head) && newest.id != head {
        return Err(Gap::new(
            GapKind::Malformed,
            &what,
            format!("GitLab listed {} first, not the head {head}", newest.id),
        ));
    }
    // The list must be a first-parent line: each commit's first parent is the next one,
    // and the last one's is the base. Anything else is not the history asked for.
    for pair in commits.windows(2) {
        if pair[0].parent_ids.first() != Some(&pair[1].id) {
            return Err(Gap::new(
                GapKind::Malformed,
                &what,
                format!(
                    "commit {} is listed after {} but is not its first parent: not a first-parent history",
                    pair[1].id, pair[0].id
                ),
            ));
        }
    }
    let last = commits.last().expect("not empty");
    if last.parent_ids.first() != Some(&base_sha) {
        return Err(Gap::new(
            GapKind::NotFound,
            &what,
            format!(
                "the history ended without meeting {base}: BASE is not on the first-parent line of HEAD"
            ),
        ));
    }
    let head_sha = newest.id.clone();

    // 1. The merged merge requests of the branch, newest first, from a little before the
    //    oldest commit of the range: most commits are found here, a page per 100.
    let mut known: HashMap<u64, RawMr> = HashMap::new();
    let oldest = commits
        .iter()
        .filter_map(|c| c.committed_date.as_deref().and_then(parse_time))
        .min();
    if let Some(oldest) = oldest {
        let since = (oldest - time::Duration::days(1))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let encoded = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        // Listing is an economy, not evidence: a merge request it misses is found by
        // the per-commit lookup below, so the listing may stop early.
        let pages = commits.len().div_ceil(100) + 1;
        let listed: Result<Vec<RawMr>, Gap> = get_all(
            api,
            kind,
            &format!(
                "{p}/merge_requests?state=merged&target_branch={}&updated_after={}&order_by=updated_at&sort=desc",
                encoded(&target),
                encoded(&since)
            ),
            &format!("merged merge requests of {target}"),
            pages,
        );
        match listed {
            Ok(listed) => known.extend(listed.into_iter().map(|mr| (mr.iid, mr))),
            // More pages than the range needs: the lookups take over.
            Err(gap) if gap.kind == GapKind::Malformed && gap.detail.starts_with("pagination") => {}
            Err(gap) => return Err(gap),
        }
    }
    let in_range: HashSet<&str> = commits.iter().map(|c| c.id.as_str()).collect();
    known.retain(|_, mr| {
        candidate(mr, &target)
            .merge_sha
            .is_some_and(|m| in_range.contains(m))
    });

    // 2. Their commits (a rebase run below a merge is matched against them), then the
    //    walk; 3. commits still unaccounted for are looked up one by one, their merge
    //    requests read, and the walk done again.
    let mut mr_commits: HashMap<u64, Vec<RawCommit>> =
        read_commits(api, project, kind, known.keys().copied().collect())?;
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

    // 4. The head pipelines, from the project's pipelines since the oldest of these merge
    //    requests (a page per 100), and every merge request's approvals, diff versions
    //    and head jobs, eight requests at a time.
    let heads: HashMap<u64, (String, Vec<String>)> = known
        .iter()
        .map(|(iid, mr)| (*iid, (mr.sha.clone(), mr.pipeline_refs())))
        .collect();
    let pipelines = super::checks::head_pipelines(api, project, kind, &heads);
    let mut requests: Vec<RawMr> = known.into_values().collect();
    requests.sort_by_key(|mr| mr.iid);
    let jobs: Vec<Job<'_, Result<ChangeRequest, Gap>>> = requests
        .into_iter()
        .map(|mr| -> Job<'_, Result<ChangeRequest, Gap>> {
            let commits = mr_commits.remove(&mr.iid).unwrap_or_default();
            let pipeline = pipelines.get(&mr.iid).cloned();
            Box::new(move |api| {
                let head_checks = match &pipeline {
                    Some(pl) => super::checks::jobs(api, project, kind, pl),
                    None => super::checks::read(api, project, kind, &mr.sha, &mr.pipeline_refs()),
                };
                complete(api, project, kind, mr, commits, head_checks)
            })
        })
        .collect();
    let change_requests = api
        .in_parallel(jobs)
        .into_iter()
        .collect::<Result<Vec<_>, Gap>>()?;
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

/// A commit's merge requests, as its lookup returned them.
type Lookup = Result<(String, Vec<RawMr>), Gap>;

/// A merge request's commits.
type MrCommits = Result<(u64, Vec<RawCommit>), Gap>;

/// The commits of each merge request, read at once.
fn read_commits(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    iids: Vec<u64>,
) -> Result<HashMap<u64, Vec<RawCommit>>, Gap> {
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
                )?;
                Ok((iid, commits))
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

/// A ref (tag, branch) or SHA as the commit it names.
fn resolve(
    api: &mut ApiClient,
    project: &Project,
    kind: TokenKind,
    r: &str,
) -> Result<String, Gap> {
    if is_full_sha(r) {
        return Ok(r.to_string());
    }
    let encoded = percent_encoding::utf8_percent_encode(r, percent_encoding::NON_ALPHANUMERIC);
    let commit: RawCommit = get_json(
        api,
        kind,
        &format!("{}/repository/commits/{encoded}", project.api()),
        &format!("commit {r}"),
    )?;
    Ok(commit.id)
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
    let head_checks = super::checks::read(api, project, kind, &mr.sha, &mr.pipeline_refs());
    let change = complete(api, project, kind, mr, commits, head_checks)?;
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
