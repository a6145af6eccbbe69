//! RFC 3161 timestamps: a timestamp authority's signed statement that the signature
//! existed at a time, over the signature's SHA-256, with a random nonce and the TSA's
//! certificate requested. The answer is kept as the DER `TimeStampResp` it came as (the
//! bundle's `signedTimestamp`); its signature and chain are checked by vouch's verifier.

use der::asn1::{Int, OctetString};
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

use crate::attest::http::{Http, HttpError, Request};

/// Asks the TSA at `url` to stamp `signature`.
pub fn timestamp(http: &Http, url: &str, signature: &[u8]) -> Result<Vec<u8>, HttpError> {
    let what = format!("timestamp authority {url}");
    let fail = |message: String| HttpError {
        what: what.clone(),
        message,
    };
    let mut nonce = [0u8; 8];
    rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut nonce)
        .map_err(|e| fail(format!("no randomness for the nonce: {e}")))?;
    nonce[0] = (nonce[0] & 0x7f) | 0x01; // positive, and no leading zero byte
    let request = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: spki::AlgorithmIdentifier {
                oid: const_oid::db::rfc5912::ID_SHA_256,
                parameters: None,
            },
            hashed_message: OctetString::new(Sha256::digest(signature).to_vec())
                .expect("32 bytes fit"),
        },
        req_policy: None,
        nonce: Some(Int::new(&nonce).expect("a positive integer")),
        cert_req: true,
        extensions: None,
    };
    let der = request
        .to_der()
        .map_err(|e| fail(format!("cannot encode the request: {e}")))?;
    let reply = http.send(
        &what,
        &Request {
            method: reqwest::Method::POST,
            url,
            headers: vec![("Accept", "application/timestamp-reply".into())],
            body: Some(("application/timestamp-query", der)),
        },
    )?;
    if !reply.ok() {
        return Err(http.status_error(&what, &reply, ""));
    }
    let response = TimeStampResp::from_der(&reply.body)
        .map_err(|e| fail(format!("the answer is not a DER TimeStampResp: {e}")))?;
    // The nonce must come back: a replayed or misdirected answer stamps something else.
    let token = response.time_stamp_token.ok_or_else(|| {
        fail(format!(
            "no timestamp granted (status {:?})",
            response.status.status
        ))
    })?;
    let signed = token
        .content
        .decode_as::<cms::signed_data::SignedData>()
        .map_err(|e| fail(format!("the token is not CMS SignedData: {e}")))?;
    let info = signed
        .encap_content_info
        .econtent
        .ok_or_else(|| fail("the token has no TSTInfo".into()))?
        .decode_as::<OctetString>()
        .map_err(|e| fail(format!("the TSTInfo is not an OCTET STRING: {e}")))?;
    let info = x509_tsp::TstInfo::from_der(info.as_bytes())
        .map_err(|e| fail(format!("the TSTInfo does not parse: {e}")))?;
    if info.nonce.as_ref().map(|n| n.as_bytes()) != Some(&nonce[..]) {
        return Err(fail(
            "the answer does not carry the nonce vouch sent".into(),
        ));
    }
    Ok(reply.body)
}
