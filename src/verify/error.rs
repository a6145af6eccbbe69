//! The one error type of verification: which step failed, and expected-versus-got detail.
//!
//! Modelled on slsa-verifier's typed errors: a caller (and a test) can tell a broken
//! certificate chain from a wrong builder without parsing the message.

use std::fmt;

/// The verification step that rejected the input.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// The bundle, envelope, statement or trusted root could not be read.
    Parse,
    /// The signing certificate does not chain to a trusted CA, or its SCT does not verify.
    Chain,
    /// The certificate identity, issuer or a Fulcio extension differs from the expected one.
    Identity,
    /// The signature over the artifact or envelope does not verify.
    Signature,
    /// A transparency log entry is missing, malformed, unproven or does not match the bundle.
    Transparency,
    /// No trusted time proves the signature was made while the certificate was valid.
    Time,
    /// The artifact's digest is not the signed one (or not among the statement's subjects).
    Digest,
    /// The statement or predicate type is not the expected one.
    Predicate,
    /// The builder is not trusted for this source, or exceeds what the trust map allows.
    Builder,
    /// The source repository, ref or commit differs from the expected one.
    Source,
    /// The verification key is missing, unsupported or not the one that signed.
    Key,
}

impl Step {
    /// The kebab-case name used in messages and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Parse => "parse",
            Step::Chain => "chain",
            Step::Identity => "identity",
            Step::Signature => "signature",
            Step::Transparency => "transparency",
            Step::Time => "time",
            Step::Digest => "digest",
            Step::Predicate => "predicate",
            Step::Builder => "builder",
            Step::Source => "source",
            Step::Key => "key",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verification failure: the step and a message that says what was expected and what
/// was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{step}: {message}")]
pub struct VerifyError {
    /// Which step failed.
    pub step: Step,
    /// What was expected and what was found.
    pub message: String,
}

impl VerifyError {
    /// A failure at `step`.
    pub fn new(step: Step, message: impl Into<String>) -> Self {
        VerifyError {
            step,
            message: message.into(),
        }
    }

    /// The same failure with `context` put in front of the message.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

/// Shorthand constructors, one per step, so call sites read as the step they check.
macro_rules! step_constructors {
    ($($name:ident => $step:ident),* $(,)?) => {
        impl VerifyError {
            $(
                #[doc = concat!("A failure of the `", stringify!($name), "` step.")]
                pub fn $name(message: impl Into<String>) -> Self {
                    VerifyError::new(Step::$step, message)
                }
            )*
        }
    };
}

step_constructors! {
    parse => Parse,
    chain => Chain,
    identity => Identity,
    signature => Signature,
    transparency => Transparency,
    time => Time,
    digest => Digest,
    predicate => Predicate,
    builder => Builder,
    source => Source,
    key => Key,
}

/// Result of a verification step.
pub type Result<T> = std::result::Result<T, VerifyError>;
