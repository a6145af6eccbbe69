//! A published release as evidence: its assets, what each one is, and, once the
//! controls have run, where each asset stands.
//!
//! `vouch release verify` fetches a release (or reads one already downloaded) into a
//! folder, feeds its artifacts, attestations and SBOMs to the provenance and sbom
//! controls, and then reports per asset: `verified`, `unverified` (with why), or
//! `not-covered` by the policy. Everything here is a pure function of the
//! [`ReleaseRecord`] and the controls' outcomes, so `vouch evaluate` gives the same
//! table from a saved run.

pub mod outcome;

use serde::{Deserialize, Serialize};

/// Where `vouch release` keeps what is not an asset, inside the release folder.
pub const META_DIR: &str = ".vouch";
/// The listing and the attestations API's answers, in [`META_DIR`].
pub const RECORD_FILE: &str = "release.json";
/// Bundles the attestations API gave, in [`META_DIR`].
pub const API_BUNDLES_DIR: &str = "attestations";

/// What an asset is, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssetKind {
    /// Something the release ships (a binary, an archive, a package).
    Artifact,
    /// A Sigstore bundle or in-toto JSON Lines (`*.sigstore.json`, `*.sigstore`,
    /// `*.intoto.jsonl`).
    Attestation,
    /// A CycloneDX SBOM (`*.cdx.json`, `*.cdx.xml`).
    Sbom,
    /// An SPDX SBOM (`*.spdx.json`, `*.spdx`), which vouch does not read.
    SpdxSbom,
    /// A checksum list (`SHA256SUMS`, `*.sha256`, `checksums.txt`).
    Checksums,
    /// A detached signature or certificate (`*.sig`, `*.asc`, `*.pem`).
    Signature,
}

impl AssetKind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Artifact => "artifact",
            AssetKind::Attestation => "attestation",
            AssetKind::Sbom => "sbom",
            AssetKind::SpdxSbom => "spdx-sbom",
            AssetKind::Checksums => "checksums",
            AssetKind::Signature => "signature",
        }
    }
}

/// What an asset is, by the naming conventions release tooling uses (GoReleaser,
/// slsa-github-generator, `actions/attest-build-provenance`, cargo-dist).
pub fn classify(name: &str) -> AssetKind {
    let lower = name.to_ascii_lowercase();
    let ends = |suffixes: &[&str]| suffixes.iter().any(|s| lower.ends_with(s));
    if ends(&[".sigstore.json", ".sigstore", ".intoto.jsonl"]) {
        AssetKind::Attestation
    } else if ends(&[".cdx.json", ".cdx.xml"]) {
        AssetKind::Sbom
    } else if ends(&[".spdx.json", ".spdx", ".spdx.xml"]) {
        AssetKind::SpdxSbom
    } else if matches!(
        lower.as_str(),
        "sha256sums" | "sha512sums" | "checksums.txt" | "sha256sums.txt" | "sha512sums.txt"
    ) || ends(&[
        ".sha256",
        ".sha512",
        ".sha256sum",
        ".sha512sum",
        "_checksums.txt",
        "-checksums.txt",
    ]) {
        AssetKind::Checksums
    } else if ends(&[".sig", ".asc", ".pem", ".crt", ".minisig", ".cert"]) {
        AssetKind::Signature
    } else {
        AssetKind::Artifact
    }
}

/// Whether an asset name is a plain file name that is safe to write in a folder on
/// every system vouch runs on: no separator, no `..`, not hidden (the release folder's
/// own [`META_DIR`] is), no control character, none of the characters or device names
/// Windows refuses, no trailing dot or space (which Windows drops, so `app.` would be
/// `app`). Names come from the forge, which takes them from the uploader.
pub fn safe_name(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem.len() == 4
            && (stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.as_bytes()[3].is_ascii_digit());
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name.ends_with(['.', ' '])
        && !device
        && !name.chars().any(|c| {
            matches!(c, '/' | '\\' | ':' | '<' | '>' | '"' | '|' | '?' | '*') || c.is_control()
        })
}

/// The name as a file system that ignores case would see it: two assets with the same
/// key would be one file on macOS or Windows.
pub fn folded_name(name: &str) -> String {
    name.to_lowercase()
}

/// The SBOM's name without its format suffix (`app-linux.cdx.json` → `app-linux`).
pub fn sbom_stem(name: &str) -> &str {
    let lower = name.to_ascii_lowercase();
    for suffix in [".cdx.json", ".cdx.xml"] {
        if lower.ends_with(suffix) {
            return &name[..name.len() - suffix.len()];
        }
    }
    name
}

