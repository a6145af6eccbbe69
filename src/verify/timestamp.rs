//! RFC 3161 timestamps from a timestamp authority (TSA) of the trusted root.
//!
//! Owns "a trusted TSA saw this signature at time T": the response must be granted, its
//! token a CMS SignedData over a TSTInfo whose message imprint is the hash of the bundle's
//! signature; the signed attributes must bind that TSTInfo (content type and message
//! digest); the signature must verify with the leaf of a TSA chain of the trusted root
//! (certificates embedded in the token are never trusted), and T must fall inside that
//! TSA's validity window and the validity of every certificate of its chain.

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911::{ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNED_DATA};
use const_oid::db::rfc5912::{ID_EC_PUBLIC_KEY, RSA_ENCRYPTION};
use der::asn1::OctetString;
use der::{Decode, Encode};
use time::OffsetDateTime;
use x509_tsp::{TimeStampResp, TstInfo};

use super::certificate::ParsedCertificate;
use super::error::{Result, VerifyError};
use super::keys::HashAlgorithm;
use super::trust_root::{CertificateAuthority, TrustedRoot, describe_window, format_time};

/// id-ct-TSTInfo (RFC 3161 §2.4.2).
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// Verifies a DER `TimeStampResp` over `signature` and returns the time it attests.
pub fn verify_timestamp(
    response: &[u8],
    signature: &[u8],
    root: &TrustedRoot,
) -> Result<OffsetDateTime> {
    let token = token(response)?;
    let signed_data = token
        .content
        .decode_as::<SignedData>()
        .map_err(|e| VerifyError::time(format!("timestamp token is not CMS SignedData: {e}")))?;
    if signed_data.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(VerifyError::time(format!(
            "timestamp token content type is {}, expected id-ct-TSTInfo",
            signed_data.encap_content_info.econtent_type
        )));
    }
    let tst_der = signed_data
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| VerifyError::time("timestamp token has no TSTInfo"))?
        .decode_as::<OctetString>()
        .map_err(|e| VerifyError::time(format!("timestamp TSTInfo is not an OCTET STRING: {e}")))?;
    let tst_info = super::der_bounds::check(tst_der.as_bytes())
        .and_then(|()| TstInfo::from_der(tst_der.as_bytes()))
        .map_err(|e| VerifyError::time(format!("timestamp TSTInfo is malformed: {e}")))?;
    check_imprint(&tst_info, signature)?;
    let gen_time = OffsetDateTime::UNIX_EPOCH + tst_info.gen_time.to_unix_duration();

    let signer_infos = signed_data.signer_infos.0.as_slice();
    let [signer_info] = signer_infos else {
        return Err(VerifyError::time(format!(
            "timestamp token has {} signers, expected one",
            signer_infos.len()
        )));
    };
    let attributes = signer_info
        .signed_attrs
        .as_ref()
        .ok_or_else(|| VerifyError::time("timestamp signer has no signed attributes"))?;
    let digest_algorithm =
        HashAlgorithm::from_oid(signer_info.digest_alg.oid).ok_or_else(|| {
            VerifyError::time(format!(
                "timestamp digest algorithm {} is not supported",
                signer_info.digest_alg.oid
            ))
        })?;
    let attribute = |oid: ObjectIdentifier| {
        attributes
            .iter()
            .find(|attr| attr.oid == oid)
            .and_then(|attr| attr.values.get(0))
            .ok_or_else(|| VerifyError::time(format!("timestamp signed attributes lack {oid}")))
    };
    let content_type: ObjectIdentifier = attribute(ID_CONTENT_TYPE)?
        .decode_as()
        .map_err(|e| VerifyError::time(format!("timestamp content-type attribute: {e}")))?;
    if content_type != ID_CT_TST_INFO {
        return Err(VerifyError::time(
            "timestamp content-type attribute is not id-ct-TSTInfo",
        ));
    }
    let message_digest: OctetString = attribute(ID_MESSAGE_DIGEST)?
        .decode_as()
        .map_err(|e| VerifyError::time(format!("timestamp message-digest attribute: {e}")))?;
    if message_digest.as_bytes() != digest_algorithm.digest(tst_der.as_bytes()) {
        return Err(VerifyError::time(
            "timestamp message-digest attribute is not the TSTInfo's digest",
        ));
    }
    let signed_attributes = attributes
        .to_der()
        .map_err(|e| VerifyError::time(format!("timestamp signed attributes: {e}")))?;
    // Some TSAs name the key algorithm (id-ecPublicKey) as the signature algorithm and give
    // the hash separately; map that to the combined identifier.
    let signature_algorithm = match (signer_info.signature_algorithm.oid, digest_algorithm) {
        (ID_EC_PUBLIC_KEY, HashAlgorithm::Sha256) => const_oid::db::rfc5912::ECDSA_WITH_SHA_256,
        (ID_EC_PUBLIC_KEY, HashAlgorithm::Sha384) => const_oid::db::rfc5912::ECDSA_WITH_SHA_384,
        (ID_EC_PUBLIC_KEY, HashAlgorithm::Sha512) => const_oid::db::rfc5912::ECDSA_WITH_SHA_512,
        (RSA_ENCRYPTION, HashAlgorithm::Sha256) => {
            const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION
        }
        (RSA_ENCRYPTION, HashAlgorithm::Sha384) => {
            const_oid::db::rfc5912::SHA_384_WITH_RSA_ENCRYPTION
        }
        (RSA_ENCRYPTION, HashAlgorithm::Sha512) => {
            const_oid::db::rfc5912::SHA_512_WITH_RSA_ENCRYPTION
        }
        (oid, _) => oid,
    };
    let token_signature = signer_info.signature.as_bytes();

    let mut reasons = Vec::new();
    for authority in &root.timestamp_authorities {
        match check_authority(
            authority,
            signature_algorithm,
            &signed_attributes,
            token_signature,
            gen_time,
        ) {
            Ok(()) => return Ok(gen_time),
            Err(reason) => reasons.push(reason),
        }
    }
    Err(VerifyError::time(if reasons.is_empty() {
        "the trusted root has no timestamp authorities".to_string()
    } else {
        format!(
            "no trusted timestamp authority signed this timestamp: {}",
            reasons.join("; ")
        )
    }))
}

