//! What the forge said, kept so that a re-performance hears it again.
//!
//! A live [`ApiClient`](super::http::ApiClient) records every request with the answer
//! it finally got (after retries) or the gap it ended in, and every clock reading
//! collection took. `vouch evaluate` replays the transcript through the same forge
//! code: the same requests meet the same answers, so the forge evidence is derived
//! again rather than believed.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::evidence::Gap;

/// Every exchange and clock reading of one run's forge collection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transcript {
    /// Clock readings, in the order collection took them.
    #[serde(default)]
    pub clock: Vec<Timestamp>,
    /// Requests and their answers, in the order they were sent.
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
    /// GitLab: which kind of token the run used (a job token's refusals are explained
    /// as such), never the token itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gitlab_token_kind: Option<super::gitlab::TokenKind>,
}

/// An RFC 3339 time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(#[serde(with = "time::serde::rfc3339")] pub OffsetDateTime);

/// One request and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    /// `GET` or `POST`.
    pub method: String,
    /// The path or URL as requested.
    pub url: String,
    /// The JSON body sent (GraphQL query and variables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<serde_json::Value>,
    /// Attempts made, retries included (counted against the request budget).
    pub attempts: u32,
    /// The answer, or the gap the request ended in.
    pub answer: Answer,
}

/// What a request came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", deny_unknown_fields)]
pub enum Answer {
    /// A response that was not retried away (2xx, or a 4xx the reader interprets).
    Response {
        /// HTTP status.
        status: u16,
        /// The `Link` header, which pagination follows.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<String>,
        /// GitLab's `x-total-pages`, from which the remaining pages are read at once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total_pages: Option<u32>,
        /// The body as text (forge answers are JSON).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        /// The body as base64, when it is not UTF-8.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body_base64: Option<String>,
    },
    /// No usable answer after the allowed retries (timeouts, 5xx, rate limits).
    Failed {
        /// The gap it became.
        gap: Gap,
    },
}

impl Answer {
    /// A response, its body kept as text when it is UTF-8.
    pub fn response(status: u16, link: Option<String>, body: &[u8]) -> Self {
        use base64::Engine;
        match std::str::from_utf8(body) {
            Ok(text) => Answer::Response {
                status,
                link,
                total_pages: None,
                body: Some(text.to_string()),
                body_base64: None,
            },
            Err(_) => Answer::Response {
                status,
                link,
                total_pages: None,
                body: None,
                body_base64: Some(base64::engine::general_purpose::STANDARD.encode(body)),
            },
        }
    }

    /// The same answer, with the number of pages the forge said its list has.
    pub fn with_total_pages(mut self, pages: Option<u32>) -> Self {
        if let Answer::Response { total_pages, .. } = &mut self {
            *total_pages = pages;
        }
        self
    }

    /// The body bytes of a response.
    pub fn body_bytes(&self) -> Vec<u8> {
        use base64::Engine;
        match self {
            Answer::Response {
                body: Some(text), ..
            } => text.as_bytes().to_vec(),
            Answer::Response {
                body_base64: Some(b64),
                ..
            } => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

impl Transcript {
    /// Replaces every form of `secret` in the recorded bodies and gaps (see
    /// [`crate::evidence::secret_forms`]): a token a server echoed back must not reach
    /// the evidence directory either. Forms are replaced as written and as JSON escapes
    /// them, so the replayed bodies parse to the same redacted strings the evidence has.
    pub fn redact(&mut self, secret: &str) {
        let mut forms = Vec::new();
        for form in crate::evidence::secret_forms(secret) {
            let escaped = serde_json::to_string(&form).unwrap_or_default();
            let escaped = escaped.trim_matches('"').to_string();
            if escaped != form {
                forms.push(escaped);
            }
            forms.push(form);
        }
        let scrub = |text: &mut String| {
            for form in &forms {
                if text.contains(form.as_str()) {
                    *text = text.replace(form.as_str(), "[REDACTED]");
                }
            }
        };
        for exchange in &mut self.exchanges {
            // A `Link` a server sent can carry the token into the next request's URL.
            scrub(&mut exchange.url);
            match &mut exchange.answer {
                Answer::Response {
                    body,
                    link,
                    body_base64,
                    ..
                } => {
                    if let Some(body) = body {
                        scrub(body);
                    }
                    // The token's base64 forms are among `forms`: a binary body that
                    // held it no longer decodes to the same bytes, so a re-performance
                    // refuses the directory rather than the token reaching it.
                    if let Some(b64) = body_base64 {
                        scrub(b64);
                    }
                    if let Some(link) = link {
                        scrub(link);
                    }
                }
                Answer::Failed { gap } => {
                    scrub(&mut gap.detail);
                    scrub(&mut gap.source_name);
                }
            }
        }
    }
}

/// Answers given in order whatever was asked, for exercising the forge readers with
/// arbitrary answers (the fuzzing harness); a request past the end gets a 404.
#[derive(Debug)]
pub struct Script {
    answers: std::collections::VecDeque<Answer>,
}

impl Script {
    /// Answers `answers`, one per request, in order.
    pub fn new(answers: Vec<Answer>) -> Self {
        Script {
            answers: answers.into(),
        }
    }

    /// The next answer.
    pub fn next_answer(&mut self) -> Answer {
        self.answers
            .pop_front()
            .unwrap_or_else(|| Answer::response(404, None, br#"{"message": "Not Found"}"#))
    }
}

/// A transcript being played back: each exchange is answered once, matched by method,
/// URL and body (so the order of independent reads does not matter), and the clock
/// readings come back in order.
#[derive(Debug)]
pub struct Playback {
    by_request: HashMap<(String, String, String), std::collections::VecDeque<Exchange>>,
    clock: std::collections::VecDeque<OffsetDateTime>,
}

impl Playback {
    /// Plays `transcript` back.
    pub fn new(transcript: Transcript) -> Self {
        let mut by_request: HashMap<_, std::collections::VecDeque<Exchange>> = HashMap::new();
        for exchange in transcript.exchanges {
            by_request
                .entry(key(
                    &exchange.method,
                    &exchange.url,
                    exchange.request.as_ref(),
                ))
                .or_default()
                .push_back(exchange);
        }
        Playback {
            by_request,
            clock: transcript.clock.into_iter().map(|t| t.0).collect(),
        }
    }

    /// The recorded exchange for this request, if the original run made it.
    pub fn answer(
        &mut self,
        method: &str,
        url: &str,
        request: Option<&serde_json::Value>,
    ) -> Option<Exchange> {
        self.by_request
            .get_mut(&key(method, url, request))?
            .pop_front()
    }

    /// Whether the original run made this request (again): a replay retries exactly
    /// when the live run did, whatever the waits would be now.
    pub fn has(&self, method: &str, url: &str, request: Option<&serde_json::Value>) -> bool {
        self.by_request
            .get(&key(method, url, request))
            .is_some_and(|pending| !pending.is_empty())
    }

    /// The next recorded clock reading; the Unix epoch when the original run took no
    /// more (the evidence then disagrees with the saved one, and evaluation refuses).
    pub fn now(&mut self) -> OffsetDateTime {
        self.clock.pop_front().unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

fn key(method: &str, url: &str, request: Option<&serde_json::Value>) -> (String, String, String) {
    (
        method.to_string(),
        url.to_string(),
        request.map(|r| r.to_string()).unwrap_or_default(),
    )
}
