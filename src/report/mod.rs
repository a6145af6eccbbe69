//! Reports: one verdict rendered for people and machines.
//!
//! [`Report`] is the serializable document (`--format json`, valid against
//! `schemas/report.schema.json`); every other format renders from it, so they can
//! never disagree. Untrusted text (scanner messages, paths, rule ids) is escaped by
//! each sink for its own syntax, see [`escape`].

pub mod escape;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

use serde::{Deserialize, Serialize};

use crate::ci::CiContext;
use crate::evidence::{Evidence, InputFile, ToolInfo};
use crate::verdict::{ControlOutcome, Overall, Verdict, WaiverSource, WaiverUse};

/// Version of the report document layout.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// The report document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// Layout version ([`REPORT_FORMAT_VERSION`]).
    pub report_version: u32,
    /// `pass` or `fail`.
    pub verdict: Overall,
    /// The vouch build that evaluated.
    pub tool: ToolInfo,
    /// Evidence collection time (RFC 3339), the "now" of every time-dependent decision.
    pub time: String,
    /// What was verified.
    pub subject: Subject,
    /// The CI run.
    pub context: CiContext,
    /// The policy applied.
    pub policy: PolicyRef,
    /// Input files with their digests.
    pub inputs: Vec<InputFile>,
    /// Per-control outcomes.
    pub controls: Vec<ControlOutcome>,
    /// Waivers with their state (applied, expired, unused).
    pub waivers: Vec<WaiverUse>,
    /// What was signed and where it was published, with `--attest-out`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<AttestationSummary>,
    /// Each asset's outcome, for `vouch release verify`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<crate::release::outcome::ReleaseSummary>,
}

/// The attestation step of a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttestationSummary {
    /// The signed files written.
    pub files: Vec<String>,
    /// Each `--publish` target's outcome.
    pub published: Vec<crate::attest::publish::Published>,
    /// Why signing failed, when it did (nothing is written then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl AttestationSummary {
    /// Whether everything asked for was signed and published.
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.published.iter().all(|p| p.ok)
    }

    /// What went wrong, one untrusted line each (the sink escapes them): the signing
    /// error, then every publish target that failed.
    pub fn problems(&self) -> Vec<String> {
        let signing = self.error.iter().map(|e| format!("signing failed: {e}"));
        let publishing = self
            .published
            .iter()
            .filter(|p| !p.ok)
            .map(|p| format!("publishing to {} failed: {}", p.target, p.detail));
        signing.chain(publishing).collect()
    }

    /// What was done, one untrusted line each: the files signed, then every publish
    /// target that took them, with the ids it gave.
    pub fn achievements(&self) -> Vec<String> {
        let files = self.files.iter().map(|f| format!("signed {f}"));
        let published = self.published.iter().filter(|p| p.ok).map(|p| {
            let ids = if p.ids.is_empty() {
                String::new()
            } else {
                format!(" (ids {})", p.ids.join(", "))
            };
            format!("published to {}: {}{ids}", p.target, p.detail)
        });
        files.chain(published).collect()
    }
}

/// What a run verified.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Subject {
    /// Repository (`owner/name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Commit SHA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Git ref.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "ref")]
    pub git_ref: Option<String>,
    /// Artifacts with digests (filled by the provenance control).
    pub artifacts: Vec<Artifact>,
}

/// An artifact and its digest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Artifact {
    /// File name.
    pub name: String,
    /// `sha256:<hex>`.
    pub digest: String,
}

/// The policy a verdict was reached under.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PolicyRef {
    /// Path as given, or `<built-in default policy>`.
    pub path: String,
    /// sha256 of the policy bytes (of the built-in text for the default).
    pub sha256: String,
}

impl Report {
    /// Assembles the report of one evaluation.
    pub fn new(verdict: Verdict, evidence: &Evidence, policy: PolicyRef) -> Self {
        Report {
            report_version: REPORT_FORMAT_VERSION,
            verdict: verdict.verdict,
            tool: ToolInfo::current(),
            time: evidence
                .collected_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            subject: Subject {
                repository: evidence.context.repository.clone(),
                commit: evidence.context.commit.clone(),
                git_ref: evidence.context.git_ref.clone(),
                artifacts: Vec::new(),
            },
            context: evidence.context.clone(),
            policy,
            inputs: evidence.inputs.clone(),
            controls: verdict.controls,
            waivers: verdict.waivers,
            attestation: None,
            release: None,
        }
    }

