//! A forge API client that fails closed: bounded retries, rate limits honored, every
//! other failure a typed [`Gap`].
//!
//! Transport, auth and base-URL handling come from `octocrab` (its raw `_get`/`_post`,
//! which hand back status and headers). Its typed routes are not used: they turn a 403
//! rate-limit response and a 403 permission error into the same error value and drop
//! the `retry-after` / `x-ratelimit-*` headers that decide what to do next, so the retry
//! policy here works on raw responses instead. The token lives only inside octocrab
//! (a `secrecy::SecretString`): it is never formatted, logged or stored in evidence.

use std::time::Duration;

use http::StatusCode;
use http_body_util::BodyExt;
use octocrab::Octocrab;
use serde::de::DeserializeOwned;

use super::transcript::{Answer, Exchange, Playback, Script, Timestamp, Transcript};
use crate::evidence::{Gap, GapKind};

/// GitLab's page count header.
const TOTAL_PAGES: http::HeaderName = http::HeaderName::from_static("x-total-pages");

/// How hard to try before a request becomes a gap.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt (rate limits and server errors alike).
    pub max_retries: u32,
    /// First backoff for 5xx and timeouts; doubles each retry.
    pub backoff: Duration,
    /// Longest single wait for a rate-limit reset; a longer one is a gap at once.
    pub max_rate_limit_wait: Duration,
    /// Time for the whole forge collection, every request and wait included: what is
    /// not gathered by then is a gap (an `error`), never a hang.
    pub deadline: Duration,
}

/// Default of [`RetryPolicy::deadline`]: three minutes.
pub const DEFAULT_FORGE_DEADLINE: Duration = Duration::from_secs(180);

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            backoff: Duration::from_millis(250),
            max_rate_limit_wait: Duration::from_secs(90),
            deadline: DEFAULT_FORGE_DEADLINE,
        }
    }
}

/// A response whose status is not retryable (2xx, or a 4xx the caller interprets).
pub struct ApiResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: http::HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl ApiResponse {
    /// The body as `T` when the status is 2xx; a typed gap otherwise.
    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, Gap> {
        if !self.status.is_success() {
            return Err(status_gap(what, self.status, &self.body));
        }
        crate::collect::files::json::reject_duplicate_keys(what, &self.body)?;
        serde_json::from_slice(&self.body).map_err(|e| {
            Gap::new(
                GapKind::Malformed,
                what,
                format!("unexpected response shape: {e}"),
            )
        })
    }

    /// GitLab's `x-total-pages`: how many pages the list has (GitLab leaves it out of
    /// some lists, the repository's commits among them, and of any over 10,000 items).
    pub fn total_pages(&self) -> Option<u32> {
        self.headers
            .get(TOTAL_PAGES)?
            .to_str()
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// The `rel="next"` URL of a `Link` header, for pagination.
    pub fn next_page(&self) -> Option<String> {
        let link = self.headers.get(http::header::LINK)?.to_str().ok()?;
        link.split(',').find_map(|part| {
            let (url, params) = part.split_once(';')?;
            params
                .split(';')
                .any(|p| p.trim() == "rel=\"next\"")
                .then(|| {
                    url.trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_string()
                })
        })
    }
}

/// The `message` of a GitHub error body (`{"message": "Branch not protected"}`), or
/// empty.
pub fn error_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A gap for a non-success status, with the forge's own message (escaped later, as all
/// untrusted text) and what would help.
pub fn status_gap(what: &str, status: StatusCode, body: &[u8]) -> Gap {
    let message = error_message(body);
    let (kind, hint) = match status {
        StatusCode::UNAUTHORIZED => (
            GapKind::Forbidden,
            "the token was refused: it is invalid, expired or revoked; check GITHUB_TOKEN",
        ),
        StatusCode::FORBIDDEN => (
            GapKind::Forbidden,
            "the token lacks a permission this read needs",
        ),
        StatusCode::NOT_FOUND => (GapKind::NotFound, "not found, or not visible to this token"),
        s if s.is_server_error() => (GapKind::Unavailable, "the forge kept failing"),
        _ => (GapKind::Malformed, "unexpected status"),
    };
    let message = if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    };
    Gap::new(
        kind,
        what,
        format!("HTTP {}{message} ({hint})", status.as_u16()),
    )
}

