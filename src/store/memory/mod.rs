//! The in-process store.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use time::{Duration, OffsetDateTime};

use super::backend::{
    AttemptCounter, Backend, CodeTable, EventPage, NewCode, Page, Record, Redeem, Revoke,
    VisitCall, VisitLog, Window,
};
use super::list::ListOrder;
use super::rules::{first_covering, stored_cutoff};
use super::settings::Settings;
use super::{
    Event, EventKind, Health, HealthCheck, IssuedInvitation, Joiner, Redemption, RevocationRule,
    Status, StoreBuilder, Verdict, Visit, from_unix_ms,
};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};

mod log;

use log::{Grown, Log, event};

/// A [`Store`](super::Store) in this process's memory: the embedded default.
///
/// Correct for one process (every operation holds one lock, so redemption is atomic across
/// threads and tasks), gone when the process exits: a restart forgets every revocation and use
/// count, and [`Store::health`](super::Store::health) says so with a warning. Use [`RedisStore`](super::RedisStore) (feature `redis`) when
/// several processes or machines share invitations, or when state must survive a restart.
///
/// Expired state is dropped as it is met and by a sweep at most once a second during writes:
/// memory stays bounded by the invitations that are still live, with no cleanup job.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "rand")] {
/// # let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// # runtime.block_on(async {
/// use admit::store::{MemoryStore, Store};
/// use admit::{Invitation, Issuer, SigningKey};
///
/// let issuer = Issuer::new(SigningKey::generate()?, "acme/invite")?;
/// let token = issuer.mint(Invitation::builder().max_uses(2))?;
/// let store = MemoryStore::new();
/// assert_eq!(store.redeem(token.invitation(), "alice").await?.uses, 1);
/// assert_eq!(store.redeem(token.invitation(), "bob").await?.uses, 2);
/// assert!(store.redeem(token.invitation(), "carol").await.is_err());
/// # Ok::<(), admit::Error>(())
/// # })?;
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    shared: Arc<Shared>,
    /// Who this handle acts as (see `Events::acting_as`).
    actor: Option<Arc<str>>,
}

struct Shared {
    inner: Mutex<Inner>,
    settings: Settings,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<InvitationId, Entry>,
    /// Revocation rules: cut-offs in Unix milliseconds, for everyone and per inviter.
    rule_all: Option<i64>,
    rule_inviter: HashMap<String, i64>,
    /// Canonical code → (token text, when to forget it).
    codes: HashMap<String, (String, Option<OffsetDateTime>)>,
    /// (client, window length in ms, window number) → (attempts, window end).
    attempts: HashMap<(String, i64, i64), (u32, OffsetDateTime)>,
    log: Log,
    /// Followers' records: name → (version, record).
    consumers: HashMap<String, (i64, String)>,
    last_sweep: Option<OffsetDateTime>,
}

#[derive(Default)]
struct Entry {
    /// When this entry may be dropped; `None`: never.
    forget_at: Option<OffsetDateTime>,
    uses: u32,
    max_uses: Option<u32>,
    revoked_at: Option<OffsetDateTime>,
    /// Issue time (Unix seconds) and inviter, once a redemption or a record showed them: what
    /// [`Store::status`] needs to name the rule that revokes the invitation.
    seen: Option<(i64, Option<String>)>,
    joiners: HashMap<String, OffsetDateTime>,
    issued: Option<IssuedInvitation>,
    visits: VecDeque<Visit>,
}

impl Default for MemoryStore {
    fn default() -> MemoryStore {
        MemoryStore::new()
    }
}

/// The settings only a [`MemoryStore`] has: none beyond those of every store
/// ([`StoreBuilder`]).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct MemoryOptions {}

/// Settings of a [`MemoryStore`]; see [`MemoryStore::builder`].
pub type MemoryStoreBuilder = StoreBuilder<MemoryOptions>;

impl StoreBuilder<MemoryOptions> {
    /// The store.
    ///
    /// ```
    /// let store = admit::store::MemoryStore::builder().visit_cap(10).build();
    /// # let _ = store;
    /// ```
    pub fn build(self) -> MemoryStore {
        MemoryStore {
            shared: Arc::new(Shared {
                inner: Mutex::new(Inner::default()),
                settings: self.settings,
            }),
            actor: None,
        }
    }
}