    /// Adds the release's asset outcomes; an asset the policy covers that is not
    /// verified fails the run, whatever the controls concluded.
    pub fn with_release(mut self, release: crate::release::outcome::ReleaseSummary) -> Self {
        if release.any_unverified() {
            self.verdict = Overall::Fail;
        }
        self.release = Some(release);
        self
    }

    /// Number of blocking findings (unwaived violations and errors) across controls.
    pub fn blocking_findings(&self) -> usize {
        self.controls
            .iter()
            .flat_map(|c| &c.findings)
            .filter(|f| f.is_blocking())
            .count()
    }
}

/// How a waiver is named in reports: `exceptions[2] (policy line 31)` or
/// `VEX <file>`. Raw text, since the VEX file name is untrusted: each sink escapes the
/// whole label for its own syntax (`text::waiver_name` is the terminal-escaped form).
pub(crate) fn waiver_label(source: &WaiverSource) -> String {
    match source {
        WaiverSource::Policy { index, line } => format!("exceptions[{index}] (policy line {line})"),
        WaiverSource::Vex { file } => format!("VEX {file}"),
    }
}

/// Output formats of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Summary table and failures, for terminals.
    Text,
    /// The report document (schemas/report.schema.json).
    Json,
    /// SARIF 2.1.0, one result per failing finding (GitHub code scanning).
    Sarif,
    /// JUnit XML, a testcase per control (GitLab test reports).
    Junit,
    /// Markdown, for job summaries and merge-request comments.
    Markdown,
}