/// The client: octocrab for transport, this for retries, counting and the transcript.
pub struct ApiClient {
    transport: Transport,
    /// The REST base (no trailing `/`): an absolute URL outside it (a pagination link
    /// to another host or scheme) is never sent, since every request carries the token.
    api_base: String,
    /// Requests in flight at once in [`ApiClient::in_parallel`].
    in_flight: usize,
    /// Shared by a client and its forks: no more than `in_flight` requests are on the
    /// wire at once, however the parallel reads nest.
    gate: std::sync::Arc<Gate>,
    graphql_url: String,
    retry: RetryPolicy,
    requests: u32,
    /// The longest chain of attempts each sent after the one before was answered (see
    /// [`ApiClient::rounds`]).
    rounds: u32,
    /// What a live client heard, for the evidence directory.
    transcript: Transcript,
    /// When the forge collection must be over.
    deadline: std::time::Instant,
}

/// Where answers come from.
enum Transport {
    /// The forge, over HTTP.
    Live {
        sender: Sender,
        /// Shared by the forks of [`ApiClient::in_parallel`]: several threads may
        /// `block_on` the same multi-thread runtime at once.
        runtime: std::sync::Arc<tokio::runtime::Runtime>,
    },
    /// A saved transcript (`vouch evaluate`): no network.
    Replay(Playback),
    /// Answers in order, whatever is asked (the fuzzing harness): no network.
    Scripted(Script),
}

impl ApiClient {
    /// A client for `api_url` (REST) and `graphql_url`, authenticated with `token` when given.
    pub fn new(
        api_url: &str,
        graphql_url: &str,
        token: Option<String>,
        retry: RetryPolicy,
    ) -> Result<Self, String> {
        let runtime = http_runtime()?;
        let _guard = runtime.enter();
        let octocrab = build_octocrab(api_url, token.clone())?;
        // GraphQL gets its own client based at the GraphQL URL: octocrab prefixes the
        // base path to every request path, which would turn `https://ghe/api/graphql`
        // into `https://ghe/api/v3/api/graphql` on GitHub Enterprise Server.
        let graphql = build_octocrab(graphql_url, token)?;
        drop(_guard);
        Ok(ApiClient {
            transport: Transport::Live {
                sender: Sender::Octocrab {
                    rest: octocrab,
                    graphql,
                },
                runtime: std::sync::Arc::new(runtime),
            },
            in_flight: MAX_IN_FLIGHT,
            gate: Gate::new(MAX_IN_FLIGHT),
            api_base: api_url.trim_end_matches('/').to_string(),
            graphql_url: graphql_url.to_string(),
            deadline: std::time::Instant::now() + retry.deadline,
            retry,
            requests: 0,
            rounds: 0,
            transcript: Transcript::default(),
        })
    }

    /// A client for a forge spoken to with plain HTTP (GitLab): `api_url` is the REST
    /// base (`https://gitlab.example.com/api/v4`), and every request carries the header
    /// `auth` (`PRIVATE-TOKEN` or `JOB-TOKEN`) with `token`, marked sensitive so that
    /// no debug output shows it.
    pub fn plain(
        api_url: &str,
        graphql_url: &str,
        auth: (&'static str, &str),
        in_flight: usize,
        retry: RetryPolicy,
    ) -> Result<Self, String> {
        let runtime = http_runtime()?;
        let mut value = http::HeaderValue::from_str(auth.1)
            .map_err(|_| format!("{}: the token is not a valid header value", auth.0))?;
        value.set_sensitive(true);
        let mut headers = http::HeaderMap::new();
        let name = http::HeaderName::from_bytes(auth.0.as_bytes())
            .map_err(|_| format!("{}: not a header name", auth.0))?;
        headers.insert(name, value);
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("vouch/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(30))
            // A redirect could carry the token's request to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(ApiClient {
            transport: Transport::Live {
                sender: Sender::Plain {
                    client,
                    base: api_url.trim_end_matches('/').to_string(),
                },
                runtime: std::sync::Arc::new(runtime),
            },
            in_flight: in_flight.max(1),
            gate: Gate::new(in_flight.max(1)),
            api_base: api_url.trim_end_matches('/').to_string(),
            graphql_url: graphql_url.to_string(),
            deadline: std::time::Instant::now() + retry.deadline,
            retry,
            requests: 0,
            rounds: 0,
            transcript: Transcript::default(),
        })
    }

    /// A client that answers from a saved transcript, for re-performance.
    pub fn replay(transcript: Transcript, graphql_url: &str) -> Self {
        ApiClient {
            transport: Transport::Replay(Playback::new(transcript)),
            in_flight: 1,
            gate: Gate::new(1),
            api_base: String::new(),
            graphql_url: graphql_url.to_string(),
            retry: RetryPolicy::default(),
            requests: 0,
            rounds: 0,
            transcript: Transcript::default(),
            deadline: std::time::Instant::now(),
        }
    }

