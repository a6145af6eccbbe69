//! Inputs read from their file on each pass instead of held in memory.
//!
//! A reader that parses a large input in several passes (refuse repeated keys, tell
//! the format, size the lists, read) would otherwise hold the whole text while it
//! builds its model: for an SBOM of small components the text is a quarter of the
//! peak. A [`Replayable`] is hashed once when it is opened; every [`Pass`] reads the
//! file again and, at its end, checks that it read those same bytes, so that what a
//! pass judged is what the manifest records and the evidence directory keeps. A file
//! that changes in between fails the pass (an I/O error the reader reports as a gap),
//! and a file that grows stops the pass as soon as it is longer than it was.
//!
//! Readers are written against [`Text`], which a byte slice also implements: tests and
//! small inputs pass bytes, collection passes the file.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::input::{self, InputError};

/// Something a reader can read from the start any number of times.
pub trait Text {
    /// A reader over the whole text, from its first byte.
    type Pass<'a>: Read
    where
        Self: 'a;
    /// Starts a pass.
    fn pass(&self) -> io::Result<Self::Pass<'_>>;
    /// The whole text, when it is held in memory: a JSON reader then parses it as a
    /// slice, which serde_json does about twice as fast as from a reader.
    fn bytes(&self) -> Option<&[u8]>;
}

impl Text for [u8] {
    type Pass<'a> = &'a [u8];
    fn pass(&self) -> io::Result<&[u8]> {
        Ok(self)
    }
    fn bytes(&self) -> Option<&[u8]> {
        Some(self)
    }
}

/// Texts below this size are held in memory and parsed as slices: below 8 MiB the
/// text is smaller than the process's own memory, and parsing from the file would
/// cost a JSON SBOM about a third more time. Larger ones are read from the file on
/// each pass, so that what is kept of them, not their text, sets the peak.
pub const HOLD_BELOW: u64 = 8 << 20;

/// A regular file of at most the input limit, with the digest and size of its first
/// read, and its bytes when it is small enough to hold ([`HOLD_BELOW`]).
#[derive(Debug, Clone)]
pub struct Replayable {
    path: PathBuf,
    size: u64,
    sha256: [u8; 32],
    held: Option<Vec<u8>>,
}

impl Replayable {
    /// Reads `path` once (a regular file within the input limit, as
    /// [`input::read_file`] requires), keeping its digest and size, and its bytes
    /// when it is under [`HOLD_BELOW`].
    pub fn open(path: &Path) -> Result<Self, InputError> {
        Self::open_holding(path, HOLD_BELOW)
    }

    /// [`open`](Self::open), holding the bytes of a file under `hold_below` bytes
    /// (tests read small files from disk with 0).
    pub fn open_holding(path: &Path, hold_below: u64) -> Result<Self, InputError> {
        let limit = input::max_input_bytes();
        let file = input::open_regular(path)?;
        let size = file.metadata().map_err(InputError::Io)?.len();
        if size > limit {
            return Err(InputError::TooLarge {
                size: Some(size),
                limit,
            });
        }
        if size < hold_below {
            let bytes = input::read_file_within(path, limit)?;
            return Ok(Replayable {
                path: path.to_path_buf(),
                size: bytes.len() as u64,
                sha256: Sha256::digest(&bytes).into(),
                held: Some(bytes),
            });
        }
        let mut hasher = Sha256::new();
        let mut read = 0u64;
        let mut reader = BufReader::with_capacity(1 << 16, file.take(limit.saturating_add(1)));
        let mut chunk = vec![0u8; 1 << 16];
        loop {
            let n = match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(InputError::Io(e)),
            };
            read += n as u64;
            if read > limit {
                return Err(InputError::TooLarge { size: None, limit });
            }
            hasher.update(&chunk[..n]);
        }
        Ok(Replayable {
            path: path.to_path_buf(),
            size: read,
            sha256: hasher.finalize().into(),
            held: None,
        })
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Lower-case hex sha256.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

impl Text for Replayable {
    type Pass<'a> = Pass<'a>;
    fn pass(&self) -> io::Result<Pass<'_>> {
        if let Some(bytes) = &self.held {
            return Ok(Pass::Held(bytes));
        }
        let file = input::open_regular(&self.path).map_err(io::Error::from)?;
        Ok(Pass::File(FilePass {
            file: BufReader::with_capacity(1 << 16, file),
            hasher: Sha256::new(),
            read: 0,
            size: self.size,
            sha256: self.sha256,
            checked: false,
        }))
    }
    fn bytes(&self) -> Option<&[u8]> {
        self.held.as_deref()
    }
}

/// One read of a [`Replayable`].
pub enum Pass<'a> {
    /// Of the bytes held.
    Held(&'a [u8]),
    /// Of the file, which must still hold the same bytes.
    File(FilePass),
}

