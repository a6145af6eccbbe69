//! The evidence directory (`--evidence-out DIR`): everything a run read, kept so that
//! `vouch evaluate DIR` derives the evidence again instead of believing it.
//!
//! Layout:
//!
//! ```text
//! DIR/manifest.json             what follows, each file with its sha256; the run's parameters
//! DIR/evidence.json             the evidence as derived (for reading; never trusted alone)
//! DIR/policy.yaml               the policy as used, byte for byte
//! DIR/forge-transcript.json     every forge request and its answer (when a forge was read)
//! DIR/git-transcript.json       every git command run on the clone and its answer (when one was)
//! DIR/inputs/<sha256>           each input file's bytes, named by their digest
//! ```
//!
//! Artifacts are recorded by digest only: they can be gigabytes, and what the evidence
//! holds of them is their digests. [`load`] refuses a directory whose files do not match
//! the manifest; the caller then re-derives the evidence from the saved inputs and
//! refuses an `evidence.json` that disagrees with it. The manifest is not signed yet
//! (that comes with the attestation work), so it binds the files to each other, not to
//! the run.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::forge::ForgeRequest;
use super::forge::transcript::Transcript;
use super::git::runner::GitTranscript;
use super::source::{InputSource, SavedInputs};
use crate::ci::CiContext;
use crate::evidence::provenance::ArtifactDigests;
use crate::evidence::sbom::ExpectedSubject;
use crate::evidence::{Evidence, InputRole, ToolInfo};

