//! Branch protection from GitHub: rulesets first (readable with a read-only token), then
//! classic protection (needs admin), each kept as read.

use serde::Deserialize;

use super::super::http::{ApiClient, Job, status_gap};
use super::Repo;
use crate::evidence::forge::{
    BranchProtection, ClassicProtection, ClassicSettings, PullRequestRule, Rule, RulesetRule,
};
use crate::evidence::{Gap, GapKind};

/// Reads the protection of `branch`.
pub fn read(api: &mut ApiClient, repo: &Repo, branch: &str) -> BranchProtection {
    let read_at = api.now();
    let branch_path = encode_path_segment(branch);
    // Rulesets (then their bypass actors) and classic protection are independent reads.
    let rules: Job<'_, Part> = Box::new(|api| {
        let rulesets = api
            .get_all::<RawRule>(
                &format!("/repos/{}/rules/branches/{branch_path}", repo.path()),
                "rules for the branch",
            )
            .map(|rules| {
                rules
                    .into_iter()
                    .map(RawRule::normalize)
                    .collect::<Vec<_>>()
            });
        let bypass = match &rulesets {
            Ok(rules) => read_bypass(api, repo, rules),
            Err(gap) => Err(gap.clone()),
        };
        Part::Rulesets(rulesets, bypass)
    });
    let classic: Job<'_, Part> =
        Box::new(|api| Part::Classic(read_classic(api, repo, &branch_path)));
    let mut parts = api.in_parallel(vec![rules, classic]).into_iter();
    let (Some(Part::Rulesets(rulesets, ruleset_bypass)), Some(Part::Classic(classic))) =
        (parts.next(), parts.next())
    else {
        unreachable!("in_parallel returns the results in the order of the jobs")
    };
    BranchProtection {
        branch: branch.to_string(),
        read_at,
        rulesets,
        ruleset_bypass,
        classic,
    }
}

/// What each of the two protection reads comes back with.
enum Part {
    Rulesets(Result<Vec<RulesetRule>, Gap>, Result<Vec<String>, Gap>),
    Classic(ClassicProtection),
}

