//! Verifying one provenance attestation against artifacts: signature and transparency
//! ([`super::sigstore`]), then the statement ([`super::statement`]), the subjects, and the
//! build facts against the expectations ([`super::slsa`]).
//!
//! A bare DSSE envelope that carries its certificate but no log entry (slsa-github-generator
//! before v2) is checked as far as offline verification can go (issuing CA, signature,
//! subjects, builder, source) and then rejected at the transparency step: without a log entry nothing proves the
//! short-lived certificate was valid when it signed, and an offline verifier cannot look
//! the entry up. This is also what rejects provenance that was never uploaded to Rekor.

use super::artifact::Artifact;
use super::attestation::{AttestationDocument, AttestationForm};
use super::bundle::{Bundle, SigningMaterial};
use super::certificate::ParsedCertificate;
use super::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use super::error::{Result, VerifyError};
use super::identity::{FulcioExtension, extensions as certificate_extensions};
use super::identity::{IdentityPolicy, Matcher};
use super::keys::PublicKey;
use super::sigstore::{SignerPolicy, TimeSource, check_certificate, verify_bundle};
use super::slsa::{
    BuildFacts, PROVENANCE_V0_2, PROVENANCE_V1, ProvenanceExpectations, SignerFacts, build_facts,
    check_package, check_provenance,
};
use super::statement::{Statement, Subject, subject_for};
use super::trust_root::TrustedRoot;

/// Who may have signed attestations: certificates from these OIDC issuers (the builder
/// check then ties the certificate to the builder), or these keys.
#[derive(Debug, Clone)]
pub struct ProvenanceSigner {
    /// Accepted OIDC issuers of keyless certificates.
    pub issuers: Vec<Matcher>,
    /// Keys the verifier holds (npm's registry key for its publish attestations, a
    /// builder's key for key-signed provenance).
    pub keys: Vec<PublicKey>,
    /// Certificate identities (SAN) accepted; empty: any (the builder check then decides
    /// which identity may vouch for which builder).
    pub identities: Vec<Matcher>,
    /// Fulcio extensions every signing certificate must carry with these values
    /// (`runner-environment: github-hosted`, `source-repository-owner-uri: ...`).
    pub extensions: Vec<(FulcioExtension, Matcher)>,
}

impl Default for ProvenanceSigner {
    fn default() -> Self {
        Self::default_keyless()
    }
}

impl ProvenanceSigner {
    /// GitHub Actions and GitLab.com, the issuers of hosted CI, and no keys.
    pub fn default_keyless() -> Self {
        ProvenanceSigner {
            issuers: vec![
                Matcher::Exact("https://token.actions.githubusercontent.com".into()),
                Matcher::Exact("https://gitlab.com".into()),
            ],
            keys: Vec::new(),
            identities: Vec::new(),
            extensions: Vec::new(),
        }
    }
}

/// An attestation that verified: signature, transparency, subjects, and for SLSA
/// provenance the builder and source.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifiedAttestation {
    /// Where in the attestation file.
    pub position: String,
    /// The statement's predicate type.
    pub predicate_type: String,
    /// For SLSA provenance, what it says and who vouched for the builder; `None` for a
    /// statement of another type (npm's publish attestation), whose signature and subjects
    /// were verified and nothing more.
    pub provenance: Option<ProvenanceOutcome>,
    /// For each artifact, the subject it matched.
    pub subjects: Vec<(String, String)>,
    /// The signing identities (empty when key-signed).
    pub signer: Vec<String>,
    /// Trusted signing times (RFC 3339).
    pub signed_at: Vec<String>,
}

/// What verified SLSA provenance establishes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProvenanceOutcome {
    /// What the provenance says about the build.
    pub facts: BuildFacts,
    /// The trust map entry that vouched for the builder.
    pub trusted_builder: String,
    /// The SLSA build level that entry grants.
    pub level: u8,
}

impl ProvenanceOutcome {
    /// "built by B from S at R (commit)", for messages.
    pub fn origin(&self) -> String {
        let facts = &self.facts;
        format!(
            "built by {} from {}{}{}",
            facts.builder_id,
            facts.source.as_deref().unwrap_or("an unknown source"),
            facts
                .source_ref
                .as_deref()
                .map(|r| format!(" at {r}"))
                .unwrap_or_default(),
            facts
                .source_commit
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default(),
        )
    }
}

