//! Finding a token in a link or in pasted text (FORMAT.md §12).

use std::borrow::Cow;

use crate::error::Error;
use crate::url::{MAX_URL_LEN, TOKEN_PARAM, is_token_char, percent_decode};

/// The fewest characters a token can have: 83 bytes (header, flags, ID, a one-byte issue
/// time and the signature) in base64url. Shorter runs of text are never taken for a token.
pub const MIN_TOKEN_LEN: usize = 111;

/// Finds the token in a link, a query string, or any pasted text, as FORMAT.md §12 specifies:
///
/// 1. input over [`MAX_URL_LEN`] bytes is refused;
/// 2. if the text holds `invitation=` (at the start, or after a character outside base64url),
///    the token is what follows it up to the first character that is neither base64url nor
///    `%`, percent-decoded. Every occurrence must give the same token (a link pasted twice is
///    fine, two different ones are not);
/// 3. otherwise, text that is one run of base64url characters, apart from whitespace around
///    it, is returned as it is (so the verifier can say what is wrong with it);
/// 4. otherwise, the token is the one run of base64url characters at least
///    [`MIN_TOKEN_LEN`] long, wherever it stands: `Invite: TOKEN.`, `<TOKEN>`, `"TOKEN"`,
///    `https://a.test/join/TOKEN`. Base64url is `A-Z a-z 0-9 - _`; every other character
///    (punctuation, brackets, quotes, whitespace, line breaks, non-ASCII) ends a run.
///
/// This only *finds* the text; verify it with [`Verifier::verify`](crate::Verifier::verify) (or
/// use [`Verifier::verify_url`](crate::Verifier::verify_url), which does both).
///
/// # Errors
///
/// [`Error::MissingToken`] if nothing can be a token; [`Error::InvalidUrl`] if the text holds
/// two different tokens or a bad percent escape; [`Error::TooLarge`] for input over
/// [`MAX_URL_LEN`].
///
/// # Examples
///
/// ```
/// assert_eq!(admit::find_token("https://a.test/join?x=1&invitation=AQID#top")?, "AQID");
/// assert_eq!(admit::find_token("?invitation=AQID")?, "AQID");
/// assert_eq!(admit::find_token(" AQID\n")?, "AQID");
/// let token = "A".repeat(120);
/// assert_eq!(admit::find_token(&format!("Your invitation: <{token}>."))?, token);
/// assert!(admit::find_token("https://a.test/join").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn find_token(text: &str) -> Result<Cow<'_, str>, Error> {
    if text.len() > MAX_URL_LEN {
        return Err(Error::TooLarge {
            len: text.len(),
            max: MAX_URL_LEN,
        });
    }
    if let Some(found) = after_parameter(text)? {
        return Ok(found);
    }
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if !trimmed.is_empty() && trimmed.bytes().all(is_token_char) {
        return Ok(Cow::Borrowed(trimmed));
    }
    let mut found: Option<&str> = None;
    for run in text.split(|c: char| !c.is_ascii() || !is_token_char(c as u8)) {
        if run.len() < MIN_TOKEN_LEN {
            continue;
        }
        match found {
            Some(seen) if seen != run => return Err(TWO_TOKENS),
            _ => found = Some(run),
        }
    }
    found.map(Cow::Borrowed).ok_or(Error::MissingToken)
}

const TWO_TOKENS: Error = Error::InvalidUrl {
    reason: "the text holds two different invitation tokens",
};

/// Step 2: the value of every `invitation=` in the text, which must agree. `None` if there is
/// no such parameter.
fn after_parameter(text: &str) -> Result<Option<Cow<'_, str>>, Error> {
    let mut found: Option<Cow<'_, str>> = None;
    let mut any = false;
    let mut rest = text;
    let mut offset = 0;
    while let Some(at) = rest.find(TOKEN_PARAM) {
        let start = offset + at;
        let after = start + TOKEN_PARAM.len();
        offset = after;
        rest = &text[after..];
        let starts_a_name = text[..start]
            .bytes()
            .next_back()
            .is_none_or(|b| !is_token_char(b));
        let Some(value_text) = rest.strip_prefix('=') else {
            continue;
        };
        if !starts_a_name {
            continue;
        }
        any = true;
        let len = value_text
            .bytes()
            .position(|b| !(is_token_char(b) || b == b'%'))
            .unwrap_or(value_text.len());
        let raw = &value_text[..len];
        if raw.is_empty() {
            continue;
        }
        let value = if raw.contains('%') {
            Cow::Owned(percent_decode(raw)?)
        } else {
            Cow::Borrowed(raw)
        };
        match &found {
            Some(seen) if *seen != value => return Err(TWO_TOKENS),
            Some(_) => {}
            None => found = Some(value),
        }
    }
    match found {
        Some(value) => Ok(Some(value)),
        None if any => Err(Error::MissingToken),
        None => Ok(None),
    }
}
