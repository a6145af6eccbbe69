//! `--format FMT[=PATH]` and writing the reports of one run.

use std::path::PathBuf;

use std::io::Write;

use anyhow::{Context, bail};

use crate::ci::Env;
use crate::report::{self, Format, Report};

/// One requested output: a format and where it goes (stdout when no path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    /// Format.
    pub format: Format,
    /// Destination file; `None` for stdout.
    pub path: Option<PathBuf>,
}

/// Parses `FMT` or `FMT=PATH`.
pub fn parse_output_spec(s: &str) -> Result<OutputSpec, String> {
    use clap::ValueEnum;
    let (fmt, path) = match s.split_once('=') {
        Some((f, p)) if !p.is_empty() => (f, Some(PathBuf::from(p))),
        Some((f, _)) => return Err(format!("`{f}=` needs a path after `=`")),
        None => (s, None),
    };
    let format = Format::from_str(fmt, true).map_err(|_| {
        format!("unknown format `{fmt}`; expected one of: text, json, sarif, junit, markdown (optionally FMT=PATH)")
    })?;
    Ok(OutputSpec { format, path })
}

/// Renders one format.
pub fn render(format: Format, report: &Report, color: bool) -> String {
    match format {
        Format::Text => report::text::render(report, color),
        Format::Json => report::json::render(report),
        Format::Sarif => report::sarif::render(report),
        Format::Junit => report::junit::render(report),
        Format::Markdown => report::markdown::render(report),
    }
}

/// Writes one format to `w`: the large machine formats straight to it, without a
/// copy of the whole text in memory.
fn write_to(format: Format, report: &Report, mut w: impl Write) -> std::io::Result<()> {
    match format {
        Format::Json => report::json::write(report, &mut w)?,
        Format::Sarif => report::sarif::write(report, &mut w)?,
        Format::Junit => report::junit::write(report, &mut w)?,
        Format::Text => report::text::write(report, false, &mut w)?,
        Format::Markdown => w.write_all(render(format, report, false).as_bytes())?,
    }
    w.flush()
}

/// Writes every requested output, then the GitHub Actions extras when running there.
pub fn emit(
    specs: &[OutputSpec],
    report: &Report,
    env: &Env,
    stdout_is_tty: bool,
) -> anyhow::Result<()> {
    let default = [OutputSpec {
        format: Format::Text,
        path: None,
    }];
    let specs = if specs.is_empty() {
        &default[..]
    } else {
        specs
    };
    if specs.iter().filter(|s| s.path.is_none()).count() > 1 {
        bail!("--format: at most one format can go to stdout; give the others a path (FMT=PATH)");
    }
    let mut stdout = String::new();
    let mut stdout_format = None;
    for spec in specs {
        match &spec.path {
            None => {
                stdout_format = Some(spec.format);
                stdout.push_str(&render(
                    spec.format,
                    report,
                    stdout_is_tty && env.color_allowed(),
                ));
            }
            Some(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                std::fs::File::create(path)
                    .and_then(|f| write_to(spec.format, report, std::io::BufWriter::new(f)))
                    .with_context(|| {
                        format!(
                            "writing {} report to {}",
                            format_name(spec.format),
                            path.display()
                        )
                    })?;
            }
        }
    }
    let mut stderr = String::new();
    if stdout_format.is_none() {
        // Every report went to a file: the terminal (or CI log) still learns the outcome.
        stderr.push_str(&verdict_line(report, specs));
    }
    if env.in_github_actions() {
        if let Some(summary) = env.github_step_summary() {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(summary)
                .with_context(|| format!("opening GITHUB_STEP_SUMMARY {summary}"))?;
            f.write_all(report::markdown::render(report).as_bytes())
                .context("writing GITHUB_STEP_SUMMARY")?;
        }
        let annotations = report::github::annotations(report);
        if stdout_format == Some(Format::Text) {
            // The human report goes between `::stop-commands::TOKEN` and `::TOKEN::`: the
            // runner ignores every workflow command in between, whatever a scanner wrote,
            // and the token is random so untrusted text cannot end the block early. Our
            // own annotations come after, on the same stream, so they keep their order.
            let token = unguessable_token();
            stdout = format!("::stop-commands::{token}\n{stdout}::{token}::\n{annotations}");
        } else {
            // A machine format on stdout must stay parseable: annotations go to stderr,
            // which the runner reads for commands too.
            stderr.push_str(&annotations);
        }
    }
    write_stream(std::io::stdout().lock(), &stdout).context("writing the report to stdout")?;
    write_stream(std::io::stderr().lock(), &stderr).context("writing annotations to stderr")?;
    Ok(())
}

/// `vouch: FAIL (sast fail, sca error); reports: sarif=out.sarif` — the outcome when no
/// report went to stdout.
fn verdict_line(report: &Report, specs: &[OutputSpec]) -> String {
    use crate::verdict::{Overall, Status};
    let verdict = match report.verdict {
        Overall::Pass => "PASS",
        Overall::Fail => "FAIL",
    };
    let notable: Vec<String> = report
        .controls
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Error))
        .map(|c| format!("{} {}", c.id, c.status.as_str()))
        .collect();
    let files: Vec<String> = specs
        .iter()
        .filter_map(|s| {
            let path = s.path.as_ref()?;
            Some(format!("{}={}", format_name(s.format), path.display()))
        })
        .collect();
    let detail = if notable.is_empty() {
        String::new()
    } else {
        format!(" ({})", notable.join(", "))
    };
    let line = format!("vouch: {verdict}{detail}; reports: {}", files.join(", "));
    format!("{}\n", crate::report::escape::terminal(&line))
}

/// Writes everything; a reader that went away (`vouch … | head`) is not an error.
fn write_stream(mut w: impl Write, text: &str) -> std::io::Result<()> {
    match w.write_all(text.as_bytes()).and_then(|()| w.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// 128 bits from the standard library's per-process random SipHash keys.
fn unguessable_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut token = String::new();
    for i in 0..2u8 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u8(i);
        token.push_str(&format!("{:016x}", h.finish()));
    }
    token
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Text => "text",
        Format::Json => "json",
        Format::Sarif => "sarif",
        Format::Junit => "junit",
        Format::Markdown => "markdown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        assert_eq!(
            parse_output_spec("json").unwrap(),
            OutputSpec {
                format: Format::Json,
                path: None
            }
        );
        assert_eq!(
            parse_output_spec("sarif=out/v.sarif").unwrap(),
            OutputSpec {
                format: Format::Sarif,
                path: Some("out/v.sarif".into())
            }
        );
        assert!(
            parse_output_spec("xml")
                .unwrap_err()
                .contains("unknown format")
        );
        assert!(parse_output_spec("json=").is_err());
    }
}
