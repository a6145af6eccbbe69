//! Signing statements: each statement becomes a DSSE envelope (payload type
//! `application/vnd.in-toto+json`) inside a Sigstore bundle v0.3, built with the model
//! `verify/` reads, and checked by vouch's own verifier before anything is written.

pub mod fulcio;
pub mod key;
pub mod keyless;
pub mod rekor;
pub mod tsa;

use crate::verify::bundle::{Bundle, Content, SigningMaterial};
use crate::verify::dsse::{Envelope, EnvelopeSignature, IN_TOTO_PAYLOAD_TYPE, pae};

pub use key::{KeyError, SigningKey};

/// A statement signed with a key: the bundle (public-key hint, no log entry until one is
/// published to Rekor) and the bare envelope slsa-verifier's `verify-vsa` reads.
#[derive(Debug, Clone)]
pub struct KeySigned {
    /// The Sigstore bundle.
    pub bundle: Bundle,
    /// The same envelope on its own.
    pub envelope: Envelope,
}

/// Signs a statement's exact bytes with `key`.
pub fn sign_with_key(key: &SigningKey, statement: &[u8]) -> KeySigned {
    let signature = key.sign(&pae(IN_TOTO_PAYLOAD_TYPE, statement));
    let keyid = key.key_id();
    let envelope = Envelope {
        payload_type: IN_TOTO_PAYLOAD_TYPE.to_string(),
        payload: statement.to_vec(),
        signatures: vec![EnvelopeSignature {
            keyid: Some(keyid.clone()),
            sig: signature,
            cert: None,
        }],
    };
    let bundle = Bundle::unlogged(
        SigningMaterial::PublicKey { hint: Some(keyid) },
        Content::Dsse(envelope.clone()),
    );
    KeySigned { bundle, envelope }
}
