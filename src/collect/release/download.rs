//! Downloading a release's assets: a few at a time, each retried and resumed where it
//! was cut, never past the size the forge states.
//!
//! The first request goes to the forge's API with the token (a private repository's
//! assets need it); the storage host it redirects to is asked without it. A partial
//! file lives in `.vouch/partial/` until it is whole, so an attempt cut short is
//! resumed by the next with `Range` instead of starting again, and a file in the
//! folder is always complete.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Most redirects followed from the API to the bytes.
const MAX_REDIRECTS: usize = 5;

/// How long one request may take for `bytes`: two minutes, plus a second for every
/// 256 KiB (a stalled server is cut off, a slow link is not; the next attempt resumes).
fn time_limit(bytes: u64) -> Duration {
    Duration::from_secs(120 + bytes / (256 << 10))
}

/// One asset to fetch.
#[derive(Debug, Clone)]
pub struct DownloadJob {
    /// File name (already checked to be a plain name).
    pub name: String,
    /// Where to ask for it.
    pub url: String,
    /// The size the forge states: the download must be exactly this long.
    pub size: u64,
}

/// How to fetch.
pub struct Downloader {
    client: reqwest::blocking::Client,
    /// Sent only to the API's own origin.
    token: Option<String>,
    api_origin: reqwest::Url,
    /// Retries after the first attempt.
    pub retries: u32,
    /// First wait between attempts; doubles each time.
    pub backoff: Duration,
}

/// Why an attempt failed, and whether another may succeed.
enum Failure {
    Retry(String),
    Fatal(String),
}

impl Downloader {
    /// A downloader for assets of the API at `api_url`.
    pub fn new(api_url: &str, token: Option<String>) -> Result<Self, String> {
        let api_origin =
            reqwest::Url::parse(api_url).map_err(|e| format!("--api-url {api_url}: {e}"))?;
        let client = reqwest::blocking::Client::builder()
            .user_agent(concat!("vouch/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            // Each request gets its own time limit, from the asset's size.
            .timeout(None)
            // Redirects are followed by hand: the token must not follow them.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Downloader {
            client,
            token,
            api_origin,
            retries: 3,
            backoff: Duration::from_millis(250),
        })
    }

    /// Fetches every job into `dir`, `concurrency` at a time; one result per job, in
    /// order. `progress` is told of every byte received.
    pub fn download_all(
        &self,
        jobs: &[DownloadJob],
        dir: &Path,
        concurrency: usize,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Vec<Result<(), String>> {
        let next = AtomicUsize::new(0);
        let results: Vec<std::sync::Mutex<Option<Result<(), String>>>> =
            jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..concurrency.clamp(1, jobs.len().max(1)) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else { break };
                        let result = self.download(job, dir, progress);
                        *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|r| {
                r.into_inner()
                    .unwrap_or_else(|e| e.into_inner())
                    .unwrap_or_else(|| Err("not downloaded".into()))
            })
            .collect()
    }

    /// Fetches one asset to `dir/NAME`, resuming a partial copy.
    pub fn download(
        &self,
        job: &DownloadJob,
        dir: &Path,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), String> {
        let partial_dir = dir.join(crate::release::META_DIR).join("partial");
        std::fs::create_dir_all(&partial_dir)
            .map_err(|e| format!("{}: {e}", partial_dir.display()))?;
        let part = partial_dir.join(format!("{}.part", job.name));
        let done = dir.join(&job.name);
        let mut attempt = 0;
        loop {
            match self.attempt(job, &part, progress) {
                Ok(()) => break,
                Err(Failure::Retry(why)) if attempt < self.retries => {
                    tracing::debug!(asset = %job.name, attempt, "retrying: {why}");
                    std::thread::sleep(self.backoff * 2u32.saturating_pow(attempt));
                    attempt += 1;
                }
                Err(Failure::Retry(why)) => {
                    return Err(format!("{why} (after {} attempts)", attempt + 1));
                }
                Err(Failure::Fatal(why)) => return Err(why),
            }
        }
        std::fs::rename(&part, &done).map_err(|e| format!("{}: {e}", done.display()))
    }

    /// One request (and its redirects), appending to `part`.
    fn attempt(
        &self,
        job: &DownloadJob,
        part: &PathBuf,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), Failure> {
        let io = |e: std::io::Error| Failure::Fatal(format!("{}: {e}", part.display()));
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(part)
            .map_err(io)?;
        let mut have = file.metadata().map_err(io)?.len();
        if have > job.size {
            file.set_len(0).map_err(io)?;
            have = 0;
        }
        if have == job.size && job.size > 0 {
            return Ok(());
        }
        let mut url =
            reqwest::Url::parse(&job.url).map_err(|e| Failure::Fatal(format!("asset URL: {e}")))?;
        let mut response = None;
        for _ in 0..=MAX_REDIRECTS {
            let mut request = self
                .client
                .get(url.clone())
                .timeout(time_limit(job.size - have))
                .header(http::header::ACCEPT, "application/octet-stream");
            if have > 0 {
                request = request.header(http::header::RANGE, format!("bytes={have}-"));
            }
            if let Some(token) = &self.token
                && url.origin() == self.api_origin.origin()
            {
                request = request.bearer_auth(token);
            }
            let answer = request
                .send()
                .map_err(|e| Failure::Retry(format!("cannot fetch: {}", e.without_url())))?;
            if answer.status().is_redirection() {
                let location = answer
                    .headers()
                    .get(http::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .ok_or_else(|| Failure::Fatal("a redirect without a Location".into()))?;
                url = url
                    .join(location)
                    .map_err(|e| Failure::Fatal(format!("redirect Location: {e}")))?;
                continue;
            }
            response = Some(answer);
            break;
        }
        let Some(mut response) = response else {
            return Err(Failure::Fatal(format!(
                "more than {MAX_REDIRECTS} redirects"
            )));
        };
        let status = response.status();
        match status.as_u16() {
            200 => {
                // The whole file: what was kept is dropped.
                file.set_len(0).map_err(io)?;
                file.seek(std::io::SeekFrom::Start(0)).map_err(io)?;
                have = 0;
            }
            206 => {
                let starts_at = response
                    .headers()
                    .get(http::header::CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("bytes "))
                    .and_then(|v| v.split('-').next())
                    .and_then(|v| v.parse::<u64>().ok());
                if starts_at != Some(have) {
                    file.set_len(0).map_err(io)?;
                    return Err(Failure::Retry(
                        "the server resumed at another offset".into(),
                    ));
                }
                file.seek(std::io::SeekFrom::End(0)).map_err(io)?;
            }
            416 => {
                file.set_len(0).map_err(io)?;
                return Err(Failure::Retry("the server refused the resume range".into()));
            }
            429 | 500..=599 => return Err(Failure::Retry(format!("HTTP {}", status.as_u16()))),
            code => return Err(Failure::Fatal(format!("HTTP {code}"))),
        }
        let mut buffer = vec![0u8; 64 << 10];
        loop {
            let n = match response.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    file.flush().map_err(io)?;
                    return Err(Failure::Retry(format!("cut at byte {have}: {e}")));
                }
            };
            if have + n as u64 > job.size {
                file.set_len(0).map_err(io)?;
                return Err(Failure::Fatal(format!(
                    "longer than the {} bytes the release states",
                    job.size
                )));
            }
            file.write_all(&buffer[..n]).map_err(io)?;
            have += n as u64;
            progress(n as u64);
        }
        file.flush().map_err(io)?;
        if have != job.size {
            return Err(Failure::Retry(format!(
                "cut at byte {have} of {}",
                job.size
            )));
        }
        Ok(())
    }
}
