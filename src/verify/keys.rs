//! Public keys and signature checks: ECDSA P-256/P-384, Ed25519 and RSA
//! (PKCS#1 v1.5 and PSS), read from SubjectPublicKeyInfo DER or PEM.
//!
//! Owns the "does this signature verify under this key" step for every caller: artifact
//! and DSSE signatures, certificate signatures, SCTs, signed entry timestamps, checkpoints
//! and timestamp tokens. The primitives are RustCrypto's; nothing here is hand-rolled
//! cryptography, only the choice of which primitive an algorithm identifier means.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, ID_EC_PUBLIC_KEY, RSA_ENCRYPTION,
    SECP_256_R_1, SECP_384_R_1, SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION,
    SHA_512_WITH_RSA_ENCRYPTION,
};
use der::Decode;
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::SubjectPublicKeyInfoRef;

use super::error::{Result, VerifyError};

/// The Ed25519 algorithm identifier (RFC 8410), used for keys and signatures alike.
pub const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// A message digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlgorithm::Sha256 => Sha256::digest(data).to_vec(),
            HashAlgorithm::Sha384 => Sha384::digest(data).to_vec(),
            HashAlgorithm::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// The in-toto name (`sha256`).
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha384 => "sha384",
            HashAlgorithm::Sha512 => "sha512",
        }
    }

    /// The Sigstore protobuf name (`SHA2_256`) or the lower-case name Rekor v1 uses.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "SHA2_256" | "sha256" => Some(HashAlgorithm::Sha256),
            "SHA2_384" | "sha384" => Some(HashAlgorithm::Sha384),
            "SHA2_512" | "sha512" => Some(HashAlgorithm::Sha512),
            _ => None,
        }
    }

    /// The algorithm with this ASN.1 object identifier (RFC 5754).
    pub fn from_oid(oid: ObjectIdentifier) -> Option<Self> {
        use const_oid::db::rfc5912::{ID_SHA_256, ID_SHA_384, ID_SHA_512};
        match oid {
            ID_SHA_256 => Some(HashAlgorithm::Sha256),
            ID_SHA_384 => Some(HashAlgorithm::Sha384),
            ID_SHA_512 => Some(HashAlgorithm::Sha512),
            _ => None,
        }
    }
}

/// How an RSA key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsaPadding {
    /// PKCS#1 v1.5.
    Pkcs1v15,
    /// PSS with the salt length equal to the digest length.
    Pss,
}

/// A public key that can verify signatures.
#[derive(Debug, Clone)]
pub enum PublicKey {
    /// ECDSA over NIST P-256.
    P256(p256::ecdsa::VerifyingKey),
    /// ECDSA over NIST P-384.
    P384(p384::ecdsa::VerifyingKey),
    /// Ed25519 (pure, not pre-hashed).
    Ed25519(ed25519_dalek::VerifyingKey),
    /// RSA, with the padding its key details say it signs with.
    Rsa(Box<rsa::RsaPublicKey>, RsaPadding),
}

