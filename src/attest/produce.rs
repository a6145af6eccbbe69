//! From a verdict to signed files: the run's statements (VSA and detailed report, split
//! at 1,024 subjects), each signed, each checked by vouch's own verifier from the bytes
//! that will be written, then written into the attestation directory.
//!
//! Nothing is written unless every bundle verified: a signer that produced a bad
//! signature, or a statement that does not read back as what was signed, stops here.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::http::Http;
use super::oidc::TokenSource;
use super::report::{REPORT_PREDICATE_V1, ReportPredicate, SavedEvidence, TooLarge};
use super::sign::keyless::{KeylessError, Session};
use super::sign::{SigningKey, sign_with_key};
use super::signing_config::Services;
use super::statement::{Statement, Subject, about};
use super::vsa::{AttestError, VsaScope, predicate, subjects};
use crate::evidence::Evidence;
use crate::policy::Policy;
use crate::report::Report;
use crate::verify::bundle::{Bundle, Content, SigningMaterial};
use crate::verify::sigstore::{SignerPolicy, verify_bundle};
use crate::verify::trust_root::TrustedRoot;
use crate::verify::vsa::VSA_V1;

/// How statements are signed.
pub enum Signer<'a> {
    /// With a key the user holds.
    Key(&'a SigningKey),
    /// Keyless: a Fulcio certificate for an OIDC identity, logged and timestamped.
    Keyless(Keyless<'a>),
}

/// What keyless signing needs.
pub struct Keyless<'a> {
    /// The HTTP client (its request count is the run's).
    pub http: &'a Http,
    /// The services the signing config selected.
    pub services: &'a Services,
    /// Where the OIDC token comes from.
    pub token: &'a TokenSource,
    /// The trusted root the bundles must verify against.
    pub root: &'a TrustedRoot,
    /// Unix seconds now (the token's expiry is checked against it).
    pub now: i64,
}

/// What to attest and where.
pub struct Request<'a> {
    /// The directory the signed files go to (created when missing).
    pub out_dir: &'a Path,
    /// The VSA's resource and policy URIs.
    pub scope: VsaScope,
    /// The saved evidence's digests, with `--evidence-out`.
    pub saved: Option<SavedEvidence>,
    /// Every form of every secret of the run: a file holding one is not written.
    pub secrets: &'a [String],
    /// `--publish rekor` for key-signed bundles: log them before they are written.
    pub rekor: Option<RekorLogging<'a>>,
}

/// Logging key-signed bundles in Rekor.
pub struct RekorLogging<'a> {
    /// The HTTP client.
    pub http: &'a Http,
    /// The logs (from the signing config).
    pub logs: &'a [crate::attest::signing_config::Service],
    /// The trusted root that names them, to verify the logged bundles with.
    pub root: &'a TrustedRoot,
}

/// One signed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedFile {
    /// Where it was written.
    pub path: PathBuf,
    /// The predicate type of the statement in it.
    pub predicate_type: String,
    /// `sigstore` (a bundle) or `dsse` (a bare envelope).
    pub form: &'static str,
    /// The bundle, for publishing (absent for a bare envelope).
    pub bundle: Option<serde_json::Value>,
}

