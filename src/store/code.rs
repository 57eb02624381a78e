//! Short codes people can type, and the attempt limiter to put in front of them.
//!
//! A token is right for a link and wrong for a flyer. A short code stands for an already minted
//! token: the store maps the code to the token, and resolving a code gives the token back to be
//! verified as usual — so a tampered store entry still fails the signature check, and
//! redemption, revocation and counts are those of the invitation behind the code. The store
//! keeps neither the code nor the token, only a hash of the code and the token sealed under it
//! (`sealed_code.rs`), so a copy of the store yields no working link.
//!
//! Random codes are 8 characters from Crockford's base32 alphabet (no `I`, `L`, `O`, `U`) plus a
//! check character, shown as `7K3M-Q9XWD`. They compare case-insensitively, ignore dashes and
//! spaces, and read `I`/`L` as `1` and `O` as `0`, so what people mistype is forgiven and what
//! they get wrong is caught — the check character (Luhn mod 32) catches every single wrong
//! character and nearly every swap of neighbours before any lookup.
//!
//! # Guessing
//!
//! An 8-character random code has 2⁴⁰ ≈ 1.1 × 10¹² values. With a million live codes, one
//! guess hits with probability 10⁶ / 2⁴⁰ ≈ 9 × 10⁻⁷. Behind a limit of 20 attempts per client per
//! hour ([`RateLimit::per_hour`]), one client's expected time to its first hit is about
//! 1 / (20 × 9 × 10⁻⁷) ≈ 55 000 hours (6 years); 1000 clients working together, 55 hours. Use
//! 10-character codes (2⁵⁰ values) where that matters: the same thousand clients then need
//! about 6 years. Vanity codes (`LAUNCH-2024`) are as guessable as they are memorable: give them
//! to invitations where a guess costs nothing (a public launch), not to one-time ones.

use core::fmt;

use time::Duration;

use crate::error::Error;

/// Crockford's base32 alphabet: digits, then letters without I, L, O, U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Length of a random code's random part, unless set otherwise.
pub const DEFAULT_CODE_LEN: usize = 8;
/// Shortest and longest vanity code, in characters (dashes and spaces not counted).
pub const VANITY_LEN: core::ops::RangeInclusive<usize> = 4..=32;

/// What code to create for an invitation ([`ShortCodes::create_code`](super::ShortCodes::create_code)).
///
/// # Examples
///
/// ```
/// use admit::store::CodeSpec;
/// let random = CodeSpec::random();          // like 7K3M-Q9XWD
/// let longer = CodeSpec::random_len(10);    // like 7K3M-Q9XW-R2T
/// let vanity = CodeSpec::vanity("LAUNCH-2024");
/// # let _ = (random, longer, vanity);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeSpec {
    pub(crate) kind: CodeKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CodeKind {
    Random(usize),
    Vanity(String),
}

impl CodeSpec {
    /// A random code: 8 characters and a check character.
    pub fn random() -> CodeSpec {
        CodeSpec::random_len(DEFAULT_CODE_LEN)
    }

    /// A random code of 8 or 10 characters (plus the check character).
    pub fn random_len(len: usize) -> CodeSpec {
        CodeSpec {
            kind: CodeKind::Random(len),
        }
    }

    /// A code you choose, like `LAUNCH-2024`: 4 to 32 letters and digits (dashes and spaces are
    /// ignored). Codes shaped like random ones (9 or 11 characters without a `U`) are refused,
    /// so a random code's check character can always be tested before a lookup.
    pub fn vanity(code: impl Into<String>) -> CodeSpec {
        CodeSpec {
            kind: CodeKind::Vanity(code.into()),
        }
    }
}

impl Default for CodeSpec {
    fn default() -> CodeSpec {
        CodeSpec::random()
    }
}

/// The canonical form of a code: upper case, without dashes and spaces, `I`/`L` read as `1`
/// and `O` as `0`. This is what stores key codes by.
pub(crate) fn canonical(code: &str) -> Result<String, Error> {
    const BAD: Error = Error::InvalidArgument {
        name: "code",
        reason: "a code is 4 to 32 letters and digits",
    };
    if code.len() > 4 * *VANITY_LEN.end() {
        return Err(BAD);
    }
    let mut out = String::with_capacity(code.len());
    for c in code.chars() {
        match c.to_ascii_uppercase() {
            '-' | ' ' => {}
            'I' | 'L' => out.push('1'),
            'O' => out.push('0'),
            c @ ('0'..='9' | 'A'..='Z') => out.push(c),
            _ => return Err(BAD),
        }
    }
    if !VANITY_LEN.contains(&out.len()) {
        return Err(BAD);
    }
    Ok(out)
}

/// Whether a canonical code has the shape of a random one: 9 or 11 characters, no `U`.
pub(crate) fn random_shaped(canonical: &str) -> bool {
    matches!(canonical.len(), 9 | 11) && !canonical.contains('U')
}

fn value(c: u8) -> Option<usize> {
    ALPHABET.iter().position(|&a| a == c)
}

