//! Collecting a published release: fetching it into a folder (assets, and the
//! attestations the forge's API holds for them), and reading such a folder back.
//!
//! The folder is the hand-off between the two steps (`--download-only` on one machine,
//! `--dir` on another): the assets as files, and in `.vouch/` the forge's listing and
//! the attestations API's answers ([`ReleaseRecord`]) with the bundles it gave.

pub mod download;
pub mod github;

use std::collections::HashMap;
use std::path::Path;

use crate::collect::forge::http::ApiClient;
use crate::release::outcome::FoundFile;
use crate::release::{
    API_BUNDLES_DIR, ApiLookup, AssetKind, ListedAsset, LookupOutcome, META_DIR, RECORD_FILE,
    ReleaseRecord, classify, folded_name, safe_name,
};

/// `OWNER/REPO@TAG`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `OWNER/REPO`.
    pub repository: String,
    /// The tag.
    pub tag: String,
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (repository, tag) = s
            .rsplit_once('@')
            .ok_or_else(|| format!("`{s}`: expected OWNER/REPO@TAG"))?;
        let parts: Vec<&str> = repository.split('/').collect();
        let plain = |p: &str| {
            !p.is_empty()
                && p != "."
                && p != ".."
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        // GitHub repositories are OWNER/REPO (GitLab's subgroups would be longer).
        if parts.len() != 2 || !parts.iter().all(|p| plain(p)) {
            return Err(format!(
                "`{repository}`: expected OWNER/REPO (letters, digits, `-`, `_`, `.`)"
            ));
        }
        if tag.is_empty() || tag.chars().any(|c| c.is_control() || c == ' ') {
            return Err(format!("`{tag}`: not a tag name"));
        }
        Ok(Target {
            repository: repository.to_string(),
            tag: tag.to_string(),
        })
    }
}

/// Which release, from which API.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The release.
    pub target: Target,
    /// The REST API base.
    pub api_url: String,
    /// The repository's web host (`github.com`).
    pub host: String,
}

