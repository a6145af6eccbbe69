//! Attestations attached to an image in an OCI image layout directory, as `cosign
//! attest` stores them (and `cosign save` writes them): a manifest annotated
//! `kind: dev.cosignproject.cosign/atts` whose layers are DSSE envelopes, each with the
//! signing certificate and Rekor's signed entry timestamp in its annotations.
//!
//! Each layer becomes a Sigstore bundle v0.1 (certificate, a log entry with its SET, the
//! envelope), so it is verified by exactly the same code as any other bundle. The
//! `dev.sigstore.cosign/chain` annotation is not carried over: trust comes only from the
//! trusted root. Blobs are read by digest and their SHA-256 checked, so a swapped blob
//! is caught before anything is parsed.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::verify::attestation::{AttestationDocument, AttestationForm};
use crate::verify::certificate::ParsedCertificate;

/// Whether `path` is an OCI image layout directory.
pub fn is_layout(path: &Path) -> bool {
    path.join("oci-layout").is_file() && path.join("index.json").is_file()
}

/// The attestations attached in the layout, one document per DSSE layer.
///
/// `read` returns the bytes of a file of the layout (from disk, or from a saved copy
/// when evidence is re-derived).
pub fn read_layout_attestations(
    dir: &Path,
    read: &mut dyn FnMut(&Path) -> Result<Vec<u8>, String>,
) -> Result<Vec<AttestationDocument>, String> {
    let index = read_json(read, &dir.join("index.json"))?;
    let mut documents = Vec::new();
    for manifest in index["manifests"].as_array().into_iter().flatten() {
        if manifest["annotations"]["kind"] != "dev.cosignproject.cosign/atts" {
            continue;
        }
        let digest = manifest["digest"]
            .as_str()
            .ok_or("index.json: a manifest has no digest")?;
        let attached = serde_json::from_slice::<Value>(&read_blob(read, dir, digest)?)
            .map_err(|e| format!("manifest {digest}: not JSON: {e}"))?;
        for (index, layer) in attached["layers"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            if layer["mediaType"] != "application/vnd.dsse.envelope.v1+json" {
                continue;
            }
            let position = format!("{digest} layer {index}");
            let bundle = layer_bundle(read, dir, layer).map_err(|e| format!("{position}: {e}"))?;
            documents.push(AttestationDocument {
                position,
                form: AttestationForm::Bundle(bundle),
            });
        }
    }
    if documents.is_empty() {
        return Err("the OCI layout has no cosign attestation manifest".into());
    }
    Ok(documents)
}

/// Reads a layout file from disk, for the commands that verify a layout directly.
pub fn read_from_disk(path: &Path) -> Result<Vec<u8>, String> {
    crate::collect::input::read_file(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// One DSSE layer and its annotations as a Sigstore bundle v0.1.
fn layer_bundle(
    read: &mut dyn FnMut(&Path) -> Result<Vec<u8>, String>,
    dir: &Path,
    layer: &Value,
) -> Result<Value, String> {
    let digest = layer["digest"].as_str().ok_or("the layer has no digest")?;
    let envelope: Value = serde_json::from_slice(&read_blob(read, dir, digest)?)
        .map_err(|e| format!("envelope is not JSON: {e}"))?;
    let annotations = &layer["annotations"];
    let certificate = annotations["dev.sigstore.cosign/certificate"]
        .as_str()
        .ok_or("no dev.sigstore.cosign/certificate annotation")?;
    let leaf = ParsedCertificate::from_pem(certificate.as_bytes()).map_err(|e| e.message)?;
    let rekor: Value = serde_json::from_str(
        annotations["dev.sigstore.cosign/bundle"]
            .as_str()
            .ok_or("no dev.sigstore.cosign/bundle annotation (no Rekor entry)")?,
    )
    .map_err(|e| format!("dev.sigstore.cosign/bundle is not JSON: {e}"))?;
    let payload = &rekor["Payload"];
    let body_b64 = payload["body"]
        .as_str()
        .ok_or("the Rekor bundle has no body")?;
    let body: Value = serde_json::from_slice(
        &STANDARD
            .decode(body_b64)
            .map_err(|_| "the Rekor body is not base64")?,
    )
    .map_err(|e| format!("the Rekor body is not JSON: {e}"))?;
    let log_id = hex::decode(
        payload["logID"]
            .as_str()
            .ok_or("the Rekor bundle has no logID")?,
    )
    .map_err(|_| "the Rekor logID is not hex")?;
    Ok(json!({
        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "verificationMaterial": {
            "x509CertificateChain": {"certificates": [{"rawBytes": STANDARD.encode(&leaf.der)}]},
            "tlogEntries": [{
                "logIndex": number_text(&payload["logIndex"]),
                "logId": {"keyId": STANDARD.encode(log_id)},
                "kindVersion": {"kind": body["kind"], "version": body["apiVersion"]},
                "integratedTime": number_text(&payload["integratedTime"]),
                "inclusionPromise": {"signedEntryTimestamp": rekor["SignedEntryTimestamp"]},
                "canonicalizedBody": body_b64,
            }]
        },
        "dsseEnvelope": envelope,
    }))
}

fn number_text(value: &Value) -> Value {
    match value {
        Value::Number(number) => Value::String(number.to_string()),
        other => other.clone(),
    }
}

fn read_json(
    read: &mut dyn FnMut(&Path) -> Result<Vec<u8>, String>,
    path: &Path,
) -> Result<Value, String> {
    let bytes = read(path)?;
    crate::collect::files::json::reject_duplicate_keys(&path.display().to_string(), &bytes)
        .map_err(|gap| gap.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: not JSON: {e}", path.display()))
}

/// A blob by its `sha256:<hex>` digest; its content must hash to that digest.
fn read_blob(
    read: &mut dyn FnMut(&Path) -> Result<Vec<u8>, String>,
    dir: &Path,
    digest: &str,
) -> Result<Vec<u8>, String> {
    let hex_digest = digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| format!("unsupported blob digest `{digest}`"))?;
    let path = dir.join("blobs/sha256").join(hex_digest);
    let bytes = read(&path)?;
    if hex::encode(Sha256::digest(&bytes)) != hex_digest.to_ascii_lowercase() {
        return Err(format!(
            "{}: content does not match its digest",
            path.display()
        ));
    }
    crate::collect::files::json::reject_duplicate_keys(&path.display().to_string(), &bytes)
        .map_err(|gap| gap.to_string())?;
    Ok(bytes)
}
