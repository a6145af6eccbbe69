//! VSA control: every artifact carries a SLSA Verification Summary Attestation from a
//! verifier the policy trusts, stating that the artifact passed, at the levels the
//! policy asks for.
//!
//! A VSA is another verifier's signed word (vouch's own `vsa.sigstore.json`, or a
//! gate's) that it checked the artifact. Its signature was verified at collection; what
//! is judged here is whose word it is (the `verifier.id`, and that the signer is one
//! the policy names for that verifier: a certificate identity, or a key), what it says
//! (`PASSED`, the levels, the resource) and that it is about the artifact's digest. A
//! `verifier.id` is only a claim: a verifier entry with neither identities nor keys
//! would let anyone claim it, so such an entry is an error.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{CheckOutput, Code, Control, Finding, Section};
use crate::evidence::provenance::AttestationOutcome;
use crate::evidence::{Evidence, Location};
use crate::policy::Policy;
use crate::policy::sections::{NonEmpty, yes};
use crate::verify::artifact::Artifact;
use crate::verify::identity::{FulcioExtension, Matcher};
use crate::verify::provenance::VerifiedStatement;
use crate::verify::statement::subject_for;
use crate::verify::vsa::level_satisfies;

/// VSA settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VsaPolicy {
    /// Set to false to skip the control without deleting its settings.
    #[serde(
        default = "yes",
        deserialize_with = "crate::policy::sections::strict_bool"
    )]
    pub enabled: bool,
    /// When true, failures and errors are reported but do not fail the run.
    #[serde(default, deserialize_with = "crate::policy::sections::strict_bool")]
    pub advisory: bool,
    /// The verifiers whose VSAs count, each with who may sign for it.
    #[serde(default)]
    pub verifiers: Vec<TrustedVerifier>,
    /// Levels each artifact's VSA must state (`SLSA_BUILD_LEVEL_3` satisfies
    /// `SLSA_BUILD_LEVEL_2`); empty: any.
    #[serde(default)]
    pub verified_levels: Vec<String>,
    /// The `resourceUri` the VSA must state, exactly; absent: any.
    #[serde(default)]
    pub resource_uri: Option<String>,
}

/// A verifier the policy trusts.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustedVerifier {
    /// Its `verifier.id`, exactly.
    pub id: NonEmpty,
    /// Certificate identities (SAN) that may sign its VSAs, as regular expressions
    /// (unanchored; write `^...$` to pin both ends).
    #[serde(default)]
    pub identities: Vec<String>,
    /// OIDC issuers whose certificates may sign its VSAs, exactly (with `identities`:
    /// a workflow identity means something only from the forge that issued it); empty:
    /// any issuer the attestations were verified against.
    #[serde(default)]
    pub issuers: Vec<String>,
    /// Keys that may sign its VSAs, as `sha256:<hex>` of the key's SubjectPublicKeyInfo
    /// (the key file itself goes in `provenance.keys` or `--key`, which verify the
    /// signature).
    #[serde(default)]
    pub keys: Vec<String>,
}

/// `vsa:` with no keys: enabled, trusting nobody (so every run errs until verifiers
/// are named).
impl Default for VsaPolicy {
    fn default() -> Self {
        VsaPolicy {
            enabled: true,
            advisory: false,
            verifiers: Vec::new(),
            verified_levels: Vec::new(),
            resource_uri: None,
        }
    }
}

impl Section for VsaPolicy {
    fn enabled(&self) -> bool {
        self.enabled
    }
    fn advisory(&self) -> bool {
        self.advisory
    }
}

/// The VSA control.
pub struct VsaCheck;

