//! X.509 certificates: reading them, checking that a signing certificate chains to a
//! trusted CA at a given time, and reading its identity (SAN) and Fulcio extensions.
//!
//! Owns the "chain" step. Path building is deliberately narrow, as in sigstore-go: the
//! only intermediates and roots that count are those of the trusted root; certificates a
//! bundle carries beyond the leaf are never trusted (and a root among them is rejected,
//! since it can only be there to mislead a verifier that would trust it).

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::{
    ID_CE_BASIC_CONSTRAINTS, ID_CE_EXT_KEY_USAGE, ID_CE_SUBJECT_ALT_NAME, ID_KP_CODE_SIGNING,
};
use der::{Decode, Encode};
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, SubjectAltName};

use super::error::{Result, VerifyError};
use super::keys::PublicKey;
use super::trust_root::{CertificateAuthority, describe_window, format_time};

/// A certificate with its original DER (signatures cover the original bytes, and a
/// decoded certificate does not always re-encode to them).
#[derive(Debug, Clone)]
pub struct ParsedCertificate {
    /// The whole certificate, DER.
    pub der: Vec<u8>,
    /// The decoded certificate.
    pub cert: Certificate,
    tbs_der: Vec<u8>,
}

impl PartialEq for ParsedCertificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl ParsedCertificate {
    /// Reads a DER certificate.
    pub fn from_der(der: Vec<u8>) -> Result<Self> {
        super::der_bounds::check(&der)
            .map_err(|e| VerifyError::parse(format!("not an X.509 certificate: {e}")))?;
        let cert = Certificate::from_der(&der)
            .map_err(|e| VerifyError::parse(format!("not an X.509 certificate: {e}")))?;
        let tbs_der = original_tbs(&der)?;
        Ok(ParsedCertificate { der, cert, tbs_der })
    }

    /// Reads a PEM certificate.
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let (label, der) = super::keys::decode_pem(pem)
            .ok_or_else(|| VerifyError::parse("not a PEM certificate"))?;
        if label != "CERTIFICATE" {
            return Err(VerifyError::parse(format!(
                "expected a PEM CERTIFICATE, got {label}"
            )));
        }
        Self::from_der(der)
    }

    /// The start of the validity period.
    pub fn not_before(&self) -> OffsetDateTime {
        to_time(
            self.cert
                .tbs_certificate
                .validity
                .not_before
                .to_unix_duration(),
        )
    }

    /// The end of the validity period (inclusive, RFC 5280).
    pub fn not_after(&self) -> OffsetDateTime {
        to_time(
            self.cert
                .tbs_certificate
                .validity
                .not_after
                .to_unix_duration(),
        )
    }

    /// Whether the certificate is valid at `at`.
    pub fn valid_at(&self, at: OffsetDateTime) -> bool {
        self.not_before() <= at && at <= self.not_after()
    }

    /// "2024-01-01T00:00:00Z..2024-01-01T00:10:00Z", for messages.
    pub fn validity_text(&self) -> String {
        format!(
            "{}..{}",
            format_time(self.not_before()),
            format_time(self.not_after())
        )
    }

    /// The subject public key.
    pub fn public_key(&self) -> Result<PublicKey> {
        let spki = self
            .cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| VerifyError::parse(format!("certificate key: {e}")))?;
        PublicKey::from_spki_der(&spki)
    }

    /// The subject public key as SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> Result<Vec<u8>> {
        self.cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| VerifyError::parse(format!("certificate key: {e}")))
    }

    /// The original DER of the TBSCertificate (what the issuer signed).
    pub fn tbs_der(&self) -> &[u8] {
        &self.tbs_der
    }

    /// Whether `issuer`'s key made this certificate's signature and names match.
    pub fn verify_issued_by(&self, issuer: &ParsedCertificate) -> Result<()> {
        if self.cert.tbs_certificate.issuer != issuer.cert.tbs_certificate.subject {
            return Err(VerifyError::chain(format!(
                "certificate issuer `{}` is not `{}`",
                self.cert.tbs_certificate.issuer, issuer.cert.tbs_certificate.subject
            )));
        }
        let signature = self
            .cert
            .signature
            .as_bytes()
            .ok_or_else(|| VerifyError::chain("certificate signature has unused bits"))?;
        issuer
            .public_key()?
            .verify_x509(self.cert.signature_algorithm.oid, &self.tbs_der, signature)
            .map_err(|e| VerifyError::chain(format!("certificate signature: {}", e.message)))
    }

    /// Whether the certificate is self-issued and self-signed (a root).
    pub fn is_self_signed(&self) -> bool {
        self.verify_issued_by(self).is_ok()
    }

    /// The basicConstraints `cA` flag (false when the extension is absent).
    pub fn is_ca(&self) -> bool {
        matches!(self.extension::<BasicConstraints>(ID_CE_BASIC_CONSTRAINTS), Ok(Some(bc)) if bc.ca)
    }

    /// The extension with `oid`, decoded as `T`.
    pub fn extension<T: for<'a> Decode<'a>>(&self, oid: ObjectIdentifier) -> Result<Option<T>> {
        match self.raw_extension(oid) {
            None => Ok(None),
            Some(value) => super::der_bounds::check(value)
                .and_then(|()| T::from_der(value))
                .map(Some)
                .map_err(|e| VerifyError::parse(format!("certificate extension {oid}: {e}"))),
        }
    }

    /// The raw value (contents of the OCTET STRING) of the extension with `oid`.
    pub fn raw_extension(&self, oid: ObjectIdentifier) -> Option<&[u8]> {
        self.cert
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|ext| ext.extn_id == oid)
            .map(|ext| ext.extn_value.as_bytes())
    }

    /// The identities in the subjectAltName: URIs, e-mail addresses and Fulcio's
    /// `otherName` usernames, in order.
    pub fn subject_alternative_names(&self) -> Result<Vec<String>> {
        let Some(san) = self.extension::<SubjectAltName>(ID_CE_SUBJECT_ALT_NAME)? else {
            return Ok(Vec::new());
        };
        Ok(san
            .0
            .iter()
            .filter_map(|name| match name {
                GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
                GeneralName::Rfc822Name(mail) => Some(mail.to_string()),
                GeneralName::DnsName(dns) => Some(dns.to_string()),
                GeneralName::OtherName(other) => other
                    .value
                    .decode_as::<der::asn1::Utf8StringRef>()
                    .ok()
                    .map(|s| s.to_string()),
                _ => None,
            })
            .collect())
    }
}