    /// A client that answers every request with the next of `answers`, for feeding the
    /// forge readers arbitrary answers (fuzzing); no network, no waits.
    pub fn scripted(answers: Vec<Answer>) -> Self {
        ApiClient {
            transport: Transport::Scripted(Script::new(answers)),
            in_flight: 1,
            gate: Gate::new(1),
            api_base: String::new(),
            graphql_url: "https://forge.invalid/graphql".into(),
            retry: RetryPolicy::default(),
            requests: 0,
            rounds: 0,
            transcript: Transcript::default(),
            deadline: std::time::Instant::now(),
        }
    }

    /// The time, as collection should record it: the clock in a live run (and the
    /// reading is kept), the recorded reading in a replay.
    pub fn now(&mut self) -> time::OffsetDateTime {
        match &mut self.transport {
            Transport::Live { .. } => {
                let now = time::OffsetDateTime::now_utc();
                self.transcript.clock.push(Timestamp(now));
                now
            }
            Transport::Replay(playback) => playback.now(),
            Transport::Scripted(_) => time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    /// What a live client heard so far (empty for a replay).
    pub fn take_transcript(&mut self) -> Transcript {
        std::mem::take(&mut self.transcript)
    }

    /// Whether a wait of `wait` ends before the forge deadline (always in a replay).
    fn fits(&self, wait: Duration) -> bool {
        match self.transport {
            Transport::Live { .. } => std::time::Instant::now() + wait < self.deadline,
            Transport::Replay(_) | Transport::Scripted(_) => true,
        }
    }

    /// In a replay, whether the original run sent this GraphQL request once more (so
    /// that the replay retries when, and only when, the live run did); always true live.
    fn replayed_again(&self, body: &serde_json::Value) -> bool {
        match &self.transport {
            Transport::Replay(playback) => playback.has("POST", &self.graphql_url, Some(body)),
            _ => true,
        }
    }

    /// Waits between attempts; a replay never waits (its answers are recorded).
    fn pause(&self, wait: Duration) {
        if matches!(self.transport, Transport::Live { .. }) {
            std::thread::sleep(wait);
        }
    }

    /// Requests sent so far, retries included.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The sequential rounds so far: the longest chain of attempts (retries included)
    /// each sent after the one before it was answered. Parallel reads add the longest
    /// of their chains, not their sum. Counted live; a replay answers one request after
    /// another and counts every one.
    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    /// Runs independent reads at once, each on its own fork of this client, and returns
    /// their results in the order of `jobs`. A live client sends them concurrently (at
    /// most [`MAX_IN_FLIGHT`] at a time), so a run's sequential round trips stay few
    /// whatever its size; the forks share the connection pool and the forge deadline,
    /// and what they heard joins this client's transcript in job order, so the
    /// transcript does not depend on which answer came first. A replay or a script
    /// answers one job after another: it has no network to wait for, and a script's
    /// answers are consumed in order.
    pub fn in_parallel<'a, R: Send>(&mut self, jobs: Vec<Job<'a, R>>) -> Vec<R> {
        if !matches!(self.transport, Transport::Live { .. }) || jobs.len() < 2 {
            return jobs.into_iter().map(|job| job(self)).collect();
        }
        // Workers pull the next job as soon as they are free, so a slow job does not
        // hold back the ones after it (no batch waits for its slowest member). Each job
        // runs on a fork of its own, whose transcript joins this one in job order.
        let count = jobs.len();
        let queue = std::sync::Mutex::new(jobs.into_iter().enumerate());
        let done = std::sync::Mutex::new(Vec::with_capacity(count));
        let workers = self.in_flight.min(count);
        let this = &*self;
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        loop {
                            let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                            let Some((index, job)) = next else { break };
                            let mut fork = this.fork();
                            let result = job(&mut fork);
                            done.lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push((index, result, fork));
                        }
                    })
                })
                .collect();
            for h in handles {
                if let Err(panic) = h.join() {
                    std::panic::resume_unwind(panic);
                }
            }
        });
        let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
        done.sort_by_key(|(index, _, _)| *index);
        let mut results = Vec::with_capacity(count);
        for (_, result, mut fork) in done {
            self.requests = self.requests.saturating_add(fork.requests);
            self.rounds = self.rounds.max(fork.rounds);
            let heard = fork.take_transcript();
            self.transcript.exchanges.extend(heard.exchanges);
            self.transcript.clock.extend(heard.clock);
            results.push(result);
        }
        results
    }

    /// A live client on the same connections, policy and deadline, with its own count
    /// and transcript (merged back by [`ApiClient::in_parallel`]).
    fn fork(&self) -> ApiClient {
        let Transport::Live { sender, runtime } = &self.transport else {
            unreachable!("only live clients are forked")
        };
        ApiClient {
            transport: Transport::Live {
                sender: sender.clone(),
                runtime: runtime.clone(),
            },
            in_flight: self.in_flight,
            gate: self.gate.clone(),
            api_base: self.api_base.clone(),
            graphql_url: self.graphql_url.clone(),
            retry: self.retry,
            requests: 0,
            // A fork's reads come after what this client read before forking.
            rounds: self.rounds,
            transcript: Transcript::default(),
            deadline: self.deadline,
        }
    }

    /// `GET` a path (relative to the API base) or a full URL (pagination links).
    pub fn get(&mut self, path: &str, what: &str) -> Result<ApiResponse, Gap> {
        self.send(what, &Request::Get(path.to_string()))
    }

    /// `GET` every page of a list endpoint (`per_page=100`, following `Link: rel="next"`).
    pub fn get_all<T: DeserializeOwned + Send>(
        &mut self,
        path: &str,
        what: &str,
    ) -> Result<Vec<T>, Gap> {
        let pages: Vec<Vec<T>> = self.get_pages(path, what, MAX_PAGES)?;
        Ok(pages.into_iter().flatten().collect())
    }

    /// `GET` every page of a paginated endpoint, each page parsed as `P` (for endpoints
    /// that wrap their lists, like `{total_count, check_runs}`). At most `max_pages`; a
    /// `Link` back to a page already read would loop forever, so it is a gap.
    pub fn get_pages<P: DeserializeOwned + Send>(
        &mut self,
        path: &str,
        what: &str,
        max_pages: usize,
    ) -> Result<Vec<P>, Gap> {
        self.get_pages_checked(path, what, max_pages, &|_| Ok(()))
    }

    /// [`ApiClient::get_pages`], with `check` judging each answer before it is parsed
    /// (a forge's own reading of a refusal).
    pub fn get_pages_checked<P: DeserializeOwned + Send>(
        &mut self,
        path: &str,
        what: &str,
        max_pages: usize,
        check: &(dyn Fn(&ApiResponse) -> Result<(), Gap> + Sync),
    ) -> Result<Vec<P>, Gap> {
        let too_many = || {
            Gap::new(
                GapKind::Malformed,
                what,
                "pagination does not end (a page links back or there are too many pages)",
            )
        };
        let sep = if path.contains('?') { '&' } else { '?' };
        let first = format!("{path}{sep}per_page=100");
        let response = self.get(&first, what)?;
        check(&response)?;
        let mut pages = vec![response.json(what)?];
        let mut seen: Vec<String> = vec![first.clone()];
        let mut next = response.next_page();
        // A list that says how many pages it has (GitLab's `x-total-pages`) is read
        // at once after its first page: one round trip, not one per page. Where the
        // count and the links disagree, what either says exists is read: the pages
        // the count gives, and then any page a link still names.
        if let Some(total @ 2..) = response.total_pages() {
            let total = total as usize;
            if total > max_pages {
                return Err(too_many());
            }
            let jobs: Vec<Job<'_, PageRead<P>>> = (2..=total)
                .map(|page| -> Job<'_, PageRead<P>> {
                    let url = format!("{first}&page={page}");
                    Box::new(move |api| {
                        let response = api.get(&url, what)?;
                        check(&response)?;
                        Ok((response.json(what)?, response.next_page()))
                    })
                })
                .collect();
            next = None;
            for page in self.in_parallel(jobs) {
                let (page, link) = page?;
                pages.push(page);
                next = link;
            }
            seen.extend((2..=total).map(|page| format!("{first}&page={page}")));
        }
        // Otherwise (and for what a list grew by while it was read) link by link.
        while let Some(url) = next.take() {
            if seen.contains(&url) || seen.len() >= max_pages {
                return Err(too_many());
            }
            seen.push(url.clone());
            let response = self.get(&url, what)?;
            check(&response)?;
            pages.push(response.json(what)?);
            next = response.next_page();
        }
        Ok(pages)
    }

    /// A GraphQL query; `errors` in the response are a gap (never partial data).
    pub fn graphql<T: DeserializeOwned>(
        &mut self,
        query: &str,
        variables: serde_json::Value,
        what: &str,
    ) -> Result<T, Gap> {
        let body = serde_json::json!({ "query": query, "variables": variables });
        #[derive(serde::Deserialize)]
        struct Envelope<T> {
            data: Option<T>,
            #[serde(default)]
            errors: Vec<GraphqlError>,
        }
        #[derive(serde::Deserialize)]
        struct GraphqlError {
            message: String,
            #[serde(rename = "type")]
            kind: Option<String>,
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let response =
                self.send(what, &Request::Post(self.graphql_url.clone(), body.clone()))?;
            if !response.status.is_success() {
                return Err(status_gap(what, response.status, &response.body));
            }
            crate::collect::files::json::reject_duplicate_keys(what, &response.body)?;
            let envelope: Envelope<T> = serde_json::from_slice(&response.body).map_err(|e| {
                Gap::new(
                    GapKind::Malformed,
                    what,
                    format!("unexpected GraphQL response: {e}"),
                )
            })?;
            let Some(first) = envelope.errors.first() else {
                return envelope.data.ok_or_else(|| {
                    Gap::new(GapKind::Malformed, what, "GraphQL response without data")
                });
            };
            // GraphQL reports its rate limit inside a 200: wait it out like REST's.
            if first.kind.as_deref() == Some("RATE_LIMITED") && attempt <= self.retry.max_retries {
                let wait = rate_limit_reset_wait(&response).unwrap_or(Duration::from_secs(60));
                if wait <= self.retry.max_rate_limit_wait
                    && self.fits(wait)
                    && self.replayed_again(&body)
                {
                    tracing::debug!(
                        what,
                        attempt,
                        wait_secs = wait.as_secs(),
                        "GraphQL rate limited"
                    );
                    self.pause(wait);
                    continue;
                }
            }
            // GitHub reports a query that ran out of time as an untyped error inside a
            // 200 ("Something went wrong while executing your query. This may be the
            // result of a timeout…"): transient, so retried like a 5xx.
            if first.kind.is_none()
                && is_transient_graphql_error(&first.message)
                && attempt <= self.retry.max_retries
                && self.fits(self.backoff(attempt))
                && self.replayed_again(&body)
            {
                tracing::debug!(what, attempt, "GraphQL query timed out on the server");
                self.pause(self.backoff(attempt));
                continue;
            }
            let kind = match first.kind.as_deref() {
                None if is_transient_graphql_error(&first.message) => GapKind::Unavailable,
                Some("RATE_LIMITED") => GapKind::RateLimited,
                Some("NOT_FOUND") => GapKind::NotFound,
                Some("FORBIDDEN") => GapKind::Forbidden,
                _ => GapKind::Malformed,
            };
            return Err(Gap::new(
                kind,
                what,
                format!("GraphQL error: {}", first.message),
            ));
        }
    }

    /// Sends (or, in a replay, looks up) one request, and records what came of it.
    fn send(&mut self, what: &str, request: &Request) -> Result<ApiResponse, Gap> {
        let (method, url, body) = match request {
            Request::Get(url) => ("GET", url.as_str(), None),
            Request::Post(url, body) => ("POST", url.as_str(), Some(body)),
        };
        if let Transport::Scripted(script) = &mut self.transport {
            self.requests += 1;
            self.rounds += 1;
            let answer = script.next_answer();
            return response_of(answer);
        }
        if let Transport::Replay(playback) = &mut self.transport {
            let Some(exchange) = playback.answer(method, url, body) else {
                return Err(Gap::new(
                    GapKind::Unavailable,
                    what,
                    format!(
                        "{method} {url} is not in the saved forge transcript: the original run made no such request"
                    ),
                ));
            };
            self.requests = self.requests.saturating_add(exchange.attempts);
            self.rounds = self.rounds.saturating_add(exchange.attempts);
            return response_of(exchange.answer);
        }
        let before = self.requests;
        let outside = (url.starts_with("http://") || url.starts_with("https://"))
            && !url.starts_with(&format!("{}/", self.api_base))
            && url != self.graphql_url;
        let outcome = if outside {
            Err(Gap::new(
                GapKind::Malformed,
                what,
                format!(
                    "the forge linked to {url}, outside its API at {}: not followed (the token is sent only there)",
                    self.api_base
                ),
            ))
        } else {
            self.send_live(what, request)
        };
        let answer = match &outcome {
            Ok(response) => Answer::response(
                response.status.as_u16(),
                response
                    .headers
                    .get(http::header::LINK)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
                &response.body,
            )
            .with_total_pages(response.total_pages()),
            Err(gap) => Answer::Failed { gap: gap.clone() },
        };
        self.transcript.exchanges.push(Exchange {
            method: method.to_string(),
            url: url.to_string(),
            request: body.cloned(),
            attempts: self.requests - before,
            answer,
        });
        outcome
    }

    /// Sends with the retry policy. Returns the first response that is neither a rate
    /// limit nor a server error; those, and transport failures, are retried a bounded
    /// number of times and then become a gap.
    fn send_live(&mut self, what: &str, request: &Request) -> Result<ApiResponse, Gap> {
        let Transport::Live { sender, runtime } = &self.transport else {
            return Err(Gap::new(
                GapKind::Unavailable,
                what,
                "no live forge in a replay",
            ));
        };
        let (sender, runtime) = (sender.clone(), runtime);
        let deadline = self.deadline;
        let past_deadline = |attempt: u32| {
            Gap::new(
                GapKind::Unavailable,
                what,
                format!(
                    "not gathered: the forge deadline of {} s passed (after {attempt} attempt(s)); raise it with --forge-deadline or forge_deadline_seconds",
                    self.retry.deadline.as_secs()
                ),
            )
        };
        let mut attempt = 0u32;
        loop {
            let Some(remaining) = deadline.checked_duration_since(std::time::Instant::now()) else {
                return Err(past_deadline(attempt));
            };
            self.requests += 1;
            self.rounds += 1;
            let pass = self.gate.enter();
            let outcome = runtime.block_on(async {
                // The whole attempt (connect, headers, body) within what is left.
                tokio::time::timeout(remaining, sender.send(request)).await
            });
            drop(pass);
            let retries_left = attempt < self.retry.max_retries;
            attempt += 1;
            // Waits only when the retry would still start before the deadline.
            let wait_then_retry = |wait: Duration| -> bool {
                retries_left && std::time::Instant::now() + wait < deadline && {
                    std::thread::sleep(wait);
                    true
                }
            };
            let (status, headers, body) = match outcome {
                Err(_elapsed) => return Err(past_deadline(attempt)),
                Ok(Ok((status, headers, Ok(body)))) => (status, headers, body),
                Ok(Ok((_, _, Err(true)))) => {
                    return Err(Gap::new(
                        GapKind::Malformed,
                        what,
                        format!("response body over {} MiB", MAX_BODY >> 20),
                    ));
                }
                Ok(Ok((_, _, Err(false)))) => {
                    // The connection was cut mid-body: transient, like a 5xx.
                    tracing::debug!(what, attempt, "response body cut off");
                    if wait_then_retry(self.backoff(attempt)) {
                        continue;
                    }
                    return Err(Gap::new(
                        GapKind::Unavailable,
                        what,
                        format!("the response body was cut off, {attempt} time(s)"),
                    ));
                }
                Ok(Err(e)) => {
                    // Transport failures (timeouts, resets) are transient until proven otherwise.
                    tracing::debug!(what, attempt, error = %e, "request failed");
                    if wait_then_retry(self.backoff(attempt)) {
                        continue;
                    }
                    return Err(Gap::new(
                        GapKind::Unavailable,
                        what,
                        format!("no response after {attempt} attempts: {e}"),
                    ));
                }
            };
            let response = ApiResponse {
                status,
                headers,
                body,
            };
            if let Some(wait) = rate_limit_wait(&response) {
                tracing::debug!(what, attempt, wait_secs = wait.as_secs(), "rate limited");
                if wait <= self.retry.max_rate_limit_wait && wait_then_retry(wait) {
                    continue;
                }
                return Err(Gap::new(
                    GapKind::RateLimited,
                    what,
                    format!(
                        "rate limit exhausted (HTTP {}; next reset in {} s, past the retries or the forge deadline) after {attempt} attempt(s)",
                        response.status.as_u16(),
                        wait.as_secs()
                    ),
                ));
            }
            if response.status.is_server_error() {
                tracing::debug!(
                    what,
                    attempt,
                    status = response.status.as_u16(),
                    "server error"
                );
                if wait_then_retry(self.backoff(attempt)) {
                    continue;
                }
                return Err(status_gap(what, response.status, &response.body));
            }
            // A success whose JSON ends early was cut short on the way (a proxy, a
            // reset after the headers): transient too.
            if response.status.is_success()
                && serde_json::from_slice::<serde::de::IgnoredAny>(&response.body)
                    .is_err_and(|e| e.classify() == serde_json::error::Category::Eof)
            {
                tracing::debug!(what, attempt, "truncated JSON body");
                if wait_then_retry(self.backoff(attempt)) {
                    continue;
                }
                return Err(Gap::new(
                    GapKind::Unavailable,
                    what,
                    format!("the response body was truncated JSON, {attempt} time(s)"),
                ));
            }
            return Ok(response);
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.retry
            .backoff
            .saturating_mul(1 << attempt.min(6).saturating_sub(1))
    }
}