/// Whether the SBOM `sbom` describes the artifact `artifact`: `X.cdx.json` describes
/// `X`, and, when the release has no asset named `X`, the assets named `X.<ext>`
/// (`app.cdx.json` for `app.tar.gz`). `exact` says whether any asset is named `X`.
pub fn describes(sbom: &str, artifact: &str, exact: bool) -> bool {
    let stem = sbom_stem(sbom);
    if exact {
        return artifact == stem;
    }
    artifact
        .strip_prefix(stem)
        .is_some_and(|rest| rest.starts_with('.') && rest.len() > 1)
}

/// The release, as listed by the forge (or as found in a folder), and what the
/// attestations API said of each artifact: everything a re-performance needs besides
/// the files. Saved as `.vouch/release.json` by `--download-only` and in the evidence
/// directory's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRecord {
    /// `OWNER/REPO` (GitLab: `GROUP/PROJECT`).
    pub repository: String,
    /// The release's tag.
    pub tag: String,
    /// The forge whose listing this is (`github`); `None` for a folder with no listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forge: Option<String>,
    /// The API the listing came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// The web host of the repository (`github.com`), for the expected source.
    pub host: String,
    /// Every asset, in the forge's order (by name for a folder).
    pub assets: Vec<ListedAsset>,
    /// The attestations API's answer for each artifact, when it was asked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookups: Vec<ApiLookup>,
}

/// An asset as the forge states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListedAsset {
    /// File name.
    pub name: String,
    /// Size in bytes the forge states.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Digest the forge states (`sha256:<hex>`; GitHub computes it at upload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Why it was not fetched (a failed download, a name that is no plain file name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// What the attestations API said for one artifact's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiLookup {
    /// The artifact.
    pub asset: String,
    /// The digest asked for.
    pub sha256: String,
    /// The answer.
    pub outcome: LookupOutcome,
}

/// An attestations API answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LookupOutcome {
    /// Bundles were found, saved under [`API_BUNDLES_DIR`] by these names.
    Found {
        /// File names in `.vouch/attestations/`.
        files: Vec<String>,
    },
    /// The API has no attestation for the digest (404).
    None,
    /// The API could not be read; the asset's provenance rests on the release's own
    /// attestation assets.
    Failed {
        /// What went wrong.
        detail: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_classified_by_the_conventions_release_tools_use() {
        for (name, kind) in [
            ("vouch-x86_64-unknown-linux-musl", AssetKind::Artifact),
            ("app_1.0_linux_amd64.tar.gz", AssetKind::Artifact),
            ("app.tar.gz.sigstore.json", AssetKind::Attestation),
            ("multiple.intoto.jsonl", AssetKind::Attestation),
            ("app.sigstore", AssetKind::Attestation),
            ("vouch-x86_64-pc-windows-msvc.exe.cdx.json", AssetKind::Sbom),
            ("app.CDX.XML", AssetKind::Sbom),
            ("app.spdx.json", AssetKind::SpdxSbom),
            ("SHA256SUMS", AssetKind::Checksums),
            ("app_1.0_checksums.txt", AssetKind::Checksums),
            ("app.tar.gz.sha256", AssetKind::Checksums),
            ("app.tar.gz.sig", AssetKind::Signature),
            ("app.tar.gz.pem", AssetKind::Signature),
        ] {
            assert_eq!(classify(name), kind, "{name}");
        }
    }

    #[test]
    fn only_plain_file_names_are_safe() {
        for name in [
            "app",
            "app-1.0.tar.gz",
            "vouch-aarch64-apple-darwin",
            "console.exe",
            "COM10",
        ] {
            assert!(safe_name(name), "{name}");
        }
        for name in [
            "", "../x", "a/b", "a\\b", ".vouch", ".hidden", "c:x", "a\nb", "a\u{7f}", "app.",
            "app ", "NUL", "con.txt", "COM1.exe", "a*b", "a?b", "a|b",
        ] {
            assert!(!safe_name(name), "{name:?}");
        }
    }

    #[test]
    fn an_sbom_describes_the_asset_it_is_named_for() {
        assert!(describes("vouch-x.exe.cdx.json", "vouch-x.exe", true));
        assert!(!describes("vouch-x.exe.cdx.json", "vouch-x.exe.sig", true));
        assert!(describes("app.cdx.json", "app.tar.gz", false));
        assert!(!describes("app.cdx.json", "application.tar.gz", false));
        assert!(!describes("app.cdx.json", "app.", false));
    }
}
