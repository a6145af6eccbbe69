//! `vouch policy`: write a starter policy, check one, print the schema.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;

use super::Outcome;
use crate::policy::{self, Policy};

/// `vouch policy` subcommands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Write a commented starter policy.
    Init {
        /// Where to write it.
        #[arg(long, short, default_value = "vouch.yaml")]
        output: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Validate a policy file; errors name the line and column.
    Check {
        /// The policy file.
        file: PathBuf,
    },
    /// Print the policy's JSON Schema (2020-12).
    Schema,
}

/// Runs a `vouch policy` subcommand.
pub fn run(cmd: &PolicyCommand) -> anyhow::Result<Outcome> {
    match cmd {
        PolicyCommand::Init { output, force } => {
            if output.exists() && !force {
                bail!(
                    "{} already exists; use --force to overwrite",
                    output.display()
                );
            }
            std::fs::write(output, policy::STARTER_POLICY)
                .with_context(|| format!("writing {}", output.display()))?;
            eprintln!("wrote {}", output.display());
        }
        PolicyCommand::Check { file } => {
            let (p, _) = policy::load_file(file)?;
            p.require_a_control(&file.display().to_string())?;
            println!(
                "{}: valid (controls: {}; {} exception(s))",
                file.display(),
                p.enabled_controls().join(", "),
                p.exceptions.len()
            );
        }
        PolicyCommand::Schema => {
            std::io::stdout().write_all(Policy::json_schema_text().as_bytes())?;
        }
    }
    Ok(Outcome::Pass)
}
