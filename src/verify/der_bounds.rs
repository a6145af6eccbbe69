//! A bound on what decoding DER may allocate, checked before the `der` crate decodes.
//!
//! `der` 0.7 (and 0.8) allocates an element's declared length before it checks that
//! the bytes are there (`Reader::read_vec`, used for every `Any`): a 7 KB certificate
//! whose name claims a 256 MiB attribute made it allocate that much per element (found
//! by the fuzzing harness, `tests/fixtures/fuzz/trusted-root/`). [`check`] walks the
//! element tree with `der`'s own reader first and refuses any element, at any depth of
//! constructed elements, that claims more bytes than encloses it; then no allocation can
//! exceed the input.

use der::{Decode, Header, Reader, SliceReader};

/// Deepest nesting walked; certificates and timestamp responses nest about ten deep.
const MAX_DEPTH: u32 = 64;

/// Whether every element of `der` (and of each constructed element, recursively) fits
/// in what encloses it.
pub fn check(der: &[u8]) -> der::Result<()> {
    let mut reader = SliceReader::new(der)?;
    walk(&mut reader, 0)
}

fn walk(reader: &mut SliceReader<'_>, depth: u32) -> der::Result<()> {
    while !reader.is_finished() {
        let header = Header::decode(reader)?;
        // `read_slice` borrows: it fails, without allocating, when the bytes are not there.
        let body = reader.read_slice(header.length)?;
        if header.tag.is_constructed() {
            if depth >= MAX_DEPTH {
                return Err(der::ErrorKind::Overlength.into());
            }
            walk(&mut SliceReader::new(body)?, depth + 1)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_element_longer_than_its_container_is_refused_before_decoding() {
        // SEQUENCE (6 bytes) { SET claiming 0x0FFFFFF0 bytes }.
        let bad = [0x30, 0x06, 0x31, 0x84, 0x0F, 0xFF, 0xFF, 0xF0];
        assert!(check(&bad).is_err());
        // SEQUENCE { INTEGER 5, OCTET STRING "ab" }.
        let good = [0x30, 0x07, 0x02, 0x01, 0x05, 0x04, 0x02, b'a', b'b'];
        assert!(check(&good).is_ok());
    }
}
