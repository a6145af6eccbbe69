//! Signed-note checkpoints (C2SP `tlog-checkpoint` and `signed-note`), as Rekor v1 and v2
//! attach to inclusion proofs.
//!
//! Owns "the log committed to this tree size and root hash": the note body is parsed
//! (origin, size, root hash, optional extension lines) and at least one signature line must
//! come from the log that holds the entry, found by its 4-byte key hint and verified with
//! its key. Other lines (witness cosignatures) are allowed and ignored, as the spec says a
//! verifier must skip signatures from keys it does not know.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::error::{Result, VerifyError};
use super::keys::PublicKey;

/// A parsed checkpoint body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line (its name).
    pub origin: String,
    /// The tree size the log committed to.
    pub tree_size: u64,
    /// The root hash of that tree.
    pub root_hash: Vec<u8>,
}

/// One signature line: `— <name> <base64(key hint || signature)>`.
#[derive(Debug, Clone)]
struct NoteSignature {
    key_hint: [u8; 4],
    signature: Vec<u8>,
}

/// Parses a signed note and verifies that the log with `log_key` (whose ids start with
/// `key_hint`) signed it. Returns the checkpoint it commits to.
pub fn verify_checkpoint(
    envelope: &str,
    log_key: &PublicKey,
    key_hint: &[u8],
) -> Result<Checkpoint> {
    let (body, signatures) = envelope.split_once("\n\n").ok_or_else(|| {
        VerifyError::transparency("checkpoint: no blank line between the note and its signatures")
    })?;
    let body_text = format!("{body}\n");
    let checkpoint = parse_body(body)?;
    let signatures = parse_signatures(signatures)?;
    let mut seen_hint = false;
    // The key hint, not the name, picks the line: Rekor v1 signs as `rekor.sigstore.dev`
    // under the origin `rekor.sigstore.dev - <tree id>`.
    for line in &signatures {
        if line.key_hint != key_hint[..4.min(key_hint.len())] {
            continue;
        }
        seen_hint = true;
        if log_key
            .verify(
                body_text.as_bytes(),
                &line.signature,
                log_key.default_hash(),
            )
            .is_ok()
        {
            return Ok(checkpoint);
        }
    }
    Err(VerifyError::transparency(if seen_hint {
        format!(
            "checkpoint: the signature of log `{}` does not verify",
            checkpoint.origin
        )
    } else {
        format!(
            "checkpoint: no signature from log `{}` with key hint {}",
            checkpoint.origin,
            hex::encode(&key_hint[..4.min(key_hint.len())])
        )
    }))
}

fn parse_body(body: &str) -> Result<Checkpoint> {
    let mut lines = body.split('\n');
    let origin = lines
        .next()
        .filter(|origin| !origin.is_empty())
        .ok_or_else(|| VerifyError::transparency("checkpoint: no origin line"))?;
    let tree_size = lines
        .next()
        .filter(|size| !size.is_empty())
        .ok_or_else(|| VerifyError::transparency("checkpoint: no tree size line"))?;
    let tree_size = tree_size.parse::<u64>().map_err(|_| {
        VerifyError::transparency(format!(
            "checkpoint: tree size `{tree_size}` is not a number"
        ))
    })?;
    let root = lines
        .next()
        .filter(|root| !root.is_empty())
        .ok_or_else(|| VerifyError::transparency("checkpoint: no root hash line"))?;
    let root_hash = STANDARD.decode(root).map_err(|_| {
        VerifyError::transparency(format!("checkpoint: root hash `{root}` is not base64"))
    })?;
    Ok(Checkpoint {
        origin: origin.to_string(),
        tree_size,
        root_hash,
    })
}

fn parse_signatures(text: &str) -> Result<Vec<NoteSignature>> {
    let mut signatures = Vec::new();
    for line in text.lines().filter(|line| !line.is_empty()) {
        let rest = line.strip_prefix("\u{2014} ").ok_or_else(|| {
            VerifyError::transparency(format!("checkpoint: `{line}` is not a signature line"))
        })?;
        let (name, encoded) = rest.rsplit_once(' ').ok_or_else(|| {
            VerifyError::transparency(format!("checkpoint: `{line}` has no signature"))
        })?;
        if name.is_empty() {
            return Err(VerifyError::transparency(format!(
                "checkpoint: `{line}` names no signer"
            )));
        }
        let Ok(bytes) = STANDARD.decode(encoded) else {
            continue;
        };
        if bytes.len() < 5 {
            continue;
        }
        signatures.push(NoteSignature {
            key_hint: bytes[..4].try_into().expect("four bytes"),
            signature: bytes[4..].to_vec(),
        });
    }
    if signatures.is_empty() {
        return Err(VerifyError::transparency("checkpoint: no signatures"));
    }
    Ok(signatures)
}
