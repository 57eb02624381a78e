//! The store's rules, written once: every backend's [`Store`], [`Visits`], [`ShortCodes`] and
//! [`AttemptLimiter`] come from here. Each call checks its arguments, reads "now" from the
//! store's clock, works out how long state is kept, runs the backend's primitive
//! ([`backend`](super::backend)) for its atomic step, and is traced (feature `tracing`).

use core::future::Future;
use std::sync::Arc;

use time::OffsetDateTime;

use super::backend::{
    AttemptCounter, Backend, CodeTable, EventPage, NewCode, Page, Record, Redeem, Revoke,
    VisitCall, VisitLog, Window,
};
use super::code::check_client;
use super::retention::{check_actor, check_consumer};
use super::sealed_code;

/// The longest record a follower keeps in the store.
const MAX_CONSUMER_RECORD: usize = 4096;
use super::rules::{checked_rule, stored_cutoff};
use super::{
    AttemptLimiter, CodeSpec, Cutoff, Event, EventFilter, Events, Funnel, FunnelQuery, Health,
    IssuedInvitation, ListFilter, RateLimit, Redemption, RevocationRule, ShortCodes, Status, Store,
    Visit, Visits, check_note, code_forget_at, forget_at, lookup_code, new_code,
    revocation_forget_at, trace, unix_ms,
};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};

/// Runs `work` as the store call `op` of `backend`, traced.
fn traced<B: Backend, T>(
    backend: &B,
    op: &'static str,
    work: impl Future<Output = Result<T, Error>>,
) -> impl Future<Output = Result<T, Error>> {
    trace::call(backend.name(), op, backend.link(), work)
}

impl<B: Backend> Store for B {
    async fn redeem(&self, invitation: &Invitation, joiner: &str) -> Result<Redemption, Error> {
        traced(self, "redeem", async {
            let call = Redeem::new(self.settings(), invitation, joiner)?;
            Backend::redeem(self, call).await
        })
        .await
    }

    async fn check(&self, invitation: &Invitation) -> Result<(), Error> {
        traced(self, "check", async {
            Backend::check(self, invitation, self.settings().now()).await
        })
        .await
    }

    async fn is_revoked(&self, id: InvitationId) -> Result<bool, Error> {
        traced(self, "is_revoked", async {
            Backend::is_revoked(self, id, self.settings().now()).await
        })
        .await
    }

