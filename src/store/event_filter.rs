//! Which events [`Events::events`](super::Events::events) returns: [`EventFilter`].

use super::events::{Event, EventCursor, EventType};
use super::{MAX_LIST_LIMIT, check_inviter};
use crate::error::Error;
use crate::invitation::InvitationId;

/// Which events [`Events::events`](super::Events::events) returns, and how many.
///
/// Events come in their store's order (see [`EventCursor`]); a page ends with the event whose
/// cursor starts the next one ([`after`](EventFilter::after)), and a page shorter than the limit
/// was the end of the log when it was read. Filters combine: an invitation's `redeemed` events
/// are `EventFilter::new().invitation(id).types([EventType::Redeemed])`.
///
/// # Examples
///
/// Everything in the log, a thousand at a time:
///
/// ```
/// # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # runtime.block_on(async {
/// use admit::store::{EventFilter, Events, MemoryStore};
///
/// let store = MemoryStore::new();
/// let mut filter = EventFilter::new().limit(1000);
/// loop {
///     let page = store.events(&filter).await?;
///     for event in &page {
///         println!("{} {}", event.cursor, event.event_type());
///     }
///     match page.last() {
///         Some(last) if page.len() == 1000 => filter = filter.after(last.cursor),
///         _ => break,
///     }
/// }
/// # Ok::<(), admit::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFilter {
    pub(crate) after: Option<EventCursor>,
    pub(crate) invitation: Option<InvitationId>,
    pub(crate) inviter: Option<String>,
    /// Only events at or after this time (unix ms); `i64::MIN`: all.
    pub(crate) since_ms: i64,
    /// A bit per [`EventType::code`]; 0: every kind.
    pub(crate) types: u8,
    pub(crate) limit: usize,
}

impl Default for EventFilter {
    fn default() -> EventFilter {
        EventFilter {
            after: None,
            invitation: None,
            inviter: None,
            since_ms: i64::MIN,
            types: 0,
            limit: 100,
        }
    }
}

impl EventFilter {
    /// The first 100 events of the log.
    pub fn new() -> EventFilter {
        EventFilter::default()
    }

    /// Only events after this one: the next page, when `cursor` is the last event's of this
    /// one. The event need not exist any more.
    ///
    /// ```
    /// let after = "1765101000000-0".parse()?;
    /// let next = admit::store::EventFilter::new().after(after);
    /// # let _ = next;
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn after(mut self, cursor: EventCursor) -> EventFilter {
        self.after = Some(cursor);
        self
    }

    /// Only events of this invitation (its timeline).
    ///
    /// ```
    /// let id = "0123456789abcdef01234567".parse()?;
    /// let timeline = admit::store::EventFilter::new().invitation(id);
    /// # let _ = timeline;
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn invitation(mut self, id: InvitationId) -> EventFilter {
        self.invitation = Some(id);
        self
    }

    /// Only events of this inviter's invitations (and rules that cover only this inviter).
    ///
    /// ```
    /// let filter = admit::store::EventFilter::new().inviter("grace");
    /// # let _ = filter;
    /// ```
    pub fn inviter(mut self, inviter: impl Into<String>) -> EventFilter {
        self.inviter = Some(inviter.into());
        self
    }

    /// Only events written at or after `time` (their [`at`](super::Event::at)), for reports
    /// over a period such as [`Events::funnel`](super::Events::funnel). The SQL stores
    /// filter in the query; memory and Redis read the log from the cursor and skip what is
    /// older, so it spares the reader rows, not the store the reading.
    ///
    /// ```
    /// use time::{Duration, OffsetDateTime};
    ///
    /// let last_week = OffsetDateTime::now_utc() - Duration::days(7);
    /// let filter = admit::store::EventFilter::new().since(last_week);
    /// # let _ = filter;
    /// ```
    pub fn since(mut self, time: time::OffsetDateTime) -> EventFilter {
        self.since_ms = super::unix_ms(time);
        self
    }

    /// Only events of these kinds (every kind unless called; calls add up).
    ///
    /// ```
    /// use admit::store::{EventFilter, EventType};
    ///
    /// let uses = EventFilter::new().types([EventType::Redeemed, EventType::Exhausted]);
    /// # let _ = uses;
    /// ```
    pub fn types(mut self, types: impl IntoIterator<Item = EventType>) -> EventFilter {
        for kind in types {
            self.types |= 1 << kind.code();
        }
        self
    }

    /// At most this many (1 to 1000; 100 by default).
    ///
    /// ```
    /// let filter = admit::store::EventFilter::new().limit(1000);
    /// # let _ = filter;
    /// ```
    pub fn limit(mut self, limit: usize) -> EventFilter {
        self.limit = limit;
        self
    }

    /// The cursor this filter starts after, if any.
    pub fn cursor(&self) -> Option<EventCursor> {
        self.after
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.limit == 0 || self.limit > MAX_LIST_LIMIT {
            return Err(Error::InvalidArgument {
                name: "limit",
                reason: "must be 1 to 1000",
            });
        }
        if let Some(inviter) = &self.inviter {
            check_inviter(inviter)?;
        }
        Ok(())
    }

    /// The kinds selected, as a mask with a bit per kind (all seven when none was named).
    pub(crate) fn type_mask(&self) -> u8 {
        match self.types {
            0 => 0x7f,
            mask => mask,
        }
    }

    /// Whether `event` passes every filter but the cursor.
    pub(crate) fn admits(&self, event: &Event) -> bool {
        let of_type = self.type_mask() & (1 << event.event_type().code()) != 0;
        let of_invitation = self.invitation.is_none() || event.invitation == self.invitation;
        let of_inviter = self.inviter.is_none() || event.inviter == self.inviter;
        let recent = super::unix_ms(event.at) >= self.since_ms;
        of_type && of_invitation && of_inviter && recent
    }
}
