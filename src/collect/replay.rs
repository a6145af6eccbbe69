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
}

impl Text for [u8] {
    type Pass<'a> = &'a [u8];
    fn pass(&self) -> io::Result<&[u8]> {
        Ok(self)
    }
}

/// A regular file of at most the input limit, with the digest and size of its first
/// read.
#[derive(Debug, Clone)]
pub struct Replayable {
    path: PathBuf,
    size: u64,
    sha256: [u8; 32],
}

impl Replayable {
    /// Reads `path` once (a regular file within the input limit, as
    /// [`input::read_file`] requires), keeping only its digest and size.
    pub fn open(path: &Path) -> Result<Self, InputError> {
        let limit = input::max_input_bytes();
        let file = input::open_regular(path)?;
        let size = file.metadata().map_err(InputError::Io)?.len();
        if size > limit {
            return Err(InputError::TooLarge {
                size: Some(size),
                limit,
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
    type Pass<'a> = Pass;
    fn pass(&self) -> io::Result<Pass> {
        let file = input::open_regular(&self.path).map_err(io::Error::from)?;
        Ok(Pass {
            file: BufReader::with_capacity(1 << 16, file),
            hasher: Sha256::new(),
            read: 0,
            size: self.size,
            sha256: self.sha256,
            checked: false,
        })
    }
}

/// One read of a [`Replayable`]; its end is an error unless the bytes were the same.
pub struct Pass {
    file: BufReader<File>,
    hasher: Sha256,
    read: u64,
    size: u64,
    sha256: [u8; 32],
    checked: bool,
}

impl Pass {
    fn changed() -> io::Error {
        io::Error::other("the file changed while vouch was reading it")
    }
}

impl Read for Pass {
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
        let text = Replayable::open(&path).unwrap();
        assert_eq!(text.size(), 8);
        assert_eq!(text.sha256_hex(), super::super::sha256_hex(b"{\"a\": 1}"));
        for _ in 0..2 {
            assert_eq!(read_all(text.pass().unwrap()).unwrap(), b"{\"a\": 1}");
        }
    }

    #[test]
    fn a_file_changed_shortened_or_grown_between_passes_fails_the_pass() {
        for changed in [&b"{\"a\": 2}"[..], b"{\"a\":", b"{\"a\": 1}   "] {
            let (_dir, path) = file(b"{\"a\": 1}");
            let text = Replayable::open(&path).unwrap();
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
    fn a_replayable_is_refused_as_read_file_refuses() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Replayable::open(dir.path()),
            Err(InputError::NotAFile(_))
        ));
    }
}