/// Test support, not part of the API: a realistic [`Report`] with a failing control, a
/// control in error, a waived finding, an expired and an unused waiver, and hostile text
/// (workflow commands, newlines, HTML, ANSI/OSC escapes, `%`, `@mention`, `|`, a bidi
/// override) in messages, paths, rule ids, summaries and waiver reasons.
///
/// It is `pub` only because integration tests (`tests/it`) cannot see `cfg(test)`
/// items; unit tests reach it through `fixtures`.
#[doc(hidden)]
pub fn sample_report_for_tests() -> Report {
    use crate::checks::{FindingSubject, WaiverRef, sast, sca};
    use crate::ci::CiSystem;
    use crate::evidence::{InputRole, Location, Severity};
    use crate::verdict::{Status, WaiverState};

    // Every kind of injection a sink must neutralize, in one string.
    const HOSTILE: &str = "x\n::error::pwned\r\n<script>alert(1)</script>\x1b[31mred\x1b]8;;http://evil\x07link 100% @mention | \u{202E}cod.exe";

    let hostile_rule = format!("js/xss{HOSTILE}");
    let hostile_path = format!("src/app.js{HOSTILE}");

    let mut sast_findings = vec![
        // Line 0 is what some scanners write for "whole file": not a valid SARIF line.
        sast::RESULT_OVER_THRESHOLD
            .finding("CodeQL js/path-injection: user input reaches fs.readFile")
            .with_severity(Severity::Critical)
            .with_location(Some(Location {
                path: "file:///src/server%20old.js".into(),
                line: Some(0),
                column: None,
                end_line: None,
            }))
            .with_subject(FindingSubject {
                rule: Some("js/path-injection".into()),
                tools: vec!["CodeQL".into()],
                ..FindingSubject::default()
            }),
        sast::RESULT_OVER_THRESHOLD
            .finding(format!("Semgrep {hostile_rule}: {HOSTILE}"))
            .with_severity(Severity::High)
            .with_location(Some(Location {
                path: hostile_path.as_str().into(),
                line: Some(12),
                column: Some(5),
                end_line: Some(14),
            }))
            .with_subject(FindingSubject {
                rule: Some(hostile_rule.as_str().into()),
                tools: vec!["Semgrep".into()],
                ..FindingSubject::default()
            })
            .with_help_uri(Some("https://semgrep.dev/r/js.xss".into())),
        sast::REQUIRED_TOOL_MISSING.finding("required tool gitleaks did not run"),
        // Waived by exceptions[0].
        sast::RESULT_OVER_THRESHOLD
            .finding("Semgrep js/eval: eval of a constant")
            .with_severity(Severity::Medium)
            .with_location(Some(Location {
                path: "src/legacy.js".into(),
                line: Some(3),
                column: None,
                end_line: None,
            }))
            .with_subject(FindingSubject {
                rule: Some("js/eval".into()),
                tools: vec!["Semgrep".into()],
                ..FindingSubject::default()
            }),
    ];
    sast_findings[3].waiver = Some(WaiverRef {
        index: 0,
        reason: format!("constant input only {HOSTILE}"),
    });

    let sca_findings = vec![
        sca::UNREADABLE_REPORT
            .finding(format!("{hostile_path}: expected value at line 1 column 1")),
        // Matched by the expired exceptions[1]: blocking again.
        sca::VULNERABLE_DEPENDENCY
            .finding("xz 5.6.0 is affected by CVE-2024-3094 (fixed in 5.6.2)")
            .with_severity(Severity::Critical)
            .with_location(Some(Location {
                path: "Cargo.lock".into(),
                line: None,
                column: None,
                end_line: None,
            }))
            .with_subject(FindingSubject {
                id: Some("CVE-2024-3094".into()),
                aliases: vec!["GHSA-rxwq-x6h5-x525".into()],
                package: Some("xz".into()),
                version: Some("5.6.0".into()),
                tools: vec!["grype".into()],
                ..FindingSubject::default()
            })
            .with_help_uri(Some(
                "https://nvd.nist.gov/vuln/detail/CVE-2024-3094".into(),
            )),
    ];

    Report {
        report_version: REPORT_FORMAT_VERSION,
        verdict: Overall::Fail,
        tool: ToolInfo::current(),
        time: "2026-03-01T12:00:00Z".into(),
        subject: Subject {
            repository: Some("acme/exchange".into()),
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            git_ref: Some(format!("refs/heads/feature{HOSTILE}")),
            artifacts: Vec::new(),
        },
        context: CiContext {
            system: CiSystem::GithubActions,
            repository: Some("acme/exchange".into()),
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            git_ref: Some(format!("refs/heads/feature{HOSTILE}")),
            event: Some("push".into()),
            change_number: None,
            run_url: Some("https://github.com/acme/exchange/actions/runs/1".into()),
            workspace: Some("/home/runner/work/exchange/exchange".into()),
        },
        policy: PolicyRef {
            path: ".vouch/policy.yaml".into(),
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        },
        inputs: vec![InputFile {
            path: "semgrep.sarif".into(),
            role: InputRole::Sarif,
            sha256: Some("2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae".into()),
            size: Some(2048),
        }],
        controls: vec![
            ControlOutcome {
                id: "sast".into(),
                title: "SAST gate".into(),
                status: Status::Fail,
                required: true,
                summary: format!("4 results from 2 runs; {HOSTILE}"),
                findings: sast_findings,
                changes: Vec::new(),
                verified_levels: Vec::new(),
            },
            ControlOutcome {
                id: "sca".into(),
                title: "SCA gate".into(),
                status: Status::Error,
                required: true,
                summary: "1 of 2 reports unreadable; 1 vulnerability at or above high".into(),
                findings: sca_findings,
                changes: Vec::new(),
                verified_levels: Vec::new(),
            },
            peer_review_sample(HOSTILE),
        ],
        waivers: vec![
            WaiverUse {
                source: WaiverSource::Policy { index: 0, line: 31 },
                control: "sast".into(),
                matches: "rule=js/eval, path=src/legacy.js".into(),
                reason: format!("constant input only {HOSTILE}"),
                owner: Some(format!("@security-team {HOSTILE}")),
                expires: Some("2026-12-31".into()),
                state: WaiverState::Applied,
                matched_findings: 1,
                too_broad: false,
            },
            WaiverUse {
                source: WaiverSource::Policy { index: 1, line: 38 },
                control: "sca".into(),
                matches: format!("id=CVE-2024-3094{HOSTILE}"),
                reason: format!("upgrade scheduled {HOSTILE}"),
                owner: Some("platform".into()),
                expires: Some("2026-01-31".into()),
                state: WaiverState::Expired,
                matched_findings: 1,
                too_broad: false,
            },
            WaiverUse {
                source: WaiverSource::Vex {
                    file: format!("vex/openvex.json{HOSTILE}"),
                },
                control: "sca".into(),
                matches: "id=CVE-2023-0001".into(),
                reason: "vulnerable_code_not_in_execute_path".into(),
                owner: None,
                expires: None,
                state: WaiverState::Unused,
                matched_findings: 0,
                too_broad: false,
            },
        ],
        attestation: Some(AttestationSummary {
            files: vec![format!("attestations/vsa.sigstore.json{HOSTILE}")],
            published: vec![crate::attest::publish::Published {
                target: "github".into(),
                ok: false,
                detail: format!("HTTP 403: {HOSTILE}"),
                ids: Vec::new(),
            }],
            error: None,
        }),
        release: Some(crate::release::outcome::ReleaseSummary {
            repository: format!("acme/ledger{HOSTILE}"),
            tag: format!("v1.0.0{HOSTILE}"),
            assets: vec![crate::release::outcome::AssetOutcome {
                name: format!("ledger-linux{HOSTILE}"),
                kind: crate::release::AssetKind::Artifact,
                sha256: Some("ab".repeat(32)),
                size: Some(3),
                status: crate::release::outcome::AssetStatus::Unverified,
                reasons: vec![format!("provenance/missing: {HOSTILE}")],
                notes: vec![format!("waived: sbom/x: {HOSTILE}")],
                sboms: vec![format!("ledger-linux{HOSTILE}.cdx.json")],
            }],
        }),
    }
}