impl PublicKey {
    /// Reads a SubjectPublicKeyInfo in DER. RSA keys are taken to sign with PKCS#1 v1.5.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let spki = super::der_bounds::check(der)
            .and_then(|()| SubjectPublicKeyInfoRef::from_der(der))
            .map_err(|e| VerifyError::key(format!("not a SubjectPublicKeyInfo: {e}")))?;
        let raw = spki.subject_public_key.raw_bytes();
        let algorithm = spki.algorithm.oid;
        let key = if algorithm == ID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters_oid()
                .map_err(|e| VerifyError::key(format!("EC key without a named curve: {e}")))?;
            match curve {
                SECP_256_R_1 => {
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(raw).map(PublicKey::P256)
                }
                SECP_384_R_1 => {
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(raw).map(PublicKey::P384)
                }
                other => return Err(VerifyError::key(format!("unsupported EC curve {other}"))),
            }
            .map_err(|e| VerifyError::key(format!("invalid EC point: {e}")))?
        } else if algorithm == ED25519 {
            let bytes: [u8; 32] = raw
                .try_into()
                .map_err(|_| VerifyError::key("Ed25519 key is not 32 bytes"))?;
            ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .map(PublicKey::Ed25519)
                .map_err(|e| VerifyError::key(format!("invalid Ed25519 key: {e}")))?
        } else if algorithm == RSA_ENCRYPTION {
            Self::rsa_from_pkcs1(raw, RsaPadding::Pkcs1v15)?
        } else {
            return Err(VerifyError::key(format!(
                "unsupported key algorithm {algorithm}"
            )));
        };
        Ok(key)
    }

    /// Reads a bare PKCS#1 RSAPublicKey, as some trusted roots carry for RSA CT logs.
    pub fn rsa_from_pkcs1(der: &[u8], padding: RsaPadding) -> Result<Self> {
        use rsa::pkcs1::DecodeRsaPublicKey;
        rsa::RsaPublicKey::from_pkcs1_der(der)
            .map(|key| PublicKey::Rsa(Box::new(key), padding))
            .map_err(|e| VerifyError::key(format!("invalid RSA key: {e}")))
    }

    /// Reads a PEM `PUBLIC KEY` block (SubjectPublicKeyInfo).
    pub fn from_pem(pem: &str) -> Result<Self> {
        let (label, der) =
            decode_pem(pem.as_bytes()).ok_or_else(|| VerifyError::key("not a PEM document"))?;
        match label.as_str() {
            "PUBLIC KEY" => Self::from_spki_der(&der),
            "RSA PUBLIC KEY" => Self::rsa_from_pkcs1(&der, RsaPadding::Pkcs1v15),
            other => Err(VerifyError::key(format!(
                "expected a PEM PUBLIC KEY block, got {other}"
            ))),
        }
    }

    /// Reads a key in the form a trusted root gives it: `rawBytes` plus `keyDetails`.
    pub fn from_key_details(raw: &[u8], details: &str) -> Result<Self> {
        let padding = if details.contains("RSA_PSS") {
            RsaPadding::Pss
        } else {
            RsaPadding::Pkcs1v15
        };
        match Self::from_spki_der(raw) {
            Ok(PublicKey::Rsa(key, _)) => Ok(PublicKey::Rsa(key, padding)),
            Ok(key) => Ok(key),
            Err(spki_error) if details.contains("RSA") => {
                Self::rsa_from_pkcs1(raw, padding).map_err(|_| spki_error)
            }
            Err(error) => Err(error),
        }
    }

    /// The digest this key signs messages with when nothing else says: SHA-256 for P-256
    /// and RSA, SHA-384 for P-384 (Sigstore's key details).
    pub fn default_hash(&self) -> HashAlgorithm {
        match self {
            PublicKey::P384(_) => HashAlgorithm::Sha384,
            _ => HashAlgorithm::Sha256,
        }
    }

    /// A short name of the key's algorithm, for messages.
    pub fn algorithm_name(&self) -> &'static str {
        match self {
            PublicKey::P256(_) => "ECDSA P-256",
            PublicKey::P384(_) => "ECDSA P-384",
            PublicKey::Ed25519(_) => "Ed25519",
            PublicKey::Rsa(..) => "RSA",
        }
    }

    /// The key as SubjectPublicKeyInfo DER, to compare keys and compute key ids.
    pub fn to_spki_der(&self) -> Result<Vec<u8>> {
        use spki::EncodePublicKey;
        let encoded = match self {
            PublicKey::P256(key) => key.to_public_key_der(),
            PublicKey::P384(key) => key.to_public_key_der(),
            PublicKey::Ed25519(key) => key.to_public_key_der(),
            PublicKey::Rsa(key, _) => key.to_public_key_der(),
        };
        encoded
            .map(|doc| doc.as_bytes().to_vec())
            .map_err(|e| VerifyError::key(format!("cannot encode key: {e}")))
    }

    /// Verifies `signature` over `message`, hashing with `hash` where the algorithm hashes
    /// (Ed25519 signs the message itself and ignores `hash`).
    pub fn verify(&self, message: &[u8], signature: &[u8], hash: HashAlgorithm) -> Result<()> {
        match self {
            PublicKey::Ed25519(key) => {
                let memo_key =
                    self.memo_key(&Sha512::digest(message), signature, HashAlgorithm::Sha512);
                if verified_signatures()
                    .lock()
                    .is_ok_and(|seen| seen.contains(&memo_key))
                {
                    return Ok(());
                }
                let signature = ed25519_dalek::Signature::from_slice(signature).map_err(|e| {
                    VerifyError::signature(format!("malformed Ed25519 signature: {e}"))
                })?;
                key.verify_strict(message, &signature)
                    .map_err(|_| VerifyError::signature("Ed25519 signature does not verify"))?;
                if let Ok(mut seen) = verified_signatures().lock() {
                    seen.insert(memo_key);
                }
                Ok(())
            }
            _ => self.verify_digest(&hash.digest(message), signature, hash),
        }
    }

    /// Verifies `signature` over a message of which only the `hash` digest is known.
    /// Ed25519 cannot: it signs the whole message.
    ///
    /// Verified signatures are remembered for the rest of the process, keyed by the key,
    /// the hash algorithm, the digest and the signature: the result of an ECDSA or RSA
    /// verification is a pure function of those, and a run meets the same ones again and
    /// again (the Fulcio intermediate signed by its root in every bundle, a signer's leaf
    /// and SCT in every attestation of a release, a bundle attached to several assets).
    pub fn verify_digest(
        &self,
        digest: &[u8],
        signature: &[u8],
        hash: HashAlgorithm,
    ) -> Result<()> {
        let memo_key = self.memo_key(digest, signature, hash);
        if verified_signatures()
            .lock()
            .is_ok_and(|seen| seen.contains(&memo_key))
        {
            return Ok(());
        }
        self.verify_digest_uncached(digest, signature, hash)?;
        if let Ok(mut seen) = verified_signatures().lock() {
            seen.insert(memo_key);
        }
        Ok(())
    }

    /// SHA-256 over the key material, algorithm, digest and signature, each
    /// length-prefixed so no two inputs collide by concatenation.
    fn memo_key(&self, digest: &[u8], signature: &[u8], hash: HashAlgorithm) -> [u8; 32] {
        let mut hasher = Sha256::new();
        let mut part = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        };
        match self {
            PublicKey::P256(key) => part(key.to_encoded_point(false).as_bytes()),
            PublicKey::P384(key) => part(key.to_encoded_point(false).as_bytes()),
            PublicKey::Ed25519(key) => part(key.as_bytes()),
            PublicKey::Rsa(key, padding) => {
                use rsa::traits::PublicKeyParts;
                part(&key.n().to_bytes_be());
                part(&key.e().to_bytes_be());
                part(&[*padding as u8]);
            }
        }
        part(hash.name().as_bytes());
        part(digest);
        part(signature);
        hasher.finalize().into()
    }

    fn verify_digest_uncached(
        &self,
        digest: &[u8],
        signature: &[u8],
        hash: HashAlgorithm,
    ) -> Result<()> {
        let verified = match self {
            PublicKey::P256(key) => ecdsa_verify_digest(
                key.to_encoded_point(false).as_bytes(),
                Curve::P256,
                digest,
                signature,
                hash,
            ),
            PublicKey::P384(key) => ecdsa_verify_digest(
                key.to_encoded_point(false).as_bytes(),
                Curve::P384,
                digest,
                signature,
                hash,
            ),
            PublicKey::Ed25519(_) => {
                return Err(VerifyError::key(
                    "an Ed25519 signature can only be checked against the whole artifact, not its digest",
                ));
            }
            PublicKey::Rsa(key, padding) => rsa_verify(key, *padding, digest, signature, hash),
        };
        verified.map_err(|reason| {
            VerifyError::signature(format!(
                "{} signature does not verify: {reason}",
                self.algorithm_name()
            ))
        })
    }

    /// Verifies a signature made with an X.509 signature algorithm (`ecdsa-with-SHA384`,
    /// `sha256WithRSAEncryption`, `Ed25519`, ...) over `message`.
    pub fn verify_x509(
        &self,
        algorithm: ObjectIdentifier,
        message: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        let hash = match algorithm {
            ECDSA_WITH_SHA_256 | SHA_256_WITH_RSA_ENCRYPTION => HashAlgorithm::Sha256,
            ECDSA_WITH_SHA_384 | SHA_384_WITH_RSA_ENCRYPTION => HashAlgorithm::Sha384,
            ECDSA_WITH_SHA_512 | SHA_512_WITH_RSA_ENCRYPTION => HashAlgorithm::Sha512,
            ED25519 => HashAlgorithm::Sha512,
            other => {
                return Err(VerifyError::signature(format!(
                    "unsupported signature algorithm {other}"
                )));
            }
        };
        let is_rsa = matches!(
            algorithm,
            SHA_256_WITH_RSA_ENCRYPTION | SHA_384_WITH_RSA_ENCRYPTION | SHA_512_WITH_RSA_ENCRYPTION
        );
        match (self, is_rsa, algorithm == ED25519) {
            (PublicKey::Rsa(key, _), true, _) => {
                // The algorithm identifier says PKCS#1 v1.5, whatever the key details said.
                PublicKey::Rsa(key.clone(), RsaPadding::Pkcs1v15).verify(message, signature, hash)
            }
            (PublicKey::Ed25519(_), _, true) => self.verify(message, signature, hash),
            (PublicKey::P256(_) | PublicKey::P384(_), false, false) => {
                self.verify(message, signature, hash)
            }
            _ => Err(VerifyError::signature(format!(
                "signature algorithm {algorithm} does not fit a {} key",
                self.algorithm_name()
            ))),
        }
    }
}

