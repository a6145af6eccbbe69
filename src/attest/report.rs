//! The detailed report predicate: everything the verdict rests on, signed next to the
//! VSA so that an auditor holds the "why" with the same signature as the "what".
//!
//! It carries the report document itself (every control with its status, findings and
//! per-change records, the waivers with owner and expiry, every input's sha256), the
//! protection settings as read from the forge (the control-state snapshot), and, when
//! the evidence was saved, the sha256 of `manifest.json` and `evidence.json`, which is
//! what lets `vouch evaluate DIR --attestation` refuse an edited directory.
//!
//! GitHub refuses a predicate over 16 MB. A report that large is made small by folding
//! long lists of findings of one code into their first entries plus a count and the
//! sha256 of the full list; a control's status, its codes and the number of its findings
//! are never changed, so no failure is dropped.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::evidence::Evidence;
use crate::report::Report;

/// The report predicate's type.
pub const REPORT_PREDICATE_V1: &str = "https://vouch.dev/attestation/report/v1";

/// Largest serialized predicate GitHub's attestation API takes.
pub const MAX_PREDICATE_BYTES: usize = 16 * 1024 * 1024;

/// Room left for the statement around the predicate (subjects, type URIs).
const STATEMENT_ROOM: usize = 512 * 1024;

/// The detailed report predicate.
#[derive(Debug, Clone, Serialize)]
pub struct ReportPredicate {
    /// The report document (`schemas/report.schema.json`), findings folded if need be.
    pub report: Report,
    /// The forge's protection settings as read, when the forge was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_state: Option<ControlState>,
    /// The saved evidence directory's digests, with `--evidence-out`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<SavedEvidence>,
    /// Finding lists folded to keep the predicate under 16 MB.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub folded: Vec<Folded>,
}

/// The protection settings as read (the control-state snapshot).
#[derive(Debug, Clone, Serialize)]
pub struct ControlState {
    /// `github`.
    pub forge: String,
    /// The repository.
    pub repository: String,
    /// Branch protection as read, or the gap that stopped the read (the evidence's
    /// `forge.protection`, `schemas/evidence.schema.json`).
    pub protection: serde_json::Value,
}

/// Digests of a saved evidence directory.
pub use crate::collect::record::SavedDigests as SavedEvidence;

/// A list of findings of one code folded to its first entries.
#[derive(Debug, Clone, Serialize)]
pub struct Folded {
    /// The control.
    pub control: String,
    /// The finding code.
    pub code: String,
    /// Findings of this code the control had.
    pub total: usize,
    /// Findings of this code kept in the report.
    pub kept: usize,
    /// sha256 of the JSON array of every finding of this code, as the unfolded report had it.
    pub sha256: String,
}

/// Why the report cannot be attested.
#[derive(Debug, thiserror::Error)]
#[error(
    "the detailed report is {bytes} bytes even with every finding list folded to one entry; GitHub takes at most {MAX_PREDICATE_BYTES}"
)]
pub struct TooLarge {
    /// Its size at the smallest fold.
    pub bytes: usize,
}

impl ReportPredicate {
    /// The predicate of a run, folded to fit under [`MAX_PREDICATE_BYTES`].
    pub fn new(
        report: &Report,
        evidence: &Evidence,
        saved: Option<SavedEvidence>,
    ) -> Result<Self, TooLarge> {
        Self::fitted(
            report,
            evidence,
            saved,
            MAX_PREDICATE_BYTES - STATEMENT_ROOM,
        )
    }