code!(
    NO_ARTIFACTS,
    "vsa/no-artifacts",
    Error,
    "The control is enabled but no artifact was given.",
    "Pass the artifacts with `--artifact FILE` (or `provenance.artifacts`), or run `vouch release verify` on the release."
);
code!(
    NO_VERIFIERS,
    "vsa/no-trusted-verifier",
    Error,
    "The policy trusts no verifier, or names one with neither identities nor keys (anyone could claim its id).",
    "List each trusted verifier under `vsa.verifiers` with its `id` and the `identities` or `keys` that sign for it."
);
code!(
    MISSING,
    "vsa/missing",
    Violation,
    "No verified VSA names the artifact's digest.",
    "Publish the verifier's VSA with the release (or give it with `--attestation`); the VSA's subject must carry the artifact's digest."
);
code!(
    UNTRUSTED_VERIFIER,
    "vsa/untrusted-verifier",
    Violation,
    "The artifact's VSA comes from a verifier the policy does not trust, or is signed by someone the policy does not name for that verifier.",
    "Have a trusted verifier vouch for the artifact, or add the verifier (with its signing identities or keys) to `vsa.verifiers` after review."
);
code!(
    UNLOGGED,
    "vsa/unlogged",
    Violation,
    "The artifact's VSA is signed by a certificate that no transparency-log entry dates: nothing shows the certificate was valid when it signed.",
    "Publish the VSA as a Sigstore bundle with its Rekor entry (`vouch verify --attest-out` writes one), not as a bare DSSE envelope."
);
code!(
    FAILED,
    "vsa/failed",
    Violation,
    "The artifact's VSA says it did not pass verification (verificationResult is not PASSED).",
    "Fix what the verifier found and have it verify the artifact again."
);
code!(
    MISSING_LEVEL,
    "vsa/missing-level",
    Violation,
    "The artifact's VSA does not state a level the policy requires.",
    "Have the artifact verified at the required level, or lower `vsa.verified_levels`."
);
code!(
    WRONG_RESOURCE,
    "vsa/wrong-resource",
    Violation,
    "The artifact's VSA is about another resource than `vsa.resource_uri`.",
    "Use the VSA issued for this resource, or correct `vsa.resource_uri`."
);

static CODES: [&Code; 8] = [
    &NO_ARTIFACTS,
    &NO_VERIFIERS,
    &MISSING,
    &UNTRUSTED_VERIFIER,
    &UNLOGGED,
    &FAILED,
    &MISSING_LEVEL,
    &WRONG_RESOURCE,
];

impl Control for VsaCheck {
    type Section = VsaPolicy;
    const ID: &'static str = "vsa";
    const TITLE: &'static str = "Verification summaries";
    const CODES: &'static [&'static Code] = &CODES;

    fn section(policy: &Policy) -> Option<&VsaPolicy> {
        policy.vsa.as_ref()
    }

    fn evaluate(p: &VsaPolicy, evidence: &Evidence) -> CheckOutput {
        let mut out = CheckOutput::default();
        let verifiers = match trusted(p) {
            Ok(verifiers) => verifiers,
            Err(message) => {
                out.findings.push(NO_VERIFIERS.finding(message));
                out.summary = "no trusted verifier".into();
                return out;
            }
        };
        if evidence.artifacts.is_empty() {
            out.findings
                .push(NO_ARTIFACTS.finding("no artifact was given"));
            out.summary = "no artifacts".into();
            return out;
        }
        // Rejected documents are the provenance control's to report; a VSA that did
        // not verify is no VSA here, so its artifact is `vsa/missing` (or judged by
        // another VSA).
        let summaries: Vec<(String, &VerifiedStatement)> = evidence
            .attestations
            .iter()
            .filter_map(|file| Some((file.source.as_str(), file.observed.as_ref().ok()?)))
            .flat_map(|(source, file)| {
                file.documents
                    .iter()
                    .filter_map(move |record| match &record.outcome {
                        AttestationOutcome::Verified { statement }
                            if statement.summary.is_some() =>
                        {
                            Some((place(source, &record.position), statement.as_ref()))
                        }
                        _ => None,
                    })
            })
            .collect();
        let mut vouched = 0usize;
        for artifact in &evidence.artifacts {
            // An artifact whose digests could not be read: the provenance control
            // reports why; it is vouched for by nothing here.
            // A subject is the artifact's as provenance's are: a digest it shares, none
            // that contradicts (the same rule, the same function).
            let digest = artifact.observed.as_ref().ok().and_then(|d| {
                let parts: Vec<String> =
                    d.digests.iter().map(|(a, h)| format!("{a}:{h}")).collect();
                let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
                Artifact::from_digests(&parts).ok()
            });
            let about: Vec<&(String, &VerifiedStatement)> = summaries
                .iter()
                .filter(|(_, s)| {
                    digest
                        .as_ref()
                        .is_some_and(|d| subject_for(&s.subjects, d).is_ok())
                })
                .collect();
            let finding = if about.is_empty() {
                Some(MISSING.finding(format!(
                    "{}: no verified VSA names its digest ({} VSA(s) given)",
                    artifact.source,
                    summaries.len()
                )))
            } else {
                // One VSA that holds is enough; else the first one's failure tells.
                let mut first_failure = None;
                for (place, statement) in &about {
                    match judge(p, &verifiers, place, statement) {
                        Ok(()) => {
                            first_failure = None;
                            break;
                        }
                        Err(finding) => {
                            first_failure.get_or_insert(finding);
                        }
                    }
                }
                first_failure.map(|mut finding| {
                    finding.message = format!("{}: {}", artifact.source, finding.message);
                    *finding
                })
            };
            match finding {
                None => vouched += 1,
                Some(finding) => out
                    .findings
                    .push(finding.with_location(Some(at(&artifact.source)))),
            }
        }
        super::sort_findings(&mut out.findings);
        out.summary = format!(
            "{vouched} of {} artifact(s) vouched for by a trusted verifier's VSA ({} VSA(s) given)",
            evidence.artifacts.len(),
            summaries.len()
        );
        out
    }

    fn inputs(evidence: &Evidence) -> usize {
        evidence.artifacts.len()
    }
}

