//! The changes in a range: every commit on the branch's first-parent line with the pull
//! request it came through, its reviews and its contributors, in one GraphQL query per
//! 50 commits.
//!
//! Why first-parent: each commit on that line is something that *reached the branch*
//! (a squash, a rebase, a merge commit or a direct push); the commits of a merged PR's
//! own branch are part of that PR. The history is walked from HEAD until BASE is met.

use std::collections::HashMap;

use serde::Deserialize;

use super::super::http::{ApiClient, Job};
use super::super::lineage::{Attribution, Candidate};
use super::Repo;
use crate::evidence::forge::{Actor, BranchCommit, ChangeRequest, ChangeSet, Review, ReviewState};
use crate::evidence::{Gap, GapKind};

/// More commits than this between BASE and HEAD is treated as a wrong range.
const MAX_COMMITS: usize = 20_000;

/// Commits per history page (`history(first: 50)` in [`history_query`]).
const PAGE: usize = 50;

/// The commit and review fields both PR queries read, as one literal so the first
/// page and the follow-up pages cannot drift apart.
macro_rules! connection_fragments {
    () => {
        r#"
fragment Commits on PullRequestCommitConnection {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { commit { oid
    authors(first: 10) { totalCount nodes { name email user { login } } }
    committer { name email user { login } } } }
}
fragment Reviews on PullRequestReviewConnection {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { author { login __typename } authorCanPushToRepository state submittedAt commit { oid } }
}"#
    };
}

const PR_FIELDS: &str = concat!(
    r#"
fragment PR on PullRequest {
  number title merged mergedAt baseRefName headRefOid
  mergeCommit { oid }
  author { login __typename }
  mergedBy { login __typename }
  commits(first: 50) { ...Commits }
  reviews(first: 50) { ...Reviews }
  ...HeadChecks
}"#,
    connection_fragments!(),
    super::rollup::head_checks_fragment!()
);

/// The rest of a pull request's commits and reviews, 100 at a time, for the rare PR
/// with more than the first query returns.
pub(super) const PR_PAGE: &str = concat!(
    r#"query($owner: String!, $name: String!, $number: Int!, $commits: String, $reviews: String, $wantCommits: Boolean!, $wantReviews: Boolean!) {
  repository(owner: $owner, name: $name) { pullRequest(number: $number) {
    commits(first: 100, after: $commits) @include(if: $wantCommits) { ...Commits }
    reviews(first: 100, after: $reviews) @include(if: $wantReviews) { ...Reviews }
  } }
}"#,
    connection_fragments!()
);

/// Fetches the remaining pages of a PR's commits and reviews.
fn complete(api: &mut ApiClient, repo: &Repo, pr: &mut RawPr) -> Result<(), Gap> {
    let what = format!("pull request #{}", pr.number);
    let mut seen: Vec<(Option<String>, Option<String>)> = Vec::new();
    while pr.commits.page_info.has_next_page || pr.reviews.page_info.has_next_page {
        let want_commits = pr.commits.page_info.has_next_page;
        let want_reviews = pr.reviews.page_info.has_next_page;
        // A server that hands back a cursor it already gave would page forever.
        let cursors = (
            pr.commits.page_info.end_cursor.clone(),
            pr.reviews.page_info.end_cursor.clone(),
        );
        if seen.contains(&cursors) {
            return Err(Gap::new(
                GapKind::Malformed,
                &what,
                "the forge returned a page cursor it had already returned",
            ));
        }
        seen.push(cursors);
        let data: PrPageData = api.graphql(
            PR_PAGE,
            serde_json::json!({
                "owner": repo.owner, "name": repo.name, "number": pr.number,
                "commits": pr.commits.page_info.end_cursor, "reviews": pr.reviews.page_info.end_cursor,
                "wantCommits": want_commits, "wantReviews": want_reviews,
            }),
            &what,
        )?;
        let page = data
            .repository
            .and_then(|r| r.pull_request)
            .ok_or_else(|| Gap::new(GapKind::NotFound, &what, "disappeared while paging"))?;
        append_page(
            &mut pr.commits,
            want_commits,
            page.commits,
            &what,
            "commits",
        )?;
        append_page(
            &mut pr.reviews,
            want_reviews,
            page.reviews,
            &what,
            "reviews",
        )?;
    }
    Ok(())
}

