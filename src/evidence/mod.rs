//! The forge-neutral evidence model: everything vouch observed, as plain data.
//!
//! Collection fills it, checks read it, `--evidence-out` saves it and `vouch evaluate`
//! reads it back. Missing data is evidence too: every source is an [`Observed`], so a
//! report that could not be read stays visible to the checks (which turn it into an
//! `error`) instead of disappearing.

pub mod ecosystem;
pub mod forge;
pub mod git;
pub mod observed;
pub mod provenance;
pub mod sast;
pub mod sbom;
pub mod sca;
pub mod severity;
pub mod vex;

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use time::OffsetDateTime;

pub use sast::{
    BaselineState, ResultKind, SarifLevel, SastReport, SastResult, SastRun, SuppressionState,
};
pub use sca::{ScaReport, Scanner, Vulnerability};
pub use severity::Severity;
pub use vex::{VexDocument, VexStatement};

use crate::ci::CiContext;

/// Version of the evidence file layout; bumped on incompatible changes.
pub const EVIDENCE_FORMAT_VERSION: u32 = 2;

/// A piece of evidence, or the reason it could not be gathered.
pub type Observed<T> = Result<T, Gap>;

/// Everything one run observed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[schemars(
    title = "vouch evidence",
    extend("$id" = "https://vouch.dev/schemas/evidence.schema.json")
)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// Layout version of this document ([`EVIDENCE_FORMAT_VERSION`]).
    pub format_version: u32,
    /// When collection happened; checks use it as "now" (waiver expiry), never the clock.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub collected_at: OffsetDateTime,
    /// The vouch build that collected it.
    pub tool: ToolInfo,
    /// Where the run happened (CI system, repository, commit, ref...).
    pub context: CiContext,
    /// Every input file with its digest, so a re-performance can prove it used the same inputs.
    pub inputs: Vec<InputFile>,
    /// SAST results, one entry per input file.
    #[serde(default)]
    pub sast: Vec<Sourced<SastReport>>,
    /// SCA results, one entry per input file.
    #[serde(default)]
    pub sca: Vec<Sourced<ScaReport>>,
    /// VEX documents whose `not_affected` statements act as waivers.
    #[serde(default)]
    pub vex: Vec<Sourced<VexDocument>>,
    /// SBOMs, one entry per input file.
    #[serde(default)]
    pub sbom: Vec<Sourced<sbom::Sbom>>,
    /// Lockfiles the SBOMs are checked against, one entry per input file.
    #[serde(default)]
    pub lockfiles: Vec<Sourced<sbom::Lockfile>>,
    /// What the SBOMs must be about (`metadata.component`), when the run knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_subject: Option<sbom::ExpectedSubject>,
    /// Artifacts the run vouches for (`--artifact`, the policy's `provenance.artifacts`).
    #[serde(default)]
    pub artifacts: Vec<Sourced<provenance::ArtifactDigests>>,
    /// Attestation files, their signatures checked (`--attestation`).
    #[serde(default)]
    pub attestations: Vec<Sourced<provenance::AttestationFile>>,
    /// What the forge said, when `--forge` was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forge: Option<forge::ForgeEvidence>,
    /// What a local clone showed of each merged change (`--git-dir`, or the workspace
    /// when it holds the range).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<git::GitEvidence>,
}

/// Shortest base64 fragment [`secret_forms`] redacts: shorter ones would match
/// ordinary text. The raw and percent-encoded forms are redacted at any length.
const MIN_ENCODED_FRAGMENT: usize = 8;

impl Evidence {
    /// The JSON Schema (2020-12) of `evidence.json`, as published in
    /// `schemas/evidence.schema.json`, with a trailing newline.
    pub fn json_schema_text() -> String {
        let schema = schemars::schema_for!(Evidence);
        let mut text = serde_json::to_string_pretty(&schema).expect("a derived schema serializes");
        text.push('\n');
        text
    }

    /// Replaces every form of `secret` in any text of the evidence with `[REDACTED]`:
    /// as written, percent-encoded (a URL echoed back), and base64-encoded at any
    /// alignment (inside a Basic `Authorization` value such as
    /// `base64("x-access-token:" + token)`). Everything reported is derived from the
    /// evidence, so a secret the forge echoed back goes no further.
    pub fn redact(&mut self, secret: &str) -> anyhow::Result<()> {
        let forms = secret_forms(secret);
        if forms.is_empty() {
            return Ok(());
        }
        // Through the JSON tree, not its text: replacing inside serialized JSON could
        // cut an escape sequence in two.
        let mut tree = serde_json::to_value(&*self)?;
        if redact_strings(&mut tree, &forms) {
            *self = serde_json::from_value(tree)?;
        }
        Ok(())
    }
}

