//! vouch proves that a change or release went through the controls it claims.
//!
//! ```text
//!   collect ──> evidence ──> checks ──> verdict ──> report / attest
//!   (I/O)       (data)       (pure)     (pure)      (I/O)
//! ```
//!
//! * [`collect`] reads the world (input files, the forge's APIs) into [`evidence`]; a
//!   failed read becomes a typed [`evidence::Gap`], never an early exit.
//! * [`checks`] are pure functions of (policy section, evidence) to findings with stable
//!   kebab-case codes; [`checks::ALL`] is the registry.
//! * [`verdict`] applies waivers and folds findings into per-control outcomes
//!   (`pass | fail | error | waived | skipped`) and one overall verdict, failing closed.
//! * [`report`] renders one verdict as text, JSON, SARIF, JUnit or Markdown.
//! * [`attest`] turns the verdict into in-toto statements (a SLSA VSA and the detailed
//!   report), signs them and writes them; [`verify`] is the model they are written in
//!   and the verifier that checks them before they leave.
//!
//! Evidence is serializable: `--evidence-out` saves it and `vouch evaluate` re-performs
//! the evaluation offline with the same result.

pub mod attest;
pub mod checks;
pub mod ci;
pub mod cli;
pub mod collect;
pub mod evidence;
pub mod policy;
pub mod release;
pub mod report;
pub mod verdict;
pub mod verify;