    async fn revoke(
        &self,
        id: InvitationId,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<bool, Error> {
        traced(self, "revoke", async {
            let now = self.settings().now();
            let forget_at = revocation_forget_at(expires_at, self.settings().margin, now)?;
            Backend::revoke(self, Revoke { id, now, forget_at }).await
        })
        .await
    }

    async fn revoke_issued_before(
        &self,
        before: impl Into<Cutoff> + Send,
        inviter: Option<&str>,
    ) -> Result<RevocationRule, Error> {
        traced(self, "revoke_issued_before", async {
            let cutoff = checked_rule(before, inviter, self.settings().now())?;
            let in_force = self.raise_rule(inviter, cutoff).await?;
            Ok(RevocationRule::new(stored_cutoff(in_force)?, inviter))
        })
        .await
    }

    async fn revocation_rules(&self) -> Result<Vec<RevocationRule>, Error> {
        traced(self, "revocation_rules", self.rules()).await
    }

    async fn health(&self) -> Result<Health, Error> {
        traced(self, "health", Backend::health(self)).await
    }

    async fn status(&self, id: InvitationId) -> Result<Status, Error> {
        traced(self, "status", async {
            Backend::status(self, id, self.settings().now()).await
        })
        .await
    }

    async fn record_issued(
        &self,
        invitation: &Invitation,
        description: Option<&str>,
    ) -> Result<(), Error> {
        traced(self, "record_issued", async {
            if let Some(d) = description {
                check_note("description", d)?;
            }
            let settings = self.settings();
            self.record(Record {
                invitation,
                description,
                now: settings.now(),
                forget_at: forget_at(invitation, settings.margin),
            })
            .await
        })
        .await
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<IssuedInvitation>, Error> {
        traced(self, "list", async {
            filter.validate()?;
            let now = self.settings().now();
            Backend::list(self, Page { filter, now }).await
        })
        .await
    }

    async fn count(&self, filter: &ListFilter) -> Result<u64, Error> {
        traced(self, "count", async {
            filter.validate()?;
            let now = self.settings().now();
            Backend::count(self, Page { filter, now }).await
        })
        .await
    }
}

impl<B: VisitLog> Visits for B {
    async fn record_visit(&self, invitation: &Invitation, metadata: &str) -> Result<(), Error> {
        traced(self, "record_visit", async {
            check_note("metadata", metadata)?;
            let settings = self.settings();
            let call = VisitCall {
                id: invitation.id(),
                metadata,
                now: settings.now(),
                forget_at: forget_at(invitation, settings.margin),
                cap: settings.visit_cap,
            };
            VisitLog::record_visit(self, call).await
        })
        .await
    }

    async fn visits(&self, id: InvitationId) -> Result<Vec<Visit>, Error> {
        traced(self, "visits", async {
            VisitLog::visits(self, id, self.settings().now()).await
        })
        .await
    }
}

impl<B: CodeTable> ShortCodes for B {
    async fn create_code(&self, token: &str, spec: &CodeSpec) -> Result<String, Error> {
        traced(self, "create_code", async {
            let settings = self.settings();
            let now = settings.now();
            let (forget_at, seen) = code_forget_at(token, settings.margin, now)?;
            let (canonical, shown) = new_code(spec)?;
            // The store keeps the code's hash and the token sealed under it (sealed_code.rs).
            let keys = sealed_code::derive_off_thread(&canonical).await?;
            let sealed = keys.seal(token)?;
            let call = NewCode {
                id: seen.id(),
                inviter: seen.inviter(),
                lookup: &keys.lookup,
                sealed: &sealed,
                now,
                forget_at,
            };
            match CodeTable::create_code(self, call).await? {
                true => Ok(shown),
                false => Err(Error::CodeTaken),
            }
        })
        .await
    }

    async fn resolve_code(&self, code: &str) -> Result<String, Error> {
        traced(self, "resolve_code", async {
            let canonical = lookup_code(code)?;
            let keys = sealed_code::derive_off_thread(&canonical).await?;
            let now = self.settings().now();
            match CodeTable::resolve_code(self, &keys.lookup, now).await? {
                Some(sealed) => keys.open(&sealed),
                None => Err(Error::UnknownCode),
            }
        })
        .await
    }
}

impl<B: AttemptCounter> AttemptLimiter for B {
    async fn count_attempt(&self, client: &str, limit: &RateLimit) -> Result<u32, Error> {
        traced(self, "count_attempt", async {
            check_client(client)?;
            let window = Window::at(limit.validate()?, unix_ms(self.settings().now()));
            let attempts = AttemptCounter::count_attempt(self, client, window).await?;
            if attempts > limit.limit {
                return Err(Error::RateLimited {
                    retry_after: window.left().try_into().unwrap_or_default(),
                });
            }
            Ok(limit.limit - attempts)
        })
        .await
    }
}

impl<B: Backend + Clone> Events for B {
    async fn events(&self, filter: &EventFilter) -> Result<Vec<Event>, Error> {
        traced(self, "events", async {
            filter.validate()?;
            let now = self.settings().now();
            Backend::events(self, EventPage { filter, now }).await
        })
        .await
    }

    async fn next_events(&self, filter: &EventFilter) -> Result<Vec<Event>, Error> {
        filter.validate()?;
        loop {
            // The mark is taken before reading, so an event written in between ends the wait.
            let mark = self.log_mark();
            let page = Events::events(self, filter).await?;
            if !page.is_empty() {
                return Ok(page);
            }
            self.wait(mark).await?;
        }
    }

    async fn funnel(&self, query: &FunnelQuery) -> Result<Funnel, Error> {
        traced(self, "funnel", super::funnel::count(self, query)).await
    }

    async fn consumer(&self, name: &str) -> Result<Option<(i64, String)>, Error> {
        traced(self, "consumer", async {
            check_consumer(name)?;
            Backend::consumer(self, name).await
        })
        .await
    }

    async fn set_consumer(&self, name: &str, version: i64, record: &str) -> Result<bool, Error> {
        traced(self, "set_consumer", async {
            check_consumer(name)?;
            if record.len() > MAX_CONSUMER_RECORD || version < 0 {
                return Err(Error::InvalidArgument {
                    name: "consumer record",
                    reason: "must be at most 4096 bytes, from a version read before",
                });
            }
            Backend::set_consumer(self, name, version, record).await
        })
        .await
    }

    fn acting_as(&self, actor: &str) -> Result<B, Error> {
        check_actor(actor)?;
        Ok(self.acting(Arc::from(actor)))
    }
}
