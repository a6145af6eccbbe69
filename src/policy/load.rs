//! Reading a policy file, with errors that point into it.

use std::path::Path;

use super::Policy;

/// A policy that could not be read or is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", position_suffix(*.line, *.column))]
pub struct PolicyError {
    /// The policy file.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// 1-based column, when known.
    pub column: Option<u64>,
    /// What is wrong, naming the field.
    pub message: String,
}

fn position_suffix(line: Option<u64>, column: Option<u64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

/// Reads and validates a policy file.
pub fn load_file(path: &Path) -> Result<(Policy, Vec<u8>), PolicyError> {
    let name = path.display().to_string();
    let bytes = crate::collect::input::read_file(path).map_err(|e| PolicyError {
        file: name.clone(),
        line: None,
        column: None,
        message: format!("cannot read policy: {e}"),
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|e| PolicyError {
        file: name.clone(),
        line: None,
        column: None,
        message: format!("policy is not UTF-8: {e}"),
    })?;
    let policy = parse_str(text, &name)?;
    Ok((policy, bytes))
}

/// Parses and validates policy text; `file` names it in errors.
pub fn parse_str(text: &str, file: &str) -> Result<Policy, PolicyError> {
    // YAML 1.2 booleans only (see `sections::strict_bool`); duplicate keys are an
    // error (serde-saphyr's default, kept explicit: a second `sast:` must not win).
    let options = serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::Error,
    };
    let policy: Policy = serde_saphyr::from_str_with_options(text, options)
        .map_err(|e| from_yaml_error(&e, file))?;
    validate(&policy, file)?;
    Ok(policy)
}

fn from_yaml_error(err: &serde_saphyr::Error, file: &str) -> PolicyError {
    use serde_saphyr::Error as E;
    let mut err = err.without_snippet();
    // Errors behind an alias carry the original error inside.
    while let E::AliasError { error, .. } = err {
        err = error.without_snippet();
    }
    let location = err.location();
    let (line, column) = match location {
        Some(l) if l.line() > 0 => (Some(l.line()), Some(l.column())),
        _ => (None, None),
    };
    let message = match err {
        E::SerdeUnknownField {
            field, expected, ..
        } => with_suggestion(format!("unknown key `{field}`"), field, expected),
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => with_suggestion(format!("unknown value `{variant}`"), variant, expected),
        other => strip_location(&other.to_string()),
    };
    PolicyError {
        file: file.to_string(),
        line,
        column,
        message,
    }
}

/// Appends "did you mean" for the closest expected name, then the full list.
fn with_suggestion(mut message: String, got: &str, expected: &[&str]) -> String {
    if let Some(best) = closest(got, expected) {
        message.push_str(&format!(" (did you mean `{best}`?)"));
    }
    if !expected.is_empty() {
        message.push_str(&format!("; expected one of: {}", expected.join(", ")));
    }
    message
}

/// The expected name most similar to `got`, if similar enough to be a likely typo.
pub(crate) fn closest<'a>(got: &str, expected: &[&'a str]) -> Option<&'a str> {
    expected
        .iter()
        .map(|e| {
            // Jaro-Winkler catches dropped letters in long keys, Damerau-Levenshtein
            // catches swapped letters in short ones (`sac` for `sca`).
            let jw = strsim::jaro_winkler(got, e);
            let dl = strsim::normalized_damerau_levenshtein(got, e);
            (jw.max(dl + 0.2), *e)
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, e)| e)
}

/// serde-saphyr renders "… at line X, column Y"; the location is already in our prefix.
fn strip_location(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or(message);
    let first_line = first_line.strip_prefix("error: ").unwrap_or(first_line);
    let first_line = match first_line
        .strip_prefix("line ")
        .and_then(|r| r.split_once(": "))
    {
        Some((_, rest)) => rest,
        None => first_line,
    };
    match first_line.rfind(" at line ") {
        Some(i) => first_line[..i].to_string(),
        None => first_line.to_string(),
    }
}

