//! Which levels a VSA states: what each control's evidence establishes, mapped onto the
//! SLSA v1.2 Build and Source tracks, plus vouch's own properties.
//!
//! A level is stated only for a control that passed outright (`pass`; not `waived`, not
//! advisory-failed), so a VSA never claims more than the run showed. No
//! `*_LEVEL_UNEVALUATED` is ever written: slsa-verifier's `verify-vsa` refuses a whole VSA
//! that carries one, and a level vouch cannot show is simply absent.
//!
//! ## Build track
//! `SLSA_BUILD_LEVEL_n`: the provenance control passed and every artifact had verified
//! provenance from a builder the policy's trust map grants level `n` (the lowest over
//! the artifacts).
//!
//! ## Source track (SLSA v1.2, <https://slsa.dev/spec/v1.2/source-requirements>)
//! Read from the forge for the branch the run is for, and for every change in the
//! verified range. vouch reads the protection as it is at run time and the change
//! history of the range: it cannot see how the branch was protected before the range,
//! and it issues no source provenance of its own beyond this VSA and the detailed report
//! (which records the settings as read and one record per change).
//!
//! | Level | Stated when |
//! |---|---|
//! | `SLSA_SOURCE_LEVEL_1` (version controlled) | the branch-protection control passed: the revision is on a branch of a forge-hosted git repository whose protection vouch read |
//! | `SLSA_SOURCE_LEVEL_2` (history) | L1, and the policy requires `block_force_pushes` and `block_deletions`: the branch's history can be neither rewritten nor deleted |
//! | `SLSA_SOURCE_LEVEL_3` (continuous technical controls) | L2, the policy requires `require_pull_request` and `no_bypass`, and the peer-review control passed with no `allowed_direct_pushes`: every change of the range reached the branch through a change request under controls nobody is exempt from |
//! | `SLSA_SOURCE_LEVEL_4` (two-party review) | L3, and both branch protection and peer review require at least one approval, branch protection dismisses stale approvals: every change was approved, on its final revision, by someone other than its authors |
//!
//! ## vouch's properties
//! `VOUCH_CONTROL_<ID>_PASSED` for every control that passed (`VOUCH_CONTROL_SAST_PASSED`,
//! `VOUCH_CONTROL_PEER_REVIEW_PASSED`): never starting with `SLSA_`, as the VSA spec
//! reserves that prefix.

use crate::policy::Policy;
use crate::verdict::{ControlOutcome, Status};

/// Levels and properties, Build first, then Source, then vouch's, in that order.
pub fn verified_levels(policy: &Policy, controls: &[ControlOutcome]) -> Vec<String> {
    let passed = |id: &str| {
        controls
            .iter()
            .any(|c| c.id == id && c.status == Status::Pass)
    };
    let mut levels: Vec<String> = controls
        .iter()
        .filter(|c| c.id == "provenance" && c.status == Status::Pass)
        .flat_map(|c| c.verified_levels.iter().cloned())
        .filter(|level| level.starts_with("SLSA_BUILD_LEVEL_"))
        .collect();
    if let Some(level) = source_level(policy, passed("branch-protection"), passed("peer-review")) {
        levels.push(format!("SLSA_SOURCE_LEVEL_{level}"));
    }
    for control in controls.iter().filter(|c| c.status == Status::Pass) {
        levels.push(property(&control.id));
    }
    levels
}

/// vouch's property for a control that passed.
pub fn property(control_id: &str) -> String {
    format!(
        "VOUCH_CONTROL_{}_PASSED",
        control_id.to_ascii_uppercase().replace('-', "_")
    )
}

