//! Lockfile readers: the exact packages a build resolved, for checking an SBOM's
//! completeness (`Cargo.lock`, `cargo metadata` output, `package-lock.json`). Each format is one module with a [`LockfileFormat`] and one line in
//! [`FORMATS`]; a third format is one more reader.

mod cargo;
mod cargo_metadata;
mod npm;

use crate::evidence::sbom::Lockfile;
use crate::evidence::{Gap, GapKind};

/// One lockfile format.
pub trait LockfileFormat: Sync {
    /// Short name (`cargo`), also [`Lockfile::kind`].
    fn kind(&self) -> &'static str;
    /// Whether `file_name` and `bytes` look like this format.
    fn detect(&self, file_name: &str, bytes: &[u8]) -> bool;
    /// Reads the locked packages.
    fn read(&self, source: &str, bytes: &[u8]) -> Result<Lockfile, Gap>;
}

/// Every supported format, tried in order.
pub static FORMATS: &[&dyn LockfileFormat] = &[
    &cargo::CargoLock,
    &cargo_metadata::CargoMetadata,
    &npm::PackageLock,
];

/// Reads a lockfile of any supported format.
pub fn read(source: &str, bytes: &[u8]) -> Result<Lockfile, Gap> {
    let file_name = std::path::Path::new(source)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(source);
    FORMATS
        .iter()
        .find(|f| f.detect(file_name, bytes))
        .ok_or_else(|| {
            Gap::new(
                GapKind::Malformed,
                source,
                format!(
                    "not a lockfile vouch reads ({})",
                    FORMATS
                        .iter()
                        .map(|f| f.kind())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?
        .read(source, bytes)
}
