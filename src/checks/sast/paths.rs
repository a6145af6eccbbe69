//! Result paths: making scanner paths repository-relative and matching path filters.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::policy::PathFilter;
use crate::policy::sections::GlobPattern;

/// Compiled include/exclude globs.
pub(super) struct PathMatcher {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl PathMatcher {
    pub(super) fn new(filter: &PathFilter) -> Self {
        PathMatcher {
            include: build_set(&filter.include),
            exclude: build_set(&filter.exclude),
        }
    }

    pub(super) fn admits(&self, path: &RepoPath) -> bool {
        // A path that climbs above the repository root names no file a filter can
        // speak for: it always counts.
        if path.escapes_root {
            return true;
        }
        if let Some(ex) = &self.exclude
            && ex.is_match(&path.path)
        {
            return false;
        }
        match &self.include {
            Some(inc) => !path.relative || inc.is_match(&path.path),
            None => true,
        }
    }
}

/// Builds a glob set; `None` when empty. Globs were validated when the policy loaded.
pub(crate) fn build_set(globs: &[GlobPattern]) -> Option<GlobSet> {
    if globs.is_empty() {
        return None;
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        if let Ok(glob) = GlobBuilder::new(g.as_str()).literal_separator(true).build() {
            b.add(glob);
        }
    }
    b.build().ok()
}

/// A result path as globs see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepoPath {
    /// The path to match and show: repository-relative when the scanner wrote a relative
    /// path or an absolute one under the workspace, else the absolute path as reported.
    pub path: String,
    /// Whether the scanner itself wrote a repository-relative path. Only such paths can
    /// be dropped by an include filter: an absolute one (under a workspace that may not
    /// be the repository root, or elsewhere) is never shown to be outside it.
    pub relative: bool,
    /// The path's `..` segments climb above its root (`../etc/x`, `src/../../x`): no
    /// include, exclude or exception glob applies to it.
    pub escapes_root: bool,
}

/// Makes a scanner's path repository-relative where it can: drops a `file:` scheme (any
/// case, with or without `//host`), decodes `%XX`, strips `./`, and strips the workspace
/// prefix from absolute paths. A URI with another scheme (`https://…`) stays absolute.
pub(crate) fn repo_path(raw: &str, workspace: Option<&str>) -> RepoPath {
    let (without_scheme, had_scheme) = match split_scheme(raw) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("file") => {
            // file:///p, file://localhost/p, file:/p (Java's File.toURI)
            let rest = match rest.strip_prefix("//") {
                Some(authority_and_path) => {
                    &authority_and_path[authority_and_path
                        .find('/')
                        .unwrap_or(authority_and_path.len())..]
                }
                None => rest,
            };
            (rest, true)
        }
        Some(_) => {
            return RepoPath {
                path: raw.to_string(),
                relative: false,
                escapes_root: false,
            };
        }
        None => (raw, false),
    };
    let decoded = percent_encoding::percent_decode_str(without_scheme).decode_utf8_lossy();
    let absolute =
        had_scheme || decoded.starts_with('/') || decoded.as_bytes().get(1) == Some(&b':');
    // Globs see the normalized path: `tests/../src/main.rs` is `src/main.rs`, not a
    // file under `tests/`.
    let Some(path) = normalize(&decoded) else {
        return RepoPath {
            path: decoded.into_owned(),
            relative: !absolute,
            escapes_root: true,
        };
    };
    if !absolute {
        return RepoPath {
            path,
            relative: true,
            escapes_root: false,
        };
    }
    let stripped = workspace
        .map(|w| w.trim_end_matches('/'))
        .filter(|w| !w.is_empty())
        .and_then(|ws| path.strip_prefix(ws))
        .and_then(|r| r.strip_prefix('/'))
        .map(str::to_string);
    RepoPath {
        path: stripped.unwrap_or(path),
        relative: false,
        escapes_root: false,
    }
}