/// The Source level the settings the policy required and the controls' outcomes earn.
fn source_level(policy: &Policy, protection_passed: bool, review_passed: bool) -> Option<u8> {
    let protection = policy.branch_protection.as_ref().filter(|p| p.enabled)?;
    if !protection_passed {
        return None;
    }
    let mut level = 1;
    if !(protection.block_force_pushes && protection.block_deletions) {
        return Some(level);
    }
    level = 2;
    let review = policy.peer_review.as_ref().filter(|p| p.enabled);
    let Some(review) = review.filter(|r| {
        protection.require_pull_request
            && protection.no_bypass
            && review_passed
            && r.allowed_direct_pushes.is_empty()
    }) else {
        return Some(level);
    };
    level = 3;
    if protection.min_approvals >= 1
        && protection.dismiss_stale_reviews
        && review.min_approvals >= 1
    {
        level = 4;
    }
    Some(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control(id: &str, status: Status, levels: &[&str]) -> ControlOutcome {
        ControlOutcome {
            id: id.into(),
            title: id.into(),
            status,
            required: true,
            summary: String::new(),
            findings: Vec::new(),
            changes: Vec::new(),
            verified_levels: levels.iter().map(|l| l.to_string()).collect(),
        }
    }

    fn policy(yaml: &str) -> Policy {
        crate::policy::parse_str(yaml, "test.yaml").unwrap()
    }

    const FULL: &str = "version: 1\nbranch_protection: {}\npeer_review: {}\nprovenance:\n  builders: [{id: 'https://github.com/actions/runner', max_level: 3}]\n";

    #[test]
    fn every_source_level_needs_the_settings_and_the_outcomes_of_the_one_below() {
        let p = policy(FULL);
        let pass = |id| control(id, Status::Pass, &[]);
        let both = [pass("branch-protection"), pass("peer-review")];
        assert_eq!(source_level(&p, true, true), Some(4));
        assert!(verified_levels(&p, &both).contains(&"SLSA_SOURCE_LEVEL_4".to_string()));
        // Peer review failed: the controls are configured but did not operate on every change.
        assert_eq!(source_level(&p, true, false), Some(2));
        // Protection failed: nothing of the source track is shown.
        assert_eq!(source_level(&p, false, true), None);
        let lax =
            policy("version: 1\nbranch_protection: {block_force_pushes: false}\npeer_review: {}\n");
        assert_eq!(source_level(&lax, true, true), Some(1));
        let bypass = policy("version: 1\nbranch_protection: {no_bypass: false}\npeer_review: {}\n");
        assert_eq!(source_level(&bypass, true, true), Some(2));
        let no_review = policy("version: 1\nbranch_protection: {}\n");
        assert_eq!(source_level(&no_review, true, false), Some(2));
        let stale_ok = policy(
            "version: 1\nbranch_protection: {dismiss_stale_reviews: false}\npeer_review: {}\n",
        );
        assert_eq!(source_level(&stale_ok, true, true), Some(3));
        let pushes = policy(
            "version: 1\nbranch_protection: {}\npeer_review:\n  allowed_direct_pushes: [{actor: release-bot, reason: tags}]\n",
        );
        assert_eq!(source_level(&pushes, true, true), Some(2));
    }

    #[test]
    fn build_levels_come_only_from_a_passing_provenance_control_and_nothing_is_unevaluated() {
        let p = policy(FULL);
        let levels = verified_levels(
            &p,
            &[
                control("provenance", Status::Pass, &["SLSA_BUILD_LEVEL_3"]),
                control("sast", Status::Waived, &[]),
                control("sbom", Status::Fail, &[]),
            ],
        );
        assert_eq!(
            levels,
            ["SLSA_BUILD_LEVEL_3", "VOUCH_CONTROL_PROVENANCE_PASSED"]
        );
        let failed = verified_levels(
            &p,
            &[control(
                "provenance",
                Status::Error,
                &["SLSA_BUILD_LEVEL_3"],
            )],
        );
        assert!(failed.is_empty());
        for level in verified_levels(
            &p,
            &[
                control("provenance", Status::Pass, &["SLSA_BUILD_LEVEL_2"]),
                control("branch-protection", Status::Pass, &[]),
                control("peer-review", Status::Pass, &[]),
            ],
        ) {
            assert!(!level.contains("UNEVALUATED"), "{level}");
            assert!(
                level.starts_with("SLSA_") == level.contains("_LEVEL_"),
                "{level}"
            );
        }
    }
}
