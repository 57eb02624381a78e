//! What a verifier holds of the revocation lists it loaded: [`Revocations`], swapped atomically
//! under concurrent verifiers, never rolled back.

use std::sync::{Arc, PoisonError, RwLock};

use time::{Duration, OffsetDateTime};

use super::id_index::IdIndex;
use super::{MAX_LIST_TEXT, RevocationList, id_set, refused, signing_prefix};
use crate::error::{Error, ListProblem};
use crate::invitation::{Claims, ID_LEN, Invitation};
use crate::key::KeySet;

/// The default grace after a list's `next_update` before verifiers holding it fail closed.
pub const DEFAULT_GRACE: Duration = Duration::minutes(1);

/// The revocation lists a [`Verifier`](crate::Verifier) checks tokens against, offline.
///
/// Load a full list, then deltas on it, with [`load`](Revocations::load); give the handle to
/// [`Verifier::revocations`](crate::Verifier::revocations). Clones share one state: a load in
/// one task is seen by every verifier at once, and a verification sees either the old list or
/// the new one, never a mix. A list whose sequence is not above the one held is refused
/// (nobody can roll a verifier back to before a revocation); a delta must extend exactly the
/// sequence held.
///
/// Once the held list's `next_update` plus the [grace](Revocations::grace) has passed, every
/// verification fails with [`Error::RevocationListStale`] — as it does before any list is
/// loaded — unless [`allow_stale`](Revocations::allow_stale) says otherwise.
///
/// # Examples
///
/// ```
/// use admit::revocation_list::{RevocationListBuilder, Revocations};
/// use admit::{Error, ListProblem, SigningKey};
///
/// let key = SigningKey::from_bytes(&[7; 32]);
/// let revocations = Revocations::new(key.verifying_key(), "acme/invite")?;
/// revocations.load(&RevocationListBuilder::full(5).sign(&key, "acme/invite")?)?;
/// let older = RevocationListBuilder::full(4).sign(&key, "acme/invite")?;
/// assert_eq!(
///     revocations.load(&older),
///     Err(Error::RevocationListRefused { problem: ListProblem::Rollback { loaded: 5, offered: 4 } })
/// );
/// # Ok::<(), admit::Error>(())
/// ```
#[derive(Clone)]
pub struct Revocations {
    config: Arc<Config>,
    state: Arc<RwLock<Option<Arc<State>>>>,
}

struct Config {
    keys: KeySet,
    prefix: Vec<u8>,
    grace: Duration,
    allow_stale: bool,
    max_len: usize,
}

/// One loaded list, deltas merged in.
struct State {
    sequence: u64,
    next_update_s: i64,
    /// The signature of the last list loaded: the same list offered again is not a rollback.
    /// (Ed25519 signatures are deterministic and bind the whole list, so equal signatures
    /// under one key mean equal lists.)
    signature: [u8; 64],
    revoked: IdIndex,
    used_up: Option<IdIndex>,
    /// Inviter (`""`: everyone) and cut-off in ms, sorted by inviter.
    rules: Vec<(String, u64)>,
}

/// What [`Revocations::load`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Loaded {
    /// The sequence now held.
    pub sequence: u64,
    /// When the next list is due.
    pub next_update: OffsetDateTime,
    /// How many IDs are held as revoked.
    pub revoked: usize,
    /// Whether the list was the one already held (nothing changed).
    pub unchanged: bool,
}

impl Revocations {
    /// Lists signed by one of `keys` (the issuer's key, or one kept for lists) for `context`
    /// (the one the tokens are minted for).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidContext`] for a bad context.
    ///
    /// ```
    /// let key = admit::SigningKey::from_bytes(&[7; 32]).verifying_key();
    /// let revocations = admit::revocation_list::Revocations::new(key, "acme/invite")?;
    /// assert_eq!(revocations.sequence(), None);
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn new(keys: impl Into<KeySet>, context: &str) -> Result<Revocations, Error> {
        Ok(Revocations {
            config: Arc::new(Config {
                keys: keys.into(),
                prefix: signing_prefix(context)?,
                grace: DEFAULT_GRACE,
                allow_stale: false,
                max_len: MAX_LIST_TEXT,
            }),
            state: Arc::new(RwLock::new(None)),
        })
    }

    fn configure(self, change: impl FnOnce(&mut Config)) -> Revocations {
        let c = &self.config;
        let mut config = Config {
            keys: c.keys.clone(),
            prefix: c.prefix.clone(),
            grace: c.grace,
            allow_stale: c.allow_stale,
            max_len: c.max_len,
        };
        change(&mut config);
        Revocations {
            config: Arc::new(config),
            state: self.state,
        }
    }

