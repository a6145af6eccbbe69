//! A GitHub release through the REST API: its assets, and the attestations GitHub
//! holds for each artifact's digest.
//!
//! `GET /repos/{owner}/{repo}/releases/tags/{tag}`, then its assets page by page;
//! `GET /repos/{owner}/{repo}/attestations/sha256:{hex}` for each artifact. An
//! attestation whose bundle is not inline is fetched from its `bundle_url`
//! (snappy-compressed, on a storage host: never sent the token).

use serde::Deserialize;

use crate::collect::forge::http::ApiClient;
use crate::evidence::{Gap, GapKind};

/// Most pages of attestations read for one digest (100 each; a release asset has a
/// handful).
const MAX_ATTESTATION_PAGES: usize = 10;

/// Most bytes of bundles held for one digest before they are written out.
const MAX_BUNDLES_HELD: usize = 64 << 20;

/// Largest bundle read from a `bundle_url`, compressed or not.
const MAX_BUNDLE: usize = 16 << 20;

/// What a tag must have escaped to stay one path segment (`/`, `?`, `#`, `%` and
/// anything not printable ASCII); `v1.2.3` and `release-2026_11` go as they are.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\');

/// A release as the API lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct ReleaseJson {
    /// Release id.
    pub id: u64,
    /// Its tag.
    pub tag_name: String,
}

/// An asset as the API lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct AssetJson {
    /// Asset id.
    pub id: u64,
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// `uploaded` once complete.
    #[serde(default)]
    pub state: Option<String>,
    /// `sha256:<hex>`, computed by GitHub at upload (newer releases).
    #[serde(default)]
    pub digest: Option<String>,
    /// The API URL of the asset (download with `Accept: application/octet-stream`).
    pub url: String,
}

/// The release for `tag` and its assets.
pub fn list(
    api: &mut ApiClient,
    repository: &str,
    tag: &str,
) -> Result<(ReleaseJson, Vec<AssetJson>), Gap> {
    let what = format!("release {tag} of {repository}");
    let tag_path: String = percent_encoding::utf8_percent_encode(tag, PATH_SEGMENT).collect();
    let release: ReleaseJson = api
        .get(
            &format!("/repos/{repository}/releases/tags/{tag_path}"),
            &what,
        )?
        .json(&what)?;
    if release.tag_name != tag {
        return Err(Gap::new(
            GapKind::Malformed,
            &what,
            format!(
                "expected the release of tag {tag}, got {}",
                release.tag_name
            ),
        ));
    }
    let assets: Vec<AssetJson> = api.get_all(
        &format!("/repos/{repository}/releases/{}/assets", release.id),
        &format!("assets of {what}"),
    )?;
    Ok((release, assets))
}

#[derive(Deserialize)]
struct AttestationsJson {
    attestations: Vec<AttestationJson>,
}

#[derive(Deserialize)]
struct AttestationJson {
    #[serde(default)]
    bundle: Option<serde_json::Value>,
    #[serde(default)]
    bundle_url: Option<String>,
}

/// The bundles GitHub holds for `sha256`, each as JSON text; none for a 404.
pub fn attestations(
    api: &mut ApiClient,
    plain: &reqwest::blocking::Client,
    repository: &str,
    sha256: &str,
    allow_http: bool,
) -> Result<Vec<Vec<u8>>, Gap> {
    let what = format!("attestations of sha256:{sha256}");
    let first = format!("/repos/{repository}/attestations/sha256:{sha256}?per_page=100");
    let response = api.get(&first, &what)?;
    // 404: none (on the first page only; a later page missing is a gap).
    if response.status == http::StatusCode::NOT_FOUND {
        return Ok(Vec::new());
    }
    let mut next = response.next_page();
    let mut listed: Vec<AttestationJson> = response.json::<AttestationsJson>(&what)?.attestations;
    let mut seen = vec![first];
    while let Some(url) = next.take() {
        if seen.contains(&url) || seen.len() >= MAX_ATTESTATION_PAGES {
            return Err(Gap::new(
                GapKind::Malformed,
                &what,
                "pagination does not end (a page links back or there are too many pages)",
            ));
        }
        seen.push(url.clone());
        let response = api.get(&url, &what)?;
        next = response.next_page();
        listed.extend(response.json::<AttestationsJson>(&what)?.attestations);
    }
    let mut bundles: Vec<Vec<u8>> = Vec::with_capacity(listed.len());
    let mut held = 0usize;
    for (i, attestation) in listed.into_iter().enumerate() {
        let bundle = match (attestation.bundle, attestation.bundle_url) {
            (Some(bundle), _) if !bundle.is_null() => serde_json::to_vec(&bundle)
                .map_err(|e| Gap::new(GapKind::Malformed, &what, e.to_string()))?,
            (_, Some(url)) => fetch_bundle(plain, &url, allow_http).map_err(|e| {
                Gap::new(
                    GapKind::Unavailable,
                    &what,
                    format!("attestations[{i}].bundle_url: {e}"),
                )
            })?,
            _ => {
                return Err(Gap::new(
                    GapKind::Malformed,
                    &what,
                    format!("attestations[{i}] has neither a bundle nor a bundle_url"),
                ));
            }
        };
        held = held.saturating_add(bundle.len());
        if held > MAX_BUNDLES_HELD {
            return Err(Gap::new(
                GapKind::Malformed,
                &what,
                format!(
                    "over {} MiB of attestations for one digest",
                    MAX_BUNDLES_HELD >> 20
                ),
            ));
        }
        bundles.push(bundle);
    }
    Ok(bundles)
}

/// A bundle behind a `bundle_url`: snappy-compressed JSON (GitHub stores them so), or
/// plain JSON. The URL is signed storage; the token is not sent there.
/// `allow_http`: the API itself is plain HTTP (a test server, a GHES on a private
/// network); otherwise only HTTPS is fetched.
fn fetch_bundle(
    plain: &reqwest::blocking::Client,
    url: &str,
    allow_http: bool,
) -> Result<Vec<u8>, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if !(parsed.scheme() == "https" || (allow_http && parsed.scheme() == "http")) {
        return Err(format!("scheme {} is not fetched", parsed.scheme()));
    }
    let mut response = plain
        .get(parsed)
        .send()
        .map_err(|e| format!("cannot fetch: {}", e.without_url()))?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status().as_u16()));
    }
    let mut body = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&mut response, MAX_BUNDLE as u64 + 1),
        &mut body,
    )
    .map_err(|e| format!("cannot read: {e}"))?;
    if body.len() > MAX_BUNDLE {
        return Err(format!("over {} MiB", MAX_BUNDLE >> 20));
    }
    // Snappy first: a compressed stream can begin with `{` (a length of 123).
    let decoded = snap::raw::decompress_len(&body)
        .ok()
        .filter(|length| *length <= MAX_BUNDLE)
        .and_then(|_| snap::raw::Decoder::new().decompress_vec(&body).ok())
        .filter(|text| text.first() == Some(&b'{'));
    match decoded {
        Some(text) => Ok(text),
        None if body.first() == Some(&b'{') => Ok(body),
        None => Err("neither snappy-compressed nor plain JSON".into()),
    }
}
