//! Lowercase hex for IDs and key IDs (a dependency would be more than these few lines).

use core::fmt;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Writes `bytes` as lowercase hex.
pub(crate) fn write(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for &b in bytes {
        let pair = [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0x0f)]];
        // Both bytes are ASCII hex digits, so this never takes the error branch.
        f.write_str(core::str::from_utf8(&pair).map_err(|_| fmt::Error)?)?;
    }
    Ok(())
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
