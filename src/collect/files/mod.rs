//! Readers for local evidence files. Each takes a source name and the bytes and
//! returns evidence or a [`crate::evidence::Gap`]; none of them panics on any input.
pub mod attestation;
mod gitlab_sast;
pub(crate) mod json;
pub mod lockfile;
pub mod oci;
pub mod sarif;
pub mod sbom;
pub mod sca;
pub mod vex;
