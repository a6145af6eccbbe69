//! Collection: reading the world into [`Evidence`].
//!
//! The only stage (with publishing) that does I/O. A file that cannot be *opened* is a
//! usage error (the run cannot start: exit 2); a file whose *content* is wrong becomes
//! a [`crate::evidence::Gap`] in the evidence, which its control turns into `error`.

pub mod files;
pub mod forge;
pub mod git;
pub mod input;
pub mod record;
pub mod release;
pub mod replay;
pub mod source;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::ci::CiContext;
use crate::evidence::{EVIDENCE_FORMAT_VERSION, Evidence, InputFile, InputRole, Sourced, ToolInfo};
use crate::report::escape;
use crate::verify::artifact::Artifact;
use crate::verify::provenance::ProvenanceSigner;
use crate::verify::trust_root::TrustedRoot;

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
    /// `--artifact` files (and the policy's `provenance.artifacts` matches).
    pub artifact: Vec<PathBuf>,
    /// `--attestation` files (and the policy's `provenance.attestations` matches).
    pub attestation: Vec<PathBuf>,
    /// Whom attestation signatures are accepted from (issuers, identities, extensions;
    /// the keys come from `key_files`).
    pub attestation_signers: ProvenanceSigner,
    /// PEM public keys that vouch for key-signed attestations (`provenance.keys`).
    pub key_files: Vec<PathBuf>,
    /// The Sigstore trusted root (`--trusted-root`); `None`: the embedded public-good root.
    pub trusted_root: Option<PathBuf>,
    /// Where the bytes come from: the file system, or a saved evidence directory.
    pub source: source::InputSource,
}