/// The signatures verified so far in this process (see [`PublicKey::verify_digest`]).
fn verified_signatures() -> &'static std::sync::Mutex<std::collections::HashSet<[u8; 32]>> {
    static SEEN: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<[u8; 32]>>> =
        std::sync::OnceLock::new();
    SEEN.get_or_init(Default::default)
}

#[derive(Clone, Copy)]
enum Curve {
    P256,
    P384,
}

/// ECDSA verification of a digest, on aws-lc-rs: RustCrypto's pure-Rust P-384 took about
/// 1 ms per signature, which made certificate chains 90% of a bundle's verification time;
/// AWS-LC's assembly is an order of magnitude faster. Keys are still read and encoded
/// with the RustCrypto types above.
fn ecdsa_verify_digest(
    point: &[u8],
    curve: Curve,
    digest: &[u8],
    signature: &[u8],
    hash: HashAlgorithm,
) -> std::result::Result<(), String> {
    use aws_lc_rs::signature as sig;
    let algorithm: &'static sig::EcdsaVerificationAlgorithm = match (curve, hash) {
        (Curve::P256, HashAlgorithm::Sha256) => &sig::ECDSA_P256_SHA256_ASN1,
        (Curve::P256, HashAlgorithm::Sha384) => &sig::ECDSA_P256_SHA384_ASN1,
        (Curve::P256, HashAlgorithm::Sha512) => &sig::ECDSA_P256_SHA512_ASN1,
        (Curve::P384, HashAlgorithm::Sha256) => &sig::ECDSA_P384_SHA256_ASN1,
        (Curve::P384, HashAlgorithm::Sha384) => &sig::ECDSA_P384_SHA384_ASN1,
        (Curve::P384, HashAlgorithm::Sha512) => &sig::ECDSA_P384_SHA512_ASN1,
    };
    let digest = import_digest(digest, hash)?;
    let key = sig::UnparsedPublicKey::new(algorithm, point);
    if key.verify_digest(&digest, signature).is_ok() {
        return Ok(());
    }
    // Some signers (Google's VSA keystore, JWS-style tools) write the fixed-width r||s
    // form (IEEE P1363) instead of DER; re-encode it and try once more.
    let der =
        match (curve, signature.len()) {
            (Curve::P256, 64) => p256::ecdsa::Signature::from_slice(signature)
                .map(|s| s.to_der().as_bytes().to_vec()),
            (Curve::P384, 96) => p384::ecdsa::Signature::from_slice(signature)
                .map(|s| s.to_der().as_bytes().to_vec()),
            _ => return Err(failed(())),
        };
    match der {
        Ok(der) => key.verify_digest(&digest, &der).map_err(failed),
        Err(_) => Err(failed(())),
    }
}