/// Adds a follow-up page to what was read so far; a page asked for and not sent is a
/// gap (the list would be silently short).
fn append_page<T>(
    into: &mut Counted<T>,
    wanted: bool,
    page: Option<Counted<T>>,
    what: &str,
    list: &str,
) -> Result<(), Gap> {
    match (wanted, page) {
        (true, Some(p)) => {
            into.nodes.extend(p.nodes);
            into.page_info = p.page_info;
            Ok(())
        }
        (true, None) => Err(Gap::new(
            GapKind::Malformed,
            what,
            format!("{list} page missing"),
        )),
        (false, _) => Ok(()),
    }
}

#[derive(Deserialize)]
struct PrPageData {
    repository: Option<PrPageRepo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrPageRepo {
    pull_request: Option<PrPage>,
}

#[derive(Deserialize)]
struct PrPage {
    commits: Option<Counted<PrCommit>>,
    reviews: Option<Counted<RawReview>>,
}

/// One page of 50 first-parent commits with the pull requests each came through.
pub(super) fn history_query() -> String {
    format!(
        "query($owner: String!, $name: String!, $head: String!, $base: String!, $cursor: String, $counts: Boolean!) {{
  repository(owner: $owner, name: $name) {{
    defaultBranchRef {{ name }}
    base: object(expression: $base) {{ oid ... on Commit {{ ancestors: history(first: 1) @include(if: $counts) {{ totalCount }} }} }}
    head: object(expression: $head) {{ ... on Commit {{ oid
      history(first: 50, after: $cursor) {{
        totalCount @include(if: $counts)
        pageInfo {{ hasNextPage endCursor }}
        nodes {{ oid messageHeadline
          parents(first: 2) {{ nodes {{ oid }} }}
          author {{ name email user {{ login }} }}
          signature {{ isValid signer {{ login }} }}
          associatedPullRequests(first: 2) {{ nodes {{ ...PR }} }} }}
      }} }} }}
  }}
}}{PR_FIELDS}"
    )
}

/// Both ends of a range as objects, tags peeled to what they point at.
pub(super) const RESOLVE_QUERY: &str =
    "query($owner: String!, $name: String!, $head: String!, $base: String!) {
  repository(owner: $owner, name: $name) {
    base: object(expression: $base) { oid __typename ... on Tag { target { oid __typename } } }
    head: object(expression: $head) { oid __typename ... on Tag { target { oid __typename } } }
  }
}";

fn is_full_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Resolves `base` and `head` (SHAs, short SHAs, tags, branches) to commit SHAs.
fn resolve_range(
    api: &mut ApiClient,
    repo: &Repo,
    base: &str,
    head: &str,
) -> Result<(String, String), Gap> {
    #[derive(Deserialize)]
    struct Data {
        repository: Option<Ends>,
    }
    #[derive(Deserialize)]
    struct Ends {
        base: Option<Object>,
        head: Option<Object>,
    }
    #[derive(Deserialize)]
    struct Object {
        oid: String,
        #[serde(rename = "__typename")]
        typename: String,
        target: Option<Box<Object>>,
    }
    let what = format!("range {base}..{head}");
    let data: Data = api.graphql(
        RESOLVE_QUERY,
        serde_json::json!({ "owner": repo.owner, "name": repo.name, "head": head, "base": base }),
        &what,
    )?;
    let ends = data
        .repository
        .ok_or_else(|| Gap::new(GapKind::NotFound, &what, "repository not found"))?;
    let commit = |object: Option<Object>, name: &str| {
        let object = object
            .ok_or_else(|| Gap::new(GapKind::NotFound, &what, format!("{name} not found")))?;
        let object = match (object.typename.as_str(), object.target) {
            ("Tag", Some(target)) => *target,
            (_, target) => Object { target, ..object },
        };
        if object.typename == "Commit" {
            Ok(object.oid)
        } else {
            Err(Gap::new(
                GapKind::Malformed,
                &what,
                format!("{name} is a {}, not a commit", object.typename),
            ))
        }
    };
    Ok((commit(ends.base, base)?, commit(ends.head, head)?))
}