/// A recorded or scripted answer as the response (or gap) the readers get.
fn response_of(answer: Answer) -> Result<ApiResponse, Gap> {
    match answer {
        Answer::Failed { gap } => Err(gap),
        answer @ Answer::Response { .. } => {
            let body = answer.body_bytes();
            let Answer::Response {
                status,
                link,
                total_pages,
                ..
            } = answer
            else {
                unreachable!("matched a response above")
            };
            let mut headers = http::HeaderMap::new();
            if let Some(value) = link.and_then(|l| http::HeaderValue::from_str(&l).ok()) {
                headers.insert(http::header::LINK, value);
            }
            if let Some(pages) = total_pages {
                headers.insert(TOTAL_PAGES, http::HeaderValue::from(pages));
            }
            Ok(ApiResponse {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                headers,
                body,
            })
        }
    }
}

/// An octocrab client based at `base` (REST API root, or the GraphQL endpoint).
fn build_octocrab(base: &str, token: Option<String>) -> Result<Octocrab, String> {
    let mut builder = Octocrab::builder()
        .base_uri(base)
        .map_err(|e| format!("{base}: {e}"))?
        .add_header(
            http::header::ACCEPT,
            "application/vnd.github+json".to_string(),
        )
        .add_header(
            http::HeaderName::from_static("x-github-api-version"),
            "2022-11-28".to_string(),
        )
        .set_connect_timeout(Some(Duration::from_secs(10)))
        .set_read_timeout(Some(Duration::from_secs(30)));
    if let Some(token) = token {
        builder = builder.personal_token(token);
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the GitHub client: {e}"))
}

/// A page of a list and the link to the one after it.
type PageRead<P> = Result<(P, Option<String>), Gap>;

/// A counting gate: at most `max` holders at once.
pub struct Gate {
    held: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
    max: usize,
}

impl Gate {
    fn new(max: usize) -> std::sync::Arc<Gate> {
        std::sync::Arc::new(Gate {
            held: std::sync::Mutex::new(0),
            freed: std::sync::Condvar::new(),
            max,
        })
    }

    /// Waits for a place; the place is given back when the pass is dropped.
    fn enter(&self) -> Pass<'_> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        while *held >= self.max {
            held = self.freed.wait(held).unwrap_or_else(|p| p.into_inner());
        }
        *held += 1;
        Pass(self)
    }
}

