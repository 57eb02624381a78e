//! The in-process store.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use time::{Duration, OffsetDateTime};

use super::code::check_client;
use super::rules::{checked_rule, first_covering};
use super::trace;
use super::{
    CodeSpec, Cutoff, DEFAULT_MARGIN, DEFAULT_VISIT_CAP, Health, HealthCheck, IssuedInvitation,
    Joiner, ListFilter, RateLimit, Redemption, RevocationRule, Status, Store, Verdict, Visit,
    check_joiner, check_note, code_forget_at, forget_at, from_unix_ms, lookup_code, new_code,
    refuse_if_forgotten, revocation_forget_at, unix_ms,
};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};

type ClockFn = dyn Fn() -> OffsetDateTime + Send + Sync;

/// A [`Store`] in this process's memory: the embedded default.
///
/// Correct for one process (every operation holds one lock, so redemption is atomic across
/// threads and tasks), gone when the process exits: a restart forgets every revocation and use
/// count, and [`Store::health`] says so with a warning. Use [`RedisStore`](super::RedisStore) (feature `redis`) when
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
}

struct Shared {
    inner: Mutex<Inner>,
    margin: Duration,
    visit_cap: usize,
    clock: Box<ClockFn>,
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

/// Settings of a [`MemoryStore`]; see [`MemoryStore::builder`].
pub struct MemoryStoreBuilder {
    margin: Duration,
    visit_cap: usize,
    clock: Box<ClockFn>,
}

impl MemoryStoreBuilder {
    /// How long state is kept after an invitation expires (default 1 hour). Keep it at least
    /// as long as the verifier's leeway.
    pub fn margin(mut self, margin: Duration) -> MemoryStoreBuilder {
        self.margin = margin;
        self
    }

    /// How many visits are kept per invitation, newest first (default 100).
    pub fn visit_cap(mut self, cap: usize) -> MemoryStoreBuilder {
        self.visit_cap = cap;
        self
    }

    /// Reads the time from `clock` instead of the system clock (for tests that move time).
    pub fn clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> MemoryStoreBuilder {
        self.clock = Box::new(clock);
        self
    }