/// A digest aws-lc-rs will verify against, checked for the algorithm's length.
fn import_digest(
    digest: &[u8],
    hash: HashAlgorithm,
) -> std::result::Result<aws_lc_rs::digest::Digest, String> {
    let algorithm = match hash {
        HashAlgorithm::Sha256 => &aws_lc_rs::digest::SHA256,
        HashAlgorithm::Sha384 => &aws_lc_rs::digest::SHA384,
        HashAlgorithm::Sha512 => &aws_lc_rs::digest::SHA512,
    };
    aws_lc_rs::digest::Digest::import_less_safe(digest, algorithm).map_err(|_| {
        format!(
            "a {} digest must be {} bytes",
            hash.name(),
            algorithm.output_len()
        )
    })
}

fn failed(_: impl std::fmt::Debug) -> String {
    "wrong key or altered data".to_string()
}

/// RSA verification of a digest, on aws-lc-rs for the same reason as ECDSA (the `rsa`
/// crate's verification was a third of a bundle's time where CT logs sign with RSA).
fn rsa_verify(
    key: &rsa::RsaPublicKey,
    padding: RsaPadding,
    digest: &[u8],
    signature: &[u8],
    hash: HashAlgorithm,
) -> std::result::Result<(), String> {
    use aws_lc_rs::signature as sig;
    use rsa::pkcs1::EncodeRsaPublicKey;
    let algorithm: &'static sig::RsaParameters = match (padding, hash) {
        (RsaPadding::Pkcs1v15, HashAlgorithm::Sha256) => &sig::RSA_PKCS1_2048_8192_SHA256,
        (RsaPadding::Pkcs1v15, HashAlgorithm::Sha384) => &sig::RSA_PKCS1_2048_8192_SHA384,
        (RsaPadding::Pkcs1v15, HashAlgorithm::Sha512) => &sig::RSA_PKCS1_2048_8192_SHA512,
        (RsaPadding::Pss, HashAlgorithm::Sha256) => &sig::RSA_PSS_2048_8192_SHA256,
        (RsaPadding::Pss, HashAlgorithm::Sha384) => &sig::RSA_PSS_2048_8192_SHA384,
        (RsaPadding::Pss, HashAlgorithm::Sha512) => &sig::RSA_PSS_2048_8192_SHA512,
    };
    let der = key
        .to_pkcs1_der()
        .map_err(|e| format!("cannot encode the RSA key: {e}"))?;
    let digest = import_digest(digest, hash)?;
    sig::UnparsedPublicKey::new(algorithm, der.as_bytes())
        .verify_digest(&digest, signature)
        .map_err(failed)
}

/// The SHA-256 of a key's SubjectPublicKeyInfo: Rekor v1's log id and the CT key id.
pub fn key_id(spki_der: &[u8]) -> [u8; 32] {
    Sha256::digest(spki_der).into()
}

/// Decodes a PEM document leniently: any line length, CRLF or LF, surrounding text
/// ignored. Log entries and hand-written key files vary in wrapping, and the strict
/// RFC 7468 reader rejects lines that are not 64 characters.
pub fn decode_pem(text: &[u8]) -> Option<(String, Vec<u8>)> {
    use base64::Engine;
    let text = std::str::from_utf8(text).ok()?;
    let begin = text.find("-----BEGIN ")?;
    let rest = &text[begin + "-----BEGIN ".len()..];
    let label_end = rest.find("-----")?;
    let label = &rest[..label_end];
    let body = &rest[label_end + 5..];
    let end = body.find(&format!("-----END {label}-----"))?;
    let base64_text: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(base64_text)
        .ok()?;
    Some((label.to_string(), der))
}