/// A place in a [`Gate`].
struct Pass<'a>(&'a Gate);

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        let mut held = self.0.held.lock().unwrap_or_else(|p| p.into_inner());
        *held -= 1;
        self.0.freed.notify_one();
    }
}

/// The runtime a live client's requests run on (two workers: the gate, not threads,
/// bounds what is in flight).
fn http_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the HTTP runtime: {e}"))
}

/// How a live client reaches its forge.
#[derive(Clone)]
enum Sender {
    /// GitHub, through octocrab (REST at its base, GraphQL at its own).
    Octocrab { rest: Octocrab, graphql: Octocrab },
    /// A forge spoken to with reqwest (GitLab): the auth header is a default header.
    Plain {
        client: reqwest::Client,
        base: String,
    },
}

/// Status, headers, and the body (or whether reading it stopped at the size limit:
/// `Err(true)`; `Err(false)` is a body cut off on the way).
type Received = (StatusCode, http::HeaderMap, Result<Vec<u8>, bool>);

impl Sender {
    /// One attempt. A transport failure comes back as one line, without the request.
    async fn send(&self, request: &Request) -> Result<Received, String> {
        match self {
            Sender::Octocrab { rest, graphql } => {
                let response = match request {
                    Request::Get(url) => rest._get(url.as_str()).await,
                    Request::Post(url, body) => graphql._post(url.as_str(), Some(body)).await,
                }
                .map_err(|e| short_error(&e))?;
                let (parts, body) = response.into_parts();
                let limited = http_body_util::Limited::new(body, MAX_BODY);
                let bytes = match limited.collect().await {
                    Ok(collected) => Ok(collected.to_bytes().to_vec()),
                    Err(e) => Err(e.is::<http_body_util::LengthLimitError>()),
                };
                Ok((parts.status, parts.headers, bytes))
            }
            Sender::Plain { client, base } => {
                let absolute = |url: &str| {
                    if url.starts_with("http://") || url.starts_with("https://") {
                        url.to_string()
                    } else {
                        format!("{base}{url}")
                    }
                };
                let builder = match request {
                    Request::Get(url) => client.get(absolute(url)),
                    Request::Post(url, body) => client.post(absolute(url)).json(body),
                };
                let mut response = builder.send().await.map_err(|e| one_line(&e))?;
                let (status, headers) = (response.status(), response.headers().clone());
                let mut body = Vec::new();
                let bytes = loop {
                    match response.chunk().await {
                        Ok(Some(chunk)) if body.len() + chunk.len() > MAX_BODY => break Err(true),
                        Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                        Ok(None) => break Ok(std::mem::take(&mut body)),
                        Err(_) => break Err(false),
                    }
                };
                Ok((status, headers, bytes))
            }
        }
    }
}

