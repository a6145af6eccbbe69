//! Readers for local evidence files.
pub mod sca;
pub mod vex;
