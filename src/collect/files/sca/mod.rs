//! SCA report readers (being written on the sca-readers branch).
use crate::evidence::{Gap, GapKind, ScaReport};
/// Reads a scanner report.
pub fn read_sca(source: &str, _bytes: &[u8]) -> Result<ScaReport, Gap> {
    Err(Gap::new(
        GapKind::Unsupported,
        source,
        "SCA readers not merged yet",
    ))
}