impl core::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("margin", &self.shared.settings.margin)
            .field("visit_cap", &self.shared.settings.visit_cap)
            .finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store with the default margin (1 hour) and visit cap (100), on the system clock.
    pub fn new() -> MemoryStore {
        MemoryStore::builder().build()
    }

    /// Configures a store: margin, visit cap, clock.
    pub fn builder() -> MemoryStoreBuilder {
        StoreBuilder::new()
    }

    /// How many invitations the store holds state for (live ones only).
    pub fn len(&self) -> usize {
        let now = self.shared.settings.now();
        self.lock()
            .entries
            .values()
            .filter(|e| e.is_live(now))
            .count()
    }

    /// Whether the store holds no live state.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn actor(&self) -> Option<&str> {
        self.actor.as_deref()
    }

    /// Writes an event about `id`, kept as long as its state (or `keep_events`).
    fn log(&self, inner: &mut Inner, at: OffsetDateTime, id: InvitationId, kind: EventKind) {
        let state = inner.entries.get(&id).and_then(|e| e.forget_at);
        let inviter = inner.entries.get(&id).and_then(|e| e.inviter());
        let event = event(at, Some(id), inviter.as_deref(), self.actor(), kind);
        let keep = self.shared.settings.event_forget_at(at, state);
        inner.log.push(keep, event);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing panics while holding the lock; if something ever did, the data is still
        // consistent (every update is a single step), so recover it.
        self.shared
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Locks, drops expired entries now and then, and returns the guard.
    fn write(&self, now: OffsetDateTime) -> MutexGuard<'_, Inner> {
        let mut inner = self.lock();
        let due = inner
            .last_sweep
            .is_none_or(|last| now - last >= Duration::SECOND);
        if due {
            inner.entries.retain(|_, e| e.is_live(now));
            inner
                .codes
                .retain(|_, (_, forget)| forget.is_none_or(|t| now < t));
            inner.attempts.retain(|_, (_, end)| now < *end);
            inner.log.sweep(now);
            inner.last_sweep = Some(now);
        }
        inner
    }
}

impl Entry {
    fn is_live(&self, now: OffsetDateTime) -> bool {
        self.forget_at.is_none_or(|t| now < t)
    }

    /// Keeps the entry at least until `until` (`None`: forever).
    fn extend(&mut self, until: Option<OffsetDateTime>) {
        self.forget_at = match (self.forget_at, until) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
    }
}

impl Inner {
    /// The live entry for `id`, created (to be kept until `until`) if missing.
    fn entry(
        &mut self,
        id: InvitationId,
        now: OffsetDateTime,
        until: Option<OffsetDateTime>,
    ) -> &mut Entry {
        let fresh = Entry {
            forget_at: until,
            ..Entry::default()
        };
        let entry = self.entries.entry(id).or_default();
        if entry.is_empty() || !entry.is_live(now) {
            *entry = fresh;
        } else {
            entry.extend(until);
        }
        entry
    }

    fn live(&self, id: InvitationId, now: OffsetDateTime) -> Option<&Entry> {
        self.entries.get(&id).filter(|e| e.is_live(now))
    }

    /// The rule that revokes an invitation issued in second `issued_s` by `inviter`, if any.
    fn rule_for(&self, issued_s: i64, inviter: Option<&str>) -> Option<RevocationRule> {
        let of_inviter = inviter.and_then(|i| self.rule_inviter.get(i)).copied();
        first_covering(self.rule_all, of_inviter, issued_s, inviter)
    }

    fn entry_rule(&self, entry: &Entry) -> Option<RevocationRule> {
        let (issued_s, inviter) = entry.seen.as_ref()?;
        self.rule_for(*issued_s, inviter.as_deref())
    }

    /// Refuses a revoked invitation (by ID or by a rule).
    fn check_revoked(&self, invitation: &Invitation, now: OffsetDateTime) -> Result<(), Error> {
        let by_id = self
            .live(invitation.id(), now)
            .is_some_and(|e| e.revoked_at.is_some());
        let by_rule = || {
            self.rule_for(
                invitation.issued_at().unix_timestamp(),
                invitation.inviter(),
            )
            .is_some()
        };
        if by_id || by_rule() {
            return Err(Error::Revoked);
        }
        Ok(())
    }

    /// Refuses a revoked or used-up invitation.
    fn check(&self, invitation: &Invitation, now: OffsetDateTime) -> Result<(), Error> {
        self.check_revoked(invitation, now)?;
        match (invitation.max_uses(), self.live(invitation.id(), now)) {
            (Some(max_uses), Some(e)) if e.uses >= max_uses => Err(Error::UsedUp { max_uses }),
            _ => Ok(()),
        }
    }
}