    /// How long after a list's `next_update` it is still trusted (one minute by default).
    ///
    /// ```
    /// # let key = admit::SigningKey::from_bytes(&[7; 32]).verifying_key();
    /// let revocations = admit::revocation_list::Revocations::new(key, "acme/invite")?
    ///     .grace(time::Duration::minutes(10));
    /// # let _ = revocations;
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn grace(self, grace: Duration) -> Revocations {
        self.configure(|c| c.grace = grace)
    }

    /// Keeps verifying with an overdue list instead of failing closed: for a page that would
    /// rather show a revoked invitation as valid than show nothing. Redemption in the store
    /// stays exact either way. Before any list is loaded, verifications still fail.
    ///
    /// ```
    /// # let key = admit::SigningKey::from_bytes(&[7; 32]).verifying_key();
    /// let lenient = admit::revocation_list::Revocations::new(key, "acme/invite")?.allow_stale();
    /// # let _ = lenient;
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn allow_stale(self) -> Revocations {
        self.configure(|c| c.allow_stale = true)
    }

    /// The longest list text [`load`](Revocations::load) accepts (16 MiB by default).
    ///
    /// ```
    /// # let key = admit::SigningKey::from_bytes(&[7; 32]).verifying_key();
    /// let small = admit::revocation_list::Revocations::new(key, "acme/invite")?.max_len(1 << 20);
    /// # let _ = small;
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn max_len(self, bytes: usize) -> Revocations {
        self.configure(|c| c.max_len = bytes)
    }

    /// The sequence held (`None`: nothing loaded yet).
    pub fn sequence(&self) -> Option<u64> {
        self.current().map(|s| s.sequence)
    }

