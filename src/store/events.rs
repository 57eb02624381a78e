//! The event log: what happened to invitations, in the order the store made it true.
//!
//! Every store writes an [`Event`] in the same atomic step as the change it records (the memory
//! store's lock, the Lua script on Redis, the transaction on PostgreSQL and SQLite), so an event
//! exists exactly when its fact does: a redemption that was refused or rolled back has none.
//! [`Events::events`](super::Events::events) reads them in order, page by page, from an
//! [`EventCursor`]; the schema, the order each store guarantees and how long events are kept
//! are in `docs/events.md`.

use core::fmt;
use core::str::FromStr;

use time::OffsetDateTime;

use super::from_unix_ms;
use crate::error::Error;
use crate::invitation::InvitationId;

/// The kinds of event, without their fields: what [`EventFilter::types`](super::EventFilter::types)
/// selects.
///
/// Their names ([`as_str`](EventType::as_str)) are what the CLI, webhooks and the admin pages
/// show: `issued`, `visited`, `redeemed`, `exhausted`, `revoked`, `rule_added`, `code_created`.
///
/// # Examples
///
/// ```
/// use admit::store::EventType;
///
/// let kind: EventType = "redeemed".parse()?;
/// assert_eq!(kind, EventType::Redeemed);
/// assert_eq!(kind.to_string(), "redeemed");
/// # Ok::<(), admit::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    /// [`record_issued`](super::Store::record_issued) added the invitation to the registry.
    Issued,
    /// [`record_visit`](super::Visits::record_visit) recorded a visit of its link.
    Visited,
    /// A joiner redeemed it (a repeated redemption by the same joiner is not a new event).
    Redeemed,
    /// The redemption just before used it up: written right after that `redeemed` event, in
    /// the same atomic step.
    Exhausted,
    /// [`revoke`](super::Store::revoke) revoked it by ID (only the first time).
    Revoked,
    /// [`revoke_issued_before`](super::Store::revoke_issued_before) moved a rule forward.
    RuleAdded,
    /// [`create_code`](super::ShortCodes::create_code) made a short code for it.
    CodeCreated,
}

impl EventType {
    /// Every kind, in the order of their codes.
    pub const ALL: [EventType; 7] = [
        EventType::Issued,
        EventType::Visited,
        EventType::Redeemed,
        EventType::Exhausted,
        EventType::Revoked,
        EventType::RuleAdded,
        EventType::CodeCreated,
    ];

    /// Its name: `issued`, `visited`, `redeemed`, `exhausted`, `revoked`, `rule_added`,
    /// `code_created`.
    ///
    /// ```
    /// assert_eq!(admit::store::EventType::RuleAdded.as_str(), "rule_added");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::Issued => "issued",
            EventType::Visited => "visited",
            EventType::Redeemed => "redeemed",
            EventType::Exhausted => "exhausted",
            EventType::Revoked => "revoked",
            EventType::RuleAdded => "rule_added",
            EventType::CodeCreated => "code_created",
        }
    }

    /// The number the stores keep (0 to 6, in the order of [`ALL`](EventType::ALL)).
    pub(crate) const fn code(self) -> u8 {
        self as u8
    }

    #[cfg_attr(
        not(any(feature = "redis", feature = "postgres", feature = "sqlite")),
        allow(dead_code)
    )]
    pub(crate) fn from_code(code: i64) -> Option<EventType> {
        usize::try_from(code)
            .ok()
            .and_then(|i| EventType::ALL.get(i).copied())
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = Error;

    fn from_str(s: &str) -> Result<EventType, Error> {
        EventType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or(Error::InvalidArgument {
                name: "event type",
                reason: "must be one of issued, visited, redeemed, exhausted, revoked, \
                         rule_added, code_created",
            })
    }
}

/// What happened, with the fields of its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// Added to the registry, with what the registry shows.
    Issued {
        /// When it expires (`None`: never).
        expires_at: Option<OffsetDateTime>,
        /// How many joiners it admits (`None`: no limit).
        max_uses: Option<u32>,
        /// The address it is bound to.
        email: Option<String>,
        /// The description given to `record_issued`.
        description: Option<String>,
    },
    /// Its link was visited.
    Visited {
        /// What the application recorded with the visit.
        metadata: String,
    },
    /// A joiner redeemed it: use `uses` of `max_uses`.
    Redeemed {
        /// The joiner (the application's user ID).
        joiner: String,
        /// The count after this redemption.
        uses: u32,
        /// Its limit (`None`: no limit).
        max_uses: Option<u32>,
    },
    /// It reached its limit with the redemption before.
    Exhausted {
        /// The limit it reached.
        max_uses: u32,
    },
    /// Revoked by ID.
    Revoked,
    /// A rule now revokes every invitation issued before `cutoff` (of the event's
    /// [`inviter`](Event::inviter), or of everyone when that is `None`).
    RuleAdded {
        /// The cut-off in force after this event.
        cutoff: OffsetDateTime,
    },
    /// A short code was created for it (the code itself is not in the event: it works like the
    /// token).
    CodeCreated,
}