/// A trusted verifier with its signer matchers compiled.
struct Verifier<'a> {
    id: &'a str,
    identities: Vec<Matcher>,
    issuers: &'a [String],
    keys: &'a [String],
}

fn trusted(p: &VsaPolicy) -> Result<Vec<Verifier<'_>>, String> {
    if p.verifiers.is_empty() {
        return Err("vsa.verifiers lists no verifier: no VSA can be trusted".into());
    }
    p.verifiers
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if p.verifiers[..i].iter().any(|other| other.id.0 == v.id.0) {
                return Err(format!(
                    "vsa.verifiers[{i}]: verifier {} is listed twice; list its identities and keys in one entry",
                    v.id.0
                ));
            }
            if v.identities.iter().any(|pattern| pattern.is_empty()) {
                return Err(format!(
                    "vsa.verifiers[{i}].identities: an empty pattern matches every signer"
                ));
            }
            if v.identities.is_empty() && v.keys.is_empty() {
                return Err(format!(
                    "vsa.verifiers[{i}] ({}) names neither identities nor keys: anyone could sign as it",
                    v.id.0
                ));
            }
            let identities = v
                .identities
                .iter()
                .map(|pattern| {
                    Matcher::pattern(pattern).map_err(|e| {
                        format!("vsa.verifiers[{i}].identities: `{pattern}` is not a regular expression: {e}")
                    })
                })
                .collect::<Result<_, _>>()?;
            Ok(Verifier {
                id: &v.id.0,
                identities,
                issuers: &v.issuers,
                keys: &v.keys,
            })
        })
        .collect()
}

