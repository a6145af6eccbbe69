//! SBOM and lockfile evidence: what a CycloneDX document (JSON or XML) declares, the
//! problems found validating it, and the packages a lockfile pins.
//!
//! The model keeps what the SBOM control judges (identity, versions, purls, hashes,
//! licenses, suppliers, dependencies, metadata) for every component, nested ones
//! included, with the JSON pointer (or XML path) of each, so a finding can say where.

use serde::{Deserialize, Serialize};

/// One SBOM as read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sbom {
    /// `cyclonedx-json` or `cyclonedx-xml`.
    pub format: SbomFormat,
    /// Declared spec version (`1.6`).
    pub spec_version: String,
    /// `serialNumber`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// `metadata`.
    pub metadata: SbomMetadata,
    /// Every component, nested ones flattened in document order; `metadata.component`
    /// is not among them.
    pub components: Vec<Component>,
    /// The dependency graph, as declared.
    pub dependencies: Vec<Dependency>,
    /// Schema and semantic problems, in document order; empty for a valid SBOM.
    pub problems: Vec<SbomProblem>,
}

/// The serialization an SBOM came in.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SbomFormat {
    /// CycloneDX JSON.
    CyclonedxJson,
    /// CycloneDX XML.
    CyclonedxXml,
}

impl SbomFormat {
    /// The name the policy's `formats` list uses.
    pub fn as_str(self) -> &'static str {
        match self {
            SbomFormat::CyclonedxJson => "cyclonedx-json",
            SbomFormat::CyclonedxXml => "cyclonedx-xml",
        }
    }
}

/// `metadata` of an SBOM.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SbomMetadata {
    /// When the SBOM was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Who made it (`authors`, or the legacy `author`/`manufacture`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// Tools that made it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// The supplier of the subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// What the SBOM is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
}

/// One component.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// Where it is in the document (JSON pointer, or XML path).
    pub location: String,
    /// Line in the document, where the reader knows it (XML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// `type` (`library`, `application`, …).
    pub kind: String,
    /// `bom-ref`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    /// `group` (Maven group, npm scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `name`.
    pub name: String,
    /// `version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `purl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// `hashes`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
    /// `licenses`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<License>,
    /// `supplier.name` (or `publisher`/`manufacturer` where no supplier is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// `author`, or the names in `authors`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

impl Component {
    /// `group/name@version` for messages.
    pub fn display(&self) -> String {
        let mut s = match &self.group {
            Some(g) if !g.is_empty() => format!("{g}/{}", self.name),
            _ => self.name.clone(),
        };
        if let Some(v) = &self.version {
            s.push('@');
            s.push_str(v);
        }
        s
    }
}

/// A component hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hash {
    /// Algorithm as written (`SHA-256`).
    pub alg: String,
    /// Hex digest.
    pub content: String,
}

/// A license as declared: an SPDX id, a name, or an SPDX expression.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum License {
    /// `license.id`.
    Id(String),
    /// `license.name` (not an SPDX id).
    Name(String),
    /// `expression`.
    Expression(String),
}

/// One entry of the dependency graph.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// The `bom-ref` that depends.
    pub reference: String,
    /// The `bom-ref`s it depends on.
    pub depends_on: Vec<String>,
}

/// A problem found validating an SBOM.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SbomProblem {
    /// JSON pointer (or XML path) of the offending value.
    pub location: String,
    /// Line, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// What was expected.
    pub message: String,
}

/// The packages a lockfile pins.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    /// `cargo` (`Cargo.lock`) or `npm` (`package-lock.json`).
    pub kind: String,
    /// Every locked package, the project's own included.
    pub packages: Vec<LockedPackage>,
}

/// One locked package.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LockedPackage {
    /// Name (with the npm scope).
    pub name: String,
    /// Exact version.
    pub version: String,
    /// Where it comes from: `registry`, `git`, `path` (local: a workspace member or a
    /// path dependency), `root` (the project itself, where the lockfile says so), or
    /// `other`.
    pub source: String,
    /// Whether only development (tests, dev tooling) needs it: `Some(true)` npm
    /// `dev: true` or not reachable from the project without dev edges (cargo
    /// metadata); `Some(false)` shipped; `None` when the format cannot tell
    /// (`Cargo.lock`, which lists test-only packages like any other).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<bool>,
    /// The package URL an SBOM names it by (`pkg:cargo/serde@1.0.1`).
    pub purl: String,
}

/// The name and version the run is about, that an SBOM's `metadata.component` must
/// carry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedSubject {
    /// Component name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Version, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Where they came from (`--subject-name/--subject-version`, `tag v1.2.3`).
    pub origin: String,
}
