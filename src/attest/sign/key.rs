//! Signing with a key the user holds: PKCS#8 PEM (ECDSA P-256 or P-384, Ed25519),
//! encrypted ones (PBES2, as `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes) decrypted
//! with the password from `VOUCH_KEY_PASSWORD`.
//!
//! Signatures are what Sigstore clients verify: ECDSA in ASN.1 DER over SHA-256 (P-256)
//! or SHA-384 (P-384), Ed25519 over the message itself. The key id is the lower-case
//! hex sha256 of the public key's SubjectPublicKeyInfo, the same for the DSSE `keyid`
//! and the bundle's public-key hint, so a consumer can pin it.

use pkcs8::der::Decode;
use pkcs8::{DecodePrivateKey, EncryptedPrivateKeyInfo, PrivateKeyInfo};
use signature::Signer as _;

use crate::verify::keys::{PublicKey, decode_pem, key_id};

/// A signing key.
pub enum SigningKey {
    /// ECDSA P-256 with SHA-256.
    P256(p256::ecdsa::SigningKey),
    /// ECDSA P-384 with SHA-384.
    P384(p384::ecdsa::SigningKey),
    /// Ed25519.
    Ed25519(ed25519_dalek::SigningKey),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key material.
        write!(f, "SigningKey({})", self.algorithm_name())
    }
}

/// Why a key file cannot sign.
#[derive(Debug, thiserror::Error)]
#[error("--sign-key {file}: {message}")]
pub struct KeyError {
    /// The key file.
    pub file: String,
    /// What is wrong (never the key or the password).
    pub message: String,
}

const ID_EC_PUBLIC_KEY: pkcs8::ObjectIdentifier =
    pkcs8::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: pkcs8::ObjectIdentifier =
    pkcs8::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: pkcs8::ObjectIdentifier = pkcs8::ObjectIdentifier::new_unwrap("1.3.132.0.34");
const ED25519: pkcs8::ObjectIdentifier = pkcs8::ObjectIdentifier::new_unwrap("1.3.101.112");

impl SigningKey {
    /// Reads a PKCS#8 PEM key; `password` decrypts an `ENCRYPTED PRIVATE KEY`.
    pub fn from_pem(text: &[u8], password: Option<&str>, file: &str) -> Result<Self, KeyError> {
        let fail = |message: String| KeyError {
            file: file.to_string(),
            message,
        };
        let (label, der) = decode_pem(text)
            .ok_or_else(|| fail("not a PEM file (expected a PKCS#8 `PRIVATE KEY`)".into()))?;
        let plain = match label.as_str() {
            "PRIVATE KEY" => zeroize::Zeroizing::new(der),
            "ENCRYPTED PRIVATE KEY" => {
                let password = password.ok_or_else(|| {
                    fail("the key is encrypted: set its password in VOUCH_KEY_PASSWORD".into())
                })?;
                let info = EncryptedPrivateKeyInfo::from_der(&der)
                    .map_err(|e| fail(format!("not a PKCS#8 encrypted key: {e}")))?;
                let document = info.decrypt(password).map_err(|_| {
                    fail("cannot decrypt the key: wrong password in VOUCH_KEY_PASSWORD, or an unsupported cipher (PBES2 with PBKDF2 or scrypt and AES is supported)".into())
                })?;
                zeroize::Zeroizing::new(document.as_bytes().to_vec())
            }
            "EC PRIVATE KEY" => {
                return Err(fail(
                    "a SEC1 `EC PRIVATE KEY`: convert it to PKCS#8 with `openssl pkcs8 -topk8 -in KEY -out KEY.p8` (add `-nocrypt`, or keep it encrypted and set VOUCH_KEY_PASSWORD)".into(),
                ));
            }
            other if other.contains("SIGSTORE") || other.contains("COSIGN") => {
                return Err(fail(format!(
                    "a cosign key (`{other}`) is not PKCS#8, which is what vouch reads; make a PKCS#8 key (`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out vouch.key`)"
                )));
            }
            other => {
                return Err(fail(format!(
                    "a PEM `{other}` block, expected a PKCS#8 `PRIVATE KEY` or `ENCRYPTED PRIVATE KEY`"
                )));
            }
        };
        let info = PrivateKeyInfo::from_der(&plain)
            .map_err(|e| fail(format!("not a PKCS#8 private key: {e}")))?;
        let algorithm = info.algorithm.oid;
        if algorithm == ED25519 {
            return ed25519_dalek::SigningKey::from_pkcs8_der(&plain)
                .map(SigningKey::Ed25519)
                .map_err(|e| fail(format!("invalid Ed25519 key: {e}")));
        }
        if algorithm != ID_EC_PUBLIC_KEY {
            return Err(fail(format!(
                "unsupported key algorithm {algorithm} (ECDSA P-256, P-384 and Ed25519 are supported)"
            )));
        }
        match info.algorithm.parameters_oid().ok() {
            Some(SECP256R1) => p256::ecdsa::SigningKey::from_pkcs8_der(&plain)
                .map(SigningKey::P256)
                .map_err(|e| fail(format!("invalid P-256 key: {e}"))),
            Some(SECP384R1) => p384::ecdsa::SigningKey::from_pkcs8_der(&plain)
                .map(SigningKey::P384)
                .map_err(|e| fail(format!("invalid P-384 key: {e}"))),
            other => Err(fail(format!(
                "unsupported EC curve {} (P-256 and P-384 are supported)",
                other
                    .map(|o| o.to_string())
                    .unwrap_or_else(|| "(none named)".into())
            ))),
        }
    }

    /// The public half, as the verifier holds keys.
    pub fn public_key(&self) -> PublicKey {
        match self {
            SigningKey::P256(key) => PublicKey::P256(*key.verifying_key()),
            SigningKey::P384(key) => PublicKey::P384(*key.verifying_key()),
            SigningKey::Ed25519(key) => PublicKey::Ed25519(key.verifying_key()),
        }
    }

    /// Hex sha256 of the public key's SubjectPublicKeyInfo.
    pub fn key_id(&self) -> String {
        let spki = self
            .public_key()
            .to_spki_der()
            .expect("a key vouch parsed encodes");
        hex::encode(key_id(&spki))
    }

    /// The public key as a PEM `PUBLIC KEY` block (what consumers are given to verify).
    pub fn public_key_pem(&self) -> String {
        use base64::Engine;
        let spki = self
            .public_key()
            .to_spki_der()
            .expect("a key vouch parsed encodes");
        let body = base64::engine::general_purpose::STANDARD.encode(spki);
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        pem
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            SigningKey::P256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(message);
                signature.to_der().as_bytes().to_vec()
            }
            SigningKey::P384(key) => {
                let signature: p384::ecdsa::Signature = key.sign(message);
                signature.to_der().as_bytes().to_vec()
            }
            SigningKey::Ed25519(key) => key.sign(message).to_bytes().to_vec(),
        }
    }

    /// Sigstore's name for the key and its signature scheme (Rekor v2 `keyDetails`).
    pub fn key_details(&self) -> &'static str {
        match self {
            SigningKey::P256(_) => "PKIX_ECDSA_P256_SHA_256",
            SigningKey::P384(_) => "PKIX_ECDSA_P384_SHA_384",
            SigningKey::Ed25519(_) => "PKIX_ED25519",
        }
    }

    /// A short name of the algorithm, for messages.
    pub fn algorithm_name(&self) -> &'static str {
        match self {
            SigningKey::P256(_) => "ECDSA P-256",
            SigningKey::P384(_) => "ECDSA P-384",
            SigningKey::Ed25519(_) => "Ed25519",
        }
    }
}
