//! The GitHub implementation of [`Forge`](super::Forge): REST for protection and checks,
//! GraphQL for the change history.

mod alerts;
mod changes;
mod checks;
mod protection;

use serde::Deserialize;

use super::http::ApiClient;
use super::{Forge, RangeRequest};
use crate::evidence::forge::{BranchProtection, ChangeSet, CommitChecks};
use crate::evidence::{Gap, GapKind};

/// `owner/name`, split.
#[derive(Debug, Clone)]
pub struct Repo {
    /// Owner (user or organization).
    pub owner: String,
    /// Repository name.
    pub name: String,
}

impl Repo {
    /// Parses `owner/name`.
    pub fn parse(s: &str) -> Option<Repo> {
        let (owner, name) = s.split_once('/')?;
        let ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        (ok(owner) && ok(name)).then(|| Repo {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }

    /// `owner/name` for URL paths (both parts are URL-safe by construction).
    pub fn path(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// GitHub (github.com or Enterprise Server).
pub struct GitHub {
    api: ApiClient,
    repo: Repo,
}

impl GitHub {
    /// A forge over an API client for one repository.
    pub fn new(api: ApiClient, repo: Repo) -> Self {
        GitHub { api, repo }
    }
}

impl Forge for GitHub {
    fn branch_protection(&mut self, branch: &str) -> Result<BranchProtection, Gap> {
        let protection = protection::read(&mut self.api, &self.repo, branch);
        Ok(protection)
    }

    fn changes(
        &mut self,
        range: &RangeRequest,
        progress: &dyn Fn(usize),
    ) -> Result<ChangeSet, Gap> {
        match range {
            RangeRequest::Commits {
                base,
                head,
                branch,
                origin,
            } => changes::read_range(
                &mut self.api,
                &self.repo,
                base,
                head,
                branch.as_deref(),
                origin,
                progress,
            ),
            RangeRequest::PreviousTag { tag, branch } => {
                let (base, head) = self.previous_tag(tag)?;
                changes::read_range(
                    &mut self.api,
                    &self.repo,
                    &base,
                    &head,
                    branch.as_deref(),
                    &format!("tag {tag} (since the previous tag)"),
                    progress,
                )
            }
            RangeRequest::PullRequest {
                number,
                expected_head,
            } => changes::read_pull_request(
                &mut self.api,
                &self.repo,
                *number,
                expected_head.as_deref(),
            ),
        }
    }

    fn commit_checks(&mut self, sha: &str) -> Result<CommitChecks, Gap> {
        checks::read(&mut self.api, &self.repo, sha)
    }

    fn code_scanning_alerts(&mut self, git_ref: &str) -> Result<crate::evidence::SastReport, Gap> {
        alerts::read(&mut self.api, &self.repo, git_ref)
    }

    fn requests(&self) -> u32 {
        self.api.requests()
    }
}

/// The newest 100 tags by tagged-commit date, with the commit each points at.
const TAGS_QUERY: &str = "query($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    refs(refPrefix: \"refs/tags/\", first: 100, orderBy: {field: TAG_COMMIT_DATE, direction: DESC}) {
      nodes { name target { oid ... on Tag { target { oid } } } }
    }
  }
}";

/// Every GraphQL document vouch sends to GitHub, by name: a test validates them against
/// GitHub's published schema and its node limit, which a mock server cannot do.
#[doc(hidden)]
pub fn graphql_documents() -> Vec<(&'static str, String)> {
    vec![
        ("history", changes::history_query()),
        ("pull-request", changes::pull_request_query()),
        ("pull-request-page", changes::PR_PAGE.to_string()),
        ("tags", TAGS_QUERY.to_string()),
    ]
}

impl GitHub {
    /// The commit of `tag` and of the tag before it (by tagged commit date).
    fn previous_tag(&mut self, tag: &str) -> Result<(String, String), Gap> {
        let query = TAGS_QUERY;
        #[derive(Deserialize)]
        struct Data {
            repository: Option<Repository>,
        }
        #[derive(Deserialize)]
        struct Repository {
            refs: Refs,
        }
        #[derive(Deserialize)]
        struct Refs {
            nodes: Vec<TagRef>,
        }
        #[derive(Deserialize)]
        struct TagRef {
            name: String,
            target: Target,
        }
        #[derive(Deserialize)]
        struct Target {
            oid: String,
            /// Annotated tags point at a tag object whose target is the commit.
            target: Option<Box<Target>>,
        }
        let what = format!("tags before {tag}");
        let data: Data = self.api.graphql(
            query,
            serde_json::json!({ "owner": self.repo.owner, "name": self.repo.name }),
            &what,
        )?;
        let tags = data.repository.map(|r| r.refs.nodes).unwrap_or_default();
        let commit = |t: &TagRef| {
            t.target
                .target
                .as_ref()
                .map_or(t.target.oid.clone(), |inner| inner.oid.clone())
        };
        let position = tags.iter().position(|t| t.name == tag).ok_or_else(|| {
            Gap::new(
                GapKind::NotFound,
                &what,
                format!("tag {tag} not found among the 100 newest tags"),
            )
        })?;
        let current = commit(&tags[position]);
        // The previous *release*: a floating tag (`latest`, `nightly`), another tag on
        // the same commit, or a pre-release before a final release would shrink the
        // range and leave changes unverified.
        let shape = release_shape(tag);
        let previous = tags[position + 1..]
            .iter()
            .find(|t| {
                commit(t) != current
                    && match (shape, release_shape(&t.name)) {
                        (Some((_, false)), Some((_, prerelease))) => !prerelease,
                        (Some(_), Some(_)) => true,
                        (Some(_), None) => false,
                        (None, _) => true,
                    }
            })
            .ok_or_else(|| {
                Gap::new(
                    GapKind::NotFound,
                    &what,
                    format!("no earlier release tag before {tag}: give the range with --range BASE..{tag}"),
                )
            })?;
        Ok((commit(previous), current))
    }
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
    use super::release_shape;

    #[test]
    fn release_tags_are_recognized() {
        assert_eq!(release_shape("v1.2.3"), Some(("1.2.3", false)));
        assert_eq!(release_shape("1.2.3-rc.1"), Some(("1.2.3", true)));
        assert_eq!(release_shape("v1.2"), Some(("1.2", false)));
        assert_eq!(release_shape("nightly"), None);
        assert_eq!(release_shape("v1.x"), None);
    }
}
