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
    digests: Vec<(HashAlgorithm, Vec<u8>)>,
    bytes: Option<Vec<u8>>,
}

impl Artifact {
    /// An artifact from its bytes.
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Artifact {
            name: name.into(),
            digests: vec![
                (HashAlgorithm::Sha256, Sha256::digest(&bytes).to_vec()),
                (HashAlgorithm::Sha384, Sha384::digest(&bytes).to_vec()),
                (HashAlgorithm::Sha512, Sha512::digest(&bytes).to_vec()),
            ],
            bytes: Some(bytes),
        }
    }

    /// Reads and hashes a file in one pass.
    pub fn from_file(path: &Path) -> Result<Self> {
        let failed =
            |e: std::io::Error| VerifyError::parse(format!("artifact {}: {e}", path.display()));
        // A FIFO or a device (`/dev/zero`) would be hashed forever: regular files only.
        let mut file = crate::collect::input::open_regular(path).map_err(|e| failed(e.into()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        if size <= KEEP_BYTES_UP_TO {
            let mut bytes = Vec::with_capacity(size as usize);
            file.read_to_end(&mut bytes).map_err(failed)?;
            return Ok(Self::from_bytes(path.display().to_string(), bytes));
        }
        let (mut a, mut b, mut c) = (Sha256::new(), Sha384::new(), Sha512::new());
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let read = file.read(&mut buffer).map_err(failed)?;
            if read == 0 {
                break;
            }
            a.update(&buffer[..read]);
            b.update(&buffer[..read]);
            c.update(&buffer[..read]);
        }
        Ok(Artifact {
            name: path.display().to_string(),
            digests: vec![
                (HashAlgorithm::Sha256, a.finalize().to_vec()),
                (HashAlgorithm::Sha384, b.finalize().to_vec()),
                (HashAlgorithm::Sha512, c.finalize().to_vec()),
            ],
            bytes: None,
        })
    }

    /// An artifact known only by a digest, `sha256:<hex>` (or `sha384:`, `sha512:`).
    pub fn from_digest(digest: &str) -> Result<Self> {
        Self::from_digests(&[digest])
    }

    /// An artifact known by several digests of the same bytes.
    pub fn from_digests(digests: &[&str]) -> Result<Self> {
        let mut parsed = Vec::new();
        for digest in digests {
            let (name, hex_digest) = digest.split_once(':').ok_or_else(|| {
                VerifyError::parse(format!("digest `{digest}` is not `sha256:<hex>`"))
            })?;
            let algorithm = HashAlgorithm::from_name(name).ok_or_else(|| {
                VerifyError::parse(format!("digest `{digest}`: unsupported algorithm `{name}`"))
            })?;
            let bytes = hex::decode(hex_digest)
                .map_err(|_| VerifyError::parse(format!("digest `{digest}` is not hexadecimal")))?;
            if bytes.len() != algorithm.digest(b"").len() {
                return Err(VerifyError::parse(format!(
                    "digest `{digest}` has {} hex characters, {name} has {}",
                    hex_digest.len(),
                    algorithm.digest(b"").len() * 2
                )));
            }
            parsed.push((algorithm, bytes));
        }
        if parsed.is_empty() {
            return Err(VerifyError::parse("no digest given"));
        }
        Ok(Artifact {
            name: digests.join(", "),
            digests: parsed,
            bytes: None,
        })
    }

    /// The digest with `algorithm`, when known.
    pub fn digest(&self, algorithm: HashAlgorithm) -> Option<&[u8]> {
        self.digests
            .iter()
            .find(|(alg, _)| *alg == algorithm)
            .map(|(_, digest)| digest.as_slice())
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

    /// `sha256:<hex>` (or the first digest known), for messages.
    pub fn describe(&self) -> String {
        let (algorithm, digest) = self
            .digests
            .iter()
            .find(|(alg, _)| *alg == HashAlgorithm::Sha256)
            .unwrap_or(&self.digests[0]);
        format!("{}:{}", algorithm.name(), hex::encode(digest))
    }
}
