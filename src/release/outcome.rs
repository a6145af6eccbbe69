//! Where each asset of a release stands after the controls ran: `verified`,
//! `unverified` with the reasons, or `not-covered` by the policy.
//!
//! An asset is judged by the findings located at it (the provenance control locates
//! each artifact's finding at the artifact, a rejected attestation at its file, an SBOM
//! problem at the SBOM) and by the controls' findings located nowhere (no attestation
//! at all), which concern every asset the control covers. An SBOM counts for the
//! artifact it is named for; an artifact the sbom control covers needs one.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{AssetKind, LookupOutcome, ReleaseRecord, classify, describes, sbom_stem};
use crate::checks::Finding;
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
    /// Why it is unverified or not covered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
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

/// Every asset's outcome.
pub fn outcomes(
    record: &ReleaseRecord,
    found: &HashMap<String, FoundFile>,
    coverage: &Coverage,
    controls: &[ControlOutcome],
) -> ReleaseSummary {
    let control = |id: &str| controls.iter().find(|c| c.id == id);
    let provenance = control("provenance").filter(|_| coverage.provenance);
    let sbom_control = control("sbom").filter(|_| coverage.sbom);
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
        let mut reasons = Vec::new();
        let mut bound = Vec::new();
        let covered = match kind {
            AssetKind::Artifact => {
                coverage.selects(&listed.name) && (provenance.is_some() || sbom_control.is_some())
            }
            AssetKind::Attestation => provenance.is_some(),
            AssetKind::Sbom => sbom_control.is_some(),
            AssetKind::SpdxSbom => {
                reasons.push("SPDX SBOMs are not read by vouch (CycloneDX only)".to_string());
                false
            }
            AssetKind::Checksums | AssetKind::Signature => false,
        };
        if covered {
            match file {
                None => reasons.push(
                    listed
                        .failed
                        .clone()
                        .unwrap_or_else(|| "not in the release folder".to_string()),
                ),
                Some(file) => {
                    stated_mismatch(listed, file, &mut reasons);
                    match kind {
                        AssetKind::Artifact => {
                            if let Some(p) = provenance {
                                reasons.extend(blocking(p, &file.source));
                                if !reasons.is_empty()
                                    && let Some(why) = lookup_failure(record, &listed.name)
                                {
                                    reasons.push(why);
                                }
                            }
                            if let Some(s) = sbom_control {
                                bound = described_by(&listed.name);
                                if bound.is_empty() {
                                    reasons.push(format!(
                                        "no SBOM among the assets describes it (expected {}.cdx.json)",
                                        listed.name
                                    ));
                                }
                                reasons.extend(blocking(s, ""));
                                for sbom in &bound {
                                    let source = found.get(sbom).map(|f| f.source.as_str());
                                    match source {
                                        None => reasons.push(format!(
                                            "SBOM {sbom}: not in the release folder"
                                        )),
                                        Some(source) => reasons.extend(
                                            located(s, source)
                                                .map(|why| format!("SBOM {sbom}: {why}")),
                                        ),
                                    }
                                }
                            }
                        }
                        AssetKind::Attestation => {
                            reasons.extend(located(provenance.expect("covered"), &file.source));
                        }
                        AssetKind::Sbom => {
                            let s = sbom_control.expect("covered");
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
                                reasons.push(format!(
                                    "describes no asset of the release (expected one named {})",
                                    sbom_stem(&listed.name)
                                ));
                            }
                            reasons.extend(blocking(s, &file.source));
                        }
                        _ => {}
                    }
                }
            }
        }
        reasons.dedup();
        let status = if !covered {
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
            sboms: bound,
        });
    }
    ReleaseSummary {
        repository: record.repository.clone(),
        tag: record.tag.clone(),
        assets,
    }
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

/// Blocking findings of `control` located at `source` (and, for a non-empty `source`,
/// those located nowhere, which concern everything the control covers).
fn blocking(control: &ControlOutcome, source: &str) -> Vec<String> {
    let mut reasons: Vec<String> = control
        .findings
        .iter()
        .filter(|f| f.is_blocking() && f.location.is_none())
        .map(describe)
        .collect();
    if !source.is_empty() {
        reasons.extend(located(control, source));
    }
    reasons
}

/// Blocking findings of `control` located at `source`.
fn located<'a>(control: &'a ControlOutcome, source: &'a str) -> impl Iterator<Item = String> + 'a {
    control
        .findings
        .iter()
        .filter(move |f| f.is_blocking() && f.location.as_ref().is_some_and(|l| l.path == source))
        .map(describe)
}

fn describe(f: &Finding) -> String {
    format!("{}: {}", f.code, f.message)
}