    fn current(&self) -> Option<Arc<State>> {
        self.state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Loads list text: a full list with a higher sequence replaces what is held; a delta on
    /// the held sequence adds to it; the list already held is accepted and changes nothing.
    ///
    /// # Errors
    ///
    /// [`Error::RevocationListRefused`]: those of
    /// [`RevocationList::verify`](super::RevocationList::verify), then
    /// [`ListProblem::Rollback`] for a sequence not above the held one, and
    /// [`ListProblem::WrongBase`] for a delta on another sequence (or with nothing loaded).
    /// What is held does not change when a load fails.
    pub fn load(&self, text: &str) -> Result<Loaded, Error> {
        let c = &self.config;
        let (list, bytes) = RevocationList::verify_with(text, &c.keys, &c.prefix, c.max_len)?;
        let signature: [u8; 64] = bytes
            .get(bytes.len().saturating_sub(64)..)
            .and_then(|signature| signature.try_into().ok())
            .unwrap_or([0; 64]);
        let mut held = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let current = held.as_deref();
        if let Some(current) = current
            && list.sequence == current.sequence
            && signature == current.signature
        {
            return Ok(Loaded {
                sequence: current.sequence,
                next_update: super::unix(u64::try_from(current.next_update_s).unwrap_or(0)),
                revoked: current.revoked.len(),
                unchanged: true,
            });
        }
        if let Some(current) = current
            && list.sequence <= current.sequence
        {
            return Err(refused(ListProblem::Rollback {
                loaded: current.sequence,
                offered: list.sequence,
            }));
        }
        let next = match (list.base, current) {
            (None, _) => State::of(&list, signature),
            (Some(base), Some(current)) if base == current.sequence => {
                current.extended(&list, signature)
            }
            (Some(base), current) => {
                return Err(refused(ListProblem::WrongBase {
                    loaded: current.map(|c| c.sequence),
                    base,
                }));
            }
        };
        let loaded = Loaded {
            sequence: next.sequence,
            next_update: list.next_update(),
            revoked: next.revoked.len(),
            unchanged: false,
        };
        *held = Some(Arc::new(next));
        Ok(loaded)
    }

    /// Checks an invitation verified earlier (without this list, or with an older one)
    /// against the held list at `now`, as [`Verifier::revocations`](crate::Verifier) does
    /// after the signature: revoked (by ID or by a rule), then used up, then fresh enough.
    ///
    /// # Errors
    ///
    /// [`Error::Revoked`], [`Error::UsedUp`], [`Error::RevocationListStale`].
    ///
    /// # Examples
    ///
    /// ```
    /// use admit::revocation_list::{RevocationListBuilder, Revocations};
    /// use admit::{Error, Invitation, Issuer, SigningKey, Verifier};
    ///
    /// let key = SigningKey::from_bytes(&[7; 32]);
    /// # let id = admit::InvitationId::from_bytes([1; 12]);
    /// # let now = time::OffsetDateTime::now_utc();
    /// let issuer = Issuer::new(key.clone(), "acme/invite")?;
    /// let token = issuer.mint_with_id(Invitation::builder(), id, now)?; // or issuer.mint(…)
    /// let invitation = Verifier::new(key.verifying_key(), "acme/invite")?.verify(token.as_str())?;
    /// let revocations = Revocations::new(key.verifying_key(), "acme/invite")?;
    /// let list = RevocationListBuilder::full(1).revoke(invitation.id(), None).sign(&key, "acme/invite")?;
    /// revocations.load(&list)?;
    /// assert_eq!(revocations.check(&invitation, now), Err(Error::Revoked));
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn check(&self, invitation: &Invitation, now: OffsetDateTime) -> Result<(), Error> {
        self.check_claims(invitation, now)
    }

    /// [`check`](Revocations::check), for claims whose signature and time were checked.
    pub(crate) fn check_claims(&self, claims: &Claims, now: OffsetDateTime) -> Result<(), Error> {
        let Some(state) = self.current() else {
            return Err(Error::RevocationListStale { next_update: None });
        };
        let id = claims.id.to_bytes();
        if state.revoked.contains(&id) {
            return Err(Error::Revoked);
        }
        // The store's own comparison (and its Lua scripts'): the issue second starts before
        // the cut-off.
        let covered = |scope: &str| {
            state
                .rules
                .binary_search_by(|(inviter, _)| inviter.as_str().cmp(scope))
                .ok()
                .is_some_and(|i| {
                    let cutoff_ms = i64::try_from(state.rules[i].1).unwrap_or(i64::MAX);
                    crate::store::covers_ms(claims.issued_s, cutoff_ms)
                })
        };
        if covered("") || claims.inviter().is_some_and(covered) {
            return Err(Error::Revoked);
        }
        if state.used_up.as_ref().is_some_and(|set| set.contains(&id)) {
            return Err(Error::UsedUp {
                max_uses: claims.max_uses.unwrap_or(0),
            });
        }
        let due = state
            .next_update_s
            .saturating_add(self.config.grace.whole_seconds());
        if !self.config.allow_stale && now.unix_timestamp() > due {
            return Err(Error::RevocationListStale {
                next_update: Some(super::unix(u64::try_from(state.next_update_s).unwrap_or(0))),
            });
        }
        Ok(())
    }
}

fn ids(set: &[id_set::Raw]) -> Vec<[u8; ID_LEN]> {
    set.iter().map(|(id, _)| *id).collect()
}

/// Two sorted sets as one, sorted, without repeats.
fn union(a: &[[u8; ID_LEN]], b: &[[u8; ID_LEN]]) -> Vec<[u8; ID_LEN]> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            core::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            core::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            core::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

impl State {
    fn of(list: &RevocationList, signature: [u8; 64]) -> State {
        State {
            sequence: list.sequence,
            next_update_s: i64::try_from(list.next_update_s).unwrap_or(i64::MAX),
            signature,
            revoked: IdIndex::new(ids(&list.revoked)),
            used_up: list.used_up.as_deref().map(|set| IdIndex::new(ids(set))),
            rules: list.rules.clone(),
        }
    }

    /// This state with a delta applied: its IDs and rules added, its sequence and due time.
    fn extended(&self, delta: &RevocationList, signature: [u8; 64]) -> State {
        let mut rules = self.rules.clone();
        for (inviter, cutoff) in &delta.rules {
            match rules.binary_search_by(|(held, _)| held.cmp(inviter)) {
                Ok(i) => rules[i].1 = rules[i].1.max(*cutoff),
                Err(i) => rules.insert(i, (inviter.clone(), *cutoff)),
            }
        }
        let used_up = match (&self.used_up, &delta.used_up) {
            (Some(held), Some(added)) => Some(union(held.ids(), &ids(added))),
            (Some(held), None) => Some(held.ids().to_vec()),
            (None, Some(added)) => Some(ids(added)),
            (None, None) => None,
        };
        State {
            sequence: delta.sequence,
            next_update_s: i64::try_from(delta.next_update_s).unwrap_or(i64::MAX),
            signature,
            revoked: IdIndex::new(union(self.revoked.ids(), &ids(&delta.revoked))),
            used_up: used_up.map(IdIndex::new),
            rules,
        }
    }
}

impl core::fmt::Debug for Revocations {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let held = self.current();
        f.debug_struct("Revocations")
            .field("sequence", &held.as_ref().map(|s| s.sequence))
            .field("revoked", &held.as_ref().map_or(0, |s| s.revoked.len()))
            .field("grace", &self.config.grace)
            .field("allow_stale", &self.config.allow_stale)
            .finish_non_exhaustive()
    }
}