/// One pull request, for the pre-merge gate.
pub(super) fn pull_request_query() -> String {
    format!(
        "query($owner: String!, $name: String!, $number: Int!) {{
  repository(owner: $owner, name: $name) {{ pullRequest(number: $number) {{ ...PR }} }}
}}{PR_FIELDS}"
    )
}

/// Reads the changes in `base..head` (first-parent) on `branch` (else the repository's
/// default branch). `base` and `head` may be SHAs, short SHAs, tags or branches: the
/// query resolves them with `object(expression:)`.
///
/// Sizes are chosen for GitHub's 500,000-node query limit: 50 commits per page, each
/// with up to 2 pull requests carrying 50 commits (10 authors each), 50 reviews and
/// their head's 100 check results, is about 70,000 nodes; larger PRs are paged by
/// [`complete`].
pub fn read_range(
    api: &mut ApiClient,
    repo: &Repo,
    base: &str,
    head: &str,
    branch: Option<&str>,
    origin: &str,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<ChangeSet, Gap> {
    // Refs (tags, branches, `HEAD~3`) are resolved to commits first: an annotated tag
    // names a tag object, whose own id would never be met on the history.
    let (base, head) = if is_full_sha(base) && is_full_sha(head) {
        (base.to_string(), head.to_string())
    } else {
        resolve_range(api, repo, base, head)?
    };
    let (base, head) = (base.as_str(), head.as_str());
    let query = history_query();
    let what = format!("history of {head}");
    let mut nodes: HashMap<String, HistoryNode> = HashMap::new();
    let mut cursor: Option<String> = None;
    let mut seen_cursors: Vec<Option<String>> = Vec::new();
    let mut walk: Vec<String> = Vec::new();
    // Pages fetched ahead, by the cursor they were asked with (see [`prefetch`]).
    let mut prefetched: HashMap<String, Result<HistoryData, Gap>> = HashMap::new();
    let mut resolved: Option<(String, String, String)> = None; // (base oid, head oid, branch)
    loop {
        if let Some((base_oid, head_oid, _)) = &resolved {
            if base_oid == head_oid {
                return Err(Gap::new(
                    GapKind::Malformed,
                    &what,
                    format!("the range {base}..{head} is empty: both are {head_oid}"),
                ));
            }
            // Advance the first-parent walk as far as the fetched history allows.
            let mut current = walk
                .last()
                .and_then(|last| nodes.get(last))
                .map_or(head_oid.clone(), first_parent);
            while &current != base_oid {
                let Some(node) = nodes.get(&current) else {
                    break;
                };
                walk.push(current.clone());
                if walk.len() > MAX_COMMITS {
                    return Err(Gap::new(
                        GapKind::Malformed,
                        &what,
                        format!(
                            "more than {MAX_COMMITS} commits before reaching {base}: is BASE an ancestor of HEAD?"
                        ),
                    ));
                }
                current = first_parent(node);
                if current.is_empty() {
                    return Err(Gap::new(
                        GapKind::NotFound,
                        &what,
                        format!(
                            "reached the first commit without meeting {base}: BASE is not on the first-parent line of HEAD"
                        ),
                    ));
                }
            }
            if &current == base_oid {
                break;
            }
        }
        // A server that repeats a cursor would page forever.
        if seen_cursors.contains(&cursor) {
            return Err(Gap::new(
                GapKind::Malformed,
                &what,
                "the forge returned a page cursor it had already returned",
            ));
        }
        seen_cursors.push(cursor.clone());
        let ahead = cursor.as_ref().and_then(|c| prefetched.remove(c));
        let data: HistoryData = match ahead {
            Some(page) => page?,
            None => api.graphql(
                &query,
                history_variables(repo, head, base, cursor.as_deref()),
                &what,
            )?,
        };
        let counts = (
            data.repository
                .as_ref()
                .and_then(|r| r.head.as_ref())
                .and_then(|h| h.history.as_ref())
                .and_then(|h| h.total_count),
            data.repository
                .as_ref()
                .and_then(|r| r.base.as_ref())
                .and_then(|b| b.ancestors.as_ref())
                .map(|a| a.total_count),
        );
        let repository = data
            .repository
            .ok_or_else(|| Gap::new(GapKind::NotFound, &what, "repository not found"))?;
        let base_oid = repository
            .base
            .map(|b| b.oid)
            .ok_or_else(|| Gap::new(GapKind::NotFound, &what, format!("{base} not found")))?;
        let head_obj = repository
            .head
            .ok_or_else(|| Gap::new(GapKind::NotFound, &what, format!("{head} not found")))?;
        let (Some(head_oid), Some(history)) = (head_obj.oid, head_obj.history) else {
            return Err(Gap::new(
                GapKind::NotFound,
                &what,
                format!("{head} is not a commit"),
            ));
        };
        let target = branch
            .map(str::to_string)
            .or(repository.default_branch_ref.map(|r| r.name))
            .ok_or_else(|| {
                Gap::new(
                    GapKind::NotFound,
                    &what,
                    "no branch given and the repository has no default branch",
                )
            })?;
        let (base_oid, head_oid, _) = resolved.get_or_insert((base_oid, head_oid, target));
        if base_oid == head_oid {
            return Err(Gap::new(
                GapKind::Malformed,
                &what,
                format!("the range {base}..{head} is empty: both are {head_oid}"),
            ));
        }
        if history.nodes.is_empty() && history.page_info.has_next_page {
            return Err(Gap::new(
                GapKind::Malformed,
                &what,
                "an empty page that claims more pages",
            ));
        }
        for n in history.nodes {
            nodes.insert(n.oid.clone(), n);
        }
        progress(nodes.len());
        if !history.page_info.has_next_page {
            // One more pass of the walk decides; if it cannot finish, the history ran out.
            let (base_oid, head_oid, _) = resolved.as_ref().expect("set above");
            let mut current = walk
                .last()
                .and_then(|last| nodes.get(last))
                .map_or(head_oid.clone(), first_parent);
            while &current != base_oid {
                let Some(node) = nodes.get(&current) else {
                    return Err(Gap::new(
                        GapKind::NotFound,
                        &what,
                        format!("history ended without meeting {base}"),
                    ));
                };
                walk.push(current.clone());
                current = first_parent(node);
            }
            break;
        }
        cursor = history.page_info.end_cursor;
        if seen_cursors.len() == 1
            && let (Some(end), (Some(total), Some(below_base))) = (&cursor, counts)
        {
            let head_oid = &resolved.as_ref().expect("set above").1;
            prefetched = prefetch(api, repo, head, base, head_oid, end, total, below_base);
        }
    }
    let (base_oid, head_oid, target) = resolved.expect("resolved before the walk ends");

    let mut commits = Vec::with_capacity(walk.len());
    let mut requests: HashMap<u64, ChangeRequest> = HashMap::new();
    let mut attribution = Attribution::default();
    for sha in &walk {
        let node = nodes.remove(sha).expect("walked nodes were fetched");
        let mut associated = node.associated_pull_requests.nodes;
        let candidates: Vec<Candidate<'_>> = associated
            .iter()
            .map(|pr| Candidate {
                number: pr.number,
                merged_into_target: pr.merged && pr.base_ref_name == target,
                merge_sha: pr.merge_commit.as_ref().map(|m| m.oid.as_str()),
                commits: pr.commits.total_count,
            })
            .collect();
        let chosen = attribution.next(&node.oid, node.parents.nodes.len(), &candidates);
        let pr = chosen.map(|i| associated.swap_remove(i));
        let number = pr.as_ref().map(|p| p.number);
        if let Some(mut pr) = pr
            && !requests.contains_key(&pr.number)
        {
            complete(api, repo, &mut pr)?;
            let change = pr.into_change_request()?;
            requests.insert(change.number, change);
        }
        let verified_signer = node
            .signature
            .filter(|s| s.is_valid)
            .and_then(|s| s.signer)
            .map(|s| s.login);
        commits.push(BranchCommit {
            sha: node.oid,
            title: node.message_headline,
            author: node.author.map(|a| a.display()).unwrap_or_default(),
            verified_signer,
            change_request: number,
        });
    }
    let mut change_requests: Vec<ChangeRequest> = requests.into_values().collect();
    change_requests.sort_by_key(|c| c.number);
    Ok(ChangeSet {
        base: Some(base_oid),
        head: head_oid,
        origin: format!("{origin} on {target}"),
        commits,
        change_requests,
    })
}

fn history_variables(
    repo: &Repo,
    head: &str,
    base: &str,
    cursor: Option<&str>,
) -> serde_json::Value {
    // The commit counts only matter on the first page: they size the prefetch.
    serde_json::json!({
        "owner": repo.owner, "name": repo.name, "head": head, "base": base,
        "cursor": cursor, "counts": cursor.is_none(),
    })
}

/// Fetches the rest of the history at once instead of one page after another.
///
/// A history cursor is opaque in GitHub's documentation; in practice it is
/// `"<head oid> <index of the page's last commit>"`. When the first page's cursor has
/// exactly that form, the cursors of the following pages are known in advance, and the
/// pages the range needs (commits reachable from HEAD but not from BASE, 50 a page) are
/// asked for together. Nothing rests on the guess: the walk still follows the cursor
/// each page returns and takes a prefetched page only when it was asked with exactly
/// that cursor; a page it does not find here it fetches as before. A prefetched page
/// that failed is the gap of that page, as if fetched in turn.
#[allow(clippy::too_many_arguments)]
fn prefetch(
    api: &mut ApiClient,
    repo: &Repo,
    head: &str,
    base: &str,
    head_oid: &str,
    first_cursor: &str,
    reachable_from_head: u64,
    reachable_from_base: u64,
) -> HashMap<String, Result<HistoryData, Gap>> {
    if first_cursor != format!("{head_oid} {}", PAGE - 1) {
        return HashMap::new();
    }
    let in_range = usize::try_from(reachable_from_head.saturating_sub(reachable_from_base))
        .unwrap_or(usize::MAX)
        .min(MAX_COMMITS);
    let pages = in_range.div_ceil(PAGE);
    let query = history_query();
    let what = format!("history of {head_oid}");
    let cursors: Vec<String> = (1..pages)
        .map(|page| format!("{head_oid} {}", page * PAGE - 1))
        .collect();
    let jobs: Vec<Job<'_, Result<HistoryData, Gap>>> = cursors
        .iter()
        .map(|cursor| -> Job<'_, Result<HistoryData, Gap>> {
            let (query, what) = (&query, &what);
            Box::new(move |api| {
                api.graphql(
                    query,
                    history_variables(repo, head, base, Some(cursor)),
                    what,
                )
            })
        })
        .collect();
    let pages = api.in_parallel(jobs);
    cursors.into_iter().zip(pages).collect()
}

