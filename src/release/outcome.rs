//! Where each asset of a release stands after the controls ran: `verified`,
//! `unverified` with the reasons, or `not-covered` by the policy.
//!
//! An asset is judged by the findings located at it (the provenance control locates
//! each artifact's finding at the artifact, a rejected attestation at its file, an SBOM
//! problem at the SBOM) and by the controls' findings located nowhere (no attestation
//! at all), which concern every asset the control covers. An SBOM counts for the
//! artifact it is named for; an artifact the sbom control covers needs one. Only a
//! required control's findings leave an asset unverified: waived findings and what an
//! advisory control found are notes.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{AssetKind, LookupOutcome, ReleaseRecord, classify, describes, sbom_stem};
use crate::checks::Finding;
use crate::evidence::Evidence;
use crate::verdict::ControlOutcome;

/// The release part of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseSummary {
    /// `OWNER/REPO`.
    pub repository: String,
    /// The release's tag.
    pub tag: String,
    /// Every asset with its outcome, in the release's order.
    pub assets: Vec<AssetOutcome>,
}

impl ReleaseSummary {
    /// Whether an asset the policy covers is not verified.
    pub fn any_unverified(&self) -> bool {
        self.assets
            .iter()
            .any(|a| a.status == AssetStatus::Unverified)
    }

    /// How many assets have `status`.
    pub fn count(&self, status: AssetStatus) -> usize {
        self.assets.iter().filter(|a| a.status == status).count()
    }
}

/// One asset's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetOutcome {
    /// File name.
    pub name: String,
    /// What it is.
    pub kind: AssetKind,
    /// sha256 of the bytes checked (absent when the file was not there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Size of the bytes checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The outcome.
    pub status: AssetStatus,
    /// Why it is unverified.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// What does not change its status: waived findings, what advisory controls found,
    /// why it is not covered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The SBOMs that describe it (an artifact) or the assets it describes (an SBOM).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sboms: Vec<String>,
}

/// An asset's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssetStatus {
    /// Every control that covers it passed for it.
    Verified,
    /// A control that covers it did not pass for it.
    Unverified,
    /// No enabled control covers it (a checksum list, a signature, an asset the
    /// policy's artifact globs leave out).
    NotCovered,
}

impl AssetStatus {
    /// Kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetStatus::Verified => "verified",
            AssetStatus::Unverified => "unverified",
            AssetStatus::NotCovered => "not-covered",
        }
    }
}

/// Which assets the policy covers.
pub struct Coverage {
    /// The provenance control is enabled.
    pub provenance: bool,
    /// The sbom control is enabled.
    pub sbom: bool,
    /// The vsa control is enabled.
    pub vsa: bool,
    /// The policy's `provenance.artifacts` globs, matched against asset names; empty:
    /// every artifact.
    pub artifacts: Vec<globset::GlobMatcher>,
}

impl Coverage {
    /// Whether the artifact `name` is one the policy is about.
    pub fn selects(&self, name: &str) -> bool {
        self.artifacts.is_empty() || self.artifacts.iter().any(|g| g.is_match(name))
    }
}

/// What was found in the folder for an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FoundFile {
    /// The source name the evidence knows it by (the path given to collection).
    pub source: String,
    /// sha256.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// Every asset's outcome. `evidence` is what the controls judged: an artifact's