/// Whether one VSA vouches for the artifact under the policy; the finding when not.
fn judge(
    p: &VsaPolicy,
    verifiers: &[Verifier<'_>],
    place: &str,
    statement: &VerifiedStatement,
) -> Result<(), Box<Finding>> {
    let Some(facts) = &statement.summary else {
        return Err(Box::new(MISSING.finding(format!("{place}: not a VSA"))));
    };
    let claimed = facts.verifier_id.as_deref().unwrap_or_default();
    let Some(verifier) = verifiers.iter().find(|v| v.id == claimed) else {
        return Err(Box::new(UNTRUSTED_VERIFIER.finding(format!(
            "{place}: expected a VSA from {}, got one from `{claimed}`",
            verifiers
                .iter()
                .map(|v| v.id)
                .collect::<Vec<_>>()
                .join(" or ")
        ))));
    };
    if statement.unlogged {
        return Err(Box::new(UNLOGGED.finding(format!(
            "{place}: signed by a certificate with no transparency-log entry (a bare DSSE envelope): not accepted from verifier `{claimed}`"
        ))));
    }
    let signer = &statement.signer;
    let signed_by_it = match &signer.key_id {
        Some(key) if signer.key_signed => verifier.keys.iter().any(|k| k == key),
        _ => {
            let issuer = signer
                .extensions
                .iter()
                .find(|(which, _)| *which == FulcioExtension::Issuer)
                .map(|(_, value)| value.as_str());
            (verifier.issuers.is_empty()
                || issuer.is_some_and(|i| verifier.issuers.iter().any(|want| want == i)))
                && signer
                    .identities
                    .iter()
                    .any(|identity| verifier.identities.iter().any(|m| m.matches(identity)))
        }
    };
    if !signed_by_it {
        return Err(Box::new(UNTRUSTED_VERIFIER.finding(format!(
            "{place}: claims verifier `{claimed}` but is signed by {}, which the policy does not name for it",
            match &signer.key_id {
                Some(key) if signer.key_signed => format!("key {key}"),
                _ => signer.identities.join(", "),
            }
        ))));
    }
    let result = facts.result.as_deref().unwrap_or("(none)");
    if result != "PASSED" {
        return Err(Box::new(FAILED.finding(format!(
            "{place}: verifier `{claimed}` states verificationResult {result}"
        ))));
    }
    if let Some(uri) = &p.resource_uri {
        let stated = facts.resource_uri.as_deref().unwrap_or_default();
        if stated != uri {
            return Err(Box::new(WRONG_RESOURCE.finding(format!(
                "{place}: expected resourceUri `{uri}`, got `{stated}`"
            ))));
        }
    }
    for wanted in &p.verified_levels {
        if !facts
            .verified_levels
            .iter()
            .any(|have| level_satisfies(have, wanted))
        {
            return Err(Box::new(MISSING_LEVEL.finding(format!(
                "{place}: expected verified level {wanted}, the VSA states {}",
                if facts.verified_levels.is_empty() {
                    "none".to_string()
                } else {
                    facts.verified_levels.join(", ")
                }
            ))));
        }
    }
    Ok(())
}

fn place(source: &str, position: &str) -> String {
    if position.is_empty() {
        source.to_string()
    } else {
        format!("{source} {position}")
    }
}

fn at(path: &str) -> Location {
    Location {
        path: path.into(),
        line: None,
        column: None,
        end_line: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Sourced;
    use crate::evidence::provenance::{ArtifactDigests, AttestationFile, AttestationRecord};
    use serde_json::json;

    const GATE: &str = "https://github.com/acme/gate/.github/workflows/gate.yml@refs/heads/main";

    fn policy(verifiers: serde_json::Value) -> VsaPolicy {
        serde_json::from_value(
            json!({"verifiers": verifiers, "verified_levels": ["SLSA_BUILD_LEVEL_2"]}),
        )
        .unwrap()
    }

    fn trusting_the_gate() -> VsaPolicy {
        policy(
            json!([{"id": "https://acme.example/gate", "identities": ["^https://github.com/acme/gate/"]}]),
        )
    }

    /// The evidence of one artifact and one VSA about it, changed by `edit`.
    fn evidence(edit: impl FnOnce(&mut serde_json::Value)) -> Evidence {
        let mut evidence = crate::collect::collect(
            &crate::collect::FileInputs::default(),
            crate::ci::CiContext::local(),
            time::macros::datetime!(2026-12-03 12:00 UTC),
        )
        .unwrap();
        let sha256 = "ab".repeat(32);
        evidence.artifacts.push(Sourced {
            source: "app".into(),
            observed: Ok(ArtifactDigests {
                digests: [
                    ("sha256".to_string(), sha256.clone()),
                    ("sha512".to_string(), "cd".repeat(64)),
                ]
                .into_iter()
                .collect(),
            }),
        });
        let mut statement = json!({
            "predicate_type": crate::verify::vsa::VSA_V1,
            "subjects": [{"name": "app", "digest": {"sha256": sha256}}],
            "signer": {"identities": [GATE], "extensions": [], "key_signed": false},
            "signed_at": ["2026-12-03T11:00:00Z"],
            "build": null,
            "summary": {"verifier_id": "https://acme.example/gate", "result": "PASSED",
                "verified_levels": ["SLSA_BUILD_LEVEL_3"]},
            "unlogged": false
        });
        edit(&mut statement);
        evidence.attestations.push(Sourced {
            source: "app.vsa.sigstore.json".into(),
            observed: Ok(AttestationFile {
                documents: vec![AttestationRecord {
                    position: String::new(),
                    outcome: AttestationOutcome::Verified {
                        statement: Box::new(serde_json::from_value(statement).unwrap()),
                    },
                }],
            }),
        });
        evidence
    }

    fn codes(p: &VsaPolicy, e: &Evidence) -> Vec<&'static str> {
        let out = VsaCheck::evaluate(p, e);
        out.findings
            .iter()
            .map(|f| match &f.code {
                std::borrow::Cow::Borrowed(code) => *code,
                std::borrow::Cow::Owned(_) => "owned",
            })
            .collect()
    }

    #[test]
    fn a_logged_vsa_from_the_trusted_verifier_vouches_for_its_artifact() {
        assert_eq!(
            codes(&trusting_the_gate(), &evidence(|_| {})),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn an_unlogged_certificate_signed_vsa_does_not_count() {
        let e = evidence(|s| s["unlogged"] = json!(true));
        assert_eq!(codes(&trusting_the_gate(), &e), ["vsa/unlogged"]);
    }

    #[test]
    fn the_verifier_id_alone_is_not_trusted_without_its_signer() {
        let e = evidence(|s| {
            s["signer"]["identities"] = json!(["https://github.com/mallory/x@refs/heads/main"])
        });
        assert_eq!(codes(&trusting_the_gate(), &e), ["vsa/untrusted-verifier"]);
        let e = evidence(|s| s["summary"]["verifier_id"] = json!("https://mallory.example"));
        assert_eq!(codes(&trusting_the_gate(), &e), ["vsa/untrusted-verifier"]);
        // The identity from another issuer than the one the policy names.
        let from =
            |issuer: &str| evidence(|s| s["signer"]["extensions"] = json!([["issuer", issuer]]));
        let pinned = policy(json!([{"id": "https://acme.example/gate",
            "identities": ["^https://github.com/acme/gate/"],
            "issuers": ["https://token.actions.githubusercontent.com"]}]));
        assert_eq!(
            codes(
                &pinned,
                &from("https://token.actions.githubusercontent.com")
            ),
            Vec::<&str>::new()
        );
        assert_eq!(
            codes(&pinned, &from("https://gitlab.com")),
            ["vsa/untrusted-verifier"]
        );
        assert_eq!(
            codes(&pinned, &evidence(|_| {})),
            ["vsa/untrusted-verifier"]
        );
    }

    #[test]
    fn a_subject_that_contradicts_one_of_the_artifacts_digests_is_not_about_it() {
        let e = evidence(|s| {
            s["subjects"][0]["digest"]["sha512"] = json!("ef".repeat(64));
        });
        assert_eq!(codes(&trusting_the_gate(), &e), ["vsa/missing"]);
    }

    #[test]
    fn a_failed_or_lower_level_vsa_fails_its_artifact() {
        let e = evidence(|s| s["summary"]["result"] = json!("FAILED"));
        assert_eq!(codes(&trusting_the_gate(), &e), ["vsa/failed"]);
        let e = evidence(|s| s["summary"]["verified_levels"] = json!(["SLSA_BUILD_LEVEL_1"]));
        assert_eq!(codes(&trusting_the_gate(), &e), ["vsa/missing-level"]);
    }

    #[test]
    fn a_verifier_anyone_could_sign_for_is_an_error() {
        let e = evidence(|_| {});
        for verifiers in [
            json!([]),
            json!([{"id": "https://acme.example/gate"}]),
            json!([{"id": "https://acme.example/gate", "identities": [""]}]),
            json!([{"id": "https://acme.example/gate", "identities": ["^x"]},
                   {"id": "https://acme.example/gate", "keys": ["sha256:00"]}]),
        ] {
            assert_eq!(
                codes(&policy(verifiers.clone()), &e),
                ["vsa/no-trusted-verifier"],
                "{verifiers}"
            );
        }
    }
}
