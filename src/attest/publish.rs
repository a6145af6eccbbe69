//! Publishing signed bundles: GitHub's attestation API, and GitLab releases. (Rekor,
//! for key-signed bundles, is logging rather than publishing: it happens before the
//! files are written, see `produce`.)
//!
//! A publish failure never removes what was signed: the files stay on disk, the failure
//! is in every report, and the run exits 1. Retries are bounded ([`super::http`]).

use serde::{Deserialize, Serialize};

use super::http::{Http, Request};
use super::produce::SignedFile;

/// What publishing to one target came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// `github`, `rekor`, `gitlab`.
    pub target: String,
    /// Whether every bundle reached it.
    pub ok: bool,
    /// What happened, for people.
    pub detail: String,
    /// The ids the target gave (GitHub attestation ids, Rekor log indexes, GitLab link ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
}

/// Where GitHub is and who is asking.
pub struct GithubTarget<'a> {
    /// REST API base (`https://api.github.com`).
    pub api_url: &'a str,
    /// `owner/name`.
    pub repository: &'a str,
    /// The token (needs `attestations: write`).
    pub token: &'a str,
}

/// `POST /repos/{owner}/{repo}/attestations` with `{"bundle": …}` for each bundle.
pub fn github(http: &Http, target: &GithubTarget<'_>, files: &[SignedFile]) -> Published {
    let url = format!(
        "{}/repos/{}/attestations",
        target.api_url.trim_end_matches('/'),
        target.repository
    );
    let mut ids = Vec::new();
    for file in files {
        let Some(bundle) = &file.bundle else { continue };
        let what = format!("GitHub attestations API ({})", file.path.display());
        let body = serde_json::to_vec(&serde_json::json!({ "bundle": bundle })).expect("JSON");
        let reply = match http.send(
            &what,
            &Request {
                method: reqwest::Method::POST,
                url: &url,
                headers: vec![
                    ("Accept", "application/vnd.github+json".into()),
                    ("X-GitHub-Api-Version", "2022-11-28".into()),
                    ("Authorization", format!("Bearer {}", target.token)),
                ],
                body: Some(("application/json", body)),
            },
        ) {
            Ok(reply) => reply,
            Err(e) => return failed("github", e.to_string(), ids),
        };
        if !reply.ok() {
            let hint = github_refusal(reply.status, &reply.body);
            return failed(
                "github",
                http.status_error(&what, &reply, hint).to_string(),
                ids,
            );
        }
        #[derive(Deserialize)]
        struct Created {
            id: serde_json::Value,
        }
        match serde_json::from_slice::<Created>(&reply.body) {
            Ok(created) => ids.push(match created.id {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            }),
            Err(_) => {
                return failed(
                    "github",
                    format!("{what}: HTTP {} without an attestation id", reply.status),
                    ids,
                );
            }
        }
    }
    Published {
        target: "github".into(),
        ok: true,
        detail: format!("{} bundle(s) stored as attestations", ids.len()),
        ids,
    }
}

/// Why GitHub refused an attestation, told apart by GitHub's own `message`: the same
/// 403 means "this plan has no attestations for private repositories" (nothing the
/// workflow can fix), "the token lacks `attestations: write`" (a one-line fix), or an
/// IP allow list; only when the message says none of these are both causes named.
fn github_refusal(status: u16, body: &[u8]) -> &'static str {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    match status {
        401 => "the token was refused",
        403 | 404 if message.contains("feature not available") => {
            "artifact attestations on a private or internal repository need GitHub Enterprise Cloud; a user-owned private repository cannot store them: keep the files from --attest-out instead"
        }
        403 if message.contains("resource not accessible") => {
            "the token lacks the permission: add `permissions: attestations: write` (and `contents: read`, `id-token: write` for keyless) to the job"
        }
        403 if message.contains("ip allow list") => {
            "the organization's IP allow list refuses this runner"
        }
        403 => {
            "either the token lacks `permissions: attestations: write`, or the repository is private or internal without GitHub Enterprise Cloud"
        }
        404 => {
            "no such repository, or the token cannot see it (a token without access to a private repository gets 404)"
        }
        422 => {
            "GitHub refused the bundle (a key-signed bundle needs a transparency-log entry: add --publish rekor; a commit subject cannot be stored by digest)"
        }
        _ => "",
    }
}

