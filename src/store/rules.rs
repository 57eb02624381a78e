//! Revocation rules: "every invitation issued before T", for everyone or for one inviter.
//!
//! Invitations carry their issue time in whole seconds (the token format has no more), while a
//! cut-off is kept to the millisecond. A rule covers an invitation when the second it was issued
//! in *starts* before the cut-off: so a rule set at `T + 0.9 s` covers an invitation minted at
//! `T + 0.3 s` (issued at `T`), and also one minted at `T + 0.95 s`, just after the rule, in the
//! same second. A rule never misses an invitation minted before it; at worst it also covers the
//! rest of its own second.

use core::fmt;

use time::OffsetDateTime;

use super::{from_unix_ms, unix_ms};
use crate::error::Error;

/// The cut-off time given to [`Store::revoke_issued_before`](super::Store::revoke_issued_before).
///
/// A plain time converts into a [`Cutoff`] that must not lie in the future: a cut-off an hour
/// ahead would refuse every invitation minted in the next hour, which is rarely what was meant
/// (a wrong time zone, a typo in the year). Say so explicitly with [`Cutoff::allow_future`]
/// when it is.
///
/// # Examples
///
/// ```
/// use admit::store::Cutoff;
/// use time::{Duration, OffsetDateTime};
///
/// let now: Cutoff = OffsetDateTime::now_utc().into();
/// let until_rotation = Cutoff::allow_future(OffsetDateTime::now_utc() + Duration::hours(2));
/// assert!(!now.allows_future() && until_rotation.allows_future());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cutoff {
    at: OffsetDateTime,
    future: bool,
}

impl Cutoff {
    /// A cut-off at or before the store's current time (a later one is refused).
    pub fn new(at: OffsetDateTime) -> Cutoff {
        Cutoff { at, future: false }
    }

    /// A cut-off that may lie in the future: invitations minted from now until then are
    /// revoked as they are minted.
    pub fn allow_future(at: OffsetDateTime) -> Cutoff {
        Cutoff { at, future: true }
    }

    /// The time.
    pub fn at(&self) -> OffsetDateTime {
        self.at
    }

    /// Whether a future time is accepted.
    pub fn allows_future(&self) -> bool {
        self.future
    }

    /// The cut-off in Unix milliseconds, checked against the store's `now`.
    pub(crate) fn checked_ms(&self, now: OffsetDateTime) -> Result<i64, Error> {
        let at = unix_ms(self.at);
        if !self.future && at > unix_ms(now) {
            return Err(Error::InvalidArgument {
                name: "before",
                reason: "is in the future (it would revoke invitations not minted yet); \
                         use Cutoff::allow_future if that is meant",
            });
        }
        Ok(at)
    }
}

/// The arguments of [`Store::revoke_issued_before`](super::Store::revoke_issued_before), checked
/// against the store's `now`: the cut-off in Unix milliseconds.
pub(crate) fn checked_rule(
    before: impl Into<Cutoff>,
    inviter: Option<&str>,
    now: OffsetDateTime,
) -> Result<i64, Error> {
    if let Some(inviter) = inviter {
        super::check_inviter(inviter)?;
    }
    before.into().checked_ms(now)
}

impl From<OffsetDateTime> for Cutoff {
    fn from(at: OffsetDateTime) -> Cutoff {
        Cutoff::new(at)
    }
}

/// A revocation rule in force ([`Store::revocation_rules`](super::Store::revocation_rules)), or
/// the rule that revoked one invitation ([`Status::revoked_by_rule`](super::Status)).
///
/// Its `Display` reads `issued before 2026-11-23T08:00:00.250Z by "grace"`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevocationRule {
    /// The cut-off, to the millisecond.
    pub issued_before: OffsetDateTime,
    /// Only this inviter's invitations; `None`: everyone's.
    pub inviter: Option<String>,
}