/// Why a run was not attested.
#[derive(Debug, thiserror::Error)]
pub enum ProduceError {
    /// No subject, or an unreadable artifact.
    #[error(transparent)]
    Subject(#[from] AttestError),
    /// The report does not fit GitHub's limit.
    #[error(transparent)]
    TooLarge(#[from] TooLarge),
    /// Keyless signing failed.
    #[error(transparent)]
    Keyless(#[from] KeylessError),
    /// A bundle vouch signed did not verify (nothing was written).
    #[error("self-check: the {what} vouch signed does not verify: {message}; nothing was written")]
    SelfCheck {
        /// Which file.
        what: String,
        /// Why.
        message: String,
    },
    /// Writing failed.
    #[error("--attest-out {path}: {message}")]
    Write {
        /// The path.
        path: String,
        /// Why.
        message: String,
    },
}

/// One statement to sign: the file stem it is written under (`vsa`, `vsa.2`, `report`),
/// its predicate type, and the exact bytes signed.
#[derive(Debug, Clone)]
pub struct ToSign {
    /// File stem.
    pub stem: String,
    /// Predicate type.
    pub predicate_type: &'static str,
    /// The statement's bytes.
    pub payload: Vec<u8>,
}

/// The statements of a run, in the order they are written.
pub fn statements(
    report: &Report,
    policy: &Policy,
    evidence: &Evidence,
    scope: &VsaScope,
    saved: Option<SavedEvidence>,
) -> Result<Vec<ToSign>, ProduceError> {
    let subjects: Vec<Subject> = subjects(evidence, &scope.resource_uri)?;
    let vsa = predicate(report, policy, evidence, scope);
    let detailed = ReportPredicate::new(report, evidence, saved)?;
    let mut out = Vec::new();
    push(&mut out, "vsa", VSA_V1, about(&subjects, VSA_V1, &vsa));
    push(
        &mut out,
        "report",
        REPORT_PREDICATE_V1,
        about(&subjects, REPORT_PREDICATE_V1, &detailed),
    );
    Ok(out)
}

fn push<P: serde::Serialize>(
    out: &mut Vec<ToSign>,
    stem: &str,
    predicate_type: &'static str,
    statements: Vec<Statement<P>>,
) {
    for (index, statement) in statements.iter().enumerate() {
        let name = if index == 0 {
            stem.to_string()
        } else {
            format!("{stem}.{}", index + 1)
        };
        let bytes = serde_json::to_vec(statement).expect("a statement serializes");
        out.push(ToSign {
            stem: name,
            predicate_type,
            payload: bytes,
        });
    }
}

/// What signing produced: the files written, and how logging in Rekor went when asked.
#[derive(Debug)]
pub struct Produced {
    /// The files, in order.
    pub files: Vec<SignedFile>,
    /// `--publish rekor` of key-signed bundles.
    pub rekor: Option<super::publish::Published>,
}

/// Signs, self-checks and writes the run's statements.
pub fn produce(
    report: &Report,
    policy: &Policy,
    evidence: &Evidence,
    signer: &Signer<'_>,
    request: &Request<'_>,
) -> Result<Produced, ProduceError> {
    let statements = statements(
        report,
        policy,
        evidence,
        &request.scope,
        request.saved.clone(),
    )?;
    let mut pending: Vec<(PathBuf, Vec<u8>, SignedFile)> = Vec::new();
    // The token is minted and the certificate asked for only now, right before use.
    let session = match signer {
        Signer::Keyless(k) => Some(Session::start(k.http, k.services, k.token, k.now)?),
        Signer::Key(_) => None,
    };
    let mut rekor_ids = Vec::new();
    let mut rekor_failure: Option<String> = None;
    for ToSign {
        stem,
        predicate_type,
        payload,
    } in &statements
    {
        match signer {
            Signer::Key(key) => {
                let mut signed = sign_with_key(key, payload);
                if let Some(rekor) = request.rekor.as_ref().filter(|_| rekor_failure.is_none()) {
                    match log_key_signed(rekor, key, &signed.bundle) {
                        Ok(logged) => {
                            let json = serde_json::to_vec(&logged.to_value()).expect("JSON");
                            self_check_full(
                                &json,
                                &SignerPolicy::Key(key.public_key()),
                                rekor.root,
                                payload,
                            )
                            .map_err(|message| {
                                ProduceError::SelfCheck {
                                    what: format!("{stem}.sigstore.json (logged in Rekor)"),
                                    message,
                                }
                            })?;
                            rekor_ids.extend(
                                logged.tlog_entries.iter().map(|e| e.log_index.to_string()),
                            );
                            signed.bundle = logged;
                        }
                        // The bundles are still written, unlogged; the failure is reported.
                        Err(e) => rekor_failure = Some(e.to_string()),
                    }
                }
                let bundle_value = signed.bundle.to_value();
                let bundle_json =
                    serde_json::to_vec_pretty(&bundle_value).expect("JSON serializes");
                let envelope_json = serde_json::to_vec_pretty(&signed.envelope.to_value())
                    .expect("JSON serializes");
                self_check_key(&bundle_json, key, payload).map_err(|message| {
                    ProduceError::SelfCheck {
                        what: format!("{stem}.sigstore.json"),
                        message,
                    }
                })?;
                let path = request.out_dir.join(format!("{stem}.sigstore.json"));
                pending.push((
                    path.clone(),
                    bundle_json,
                    SignedFile {
                        path,
                        predicate_type: predicate_type.to_string(),
                        form: "sigstore",
                        bundle: Some(bundle_value),
                    },
                ));
                // slsa-verifier's `verify-vsa` reads a bare envelope; the report needs none.
                if *predicate_type == VSA_V1 {
                    let path = request.out_dir.join(format!("{stem}.dsse.json"));
                    pending.push((
                        path.clone(),
                        envelope_json,
                        SignedFile {
                            path,
                            predicate_type: predicate_type.to_string(),
                            form: "dsse",
                            bundle: None,
                        },
                    ));
                }
            }
            Signer::Keyless(k) => {
                let session = session.as_ref().expect("started above");
                let bundle = session.sign(k.http, k.services, payload)?;
                let bundle_value = bundle.to_value();
                let bundle_json =
                    serde_json::to_vec_pretty(&bundle_value).expect("JSON serializes");
                self_check_full(
                    &bundle_json,
                    &SignerPolicy::Identity(session.identity.clone()),
                    k.root,
                    payload,
                )
                .map_err(|message| ProduceError::SelfCheck {
                    what: format!("{stem}.sigstore.json"),
                    message,
                })?;
                let path = request.out_dir.join(format!("{stem}.sigstore.json"));
                pending.push((
                    path.clone(),
                    bundle_json,
                    SignedFile {
                        path,
                        predicate_type: predicate_type.to_string(),
                        form: "sigstore",
                        bundle: Some(bundle_value),
                    },
                ));
            }
        }
    }
    let rekor = request.rekor.as_ref().map(|_| match rekor_failure {
        None => super::publish::Published {
            target: "rekor".into(),
            ok: true,
            detail: format!("{} entr(ies) logged", rekor_ids.len()),
            ids: rekor_ids,
        },
        Some(detail) => super::publish::Published {
            target: "rekor".into(),
            ok: false,
            detail: format!("{detail}; the bundles were written without a log entry"),
            ids: Vec::new(),
        },
    });
    Ok(Produced {
        files: write_all(request, pending)?,
        rekor,
    })
}

/// Logs a key-signed bundle's envelope in each log.
fn log_key_signed(
    rekor: &RekorLogging<'_>,
    key: &SigningKey,
    bundle: &Bundle,
) -> Result<Bundle, crate::attest::http::HttpError> {
    let Content::Dsse(envelope) = &bundle.content else {
        unreachable!("statements are signed as DSSE")
    };
    let spki = key.public_key().to_spki_der().expect("the key encodes");
    let mut logged = bundle.clone();
    for log in rekor.logs {
        logged.tlog_entries.push(super::sign::rekor::log_envelope(
            rekor.http,
            log,
            envelope,
            &super::sign::rekor::Verifier::Key(&spki, key.key_details()),
        )?);
    }
    Ok(logged)
}

/// Verifies a bundle in full, as a consumer would (for a certificate: chain to a Fulcio
/// CA of the trusted root with its SCT, identity and issuer; every log entry and
/// timestamp; the signature), and that it signs the statement.
fn self_check_full(
    bundle_json: &[u8],
    signer: &SignerPolicy,
    root: &TrustedRoot,
    payload: &[u8],
) -> Result<(), String> {
    let bundle = Bundle::from_json(bundle_json).map_err(|e| e.to_string())?;
    let verified = verify_bundle(&bundle, None, signer, root).map_err(|e| e.to_string())?;
    match verified.envelope {
        Some(envelope) if envelope.payload == payload => Ok(()),
        _ => Err("the bundle does not sign the statement".into()),
    }
}

/// Reads the bundle back as a verifier would, from the bytes to be written, and checks
/// that the signature verifies with the key and the payload is the statement signed.
fn self_check_key(bundle_json: &[u8], key: &SigningKey, payload: &[u8]) -> Result<(), String> {
    let bundle = Bundle::from_json(bundle_json).map_err(|e| e.to_string())?;
    let SigningMaterial::PublicKey { hint } = &bundle.signing_material else {
        return Err("the bundle does not name a public key".into());
    };
    let Content::Dsse(envelope) = &bundle.content else {
        return Err("the bundle carries no DSSE envelope".into());
    };
    envelope
        .verify_with(&key.public_key(), hint.as_deref())
        .map_err(|e| e.to_string())?;
    if envelope.payload != payload {
        return Err("the envelope's payload is not the statement signed".into());
    }
    crate::verify::statement::Statement::from_payload(&envelope.payload)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn write_all(
    request: &Request<'_>,
    pending: Vec<(PathBuf, Vec<u8>, SignedFile)>,
) -> Result<Vec<SignedFile>, ProduceError> {
    let fail = |path: &Path, message: String| ProduceError::Write {
        path: path.display().to_string(),
        message,
    };
    for (path, bytes, _) in &pending {
        if request
            .secrets
            .iter()
            .any(|s| memchr::memmem::find(bytes, s.as_bytes()).is_some())
        {
            return Err(fail(
                path,
                "would contain a token or secret of the run, so nothing is written".into(),
            ));
        }
    }
    let dir = request.out_dir;
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(fail(dir, "is a symlink; give a directory".into()));
    }
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, format!("cannot create: {e}")))?;
    let mut written = Vec::new();
    for (path, bytes, file) in pending {
        // O_EXCL: an earlier run's file, or a symlink planted in its place, is never
        // written through.
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| {
                fail(
                    &path,
                    if e.kind() == std::io::ErrorKind::AlreadyExists {
                        "already exists; give a new or empty directory".into()
                    } else {
                        e.to_string()
                    },
                )
            })?;
        out.write_all(&bytes)
            .and_then(|()| out.write_all(b"\n"))
            .map_err(|e| fail(&path, e.to_string()))?;
        written.push(file);
    }
    Ok(written)
}
