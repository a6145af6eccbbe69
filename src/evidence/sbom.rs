//! SBOM and lockfile evidence: what a CycloneDX document (JSON or XML) declares, the
//! problems found validating it, and the packages a lockfile pins.
//!
//! The model keeps what the SBOM control judges (identity, versions, purls, hashes,
//! licenses, suppliers, dependencies, metadata) for every component, nested ones
//! included, with the JSON pointer (or XML path) of each, so a finding can say where.
//!
//! Component, dependency and lockfile strings are [`SmolStr`]s: the short ones (types,
//! names, versions, most locations) are kept inline, with no allocation, so that a
//! 200,000-component SBOM's model stays within a small multiple of its text.

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

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
// What every component has is kept in the struct; what fewer carry (group, hashes,
// licenses, supplier, author) is boxed apart and absent when none is set, so that a
// 200,000-component SBOM of bare components stays within a small multiple of its
// text. Serialized flat, as `ComponentFields`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(from = "ComponentFields", into = "ComponentFields")]
pub struct Component {
    /// Where it is in the document (JSON pointer, or XML path).
    pub location: SmolStr,
    /// Line in the document, where the reader knows it (XML); 32 bits hold any line
    /// of a file under the default input limit.
    pub line: Option<u32>,
    /// `type` (`library`, `application`, …).
    pub kind: SmolStr,
    /// `bom-ref`.
    pub bom_ref: Option<SmolStr>,
    /// `name`.
    pub name: SmolStr,
    /// `version`.
    pub version: Option<SmolStr>,
    /// `purl`.
    pub purl: Option<SmolStr>,
    /// The fields many components leave out; read them with the accessors, set them
    /// with [`Component::set_details`] (which keeps nothing when all are empty).
    pub details: Option<Box<ComponentDetails>>,
}

/// The fields of a [`Component`] that many components leave out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComponentDetails {
    /// `group` (Maven group, npm scope).
    pub group: Option<SmolStr>,
    /// `hashes`.
    pub hashes: Box<[Hash]>,
    /// `licenses`.
    pub licenses: Box<[License]>,
    /// `supplier.name` (or `publisher`/`manufacturer` where no supplier is given).
    pub supplier: Option<SmolStr>,
    /// `author`, or the names in `authors`.
    pub author: Option<SmolStr>,
}

impl ComponentDetails {
    fn is_empty(&self) -> bool {
        *self == ComponentDetails::default()
    }
}

impl Component {
    /// `group`.
    pub fn group(&self) -> Option<&SmolStr> {
        self.details.as_ref()?.group.as_ref()
    }
    /// `hashes`.
    pub fn hashes(&self) -> &[Hash] {
        self.details.as_ref().map_or(&[], |d| &d.hashes)
    }
    /// `licenses`.
    pub fn licenses(&self) -> &[License] {
        self.details.as_ref().map_or(&[], |d| &d.licenses)
    }
    /// `supplier.name` (or `publisher`/`manufacturer`).
    pub fn supplier(&self) -> Option<&SmolStr> {
        self.details.as_ref()?.supplier.as_ref()
    }
    /// `author`, or the names in `authors`.
    pub fn author(&self) -> Option<&SmolStr> {
        self.details.as_ref()?.author.as_ref()
    }
    /// Sets the fields many components leave out (nothing is kept when all are empty).
    pub fn set_details(&mut self, details: ComponentDetails) {
        self.details = (!details.is_empty()).then(|| Box::new(details));
    }
    /// With the fields many components leave out.
    pub fn with_details(mut self, details: ComponentDetails) -> Self {
        self.set_details(details);
        self
    }

    /// `group/name@version` for messages.
    pub fn display(&self) -> String {
        let mut s = match self.group() {
            Some(g) if !g.is_empty() => format!("{g}/{}", self.name),
            _ => self.name.to_string(),
        };
        if let Some(v) = &self.version {
            s.push('@');
            s.push_str(v);
        }
        s
    }
}

/// A component as evidence files write it: every field at one level.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentFields {
    /// Where it is in the document (JSON pointer, or XML path).
    pub location: SmolStr,
    /// Line in the document, where the reader knows it (XML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// `type` (`library`, `application`, …).
    pub kind: SmolStr,
    /// `bom-ref`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<SmolStr>,
    /// `group` (Maven group, npm scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<SmolStr>,
    /// `name`.
    pub name: SmolStr,
    /// `version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<SmolStr>,
    /// `purl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<SmolStr>,
    /// `hashes`.
    #[serde(default, skip_serializing_if = "<[_]>::is_empty")]
    pub hashes: Box<[Hash]>,
    /// `licenses`.
    #[serde(default, skip_serializing_if = "<[_]>::is_empty")]
    pub licenses: Box<[License]>,
    /// `supplier.name` (or `publisher`/`manufacturer` where no supplier is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<SmolStr>,
    /// `author`, or the names in `authors`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<SmolStr>,
}

impl From<ComponentFields> for Component {
    fn from(f: ComponentFields) -> Self {
        Component {
            location: f.location,
            line: f.line,
            kind: f.kind,
            bom_ref: f.bom_ref,
            name: f.name,
            version: f.version,
            purl: f.purl,
            details: None,
        }
        .with_details(ComponentDetails {
            group: f.group,
            hashes: f.hashes,
            licenses: f.licenses,
            supplier: f.supplier,
            author: f.author,
        })
    }
}

impl From<Component> for ComponentFields {
    fn from(c: Component) -> Self {
        let d = c.details.map(|d| *d).unwrap_or_default();
        ComponentFields {
            location: c.location,
            line: c.line,
            kind: c.kind,
            bom_ref: c.bom_ref,
            group: d.group,
            name: c.name,
            version: c.version,
            purl: c.purl,
            hashes: d.hashes,
            licenses: d.licenses,
            supplier: d.supplier,
            author: d.author,
        }
    }
}

/// A component hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hash {
    /// Algorithm as written (`SHA-256`).
    pub alg: SmolStr,
    /// Hex digest.
    pub content: SmolStr,
}

/// A license as declared: an SPDX id, a name, or an SPDX expression.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum License {
    /// `license.id`.
    Id(SmolStr),
    /// `license.name` (not an SPDX id).
    Name(SmolStr),
    /// `expression`.
    Expression(SmolStr),
}

/// One entry of the dependency graph.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// The `bom-ref` that depends.
    pub reference: SmolStr,
    /// The `bom-ref`s it depends on.
    pub depends_on: Vec<SmolStr>,
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
    pub name: SmolStr,
    /// Exact version.
    pub version: SmolStr,
    /// Where it comes from: `registry`, `git`, `path` (local: a workspace member or a
    /// path dependency), `root` (the project itself, where the lockfile says so), or
    /// `other`.
    pub source: SmolStr,
    /// Whether only development (tests, dev tooling) needs it: `Some(true)` npm
    /// `dev: true` or not reachable from the project without dev edges (cargo
    /// metadata); `Some(false)` shipped; `None` when the format cannot tell
    /// (`Cargo.lock`, which lists test-only packages like any other).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<bool>,
    /// The package URL an SBOM names it by (`pkg:cargo/serde@1.0.1`).
    pub purl: SmolStr,
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