/// Every spelling of `secret` that can appear in echoed text, longest first.
pub fn secret_forms(secret: &str) -> Vec<String> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    if secret.is_empty() {
        return Vec::new();
    }
    let mut forms = vec![
        secret.to_string(),
        percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
    ];
    // The base64 of the secret inside a longer value depends on how many bytes come
    // before it (0, 1 or 2 modulo 3): encode it behind each offset and keep only the
    // characters that the secret's bytes alone decide.
    for offset in 0..3usize {
        let mut bytes = vec![0u8; offset];
        bytes.extend_from_slice(secret.as_bytes());
        let partial_tail = bytes.len() % 3 != 0;
        for engine in [&STANDARD, &URL_SAFE] {
            let encoded = engine.encode(&bytes);
            let encoded = encoded.trim_end_matches('=');
            let skip = [0, 2, 3][offset];
            let end = encoded.len() - usize::from(partial_tail);
            if let Some(fragment) = encoded.get(skip..end)
                && fragment.len() >= MIN_ENCODED_FRAGMENT
            {
                forms.push(fragment.to_string());
            }
        }
    }
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    forms
}

/// Replaces every form in every string of `v`; whether anything changed.
fn redact_strings(v: &mut serde_json::Value, forms: &[String]) -> bool {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            let mut changed = false;
            for form in forms {
                if s.contains(form.as_str()) {
                    *s = s.replace(form.as_str(), "[REDACTED]");
                    changed = true;
                }
            }
            changed
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, x| redact_strings(x, forms) | changed),
        Value::Object(map) => map
            .values_mut()
            .fold(false, |changed, x| redact_strings(x, forms) | changed),
        _ => false,
    }
}

/// Name and version of the tool that produced a document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolInfo {
    /// Always `vouch`.
    pub name: String,
    /// Crate version.
    pub version: String,
}

impl ToolInfo {
    /// This build of vouch.
    pub fn current() -> Self {
        ToolInfo {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// An input file read during collection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputFile {
    /// Path as given on the command line.
    pub path: String,
    /// What it was given as.
    pub role: InputRole,
    /// Lower-case hex sha256 of the bytes read; absent when the file could not be read.
    pub sha256: Option<String>,
    /// Size in bytes; absent when the file could not be read.
    pub size: Option<u64>,
}

/// The role an input file plays.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum InputRole {
    /// `--sarif`
    Sarif,
    /// `--sca`
    Sca,
    /// `--vex`
    Vex,
    /// `--sbom`
    Sbom,
    /// `--lockfile`
    Lockfile,
    /// `--artifact`
    Artifact,
    /// `--attestation` (and every file of an OCI layout that was read)
    Attestation,
    /// A public key of `provenance.keys`
    Key,
    /// The Sigstore trusted root (`--trusted-root`, `provenance.trusted_root`)
    TrustedRoot,
}

impl InputRole {
    /// The flag or policy key an input of this role comes from, for messages.
    pub fn flag(self) -> &'static str {
        match self {
            InputRole::Sarif => "--sarif",
            InputRole::Sca => "--sca",
            InputRole::Vex => "--vex",
            InputRole::Sbom => "--sbom",
            InputRole::Lockfile => "--lockfile",
            InputRole::Artifact => "--artifact",
            InputRole::Attestation => "--attestation",
            InputRole::Key => "provenance.keys",
            InputRole::TrustedRoot => "--trusted-root",
        }
    }
}

/// Evidence read from one named source (a file), or the gap that replaced it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sourced<T> {
    /// The file the evidence came from.
    pub source: String,
    /// What was read, or why nothing could be.
    #[serde(
        with = "observed",
        bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>")
    )]
    #[schemars(with = "observed::Shape<T>")]
    pub observed: Observed<T>,
}

/// Why a piece of evidence is missing. A gap never passes a control.
#[derive(
    Debug, Clone, Serialize, Deserialize, PartialEq, Eq, thiserror::Error, schemars::JsonSchema,
)]
#[error("{source_name}: {detail}")]
#[serde(deny_unknown_fields)]
pub struct Gap {
    /// What kind of failure this was.
    pub kind: GapKind,
    /// The file or endpoint that could not be read.
    #[serde(rename = "source")]
    pub source_name: String,
    /// Human-readable detail: which field, which line, what was expected.
    pub detail: String,
}

/// Classes of missing evidence.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GapKind {
    /// The file could not be opened or read.
    Unreadable,
    /// The content is not what it claims to be (bad JSON, missing required field).
    Malformed,
    /// The content is well-formed but in a format vouch does not read.
    Unsupported,
    /// The report says its tool did not complete (`scan.status: failure`).
    ScannerFailed,
    /// The document is well-formed but shows nothing was examined (an SBOM without
    /// components, a scanner report that names nothing it scanned): no evidence.
    Empty,
    /// The forge refused: 401 (bad token) or 403 (missing permission).
    Forbidden,
    /// The forge said the resource does not exist (or the token cannot see it).
    NotFound,
    /// The rate limit was still exhausted after the allowed retries.
    RateLimited,
    /// The forge kept failing (5xx) or timing out after the allowed retries.
    Unavailable,
}

impl Gap {
    /// Builds a gap.
    pub fn new(kind: GapKind, source: impl Into<String>, detail: impl Into<String>) -> Self {
        Gap {
            kind,
            source_name: source.into(),
            detail: detail.into(),
        }
    }
}

/// A place in a source file, as scanners report it.
///
/// Kept per result and per finding (a SARIF gate holds 200,000 of each): the path is
/// an inline string shared by clones, and lines are 32 bits (no file under the input
/// limit has more lines; a reader refuses a larger number as not a line).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Path (or URI) of the file, relative to the repository root when the scanner says so.
    pub path: SmolStr,
    /// 1-based start line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based start column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// 1-based end line, when the region spans lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
}