impl EventKind {
    /// The kind without its fields.
    ///
    /// ```
    /// use admit::store::{EventKind, EventType};
    ///
    /// assert_eq!(EventKind::Revoked.event_type(), EventType::Revoked);
    /// ```
    pub fn event_type(&self) -> EventType {
        match self {
            EventKind::Issued { .. } => EventType::Issued,
            EventKind::Visited { .. } => EventType::Visited,
            EventKind::Redeemed { .. } => EventType::Redeemed,
            EventKind::Exhausted { .. } => EventType::Exhausted,
            EventKind::Revoked => EventType::Revoked,
            EventKind::RuleAdded { .. } => EventType::RuleAdded,
            EventKind::CodeCreated => EventType::CodeCreated,
        }
    }
}

/// Where an event sits in its store's log: events come in cursor order, and a page read
/// [`after`](super::EventFilter::after) a cursor holds only later events.
///
/// Its text form (`Display`, `FromStr`) is two numbers joined by `-`, for URLs, files and
/// `admit events --after`. What the numbers mean depends on the store (a sequence number, a
/// transaction and a sequence number, a Redis stream ID; see `docs/events.md`): a cursor from
/// one store means nothing to another.
///
/// # Examples
///
/// ```
/// use admit::store::EventCursor;
///
/// let cursor: EventCursor = "1765101000000-3".parse()?;
/// assert_eq!(cursor.to_string(), "1765101000000-3");
/// assert!(cursor > "1765101000000-2".parse()?);
/// # Ok::<(), admit::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventCursor {
    pub(crate) major: u64,
    pub(crate) minor: u64,
}

impl EventCursor {
    pub(crate) const fn new(major: u64, minor: u64) -> EventCursor {
        EventCursor { major, minor }
    }
}

impl fmt::Display for EventCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.major, self.minor)
    }
}

impl FromStr for EventCursor {
    type Err = Error;

    fn from_str(s: &str) -> Result<EventCursor, Error> {
        let bad = Error::InvalidArgument {
            name: "event cursor",
            reason: "must be two numbers joined by '-', as an event's cursor prints",
        };
        let (major, minor) = s.split_once('-').ok_or(bad.clone())?;
        let number = |part: &str| {
            let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| part.parse::<u64>().ok()).flatten()
        };
        match (number(major), number(minor)) {
            (Some(major), Some(minor)) => Ok(EventCursor { major, minor }),
            _ => Err(bad),
        }
    }
}

/// One fact in a store's event log.
///
/// Nothing secret is in an event: no token text, no short code, no key. An `issued` event
/// carries the bound email address, as the registry does.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// Its place in the log.
    pub cursor: EventCursor,
    /// When the store made it true (the store's clock, to the millisecond).
    pub at: OffsetDateTime,
    /// The invitation (`None` for a `rule_added` event).
    pub invitation: Option<InvitationId>,
    /// The invitation's inviter, when the store knows it; for `rule_added`, the inviter the
    /// rule covers (`None`: everyone).
    pub inviter: Option<String>,
    /// Who did it, as the application named them with
    /// [`acting_as`](super::Events::acting_as) (e.g. the admin who revoked).
    pub actor: Option<String>,
    /// What happened.
    pub kind: EventKind,
    /// When the store forgets it (`None`: never): a revocation list keeps a revoked ID that
    /// long.
    pub(crate) forget_at: Option<OffsetDateTime>,
}

impl Event {
    /// The kind without its fields.
    pub fn event_type(&self) -> EventType {
        self.kind.event_type()
    }

    /// Its kind's fields in words, for logs and admin pages (`user-42: use 1 of 5`, `revokes
    /// everything grace issued before …`); `time` writes the times (an admin page relative to
    /// now, a log in RFC 3339). Empty for `revoked` and `code_created`, which have none.
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// use admit::store::{EventFilter, Events};
    ///
    /// let invitation = issuer.mint(Invitation::builder().max_uses(5))?.invitation().clone();
    /// store.redeem(&invitation, "user-42").await?;
    /// let event = &store.events(&EventFilter::new()).await?[0];
    /// assert_eq!(event.details(|t| t.to_string()), "user-42: use 1 of 5");
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn details(&self, time: impl Fn(OffsetDateTime) -> String) -> String {
        match &self.kind {
            EventKind::Issued {
                expires_at,
                max_uses,
                email,
                ..
            } => {
                let uses =
                    max_uses.map_or_else(|| "unlimited uses".into(), |m| format!("{m} uses"));
                let to = email
                    .as_deref()
                    .map(|e| format!(" for {e}"))
                    .unwrap_or_default();
                let expires = expires_at.map_or_else(
                    || "never expires".into(),
                    |t| format!("expires {}", time(t)),
                );
                format!("{uses}{to}, {expires}")
            }
            EventKind::Visited { metadata } => metadata.clone(),
            EventKind::Redeemed {
                joiner,
                uses,
                max_uses,
            } => match max_uses {
                Some(m) => format!("{joiner}: use {uses} of {m}"),
                None => format!("{joiner}: use {uses}"),
            },
            EventKind::Exhausted { max_uses } => format!("all {max_uses} uses taken"),
            EventKind::RuleAdded { cutoff } => format!(
                "revokes everything {} issued before {}",
                self.inviter.as_deref().unwrap_or("anyone"),
                time(*cutoff)
            ),
            EventKind::Revoked | EventKind::CodeCreated => String::new(),
        }
    }
}

