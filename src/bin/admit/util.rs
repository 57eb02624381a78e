//! Errors, exit codes, parsing and formatting shared by the commands.

use std::io::{BufRead, ErrorKind};
use std::path::Path;

use admit::{Error, ErrorKind as Kind};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

pub(crate) const FAILED: u8 = 1;
pub(crate) const USAGE: u8 = 2;
pub(crate) const NOT_GENUINE: u8 = 3;
pub(crate) const EXPIRED: u8 = 4;
pub(crate) const EMAIL_MISMATCH: u8 = 5;
pub(crate) const REVOKED: u8 = 6;
pub(crate) const STORE: u8 = 7;

/// One line for stderr, and the exit code.
#[derive(Debug)]
pub(crate) struct CliError {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl CliError {
    pub(crate) fn usage(message: impl Into<String>) -> CliError {
        CliError {
            code: USAGE,
            message: message.into(),
        }
    }

    pub(crate) fn io(path: &Path, e: &std::io::Error) -> CliError {
        let what = match e.kind() {
            ErrorKind::NotFound => "no such file".to_owned(),
            ErrorKind::PermissionDenied => "permission denied".to_owned(),
            ErrorKind::AlreadyExists => "already exists (use --force to replace it)".to_owned(),
            _ => e.to_string(),
        };
        CliError::usage(format!("{}: {what}", path.display()))
    }

    /// Output that could not be written (stdout closed, a full disk).
    pub(crate) fn output(message: impl Into<String>) -> CliError {
        CliError {
            code: FAILED,
            message: message.into(),
        }
    }

    /// An error from the library, with the exit code of its class.
    pub(crate) fn admit(context: &str, e: &Error) -> CliError {
        let message = if context.is_empty() {
            e.to_string()
        } else {
            format!("{context}: {e}")
        };
        CliError {
            code: exit_code(e),
            message,
        }
    }
}

/// The exit code for a verification or store outcome.
pub(crate) fn exit_code(e: &Error) -> u8 {
    match e.kind() {
        Kind::Expired | Kind::NotYetValid => EXPIRED,
        Kind::EmailRefused => EMAIL_MISMATCH,
        Kind::Revoked | Kind::UsedUp => REVOKED,
        Kind::StoreFailure => STORE,
        Kind::Unreadable | Kind::NotGenuine | Kind::UnknownCode => NOT_GENUINE,
        Kind::Conflict | Kind::RateLimited | Kind::InvalidInput | Kind::System => USAGE,
    }
}

/// Reads a small text file (keys, at most 64 KiB).
pub(crate) fn read_small(path: &Path) -> Result<String, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::io(path, &e))?;
    if bytes.len() > 64 * 1024 {
        return Err(CliError::usage(format!(
            "{}: too large for a key file",
            path.display()
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| CliError::usage(format!("{}: not UTF-8 text", path.display())))
}

/// `7d`, `12h`, `30m`, `45s`, `2w`, combinations like `1d12h`, or plain seconds.
pub(crate) fn parse_ttl(text: &str) -> Result<Duration, CliError> {
    let bad = || {
        CliError::usage(format!(
            "--ttl {text:?}: expected a duration like 7d, 12h, 30m, 45s or 1d12h"
        ))
    };
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(Duration::seconds(seconds));
    }
    let mut total = Duration::ZERO;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        let unit = match c {
            'w' => Duration::WEEK,
            'd' => Duration::DAY,
            'h' => Duration::HOUR,
            'm' => Duration::MINUTE,
            's' => Duration::SECOND,
            _ => return Err(bad()),
        };
        total = unit
            .checked_mul(i32::try_from(n).map_err(|_| bad())?)
            .and_then(|d| total.checked_add(d))
            .ok_or_else(bad)?;
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    Ok(total)
}

/// A time as people type it: RFC 3339 (`2026-12-01T09:00:00Z`, any offset), a date
/// (`2026-12-01`, midnight UTC), a date and time without an offset (`2026-12-01 09:00`, UTC),
/// Unix seconds (`1767225600`), `now`, or a duration from now (`+2h`, `-7d`).
pub(crate) fn parse_time(flag: &str, text: &str) -> Result<OffsetDateTime, CliError> {
    let bad = || {
        CliError::usage(format!(
            "{flag} {text:?}: expected a time like 2026-12-01T09:00:00Z, 2026-12-01, \
             2026-12-01 09:00 (UTC), Unix seconds, now, or +2h / -7d from now"
        ))
    };
    let text = text.trim();
    if text.eq_ignore_ascii_case("now") {
        return Ok(OffsetDateTime::now_utc());
    }
    if let Some(ahead) = text.strip_prefix('+') {
        let by = parse_ttl(ahead).map_err(|_| bad())?;
        return OffsetDateTime::now_utc().checked_add(by).ok_or_else(bad);
    }
    if let Some(back) = text.strip_prefix('-') {
        let by = parse_ttl(back).map_err(|_| bad())?;
        return OffsetDateTime::now_utc().checked_sub(by).ok_or_else(bad);
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = text.parse().map_err(|_| bad())?;
        return OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| bad());
    }
    let rfc3339 = match (text.get(..10), text.get(10..11), text.get(11..)) {
        (Some(date), None, None) => format!("{date}T00:00:00Z"),
        (Some(date), Some("T" | "t" | " "), Some(clock))
            if !clock.contains(['Z', 'z', '+', '-']) =>
        {
            let seconds = if clock.len() == 5 { ":00" } else { "" };
            format!("{date}T{clock}{seconds}Z")
        }
        _ => text.to_owned(),
    };
    OffsetDateTime::parse(&rfc3339, &Rfc3339).map_err(|_| bad())
}

/// The same as [`parse_time`] (which takes `now` as well).
pub(crate) fn parse_time_or_now(flag: &str, text: &str) -> Result<OffsetDateTime, CliError> {
    parse_time(flag, text)
}

/// A base URL for links: `http` or `https`, with a host.
pub(crate) fn check_base_url(text: &str) -> Result<(), CliError> {
    let bad = |why: &str| CliError::usage(format!("--url {text:?}: {why}"));
    let (scheme, rest) = text.split_once("://").ok_or_else(|| {
        bad("expected http:// or https:// and a host, like https://acme.test/join")
    })?;
    if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
        return Err(bad("links must be http:// or https://"));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Err(bad("no host"));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("spaces and control characters are not allowed"));
    }
    Ok(())
}

pub(crate) fn fmt_time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Reads lines of at most `cap` bytes: longer lines are reported, not buffered whole, so
/// memory stays bounded whatever arrives on stdin.
pub(crate) struct Lines<R> {
    reader: R,
    cap: usize,
    pub(crate) number: usize,
}

/// One input line.
pub(crate) enum Line {
    Text(String),
    NotUtf8,
    TooLong,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(reader: R, cap: usize) -> Lines<R> {
        Lines {
            reader,
            cap,
            number: 0,
        }
    }

    /// The next line without its `\n` (and `\r`), or `None` at the end.
    pub(crate) fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        let mut buf = Vec::new();
        let mut too_long = false;
        let mut any = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            any = true;
            let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (&available[..i], Some(i + 1)),
                None => (available, None),
            };
            if !too_long {
                if buf.len() + chunk.len() > self.cap {
                    too_long = true;
                    buf = Vec::new();
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            let used = done.unwrap_or(available.len());
            self.reader.consume(used);
            if done.is_some() {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.number += 1;
        if too_long {
            return Ok(Some(Line::TooLong));
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(Some(match String::from_utf8(buf) {
            Ok(s) => Line::Text(s),
            Err(_) => Line::NotUtf8,
        }))
    }
}
