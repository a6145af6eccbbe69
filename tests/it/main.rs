//! Integration tests, one module per area.
mod sca_corpus;