/// An input named on the command line could not be read.
///
/// The I/O error is part of the message, not a `source`: error chains print every
/// source after the message, and the OS error would appear twice.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot read {role} input: {error}")]
pub struct UnreadableInput {
    /// The path given.
    pub path: String,
    /// The flag it was given with.
    pub role: &'static str,
    /// Why: the I/O error, not a regular file, or over the size limit.
    pub error: std::io::Error,
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
        artifacts: Vec::new(),
        attestations: Vec::new(),
        forge: None,
        git: None,
    };
    collect_provenance(inputs, &mut evidence)?;
    for path in &inputs.sarif {
        let (name, bytes) =
            read_input(&inputs.source, path, InputRole::Sarif, &mut evidence.inputs)?;
        let observed = files::json::reject_duplicate_keys(&name, &bytes)
            .and_then(|()| files::sarif::read_sast_owned(&name, bytes));
        log_observed(&name, &observed);
        evidence.sast.push(Sourced {
            source: name,
            observed,
        });
    }
    for path in &inputs.sca {
        let (name, bytes) = read_input(&inputs.source, path, InputRole::Sca, &mut evidence.inputs)?;
        let observed = unambiguous(&name, &bytes, files::sca::read_sca);
        log_observed(&name, &observed);
        evidence.sca.push(Sourced {
            source: name,
            observed,
        });
    }
    for path in &inputs.vex {
        let (name, bytes) = read_input(&inputs.source, path, InputRole::Vex, &mut evidence.inputs)?;
        let observed = files::json::reject_duplicate_keys(&name, &bytes)
            .and_then(|()| files::vex::read_vex_owned(&name, bytes));
        log_observed(&name, &observed);
        evidence.vex.push(Sourced {
            source: name,
            observed,
        });
    }
    // SBOMs and lockfiles are parsed at the same time (a big SBOM and its lockfile
    // are the two largest inputs of a release check); inputs keep their order.
    // SBOMs are read from their files pass by pass, not held: for an SBOM of small
    // components the text would be a quarter of the peak.
    let mut sboms = Vec::with_capacity(inputs.sbom.len());
    for path in &inputs.sbom {
        sboms.push(replayable_input(
            &inputs.source,
            path,
            InputRole::Sbom,
            &mut evidence.inputs,
        )?);
    }
    let mut locks = Vec::with_capacity(inputs.lockfile.len());
    for path in &inputs.lockfile {
        locks.push(read_input(
            &inputs.source,
            path,
            InputRole::Lockfile,
            &mut evidence.inputs,
        )?);
    }
    let (sbom, lockfiles) = std::thread::scope(|scope| {
        let lock_pass = scope.spawn(|| {
            locks
                .iter()
                .map(|(name, bytes)| {
                    let observed = unambiguous(name, bytes, files::lockfile::read);
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
            .map(|(name, text)| {
                let observed = files::json::reject_duplicate_keys_in(name, text)
                    .and_then(|()| files::sbom::read_text(name, text));
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

/// The files matching globs (relative to the working directory; `**` crosses
/// directories), sorted, each once; an OCI image layout directory counts as one file (it
/// holds attachments). Each glob must match something: a release check must not pass
/// because a path pattern went stale. Absolute patterns and `..` are refused, symlinked
/// files are followed, symlinked directories are not (no loops), and a directory that
/// cannot be read is an error, not a silent gap.
pub fn expand_globs(
    patterns: &[crate::policy::sections::GlobPattern],
    role: &'static str,
) -> Result<Vec<PathBuf>, UnreadableInput> {
    let refuse = |path: &str, why: String| UnreadableInput {
        path: path.to_string(),
        role,
        error: std::io::Error::new(std::io::ErrorKind::InvalidInput, why),
    };
    let mut found = std::collections::BTreeSet::new();
    for pattern in patterns {
        let text = pattern.as_str().trim_start_matches("./");
        let path = Path::new(text);
        if path.is_absolute()
            || path
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(refuse(
                text,
                "a glob must be relative to the working directory, without `..`".into(),
            ));
        }
        let matcher = crate::policy::sections::GlobPattern(text.to_string()).matcher();
        // Walk from the longest directory prefix without glob characters.
        let literal: PathBuf = path
            .components()
            .take_while(|c| {
                !c.as_os_str()
                    .to_string_lossy()
                    .contains(['*', '?', '[', '{'])
            })
            .collect();
        let start = if literal.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            literal
        };
        let mut matched = Vec::new();
        if start.as_os_str() == text || !start.is_dir() {
            if start.is_file() || files::oci::is_layout(&start) {
                matched.push(start);
            }
        } else {
            walk(&start, &mut |candidate| {
                let relative = candidate.strip_prefix(".").unwrap_or(candidate);
                if matcher.is_match(relative) {
                    matched.push(relative.to_path_buf());
                }
            })
            .map_err(|e| refuse(text, e.to_string()))?;
        }
        if matched.is_empty() {
            return Err(UnreadableInput {
                path: text.to_string(),
                role,
                error: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the glob matches no file",
                ),
            });
        }
        found.extend(matched);
    }
    Ok(found.into_iter().collect())
}

/// Visits every file below `dir` (and every OCI layout directory, without entering it).
fn walk(dir: &Path, visit: &mut dyn FnMut(&Path)) -> std::io::Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    for entry in entries {
        let path = entry?.path();
        let link = std::fs::symlink_metadata(&path)?;
        if link.is_dir() {
            if files::oci::is_layout(&path) {
                visit(&path);
            } else {
                walk(&path, visit)?;
            }
        } else if std::fs::metadata(&path).is_ok_and(|target| target.is_file()) {
            visit(&path);
        }
    }
    Ok(())
}

/// Hashes the artifacts and verifies the attestation files.
fn collect_provenance(inputs: &FileInputs, evidence: &mut Evidence) -> Result<(), UnreadableInput> {
    for path in &inputs.artifact {
        let name = path.display().to_string();
        let unreadable = |error: std::io::Error| UnreadableInput {
            path: name.clone(),
            role: "--artifact",
            error,
        };
        let (digests, size) = match inputs.source.saved_artifact(path) {
            Some(saved) => {
                let digests = saved.map_err(|e| unreadable(e.into()))?;
                (digests, saved_artifact_size(inputs, &name))
            }
            None => {
                // Hashed in one streaming pass (release artifacts can be large), not read whole.
                let artifact = Artifact::from_file(path)
                    .map_err(|e| unreadable(std::io::Error::other(e.message)))?;
                let size = std::fs::metadata(path).ok().map(|m| m.len());
                (files::attestation::artifact_digests(&artifact), size)
            }
        };
        evidence.inputs.push(InputFile {
            path: name.clone(),
            role: InputRole::Artifact,
            sha256: digests.digests.get("sha256").cloned(),
            size,
        });
        evidence.artifacts.push(Sourced {
            source: name,
            observed: Ok(digests),
        });
    }
    if inputs.attestation.is_empty() {
        return Ok(());
    }
    let mut signers = inputs.attestation_signers.clone();
    for path in &inputs.key_files {
        let (name, bytes) = read_input(&inputs.source, path, InputRole::Key, &mut evidence.inputs)?;
        let key = std::str::from_utf8(&bytes)
            .map_err(|_| "not UTF-8 PEM text".to_string())
            .and_then(|pem| {
                crate::verify::keys::PublicKey::from_pem(pem).map_err(|e| e.to_string())
            })
            .map_err(|e| UnreadableInput {
                path: name.clone(),
                role: InputRole::Key.flag(),
                error: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            })?;
        signers.keys.push(key);
    }
    let custom_root = match &inputs.trusted_root {
        Some(path) => {
            let (name, bytes) = read_input(
                &inputs.source,
                path,
                InputRole::TrustedRoot,
                &mut evidence.inputs,
            )?;
            let root = files::json::reject_duplicate_keys(&name, &bytes)
                .map_err(|gap| gap.detail)
                .and_then(|()| TrustedRoot::from_json(&bytes).map_err(|e| e.message))
                .map_err(|e| UnreadableInput {
                    path: name.clone(),
                    role: InputRole::TrustedRoot.flag(),
                    error: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                })?;
            Some(root)
        }
        None => None,
    };
    let public_good;
    let root = match &custom_root {
        Some(root) => root,
        None => {
            public_good = TrustedRoot::public_good().map_err(|e| UnreadableInput {
                path: "embedded trusted root".into(),
                role: "--trusted-root",
                error: std::io::Error::other(e.message),
            })?;
            &public_good
        }
    };
    for path in &inputs.attestation {
        let (name, observed) = if inputs.source.is_oci_layout(path) {
            // Every file of the layout that is read (index.json, manifests, envelopes) is
            // a recorded input, so a re-performance reads the same blobs.
            let name = path.join("index.json").display().to_string();
            let mut read_files = Vec::new();
            let observed = files::oci::read_layout_attestations(path, &mut |file| {
                let bytes = inputs
                    .source
                    .read(file)
                    .map_err(|e| format!("{}: {e}", file.display()))?;
                read_files.push(InputFile {
                    path: file.display().to_string(),
                    role: InputRole::Attestation,
                    sha256: Some(sha256_hex(&bytes)),
                    size: Some(bytes.len() as u64),
                });
                Ok(bytes)
            })
            .map_err(|e| crate::evidence::Gap::new(crate::evidence::GapKind::Malformed, &name, e))
            .map(|documents| files::attestation::verify_documents(&documents, &signers, root));
            if read_files.is_empty() {
                return Err(UnreadableInput {
                    path: name,
                    role: InputRole::Attestation.flag(),
                    error: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "the OCI layout's index.json cannot be read",
                    ),
                });
            }
            evidence.inputs.extend(read_files);
            (name, observed)
        } else {
            let (name, bytes) = read_input(
                &inputs.source,
                path,
                InputRole::Attestation,
                &mut evidence.inputs,
            )?;
            let observed = unambiguous(&name, &bytes, |name, bytes| {
                files::attestation::read_attestation_file(name, bytes, &signers, root)
            });
            (name, observed)
        };
        log_observed(&name, &observed);
        evidence.attestations.push(Sourced {
            source: name,
            observed,
        });
    }
    Ok(())
}

fn read_input(
    source: &source::InputSource,
    path: &Path,
    role: InputRole,
    inputs: &mut Vec<InputFile>,
) -> Result<(String, Vec<u8>), UnreadableInput> {
    let name = path.display().to_string();
    let bytes = source.read(path).map_err(|e| UnreadableInput {
        path: name.clone(),
        role: role.flag(),
        error: e.into(),
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

/// [`read_input`] for an input read again on each pass of its reader: hashed and
/// recorded now, its bytes not kept.
fn replayable_input(
    source: &source::InputSource,
    path: &Path,
    role: InputRole,
    inputs: &mut Vec<InputFile>,
) -> Result<(String, replay::Replayable), UnreadableInput> {
    let name = path.display().to_string();
    let text = source.replayable(path).map_err(|e| UnreadableInput {
        path: name.clone(),
        role: role.flag(),
        error: e.into(),
    })?;
    tracing::debug!(path = %name, role = ?role, bytes = text.size(), "hashed input");
    inputs.push(InputFile {
        path: name.clone(),
        role,
        sha256: Some(text.sha256_hex()),
        size: Some(text.size()),
    });
    Ok((name, text))
}

/// The size recorded for a saved artifact (its bytes are not kept).
fn saved_artifact_size(inputs: &FileInputs, name: &str) -> Option<u64> {
    match &inputs.source {
        source::InputSource::Saved(saved) => saved.artifact_sizes.get(name).copied(),
        source::InputSource::Disk => None,
    }
}

/// Runs `reader` on an input once it is known not to repeat a JSON key (inputs that
/// are not JSON pass through: their readers have their own rules).
fn unambiguous<T>(
    name: &str,
    bytes: &[u8],
    reader: impl FnOnce(&str, &[u8]) -> crate::evidence::Observed<T>,
) -> crate::evidence::Observed<T> {
    files::json::reject_duplicate_keys(name, bytes)?;
    reader(name, bytes)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::sections::GlobPattern;

    #[test]
    fn globs_stay_below_the_working_directory_and_every_one_must_match() {
        let refused = |pattern: &str| expand_globs(&[GlobPattern(pattern.into())], "test").is_err();
        assert!(refused("/etc/*"));
        assert!(refused("../*"));
        assert!(refused("no-such-directory/*.tgz"));
        // `./src/*.rs` and `src/*.rs` mean the same files (the crate's own sources).
        let dotted = expand_globs(&[GlobPattern("./src/*.rs".into())], "test").unwrap();
        let plain = expand_globs(&[GlobPattern("src/*.rs".into())], "test").unwrap();
        assert_eq!(dotted, plain);
        assert!(plain.iter().any(|p| p == Path::new("src/lib.rs")));
        // A pattern whose files another pattern already found still counts as matching.
        assert!(
            expand_globs(
                &[
                    GlobPattern("src/*.rs".into()),
                    GlobPattern("src/lib.rs".into())
                ],
                "test"
            )
            .is_ok()
        );
    }
}
