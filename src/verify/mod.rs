//! Signature and attestation verification: Sigstore bundles, DSSE envelopes, X.509 chains
//! to a Fulcio CA, SCTs, Rekor v1/v2 transparency proofs, RFC 3161 timestamps, in-toto
//! statements and SLSA provenance.
//!
//! Everything here works offline against a [`trust_root::TrustedRoot`]; nothing reaches the
//! network. Why this is not the `sigstore` crate's verifier: a spike against the
//! sigstore-conformance suite found that sigstore 0.15 accepts a bundle whose Rekor inclusion
//! proof or signed entry timestamp is corrupted, ignores RFC 3161 timestamps, rejects
//! key-signed bundles and `intoto` log entries, and has no Rekor v2. A verifier that skips
//! checks silently is worse than none, so each step is done here on maintained primitives
//! (x509-cert, p256/p384/p521, ed25519-dalek, rsa, cms, x509-tsp) and each module says
//! which step it owns. The `sigstore` crate is used for what it does correctly: fetching
//! the public-good trusted root through TUF (`vouch sigstore refresh-root`).

pub mod artifact;
pub mod attestation;
pub mod bundle;
pub mod bundle_write;
pub mod certificate;
pub mod checkpoint;
pub mod der_bounds;
pub mod dsse;
pub mod error;
pub mod identity;
pub mod keys;
pub mod merkle;
pub mod provenance;
pub mod rekor;
pub mod sct;
pub mod sigstore;
pub mod slsa;
pub mod statement;
pub mod timestamp;
pub mod trust_root;
pub mod vsa;

pub use error::{Step, VerifyError};