/// A statement whose signature verified, with everything later checks need: what it
/// says, who signed it and when. Serializable, so it can be saved as evidence and the
/// policy applied to it again offline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct VerifiedStatement {
    /// The statement's predicate type.
    pub predicate_type: String,
    /// The statement's subjects.
    pub subjects: Vec<Subject>,
    /// Who signed.
    pub signer: SignerFacts,
    /// Trusted signing times (RFC 3339); empty when key-signed without a log entry.
    pub signed_at: Vec<String>,
    /// For SLSA provenance, what it says about the build; `None` for other predicates.
    pub build: Option<BuildFacts>,
    /// For a SLSA Verification Summary Attestation, what it states; `None` for other
    /// predicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<super::vsa::VsaFacts>,
    /// Signed by a certificate that no log entry dates: rejected at the transparency step
    /// after the other checks (see the module documentation).
    pub unlogged: bool,
}

/// Verifies the signature of one attestation document (and its transparency log entries
/// and certificate) and reads its statement. Builder and source are not judged here.
pub fn verify_statement(
    document: &AttestationDocument,
    signer: &ProvenanceSigner,
    root: &TrustedRoot,
) -> Result<VerifiedStatement> {
    let mut unlogged = false;
    let (envelope, signer_facts, times) = match &document.form {
        AttestationForm::Bundle(value) => {
            let bundle = Bundle::from_value(value)?;
            let key_signed = matches!(bundle.signing_material, SigningMaterial::PublicKey { .. });
            let (verified, key_id) = if key_signed {
                let (verified, key) = verify_with_any_key(&signer.keys, |policy| {
                    verify_bundle(&bundle, None, policy, root)
                })?;
                (verified, Some(key))
            } else {
                let policy = SignerPolicy::Identity(IdentityPolicy {
                    subject: if signer.identities.is_empty() {
                        // Any identity: the builder check decides which one may sign.
                        Matcher::pattern("").expect("empty pattern")
                    } else {
                        any_of(&signer.identities)
                    },
                    issuer: any_of(&signer.issuers),
                    extensions: signer.extensions.clone(),
                });
                (verify_bundle(&bundle, None, &policy, root)?, None)
            };
            let envelope = verified.envelope.ok_or_else(|| {
                VerifyError::predicate("the bundle signs a message, not an attestation")
            })?;
            let facts = SignerFacts {
                identities: verified.identities,
                extensions: verified.extensions,
                key_signed,
                key_id,
            };
            (envelope, facts, verified.times)
        }
        AttestationForm::Envelope(value) => {
            let envelope = Envelope::from_value(value)?;
            if envelope.signatures.iter().any(|s| s.cert.is_some()) {
                let facts = check_certificate_envelope(&envelope, root)?;
                unlogged = true;
                (envelope, facts, Vec::new())
            } else {
                let ((), key_id) = verify_with_any_key(&signer.keys, |policy| {
                    let SignerPolicy::Key(key) = policy else {
                        unreachable!("keys only")
                    };
                    verify_envelope_with_key(&envelope, key)
                })?;
                let facts = SignerFacts {
                    key_signed: true,
                    key_id: Some(key_id),
                    ..SignerFacts::default()
                };
                (envelope, facts, Vec::new())
            }
        }
    };
    let statement = statement_of(&envelope)?;
    let build = if is_provenance(&statement.predicate_type) {
        Some(build_facts(&statement)?)
    } else {
        None
    };
    let summary = (statement.predicate_type == super::vsa::VSA_V1)
        .then(|| super::vsa::VsaFacts::of(&statement));
    Ok(VerifiedStatement {
        predicate_type: statement.predicate_type,
        subjects: statement.subjects,
        signer: signer_facts,
        signed_at: times
            .iter()
            .map(|(_, at)| super::trust_root::format_time(*at))
            .collect(),
        summary,
        build,
        unlogged,
    })
}

/// Applies the expectations to a verified statement: every artifact must be a subject,
/// and SLSA provenance must come from a trusted builder and the expected source.
pub fn check_statement(
    position: &str,
    verified: &VerifiedStatement,
    artifacts: &[Artifact],
    expectations: &ProvenanceExpectations,
) -> Result<VerifiedAttestation> {
    let subjects = artifacts
        .iter()
        .map(|artifact| {
            subject_for(&verified.subjects, artifact)
                .and_then(|subject| {
                    check_package(&subject.name, expectations)?;
                    Ok((artifact.name.clone(), subject.name.clone()))
                })
                .map_err(|e| e.context(format!("artifact {}", artifact.name)))
        })
        .collect::<Result<Vec<_>>>()?;
    let provenance = match &verified.build {
        Some(facts) => {
            let (builder, certified) = check_provenance(facts, &verified.signer, expectations)?;
            Some(ProvenanceOutcome {
                trusted_builder: builder.id.clone(),
                level: builder.max_level,
                facts: certified,
            })
        }
        None => None,
    };
    if verified.unlogged {
        return Err(VerifyError::transparency(
            "the envelope has no transparency log entry, so nothing proves its certificate was valid when it signed \
             (an offline verifier cannot search Rekor for one; attest with a Sigstore bundle)",
        ));
    }
    Ok(VerifiedAttestation {
        position: position.to_string(),
        predicate_type: verified.predicate_type.clone(),
        provenance,
        subjects,
        signer: verified.signer.identities.clone(),
        signed_at: verified.signed_at.clone(),
    })
}