/// An error on one line, at most 200 characters, without its source chain's URLs.
fn one_line(e: &dyn std::fmt::Display) -> String {
    e.to_string()
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

/// One read for [`ApiClient::in_parallel`].
pub type Job<'a, R> = Box<dyn FnOnce(&mut ApiClient) -> R + Send + 'a>;

/// Requests in flight at once from one run. GitHub allows 100 concurrent requests per
/// token (REST and GraphQL together); a fifth of that leaves room for other jobs on the
/// same token, and covers the history of a 1,000-change release in one round trip.
pub const MAX_IN_FLIGHT: usize = 20;

/// Largest response body read (a forge page is kilobytes; more is a broken server).
const MAX_BODY: usize = 64 << 20;

/// Most pages followed for one list (100 items each).
const MAX_PAGES: usize = 2_000;

/// What to send.
enum Request {
    Get(String),
    Post(String, serde_json::Value),
}

/// How long to wait when the response is a primary or secondary rate limit: 429 (GitHub
/// and GitLab), or 403 with `x-ratelimit-remaining: 0`, or a 403 naming GitHub's
/// secondary limit. Uses `retry-after` first, then the reset time, then a minute
/// (GitHub's advice for secondary limits without headers).
fn rate_limit_wait(response: &ApiResponse) -> Option<Duration> {
    let header = |name: &str| {
        response
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let exhausted = header("x-ratelimit-remaining") == Some("0");
    let secondary = response.status == StatusCode::FORBIDDEN
        && String::from_utf8_lossy(&response.body)
            .to_ascii_lowercase()
            .contains("secondary rate limit");
    let limited = response.status == StatusCode::TOO_MANY_REQUESTS
        || (response.status == StatusCode::FORBIDDEN && (exhausted || secondary));
    if !limited {
        return None;
    }
    if let Some(secs) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs));
    }
    // GitHub says `x-ratelimit-reset`, GitLab `ratelimit-reset` (both Unix seconds).
    if let Some(reset) = header("x-ratelimit-reset")
        .or_else(|| header("ratelimit-reset"))
        .and_then(|v| v.parse::<i64>().ok())
    {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        return Some(Duration::from_secs(
            u64::try_from(reset.saturating_sub(now)).unwrap_or(0).max(1),
        ));
    }
    Some(Duration::from_secs(60))
}

