//! DSSE envelopes (Dead Simple Signing Envelope v1.0) and their pre-authentication
//! encoding, the bytes a DSSE signature covers: read here for `verify/`, written by
//! [`Envelope::to_value`] for `attest/`.
//!
//! Written with serde rather than taken from the `in-toto` crate: in-toto 0.4 knows only
//! Statement v0.1, prints to stdout, and its envelope type hides the raw payload bytes a
//! verifier must hash and compare with the transparency log.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::error::{Result, VerifyError};

/// The payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A DSSE envelope with its payload decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The payload type (normally [`IN_TOTO_PAYLOAD_TYPE`]).
    pub payload_type: String,
    /// The payload bytes (base64-decoded).
    pub payload: Vec<u8>,
    /// The signatures.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeSignature {
    /// The key id the signer gave, if any (never trusted, only reported).
    pub keyid: Option<String>,
    /// The signature bytes.
    pub sig: Vec<u8>,
    /// A PEM certificate next to the signature, as slsa-github-generator before v2 wrote.
    pub cert: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEnvelope {
    payload: String,
    payload_type: String,
    #[serde(default)]
    signatures: Vec<RawSignature>,
}

#[derive(Deserialize)]
struct RawSignature {
    #[serde(default)]
    keyid: Option<String>,
    sig: String,
    #[serde(default)]
    cert: Option<String>,
}

impl Envelope {
    /// Reads an envelope from its JSON value.
    pub fn from_value(value: &serde_json::Value) -> Result<Self> {
        let raw: RawEnvelope = serde_path_to_error::deserialize(value).map_err(|e| {
            VerifyError::parse(format!(
                "DSSE envelope: field `{}`: {}",
                e.path(),
                e.inner()
            ))
        })?;
        let payload = STANDARD.decode(&raw.payload).map_err(|e| {
            VerifyError::parse(format!("DSSE envelope: field `payload` is not base64: {e}"))
        })?;
        let signatures = raw
            .signatures
            .into_iter()
            .enumerate()
            .map(|(index, signature)| {
                let sig = STANDARD.decode(&signature.sig).map_err(|e| {
                    VerifyError::parse(format!(
                        "DSSE envelope: field `signatures[{index}].sig` is not base64: {e}"
                    ))
                })?;
                Ok(EnvelopeSignature {
                    keyid: signature.keyid.filter(|id| !id.is_empty()),
                    sig,
                    cert: signature.cert.filter(|cert| !cert.is_empty()),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if signatures.is_empty() {
            return Err(VerifyError::parse("DSSE envelope: no signatures"));
        }
        Ok(Envelope {
            payload_type: raw.payload_type,
            payload,
            signatures,
        })
    }

    /// The pre-authentication encoding the signatures cover.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// Checks that a signature verifies with `key`; when `key_id` is given, only
    /// signatures carrying that key id count.
    pub fn verify_with(&self, key: &super::keys::PublicKey, key_id: Option<&str>) -> Result<()> {
        let pae = self.pae();
        let verified = self
            .signatures
            .iter()
            .filter(|signature| key_id.is_none_or(|id| signature.keyid.as_deref() == Some(id)))
            .any(|signature| key.verify(&pae, &signature.sig, key.default_hash()).is_ok());
        if verified {
            Ok(())
        } else {
            Err(VerifyError::signature(match key_id {
                Some(id) => format!("no signature with key id `{id}` verifies with the given key"),
                None => "no signature verifies with the given key".to_string(),
            }))
        }
    }

    /// The envelope as JSON, in the form [`Envelope::from_value`] reads (and the DSSE
    /// spec writes): base64 payload and signatures, `keyid` left out when unknown.
    pub fn to_value(&self) -> serde_json::Value {
        let signatures: Vec<serde_json::Value> = self
            .signatures
            .iter()
            .map(|signature| {
                let mut entry = serde_json::Map::new();
                if let Some(keyid) = &signature.keyid {
                    entry.insert("keyid".into(), keyid.clone().into());
                }
                entry.insert("sig".into(), STANDARD.encode(&signature.sig).into());
                if let Some(cert) = &signature.cert {
                    entry.insert("cert".into(), cert.clone().into());
                }
                serde_json::Value::Object(entry)
            })
            .collect();
        serde_json::json!({
            "payload": STANDARD.encode(&self.payload),
            "payloadType": self.payload_type,
            "signatures": signatures,
        })
    }
}

/// `DSSEv1 <len(type)> <type> <len(payload)> <payload>`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_envelope_reads_back_the_same() {
        let envelope = Envelope {
            payload_type: IN_TOTO_PAYLOAD_TYPE.into(),
            payload: b"{\"_type\":\"x\"}".to_vec(),
            signatures: vec![EnvelopeSignature {
                keyid: Some("ab12".into()),
                sig: vec![0, 1, 2, 255],
                cert: None,
            }],
        };
        let value = envelope.to_value();
        assert!(value["signatures"][0].get("cert").is_none());
        assert_eq!(Envelope::from_value(&value).unwrap(), envelope);
    }

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // From the DSSE protocol document: type "http://example.com/HelloWorld", body "hello world".
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }
}
