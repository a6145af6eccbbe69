//! The files attestations come in, split into documents to verify one by one: a Sigstore
//! bundle (`.sigstore.json`), JSON Lines of bundles or DSSE envelopes (`.intoto.jsonl` as
//! slsa-github-generator and GitHub write them), a bare DSSE envelope, or npm's
//! attestations document (`{"attestations": [{"predicateType", "bundle"}]}`).

use serde_json::Value;

use super::error::{Result, VerifyError};

/// One attestation found in a file.
#[derive(Debug, Clone)]
pub struct AttestationDocument {
    /// Where in the file: `line 2`, `attestations[1]`, or empty for a whole-file document.
    pub position: String,
    /// The document.
    pub form: AttestationForm,
}

/// What shape an attestation has.
#[derive(Debug, Clone)]
pub enum AttestationForm {
    /// A Sigstore bundle (JSON value, parsed by [`super::bundle::Bundle::from_value`]).
    Bundle(Value),
    /// A bare DSSE envelope.
    Envelope(Value),
}

/// Splits a file into attestation documents.
pub fn read_attestations(bytes: &[u8]) -> Result<Vec<AttestationDocument>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| VerifyError::parse("attestation file is not UTF-8"))?;
    let whole: std::result::Result<Value, _> = serde_json::from_str(text);
    let documents = match whole {
        Ok(value) => split(value, String::new())?,
        Err(whole_error) => {
            let mut documents = Vec::new();
            for (index, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let value: Value = serde_json::from_str(line).map_err(|e| {
                    if index == 0 && text.lines().filter(|l| !l.trim().is_empty()).count() == 1 {
                        VerifyError::parse(format!(
                            "attestation is not JSON (line {}, column {}): {whole_error}",
                            whole_error.line(),
                            whole_error.column()
                        ))
                    } else {
                        VerifyError::parse(format!("attestation line {}: not JSON: {e}", index + 1))
                    }
                })?;
                documents.extend(split(value, format!("line {}", index + 1))?);
            }
            documents
        }
    };
    if documents.is_empty() {
        return Err(VerifyError::parse(
            "the attestation file holds no attestation",
        ));
    }
    Ok(documents)
}

fn split(value: Value, position: String) -> Result<Vec<AttestationDocument>> {
    if value.get("mediaType").is_some() {
        return Ok(vec![AttestationDocument {
            position,
            form: AttestationForm::Bundle(value),
        }]);
    }
    if value.get("payloadType").is_some() && value.get("payload").is_some() {
        return Ok(vec![AttestationDocument {
            position,
            form: AttestationForm::Envelope(value),
        }]);
    }
    if let Some(list) = value.get("attestations").and_then(Value::as_array) {
        return list
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let bundle = item.get("bundle").cloned().ok_or_else(|| {
                    VerifyError::parse(format!("attestations[{index}] has no `bundle`"))
                })?;
                Ok(AttestationDocument {
                    position: format!("attestations[{index}]"),
                    form: AttestationForm::Bundle(bundle),
                })
            })
            .collect();
    }
    Err(VerifyError::parse(format!(
        "{}: not a Sigstore bundle, DSSE envelope or attestations document (no `mediaType`, `payloadType` or `attestations`)",
        if position.is_empty() {
            "attestation"
        } else {
            &position
        }
    )))
}