impl Entry {
    fn see(&mut self, invitation: &Invitation) {
        self.seen.get_or_insert_with(|| {
            (
                invitation.issued_at().unix_timestamp(),
                invitation.inviter().map(str::to_owned),
            )
        });
    }

    /// The inviter, once a redemption or a record showed it.
    fn inviter(&self) -> Option<String> {
        self.seen.as_ref().and_then(|(_, inviter)| inviter.clone())
    }

    fn is_empty(&self) -> bool {
        self.uses == 0
            && self.revoked_at.is_none()
            && self.joiners.is_empty()
            && self.issued.is_none()
            && self.visits.is_empty()
    }
}

impl Backend for MemoryStore {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    fn acting(&self, actor: Arc<str>) -> MemoryStore {
        MemoryStore {
            shared: Arc::clone(&self.shared),
            actor: Some(actor),
        }
    }

    async fn events(&self, call: EventPage<'_>) -> Result<Vec<Event>, Error> {
        Ok(self.lock().log.page(call.filter, call.now))
    }

    fn log_mark(&self) -> u64 {
        self.lock().log.written()
    }

    async fn consumer(&self, name: &str) -> Result<Option<(i64, String)>, Error> {
        Ok(self.lock().consumers.get(name).cloned())
    }

    async fn set_consumer(&self, name: &str, version: i64, record: &str) -> Result<bool, Error> {
        let mut inner = self.lock();
        let current = inner.consumers.get(name).map_or(0, |(v, _)| *v);
        if current != version {
            return Ok(false);
        }
        let next = (version + 1, record.to_owned());
        inner.consumers.insert(name.to_owned(), next);
        Ok(true)
    }

    async fn wait(&self, mark: u64) -> Result<(), Error> {
        Grown { store: self, mark }.await
    }

    async fn redeem(&self, call: Redeem<'_>) -> Result<Redemption, Error> {
        let (invitation, joiner, now) = (call.invitation, call.joiner, call.now);
        let mut inner = self.write(now);
        inner.check_revoked(invitation, now)?;
        let entry = inner.entry(invitation.id(), now, call.forget_at);
        if let Some(&joined_at) = entry.joiners.get(joiner) {
            return Ok(Redemption {
                uses: entry.uses,
                joined_at,
                repeated: true,
            });
        }
        if let Some(max_uses) = invitation.max_uses() {
            entry.max_uses = Some(max_uses);
            if entry.uses >= max_uses {
                return Err(Error::UsedUp { max_uses });
            }
        }
        entry.uses = entry.uses.saturating_add(1);
        entry.joiners.insert(joiner.to_owned(), now);
        entry.see(invitation);
        let uses = entry.uses;
        let redeemed = EventKind::Redeemed {
            joiner: joiner.to_owned(),
            uses,
            max_uses: invitation.max_uses(),
        };
        self.log(&mut inner, now, invitation.id(), redeemed);
        if let Some(max_uses) = invitation.max_uses().filter(|&max| uses >= max) {
            let exhausted = EventKind::Exhausted { max_uses };
            self.log(&mut inner, now, invitation.id(), exhausted);
        }
        Ok(Redemption {
            uses,
            joined_at: now,
            repeated: false,
        })
    }

    async fn check(&self, invitation: &Invitation, now: OffsetDateTime) -> Result<(), Error> {
        self.lock().check(invitation, now)
    }

    async fn is_revoked(&self, id: InvitationId, now: OffsetDateTime) -> Result<bool, Error> {
        Ok(self
            .lock()
            .live(id, now)
            .is_some_and(|e| e.revoked_at.is_some()))
    }

    async fn revoke(&self, call: Revoke) -> Result<bool, Error> {
        let Revoke { id, now, forget_at } = call;
        let mut inner = self.write(now);
        let existed = inner.live(id, now).is_some();
        let entry = inner.entries.entry(id).or_default();
        if !existed {
            // New state: kept until the given expiry, or forever when it is unknown.
            *entry = Entry {
                forget_at,
                ..Entry::default()
            };
        } else if let (Some(current), Some(forget)) = (entry.forget_at, forget_at) {
            entry.forget_at = Some(current.max(forget));
        }
        let newly = entry.revoked_at.is_none();
        entry.revoked_at.get_or_insert(now);
        if newly {
            self.log(&mut inner, now, id, EventKind::Revoked);
        }
        Ok(newly)
    }

