//! vouch's GitHub GraphQL documents hold against GitHub's published schema
//! (`@octokit/graphql-schema`, regenerated from the live API) and its node limit.
//!
//! The mock GitHub answers whatever it is asked, so a misspelt field, a wrong argument
//! type or a connection without a page size would pass every other test and fail on
//! the first real run. graphql-js (the reference implementation) checks the documents
//! here; `.ci/run` installs both with `npm ci --prefix tests/graphql`.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::github::{
    BASE, HEAD, MID, history, pr, pull_request, resolved_range, review, reviews_page, tags,
};
use super::support::{repo_path, skip, tempdir, write};

/// GitHub refuses a query that could return more than this many nodes.
const GITHUB_NODE_LIMIT: u64 = 500_000;

/// The installed validator and schema (`npm ci --prefix tests/graphql`), if present.
fn installed() -> Option<std::path::PathBuf> {
    let modules = repo_path("tests/graphql/node_modules");
    if modules
        .join("@octokit/graphql-schema/schema.json")
        .is_file()
    {
        Some(modules)
    } else {
        skip("GitHub's GraphQL schema is not installed: run `npm ci --prefix tests/graphql`");
        None
    }
}

#[test]
fn graphql_documents_validate_against_githubs_schema_within_the_node_limit() {
    let Some(modules) = installed() else { return };
    let documents = vouch::collect::forge::github::graphql_documents();
    let listed: Vec<Value> = documents
        .iter()
        .map(|(name, query)| json!({"name": name, "query": query, "responses": mock_answers(name)}))
        .collect();
    let dir = tempdir();
    let input = write(
        dir.path(),
        "documents.json",
        &Value::Array(listed).to_string(),
    );
    let results = validate(&modules, &input);
    assert_eq!(results.len(), documents.len(), "{results:?}");

    let mut problems = Vec::new();
    for r in &results {
        let name = r["name"].as_str().unwrap();
        for e in r["errors"].as_array().unwrap() {
            problems.push(format!("{name}: {}", e.as_str().unwrap()));
        }
        let nodes = r["nodes"].as_u64().unwrap();
        if nodes > GITHUB_NODE_LIMIT {
            problems.push(format!(
                "{name}: {nodes} nodes, over GitHub's {GITHUB_NODE_LIMIT}"
            ));
        }
        eprintln!("{name}: {nodes} nodes");
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // The history page is the big one: 50 commits, 2 PRs each, 50 commits of 10
    // authors and 50 reviews per PR (see `read_range`), 60,250 nodes; each PR's head
    // with up to 100 check results adds 100 x 101, and BASE's commit count 1.
    let history = results.iter().find(|r| r["name"] == "history").unwrap();
    assert_eq!(history["nodes"], 70_351);
}

#[test]
fn the_validator_catches_what_it_is_there_to_catch() {
    let Some(modules) = installed() else { return };
    let cases = json!([
        {"name": "typo", "query": "query { viewer { loginn } }"},
        {"name": "unpaged", "query": "query { viewer { repositories { totalCount } } }"},
        {"name": "too-large", "query": "query { viewer { repositories(first: 100) { nodes { issues(first: 100) { nodes { comments(first: 100) { totalCount } } } } } } }"},
        {"name": "unselected", "query": "query { viewer { login ...on User { company } } }",
         "responses": [{"data": {"viewer": {"login": "a", "company": "c", "name": "n"}}}]},
        {"name": "fine", "query": "query { viewer { login ...on User { company } } }",
         "responses": [{"data": {"viewer": {"login": "a", "company": "c"}}}]},
        {"name": "wrong-type", "query": "query($n: String!) { repository(owner: \"a\", name: \"b\") { pullRequest(number: $n) { id } } }"},
    ]);
    let dir = tempdir();
    let input = write(dir.path(), "documents.json", &cases.to_string());
    let results = validate(&modules, &input);
    let errors = |name: &str| {
        results.iter().find(|r| r["name"] == name).unwrap()["errors"]
            .as_array()
            .unwrap()
            .len()
    };
    assert!(errors("typo") > 0, "{results:?}");
    assert!(errors("unpaged") > 0, "{results:?}");
    assert!(errors("wrong-type") > 0, "{results:?}");
    assert_eq!(errors("unselected"), 1, "{results:?}");
    assert_eq!(errors("fine"), 0, "{results:?}");
    let too_large = results.iter().find(|r| r["name"] == "too-large").unwrap();
    assert!(too_large["nodes"].as_u64().unwrap() > GITHUB_NODE_LIMIT);
}

/// The bodies the mock GitHub of `tests/it/github.rs` serves for each document, built
/// by the same helpers: each must be something GitHub could send for that query.
fn mock_answers(document: &str) -> Vec<Value> {
    let approved = pr(
        12,
        "alice",
        &["alice", "bob"],
        "a12",
        HEAD,
        &[
            ("carol", "APPROVED", "a12"),
            ("dependabot[bot]", "APPROVED", "a12"),
        ],
    );
    match document {
        "history" => vec![
            history(
                &[(HEAD, MID, vec![approved.clone()]), (MID, BASE, vec![])],
                Some("c1"),
            ),
            history(&[(HEAD, BASE, vec![])], None),
        ],
        "pull-request" => vec![pull_request(approved)],
        "resolve-range" => vec![
            resolved_range(Some("9999999999999999999999999999999999999999"), BASE, HEAD),
            resolved_range(None, BASE, HEAD),
        ],
        "pull-request-page" => vec![
            reviews_page(2, vec![review("bob", "APPROVED", "a12")], None),
            reviews_page(2, Vec::new(), Some("r1")),
        ],
        "tags" => vec![tags(&[("v1.2.0", MID, Some(HEAD)), ("v1.1.0", BASE, None)])],
        other => panic!("no mock answer for the {other} document: add one"),
    }
}

fn validate(modules: &Path, input: &Path) -> Vec<Value> {
    let out = Command::new("node")
        .arg(repo_path("tests/graphql/validate.mjs"))
        .arg(modules)
        .arg(input)
        .output()
        .expect("node runs (Node 20 is on every CI machine)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