fn token(response: &[u8]) -> Result<ContentInfo> {
    let response = super::der_bounds::check(response)
        .and_then(|()| TimeStampResp::from_der(response))
        .map_err(|e| VerifyError::time(format!("timestamp response is malformed: {e}")))?;
    use cmpv2::status::PkiStatus;
    if !matches!(
        response.status.status,
        PkiStatus::Accepted | PkiStatus::GrantedWithMods
    ) {
        return Err(VerifyError::time(format!(
            "timestamp response status is {:?}, not granted",
            response.status.status
        )));
    }
    let token = response
        .time_stamp_token
        .ok_or_else(|| VerifyError::time("timestamp response has no token"))?;
    if token.content_type != ID_SIGNED_DATA {
        return Err(VerifyError::time("timestamp token is not SignedData"));
    }
    Ok(token)
}

fn check_imprint(tst_info: &TstInfo, signature: &[u8]) -> Result<()> {
    let algorithm = HashAlgorithm::from_oid(tst_info.message_imprint.hash_algorithm.oid)
        .ok_or_else(|| {
            VerifyError::time(format!(
                "timestamp imprint algorithm {} is not supported",
                tst_info.message_imprint.hash_algorithm.oid
            ))
        })?;
    if tst_info.message_imprint.hashed_message.as_bytes() != algorithm.digest(signature) {
        return Err(VerifyError::time(
            "the timestamp is not over this bundle's signature (message imprint differs)",
        ));
    }
    Ok(())
}

fn check_authority(
    authority: &CertificateAuthority,
    algorithm: ObjectIdentifier,
    signed: &[u8],
    signature: &[u8],
    at: OffsetDateTime,
) -> std::result::Result<(), String> {
    let leaf: &ParsedCertificate = &authority.chain[0];
    leaf.public_key()
        .and_then(|key| key.verify_x509(algorithm, signed, signature))
        .map_err(|e| format!("{}: {}", authority.uri, e.message))?;
    let window = authority
        .valid_for
        .as_ref()
        .map_err(|reason| format!("{}: {reason}", authority.uri))?;
    if !window.contains(at) {
        return Err(format!(
            "{} is trusted {}, the timestamp says {}",
            authority.uri,
            describe_window(window),
            format_time(at)
        ));
    }
    for (child, parent) in authority.chain.iter().zip(authority.chain.iter().skip(1)) {
        child
            .verify_issued_by(parent)
            .map_err(|e| format!("{}: {}", authority.uri, e.message))?;
    }
    if let Some(cert) = authority.chain.iter().find(|cert| !cert.valid_at(at)) {
        return Err(format!(
            "{}: certificate `{}` is valid {}, the timestamp says {}",
            authority.uri,
            cert.cert.tbs_certificate.subject,
            cert.validity_text(),
            format_time(at)
        ));
    }
    Ok(())
}
