//! Branch protection from GitHub: rulesets first (readable with a read-only token), then
//! classic protection (needs admin), each kept as read.

use serde::Deserialize;

use super::super::http::{ApiClient, Job, status_gap};
use super::Repo;
use crate::evidence::forge::{
    BranchProtection, ProtectionSource, PullRequestRule, RequiredCheck, Requirements, SourceKind,
    SourceState,
};
use crate::evidence::{Gap, GapKind};

/// Reads the protection of `branch`.
pub fn read(api: &mut ApiClient, repo: &Repo, branch: &str) -> BranchProtection {
    let read_at = api.now();
    let branch_path = encode_path_segment(branch);
    // Rulesets (then their bypass actors) and classic protection are independent reads.
    let rules: Job<'_, Part> = Box::new(|api| {
        let rulesets = api.get_all::<RawRule>(
            &format!("/repos/{}/rules/branches/{branch_path}", repo.path()),
            "rules for the branch",
        );
        Part::Rulesets(
            match rulesets {
                Err(gap) => SourceState::Unreadable { reason: gap.detail },
                Ok(rules) if rules.is_empty() => SourceState::Absent,
                Ok(rules) => {
                    let ids = ruleset_ids(&rules);
                    let mut requirements = merge_rules(rules);
                    requirements.exemptions = read_bypass(api, repo, &ids);
                    return Part::Rulesets(SourceState::Enforces(requirements), ids);
                }
            },
            Vec::new(),
        )
    });
    let classic: Job<'_, Part> =
        Box::new(|api| Part::Classic(read_classic(api, repo, &branch_path)));
    let mut parts = api.in_parallel(vec![rules, classic]).into_iter();
    let (Some(Part::Rulesets(rulesets, ids)), Some(Part::Classic(classic))) =
        (parts.next(), parts.next())
    else {
        unreachable!("in_parallel returns the results in the order of the jobs")
    };
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    BranchProtection {
        branch: branch.to_string(),
        read_at,
        sources: vec![
            ProtectionSource {
                kind: SourceKind::GithubRulesets,
                name: (!ids.is_empty()).then(|| ids.join(", ")),
                state: rulesets,
            },
            ProtectionSource {
                kind: SourceKind::GithubClassic,
                name: None,
                state: classic,
            },
        ],
    }
}

/// What each of the two protection reads comes back with (rulesets: with the ids of
/// the rulesets their rules come from).
enum Part {
    Rulesets(SourceState, Vec<u64>),
    Classic(SourceState),
}

