//! A component's package URL as the SBOM control compares it: parsed by the
//! `packageurl` crate, kept as its four parts.
//!
//! Every component's purl is parsed once per run and used three times (completeness,
//! the subject, bans). `packageurl::PackageUrl` is 168 bytes with an allocation per
//! part; these parts are inline strings (most types, names and versions are short), a
//! quarter of that for a 200,000-component SBOM.

use smol_str::SmolStr;

/// Type, namespace, name and version of a package URL (qualifiers and subpath are not
/// compared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    ty: SmolStr,
    namespace: Option<SmolStr>,
    name: SmolStr,
    version: Option<SmolStr>,
}

impl Purl {
    /// Parses `text`; `None` when `packageurl` refuses it (the SBOM's semantic check
    /// reports it as invalid).
    pub fn parse(text: &str) -> Option<Purl> {
        let p: packageurl::PackageUrl = text.parse().ok()?;
        Some(Purl {
            ty: p.ty().into(),
            namespace: p.namespace().map(SmolStr::new),
            name: p.name().into(),
            version: p.version().map(SmolStr::new),
        })
    }

    /// `cargo`, `npm`, …
    pub fn ty(&self) -> &str {
        &self.ty
    }

    /// The namespace (npm scope, Maven group), decoded.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The name, decoded.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version, decoded.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_decoded_as_packageurl_decodes_them() {
        let p = Purl::parse("pkg:npm/%40scope/name@1.0.0?arch=x#sub").unwrap();
        assert_eq!(
            (p.ty(), p.namespace(), p.name(), p.version()),
            ("npm", Some("@scope"), "name", Some("1.0.0"))
        );
        assert!(Purl::parse("not a purl").is_none());
    }
}