/// Time until `x-ratelimit-reset`, when the header is there.
fn rate_limit_reset_wait(response: &ApiResponse) -> Option<Duration> {
    let reset = response
        .headers
        .get("x-ratelimit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse::<i64>()
        .ok()?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Some(Duration::from_secs(
        u64::try_from(reset.saturating_sub(now)).unwrap_or(0).max(1),
    ))
}

/// An octocrab error on one line, without the request it came from.
fn short_error(e: &octocrab::Error) -> String {
    one_line(e)
}

/// Whether an untyped GraphQL error is GitHub's "the query timed out or failed on our
/// side" (retryable), as opposed to a fault in the query.
fn is_transient_graphql_error(message: &str) -> bool {
    // GitHub's wording: "Something went wrong while executing your query. This may be
    // the result of a timeout, or it could be a GitHub bug."
    message
        .to_ascii_lowercase()
        .starts_with("something went wrong while executing your query")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(items: &[u32], link: Option<&str>, total: Option<u32>) -> Answer {
        Answer::response(
            200,
            link.map(|l| format!("<{l}>; rel=\"next\"")),
            serde_json::to_string(items).unwrap().as_bytes(),
        )
        .with_total_pages(total)
    }

    fn read(answers: Vec<Answer>) -> Result<Vec<u32>, Gap> {
        ApiClient::scripted(answers).get_all("/list", "a list")
    }

    #[test]
    fn a_page_count_reads_the_other_pages_and_what_the_list_grew_by() {
        let got = read(vec![
            page(&[1], Some("/list?page=2"), Some(2)),
            page(&[2], Some("/list?page=3"), Some(2)),
            page(&[3], None, None),
        ]);
        assert_eq!(got.unwrap(), [1, 2, 3]);
    }

    #[test]
    fn a_page_count_of_one_with_a_next_link_does_not_cut_the_list_short() {
        let got = read(vec![
            page(&[1], Some("/list?page=2"), Some(1)),
            page(&[2], None, Some(1)),
        ]);
        assert_eq!(got.unwrap(), [1, 2]);
    }

    #[test]
    fn a_page_count_beyond_the_links_is_read_too() {
        let got = read(vec![page(&[1], None, Some(2)), page(&[2], None, Some(2))]);
        assert_eq!(got.unwrap(), [1, 2]);
    }

    #[test]
    fn a_page_count_over_the_limit_is_a_gap() {
        let got = read(vec![page(&[1], Some("/list?page=2"), Some(u32::MAX))]);
        assert!(got.unwrap_err().detail.contains("pagination does not end"));
    }
}