/// Verifies one attestation document against every artifact: [`verify_statement`], then
/// [`check_statement`].
pub fn verify_attestation(
    document: &AttestationDocument,
    artifacts: &[Artifact],
    signer: &ProvenanceSigner,
    expectations: &ProvenanceExpectations,
    root: &TrustedRoot,
) -> Result<VerifiedAttestation> {
    let verified = verify_statement(document, signer, root)?;
    check_statement(&document.position, &verified, artifacts, expectations)
}

/// Whether a predicate type is SLSA provenance vouch reads.
pub fn is_provenance(predicate_type: &str) -> bool {
    predicate_type == PROVENANCE_V0_2 || predicate_type == PROVENANCE_V1
}

/// Tries each key; the first that verifies wins (with its key id), else the last
/// failure (or a key error when no key was given).
fn verify_with_any_key<T>(
    keys: &[PublicKey],
    mut verify: impl FnMut(&SignerPolicy) -> Result<T>,
) -> Result<(T, String)> {
    let mut last =
        VerifyError::key("the attestation is signed with a key, and no key was given (--key)");
    for key in keys {
        match verify(&SignerPolicy::Key(key.clone())) {
            Ok(value) => return Ok((value, key_id(key)?)),
            Err(error) => last = error,
        }
    }
    Err(last)
}

/// `sha256:<hex>` of a key's SubjectPublicKeyInfo: how trust map entries name keys.
pub fn key_id(key: &PublicKey) -> Result<String> {
    Ok(format!(
        "sha256:{}",
        hex::encode(super::keys::key_id(&key.to_spki_der()?))
    ))
}

/// One matcher for any of `matchers` (exact ones anchored); none given matches nothing
/// (never everything).
fn any_of(matchers: &[Matcher]) -> Matcher {
    if matchers.is_empty() {
        return Matcher::Exact("\u{0}no issuer is accepted".into());
    }
    let alternatives: Vec<String> = matchers
        .iter()
        .map(|m| match m {
            Matcher::Exact(text) => format!("^{}$", regex::escape(text)),
            Matcher::Pattern(regex) => format!("(?:{})", regex.as_str()),
        })
        .collect();
    Matcher::pattern(&alternatives.join("|")).unwrap_or(Matcher::Exact(String::new()))
}

fn statement_of(envelope: &Envelope) -> Result<Statement> {
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(VerifyError::predicate(format!(
            "expected payload type {IN_TOTO_PAYLOAD_TYPE}, got `{}`",
            envelope.payload_type
        )));
    }
    Statement::from_payload(&envelope.payload)
}

fn verify_envelope_with_key(envelope: &Envelope, key: &PublicKey) -> Result<()> {
    let pae = envelope.pae();
    if envelope
        .signatures
        .iter()
        .any(|signature| key.verify(&pae, &signature.sig, key.default_hash()).is_ok())
    {
        Ok(())
    } else {
        Err(VerifyError::signature(
            "no signature of the DSSE envelope verifies with the given key",
        ))
    }
}

/// Checks an envelope signed by an embedded certificate as far as offline verification
/// goes: a CA of the trusted root issued the certificate (at its notBefore, with a
/// verified SCT), and its key made the signature. Returns the signer's identity.
fn check_certificate_envelope(envelope: &Envelope, root: &TrustedRoot) -> Result<SignerFacts> {
    let pae = envelope.pae();
    let signature = envelope
        .signatures
        .iter()
        .find(|signature| signature.cert.is_some())
        .expect("caller checked a certificate is present");
    let cert =
        ParsedCertificate::from_pem(signature.cert.as_deref().unwrap_or_default().as_bytes())?;
    check_certificate(
        &cert,
        &[(TimeSource::CertificateIssuance, cert.not_before())],
        root,
    )?;
    let key = cert.public_key()?;
    key.verify(&pae, &signature.sig, key.default_hash())
        .map_err(|e| e.context("DSSE envelope"))?;
    Ok(SignerFacts {
        identities: cert.subject_alternative_names()?,
        extensions: certificate_extensions(&cert),
        key_signed: false,
        key_id: None,
    })
}