/// The Luhn mod 32 check character for `data` (canonical characters).
fn check_char(data: &[u8]) -> Option<u8> {
    let mut sum = 0;
    let mut factor = 2;
    for &c in data.iter().rev() {
        let addend = factor * value(c)?;
        sum += addend / 32 + addend % 32;
        factor = if factor == 2 { 1 } else { 2 };
    }
    ALPHABET.get((32 - sum % 32) % 32).copied()
}

/// Whether a random-shaped canonical code carries a correct check character.
pub(crate) fn check_ok(canonical: &str) -> bool {
    let bytes = canonical.as_bytes();
    match bytes.split_last() {
        Some((&last, data)) => check_char(data) == Some(last),
        None => false,
    }
}

/// The canonical form of a vanity code, refusing random-shaped ones.
pub(crate) fn vanity(code: &str) -> Result<String, Error> {
    let c = canonical(code)?;
    if random_shaped(&c) {
        return Err(Error::InvalidArgument {
            name: "code",
            reason: "a vanity code of 9 or 11 characters needs a U (those lengths are random codes)",
        });
    }
    Ok(c)
}

/// A new random code (canonical form) with `len` random characters and a check character.
#[cfg(feature = "rand")]
pub(crate) fn random(len: usize) -> Result<String, Error> {
    if len != 8 && len != 10 {
        return Err(Error::InvalidArgument {
            name: "code length",
            reason: "random codes have 8 or 10 characters",
        });
    }
    let mut bytes = [0u8; 10];
    crate::random::fill_fast(&mut bytes[..len])?;
    let mut data: Vec<u8> = bytes[..len]
        .iter()
        .map(|b| ALPHABET[usize::from(b & 31)])
        .collect();
    let check = check_char(&data).ok_or(Error::Random)?;
    data.push(check);
    String::from_utf8(data).map_err(|_| Error::Random)
}

/// How a code is shown: groups of four joined by dashes (`7K3M-Q9XWD`).
#[cfg_attr(not(feature = "rand"), allow(dead_code))]
pub(crate) fn display(canonical: &str) -> String {
    let mut out = String::with_capacity(canonical.len() + 3);
    for (i, c) in canonical.chars().enumerate() {
        if i > 0 && i % 4 == 0 && canonical.len() - i > 1 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// At most `limit` attempts per client in each fixed window of time.
///
/// # Examples
///
/// ```
/// let limit = admit::store::RateLimit::per_hour(20);
/// # let _ = limit;
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub(crate) limit: u32,
    pub(crate) window: Duration,
}

impl RateLimit {
    /// `limit` attempts per `window` (at least one second).
    pub fn new(limit: u32, window: Duration) -> RateLimit {
        RateLimit { limit, window }
    }

    /// `limit` attempts per minute.
    pub fn per_minute(limit: u32) -> RateLimit {
        RateLimit::new(limit, Duration::MINUTE)
    }

    /// `limit` attempts per hour.
    pub fn per_hour(limit: u32) -> RateLimit {
        RateLimit::new(limit, Duration::HOUR)
    }

    pub(crate) fn validate(&self) -> Result<i64, Error> {
        let ms = i64::try_from(self.window.whole_milliseconds()).unwrap_or(i64::MAX);
        if ms < 1000 || self.limit == 0 {
            return Err(Error::InvalidArgument {
                name: "rate limit",
                reason: "needs at least one attempt per window of at least a second",
            });
        }
        Ok(ms)
    }
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RateLimit({} per {})", self.limit, self.window)
    }
}

pub(crate) fn check_client(client: &str) -> Result<(), Error> {
    if client.is_empty() || client.len() > 128 || client.chars().any(char::is_control) {
        return Err(Error::InvalidArgument {
            name: "client",
            reason: "must be 1 to 128 bytes without control characters",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forgives_case_separators_and_look_alikes() {
        assert_eq!(canonical("launch-2024").unwrap(), "1AUNCH2024");
        assert_eq!(canonical(" 7k3m q9xw-d ").unwrap(), "7K3MQ9XWD");
        assert_eq!(canonical("OIL0").unwrap(), "0110");
        assert!(canonical("abc").is_err());
        assert!(canonical("no_underscores").is_err());
        assert!(canonical("ünïcode").is_err());
        assert!(canonical(&"A".repeat(33)).is_err());
    }

    #[test]
    fn check_character_catches_every_single_substitution() {
        for seed in 0..200u32 {
            let data: Vec<u8> = (0..8)
                .map(|i| ALPHABET[((seed * 7 + i * 13 + seed / 3) % 32) as usize])
                .collect();
            let mut code = data.clone();
            code.push(check_char(&data).unwrap());
            let code = String::from_utf8(code).unwrap();
            assert!(check_ok(&code));
            for pos in 0..code.len() {
                for &other in ALPHABET {
                    if other == code.as_bytes()[pos] {
                        continue;
                    }
                    let mut typo = code.clone().into_bytes();
                    typo[pos] = other;
                    assert!(!check_ok(std::str::from_utf8(&typo).unwrap()));
                }
            }
        }
    }

    #[test]
    fn display_groups_by_four() {
        assert_eq!(display("7K3MQ9XWD"), "7K3M-Q9XWD");
        assert_eq!(display("7K3MQ9XWR2T"), "7K3M-Q9XW-R2T");
    }
}
