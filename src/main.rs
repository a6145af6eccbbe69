//! The `vouch` binary: parse the command line, run the library, map the outcome to an
//! exit code (0 pass, 1 a required control failed or errored, 2 the run could not start).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use vouch::ci::Env;
use vouch::cli::{
    Cli, Command, Outcome, attestation, evaluate, policy, provenance, release, sbom, sigstore,
    verify, vsa,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .init();
    vouch::collect::input::set_max_input_bytes(cli.max_input_size);
    let env = Env::from_process();
    let tty = std::io::stdout().is_terminal();
    let result = match &cli.command {
        Command::Verify(args) => verify::run(args, &env, tty),
        Command::Evaluate(args) => evaluate::run(args, &env, tty),
        Command::Policy(cmd) => policy::run(cmd),
        Command::Sbom(cmd) => sbom::run(cmd, &env, tty),
        Command::Sigstore(cmd) => sigstore::run(cmd),
        Command::Release(cmd) => release::run(cmd, &env, tty),
        Command::Provenance(cmd) => provenance::run(cmd),
        Command::Vsa(cmd) => vsa::run(cmd),
        Command::Attestation(cmd) => attestation::run(cmd),
    };
    match result {
        Ok(Outcome::Pass) => ExitCode::SUCCESS,
        Ok(Outcome::Fail) => ExitCode::from(1),
        Err(e) => {
            let msg = format!("{e:#}");
            eprintln!("vouch: error: {}", vouch::report::escape::terminal(&msg));
            ExitCode::from(2)
        }
    }
}