impl RevocationRule {
    /// Whether the rule covers an invitation issued at `issued_at` (whole seconds, as tokens
    /// carry it) by `inviter`.
    ///
    /// # Examples
    ///
    /// ```
    /// use admit::store::RevocationRule;
    /// use time::{Duration, OffsetDateTime};
    ///
    /// let t = OffsetDateTime::from_unix_timestamp(1_800_000_000)?;
    /// let rule = RevocationRule::new(t + Duration::milliseconds(900), Some("grace"));
    /// // Issued at T (minted at T + 0.3 s, say): covered, though the rule is at T + 0.9 s.
    /// assert!(rule.covers(t, Some("grace")));
    /// assert!(!rule.covers(t + Duration::SECOND, Some("grace")));
    /// assert!(!rule.covers(t - Duration::HOUR, Some("alan")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn covers(&self, issued_at: OffsetDateTime, inviter: Option<&str>) -> bool {
        let applies = match &self.inviter {
            None => true,
            Some(rule) => inviter == Some(rule.as_str()),
        };
        applies && covers_ms(issued_at.unix_timestamp(), unix_ms(self.issued_before))
    }

    /// A rule (for comparing with what a store reports).
    pub fn new(issued_before: OffsetDateTime, inviter: Option<&str>) -> RevocationRule {
        RevocationRule {
            issued_before,
            inviter: inviter.map(str::to_owned),
        }
    }
}

impl fmt::Display for RevocationRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self
            .issued_before
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|_| fmt::Error)?;
        write!(f, "issued before {at}")?;
        if let Some(inviter) = &self.inviter {
            write!(f, " by {inviter:?}")?;
        }
        Ok(())
    }
}

/// A cut-off a store holds (Unix milliseconds), as a time. Every one came from an
/// `OffsetDateTime`, so it converts back; one that does not was not written by a store.
pub(crate) fn stored_cutoff(ms: i64) -> Result<OffsetDateTime, Error> {
    from_unix_ms(ms).ok_or_else(|| Error::StoreUnavailable {
        reason: "a stored cut-off is out of range".into(),
    })
}

/// Whether an invitation issued in second `issued_s` is covered by a cut-off at `cutoff_ms`:
/// its second starts before the cut-off. The Lua scripts make the same comparison.
pub(crate) fn covers_ms(issued_s: i64, cutoff_ms: i64) -> bool {
    issued_s.saturating_mul(1000) < cutoff_ms
}

/// The rule among `all` (cut-off in ms; `None` inviter: everyone) that covers an invitation
/// issued in second `issued_s` by `inviter`, the everyone-rule first.
pub(crate) fn first_covering(
    everyone: Option<i64>,
    of_inviter: Option<i64>,
    issued_s: i64,
    inviter: Option<&str>,
) -> Option<RevocationRule> {
    let rule =
        |ms: i64, inviter: Option<&str>| from_unix_ms(ms).map(|t| RevocationRule::new(t, inviter));
    if let Some(ms) = everyone.filter(|ms| covers_ms(issued_s, *ms)) {
        return rule(ms, None);
    }
    match (of_inviter, inviter) {
        (Some(ms), Some(name)) if covers_ms(issued_s, ms) => rule(ms, Some(name)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_covers_the_whole_second_of_its_cutoff() {
        let t = 1_800_000_000;
        // Minted at T + 0.3 s (issued at T), rule at T + 0.9 s: covered.
        assert!(covers_ms(t, t * 1000 + 900));
        // A rule at exactly T does not cover an invitation issued at T.
        assert!(!covers_ms(t, t * 1000));
        assert!(covers_ms(t - 1, t * 1000));
        assert!(!covers_ms(t + 1, t * 1000 + 999));
    }

    #[test]
    fn the_everyone_rule_is_reported_first() {
        let t = 1_800_000_000;
        let found = first_covering(Some(t * 1000 + 1), Some(t * 1000 + 5), t, Some("grace"));
        assert_eq!(found.and_then(|r| r.inviter), None);
        let found = first_covering(Some(t * 1000), Some(t * 1000 + 5), t, Some("grace"));
        assert_eq!(found.and_then(|r| r.inviter).as_deref(), Some("grace"));
        assert_eq!(first_covering(None, Some(t * 1000 + 5), t, None), None);
    }
}