/// Rules that span several values. Single values are checked while parsing (see
/// `sections`), where the YAML reader knows their line.
fn validate(_policy: &Policy, _file: &str) -> Result<(), PolicyError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelled_key_names_line_and_suggests() {
        let err = parse_str("version: 1\nsast:\n  fial_on: high\n", "p.yaml").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.message.contains("unknown key `fial_on`"), "{err}");
        assert!(err.message.contains("did you mean `fail_on`?"), "{err}");
        assert!(err.to_string().starts_with("p.yaml:3:"), "{err}");
    }

    #[test]
    fn bad_threshold_is_named() {
        let err = parse_str("version: 1\nsca:\n  fail_on: hihg\n", "p.yaml").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.message.contains("did you mean `high`?"), "{err}");
    }

    #[test]
    fn wrong_version_is_rejected() {
        let err = parse_str("version: 2\n", "p.yaml").unwrap_err();
        assert!(err.message.contains("version: expected 1, got 2"), "{err}");
    }

    #[test]
    fn exception_needs_expiry_and_known_control() {
        let missing = "version: 1\nexceptions:\n  - control: sca\n    match: {id: CVE-1}\n    reason: r\n    owner: o\n";
        let err = parse_str(missing, "p.yaml").unwrap_err();
        assert!(err.message.contains("expires"), "{err}");
        let unknown = "version: 1\nexceptions:\n  - control: sac\n    match: {id: CVE-1}\n    reason: r\n    owner: o\n    expires: 2030-01-01\n";
        let err = parse_str(unknown, "p.yaml").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.message.contains("did you mean `sca`?"), "{err}");
        let empty = "version: 1\nexceptions:\n  - control: sca\n    match: {}\n    reason: r\n    owner: o\n    expires: 2030-01-01\n";
        assert!(
            parse_str(empty, "p.yaml")
                .unwrap_err()
                .message
                .contains("at least one")
        );
    }

    #[test]
    fn bad_glob_is_named() {
        let err = parse_str(
            "version: 1\nsast:\n  paths:\n    exclude: ['a/[']\n",
            "p.yaml",
        )
        .unwrap_err();
        assert_eq!(err.line, Some(4), "{err}");
        assert!(err.message.contains("invalid glob `a/[`"), "{err}");
    }

    #[test]
    fn value_rules_carry_line_and_column() {
        for (text, line, needle) in [
            ("version: 2\n", 1, "version: expected 1, got 2"),
            (
                "version: 1\nsca:\n  fail_on: error\n",
                3,
                "unknown value `error`",
            ),
            (
                "version: 1\nsca:\n  unrated_as: unknown\n",
                3,
                "unknown value `unknown`",
            ),
            (
                "version: 1\nsast:\n  required_tools: [CodeQL, '  ']\n",
                3,
                "must not be empty",
            ),
            (
                "version: 1\nexceptions:\n  - control: sca\n    match: {id: X}\n    reason: ''\n    owner: o\n    expires: 2030-01-01\n",
                5,
                "must not be empty",
            ),
        ] {
            let err = parse_str(text, "p.yaml").unwrap_err();
            assert_eq!(err.line, Some(line), "{text}: {err}");
            assert!(err.message.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn a_present_but_empty_section_enables_the_control() {
        for text in [
            "version: 1\nsast:\nsca:\n",
            "version: 1\nsast: {}\nsca: ~\n",
            "version: 1\nsast:\n  # all commented out\nsca: {}\n",
        ] {
            let p = parse_str(text, "p.yaml").unwrap();
            let sast = p.sast.expect("sast enabled");
            assert!(sast.enabled);
            assert_eq!(sast.fail_on.0.as_str(), "high");
            assert!(p.sca.expect("sca enabled").enabled);
        }
        let p = parse_str("version: 1\n", "p.yaml").unwrap();
        assert!(
            p.sast.is_none() && p.sca.is_none(),
            "absent sections are skipped"
        );
    }

    #[test]
    fn starter_policy_is_valid() {
        let p = super::super::default_policy();
        assert!(p.sast.is_some() && p.sca.is_some());
    }

    #[test]
    fn the_starter_offers_the_forge_controls_and_they_parse_when_uncommented() {
        let text = super::super::STARTER_POLICY;
        for section in [
            "# branch_protection:",
            "# peer_review:",
            "# required_checks:",
        ] {
            assert!(text.contains(section), "{section}");
        }
        // Uncommenting the forge block gives a valid policy with those controls.
        let start = text.find("# branch_protection:").unwrap();
        let end = text.find("# SAST gate").unwrap();
        let block: String = text[start..end]
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            // Settings, not the prose between them.
            .filter(|l| l.starts_with("  ") || (l.ends_with(':') && !l.contains(' ')))
            .collect::<Vec<_>>()
            .join("\n");
        let uncommented = format!("{}{block}\n{}", &text[..start], &text[end..]);
        let p = parse_str(&uncommented, "starter").unwrap();
        assert!(
            p.branch_protection.is_some() && p.peer_review.is_some() && p.required_checks.is_some()
        );
    }
}
