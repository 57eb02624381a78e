//! Lowercase hex for IDs and key IDs (a dependency would be more than these few lines).

use core::fmt;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Writes `bytes` as lowercase hex.
pub(crate) fn write(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    let mut buf = [0u8; 64];
    for chunk in bytes.chunks(buf.len() / 2) {
        let text = encode(chunk, &mut buf);
        f.write_str(text)?;
    }
    Ok(())
}

/// Appends `bytes` as lowercase hex to `out`.
pub(crate) fn push(out: &mut String, bytes: &[u8]) {
    let mut buf = [0u8; 64];
    for chunk in bytes.chunks(buf.len() / 2) {
        out.push_str(encode(chunk, &mut buf));
    }
}

/// Hex of `bytes` (at most half of `buf` long) in `buf`.
fn encode<'a>(bytes: &[u8], buf: &'a mut [u8; 64]) -> &'a str {
    let mut len = 0;
    for (&b, pair) in bytes.iter().zip(buf.chunks_exact_mut(2)) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0x0f)];
        len += 2;
    }
    // Only ASCII hex digits were written, so this is always valid UTF-8.
    core::str::from_utf8(&buf[..len]).unwrap_or_default()
}

/// Parses exactly `N` bytes of hex (either case). `None` for any other length or character.
pub(crate) fn decode<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.as_bytes();
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}
