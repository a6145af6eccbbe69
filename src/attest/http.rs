//! HTTP for signing and publishing: the OIDC token request, Fulcio, Rekor, the TSA and
//! GitHub's attestation API, through reqwest with bounded retries.
//!
//! A transport failure, a 429 (its `Retry-After` honored up to [`MAX_WAIT`]) and a 5xx
//! are retried up to [`ATTEMPTS`] times in all; anything else is the caller's to judge.
//! Every request and retry is counted (the request budget is asserted in tests). Error
//! text quotes at most 300 bytes of the body, with every secret of the run removed: a
//! service that echoes the token back does not get it into a log.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Attempts per request, the first included.
pub const ATTEMPTS: u32 = 3;
/// Longest wait for a rate limit or between retries.
pub const MAX_WAIT: Duration = Duration::from_secs(30);
/// Largest response body read.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// `Location`, when given (Rekor's 409 names the existing entry).
    pub location: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A request that could not be answered.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{what}: {message}")]
pub struct HttpError {
    /// What was asked (`Fulcio signingCert`).
    pub what: String,
    /// Why, secrets removed.
    pub message: String,
}

/// What to send.
pub struct Request<'a> {
    /// `GET` or `POST`.
    pub method: reqwest::Method,
    /// The URL.
    pub url: &'a str,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body and its content type.
    pub body: Option<(&'static str, Vec<u8>)>,
}

/// The client.
pub struct Http {
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    requests: AtomicU32,
    secrets: Vec<String>,
    backoff: Duration,
}

impl Http {
    /// A client whose requests each time out after `timeout`; `secrets` are removed from
    /// every error message.
    pub fn new(timeout: Duration, secrets: Vec<String>) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the HTTP runtime: {e}"))?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("vouch/", env!("CARGO_PKG_VERSION")))
            // A redirect would carry the token's request to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Http {
            client,
            runtime,
            requests: AtomicU32::new(0),
            secrets: secrets.into_iter().filter(|s| !s.is_empty()).collect(),
            backoff: Duration::from_secs(1),
        })
    }

    /// Waits `backoff` (doubling) between retries; tests make it short.
    pub fn with_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// Requests sent so far, retries included.
    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Sends with retries; returns the first answer that is neither a 429 nor a 5xx, or
    /// the last one when the attempts run out.
    pub fn send(&self, what: &str, request: &Request<'_>) -> Result<Reply, HttpError> {
        let mut wait = self.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let outcome = self.runtime.block_on(self.once(request));
            let retry_after = match &outcome {
                Ok((reply, retry_after)) if reply.status == 429 || reply.status >= 500 => {
                    Some(retry_after.unwrap_or(wait))
                }
                Ok(_) => None,
                Err(_) => Some(wait),
            };
            match (retry_after, outcome) {
                (Some(pause), _) if attempt < ATTEMPTS && pause <= MAX_WAIT => {
                    tracing::debug!(what, attempt, "retrying");
                    std::thread::sleep(pause);
                    wait = (wait * 2).min(MAX_WAIT);
                }
                (_, Ok((reply, _))) => return Ok(reply),
                (_, Err(message)) => {
                    return Err(HttpError {
                        what: what.to_string(),
                        message: self.clean(&format!("{message} (after {attempt} attempt(s))")),
                    });
                }
            }
        }
    }

    async fn once(&self, request: &Request<'_>) -> Result<(Reply, Option<Duration>), String> {
        let mut builder = self.client.request(request.method.clone(), request.url);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        if let Some((content_type, body)) = &request.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, *content_type)
                .body(body.clone());
        }
        let mut response = builder.send().await.map_err(|e| describe(&e))?;
        let status = response.status().as_u16();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let location = header(reqwest::header::LOCATION);
        let retry_after = header(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(format!("the response is larger than {MAX_BODY} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((
            Reply {
                status,
                location,
                body,
            },
            retry_after,
        ))
    }

    /// An error for a reply whose status the caller did not expect.
    pub fn status_error(&self, what: &str, reply: &Reply, hint: &str) -> HttpError {
        let excerpt =
            String::from_utf8_lossy(&reply.body[..reply.body.len().min(300)]).into_owned();
        HttpError {
            what: what.to_string(),
            message: self.clean(&format!(
                "HTTP {}{}{}",
                reply.status,
                if excerpt.trim().is_empty() {
                    String::new()
                } else {
                    format!(": {}", excerpt.trim())
                },
                if hint.is_empty() {
                    String::new()
                } else {
                    format!(" ({hint})")
                }
            )),
        }
    }

    fn clean(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), "[REDACTED]");
        }
        crate::report::escape::terminal(&out)
    }
}

/// A transport error without the URL's query (which may carry a request token).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else if error.is_body() || error.is_decode() {
        "the response broke off"
    } else {
        "the request failed"
    };
    let mut source = std::error::Error::source(error);
    let mut detail = String::new();
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}
