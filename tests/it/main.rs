//! Integration tests: one binary, a module per area (as ripgrep does).

mod acceptance;
mod attest;
mod cli;
mod cyclonedx_corpus;
mod example;
mod fail_closed;
mod fault_matrix;
mod github;
mod github_change_checks;
mod github_schema;
mod hostile_text;
mod interop;
mod keyless;
mod reperformance;
mod report_sinks;
mod sarif_corpus;
mod sbom;
mod sbom_cargo;
mod sca_corpus;
mod schemas;
mod sigstore_conformance;
mod sigstore_fixtures;
mod sigstore_mutations;
mod sigstore_stack;
mod slsa_corpus;
mod support;