    /// The store.
    pub fn build(self) -> MemoryStore {
        MemoryStore {
            shared: Arc::new(Shared {
                inner: Mutex::new(Inner::default()),
                margin: self.margin,
                visit_cap: self.visit_cap,
                clock: self.clock,
            }),
        }
    }
}

impl core::fmt::Debug for MemoryStoreBuilder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryStoreBuilder")
            .field("margin", &self.margin)
            .field("visit_cap", &self.visit_cap)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("margin", &self.shared.margin)
            .field("visit_cap", &self.shared.visit_cap)
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
        MemoryStoreBuilder {
            margin: DEFAULT_MARGIN,
            visit_cap: DEFAULT_VISIT_CAP,
            clock: Box::new(OffsetDateTime::now_utc),
        }
    }

    /// How many invitations the store holds state for (live ones only).
    pub fn len(&self) -> usize {
        let now = self.now();
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

    /// The clock, to the millisecond (as Redis keeps times).
    fn now(&self) -> OffsetDateTime {
        let now = (self.shared.clock)();
        now.replace_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
            .unwrap_or(now)
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

    fn is_empty(&self) -> bool {
        self.uses == 0
            && self.revoked_at.is_none()
            && self.joiners.is_empty()
            && self.issued.is_none()
            && self.visits.is_empty()
    }
}

/// A cut-off the store holds, as a time. Every one came from an `OffsetDateTime`, so it converts
/// back.
fn stored_time(ms: i64) -> Result<OffsetDateTime, Error> {
    from_unix_ms(ms).ok_or_else(|| Error::StoreUnavailable {
        reason: "a stored cut-off is out of range".into(),
    })
}

impl Store for MemoryStore {
    async fn redeem(&self, invitation: &Invitation, joiner: &str) -> Result<Redemption, Error> {
        trace::call("memory", "redeem", None, async {
            check_joiner(joiner)?;
            let now = self.now();
            refuse_if_forgotten(invitation, self.shared.margin, now)?;
            let until = forget_at(invitation, self.shared.margin);
            let mut inner = self.write(now);
            inner.check_revoked(invitation, now)?;
            let entry = inner.entry(invitation.id(), now, until);
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
            Ok(Redemption {
                uses: entry.uses,
                joined_at: now,
                repeated: false,
            })
        })
        .await
    }

    async fn check(&self, invitation: &Invitation) -> Result<(), Error> {
        trace::call("memory", "check", None, async {
            let now = self.now();
            self.lock().check(invitation, now)
        })
        .await
    }

    async fn is_revoked(&self, id: InvitationId) -> Result<bool, Error> {
        trace::call("memory", "is_revoked", None, async {
            let now = self.now();
            Ok(self
                .lock()
                .live(id, now)
                .is_some_and(|e| e.revoked_at.is_some()))
        })
        .await
    }

    async fn revoke(
        &self,
        id: InvitationId,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<bool, Error> {
        trace::call("memory", "revoke", None, async {
            let now = self.now();
            let forget = revocation_forget_at(expires_at, self.shared.margin, now)?;
            let mut inner = self.write(now);
            let existed = inner.live(id, now).is_some();
            let entry = inner.entries.entry(id).or_default();
            if !existed {
                // New state: kept until the given expiry, or forever when it is unknown.
                *entry = Entry {
                    forget_at: forget,
                    ..Entry::default()
                };
            } else if let (Some(current), Some(forget)) = (entry.forget_at, forget) {
                entry.forget_at = Some(current.max(forget));
            }
            let newly = entry.revoked_at.is_none();
            entry.revoked_at.get_or_insert(now);
            Ok(newly)
        })
        .await
    }

    async fn revoke_issued_before(
        &self,
        before: impl Into<Cutoff> + Send,
        inviter: Option<&str>,
    ) -> Result<RevocationRule, Error> {
        trace::call("memory", "revoke_issued_before", None, async {
            let before = checked_rule(before, inviter, self.now())?;
            let mut inner = self.lock();
            let rule = match inviter {
                None => inner.rule_all.get_or_insert(before),
                Some(inviter) => inner
                    .rule_inviter
                    .entry(inviter.to_owned())
                    .or_insert(before),
            };
            *rule = (*rule).max(before);
            let in_force = *rule;
            drop(inner);
            Ok(RevocationRule::new(stored_time(in_force)?, inviter))
        })
        .await
    }

    async fn revocation_rules(&self) -> Result<Vec<RevocationRule>, Error> {
        trace::call("memory", "revocation_rules", None, async {
            let inner = self.lock();
            let mut rules = Vec::new();
            if let Some(ms) = inner.rule_all {
                rules.push(RevocationRule::new(stored_time(ms)?, None));
            }
            let mut by_inviter: Vec<(&String, &i64)> = inner.rule_inviter.iter().collect();
            by_inviter.sort();
            for (inviter, ms) in by_inviter {
                rules.push(RevocationRule::new(stored_time(*ms)?, Some(inviter)));
            }
            Ok(rules)
        })
        .await
    }

    async fn health(&self) -> Result<Health, Error> {
        trace::call("memory", "health", None, async {
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
        })
        .await
    }

    async fn status(&self, id: InvitationId) -> Result<Status, Error> {
        trace::call("memory", "status", None, async {
            let now = self.now();
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
        })
        .await
    }

    async fn record_issued(
        &self,
        invitation: &Invitation,
        description: Option<&str>,
    ) -> Result<(), Error> {
        trace::call("memory", "record_issued", None, async {
            if let Some(d) = description {
                check_note("description", d)?;
            }
            let now = self.now();
            let until = forget_at(invitation, self.shared.margin);
            let mut inner = self.write(now);
            let entry = inner.entry(invitation.id(), now, until);
            entry.see(invitation);
            entry.issued = Some(IssuedInvitation {
                id: invitation.id(),
                issued_at: invitation.issued_at(),
                expires_at: invitation.expires_at(),
                email: invitation.email().map(str::to_owned),
                max_uses: invitation.max_uses(),
                inviter: invitation.inviter().map(str::to_owned),
                description: description.map(str::to_owned),
                uses: 0,
                revoked_at: None,
                revoked_by_rule: None,
            });
            Ok(())
        })
        .await
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<IssuedInvitation>, Error> {
        trace::call("memory", "list", None, async {
            filter.validate()?;
            let now = self.now();
            let inner = self.lock();
            let mut found: Vec<IssuedInvitation> = inner
                .entries
                .values()
                .filter(|e| e.is_live(now))
                .filter_map(|e| {
                    let issued = e.issued.as_ref()?;
                    let listed = filter.admits(issued.expires_at, issued.id, now);
                    let matches = filter.inviter.is_none() || issued.inviter == filter.inviter;
                    (listed && matches).then(|| IssuedInvitation {
                        uses: e.uses,
                        revoked_at: e.revoked_at,
                        revoked_by_rule: inner.entry_rule(e),
                        ..issued.clone()
                    })
                })
                .collect();
            found.sort_by_key(IssuedInvitation::cursor);
            found.truncate(filter.limit);
            Ok(found)
        })
        .await
    }

    async fn record_visit(&self, invitation: &Invitation, metadata: &str) -> Result<(), Error> {
        trace::call("memory", "record_visit", None, async {
            check_note("metadata", metadata)?;
            let now = self.now();
            let until = forget_at(invitation, self.shared.margin);
            let cap = self.shared.visit_cap;
            let mut inner = self.write(now);
            let entry = inner.entry(invitation.id(), now, until);
            entry.visits.push_front(Visit {
                at: now,
                metadata: metadata.to_owned(),
            });
            entry.visits.truncate(cap);
            Ok(())
        })
        .await
    }

    async fn create_code(&self, token: &str, spec: &CodeSpec) -> Result<String, Error> {
        trace::call("memory", "create_code", None, async {
            let now = self.now();
            let forget = code_forget_at(token, self.shared.margin, now)?;
            let (canonical, shown) = new_code(spec)?;
            let mut inner = self.write(now);
            let taken = inner
                .codes
                .get(&canonical)
                .is_some_and(|(_, f)| f.is_none_or(|t| now < t));
            if taken {
                return Err(Error::CodeTaken);
            }
            inner.codes.insert(canonical, (token.to_owned(), forget));
            Ok(shown)
        })
        .await
    }

    async fn resolve_code(&self, code: &str) -> Result<String, Error> {
        trace::call("memory", "resolve_code", None, async {
            let canonical = lookup_code(code)?;
            let now = self.now();
            match self.lock().codes.get(&canonical) {
                Some((token, forget)) if forget.is_none_or(|t| now < t) => Ok(token.clone()),
                _ => Err(Error::UnknownCode),
            }
        })
        .await
    }

    async fn count_attempt(&self, client: &str, limit: &RateLimit) -> Result<u32, Error> {
        trace::call("memory", "count_attempt", None, async {
            check_client(client)?;
            let window_ms = limit.validate()?;
            let now = self.now();
            let now_ms = unix_ms(now);
            let window = now_ms / window_ms;
            let end = OffsetDateTime::from_unix_timestamp_nanos(
                i128::from(window.saturating_add(1).saturating_mul(window_ms)) * 1_000_000,
            )
            .unwrap_or(now);
            let mut inner = self.write(now);
            let slot = inner
                .attempts
                .entry((client.to_owned(), window_ms, window))
                .or_insert((0, end));
            slot.0 = slot.0.saturating_add(1);
            if slot.0 > limit.limit {
                let left = (end - now).max(Duration::ZERO);
                return Err(Error::RateLimited {
                    retry_after: left.try_into().unwrap_or_default(),
                });
            }
            Ok(limit.limit - slot.0)
        })
        .await
    }

    async fn visits(&self, id: InvitationId) -> Result<Vec<Visit>, Error> {
        trace::call("memory", "visits", None, async {
            let now = self.now();
            Ok(self
                .lock()
                .live(id, now)
                .map(|e| e.visits.iter().cloned().collect())
                .unwrap_or_default())
        })
        .await
    }
}
