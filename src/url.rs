//! Putting a token into a link, and reading it from a query string.
//!
//! Token text is URL-safe base64, so it goes into a query unescaped.

use std::borrow::Cow;

use crate::error::Error;

/// The query parameter that carries the token: `?invitation=<token>`.
pub const TOKEN_PARAM: &str = "invitation";

/// The longest URL or text accepted by [`find_token`](crate::find_token) and [`Token::url`](crate::Token::url).
pub const MAX_URL_LEN: usize = 8192;

/// Adds `invitation=<token>` to the query of `base` (see [`Token::url`](crate::Token::url)).
pub(crate) fn with_token(base: &str, token: &str) -> Result<String, Error> {
    if base.is_empty() {
        return Err(Error::InvalidUrl {
            reason: "base URL is empty",
        });
    }
    if base.len() > MAX_URL_LEN {
        return Err(Error::TooLarge {
            len: base.len(),
            max: MAX_URL_LEN,
        });
    }
    if base.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::InvalidUrl {
            reason: "URL contains whitespace or control characters",
        });
    }
    let (before_fragment, fragment) = match base.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (base, None),
    };
    let (path, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    let mut url = String::with_capacity(base.len() + TOKEN_PARAM.len() + token.len() + 2);
    url.push_str(path);
    url.push('?');
    for pair in query.split('&') {
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        if pair.is_empty() || name == TOKEN_PARAM {
            continue;
        }
        url.push_str(pair);
        url.push('&');
    }
    url.push_str(TOKEN_PARAM);
    url.push('=');
    url.push_str(token);
    if let Some(fragment) = fragment {
        url.push('#');
        url.push_str(fragment);
    }
    Ok(url)
}

/// The `invitation` parameter of a query string (without the leading `?`): what the axum
/// extractor reads.
#[cfg_attr(not(feature = "axum"), allow(dead_code))]
pub(crate) fn find_query_token(query: &str) -> Result<Cow<'_, str>, Error> {
    if query.len() > MAX_URL_LEN {
        return Err(Error::TooLarge {
            len: query.len(),
            max: MAX_URL_LEN,
        });
    }
    let query = query.split_once('#').map_or(query, |(query, _)| query);
    let mut found = None;
    for pair in query.split('&') {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        if name != TOKEN_PARAM {
            continue;
        }
        if found.is_some() {
            return Err(Error::InvalidUrl {
                reason: "the invitation parameter appears more than once",
            });
        }
        found = Some(value);
    }
    match found {
        None | Some("") => Err(Error::MissingToken),
        Some(value) if value.contains('%') => percent_decode(value).map(Cow::Owned),
        Some(value) => Ok(Cow::Borrowed(value)),
    }
}

/// Whether `b` is in the base64url alphabet (`A-Z a-z 0-9 - _`).
pub(crate) fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

pub(crate) fn percent_decode(value: &str) -> Result<String, Error> {
    const BAD: Error = Error::InvalidUrl {
        reason: "bad percent escape in the invitation parameter",
    };
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value.get(i + 1..i + 3).ok_or(BAD)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(BAD);
            }
            out.push(u8::from_str_radix(hex, 16).map_err(|_| BAD)?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| BAD)
}
