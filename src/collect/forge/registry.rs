//! The forges vouch reads, as one list: each owns its connection (API URLs, token,
//! auth header), its repository syntax, the variables its tokens come from (redacted
//! everywhere), what its CI tells the plan, and how a saved run is replayed.
//!
//! Adding a forge is its module plus a line in [`FORGES`]; the CLI, the redaction of
//! tokens and `vouch evaluate` take it from here.

use std::time::Duration;

use super::Forge;
use super::plan::PlanInputs;
use super::transcript::Transcript;
use crate::ci::Env;
use crate::collect::record::ForgeRun;

/// One forge.
pub struct ForgeSpec {
    /// Its `--forge` value, and the `kind` recorded in the evidence.
    pub name: &'static str,
    /// How `--repo` is written, for messages (`OWNER/NAME`).
    pub repo_syntax: &'static str,
    /// Variables a token for it may come from, in order of preference. Every one is
    /// checked for shape and redacted from every output, whichever forge runs.
    pub token_variables: &'static [&'static str],
    /// Whether vouch runs in this forge's own CI (then it is the default `--forge`).
    pub in_own_ci: fn(&Env) -> bool,
    /// What this forge's CI says about the range, for the plan.
    pub ci_facts: fn(&Env, &mut PlanInputs),
    /// Connects to the forge for a live run.
    pub connect: fn(&Connect<'_>) -> anyhow::Result<Connected>,
    /// A forge that answers from a saved run's transcript (no network).
    pub replay: fn(&ForgeRun, Transcript) -> anyhow::Result<Box<dyn Forge>>,
}

/// What a live connection is made from.
pub struct Connect<'a> {
    /// The environment (tokens, CI variables).
    pub env: &'a Env,
    /// `--api-url`, when given.
    pub api_url: Option<&'a str>,
    /// `--repo`, or the CI run's repository.
    pub repository: &'a str,
    /// Time for the whole collection.
    pub deadline: Duration,
}

/// A connected forge and what the evidence directory records of the connection.
pub struct Connected {
    /// The forge.
    pub forge: Box<dyn Forge>,
    /// Kind, URLs and repository (the request is added by the caller).
    pub run: ForgeRun,
}

/// Every forge, in the order `--forge` lists them.
pub static FORGES: &[&ForgeSpec] = &[&super::github::SPEC, &super::gitlab::SPEC];

/// The forge named `name`.
pub fn by_name(name: &str) -> Option<&'static ForgeSpec> {
    FORGES.iter().copied().find(|f| f.name == name)
}

/// `--forge` values: every forge, and `none`.
pub fn names() -> Vec<&'static str> {
    FORGES.iter().map(|f| f.name).chain(["none"]).collect()
}

/// The forge to read: `--forge` when given (`none`: no forge), else the one whose CI
/// this is, else none.
pub fn select(flag: Option<&str>, env: &Env) -> Option<&'static ForgeSpec> {
    match flag {
        Some(name) => by_name(name),
        None => FORGES.iter().copied().find(|f| (f.in_own_ci)(env)),
    }
}

/// Every variable any forge's token may come from.
pub fn token_variables() -> impl Iterator<Item = &'static str> {
    FORGES
        .iter()
        .flat_map(|f| f.token_variables.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forges_have_distinct_names_and_none_is_not_one_of_them() {
        let names = names();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        assert!(by_name("none").is_none());
    }

    #[test]
    fn the_ci_decides_the_default_forge() {
        let github = Env::from_pairs([("GITHUB_ACTIONS", "true")]);
        let gitlab = Env::from_pairs([("GITLAB_CI", "true")]);
        assert_eq!(select(None, &github).map(|f| f.name), Some("github"));
        assert_eq!(select(None, &gitlab).map(|f| f.name), Some("gitlab"));
        assert!(select(None, &Env::default()).is_none());
        assert!(select(Some("none"), &github).is_none());
    }
}