    async fn raise_rule(&self, inviter: Option<&str>, cutoff_ms: i64) -> Result<i64, Error> {
        let now = self.shared.settings.now();
        let mut inner = self.lock();
        let before = match inviter {
            None => inner.rule_all,
            Some(inviter) => inner.rule_inviter.get(inviter).copied(),
        };
        if let Some(in_force) = before.filter(|&ms| ms >= cutoff_ms) {
            return Ok(in_force);
        }
        match inviter {
            None => inner.rule_all = Some(cutoff_ms),
            Some(inviter) => {
                inner.rule_inviter.insert(inviter.to_owned(), cutoff_ms);
            }
        }
        let cutoff = stored_cutoff(cutoff_ms)?;
        let rule_added = event(
            now,
            None,
            inviter,
            self.actor(),
            EventKind::RuleAdded { cutoff },
        );
        // Rules are kept until deleted by hand, and so is the event that added one.
        inner.log.push(None, rule_added);
        Ok(cutoff_ms)
    }

    async fn rules(&self) -> Result<Vec<RevocationRule>, Error> {
        let inner = self.lock();
        let mut rules = Vec::new();
        if let Some(ms) = inner.rule_all {
            rules.push(RevocationRule::new(stored_cutoff(ms)?, None));
        }
        let mut by_inviter: Vec<(&String, &i64)> = inner.rule_inviter.iter().collect();
        by_inviter.sort();
        for (inviter, ms) in by_inviter {
            rules.push(RevocationRule::new(stored_cutoff(*ms)?, Some(inviter)));
        }
        Ok(rules)
    }

    async fn health(&self) -> Result<Health, Error> {
        Ok(Health {
            backend: "memory",
            checks: vec![
                HealthCheck::new(
                    "persistence",
                    None,
                    "none: this process's memory",
                    Verdict::Warning,
                    "revocations, use counts and rules are lost when the process exits, and a \
                     restarted process admits again what was revoked or used up; use a durable \
                     store (SQLite, PostgreSQL, Redis) where that matters",
                ),
                HealthCheck::new(
                    "sharing",
                    None,
                    "one process",
                    Verdict::Ok,
                    "atomic across this process's threads and tasks; other processes have \
                     their own state",
                ),
            ],
        })
    }

    async fn status(&self, id: InvitationId, now: OffsetDateTime) -> Result<Status, Error> {
        let inner = self.lock();
        let Some(entry) = inner.live(id, now) else {
            return Ok(Status::unknown(id));
        };
        let revoked_by_rule = inner.entry_rule(entry);
        let mut joiners: Vec<Joiner> = entry
            .joiners
            .iter()
            .map(|(joiner, &joined_at)| Joiner {
                joiner: joiner.clone(),
                joined_at,
            })
            .collect();
        joiners.sort_by(|a, b| (a.joined_at, &a.joiner).cmp(&(b.joined_at, &b.joiner)));
        Ok(Status {
            id,
            known: true,
            uses: entry.uses,
            max_uses: entry
                .max_uses
                .or(entry.issued.as_ref().and_then(|i| i.max_uses)),
            revoked_at: entry.revoked_at,
            revoked_by_rule: revoked_by_rule.clone(),
            joiners,
            issued: entry.issued.as_ref().map(|issued| IssuedInvitation {
                uses: entry.uses,
                revoked_at: entry.revoked_at,
                revoked_by_rule,
                ..issued.clone()
            }),
        })
    }

    async fn record(&self, call: Record<'_>) -> Result<(), Error> {
        let invitation = call.invitation;
        let mut inner = self.write(call.now);
        let entry = inner.entry(invitation.id(), call.now, call.forget_at);
        entry.see(invitation);
        entry.issued = Some(IssuedInvitation {
            id: invitation.id(),
            issued_at: invitation.issued_at(),
            expires_at: invitation.expires_at(),
            email: invitation.email().map(str::to_owned),
            max_uses: invitation.max_uses(),
            inviter: invitation.inviter().map(str::to_owned),
            description: call.description.map(str::to_owned),
            uses: 0,
            revoked_at: None,
            revoked_by_rule: None,
        });
        let issued = EventKind::Issued {
            expires_at: invitation.expires_at(),
            max_uses: invitation.max_uses(),
            email: invitation.email().map(str::to_owned),
            description: call.description.map(str::to_owned),
        };
        self.log(&mut inner, call.now, invitation.id(), issued);
        Ok(())
    }

