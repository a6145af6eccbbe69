//! Reading input files within bounds: only regular files, never more bytes than the
//! input limit.
//!
//! Every file vouch reads (reports, SBOMs, lockfiles, attestations, keys, trusted roots,
//! policies, saved evidence) goes through [`read_file`], so `/dev/zero` cannot grow a
//! buffer to gigabytes and a FIFO cannot hang a run: anything that is not a regular file
//! is refused before it is read, and a file over the limit is refused whole.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Default largest input: 2 GiB. A 100,000-component SBOM is about 60 MB and the
/// largest scanner reports seen are a few hundred MB; anything bigger is more likely a
/// mistake (or an attack) than evidence.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 2 << 30;

/// The limit in force: the default, or `--max-input-size`. Process-wide because every
/// reader of every subcommand must apply the same one; set once by the CLI at start.
static MAX_INPUT_BYTES: AtomicU64 = AtomicU64::new(DEFAULT_MAX_INPUT_BYTES);

/// Sets the input limit for the rest of the process.
pub fn set_max_input_bytes(limit: u64) {
    MAX_INPUT_BYTES.store(limit, Ordering::Relaxed);
}

/// The input limit in force.
pub fn max_input_bytes() -> u64 {
    MAX_INPUT_BYTES.load(Ordering::Relaxed)
}

/// Why an input was refused.
#[derive(Debug)]
pub enum InputError {
    /// Opening or reading failed.
    Io(std::io::Error),
    /// Not a regular file (a directory, FIFO, socket or device).
    NotAFile(&'static str),
    /// A JSON document that repeats a key (see `files::json::reject_duplicate_keys`).
    Ambiguous(String),
    /// Larger than the limit.
    TooLarge {
        /// Size of the file, when known (a file may grow while it is read).
        size: Option<u64>,
        /// The limit.
        limit: u64,
    },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Io(e) => write!(f, "{e}"),
            InputError::NotAFile(kind) => write!(f, "not a regular file (it is {kind})"),
            InputError::Ambiguous(why) => f.write_str(why),
            InputError::TooLarge { size, limit } => {
                match size {
                    Some(size) => write!(f, "{} is", human(*size))?,
                    None => f.write_str("it grew")?,
                }
                write!(
                    f,
                    " over the input limit of {} (raise it with --max-input-size)",
                    human(*limit)
                )
            }
        }
    }
}

impl std::error::Error for InputError {}

impl From<InputError> for std::io::Error {
    fn from(e: InputError) -> Self {
        match e {
            InputError::Io(e) => e,
            other => std::io::Error::new(std::io::ErrorKind::InvalidInput, other.to_string()),
        }
    }
}

/// Reads a whole regular file of at most [`max_input_bytes`].
pub fn read_file(path: &Path) -> Result<Vec<u8>, InputError> {
    read_file_within(path, max_input_bytes())
}

/// [`read_file`], refusing a JSON document that repeats a key: for the commands that
/// read one JSON file directly (a bundle, a trusted root, saved evidence).
pub fn read_json_file(path: &Path) -> Result<Vec<u8>, InputError> {
    let bytes = read_file(path)?;
    super::files::json::reject_duplicate_keys(&path.display().to_string(), &bytes)
        .map_err(|gap| InputError::Ambiguous(gap.detail))?;
    Ok(bytes)
}

/// Reads a whole regular file of at most `limit` bytes.
pub fn read_file_within(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    let file = open_regular(path)?;
    let size = file.metadata().map_err(InputError::Io)?.len();
    if size > limit {
        return Err(InputError::TooLarge {
            size: Some(size),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // `take` as well as the size check: a file that grows while it is read stops here.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(InputError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge { size: None, limit });
    }
    Ok(bytes)
}

/// Opens a regular file for reading, refusing anything else before it can block.
///
/// The type is checked on the path first (no open, so a FIFO cannot block), then again
/// on the open file, which on Unix is opened non-blocking: a FIFO swapped in between
/// the two cannot hang the run either.
pub fn open_regular(path: &Path) -> Result<File, InputError> {
    let kind = |m: &std::fs::Metadata| -> Option<&'static str> {
        let t = m.file_type();
        if t.is_file() {
            return None;
        }
        if t.is_dir() {
            return Some("a directory");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                return Some("a FIFO");
            }
            if t.is_char_device() || t.is_block_device() {
                return Some("a device");
            }
            if t.is_socket() {
                return Some("a socket");
            }
        }
        Some("not a file")
    };
    let before = std::fs::metadata(path).map_err(InputError::Io)?;
    if let Some(k) = kind(&before) {
        return Err(InputError::NotAFile(k));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(InputError::Io)?;
    let after = file.metadata().map_err(InputError::Io)?;
    if let Some(k) = kind(&after) {
        return Err(InputError::NotAFile(k));
    }
    Ok(file)
}

/// Parses a size: bytes, or a number with `K`, `M`, `G` (powers of 1000) or `KiB`,
/// `MiB`, `GiB` (powers of 1024); `2GiB`, `500M`, `1048576`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 2GiB, 500MiB, 1048576)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "`{other}` is not a size unit (B, K, M, G, KiB, MiB, GiB)"
            ));
        }
    };
    let size = n
        .checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large"))?;
    if size == 0 {
        return Err("the input limit must be above 0".into());
    }
    Ok(size)
}

/// `2 GiB`, `12 MiB`, `900 bytes`.
fn human(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if bytes >= size {
            let whole = bytes / size;
            let tenth = (bytes % size) * 10 / size;
            return if tenth == 0 {
                format!("{whole} {unit}")
            } else {
                format!("{whole}.{tenth} {unit}")
            };
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_decimal_and_binary_units() {
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("500M"), Ok(500_000_000));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size(" 64 KiB "), Ok(64 << 10));
        assert!(parse_size("0").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("2TB").is_err());
        assert!(parse_size("99999999999999GiB").is_err());
    }

    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.json");
        std::fs::write(&file, b"0123456789").unwrap();
        assert_eq!(read_file_within(&file, 10).unwrap(), b"0123456789");
        let err = read_file_within(&file, 9).unwrap_err();
        assert!(
            err.to_string().contains("over the input limit of 9 bytes"),
            "{err}"
        );
        let err = read_file_within(dir.path(), 10).unwrap_err();
        assert_eq!(err.to_string(), "not a regular file (it is a directory)");
        #[cfg(unix)]
        {
            let err = read_file_within(Path::new("/dev/zero"), 10).unwrap_err();
            assert_eq!(err.to_string(), "not a regular file (it is a device)");
        }
        assert_eq!(human(2 << 30), "2 GiB");
        assert_eq!(human(3 << 19), "1.5 MiB");
    }
}
