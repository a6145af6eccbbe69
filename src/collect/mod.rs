//! Collection: reading the world into [`Evidence`].
//!
//! The only stage (with publishing) that does I/O. A file that cannot be *opened* is a
//! usage error (the run cannot start: exit 2); a file whose *content* is wrong becomes
//! a [`crate::evidence::Gap`] in the evidence, which its control turns into `error`.

pub mod files;
pub mod forge;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::ci::CiContext;
use crate::evidence::{EVIDENCE_FORMAT_VERSION, Evidence, InputFile, InputRole, Sourced, ToolInfo};
use crate::report::escape;

/// The local files a run reads.
#[derive(Debug, Clone, Default)]
pub struct FileInputs {
    /// `--sarif` files (SARIF 2.1.0 or GitLab SAST reports).
    pub sarif: Vec<PathBuf>,
    /// `--sca` files (dependency-scanner reports).
    pub sca: Vec<PathBuf>,
    /// `--vex` files (OpenVEX or CycloneDX VEX).
    pub vex: Vec<PathBuf>,
    /// `--sbom` files (CycloneDX JSON or XML).
    pub sbom: Vec<PathBuf>,
    /// `--lockfile` files (`Cargo.lock`, `package-lock.json`).
    pub lockfile: Vec<PathBuf>,
}

/// An input named on the command line could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot read {role} input: {source}")]
pub struct UnreadableInput {
    /// The path given.
    pub path: String,
    /// The flag it was given with.
    pub role: &'static str,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// Reads every input and assembles the evidence.
pub fn collect(
    inputs: &FileInputs,
    context: CiContext,
    now: OffsetDateTime,
) -> Result<Evidence, UnreadableInput> {
    let mut evidence = Evidence {
        format_version: EVIDENCE_FORMAT_VERSION,
        collected_at: now,
        tool: ToolInfo::current(),
        context,
        inputs: Vec::new(),
        sast: Vec::new(),
        sca: Vec::new(),
        vex: Vec::new(),
        sbom: Vec::new(),
        lockfiles: Vec::new(),
        expected_subject: None,
        forge: None,
    };
    for path in &inputs.sarif {
        let (name, bytes) = read_input(path, InputRole::Sarif, &mut evidence.inputs)?;
        let observed = files::sarif::read_sast(&name, &bytes);
        log_observed(&name, &observed);
        evidence.sast.push(Sourced {
            source: name,
            observed,
        });
    }
    for path in &inputs.sca {
        let (name, bytes) = read_input(path, InputRole::Sca, &mut evidence.inputs)?;
        let observed = files::sca::read_sca(&name, &bytes);
        log_observed(&name, &observed);
        evidence.sca.push(Sourced {
            source: name,
            observed,
        });
    }
    for path in &inputs.vex {
        let (name, bytes) = read_input(path, InputRole::Vex, &mut evidence.inputs)?;
        let observed = files::vex::read_vex(&name, &bytes);
        log_observed(&name, &observed);
        evidence.vex.push(Sourced {
            source: name,
            observed,
        });
    }
    // SBOMs and lockfiles are parsed at the same time (a big SBOM and its lockfile
    // are the two largest inputs of a release check); inputs keep their order.
    let mut sboms = Vec::with_capacity(inputs.sbom.len());
    for path in &inputs.sbom {
        sboms.push(read_input(path, InputRole::Sbom, &mut evidence.inputs)?);
    }
    let mut locks = Vec::with_capacity(inputs.lockfile.len());
    for path in &inputs.lockfile {
        locks.push(read_input(path, InputRole::Lockfile, &mut evidence.inputs)?);
    }
    let (sbom, lockfiles) = std::thread::scope(|scope| {
        let lock_pass = scope.spawn(|| {
            locks
                .iter()
                .map(|(name, bytes)| {
                    let observed = files::lockfile::read(name, bytes);
                    log_observed(name, &observed);
                    Sourced {
                        source: name.clone(),
                        observed,
                    }
                })
                .collect::<Vec<_>>()
        });
        let sbom: Vec<_> = sboms
            .iter()
            .map(|(name, bytes)| {
                let observed = files::sbom::read(name, bytes);
                log_observed(name, &observed);
                Sourced {
                    source: name.clone(),
                    observed,
                }
            })
            .collect();
        (sbom, lock_pass.join())
    });
    evidence.sbom = sbom;
    evidence.lockfiles = lockfiles.unwrap_or_else(|_| {
        locks
            .iter()
            .map(|(name, _)| Sourced {
                source: name.clone(),
                observed: Err(crate::evidence::Gap::new(
                    crate::evidence::GapKind::Malformed,
                    name,
                    "the lockfile reader failed unexpectedly",
                )),
            })
            .collect()
    });
    Ok(evidence)
}

fn read_input(
    path: &Path,
    role: InputRole,
    inputs: &mut Vec<InputFile>,
) -> Result<(String, Vec<u8>), UnreadableInput> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| UnreadableInput {
        path: name.clone(),
        role: match role {
            InputRole::Sarif => "--sarif",
            InputRole::Sca => "--sca",
            InputRole::Vex => "--vex",
            InputRole::Sbom => "--sbom",
            InputRole::Lockfile => "--lockfile",
        },
        source,
    })?;
    tracing::debug!(path = %name, role = ?role, bytes = bytes.len(), "read input");
    inputs.push(InputFile {
        path: name.clone(),
        role,
        sha256: Some(sha256_hex(&bytes)),
        size: Some(bytes.len() as u64),
    });
    Ok((name, bytes))
}

fn log_observed<T>(name: &str, observed: &crate::evidence::Observed<T>) {
    match observed {
        Ok(_) => tracing::debug!(path = %name, "parsed"),
        // Gap details can quote the file's content: escaped like any untrusted text.
        Err(gap) => {
            tracing::debug!(path = %name, kind = ?gap.kind, detail = %escape::terminal(&gap.detail), "evidence gap")
        }
    }
}

/// Lower-case hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
