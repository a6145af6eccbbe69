//! Where the bytes of the inputs come from: the file system in a live run, or an
//! evidence directory when `vouch evaluate` re-derives the evidence from what a run
//! saved. Collection reads every input through an [`InputSource`], so both paths run
//! the same readers and reach the same evidence.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::input::{self, InputError};
use super::replay::Replayable;
use crate::evidence::provenance::ArtifactDigests;

/// The origin of input bytes.
#[derive(Debug, Clone, Default)]
pub enum InputSource {
    /// Read the paths as given, from the file system.
    #[default]
    Disk,
    /// Read what an earlier run saved: each path as it was given then, mapped to its
    /// stored copy (already checked against the manifest's sha256).
    Saved(SavedInputs),
}

/// The stored copies of an earlier run's inputs.
#[derive(Debug, Clone, Default)]
pub struct SavedInputs {
    /// Path as given in the original run -> stored file.
    pub files: HashMap<String, PathBuf>,
    /// Artifacts are hashed, not kept (they can be gigabytes): their digests as recorded.
    pub artifacts: HashMap<String, ArtifactDigests>,
    /// And their sizes as recorded.
    pub artifact_sizes: HashMap<String, u64>,
}

impl InputSource {
    /// The bytes of `path`.
    pub fn read(&self, path: &Path) -> Result<Vec<u8>, InputError> {
        match self {
            InputSource::Disk => input::read_file(path),
            InputSource::Saved(saved) => {
                let name = path.display().to_string();
                let stored = saved.files.get(&name).ok_or_else(|| {
                    InputError::Io(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("{name} is not among the saved inputs"),
                    ))
                })?;
                input::read_file(stored)
            }
        }
    }

    /// `path` to be read again on each pass of a reader, hashed once now
    /// ([`Replayable`]): for the inputs too large to hold while their model is built.
    pub fn replayable(&self, path: &Path) -> Result<Replayable, InputError> {
        match self {
            InputSource::Disk => Replayable::open(path),
            InputSource::Saved(saved) => {
                let name = path.display().to_string();
                let stored = saved.files.get(&name).ok_or_else(|| {
                    InputError::Io(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("{name} is not among the saved inputs"),
                    ))
                })?;
                Replayable::open(stored)
            }
        }
    }

    /// The recorded digests of an artifact, when re-deriving; `None` on disk (hash it).
    pub fn saved_artifact(&self, path: &Path) -> Option<Result<ArtifactDigests, InputError>> {
        match self {
            InputSource::Disk => None,
            InputSource::Saved(saved) => {
                let name = path.display().to_string();
                Some(saved.artifacts.get(&name).cloned().ok_or_else(|| {
                    InputError::Io(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("{name} is not among the recorded artifacts"),
                    ))
                }))
            }
        }
    }

    /// Whether `path` is an OCI image layout directory (a saved layout is recognised by
    /// its recorded `index.json`).
    pub fn is_oci_layout(&self, path: &Path) -> bool {
        match self {
            InputSource::Disk => super::files::oci::is_layout(path),
            InputSource::Saved(saved) => saved
                .files
                .contains_key(&path.join("index.json").display().to_string()),
        }
    }
}