impl Read for Pass<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Pass::Held(bytes) => bytes.read(buf),
            Pass::File(pass) => pass.read(buf),
        }
    }
}

/// One read of a file; its end is an error unless the bytes were the same.
pub struct FilePass {
    file: BufReader<File>,
    hasher: Sha256,
    read: u64,
    size: u64,
    sha256: [u8; 32],
    checked: bool,
}

impl FilePass {
    fn changed() -> io::Error {
        io::Error::other("the file changed while vouch was reading it")
    }
}

impl Read for FilePass {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Never more than the recorded size: a growing file is cut short here, and
        // the check below fails it.
        let room = usize::try_from(self.size - self.read)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = if room == 0 {
            // At the recorded size: one more byte would mean the file grew.
            let mut probe = [0u8; 1];
            if self.file.read(&mut probe)? != 0 {
                return Err(Self::changed());
            }
            0
        } else {
            self.file.read(&mut buf[..room])?
        };
        if n == 0 {
            if !self.checked {
                let digest: [u8; 32] = std::mem::take(&mut self.hasher).finalize().into();
                if self.read != self.size || digest != self.sha256 {
                    return Err(Self::changed());
                }
                self.checked = true;
            }
            return Ok(0);
        }
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

/// The first `n` bytes of a text (fewer when it is shorter).
pub fn head<T: Text + ?Sized>(text: &T, n: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(n.min(1 << 16));
    text.pass()?.take(n as u64).read_to_end(&mut out)?;
    Ok(out)
}

/// Reads a pass to its end, for a pass whose parser stopped early: the end is where
/// a [`Pass`] checks what it read.
pub fn drain(mut pass: impl Read) -> io::Result<()> {
    io::copy(&mut pass, &mut io::sink()).map(|_| ())
}

/// A pass without the UTF-8 byte-order mark some tools write first.
pub fn without_bom<T: Text + ?Sized>(text: &T) -> io::Result<impl Read + '_> {
    let mut pass = text.pass()?;
    let mut first = [0u8; 3];
    let mut got = 0;
    while got < 3 {
        match pass.read(&mut first[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    let kept = if got == 3 && first == *b"\xEF\xBB\xBF" {
        0..0
    } else {
        0..got
    };
    Ok(io::Cursor::new(first).take(kept.end as u64).chain(pass))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(content: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input");
        std::fs::write(&path, content).unwrap();
        (dir, path)
    }

    fn read_all(mut r: impl Read) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn every_pass_reads_the_bytes_first_hashed() {
        let (_dir, path) = file(b"{\"a\": 1}");
        let text = Replayable::open_holding(&path, 0).unwrap();
        assert_eq!(text.size(), 8);
        assert!(text.bytes().is_none());
        assert_eq!(text.sha256_hex(), super::super::sha256_hex(b"{\"a\": 1}"));
        for _ in 0..2 {
            assert_eq!(read_all(text.pass().unwrap()).unwrap(), b"{\"a\": 1}");
        }
    }

    #[test]
    fn a_file_changed_shortened_or_grown_between_passes_fails_the_pass() {
        for changed in [&b"{\"a\": 2}"[..], b"{\"a\":", b"{\"a\": 1}   "] {
            let (_dir, path) = file(b"{\"a\": 1}");
            let text = Replayable::open_holding(&path, 0).unwrap();
            std::fs::write(&path, changed).unwrap();
            let err = read_all(text.pass().unwrap()).unwrap_err();
            assert!(err.to_string().contains("changed"), "{err}");
            assert!(drain(text.pass().unwrap()).is_err());
        }
    }

    #[test]
    fn a_byte_order_mark_is_skipped_and_short_texts_survive() {
        let read = |t: &[u8]| read_all(without_bom(t).unwrap()).unwrap();
        assert_eq!(read(b"\xEF\xBB\xBF{}"), b"{}");
        assert_eq!(read(b"{}"), b"{}");
        assert_eq!(read(b"\xEF\xBB"), b"\xEF\xBB");
        assert_eq!(read(b""), b"");
        assert_eq!(head(&b"abcdef"[..], 3).unwrap(), b"abc");
    }

    #[test]
    fn a_small_file_is_held_and_read_as_hashed() {
        let (_dir, path) = file(b"{}");
        let text = Replayable::open(&path).unwrap();
        std::fs::write(&path, b"[]").unwrap();
        assert_eq!(text.bytes(), Some(&b"{}"[..]));
        assert_eq!(read_all(text.pass().unwrap()).unwrap(), b"{}");
        assert_eq!(text.sha256_hex(), super::super::sha256_hex(b"{}"));
    }

    #[test]
    fn a_replayable_is_refused_as_read_file_refuses() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Replayable::open(dir.path()),
            Err(InputError::NotAFile(_))
        ));
    }
}
