//! The memory store's event log: events in a queue, in the order the store's lock made them
//! true, and the followers waiting for the next one.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::collections::VecDeque;

use time::OffsetDateTime;

use super::MemoryStore;
use crate::error::Error;
use crate::invitation::InvitationId;
use crate::store::{Event, EventCursor, EventFilter, EventKind};

/// The log, kept under the store's lock.
#[derive(Default)]
pub(super) struct Log {
    /// How many events were ever written: the last one's sequence number.
    written: u64,
    /// Each event with the time it may be forgotten (`None`: never), oldest first.
    events: VecDeque<(Option<OffsetDateTime>, Event)>,
    /// Followers to wake when the next event is written.
    waiting: Vec<Waker>,
}

impl Log {
    /// Appends an event (its cursor is set here) and wakes the followers.
    pub(super) fn push(&mut self, forget_at: Option<OffsetDateTime>, mut event: Event) {
        self.written += 1;
        event.cursor = EventCursor::new(0, self.written);
        event.forget_at = forget_at;
        self.events.push_back((forget_at, event));
        for waker in self.waiting.drain(..) {
            waker.wake();
        }
    }

    pub(super) fn written(&self) -> u64 {
        self.written
    }

    /// Drops the events whose time has passed.
    pub(super) fn sweep(&mut self, now: OffsetDateTime) {
        self.events
            .retain(|(forget, _)| forget.is_none_or(|t| now < t));
    }

    /// The events after the filter's cursor that pass it, up to its limit.
    pub(super) fn page(&self, filter: &EventFilter, now: OffsetDateTime) -> Vec<Event> {
        let start = match filter.after {
            Some(after) => self.events.partition_point(|(_, e)| e.cursor <= after),
            None => 0,
        };
        self.events
            .range(start..)
            .filter(|(forget, event)| forget.is_none_or(|t| now < t) && filter.admits(event))
            .take(filter.limit)
            .map(|(_, event)| event.clone())
            .collect()
    }

    fn wait_for_more(&mut self, waker: &Waker) {
        if !self.waiting.iter().any(|w| w.will_wake(waker)) {
            self.waiting.push(waker.clone());
        }
    }
}

/// An event as the memory store writes it (the log sets its cursor).
pub(super) fn event(
    at: OffsetDateTime,
    invitation: Option<InvitationId>,
    inviter: Option<&str>,
    actor: Option<&str>,
    kind: EventKind,
) -> Event {
    Event {
        cursor: EventCursor::new(0, 0),
        at,
        invitation,
        inviter: inviter.map(str::to_owned),
        actor: actor.map(str::to_owned),
        kind,
        forget_at: None,
    }
}

/// Resolves once the log holds more than `mark` events: no timer, so it works in any async
/// runtime.
pub(super) struct Grown<'a> {
    pub(super) store: &'a MemoryStore,
    pub(super) mark: u64,
}

impl Future for Grown<'_> {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let mut inner = self.store.lock();
        if inner.log.written() > self.mark {
            return Poll::Ready(Ok(()));
        }
        inner.log.wait_for_more(cx.waker());
        Poll::Pending
    }
}
