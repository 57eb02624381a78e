//! What every store shares beneath the trait: how long it keeps state (expiry plus the
//! margin), the checks on caller-given arguments (joiner IDs, inviters, notes), short-code
//! shapes, and times as Unix milliseconds.

use time::{Duration, OffsetDateTime};

use super::{CodeSpec, code};
use crate::error::Error;
use crate::invitation::Claims;

/// How long state is kept after an invitation expires, unless configured otherwise.
pub const DEFAULT_MARGIN: Duration = Duration::hours(1);
/// Longest joiner ID, in bytes.
pub const MAX_JOINER_LEN: usize = 128;
/// Longest description or visit metadata, in bytes.
pub const MAX_NOTE_LEN: usize = 1024;
/// Most entries [`Store::list`](super::Store::list) returns in one call.
pub const MAX_LIST_LIMIT: usize = 1000;
/// How many visits a store keeps per invitation, unless configured otherwise (newest first).
pub const DEFAULT_VISIT_CAP: usize = 100;

/// The canonical code and the form shown to people, for a new code.
pub(crate) fn new_code(spec: &CodeSpec) -> Result<(String, String), Error> {
    match &spec.kind {
        code::CodeKind::Vanity(given) => {
            let canonical = code::vanity(given)?;
            Ok((canonical, given.trim().to_ascii_uppercase()))
        }
        #[cfg(feature = "rand")]
        code::CodeKind::Random(len) => {
            let canonical = code::random(*len)?;
            let shown = code::display(&canonical);
            Ok((canonical, shown))
        }
        #[cfg(not(feature = "rand"))]
        code::CodeKind::Random(_) => Err(Error::InvalidArgument {
            name: "code",
            reason: "random codes need the `rand` feature",
        }),
    }
}

/// The canonical form of a code to resolve; random-shaped codes must pass their check.
pub(crate) fn lookup_code(code: &str) -> Result<String, Error> {
    let canonical = code::canonical(code)?;
    if code::random_shaped(&canonical) && !code::check_ok(&canonical) {
        return Err(Error::MistypedCode);
    }
    Ok(canonical)
}

/// What a new code for `token` needs: when the store may forget it (its expiry plus the
/// margin), and the invitation and inviter the token names. A code for an invitation the store
/// would already have forgotten is refused as expired.
pub(crate) fn code_forget_at(
    token: &str,
    margin: Duration,
    now: OffsetDateTime,
) -> Result<
    (
        Option<OffsetDateTime>,
        crate::verifier::UnverifiedInvitation,
    ),
    Error,
> {
    let seen = crate::verifier::inspect_unverified(token)?;
    Ok((live_forget_at(&seen, margin, now)?, seen))
}

pub(crate) fn check_joiner(joiner: &str) -> Result<(), Error> {
    check_label("joiner", joiner)
}

/// An actor (see `Events::acting_as`): like a joiner ID, 1 to 128 bytes, no control characters.
pub(crate) fn check_actor(actor: &str) -> Result<(), Error> {
    check_label("actor", actor)
}

/// The name of a follower's record: like a joiner ID.
pub(crate) fn check_consumer(name: &str) -> Result<(), Error> {
    check_label("consumer", name)
}

fn check_label(name: &'static str, label: &str) -> Result<(), Error> {
    if label.is_empty() {
        return Err(Error::InvalidArgument {
            name,
            reason: "must not be empty",
        });
    }
    if label.len() > MAX_JOINER_LEN {
        return Err(Error::InvalidArgument {
            name,
            reason: "must be at most 128 bytes",
        });
    }
    if label.chars().any(char::is_control) {
        return Err(Error::InvalidArgument {
            name,
            reason: "must not contain control characters",
        });
    }
    Ok(())
}

pub(crate) fn check_inviter(inviter: &str) -> Result<(), Error> {
    match crate::invitation::inviter_problem(inviter) {
        Some(reason) => Err(Error::InvalidArgument {
            name: "inviter",
            reason,
        }),
        None => Ok(()),
    }
}

pub(crate) fn check_note(name: &'static str, note: &str) -> Result<(), Error> {
    if note.len() > MAX_NOTE_LEN {
        return Err(Error::InvalidArgument {
            name,
            reason: "must be at most 1024 bytes",
        });
    }
    if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::InvalidArgument {
            name,
            reason: "must not contain control characters other than newline and tab",
        });
    }
    Ok(())
}

/// When the store may forget an invitation: its expiry plus the margin (`None`: never).
pub(crate) fn forget_at(claims: &Claims, margin: Duration) -> Option<OffsetDateTime> {
    claims.expires_at().map(|e| e.saturating_add(margin))
}

/// When the store may forget an invitation that is still to be acted on (redeemed, given a
/// code): its expiry plus the margin. One the store would already have forgotten is refused as
/// expired, so that a redemption cannot start a new count.
pub(crate) fn live_forget_at(
    claims: &Claims,
    margin: Duration,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, Error> {
    let Some(expired_at) = claims.expires_at() else {
        return Ok(None);
    };
    let forget = expired_at.saturating_add(margin);
    if now >= forget {
        return Err(Error::Expired { expired_at, now });
    }
    Ok(Some(forget))
}

/// How long to keep a revocation of an invitation expiring at `expires_at` (`None`: as long as
/// its state, or forever). A mark that would be dropped at once is refused, not reported done.
pub(crate) fn revocation_forget_at(
    expires_at: Option<OffsetDateTime>,
    margin: Duration,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, Error> {
    match expires_at.map(|e| e.saturating_add(margin)) {
        Some(forget) if forget <= now => Err(Error::InvalidArgument {
            name: "expires_at",
            reason: "has passed, margin included: that invitation can no longer be redeemed, \
                     and the mark would be dropped at once (pass None if the expiry is not known \
                     for sure)",
        }),
        forget => Ok(forget),
    }
}

/// A time as Unix milliseconds, as Redis keeps times.
pub(crate) fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// A time from Unix milliseconds (`None` outside the range `OffsetDateTime` covers).
pub(crate) fn from_unix_ms(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}
