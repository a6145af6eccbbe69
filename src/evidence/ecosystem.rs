//! Ecosystem names in OSV spelling, from package URLs and from the package-type names
//! scanners invent (grype `rust-crate`, trivy `gomod`, GitLab `package_manager: go`).
//!
//! Policies filter on OSV names (`ecosystems: [npm, PyPI]`), so every reader maps here
//! and an unknown name becomes `None` rather than a guess.

/// The OSV ecosystem of a package URL (`pkg:cargo/serde@1` -> `crates.io`).
///
/// Distribution packages (`deb`, `apk`, `rpm`) are resolved through the purl namespace,
/// which names the distribution.
pub fn from_purl(purl: &str) -> Option<&'static str> {
    let rest = purl.trim().strip_prefix("pkg:")?;
    let rest = rest.trim_start_matches('/');
    let (kind, rest) = rest.split_once('/')?;
    let namespace = rest.split('/').next().unwrap_or_default();
    let kind = kind.to_ascii_lowercase();
    let namespace = namespace.to_ascii_lowercase();
    Some(match kind.as_str() {
        "deb" | "apk" | "rpm" | "alpm" => from_distro(&namespace)?,
        "cargo" => "crates.io",
        "npm" => "npm",
        "pypi" => "PyPI",
        "golang" => "Go",
        "maven" => "Maven",
        "nuget" => "NuGet",
        "gem" => "RubyGems",
        "composer" => "Packagist",
        "hex" => "Hex",
        "pub" => "Pub",
        "swift" => "SwiftURL",
        "hackage" => "Hackage",
        "cran" => "CRAN",
        "conan" => "ConanCenter",
        "bitnami" => "Bitnami",
        "github" => "GitHub Actions",
        _ => return None,
    })
}

/// The OSV ecosystem of a Linux distribution id (`debian`, `alpine`, `ubuntu`, …).
pub fn from_distro(name: &str) -> Option<&'static str> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "debian" => "Debian",
        "ubuntu" => "Ubuntu",
        "alpine" => "Alpine",
        "wolfi" => "Wolfi",
        "chainguard" => "Chainguard",
        "redhat" | "rhel" | "red hat" => "Red Hat",
        "rocky" | "rockylinux" => "Rocky Linux",
        "alma" | "almalinux" => "AlmaLinux",
        "suse" | "sles" | "suse linux enterprise server" => "SUSE",
        "opensuse"
        | "opensuse-leap"
        | "opensuse-tumbleweed"
        | "opensuse.leap"
        | "opensuse.tumbleweed" => "openSUSE",
        "mariner" | "cbl-mariner" | "azurelinux" => "Azure Linux",
        "photon" => "Photon OS",
        _ => return None,
    })
}

/// The OSV ecosystem names vouch maps to, for messages and suggestions.
pub const OSV_NAMES: &[&str] = &[
    "crates.io",
    "npm",
    "PyPI",
    "Go",
    "Maven",
    "NuGet",
    "RubyGems",
    "Packagist",
    "Hex",
    "Pub",
    "SwiftURL",
    "ConanCenter",
    "Hackage",
    "CRAN",
    "Debian",
    "Alpine",
    "Ubuntu",
];