fn first_parent(node: &HistoryNode) -> String {
    node.parents
        .nodes
        .first()
        .map(|p| p.oid.clone())
        .unwrap_or_default()
}

/// Reads one pull request as it is now (the pre-merge gate of a `pull_request` run).
pub fn read_pull_request(
    api: &mut ApiClient,
    repo: &Repo,
    number: u64,
    expected_head: Option<&str>,
) -> Result<ChangeSet, Gap> {
    let query = pull_request_query();
    let what = format!("pull request #{number}");
    let data: PullRequestData = api.graphql(
        &query,
        serde_json::json!({ "owner": repo.owner, "name": repo.name, "number": number }),
        &what,
    )?;
    let mut pr = data
        .repository
        .and_then(|r| r.pull_request)
        .ok_or_else(|| Gap::new(GapKind::NotFound, &what, "not found"))?;
    // The PR may have moved on since the run started: its approvals would then be
    // about other code than the commit this run verifies.
    if let Some(expected) = expected_head
        && pr.head_ref_oid != expected
    {
        return Err(Gap::new(
            GapKind::Malformed,
            &what,
            format!(
                "the pull request's head is now {}, not {expected}: re-run on the latest head",
                pr.head_ref_oid
            ),
        ));
    }
    complete(api, repo, &mut pr)?;
    let change = pr.into_change_request()?;
    Ok(ChangeSet {
        base: None,
        head: change.head_sha.clone(),
        origin: format!("pull request #{number}"),
        commits: Vec::new(),
        change_requests: vec![change],
    })
}