/// Fetches the release into `dir`: every asset, then, for each artifact, the
/// attestations API's bundles, and last the record of it all. A failed download is
/// recorded (the asset is then missing, and unverified); the listing itself failing is
/// the error.
pub fn fetch(
    api: &mut ApiClient,
    downloader: &download::Downloader,
    origin: &Origin,
    dir: &Path,
    concurrency: usize,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(ReleaseRecord, Vec<(String, String)>), String> {
    let Origin {
        target,
        api_url,
        host,
    } = origin;
    let (_, assets) =
        github::list(api, &target.repository, &target.tag).map_err(|g| g.to_string())?;
    let mut jobs = Vec::new();
    let mut listed: Vec<ListedAsset> = Vec::new();
    for asset in &assets {
        // Names equal but for case would be one file where case is ignored (macOS,
        // Windows): two downloads into it, and one file's hash for both.
        if let Some(other) = listed
            .iter()
            .find(|l| folded_name(&l.name) == folded_name(&asset.name))
        {
            return Err(format!(
                "the release lists asset `{}` twice (as `{}` and `{}`, which a file system that ignores case cannot hold apart)",
                asset.name, other.name, asset.name
            ));
        }
        let failed = if !safe_name(&asset.name) {
            Some("not a plain file name, so it is not written".to_string())
        } else if asset.state.as_deref().is_some_and(|s| s != "uploaded") {
            Some("its upload is not complete".to_string())
        } else {
            jobs.push(download::DownloadJob {
                name: asset.name.clone(),
                url: asset.url.clone(),
                size: asset.size,
            });
            None
        };
        listed.push(ListedAsset {
            name: asset.name.clone(),
            size: Some(asset.size),
            digest: asset.digest.clone(),
            failed,
        });
    }
    std::fs::create_dir_all(dir.join(META_DIR).join(API_BUNDLES_DIR))
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let total: u64 = jobs.iter().fold(0, |sum, j| sum.saturating_add(j.size));
    let received = std::sync::atomic::AtomicU64::new(0);
    let results = downloader.download_all(&jobs, dir, concurrency, &|n| {
        let now = received.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
        progress(now, total);
    });
    for (job, result) in jobs.iter().zip(results) {
        if let Err(why) = result
            && let Some(entry) = listed.iter_mut().find(|l| l.name == job.name)
        {
            entry.failed = Some(format!("download failed: {why}"));
        }
    }
    let failures: Vec<(String, String)> = listed
        .iter()
        .filter_map(|l| Some((l.name.clone(), l.failed.clone()?)))
        .collect();
    // The attestations API, by the digest of what was downloaded.
    let plain = reqwest::blocking::Client::builder()
        .user_agent(concat!("vouch/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let mut lookups = Vec::new();
    for asset in &listed {
        if classify(&asset.name) != AssetKind::Artifact || asset.failed.is_some() {
            continue;
        }
        let path = dir.join(&asset.name);
        let Ok(sha256) = sha256_file(&path) else {
            continue;
        };
        let outcome = match github::attestations(
            api,
            &plain,
            &target.repository,
            &sha256,
            api_url.starts_with("http://"),
        ) {
            Ok(bundles) if bundles.is_empty() => LookupOutcome::None,
            Ok(bundles) => {
                let mut files = Vec::new();
                for (i, bundle) in bundles.iter().enumerate() {
                    // Named by the digest asked for, not the asset: an asset name can
                    // be as long as a file name may be.
                    let name = format!("sha256-{sha256}.{}.sigstore.json", i + 1);
                    let file = dir.join(META_DIR).join(API_BUNDLES_DIR).join(&name);
                    std::fs::write(&file, bundle)
                        .map_err(|e| format!("{}: {e}", file.display()))?;
                    files.push(name);
                }
                LookupOutcome::Found { files }
            }
            Err(gap) => LookupOutcome::Failed {
                detail: gap.to_string(),
            },
        };
        lookups.push(ApiLookup {
            asset: asset.name.clone(),
            sha256,
            outcome,
        });
    }
    let record = ReleaseRecord {
        repository: target.repository.clone(),
        tag: target.tag.clone(),
        forge: Some("github".into()),
        api_url: Some(api_url.clone()),
        host: host.clone(),
        assets: listed,
        lookups,
    };
    let text = serde_json::to_vec_pretty(&record).map_err(|e| e.to_string())?;
    let path = dir.join(META_DIR).join(RECORD_FILE);
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((record, failures))
}

/// A release folder read back: its record (the one saved with it, else one made from
/// the files in it) and each asset file found, hashed.
pub struct Folder {
    /// The listing.
    pub record: ReleaseRecord,
    /// Each asset present, by name.
    pub found: HashMap<String, FoundFile>,
    /// The API bundles, as paths to give the provenance control.
    pub api_bundles: Vec<std::path::PathBuf>,
}

/// Reads a release folder. `target` and `host` make the record of a folder that has
/// none (assets downloaded by hand); a saved record must be of `target` on `host`
/// (the host decides which source repository the provenance must name, so it is the
/// run's, never the folder's), and the folder may hold no asset it does not list.
///
/// Offline, the listing is the one saved with the folder: vouch checks every file
/// against it, but cannot tell an asset that was dropped from both.
pub fn read_folder(dir: &Path, target: &Target, host: &str) -> Result<Folder, String> {
    let meta = dir.join(META_DIR);
    let record_path = meta.join(RECORD_FILE);
    // What the folder keeps for vouch is read only where it is: a `.vouch`, a record or
    // a bundle that is a symbolic link could make vouch read (and, with --evidence-out,
    // copy) any file of the machine.
    let kind = |path: &Path| std::fs::symlink_metadata(path).map(|m| m.file_type());
    if kind(&meta).is_ok_and(|t| !t.is_dir()) {
        return Err(format!("{}: is not a folder", meta.display()));
    }
    if kind(&record_path).is_ok_and(|t| !t.is_file()) {
        return Err(format!("{}: is not a regular file", record_path.display()));
    }
    let record = if record_path.is_file() {
        let bytes = crate::collect::input::read_json_file(&record_path)
            .map_err(|e| format!("{}: {e}", record_path.display()))?;
        let record: ReleaseRecord = serde_json::from_slice(&bytes)
            .map_err(|e| format!("{}: not a release record: {e}", record_path.display()))?;
        if record.repository != target.repository || record.tag != target.tag {
            return Err(format!(
                "{}: the folder holds {}@{}, not {}@{}",
                record_path.display(),
                record.repository,
                record.tag,
                target.repository,
                target.tag
            ));
        }
        if record.host != host {
            return Err(format!(
                "{}: the folder was downloaded from {}, not {host} (give --api-url for the forge it came from)",
                record_path.display(),
                record.host
            ));
        }
        let unlisted: Vec<String> = asset_files(dir)?
            .into_iter()
            .filter(|name| !record.assets.iter().any(|a| &a.name == name))
            .collect();
        if !unlisted.is_empty() {
            return Err(format!(
                "{}: holds {} file(s) the release's listing does not: {} (a release folder holds the release and nothing else; download it again)",
                dir.display(),
                unlisted.len(),
                unlisted.join(", ")
            ));
        }
        record
    } else {
        let names = asset_files(dir)?;
        ReleaseRecord {
            repository: target.repository.clone(),
            tag: target.tag.clone(),
            forge: None,
            api_url: None,
            host: host.to_string(),
            assets: names
                .into_iter()
                .map(|name| ListedAsset {
                    name,
                    size: None,
                    digest: None,
                    failed: None,
                })
                .collect(),
            lookups: Vec::new(),
        }
    };
    let mut found = HashMap::new();
    for asset in &record.assets {
        // The record is a file anyone could edit: its names are checked again, and
        // one that is no plain file name is never looked up (it stays unverified).
        if !safe_name(&asset.name) {
            continue;
        }
        let path = dir.join(&asset.name);
        let is_file = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
        if !is_file {
            continue;
        }
        let sha256 = sha256_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        found.insert(
            asset.name.clone(),
            FoundFile {
                source: path.display().to_string(),
                sha256,
                size,
            },
        );
    }
    let mut api_bundles = Vec::new();
    for lookup in &record.lookups {
        if let LookupOutcome::Found { files } = &lookup.outcome {
            for file in files {
                if !safe_name(file) {
                    return Err(format!(
                        "{}: bundle `{file}` is not a plain file name",
                        record_path.display()
                    ));
                }
                let path = meta.join(API_BUNDLES_DIR).join(file);
                if kind(&path).is_ok_and(|t| !t.is_file())
                    || kind(&meta.join(API_BUNDLES_DIR)).is_ok_and(|t| !t.is_dir())
                {
                    return Err(format!("{}: is not a regular file", path.display()));
                }
                api_bundles.push(path);
            }
        }
    }
    Ok(Folder {
        record,
        found,
        api_bundles,
    })
}

/// The names of the regular files at the top of a release folder (symbolic links,
/// folders and hidden files are not assets), sorted.
fn asset_files(dir: &Path) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if safe_name(&name) && entry.file_type().is_ok_and(|t| t.is_file()) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// sha256 of a file, read in one streaming pass.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}
