//! The artifact being verified: its digests, and its bytes when they are small enough to
//! keep (an Ed25519 message signature needs the whole message).

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256, Sha384, Sha512};

use super::error::{Result, VerifyError};
use super::keys::HashAlgorithm;

/// Artifacts up to this size are kept in memory for signature schemes that need them.
const KEEP_BYTES_UP_TO: u64 = 16 * 1024 * 1024;

/// An artifact known by its digests (and maybe its bytes).
#[derive(Debug, Clone)]
pub struct Artifact {
    /// A name for messages (file path or the digest).
    pub name: String,
    sha256: [u8; 32],
    sha384: Option<Vec<u8>>,
    sha512: Option<Vec<u8>>,
    bytes: Option<Vec<u8>>,
}

impl Artifact {
    /// An artifact from its bytes.
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Artifact {
            name: name.into(),
            sha256: Sha256::digest(&bytes).into(),
            sha384: Some(Sha384::digest(&bytes).to_vec()),
            sha512: Some(Sha512::digest(&bytes).to_vec()),
            bytes: Some(bytes),
        }
    }

    /// Reads and hashes a file in one pass.
    pub fn from_file(path: &Path) -> Result<Self> {
        let mut file = std::fs::File::open(path)
            .map_err(|e| VerifyError::parse(format!("artifact {}: {e}", path.display())))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        if size <= KEEP_BYTES_UP_TO {
            let mut bytes = Vec::with_capacity(size as usize);
            file.read_to_end(&mut bytes)
                .map_err(|e| VerifyError::parse(format!("artifact {}: {e}", path.display())))?;
            return Ok(Self::from_bytes(path.display().to_string(), bytes));
        }
        let (mut a, mut b, mut c) = (Sha256::new(), Sha384::new(), Sha512::new());
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let read = file
                .read(&mut buffer)
                .map_err(|e| VerifyError::parse(format!("artifact {}: {e}", path.display())))?;
            if read == 0 {
                break;
            }
            a.update(&buffer[..read]);
            b.update(&buffer[..read]);
            c.update(&buffer[..read]);
        }
        Ok(Artifact {
            name: path.display().to_string(),
            sha256: a.finalize().into(),
            sha384: Some(b.finalize().to_vec()),
            sha512: Some(c.finalize().to_vec()),
            bytes: None,
        })
    }

    /// An artifact known only by a `sha256:<hex>` (or `sha512:<hex>`) digest.
    pub fn from_digest(digest: &str) -> Result<Self> {
        let (algorithm, hex_digest) = digest.split_once(':').ok_or_else(|| {
            VerifyError::parse(format!("digest `{digest}` is not `sha256:<hex>`"))
        })?;
        let bytes = hex::decode(hex_digest)
            .map_err(|_| VerifyError::parse(format!("digest `{digest}` is not hexadecimal")))?;
        match (algorithm, bytes.len()) {
            ("sha256", 32) => Ok(Artifact {
                name: digest.to_string(),
                sha256: bytes.try_into().expect("32 bytes"),
                sha384: None,
                sha512: None,
                bytes: None,
            }),
            _ => Err(VerifyError::parse(format!(
                "digest `{digest}` is not a sha256 digest of 64 hex characters"
            ))),
        }
    }

    /// The SHA-256 digest.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }

    /// The digest with `algorithm`, when known.
    pub fn digest(&self, algorithm: HashAlgorithm) -> Option<&[u8]> {
        match algorithm {
            HashAlgorithm::Sha256 => Some(&self.sha256),
            HashAlgorithm::Sha384 => self.sha384.as_deref(),
            HashAlgorithm::Sha512 => self.sha512.as_deref(),
        }
    }

    /// The digest under an in-toto algorithm name (`sha256`, `sha512`), as hex.
    pub fn digest_hex(&self, algorithm: &str) -> Option<String> {
        HashAlgorithm::from_name(algorithm)
            .and_then(|alg| self.digest(alg))
            .map(hex::encode)
    }

    /// The bytes, when kept.
    pub fn bytes(&self) -> Option<&[u8]> {
        self.bytes.as_deref()
    }

    /// `sha256:<hex>`, for messages.
    pub fn describe(&self) -> String {
        format!("sha256:{}", hex::encode(self.sha256))
    }
}