/// Layout version of the evidence directory.
pub const MANIFEST_VERSION: u32 = 1;
/// The manifest.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The evidence as derived.
pub const EVIDENCE_FILE: &str = "evidence.json";
/// The policy as used.
pub const POLICY_FILE: &str = "policy.yaml";
/// The forge transcript.
pub const TRANSCRIPT_FILE: &str = "forge-transcript.json";
/// The git transcript.
pub const GIT_TRANSCRIPT_FILE: &str = "git-transcript.json";
/// The saved input files.
pub const INPUTS_DIR: &str = "inputs";

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`].
    pub manifest_version: u32,
    /// The vouch that wrote it; another version may derive other evidence.
    pub tool: ToolInfo,
    /// The run time: "now" for every time-dependent decision (exception expiry).
    #[serde(with = "time::serde::rfc3339")]
    pub collected_at: OffsetDateTime,
    /// What the run was asked to do, beyond the files.
    pub run: RunRecord,
    /// Every file of the directory but the manifest, with its digest.
    pub files: Vec<RecordedFile>,
    /// Artifacts, by digest (their bytes are not kept).
    #[serde(default)]
    pub artifacts: Vec<RecordedArtifact>,
}

/// The parameters of a run that are not files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    /// Where the run happened (as detected, with `--repo`/`--commit`/`--branch`).
    pub context: CiContext,
    /// What the SBOMs had to be about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_subject: Option<ExpectedSubject>,
    /// The inputs by role, as given, in the order they were read.
    pub inputs: InputPaths,
    /// The forge read, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forge: Option<ForgeRun>,
    /// The clone read for the reviewed-tree rule, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitRun>,
    /// The release verified, for `vouch release verify`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<ReleaseRun>,
}

/// The release part of a run: its listing and the API's answers, and every asset file
/// found with its digest (the assets that are no input are known by these alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRun {
    /// The listing.
    pub record: crate::release::ReleaseRecord,
    /// Each asset file found, by name.
    pub found: Vec<(String, crate::release::outcome::FoundFile)>,
}

/// The clone part of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitRun {
    /// The clone, as given.
    pub git_dir: String,
    /// Whether it was named with `--git-dir` (else the working directory was tried).
    pub explicit: bool,
}

/// The transcripts a run keeps.
#[derive(Debug, Clone, Copy, Default)]
pub struct Transcripts<'a> {
    /// The forge's answers.
    pub forge: Option<&'a Transcript>,
    /// The clone's answers.
    pub git: Option<&'a GitTranscript>,
}

/// Input paths by role, as the run was given them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputPaths {
    /// `--sarif`
    #[serde(default)]
    pub sarif: Vec<String>,
    /// `--sca`
    #[serde(default)]
    pub sca: Vec<String>,
    /// `--vex`
    #[serde(default)]
    pub vex: Vec<String>,
    /// `--sbom`
    #[serde(default)]
    pub sbom: Vec<String>,
    /// `--lockfile`
    #[serde(default)]
    pub lockfile: Vec<String>,
    /// `--artifact` and the policy's artifact globs
    #[serde(default)]
    pub artifact: Vec<String>,
    /// `--attestation` and the policy's attestation globs
    #[serde(default)]
    pub attestation: Vec<String>,
    /// `provenance.keys`
    #[serde(default)]
    pub keys: Vec<String>,
    /// `--trusted-root`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_root: Option<String>,
}

/// The forge part of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForgeRun {
    /// `github`.
    pub kind: String,
    /// REST base URL.
    pub api_url: String,
    /// GraphQL endpoint.
    pub graphql_url: String,
    /// `owner/name`.
    pub repository: String,
    /// What was read.
    pub request: ForgeRequest,
}

/// A file of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedFile {
    /// Path inside the directory (`inputs/<sha256>`, `evidence.json`).
    pub path: String,
    /// For a saved input: its path as the run was given it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// For a saved input: what it was given as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<InputRole>,
    /// Lower-case hex sha256 of its bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// An artifact, recorded by digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedArtifact {
    /// Its path as given.
    pub path: String,
    /// `sha256`, `sha384`, `sha512` to hex.
    pub digests: BTreeMap<String, String>,
    /// Size in bytes, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// Why a directory could not be written or is not to be trusted.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RecordError {
    /// The file at fault.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn fail(path: &Path, message: impl Into<String>) -> RecordError {
    RecordError {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// Writes the evidence directory of a run: copies each input (checking it is still
/// the file that was read), then the transcript, evidence and policy, then the
/// manifest of them all.
///
/// `secrets` are the tokens of the run: an input that contains one (in any of its
/// forms) is not saved, since the copy would carry the token; the run stops instead.
pub fn save(
    dir: &Path,
    evidence: &Evidence,
    policy: &[u8],
    run: RunRecord,
    transcripts: Transcripts<'_>,
    secrets: &[&str],
) -> Result<SavedDigests, RecordError> {
    let forms: Vec<String> = secrets
        .iter()
        .flat_map(|s| crate::evidence::secret_forms(s))
        .collect();
    // A new or empty directory only, every file created anew: an existing file, or a
    // symlink planted where a file will go (a checkout can carry one), is never
    // written through.
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(fail(dir, "is a symlink; give a new or empty directory"));
    }
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, format!("cannot create: {e}")))?;
    if std::fs::read_dir(dir)
        .map_err(|e| fail(dir, e.to_string()))?
        .next()
        .is_some()
    {
        return Err(fail(
            dir,
            "is not empty; give a new or empty directory for the evidence",
        ));
    }
    let inputs_dir = dir.join(INPUTS_DIR);
    std::fs::create_dir(&inputs_dir)
        .map_err(|e| fail(&inputs_dir, format!("cannot create: {e}")))?;
    let mut files = Vec::new();
    let mut artifacts = Vec::new();
    let mut stored: HashMap<String, ()> = HashMap::new();
    for input in &evidence.inputs {
        if input.role == InputRole::Artifact {
            let digests = evidence
                .artifacts
                .iter()
                .find(|a| a.source == input.path)
                .and_then(|a| a.observed.as_ref().ok())
                .map(|d| d.digests.clone())
                .unwrap_or_default();
            artifacts.push(RecordedArtifact {
                path: input.path.clone(),
                digests,
                size: input.size,
            });
            continue;
        }
        let Some(sha256) = &input.sha256 else {
            continue;
        };
        let relative = format!("{INPUTS_DIR}/{sha256}");
        if stored.insert(sha256.clone(), ()).is_none() {
            copy_checked(Path::new(&input.path), &dir.join(&relative), sha256, &forms)?;
        }
        files.push(RecordedFile {
            path: relative,
            input: Some(input.path.clone()),
            role: Some(input.role),
            sha256: sha256.clone(),
            size: input.size.unwrap_or(0),
        });
    }
    if let Some(transcript) = transcripts.forge {
        let bytes = serde_json::to_vec_pretty(transcript)
            .map_err(|e| fail(&dir.join(TRANSCRIPT_FILE), e.to_string()))?;
        no_secret(&dir.join(TRANSCRIPT_FILE), &bytes, &forms)?;
        files.push(write_file(dir, TRANSCRIPT_FILE, &bytes)?);
    }
    if let Some(transcript) = transcripts.git {
        let bytes = serde_json::to_vec_pretty(transcript)
            .map_err(|e| fail(&dir.join(GIT_TRANSCRIPT_FILE), e.to_string()))?;
        no_secret(&dir.join(GIT_TRANSCRIPT_FILE), &bytes, &forms)?;
        files.push(write_file(dir, GIT_TRANSCRIPT_FILE, &bytes)?);
    }
    let mut evidence_bytes = Vec::new();
    crate::report::json::write_safe_json(&mut evidence_bytes, evidence)
        .map_err(|e| fail(&dir.join(EVIDENCE_FILE), e.to_string()))?;
    evidence_bytes.push(b'\n');
    no_secret(&dir.join(EVIDENCE_FILE), &evidence_bytes, &forms)?;
    no_secret(&dir.join(POLICY_FILE), policy, &forms)?;
    files.push(write_file(dir, EVIDENCE_FILE, &evidence_bytes)?);
    files.push(write_file(dir, POLICY_FILE, policy)?);
    let manifest = Manifest {
        manifest_version: MANIFEST_VERSION,
        tool: ToolInfo::current(),
        collected_at: evidence.collected_at,
        run,
        files,
        artifacts,
    };
    let bytes = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| fail(&dir.join(MANIFEST_FILE), e.to_string()))?;
    no_secret(&dir.join(MANIFEST_FILE), &bytes, &forms)?;
    let manifest_file = write_file(dir, MANIFEST_FILE, &bytes)?;
    Ok(SavedDigests {
        manifest_sha256: manifest_file.sha256,
        evidence_sha256: hex::encode(Sha256::digest(&evidence_bytes)),
    })
}

/// The digests that name a saved evidence directory: `manifest.json` holds the sha256
/// of every other file, so its digest pins them all; `evidence.json`'s is kept too, for
/// a reader who checks that file alone. The signed detailed report carries both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedDigests {
    /// sha256 of `manifest.json`.
    pub manifest_sha256: String,
    /// sha256 of `evidence.json`.
    pub evidence_sha256: String,
}

/// Copies `from` to `to`, refusing a file whose bytes are no longer the ones read, or
/// that holds a secret.
fn copy_checked(
    from: &Path,
    to: &Path,
    sha256: &str,
    secrets: &[String],
) -> Result<(), RecordError> {
    let bytes = super::input::read_file(from)
        .map_err(|e| fail(from, format!("cannot save the input: {e}")))?;
    if hex::encode(Sha256::digest(&bytes)) != sha256 {
        return Err(fail(
            from,
            "the file changed while vouch ran: the copy would not be what was evaluated",
        ));
    }
    no_secret(from, &bytes, secrets).map_err(|_| {
        fail(
            from,
            "the file contains the forge token, so it is not copied into the evidence directory; remove the token from it (or run without --evidence-out)",
        )
    })?;
    create_new(to, &bytes)
}

/// Writes a file that must not exist yet (`O_EXCL`: a symlink in its place fails too).
fn create_new(path: &Path, bytes: &[u8]) -> Result<(), RecordError> {
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| fail(path, e.to_string()))?;
    out.write_all(bytes).map_err(|e| fail(path, e.to_string()))
}

/// Refuses to write a buffer that holds a secret in any of its forms.
fn no_secret(path: &Path, bytes: &[u8], secrets: &[String]) -> Result<(), RecordError> {
    if secrets
        .iter()
        .any(|s| memchr::memmem::find(bytes, s.as_bytes()).is_some())
    {
        return Err(fail(
            path,
            "would contain the forge token, so the evidence directory is not written",
        ));
    }
    Ok(())
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<RecordedFile, RecordError> {
    let path = dir.join(name);
    create_new(&path, bytes)?;
    Ok(RecordedFile {
        path: name.to_string(),
        input: None,
        role: None,
        sha256: hex::encode(Sha256::digest(bytes)),
        size: bytes.len() as u64,
    })
}

/// A saved run whose every file matched its manifest.
#[derive(Debug)]
pub struct SavedRun {
    /// The manifest.
    pub manifest: Manifest,
    /// `evidence.json`, as saved.
    pub evidence: Evidence,
    /// `policy.yaml`, as saved.
    pub policy: Vec<u8>,
    /// The forge transcript, when a forge was read.
    pub transcript: Option<Transcript>,
    /// The git transcript, when a clone was read.
    pub git_transcript: Option<GitTranscript>,
    /// Where each input's bytes are.
    pub source: InputSource,
}

/// Reads an evidence directory, refusing it unless every file matches the manifest.
pub fn load(dir: &Path) -> Result<SavedRun, RecordError> {
    let manifest_path = dir.join(MANIFEST_FILE);
    let bytes = super::input::read_json_file(&manifest_path).map_err(|e| {
        fail(
            &manifest_path,
            format!("cannot read the manifest ({e}); only a directory written by `vouch verify --evidence-out` can be re-performed"),
        )
    })?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| fail(&manifest_path, format!("not a vouch manifest: {e}")))?;
    if manifest.manifest_version != MANIFEST_VERSION {
        return Err(fail(
            &manifest_path,
            format!(
                "manifest_version: expected {MANIFEST_VERSION}, got {} (written by vouch {})",
                manifest.manifest_version, manifest.tool.version
            ),
        ));
    }
    let mut by_name: HashMap<&str, Vec<u8>> = HashMap::new();
    let mut saved = SavedInputs::default();
    for file in &manifest.files {
        let relative = Path::new(&file.path);
        // Names come from the (editable) manifest: never outside the directory.
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(fail(
                &manifest_path,
                format!("files: `{}` is not a path inside the directory", file.path),
            ));
        }
        let path = dir.join(relative);
        // A symlink (the file, or a folder on the way to it) could make the directory
        // vouch for a file outside it.
        let mut walked = dir.to_path_buf();
        for part in relative.components() {
            walked.push(part);
            if std::fs::symlink_metadata(&walked).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(fail(
                    &walked,
                    "is a symlink: a saved file must be in the directory itself",
                ));
            }
        }
        let content = super::input::read_file(&path).map_err(|e| fail(&path, e.to_string()))?;
        let digest = hex::encode(Sha256::digest(&content));
        if digest != file.sha256 || content.len() as u64 != file.size {
            return Err(fail(
                &path,
                format!(
                    "sha256 {digest} ({} bytes), but the manifest records {} ({} bytes): the directory was edited",
                    content.len(),
                    file.sha256,
                    file.size
                ),
            ));
        }
        if let Some(input) = &file.input {
            saved.files.insert(input.clone(), path.clone());
        } else {
            by_name.insert(file.path.as_str(), content);
        }
    }
    for artifact in &manifest.artifacts {
        saved.artifacts.insert(
            artifact.path.clone(),
            ArtifactDigests {
                digests: artifact.digests.clone(),
            },
        );
        if let Some(size) = artifact.size {
            saved.artifact_sizes.insert(artifact.path.clone(), size);
        }
    }
    let mut take = |name: &str| -> Result<Vec<u8>, RecordError> {
        by_name.remove(name).ok_or_else(|| {
            fail(
                &dir.join(name),
                "missing from the manifest: the directory is incomplete",
            )
        })
    };
    let evidence_bytes = take(EVIDENCE_FILE)?;
    let policy = take(POLICY_FILE)?;
    let transcript = match take(TRANSCRIPT_FILE) {
        Ok(bytes) => Some(
            serde_json::from_slice::<Transcript>(&bytes)
                .map_err(|e| fail(&dir.join(TRANSCRIPT_FILE), format!("not a transcript: {e}")))?,
        ),
        Err(_) if manifest.run.forge.is_none() => None,
        Err(e) => return Err(e),
    };
    let git_transcript = match take(GIT_TRANSCRIPT_FILE) {
        Ok(bytes) => Some(
            serde_json::from_slice::<GitTranscript>(&bytes).map_err(|e| {
                fail(
                    &dir.join(GIT_TRANSCRIPT_FILE),
                    format!("not a git transcript: {e}"),
                )
            })?,
        ),
        Err(_) if manifest.run.git.is_none() => None,
        Err(e) => return Err(e),
    };
    let evidence: Evidence = serde_json::from_slice(&evidence_bytes).map_err(|e| {
        fail(
            &dir.join(EVIDENCE_FILE),
            format!("not a vouch evidence file: {e}"),
        )
    })?;
    Ok(SavedRun {
        manifest,
        evidence,
        policy,
        transcript,
        git_transcript,
        source: InputSource::Saved(saved),
    })
}

/// The paths of `paths` as `PathBuf`s.
pub fn paths(paths: &[String]) -> Vec<PathBuf> {
    paths.iter().map(PathBuf::from).collect()
}
