//! VEX evidence: statements that a product is not affected by a vulnerability.

use serde::{Deserialize, Serialize};

/// A VEX document (OpenVEX or CycloneDX VEX) reduced to its statements.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VexDocument {
    /// `openvex` or `cyclonedx`.
    pub format: String,
    /// Author of the document, when stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// When the document was issued (RFC 3339, as written), if stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Statements in document order (all statuses; checks use `not_affected` ones).
    pub statements: Vec<VexStatement>,
}

/// One VEX statement.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VexStatement {
    /// Vulnerability id (CVE, GHSA, …).
    pub vulnerability: String,
    /// Other ids of the same vulnerability the statement lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Products (purls or bom-refs) the statement is about; empty means "any".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
    /// Normalized status: `not_affected`, `affected`, `fixed`, `under_investigation`.
    pub status: String,
    /// Justification or impact statement, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// When the statement was made (RFC 3339, as written), if it says; else the
    /// document's timestamp applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}
