//! Reading artifacts (digests) and attestation files (statements whose signatures
//! verify) into provenance evidence.

use std::collections::BTreeMap;

use crate::evidence::provenance::{
    ArtifactDigests, AttestationFile, AttestationOutcome, AttestationRecord,
};
use crate::evidence::{Gap, GapKind, Observed};
use crate::verify::artifact::Artifact;
use crate::verify::attestation::{AttestationDocument, read_attestations};
use crate::verify::keys::HashAlgorithm;
use crate::verify::provenance::{ProvenanceSigner, verify_statement};
use crate::verify::trust_root::TrustedRoot;

/// The digests of an artifact already hashed.
pub fn artifact_digests(artifact: &Artifact) -> ArtifactDigests {
    let digests = [
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
    ]
    .into_iter()
    .filter_map(|algorithm| {
        artifact
            .digest(algorithm)
            .map(|digest| (algorithm.name().to_string(), hex::encode(digest)))
    })
    .collect::<BTreeMap<_, _>>();
    ArtifactDigests { digests }
}

/// Splits an attestation file into documents and verifies each one's signature. A file
/// that is not an attestation at all is a gap; a document that does not verify is a
/// rejected record (the control decides what that means).
pub fn read_attestation_file(
    name: &str,
    bytes: &[u8],
    signer: &ProvenanceSigner,
    root: &TrustedRoot,
) -> Observed<AttestationFile> {
    let documents =
        read_attestations(bytes).map_err(|e| Gap::new(GapKind::Malformed, name, e.message))?;
    Ok(verify_documents(&documents, signer, root))
}

/// Verifies each document's signature; a document that does not verify is a rejected
/// record.
pub fn verify_documents(
    documents: &[AttestationDocument],
    signer: &ProvenanceSigner,
    root: &TrustedRoot,
) -> AttestationFile {
    let documents = documents
        .iter()
        .map(|document| AttestationRecord {
            position: document.position.clone(),
            outcome: match verify_statement(document, signer, root) {
                Ok(statement) => AttestationOutcome::Verified {
                    statement: Box::new(statement),
                },
                Err(error) => AttestationOutcome::Rejected {
                    step: error.step,
                    message: error.message,
                },
            },
        })
        .collect();
    AttestationFile { documents }
}