/// The rulesets the rules come from, once each, in order.
fn ruleset_ids(rules: &[RawRule]) -> Vec<u64> {
    let mut ids: Vec<u64> = rules.iter().filter_map(|r| r.ruleset_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The active rules as one set of requirements: GitHub applies every active ruleset,
/// so the strictest value of each setting is the one that holds.
fn merge_rules(rules: Vec<RawRule>) -> Requirements {
    let mut out = Requirements::default();
    for rule in rules {
        let p = rule.parameters.unwrap_or_default();
        let u32_of = |k: &str| {
            p.get(k)
                .and_then(|v| v.as_u64())
                .map(|v| v.min(u64::from(u32::MAX)) as u32)
                .unwrap_or(0)
        };
        let bool_of = |k: &str| p.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
        match rule.kind.as_str() {
            "pull_request" => {
                let pr = out
                    .pull_request
                    .get_or_insert_with(PullRequestRule::default);
                pr.required_approvals = pr
                    .required_approvals
                    .max(u32_of("required_approving_review_count"));
                pr.dismiss_stale_reviews |= bool_of("dismiss_stale_reviews_on_push");
                pr.code_owner_review |= bool_of("require_code_owner_review");
                pr.last_push_approval |= bool_of("require_last_push_approval");
            }
            "required_status_checks" => {
                let listed = p
                    .get("required_status_checks")
                    .and_then(|v| v.as_array())
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                for c in listed {
                    let Some(name) = c.get("context").and_then(|v| v.as_str()) else {
                        continue;
                    };
                    out.required_checks.push(RequiredCheck {
                        name: name.to_string(),
                        app_id: c.get("integration_id").and_then(|v| v.as_u64()),
                    });
                }
            }
            "non_fast_forward" => out.block_force_pushes = true,
            "deletion" => out.block_deletions = true,
            "required_signatures" => out.signed_commits = true,
            "required_linear_history" => out.linear_history = true,
            other => out.other_rules.push(other.to_string()),
        }
    }
    out
}

/// Bypass actors of every ruleset that contributes a rule. GitHub only shows them to
/// tokens that may administer the ruleset; when hidden, they are unknown, not empty.
fn read_bypass(api: &mut ApiClient, repo: &Repo, ids: &[u64]) -> Result<Vec<String>, Gap> {
    // One request per ruleset, all at once.
    let jobs: Vec<Job<'_, Result<Vec<String>, Gap>>> = ids
        .iter()
        .copied()
        .map(|id| -> Job<'_, Result<Vec<String>, Gap>> {
            Box::new(move |api| ruleset_bypass(api, repo, id))
        })
        .collect();
    let mut actors = Vec::new();
    for listed in api.in_parallel(jobs) {
        actors.extend(listed?);
    }
    Ok(actors)
}

/// The bypass actors of one ruleset, as `type:id`.
fn ruleset_bypass(api: &mut ApiClient, repo: &Repo, id: u64) -> Result<Vec<String>, Gap> {
    let what = format!("ruleset {id}");
    let ruleset: RawRuleset = api
        .get(&format!("/repos/{}/rulesets/{id}", repo.path()), &what)?
        .json(&what)?;
    let Some(bypass) = ruleset.bypass_actors else {
        return Err(Gap::new(
            GapKind::Forbidden,
            what,
            "bypass actors are not visible to this token (they need administration:read)",
        ));
    };
    Ok(bypass
        .into_iter()
        .map(|a| {
            format!(
                "{}:{}",
                a.actor_type.unwrap_or_default(),
                a.actor_id.map(|i| i.to_string()).unwrap_or_default()
            )
        })
        .collect())
}

fn read_classic(api: &mut ApiClient, repo: &Repo, branch_path: &str) -> SourceState {
    let what = "classic branch protection";
    let response = match api.get(
        &format!("/repos/{}/branches/{branch_path}/protection", repo.path()),
        what,
    ) {
        Ok(r) => r,
        Err(gap) => return SourceState::Unreadable { reason: gap.detail },
    };
    if response.status.is_success() {
        return match response.json::<RawClassic>(what) {
            Ok(raw) => SourceState::Enforces(raw.normalize()),
            Err(gap) => SourceState::Unreadable { reason: gap.detail },
        };
    }
    // An admin token gets 404 "Branch not protected" when there is none; any other
    // 404 or 403 is a token that may not look, which proves nothing either way.
    let message = super::super::http::error_message(&response.body);
    if response.status == http::StatusCode::NOT_FOUND && message == "Branch not protected" {
        return SourceState::Absent;
    }
    let gap = status_gap(what, response.status, &response.body);
    if response.status == http::StatusCode::UNAUTHORIZED {
        // Not a missing permission: the token itself was refused.
        return SourceState::Unreadable { reason: gap.detail };
    }
    SourceState::Unreadable {
        reason: format!(
            "{}; this token cannot read classic protection: grant administration:read or rely on rulesets",
            gap.detail
        ),
    }
}

/// Percent-encodes a branch name for a URL path (branch names may hold `/`, `#`, `%`).
fn encode_path_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[derive(Deserialize)]
struct RawRule {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    ruleset_id: Option<u64>,
    #[serde(default)]
    parameters: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawRuleset {
    #[serde(default)]
    bypass_actors: Option<Vec<RawBypassActor>>,
}

#[derive(Deserialize)]
struct RawBypassActor {
    #[serde(default)]
    actor_id: Option<u64>,
    #[serde(default)]
    actor_type: Option<String>,
}

/// GitHub's `branch-protection` answer. `url` and `enforce_admins` are in every
/// answer GitHub has documented (2020 to now): a body without them (`{}`, an error
/// page, a proxy's JSON) is not protection that "requires nothing" but no answer, so
/// they are required and the read becomes a gap.
#[derive(Deserialize)]
struct RawClassic {
    #[allow(dead_code)]
    url: String,
    #[serde(default)]
    required_status_checks: Option<RawStatusChecks>,
    enforce_admins: Enabled,
    #[serde(default)]
    required_pull_request_reviews: Option<RawReviews>,
    #[serde(default)]
    required_linear_history: Option<Enabled>,
    #[serde(default)]
    allow_force_pushes: Option<Enabled>,
    #[serde(default)]
    allow_deletions: Option<Enabled>,
    #[serde(default)]
    required_signatures: Option<Enabled>,
}

#[derive(Deserialize)]
struct Enabled {
    enabled: bool,
}

#[derive(Deserialize)]
struct RawStatusChecks {
    contexts: Vec<String>,
    #[serde(default)]
    checks: Vec<RawCheck>,
}

#[derive(Deserialize)]
struct RawCheck {
    context: String,
    /// `-1` or absent: any app; otherwise the app that must report it.
    #[serde(default)]
    app_id: Option<i64>,
}

#[derive(Deserialize)]
struct RawReviews {
    dismiss_stale_reviews: bool,
    require_code_owner_reviews: bool,
    required_approving_review_count: u32,
    /// Newer than the others (absent on older GitHub Enterprise Server): absent reads
    /// as not required, which can only fail a policy that asks for it.
    #[serde(default)]
    require_last_push_approval: bool,
    #[serde(default)]
    bypass_pull_request_allowances: Option<Allowances>,
}

#[derive(Deserialize)]
struct Allowances {
    #[serde(default)]
    users: Vec<serde_json::Value>,
    #[serde(default)]
    teams: Vec<serde_json::Value>,
    #[serde(default)]
    apps: Vec<serde_json::Value>,
}

impl RawClassic {
    fn normalize(self) -> Requirements {
        let enabled = |e: &Option<Enabled>| e.as_ref().is_some_and(|e| e.enabled);
        let pull_request_bypass = self
            .required_pull_request_reviews
            .as_ref()
            .and_then(|r| r.bypass_pull_request_allowances.as_ref())
            .is_some_and(|a| !(a.users.is_empty() && a.teams.is_empty() && a.apps.is_empty()));
        let mut exemptions = Vec::new();
        if !self.enforce_admins.enabled {
            exemptions.push("administrators (enforce_admins off)".to_string());
        }
        if pull_request_bypass {
            exemptions.push("users, teams or apps allowed to bypass pull requests".to_string());
        }
        let mut required_checks: Vec<RequiredCheck> = Vec::new();
        if let Some(c) = self.required_status_checks {
            // `checks` pins a context to an app (`-1` or absent: any app); `contexts`
            // is the older list of the same names.
            for k in c.checks {
                required_checks.push(RequiredCheck {
                    app_id: k.app_id.and_then(|id| u64::try_from(id).ok()),
                    name: k.context,
                });
            }
            for name in c.contexts {
                if !required_checks.iter().any(|k| k.name == name) {
                    required_checks.push(RequiredCheck { name, app_id: None });
                }
            }
            required_checks.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Requirements {
            pull_request: self.required_pull_request_reviews.map(|r| PullRequestRule {
                required_approvals: r.required_approving_review_count,
                dismiss_stale_reviews: r.dismiss_stale_reviews,
                code_owner_review: r.require_code_owner_reviews,
                last_push_approval: r.require_last_push_approval,
                ..PullRequestRule::github()
            }),
            required_checks,
            // Absent (older GitHub Enterprise Server, or a changed response) reads as
            // allowed: a setting the forge did not report cannot vouch for the branch.
            block_force_pushes: self.allow_force_pushes.as_ref().is_some_and(|e| !e.enabled),
            block_deletions: self.allow_deletions.as_ref().is_some_and(|e| !e.enabled),
            signed_commits: enabled(&self.required_signatures),
            linear_history: enabled(&self.required_linear_history),
            exemptions: Ok(exemptions),
            other_rules: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RawClassic;

    #[test]
    fn a_classic_answer_without_the_fields_protection_has_is_no_answer() {
        for body in [
            serde_json::json!({}),
            serde_json::json!({"url": "u"}),
            serde_json::json!({"url": "u", "enforce_admins": {}}),
            serde_json::json!({"url": "u", "enforce_admins": {"enabled": true},
                "required_pull_request_reviews": {}}),
            serde_json::json!({"url": "u", "enforce_admins": {"enabled": true},
                "required_status_checks": {"strict": true}}),
        ] {
            assert!(
                serde_json::from_value::<RawClassic>(body.clone()).is_err(),
                "{body}"
            );
        }
    }

    #[test]
    fn unreported_force_push_and_deletion_settings_read_as_allowed() {
        let classic: RawClassic = serde_json::from_value(
            serde_json::json!({"url": "u", "enforce_admins": {"enabled": true}}),
        )
        .unwrap();
        let settings = classic.normalize();
        assert!(!settings.block_force_pushes && !settings.block_deletions);
        let classic: RawClassic = serde_json::from_value(serde_json::json!({
            "url": "u", "enforce_admins": {"enabled": false},
            "allow_force_pushes": {"enabled": false}, "allow_deletions": {"enabled": false}
        }))
        .unwrap();
        let settings = classic.normalize();
        assert!(settings.block_force_pushes && settings.block_deletions);
        assert_eq!(
            settings.exemptions.unwrap(),
            ["administrators (enforce_admins off)"]
        );
    }
}