/// Resolves `.` and `..` segments and drops empty ones (`a//b`), keeping a leading `/`
/// or drive (`C:`); `None` when `..` would climb above the start.
fn normalize(path: &str) -> Option<String> {
    let (root, rest) = match path.strip_prefix('/') {
        Some(rest) => ("/", rest),
        None => ("", path),
    };
    let mut segments: Vec<&str> = Vec::new();
    for segment in rest.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                // A drive (`C:`) is the root of a Windows path, not a segment to pop.
                if segments
                    .last()
                    .is_none_or(|s| s.ends_with(':') && segments.len() == 1)
                {
                    return None;
                }
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    Some(format!("{root}{}", segments.join("/")))
}

/// `scheme:rest` when `s` starts with an RFC 3986 scheme of two or more characters
/// (one letter would be a Windows drive, `C:/…`).
fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once(':')?;
    let valid = scheme.len() >= 2
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanner_paths_become_repository_relative_where_possible() {
        let ws = Some("/home/runner/work/ledger/ledger");
        assert_eq!(
            repo_path("src/a.rs", ws),
            RepoPath {
                path: "src/a.rs".into(),
                relative: true,
                escapes_root: false,
            }
        );
        assert_eq!(repo_path("./src/a.rs", ws).path, "src/a.rs");
        for uri in [
            "file:///home/runner/work/ledger/ledger/src/my%20file.rs",
            "FILE:///home/runner/work/ledger/ledger/src/my%20file.rs",
            "file:/home/runner/work/ledger/ledger/src/my%20file.rs",
            "file://localhost/home/runner/work/ledger/ledger/src/my%20file.rs",
        ] {
            assert_eq!(
                repo_path(uri, ws),
                RepoPath {
                    path: "src/my file.rs".into(),
                    relative: false,
                    escapes_root: false,
                },
                "{uri}"
            );
        }
        assert_eq!(
            repo_path("file:///usr/include/stdio.h", ws).path,
            "/usr/include/stdio.h"
        );
        assert!(!repo_path("https://example.com/src/a.rs", ws).relative);
        assert!(!repo_path("C:/src/a.rs", None).relative);
    }

    #[test]
    fn dot_segments_are_resolved_before_any_glob() {
        let ws = Some("/w/repo");
        assert_eq!(repo_path("tests/../src/main.rs", ws).path, "src/main.rs");
        assert_eq!(repo_path("./src/./a//b.rs", ws).path, "src/a/b.rs");
        assert_eq!(
            repo_path("tests%2F..%2Fsrc/main.rs", ws).path,
            "src/main.rs"
        );
        assert_eq!(
            repo_path("file:///w/repo/tests/../src/main.rs", ws).path,
            "src/main.rs"
        );
        for climbing in ["../etc/passwd", "src/../../x.rs", "/../x", "C:/../x"] {
            assert!(repo_path(climbing, ws).escapes_root, "{climbing}");
        }
        let filter = PathFilter {
            include: vec![GlobPattern("src/**".into())],
            exclude: vec![GlobPattern("tests/**".into()), GlobPattern("**".into())],
        };
        let m = PathMatcher::new(&filter);
        assert!(!m.admits(&repo_path("tests/../src/main.rs", ws)));
        assert!(m.admits(&repo_path("tests/../../src/main.rs", ws)));
        let exclude_tests = PathMatcher::new(&PathFilter {
            include: vec![],
            exclude: vec![GlobPattern("tests/**".into())],
        });
        assert!(
            exclude_tests.admits(&repo_path("tests/../src/main.rs", ws)),
            "the file is src/main.rs, which tests/** does not exclude"
        );
    }

    #[test]
    fn includes_only_drop_paths_the_scanner_wrote_relative() {
        let filter = PathFilter {
            include: vec![GlobPattern("src/**".into())],
            exclude: vec![GlobPattern("**/tests/**".into())],
        };
        let m = PathMatcher::new(&filter);
        let ws = Some("/w/repo");
        assert!(m.admits(&repo_path("src/a.rs", ws)));
        assert!(!m.admits(&repo_path("web/a.js", ws)));
        // Absolute: counted even when it looks outside the include (the workspace may be
        // the parent of the checkout, as with actions/checkout `path:`).
        assert!(m.admits(&repo_path("file:///w/repo/sub/web/a.js", ws)));
        assert!(m.admits(&repo_path("https://host/x/a.js", ws)));
        assert!(
            !m.admits(&repo_path("file:///w/repo/tests/a.rs", ws)),
            "excludes still apply"
        );
    }
}