/// An event as the stores on a server or in a file keep it: one flat row, read back into an
/// [`Event`] here, once. (The memory store keeps events as they are.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    not(any(feature = "redis", feature = "postgres", feature = "sqlite")),
    allow(dead_code)
)]
pub(crate) struct Row {
    pub(crate) code: i64,
    pub(crate) at_ms: i64,
    pub(crate) invitation: Option<InvitationId>,
    pub(crate) inviter: Option<String>,
    pub(crate) actor: Option<String>,
    /// `redeemed`: the joiner.
    pub(crate) joiner: Option<String>,
    /// `redeemed`: the count after it.
    pub(crate) uses: Option<i64>,
    /// `issued`, `redeemed`, `exhausted`: the limit.
    pub(crate) max_uses: Option<i64>,
    /// `issued`: the expiry; `rule_added`: the cut-off (Unix ms).
    pub(crate) time_ms: Option<i64>,
    /// `issued`: the bound address.
    pub(crate) email: Option<String>,
    /// `issued`: the description; `visited`: the metadata.
    pub(crate) note: Option<String>,
    /// When the store forgets it (Unix ms; `None`: never).
    pub(crate) forget_ms: Option<i64>,
}

#[cfg_attr(
    not(any(feature = "redis", feature = "postgres", feature = "sqlite")),
    allow(dead_code)
)]
impl Row {
    /// The event, or [`Error::StoreUnavailable`] when the row does not hold what its kind
    /// needs (a row changed by hand, or by a newer version of this crate).
    pub(crate) fn into_event(self, cursor: EventCursor) -> Result<Event, Error> {
        let bad = || Error::StoreUnavailable {
            reason: "an event in the store does not hold what its kind needs".into(),
        };
        let kind = EventType::from_code(self.code).ok_or_else(bad)?;
        let count = |n: Option<i64>| n.map(|n| u32::try_from(n).map_err(|_| bad())).transpose();
        let time = |ms: Option<i64>| ms.map(|ms| from_unix_ms(ms).ok_or_else(bad)).transpose();
        let kind = match kind {
            EventType::Issued => EventKind::Issued {
                expires_at: time(self.time_ms)?,
                max_uses: count(self.max_uses)?,
                email: self.email,
                description: self.note,
            },
            EventType::Visited => EventKind::Visited {
                metadata: self.note.unwrap_or_default(),
            },
            EventType::Redeemed => EventKind::Redeemed {
                joiner: self.joiner.ok_or_else(bad)?,
                uses: count(self.uses)?.ok_or_else(bad)?,
                max_uses: count(self.max_uses)?,
            },
            EventType::Exhausted => EventKind::Exhausted {
                max_uses: count(self.max_uses)?.ok_or_else(bad)?,
            },
            EventType::Revoked => EventKind::Revoked,
            EventType::RuleAdded => EventKind::RuleAdded {
                cutoff: time(self.time_ms)?.ok_or_else(bad)?,
            },
            EventType::CodeCreated => EventKind::CodeCreated,
        };
        Ok(Event {
            cursor,
            at: from_unix_ms(self.at_ms).ok_or_else(bad)?,
            invitation: self.invitation,
            inviter: self.inviter,
            actor: self.actor,
            kind,
            forget_at: time(self.forget_ms)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_refuse_junk() {
        let cursor = EventCursor::new(7, 42);
        assert_eq!(cursor.to_string().parse::<EventCursor>(), Ok(cursor));
        for junk in [
            "",
            "7",
            "7-",
            "-42",
            "a-1",
            "1-b",
            "+1-2",
            "1-2-3",
            "99999999999999999999-1",
        ] {
            assert!(junk.parse::<EventCursor>().is_err(), "{junk:?}");
        }
    }

    #[test]
    fn types_read_back_by_name_and_code() {
        for kind in EventType::ALL {
            assert_eq!(kind.as_str().parse::<EventType>(), Ok(kind));
            assert_eq!(EventType::from_code(i64::from(kind.code())), Some(kind));
        }
        assert_eq!(EventType::from_code(7), None);
        assert_eq!(EventType::from_code(-1), None);
        assert!("Redeemed".parse::<EventType>().is_err());
    }

    #[test]
    fn rows_missing_what_their_kind_needs_are_refused() {
        let redeemed = Row {
            code: i64::from(EventType::Redeemed.code()),
            at_ms: 1_000,
            ..Row::default()
        };
        assert!(redeemed.into_event(EventCursor::new(0, 1)).is_err());
        let unknown = Row {
            code: 9,
            at_ms: 1_000,
            ..Row::default()
        };
        assert!(unknown.into_event(EventCursor::new(0, 1)).is_err());
    }
}