/// The OSV ecosystem for a scanner's package-type or package-manager name.
///
/// Covers OSV spellings themselves, grype artifact types, trivy result types and GitLab
/// `package_manager` values. Matching is case-insensitive.
pub fn from_type(name: &str) -> Option<&'static str> {
    let lower = name.trim().to_ascii_lowercase();
    if let Some(distro) = from_distro(&lower) {
        return Some(distro);
    }
    Some(match lower.as_str() {
        "crates.io" | "cargo" | "rust-crate" | "rust-binary" | "rust" => "crates.io",
        "npm" | "yarn" | "pnpm" | "bun" | "node-pkg" | "javascript" => "npm",
        "pypi" | "pip" | "pipenv" | "poetry" | "uv" | "python" | "python-pkg" | "setuptools"
        | "conda-pkg" => "PyPI",
        "go" | "gomod" | "gobinary" | "go-module" | "golang" => "Go",
        "maven" | "jar" | "pom" | "gradle" | "sbt" | "java-archive" | "jenkins-plugin" | "java" => {
            "Maven"
        }
        "nuget" | "dotnet" | "dotnet-core" | "packages-props" | "dotnet-deps" => "NuGet",
        "rubygems" | "gem" | "bundler" | "gemspec" | "ruby" => "RubyGems",
        "packagist" | "composer" | "composer-vendor" | "php-composer" | "php" => "Packagist",
        "hex" | "mix" | "erlang-otp" => "Hex",
        "pub" | "dart-pub" => "Pub",
        "swift" | "swifturl" => "SwiftURL",
        "conan" | "conancenter" => "ConanCenter",
        "hackage" => "Hackage",
        "cran" => "CRAN",
        "deb" => "Debian",
        "apk" => "Alpine",
        _ => return None,
    })
}

/// The OSV ecosystem implied by a lockfile or manifest name, for reports that name the
/// file but not the package manager.
pub fn from_manifest(path: &str) -> Option<&'static str> {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    Some(match file {
        "Cargo.lock" | "Cargo.toml" => "crates.io",
        "package-lock.json"
        | "npm-shrinkwrap.json"
        | "yarn.lock"
        | "pnpm-lock.yaml"
        | "package.json" => "npm",
        "Pipfile.lock" | "poetry.lock" | "uv.lock" | "pdm.lock" | "setup.py" | "pyproject.toml" => {
            "PyPI"
        }
        "go.sum" | "go.mod" => "Go",
        "pom.xml" | "build.gradle" | "build.gradle.kts" | "gradle.lockfile" | "build.sbt" => {
            "Maven"
        }
        "Gemfile.lock" | "gems.locked" => "RubyGems",
        "composer.lock" => "Packagist",
        "packages.lock.json" | "packages.config" => "NuGet",
        "mix.lock" => "Hex",
        "pubspec.lock" => "Pub",
        "conan.lock" => "ConanCenter",
        f if f.starts_with("requirements") && f.ends_with(".txt") => "PyPI",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_map_to_osv_names() {
        assert_eq!(from_purl("pkg:cargo/serde@1.0.0"), Some("crates.io"));
        assert_eq!(from_purl("pkg:pypi/Django@3.2.9"), Some("PyPI"));
        assert_eq!(
            from_purl("pkg:maven/org.apache.tomcat/tomcat-catalina@9.0.109"),
            Some("Maven")
        );
        assert_eq!(
            from_purl("pkg:deb/debian/bash@5.0-4?distro=debian-10"),
            Some("Debian")
        );
        assert_eq!(from_purl("pkg:apk/alpine/curl@7.61.0-r0"), Some("Alpine"));
        assert_eq!(from_purl("pkg:rpm/unknown-distro/x@1"), None);
        assert_eq!(from_purl("not a purl"), None);
        assert_eq!(from_purl("pkg:"), None);
    }

    #[test]
    fn scanner_type_names_map_to_osv_names() {
        assert_eq!(from_type("rust-crate"), Some("crates.io"));
        assert_eq!(from_type("cargo"), Some("crates.io"));
        assert_eq!(from_type("pip"), Some("PyPI"));
        assert_eq!(from_type("gomod"), Some("Go"));
        assert_eq!(from_type("jar"), Some("Maven"));
        assert_eq!(from_type("java-archive"), Some("Maven"));
        assert_eq!(from_type("composer"), Some("Packagist"));
        assert_eq!(from_type("alpine"), Some("Alpine"));
        assert_eq!(from_type("PyPI"), Some("PyPI"));
        assert_eq!(from_type("binary"), None);
    }

    #[test]
    fn manifest_names_map_to_osv_names() {
        assert_eq!(from_manifest("service/go.sum"), Some("Go"));
        assert_eq!(from_manifest("a\\b\\requirements-dev.txt"), Some("PyPI"));
        assert_eq!(from_manifest("Dockerfile"), None);
    }
}
