//! RFC 6962 / RFC 9162 Merkle inclusion proofs, as Rekor v1 and v2 serve them.
//!
//! Owns "this leaf is in the tree with this root": the root is recomputed from the leaf
//! hash and the audit path (RFC 9162 §2.1.3.2) and compared with the checkpoint's.

use sha2::{Digest, Sha256};

use super::error::{Result, VerifyError};

/// The hash of a leaf: SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(data);
    hasher.finalize().into()
}

fn node_hash(left: &[u8], right: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// Recomputes the root of a tree of `tree_size` leaves from the leaf at `index` and its
/// audit path, and checks it equals `root`.
pub fn verify_inclusion(
    leaf: &[u8; 32],
    index: u64,
    tree_size: u64,
    proof: &[Vec<u8>],
    root: &[u8],
) -> Result<()> {
    if index >= tree_size {
        return Err(VerifyError::transparency(format!(
            "inclusion proof: leaf index {index} is outside a tree of {tree_size} leaves"
        )));
    }
    let (mut fn_, mut sn) = (index, tree_size - 1);
    let mut computed = *leaf;
    for (position, sibling) in proof.iter().enumerate() {
        if sibling.len() != 32 {
            return Err(VerifyError::transparency(format!(
                "inclusion proof: hash {position} is {} bytes, expected 32",
                sibling.len()
            )));
        }
        if sn == 0 {
            return Err(VerifyError::transparency(format!(
                "inclusion proof: {} hashes, more than a tree of {tree_size} needs",
                proof.len()
            )));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            computed = node_hash(sibling, &computed);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            computed = node_hash(&computed, sibling);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(VerifyError::transparency(format!(
            "inclusion proof: {} hashes, fewer than a tree of {tree_size} needs",
            proof.len()
        )));
    }
    if computed.as_slice() != root {
        return Err(VerifyError::transparency(format!(
            "inclusion proof: expected root hash {}, the proof gives {}",
            hex::encode(root),
            hex::encode(computed)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds the RFC 6962 root of `leaves` directly, to test proofs against.
    fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let split = leaves.len().next_power_of_two() / 2;
        node_hash(&root(&leaves[..split]), &root(&leaves[split..]))
    }

    fn path(leaves: &[[u8; 32]], index: usize) -> Vec<Vec<u8>> {
        if leaves.len() == 1 {
            return Vec::new();
        }
        let split = leaves.len().next_power_of_two() / 2;
        if index < split {
            let mut p = path(&leaves[..split], index);
            p.push(root(&leaves[split..]).to_vec());
            p
        } else {
            let mut p = path(&leaves[split..], index - split);
            p.push(root(&leaves[..split]).to_vec());
            p
        }
    }

    #[test]
    fn every_leaf_of_trees_up_to_33_proves_and_a_flipped_bit_does_not() {
        for size in 1..=33usize {
            let leaves: Vec<[u8; 32]> = (0..size).map(|i| leaf_hash(&i.to_be_bytes())).collect();
            let expected = root(&leaves);
            for index in 0..size {
                let mut proof = path(&leaves, index);
                verify_inclusion(&leaves[index], index as u64, size as u64, &proof, &expected)
                    .unwrap_or_else(|e| panic!("size {size} index {index}: {e}"));
                if let Some(first) = proof.first_mut() {
                    first[0] ^= 1;
                    assert!(
                        verify_inclusion(
                            &leaves[index],
                            index as u64,
                            size as u64,
                            &proof,
                            &expected
                        )
                        .is_err()
                    );
                }
            }
        }
    }

    #[test]
    fn an_index_outside_the_tree_is_rejected() {
        let leaf = leaf_hash(b"x");
        assert!(verify_inclusion(&leaf, 1, 1, &[], &leaf).is_err());
    }
}
