//! Logging a signed envelope in Rekor: v1 takes a `dsse` entry (the envelope and the
//! certificate), v2 a `hashedrekord` over the envelope's pre-authentication encoding.
//!
//! The answer becomes a log entry of the bundle model as it is; whether it proves
//! anything (the signed entry timestamp, the inclusion proof, the checkpoint's signature,
//! that the body is this envelope) is checked by vouch's verifier on the finished bundle.
//! A 409 from Rekor v1 means the entry is already logged (a retried request that had
//! landed): the existing entry is read and used, so logging is idempotent.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::attest::http::{Http, HttpError, Request};
use crate::attest::signing_config::Service;
use crate::verify::bundle::{InclusionProof, TlogEntry};
use crate::verify::dsse::Envelope;

/// What signed the envelope, as Rekor is told.
pub enum Verifier<'a> {
    /// A certificate (DER).
    Certificate(&'a [u8]),
    /// A public key (SPKI DER) and its Sigstore key details
    /// (`PKIX_ECDSA_P256_SHA_256`, `PKIX_ECDSA_P384_SHA_384`, `PKIX_ED25519`).
    Key(&'a [u8], &'static str),
}

/// Logs `envelope` in `log` and returns the entry.
pub fn log_envelope(
    http: &Http,
    log: &Service,
    envelope: &Envelope,
    verifier: &Verifier<'_>,
) -> Result<TlogEntry, HttpError> {
    match log.major_api_version {
        2 => log_v2(http, &log.url, envelope, verifier),
        _ => log_v1(http, &log.url, envelope, verifier),
    }
}

/// Logs a signature over an artifact (`hashedrekord`) in `log` and returns the entry.
pub fn log_message(
    http: &Http,
    log: &Service,
    digest: &[u8; 32],
    signature: &[u8],
    verifier: &Verifier<'_>,
) -> Result<TlogEntry, HttpError> {
    let base = log.url.trim_end_matches('/');
    if log.major_api_version == 2 {
        return post_v2(http, base, digest, signature, verifier);
    }
    let verifier_pem = match verifier {
        Verifier::Certificate(der) => pem("CERTIFICATE", der),
        Verifier::Key(der, _) => pem("PUBLIC KEY", der),
    };
    let body = serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": { "hash": { "algorithm": "sha256", "value": hex::encode(digest) } },
            "signature": {
                "content": STANDARD.encode(signature),
                "publicKey": { "content": STANDARD.encode(verifier_pem) },
            },
        }
    });
    post_v1(http, base, &body)
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn log_v1(
    http: &Http,
    base: &str,
    envelope: &Envelope,
    verifier: &Verifier<'_>,
) -> Result<TlogEntry, HttpError> {
    let base = base.trim_end_matches('/');
    let verifier_pem = match verifier {
        Verifier::Certificate(der) => pem("CERTIFICATE", der),
        Verifier::Key(der, _) => pem("PUBLIC KEY", der),
    };
    let body = serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": { "proposedContent": {
            "envelope": envelope.to_value().to_string(),
            "verifiers": [STANDARD.encode(verifier_pem)],
        }}
    });
    post_v1(http, base, &body)
}