/// digest there must be the one recorded for it, and an SBOM that states its subject's
/// sha256 must state the artifact's.
pub fn outcomes(
    record: &ReleaseRecord,
    found: &HashMap<String, FoundFile>,
    coverage: &Coverage,
    controls: &[ControlOutcome],
    evidence: &Evidence,
) -> ReleaseSummary {
    let control = |id: &str| controls.iter().find(|c| c.id == id);
    let provenance = control("provenance").filter(|_| coverage.provenance);
    let sbom_control = control("sbom").filter(|_| coverage.sbom);
    let vsa = control("vsa").filter(|_| coverage.vsa);
    let names: Vec<&str> = record.assets.iter().map(|a| a.name.as_str()).collect();
    let sboms: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| classify(n) == AssetKind::Sbom)
        .collect();
    let described_by = |artifact: &str| -> Vec<String> {
        sboms
            .iter()
            .filter(|s| describes(s, artifact, names.contains(&sbom_stem(s))))
            .map(|s| s.to_string())
            .collect()
    };
    let mut assets = Vec::with_capacity(record.assets.len());
    for listed in &record.assets {
        let kind = classify(&listed.name);
        let file = found.get(&listed.name);
        let mut judged = Judged::default();
        let mut bound = Vec::new();
        // The controls that cover it; only a required one can leave it unverified.
        let covering: Vec<&ControlOutcome> = match kind {
            AssetKind::Artifact if coverage.selects(&listed.name) => provenance
                .into_iter()
                .chain(sbom_control)
                .chain(vsa)
                .collect(),
            AssetKind::Attestation => provenance.into_iter().collect(),
            AssetKind::Sbom => sbom_control.into_iter().collect(),
            AssetKind::SpdxSbom => {
                judged
                    .notes
                    .push("SPDX SBOMs are not read by vouch (CycloneDX only)".to_string());
                Vec::new()
            }
            _ => Vec::new(),
        };
        let covered = covering.iter().any(|c| c.required);
        if !covering.is_empty() {
            match file {
                None => judged.reasons.push(
                    listed
                        .failed
                        .clone()
                        .unwrap_or_else(|| "not in the release folder".to_string()),
                ),
                Some(file) => {
                    stated_mismatch(listed, file, &mut judged.reasons);
                    match kind {
                        AssetKind::Artifact => {
                            if let Some(why) = judged_digest_differs(evidence, file) {
                                judged.reasons.push(why);
                            }
                            if let Some(p) = provenance {
                                judged.add(p, unlocated(p).chain(at(p, &file.source)), "");
                                if !judged.reasons.is_empty()
                                    && let Some(why) = lookup_failure(record, &listed.name)
                                {
                                    judged.reasons.push(why);
                                }
                            }
                            if let Some(v) = vsa {
                                judged.add(v, unlocated(v).chain(at(v, &file.source)), "");
                            }
                            if let Some(s) = sbom_control {
                                bound = described_by(&listed.name);
                                if bound.is_empty() {
                                    judged.add_reason(
                                        s,
                                        format!(
                                            "no SBOM among the assets describes it (expected {}.cdx.json)",
                                            listed.name
                                        ),
                                    );
                                }
                                judged.add(s, unlocated(s), "");
                                for sbom in &bound {
                                    let prefix = format!("SBOM {sbom}: ");
                                    match found.get(sbom) {
                                        None => judged.add_reason(
                                            s,
                                            format!("{prefix}not in the release folder"),
                                        ),
                                        Some(source) => {
                                            judged.add(s, at(s, &source.source), &prefix);
                                            if let Some(why) =
                                                subject_hash_differs(evidence, source, file)
                                            {
                                                judged.add_reason(s, format!("{prefix}{why}"));
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        AssetKind::Attestation => {
                            if let Some(p) = provenance {
                                judged.add(p, at(p, &file.source), "");
                            }
                        }
                        AssetKind::Sbom => {
                            if let Some(s) = sbom_control {
                                bound = names
                                    .iter()
                                    .filter(|a| {
                                        classify(a) == AssetKind::Artifact
                                            && describes(
                                                &listed.name,
                                                a,
                                                names.contains(&sbom_stem(&listed.name)),
                                            )
                                    })
                                    .map(|a| a.to_string())
                                    .collect();
                                if bound.is_empty() {
                                    judged.add_reason(
                                        s,
                                        format!(
                                            "describes no asset of the release (expected one named {})",
                                            sbom_stem(&listed.name)
                                        ),
                                    );
                                }
                                judged.add(s, unlocated(s).chain(at(s, &file.source)), "");
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        let Judged {
            mut reasons,
            mut notes,
        } = judged;
        reasons.dedup();
        notes.dedup();
        let status = if !covered {
            // What only an advisory control says is a note.
            notes.extend(reasons.drain(..).map(|r| format!("advisory: {r}")));
            AssetStatus::NotCovered
        } else if reasons.is_empty() {
            AssetStatus::Verified
        } else {
            AssetStatus::Unverified
        };
        assets.push(AssetOutcome {
            name: listed.name.clone(),
            kind,
            sha256: file.map(|f| f.sha256.clone()),
            size: file.map(|f| f.size),
            status,
            reasons,
            notes,
            sboms: bound,
        });
    }
    ReleaseSummary {
        repository: record.repository.clone(),
        tag: record.tag.clone(),
        assets,
    }
}

/// An asset's reasons (what leaves it unverified) and notes (waived findings, and what
/// advisory controls found), as the controls' findings are routed to them.
#[derive(Default)]
struct Judged {
    reasons: Vec<String>,
    notes: Vec<String>,
}

impl Judged {
    /// `findings` of `control`: a waived one is a note, an advisory control's blocking
    /// one too, a required control's a reason.
    fn add<'a>(
        &mut self,
        control: &ControlOutcome,
        findings: impl Iterator<Item = &'a Finding>,
        prefix: &str,
    ) {
        for f in findings {
            if !f.is_blocking() {
                self.notes.push(format!("{prefix}waived: {}", describe(f)));
            } else {
                self.add_reason(control, format!("{prefix}{}", describe(f)));
            }
        }
    }

    /// A reason of `control`'s making: a note when the control is advisory.
    fn add_reason(&mut self, control: &ControlOutcome, reason: String) {
        if control.required {
            self.reasons.push(reason);
        } else {
            self.notes
                .push(format!("advisory ({}): {reason}", control.id));
        }
    }
}

/// The digest the controls judged for the artifact file, when it is not the one
/// recorded for the asset (a saved run's listing edited apart from its evidence, or a
/// file changed between the two readings).
fn judged_digest_differs(evidence: &Evidence, file: &FoundFile) -> Option<String> {
    let judged = evidence
        .artifacts
        .iter()
        .find(|a| a.source == file.source)?;
    let digest = judged
        .observed
        .as_ref()
        .ok()
        .and_then(|d| d.digests.get("sha256"));
    match digest {
        Some(hex) if hex.eq_ignore_ascii_case(&file.sha256) => None,
        Some(hex) => Some(format!(
            "the controls judged sha256 {hex}, but the asset's is {}",
            file.sha256
        )),
        // Unreadable: the provenance control reports it at the artifact.
        None => None,
    }
}

/// When the SBOM states hashes of the component it describes (`metadata.component`),
/// one SHA-256 must be the artifact's: otherwise it is about other bytes.
fn subject_hash_differs(
    evidence: &Evidence,
    sbom: &FoundFile,
    artifact: &FoundFile,
) -> Option<String> {
    let doc = evidence.sbom.iter().find(|s| s.source == sbom.source)?;
    let component = doc.observed.as_ref().ok()?.metadata.component.as_ref()?;
    let stated: Vec<&str> = component
        .hashes()
        .iter()
        .filter(|h| h.alg.eq_ignore_ascii_case("SHA-256"))
        .map(|h| h.content.as_str())
        .collect();
    if stated.is_empty()
        || stated
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&artifact.sha256))
    {
        return None;
    }
    Some(format!(
        "metadata.component states SHA-256 {}, not the artifact's {}",
        stated.join(", "),
        artifact.sha256
    ))
}

/// The size or digest the forge states, against the bytes that were checked.
fn stated_mismatch(listed: &super::ListedAsset, file: &FoundFile, reasons: &mut Vec<String>) {
    if let Some(size) = listed.size
        && size != file.size
    {
        reasons.push(format!(
            "{} bytes, but the release states {size}",
            file.size
        ));
    }
    if let Some(digest) = &listed.digest {
        match digest.strip_prefix("sha256:") {
            Some(hex) if hex.eq_ignore_ascii_case(&file.sha256) => {}
            Some(hex) => reasons.push(format!(
                "sha256 {}, but the release states {hex}",
                file.sha256
            )),
            // Another algorithm: the sha256 is what the controls check.
            None => {}
        }
    }
}

/// Why the attestations API could not be asked about the asset, if so.
fn lookup_failure(record: &ReleaseRecord, asset: &str) -> Option<String> {
    record.lookups.iter().find_map(|l| match &l.outcome {
        LookupOutcome::Failed { detail } if l.asset == asset => {
            Some(format!("attestations API: {detail}"))
        }
        _ => None,
    })
}

/// Findings of `control` located nowhere (no attestation at all): they concern every
/// asset the control covers.
fn unlocated(control: &ControlOutcome) -> impl Iterator<Item = &Finding> {
    control.findings.iter().filter(|f| f.location.is_none())
}

/// Findings of `control` located at `source`.
fn at<'a>(control: &'a ControlOutcome, source: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
    control
        .findings
        .iter()
        .filter(move |f| f.location.as_ref().is_some_and(|l| l.path == source))
}

fn describe(f: &Finding) -> String {
    format!("{}: {}", f.code, f.message)
}