fn failed(target: &str, detail: String, ids: Vec<String>) -> Published {
    Published {
        target: target.into(),
        ok: false,
        detail,
        ids,
    }
}

/// Where GitLab is, for a run that is a GitLab CI job.
pub struct GitlabTarget<'a> {
    /// `CI_API_V4_URL`.
    pub api_url: &'a str,
    /// `CI_PROJECT_ID`.
    pub project: &'a str,
    /// `CI_COMMIT_TAG`, when the pipeline is for a tag.
    pub tag: Option<&'a str>,
    /// The header and token (`JOB-TOKEN`, or `PRIVATE-TOKEN` from GITLAB_TOKEN).
    pub auth: (&'static str, &'a str),
}

/// GitLab has no attestation API: for a tag, each bundle is uploaded to the project's
/// generic package registry (`vouch-attestations/<tag>/<file>`) and linked from the
/// release; otherwise they stay job artifacts (nothing is sent).
pub fn gitlab(http: &Http, target: &GitlabTarget<'_>, files: &[SignedFile]) -> Published {
    let Some(tag) = target.tag else {
        return Published {
            target: "gitlab".into(),
            ok: true,
            detail: "not a tag pipeline: the bundles stay job artifacts (keep the --attest-out directory under `artifacts: paths:`)".into(),
            ids: Vec::new(),
        };
    };
    let api = target.api_url.trim_end_matches('/');
    // A path segment: everything but the unreserved characters is escaped (a project
    // path's `/`, a tag's `+`).
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string();
    let mut ids = Vec::new();
    for file in files.iter().filter(|f| f.bundle.is_some()) {
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = match std::fs::read(&file.path) {
            Ok(bytes) => bytes,
            Err(e) => return failed("gitlab", format!("{}: {e}", file.path.display()), ids),
        };
        let package = format!(
            "{api}/projects/{}/packages/generic/vouch-attestations/{}/{}",
            enc(target.project),
            enc(tag),
            enc(&name)
        );
        let what = format!("GitLab package upload ({name})");
        match http.send(
            &what,
            &Request {
                method: reqwest::Method::PUT,
                url: &package,
                headers: vec![(target.auth.0, target.auth.1.to_string())],
                body: Some(("application/octet-stream", bytes)),
            },
        ) {
            Ok(reply) if reply.ok() => {}
            Ok(reply) => {
                return failed(
                    "gitlab",
                    http.status_error(&what, &reply, "the token needs to write packages (a job token may, with the package registry enabled)").to_string(),
                    ids,
                );
            }
            Err(e) => return failed("gitlab", e.to_string(), ids),
        }
        let what = format!("GitLab release link ({name})");
        let link = serde_json::json!({ "name": name, "url": package, "link_type": "other" });
        match http.send(
            &what,
            &Request {
                method: reqwest::Method::POST,
                url: &format!(
                    "{api}/projects/{}/releases/{}/assets/links",
                    enc(target.project),
                    enc(tag)
                ),
                headers: vec![(target.auth.0, target.auth.1.to_string())],
                body: Some(("application/json", serde_json::to_vec(&link).expect("JSON"))),
            },
        ) {
            Ok(reply) if reply.ok() => {
                let id = serde_json::from_slice::<serde_json::Value>(&reply.body)
                    .ok()
                    .and_then(|v| v.get("id").map(|id| id.to_string()))
                    .unwrap_or_default();
                ids.push(id);
            }
            Ok(reply) => {
                return failed(
                    "gitlab",
                    http.status_error(
                        &what,
                        &reply,
                        "is there a release for the tag, and may the token edit it?",
                    )
                    .to_string(),
                    ids,
                );
            }
            Err(e) => return failed("gitlab", e.to_string(), ids),
        }
    }
    Published {
        target: "gitlab".into(),
        ok: true,
        detail: format!("{} bundle(s) attached to release {tag}", ids.len()),
        ids,
    }
}
