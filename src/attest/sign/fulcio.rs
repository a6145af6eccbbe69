//! Fulcio v2 `signingCert`: a short-lived certificate for the run's ephemeral key, bound
//! to the OIDC identity.
//!
//! The proof of possession is the key's signature over the identity Fulcio names the
//! certificate after in the token (its `email` claim, else `sub`), as Fulcio checks it.
//! Only the leaf is kept: a v0.3 bundle carries it alone, and the chain to the root is
//! the trusted root's to supply. The SCT, embedded in the certificate, is checked with
//! the rest by vouch's verifier before anything is written.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::key::SigningKey;
use crate::attest::http::{Http, HttpError, Request};
use crate::attest::oidc::IdentityToken;
use crate::verify::certificate::ParsedCertificate;
use crate::verify::keys::decode_pem;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    signed_certificate_embedded_sct: Option<Chained>,
    signed_certificate_detached_sct: Option<Chained>,
}

#[derive(Deserialize)]
struct Chained {
    chain: Chain,
}

#[derive(Deserialize)]
struct Chain {
    certificates: Vec<String>,
}

/// Asks Fulcio at `base_url` for a certificate for `key`.
pub fn signing_certificate(
    http: &Http,
    base_url: &str,
    token: &IdentityToken,
    key: &SigningKey,
) -> Result<ParsedCertificate, HttpError> {
    let what = format!("Fulcio {base_url}");
    let fail = |message: String| HttpError {
        what: what.clone(),
        message,
    };
    let challenge = token.email.as_deref().unwrap_or(&token.subject);
    let body = serde_json::json!({
        "credentials": { "oidcIdentityToken": token.secret() },
        "publicKeyRequest": {
            "publicKey": { "algorithm": "ECDSA", "content": key.public_key_pem() },
            "proofOfPossession": STANDARD.encode(key.sign(challenge.as_bytes())),
        }
    });
    let url = format!("{}/api/v2/signingCert", base_url.trim_end_matches('/'));
    let reply = http.send(
        &what,
        &Request {
            method: reqwest::Method::POST,
            url: &url,
            headers: vec![("Accept", "application/json".into())],
            body: Some((
                "application/json",
                serde_json::to_vec(&body).expect("JSON serializes"),
            )),
        },
    )?;
    if !reply.ok() {
        let hint = match reply.status {
            400 => "Fulcio refused the request: is the token's audience `sigstore`?",
            401 | 403 => {
                "Fulcio refused the identity token (expired, wrong audience, or an issuer it does not trust)"
            }
            _ => "",
        };
        return Err(http.status_error(&what, &reply, hint));
    }
    let response: Response = serde_json::from_slice(&reply.body)
        .map_err(|e| fail(format!("the answer is not a signingCert response: {e}")))?;
    if response.signed_certificate_detached_sct.is_some() {
        return Err(fail(
            "Fulcio answered with a detached SCT; vouch writes v0.3 bundles, which need the SCT embedded in the certificate".into(),
        ));
    }
    let chain = response
        .signed_certificate_embedded_sct
        .ok_or_else(|| fail("the answer holds no certificate".into()))?
        .chain
        .certificates;
    let leaf = chain
        .first()
        .ok_or_else(|| fail("the certificate chain is empty".into()))?;
    let (label, der) = decode_pem(leaf.as_bytes())
        .filter(|(label, _)| label == "CERTIFICATE")
        .ok_or_else(|| fail("the leaf is not a PEM CERTIFICATE".into()))?;
    debug_assert_eq!(label, "CERTIFICATE");
    let certificate = ParsedCertificate::from_der(der)
        .map_err(|e| fail(format!("the leaf does not parse: {e}")))?;
    let certified = certificate
        .public_key()
        .and_then(|k| k.to_spki_der())
        .map_err(|e| fail(format!("the leaf's key does not read: {e}")))?;
    let ours = key
        .public_key()
        .to_spki_der()
        .expect("the ephemeral key encodes");
    if certified != ours {
        return Err(fail(
            "the certificate is for another key than the one vouch sent".into(),
        ));
    }
    Ok(certificate)
}