/// Bypass actors of every ruleset that contributes a rule. GitHub only shows them to
/// tokens that may administer the ruleset; when hidden, they are unknown, not empty.
fn read_bypass(
    api: &mut ApiClient,
    repo: &Repo,
    rules: &[RulesetRule],
) -> Result<Vec<String>, Gap> {
    let mut ids: Vec<u64> = rules.iter().filter_map(|r| r.ruleset_id).collect();
    ids.sort_unstable();
    ids.dedup();
    // One request per ruleset, all at once.
    let jobs: Vec<Job<'_, Result<Vec<String>, Gap>>> = ids
        .into_iter()
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

fn read_classic(api: &mut ApiClient, repo: &Repo, branch_path: &str) -> ClassicProtection {
    let what = "classic branch protection";
    let response = match api.get(
        &format!("/repos/{}/branches/{branch_path}/protection", repo.path()),
        what,
    ) {
        Ok(r) => r,
        Err(gap) => return ClassicProtection::Unreadable { reason: gap.detail },
    };
    if response.status.is_success() {
        return match response.json::<RawClassic>(what) {
            Ok(raw) => ClassicProtection::Present(raw.normalize()),
            Err(gap) => ClassicProtection::Unreadable { reason: gap.detail },
        };
    }
    // An admin token gets 404 "Branch not protected" when there is none; any other
    // 404 or 403 is a token that may not look, which proves nothing either way.
    let message = super::super::http::error_message(&response.body);
    if response.status == http::StatusCode::NOT_FOUND && message == "Branch not protected" {
        return ClassicProtection::Absent;
    }
    let gap = status_gap(what, response.status, &response.body);
    if response.status == http::StatusCode::UNAUTHORIZED {
        // Not a missing permission: the token itself was refused.
        return ClassicProtection::Unreadable { reason: gap.detail };
    }
    ClassicProtection::Unreadable {
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

impl RawRule {
    fn normalize(self) -> RulesetRule {
        let p = self.parameters.unwrap_or_default();
        let u32_of = |k: &str| {
            p.get(k)
                .and_then(|v| v.as_u64())
                .map(|v| v.min(u64::from(u32::MAX)) as u32)
                .unwrap_or(0)
        };
        let bool_of = |k: &str| p.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
        let rule = match self.kind.as_str() {
            "pull_request" => Rule::PullRequest(PullRequestRule {
                required_approvals: u32_of("required_approving_review_count"),
                dismiss_stale_reviews: bool_of("dismiss_stale_reviews_on_push"),
                code_owner_review: bool_of("require_code_owner_review"),
                last_push_approval: bool_of("require_last_push_approval"),
            }),
            "required_status_checks" => Rule::RequiredStatusChecks {
                contexts: p
                    .get("required_status_checks")
                    .and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|c| c.get("context")?.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                apps: p
                    .get("required_status_checks")
                    .and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|c| {
                                let context = c.get("context")?.as_str()?.to_string();
                                Some((context, c.get("integration_id")?.as_u64()?))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                strict: bool_of("strict_required_status_checks_policy"),
            },
            "non_fast_forward" => Rule::NonFastForward,
            "deletion" => Rule::Deletion,
            "required_signatures" => Rule::RequiredSignatures,
            "required_linear_history" => Rule::RequiredLinearHistory,
            other => Rule::Other {
                name: other.to_string(),
            },
        };
        RulesetRule {
            ruleset_id: self.ruleset_id,
            rule,
        }
    }
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
    fn normalize(self) -> ClassicSettings {
        let enabled = |e: &Option<Enabled>| e.as_ref().is_some_and(|e| e.enabled);
        let pull_request_bypass = self
            .required_pull_request_reviews
            .as_ref()
            .and_then(|r| r.bypass_pull_request_allowances.as_ref())
            .is_some_and(|a| !(a.users.is_empty() && a.teams.is_empty() && a.apps.is_empty()));
        ClassicSettings {
            pull_request_bypass,
            pull_request: self.required_pull_request_reviews.map(|r| PullRequestRule {
                required_approvals: r.required_approving_review_count,
                dismiss_stale_reviews: r.dismiss_stale_reviews,
                code_owner_review: r.require_code_owner_reviews,
                last_push_approval: r.require_last_push_approval,
            }),
            required_check_apps: self
                .required_status_checks
                .as_ref()
                .map(|c| {
                    c.checks
                        .iter()
                        .filter_map(|k| Some((k.context.clone(), u64::try_from(k.app_id?).ok()?)))
                        .collect()
                })
                .unwrap_or_default(),
            required_checks: self.required_status_checks.map(|c| {
                let mut all = c.contexts;
                all.extend(c.checks.into_iter().map(|c| c.context));
                all.sort();
                all.dedup();
                all
            }),
            enforce_admins: self.enforce_admins.enabled,
            // Absent (older GitHub Enterprise Server, or a changed response) reads as
            // allowed: a setting the forge did not report cannot vouch for the branch.
            allow_force_pushes: self.allow_force_pushes.as_ref().is_none_or(|e| e.enabled),
            allow_deletions: self.allow_deletions.as_ref().is_none_or(|e| e.enabled),
            required_signatures: enabled(&self.required_signatures),
            required_linear_history: enabled(&self.required_linear_history),
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
        assert!(settings.allow_force_pushes && settings.allow_deletions);
        let classic: RawClassic = serde_json::from_value(serde_json::json!({
            "url": "u", "enforce_admins": {"enabled": false},
            "allow_force_pushes": {"enabled": false}, "allow_deletions": {"enabled": false}
        }))
        .unwrap();
        let settings = classic.normalize();
        assert!(!settings.allow_force_pushes && !settings.allow_deletions);
    }
}
