//! What vouch vouches: the in-toto statements a run produces (a SLSA Verification
//! Summary Attestation and a detailed report), to be signed and published.
//!
//! The statement layout written here is the one `verify::statement` reads, so that a
//! statement vouch writes is checked by the same code that checks anyone else's.

pub mod http;
pub mod levels;
pub mod oidc;
pub mod produce;
pub mod publish;
pub mod report;
pub mod sign;
pub mod signing_config;
pub mod statement;
pub mod vsa;