    fn fitted(
        report: &Report,
        evidence: &Evidence,
        saved: Option<SavedEvidence>,
        limit: usize,
    ) -> Result<Self, TooLarge> {
        let control_state = evidence.forge.as_ref().map(|forge| ControlState {
            forge: forge.forge.clone(),
            repository: forge.repository.clone(),
            protection: protection_value(forge),
        });
        let mut predicate = ReportPredicate {
            report: report.clone(),
            control_state,
            evidence: saved,
            folded: Vec::new(),
        };
        let mut size = predicate.size();
        if size <= limit {
            return Ok(predicate);
        }
        for keep in [1000, 100, 10, 1] {
            predicate.report = report.clone();
            predicate.folded = fold(&mut predicate.report, keep);
            size = predicate.size();
            if size <= limit {
                return Ok(predicate);
            }
        }
        Err(TooLarge { bytes: size })
    }

    fn size(&self) -> usize {
        let mut counter = ByteCounter(0);
        serde_json::to_writer(&mut counter, self).expect("a report serializes");
        counter.0
    }
}

fn protection_value(forge: &crate::evidence::forge::ForgeEvidence) -> serde_json::Value {
    // Serialized through the evidence's own form, so the snapshot reads as evidence.json does.
    serde_json::to_value(forge)
        .ok()
        .and_then(|mut v| v.get_mut("protection").map(serde_json::Value::take))
        .unwrap_or(serde_json::Value::Null)
}

/// Keeps the first `keep` findings of each code of each control; returns what was folded.
fn fold(report: &mut Report, keep: usize) -> Vec<Folded> {
    let mut folded = Vec::new();
    for control in &mut report.controls {
        let mut codes: Vec<String> = control
            .findings
            .iter()
            .map(|f| f.code.to_string())
            .collect();
        codes.sort();
        codes.dedup();
        for code in codes {
            let all: Vec<&crate::checks::Finding> =
                control.findings.iter().filter(|f| f.code == code).collect();
            if all.len() <= keep {
                continue;
            }
            let sha256 = hex::encode(Sha256::digest(
                serde_json::to_vec(&all).expect("findings serialize"),
            ));
            folded.push(Folded {
                control: control.id.clone(),
                code: code.clone(),
                total: all.len(),
                kept: keep,
                sha256,
            });
            let mut seen = 0;
            control.findings.retain(|f| {
                if f.code != code {
                    return true;
                }
                seen += 1;
                seen <= keep
            });
        }
    }
    folded
}

struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    fn evidence() -> Evidence {
        crate::collect::collect(
            &crate::collect::FileInputs::default(),
            crate::ci::CiContext::local(),
            time::macros::datetime!(2026-12-03 12:00 UTC),
        )
        .unwrap()
    }

    #[test]
    fn a_report_over_the_limit_is_folded_by_code_and_keeps_every_status_and_count() {
        let report = fixtures::report_with_many_findings(3000, 10);
        let full = ReportPredicate::fitted(&report, &evidence(), None, usize::MAX).unwrap();
        assert!(full.folded.is_empty());
        let limit = full.size() / 4;
        let folded = ReportPredicate::fitted(&report, &evidence(), None, limit).unwrap();
        assert!(folded.size() <= limit);
        assert!(!folded.folded.is_empty());
        for (before, after) in report.controls.iter().zip(&folded.report.controls) {
            assert_eq!(before.status, after.status, "{}", before.id);
            for entry in folded.folded.iter().filter(|f| f.control == before.id) {
                let total = before
                    .findings
                    .iter()
                    .filter(|f| f.code == entry.code)
                    .count();
                assert_eq!(entry.total, total);
                let kept = after
                    .findings
                    .iter()
                    .filter(|f| f.code == entry.code)
                    .count();
                assert_eq!(kept, entry.kept);
            }
            // Every code a control had is still there.
            let codes = |c: &crate::verdict::ControlOutcome| {
                let mut v: Vec<String> = c.findings.iter().map(|f| f.code.to_string()).collect();
                v.sort();
                v.dedup();
                v
            };
            assert_eq!(codes(before), codes(after));
        }
        assert!(matches!(
            ReportPredicate::fitted(&report, &evidence(), None, 10),
            Err(TooLarge { .. })
        ));
    }
}