    async fn count(&self, call: Page<'_>) -> Result<u64, Error> {
        let Page { filter, now } = call;
        let whole = crate::store::ListFilter {
            after: None,
            ..filter.clone()
        };
        let inner = self.lock();
        let n = inner
            .entries
            .values()
            .filter(|e| e.is_live(now))
            .filter_map(|e| e.issued.as_ref())
            .filter(|i| {
                whole.admits(i.issued_at, i.expires_at, i.id, now)
                    && (whole.inviter.is_none() || i.inviter == whole.inviter)
                    && whole.matches(i.email.as_deref(), i.inviter.as_deref())
            })
            .count();
        Ok(n as u64)
    }

    async fn list(&self, call: Page<'_>) -> Result<Vec<IssuedInvitation>, Error> {
        let Page { filter, now } = call;
        let inner = self.lock();
        let mut found: Vec<IssuedInvitation> = inner
            .entries
            .values()
            .filter(|e| e.is_live(now))
            .filter_map(|e| {
                let issued = e.issued.as_ref()?;
                let listed = filter.admits(issued.issued_at, issued.expires_at, issued.id, now);
                let matches = (filter.inviter.is_none() || issued.inviter == filter.inviter)
                    && filter.matches(issued.email.as_deref(), issued.inviter.as_deref());
                (listed && matches).then(|| IssuedInvitation {
                    uses: e.uses,
                    revoked_at: e.revoked_at,
                    revoked_by_rule: inner.entry_rule(e),
                    ..issued.clone()
                })
            })
            .collect();
        match filter.order {
            ListOrder::SoonestExpiry => found.sort_by_key(IssuedInvitation::cursor),
            ListOrder::Newest => {
                found.sort_by_key(|i| core::cmp::Reverse((i.issued_at.unix_timestamp(), i.id)))
            }
        }
        found.truncate(filter.limit);
        Ok(found)
    }
}

impl VisitLog for MemoryStore {
    async fn record_visit(&self, call: VisitCall<'_>) -> Result<(), Error> {
        let mut inner = self.write(call.now);
        let entry = inner.entry(call.id, call.now, call.forget_at);
        entry.visits.push_front(Visit {
            at: call.now,
            metadata: call.metadata.to_owned(),
        });
        entry.visits.truncate(call.cap);
        let metadata = call.metadata.to_owned();
        self.log(
            &mut inner,
            call.now,
            call.id,
            EventKind::Visited { metadata },
        );
        Ok(())
    }

    async fn visits(&self, id: InvitationId, now: OffsetDateTime) -> Result<Vec<Visit>, Error> {
        Ok(self
            .lock()
            .live(id, now)
            .map(|e| e.visits.iter().cloned().collect())
            .unwrap_or_default())
    }
}

impl CodeTable for MemoryStore {
    async fn create_code(&self, call: NewCode<'_>) -> Result<bool, Error> {
        let now = call.now;
        let mut inner = self.write(now);
        let taken = inner
            .codes
            .get(call.lookup)
            .is_some_and(|(_, f)| f.is_none_or(|t| now < t));
        if !taken {
            let entry = (call.sealed.to_owned(), call.forget_at);
            inner.codes.insert(call.lookup.to_owned(), entry);
            let created = event(
                now,
                Some(call.id),
                call.inviter,
                self.actor(),
                EventKind::CodeCreated,
            );
            let keep = self.shared.settings.event_forget_at(now, call.forget_at);
            inner.log.push(keep, created);
        }
        Ok(!taken)
    }

    async fn resolve_code(
        &self,
        lookup: &str,
        now: OffsetDateTime,
    ) -> Result<Option<String>, Error> {
        Ok(match self.lock().codes.get(lookup) {
            Some((token, forget)) if forget.is_none_or(|t| now < t) => Some(token.clone()),
            _ => None,
        })
    }
}

impl AttemptCounter for MemoryStore {
    async fn count_attempt(&self, client: &str, window: Window) -> Result<u32, Error> {
        let now = from_unix_ms(window.now_ms).unwrap_or_else(|| self.shared.settings.now());
        let end = from_unix_ms(window.end_ms).unwrap_or(now);
        let mut inner = self.write(now);
        let slot = inner
            .attempts
            .entry((client.to_owned(), window.ms, window.number))
            .or_insert((0, end));
        slot.0 = slot.0.saturating_add(1);
        Ok(slot.0)
    }
}