/// A failing peer-review outcome with one approved and one stale change, hostile text
/// in the places a PR author controls.
fn peer_review_sample(hostile: &str) -> ControlOutcome {
    use crate::checks::change_record::{
        ApprovalRecord, ChangeKind, ChangeRecord, RuleOutcome, RuleStatus,
    };
    use crate::checks::{Code, FindingSubject, peer_review};
    use crate::verdict::Status;

    let head = "1111111111111111111111111111111111111111";
    let stale_head = "2222222222222222222222222222222222222222";
    let approval = |reviewer: &str, commit: &str, not_counted: Option<&Code>| ApprovalRecord {
        reviewer: reviewer.into(),
        submitted_at: Some("2026-02-27T09:30:00Z".into()),
        commit: Some(commit.into()),
        counted: not_counted.is_none(),
        not_counted: not_counted.map(|c| c.code.to_string()),
    };
    let record = |number: u64, title: String, stale: bool| {
        let mut rules = vec![
            RuleOutcome::new(&peer_review::DIRECT_PUSH, false, None),
            RuleOutcome::new(&peer_review::NOT_APPROVED, stale, None),
            RuleOutcome::new(&peer_review::STALE_APPROVAL, stale, None),
        ];
        rules[1].detail = Some(format!("{} of 1 independent approval(s)", !stale as u8));
        ChangeRecord {
            id: format!("#{number}"),
            kind: ChangeKind::PullRequest,
            number: Some(number),
            title,
            author: if stale {
                format!("mallory{hostile}")
            } else {
                "alice".into()
            },
            head_sha: Some(if stale { stale_head } else { head }.into()),
            merge_sha: Some(format!("{number:0>40}")),
            merged_by: Some("bob".into()),
            merged_at: Some("2026-02-28T10:00:00Z".into()),
            contributors: vec!["alice".into()],
            approvals: vec![if stale {
                approval("carol", head, Some(&peer_review::STALE_APPROVAL))
            } else {
                approval("carol", head, None)
            }],
            commits: vec![format!("{number:0>40}")],
            status: if stale {
                RuleStatus::Fail
            } else {
                RuleStatus::Pass
            },
            rules,
        }
    };
    ControlOutcome {
        id: "peer-review".into(),
        title: "Peer review".into(),
        status: Status::Fail,
        required: true,
        summary: "push on main: 2 commit(s), 2 pull request(s), 1 with 1 independent approval(s) on the merged head, 0 direct push(es)".into(),
        findings: vec![
            peer_review::STALE_APPROVAL
                .finding(format!(
                    "PR #7 \"{hostile}\" by mallory: 0 of 1 independent approval(s); carol approved an earlier head"
                ))
                .with_subject(FindingSubject {
                    id: Some("#7".into()),
                    ..FindingSubject::default()
                }),
        ],
        changes: vec![
            record(8, "Bump ledger".into(), false),
            record(7, format!("Fix rounding {hostile}"), true),
        ],
        verified_levels: Vec::new(),
    }
}

/// Fixtures for the sinks' unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::Report;
    use crate::checks::sast;
    use crate::evidence::{Location, Severity};

    /// The shared sample report ([`super::sample_report_for_tests`]).
    pub(crate) fn report() -> Report {
        super::sample_report_for_tests()
    }

    /// The sample report plus `extra` more blocking SAST findings with locations, to
    /// exercise caps and collapsing.
    pub(crate) fn report_with_many_findings(extra: usize, message_len: usize) -> Report {
        let mut r = report();
        let filler = "m".repeat(message_len);
        for i in 0..extra {
            r.controls[0].findings.push(
                sast::RESULT_OVER_THRESHOLD
                    .finding(format!("finding {i} {filler}"))
                    .with_severity(Severity::High)
                    .with_location(Some(Location {
                        path: format!("src/gen/file{i}.js").into(),
                        line: Some(i as u32 + 1),
                        column: None,
                        end_line: None,
                    })),
            );
        }
        r
    }
}