#[derive(Deserialize)]
struct HistoryData {
    repository: Option<HistoryRepo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistoryRepo {
    default_branch_ref: Option<BranchName>,
    base: Option<BaseObject>,
    head: Option<HistoryObject>,
}

#[derive(Deserialize)]
struct BaseObject {
    oid: String,
    /// Commits reachable from BASE (first page only; sizes the prefetch).
    #[serde(default)]
    ancestors: Option<TotalCount>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TotalCount {
    total_count: u64,
}

#[derive(Deserialize)]
struct BranchName {
    name: String,
}

#[derive(Deserialize)]
struct HistoryObject {
    oid: Option<String>,
    history: Option<History>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct History {
    /// Commits reachable from HEAD; asked for on the first page only, to size the
    /// prefetch (never to decide anything).
    #[serde(default)]
    total_count: Option<u64>,
    page_info: PageInfo,
    nodes: Vec<HistoryNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistoryNode {
    oid: String,
    message_headline: String,
    parents: Nodes<Oid>,
    author: Option<GitActor>,
    signature: Option<Signature>,
    associated_pull_requests: Nodes<RawPr>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Signature {
    is_valid: bool,
    signer: Option<Login>,
}

#[derive(Deserialize)]
struct Nodes<T> {
    nodes: Vec<T>,
}

#[derive(Deserialize)]
struct Oid {
    oid: String,
}

#[derive(Deserialize)]
struct PullRequestData {
    repository: Option<PrRepo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrRepo {
    pull_request: Option<RawPr>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPr {
    number: u64,
    title: String,
    merged: bool,
    merged_at: Option<String>,
    base_ref_name: String,
    head_ref_oid: String,
    merge_commit: Option<Oid>,
    author: Option<User>,
    merged_by: Option<User>,
    commits: Counted<PrCommit>,
    reviews: Counted<RawReview>,
    /// Absent in an answer that should have it: then the head's checks are a gap.
    #[serde(default)]
    head_commit: Option<super::rollup::HeadCommit>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Counted<T> {
    total_count: u64,
    page_info: PageInfo,
    nodes: Vec<T>,
}

#[derive(Deserialize)]
struct PrCommit {
    commit: PrCommitInner,
}

#[derive(Deserialize)]
struct PrCommitInner {
    oid: String,
    authors: AuthorList,
    committer: Option<GitActor>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorList {
    total_count: u64,
    nodes: Vec<GitActor>,
}

#[derive(Deserialize)]
struct GitActor {
    name: Option<String>,
    email: Option<String>,
    user: Option<Login>,
}

#[derive(Deserialize)]
struct Login {
    login: String,
}

#[derive(Deserialize)]
struct User {
    login: String,
    #[serde(rename = "__typename")]
    typename: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawReview {
    author: Option<User>,
    #[serde(default)]
    author_can_push_to_repository: bool,
    state: String,
    submitted_at: Option<String>,
    commit: Option<Oid>,
}

impl User {
    fn actor(self) -> Actor {
        // GitHub shows a deleted account as the reserved user `ghost` (REST, and GraphQL
        // in places), or as no author at all.
        if self.login == "ghost" {
            return Actor::deleted(self.login);
        }
        let bot = self.typename.as_deref() == Some("Bot") || self.login.ends_with("[bot]");
        Actor::account(self.login, bot)
    }
}

impl GitActor {
    /// The forge login when the git identity maps to one, else `name <email>`.
    fn actor(&self) -> Option<Actor> {
        if let Some(user) = &self.user {
            let bot = user.login.ends_with("[bot]");
            return Some(Actor::account(user.login.clone(), bot));
        }
        let email = self.email.clone().unwrap_or_default();
        if email.is_empty() && self.name.as_deref().unwrap_or("").is_empty() {
            return None;
        }
        // GitHub's no-reply address names the account (`ID+login@users.noreply…`),
        // which is how a bot's commits are attributed when GraphQL maps no user.
        if let Some(login) = noreply_login(&email) {
            return Some(Actor::account(login, login.ends_with("[bot]")));
        }
        Some(Actor::account(
            format!("{} <{email}>", self.name.clone().unwrap_or_default()),
            false,
        ))
    }

    fn display(&self) -> String {
        self.actor().map(|a| a.login).unwrap_or_default()
    }

    /// GitHub itself commits squash merges and web edits as `web-flow`: not a person.
    fn is_github(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.login == "web-flow")
            || self.email.as_deref() == Some("noreply@github.com")
    }
}

/// The login in a GitHub no-reply e-mail address: `49699333+dependabot[bot]@users.noreply.github.com`
/// or the older `login@users.noreply.github.com`.
fn noreply_login(email: &str) -> Option<&str> {
    let local = email.strip_suffix("@users.noreply.github.com")?;
    let login = local.split_once('+').map_or(local, |(id, login)| {
        if id.bytes().all(|b| b.is_ascii_digit()) {
            login
        } else {
            local
        }
    });
    (!login.is_empty()).then_some(login)
}

impl RawPr {
    fn into_change_request(self) -> Result<ChangeRequest, Gap> {
        let what = format!("pull request #{}", self.number);
        // After paging, anything short of the total (a PR edited while read) could miss a
        // contributor or a dismissal: fail closed.
        if self.commits.total_count > self.commits.nodes.len() as u64 {
            return Err(Gap::new(
                GapKind::Malformed,
                what,
                format!(
                    "{} commits listed but {} read (GitHub lists at most 250 commits of a pull request)",
                    self.commits.total_count,
                    self.commits.nodes.len()
                ),
            ));
        }
        if self.reviews.total_count > self.reviews.nodes.len() as u64 {
            return Err(Gap::new(
                GapKind::Malformed,
                what,
                format!(
                    "{} reviews listed but {} read (the pull request changed while it was read)",
                    self.reviews.total_count,
                    self.reviews.nodes.len()
                ),
            ));
        }
        let mut contributors: Vec<Actor> = Vec::new();
        for c in &self.commits.nodes {
            // A co-author beyond those read could be the approver: fail closed.
            if c.commit.authors.total_count > c.commit.authors.nodes.len() as u64 {
                return Err(Gap::new(
                    GapKind::Malformed,
                    what,
                    format!(
                        "commit {} lists {} authors; vouch reads 10",
                        c.commit.oid, c.commit.authors.total_count
                    ),
                ));
            }
            for a in c.commit.authors.nodes.iter().filter_map(GitActor::actor) {
                contributors.push(a);
            }
            if let Some(committer) = c.commit.committer.as_ref().filter(|c| !c.is_github()) {
                contributors.extend(committer.actor());
            }
        }
        contributors.sort();
        contributors.dedup();
        let reviews = self
            .reviews
            .nodes
            .into_iter()
            .map(|r| {
                let state = ReviewState::from_github(&r.state).ok_or_else(|| {
                    Gap::new(
                        GapKind::Malformed,
                        what.clone(),
                        format!("a review in state `{}`, which vouch does not know", r.state),
                    )
                })?;
                Ok(Review {
                    can_push: r.author_can_push_to_repository,
                    // GitHub returns no author for a deleted account (shown as `ghost`).
                    author: r
                        .author
                        .map_or_else(|| Actor::deleted("ghost"), User::actor),
                    state,
                    submitted_at: r.submitted_at,
                    commit: r.commit.map(|c| c.oid),
                })
            })
            .collect::<Result<Vec<_>, Gap>>()?;
        Ok(ChangeRequest {
            number: self.number,
            title: self.title,
            author: self
                .author
                .map_or_else(|| Actor::deleted("ghost"), User::actor),
            base_branch: self.base_ref_name,
            head_sha: self.head_ref_oid,
            merge_sha: self.merge_commit.map(|c| c.oid),
            merged_by: self.merged_by.map(User::actor),
            merged_at: self.merged_at,
            contributors,
            reviews,
            // GitHub ties every review to the commit it was made on.
            pushes: Vec::new(),
            head_checks: Some(super::rollup::head_checks(
                self.head_commit,
                &format!("checks on the head of {what}"),
            )),
        })
    }
}