fn to_time(since_epoch: std::time::Duration) -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + since_epoch
}

/// The TBSCertificate exactly as encoded in `der`: the first element of the outer SEQUENCE.
fn original_tbs(der: &[u8]) -> Result<Vec<u8>> {
    let fields = Vec::<der::Any>::from_der(der)
        .map_err(|e| VerifyError::parse(format!("not an X.509 certificate: {e}")))?;
    fields
        .first()
        .ok_or_else(|| VerifyError::parse("empty certificate"))?
        .to_der()
        .map_err(|e| VerifyError::parse(format!("certificate: {e}")))
}

/// Checks that `leaf` was issued by `authority`'s chain and that every certificate on the
/// path, and the authority itself, was valid at `at`. Returns the leaf's issuer.
pub fn verify_chain<'a>(
    leaf: &ParsedCertificate,
    authority: &'a CertificateAuthority,
    at: OffsetDateTime,
) -> Result<&'a ParsedCertificate> {
    let window = authority
        .valid_for
        .as_ref()
        .map_err(|reason| VerifyError::chain(format!("CA {}: {reason}", authority.uri)))?;
    if !window.contains(at) {
        return Err(VerifyError::chain(format!(
            "CA {} is trusted {}, not at {}",
            authority.uri,
            describe_window(window),
            format_time(at)
        )));
    }
    let issuer = &authority.chain[0];
    leaf.verify_issued_by(issuer)?;
    for (child, parent) in authority.chain.iter().zip(authority.chain.iter().skip(1)) {
        child.verify_issued_by(parent)?;
    }
    for (position, cert) in std::iter::once(leaf).chain(&authority.chain).enumerate() {
        if !cert.valid_at(at) {
            return Err(VerifyError::chain(format!(
                "{} certificate is valid {}, not at {}",
                if position == 0 { "signing" } else { "CA" },
                cert.validity_text(),
                format_time(at)
            )));
        }
        if position > 0 && !cert.is_ca() {
            return Err(VerifyError::chain(format!(
                "CA certificate `{}` lacks basicConstraints cA",
                cert.cert.tbs_certificate.subject
            )));
        }
    }
    Ok(issuer)
}

/// Checks what a signing certificate must be: not a CA, and good for code signing.
pub fn check_leaf_usage(leaf: &ParsedCertificate) -> Result<()> {
    if leaf.is_ca() {
        return Err(VerifyError::chain(
            "the signing certificate is a CA certificate",
        ));
    }
    match leaf.extension::<ExtendedKeyUsage>(ID_CE_EXT_KEY_USAGE)? {
        Some(eku) if eku.0.contains(&ID_KP_CODE_SIGNING) => Ok(()),
        _ => Err(VerifyError::chain(
            "the signing certificate is not for code signing (no id-kp-codeSigning EKU)",
        )),
    }
}

/// Finds an authority whose chain issued `leaf` and was valid at `at`; the errors of every
/// candidate are reported when none did.
pub fn find_issuing_authority<'a>(
    leaf: &ParsedCertificate,
    authorities: &'a [CertificateAuthority],
    at: OffsetDateTime,
) -> Result<&'a ParsedCertificate> {
    let mut reasons = Vec::new();
    for authority in authorities {
        match verify_chain(leaf, authority, at) {
            Ok(issuer) => return Ok(issuer),
            Err(error) => reasons.push(error.message),
        }
    }
    if reasons.is_empty() {
        return Err(VerifyError::chain(
            "the trusted root has no certificate authorities",
        ));
    }
    reasons.dedup();
    Err(VerifyError::chain(format!(
        "the signing certificate does not chain to a trusted CA at {}: {}",
        format_time(at),
        reasons.join("; ")
    )))
}
