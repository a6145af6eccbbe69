//! Readers for local evidence files.
pub(crate) mod json;
pub mod sca;
pub mod vex;