/// Posts a proposed entry to Rekor v1; a 409 reads the entry already logged.
fn post_v1(http: &Http, base: &str, body: &serde_json::Value) -> Result<TlogEntry, HttpError> {
    let what = format!("Rekor {base}");
    let url = format!("{base}/api/v1/log/entries");
    let mut reply = http.send(
        &what,
        &Request {
            method: reqwest::Method::POST,
            url: &url,
            headers: vec![("Accept", "application/json".into())],
            body: Some(("application/json", serde_json::to_vec(body).expect("JSON"))),
        },
    )?;
    if reply.status == 409 {
        let location = reply.location.clone().ok_or_else(|| {
            http.status_error(
                &what,
                &reply,
                "a conflict without the existing entry's Location",
            )
        })?;
        let existing = if location.starts_with("http://") || location.starts_with("https://") {
            location
        } else {
            format!("{base}/{}", location.trim_start_matches('/'))
        };
        reply = http.send(
            &what,
            &Request {
                method: reqwest::Method::GET,
                url: &existing,
                headers: vec![("Accept", "application/json".into())],
                body: None,
            },
        )?;
    }
    if !reply.ok() {
        return Err(http.status_error(&what, &reply, ""));
    }
    v1_entry(&reply.body).map_err(|message| HttpError { what, message })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Entry {
    body: String,
    integrated_time: i64,
    #[serde(rename = "logID")]
    log_id: String,
    log_index: u64,
    verification: V1Verification,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Verification {
    inclusion_proof: Option<V1Proof>,
    signed_entry_timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Proof {
    checkpoint: Option<String>,
    hashes: Vec<String>,
    log_index: u64,
    root_hash: String,
    tree_size: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BodyKind {
    kind: String,
    api_version: String,
}

/// A Rekor v1 answer (`{uuid: entry}`) as a log entry.
fn v1_entry(bytes: &[u8]) -> Result<TlogEntry, String> {
    let entries: BTreeMap<String, V1Entry> = serde_json::from_slice(bytes)
        .map_err(|e| format!("the answer is not a Rekor log entry: {e}"))?;
    let mut entries = entries.into_values();
    let (Some(entry), None) = (entries.next(), entries.next()) else {
        return Err("the answer does not hold exactly one entry".into());
    };
    let body = STANDARD
        .decode(&entry.body)
        .map_err(|_| "the entry's body is not base64".to_string())?;
    let kind: BodyKind = serde_json::from_slice(&body)
        .map_err(|e| format!("the entry's body does not name its kind: {e}"))?;
    let hex_bytes = |text: &str, field: &str| {
        hex::decode(text).map_err(|_| format!("the entry's `{field}` is not hex"))
    };
    let proof = entry
        .verification
        .inclusion_proof
        .ok_or("the entry has no inclusion proof")?;
    Ok(TlogEntry {
        log_index: entry.log_index,
        log_id: hex_bytes(&entry.log_id, "logID")?,
        kind: kind.kind,
        version: kind.api_version,
        integrated_time: Some(entry.integrated_time).filter(|t| *t != 0),
        signed_entry_timestamp: entry
            .verification
            .signed_entry_timestamp
            .map(|set| {
                STANDARD
                    .decode(set)
                    .map_err(|_| "the SET is not base64".to_string())
            })
            .transpose()?,
        inclusion_proof: Some(InclusionProof {
            log_index: proof.log_index,
            root_hash: hex_bytes(&proof.root_hash, "rootHash")?,
            tree_size: proof.tree_size,
            hashes: proof
                .hashes
                .iter()
                .map(|h| hex_bytes(h, "hashes"))
                .collect::<Result<_, _>>()?,
            checkpoint: proof.checkpoint,
        }),
        canonicalized_body: body,
    })
}

fn log_v2(
    http: &Http,
    base: &str,
    envelope: &Envelope,
    verifier: &Verifier<'_>,
) -> Result<TlogEntry, HttpError> {
    let digest: [u8; 32] = Sha256::digest(envelope.pae()).into();
    post_v2(
        http,
        base.trim_end_matches('/'),
        &digest,
        &envelope.signatures[0].sig,
        verifier,
    )
}

/// Posts a `hashedrekord` over `digest` to Rekor v2.
fn post_v2(
    http: &Http,
    base: &str,
    digest: &[u8; 32],
    signature: &[u8],
    verifier: &Verifier<'_>,
) -> Result<TlogEntry, HttpError> {
    let what = format!("Rekor v2 {base}");
    let verifier = match verifier {
        Verifier::Certificate(der) => serde_json::json!({
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "x509Certificate": { "rawBytes": STANDARD.encode(der) },
        }),
        Verifier::Key(der, details) => serde_json::json!({
            "keyDetails": details,
            "publicKey": { "rawBytes": STANDARD.encode(der) },
        }),
    };
    let body = serde_json::json!({
        "hashedRekordRequestV002": {
            "digest": STANDARD.encode(digest),
            "signature": { "content": STANDARD.encode(signature), "verifier": verifier },
        }
    });
    let url = format!("{base}/api/v2/log/entries");
    let reply = http.send(
        &what,
        &Request {
            method: reqwest::Method::POST,
            url: &url,
            headers: vec![("Accept", "application/json".into())],
            body: Some(("application/json", serde_json::to_vec(&body).expect("JSON"))),
        },
    )?;
    if !reply.ok() {
        return Err(http.status_error(&what, &reply, ""));
    }
    let value: serde_json::Value = serde_json::from_slice(&reply.body).map_err(|e| HttpError {
        what: what.clone(),
        message: format!("the answer is not JSON: {e}"),
    })?;
    TlogEntry::from_value(&value).map_err(|e| HttpError {
        what,
        message: e.to_string(),
    })
}
