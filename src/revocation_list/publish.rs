//! Publishing revocation lists from a store: [`Publisher`] reads the store's event log
//! (`revoked` and `exhausted` events) and its rules, and keeps its sequence and cursor in a
//! consumer record of the store, so full lists and deltas follow one another across restarts.

use core::fmt::Write as _;

use time::{Duration, OffsetDateTime};

use super::{RevocationListBuilder, signing_prefix};
use crate::error::Error;
use crate::key::SigningKey;
use crate::store::{EventCursor, EventFilter, EventType, Events};

/// The consumer record a publisher keeps by default.
pub const DEFAULT_PUBLISHER: &str = "revocation-list";

/// How many published lists the record remembers, for deltas on older ones.
const HISTORY: usize = 32;

/// Makes signed revocation lists from a store: full lists, and deltas on a list published
/// before. Run it every minute or so (a cron job, a worker, `admit revocations publish`) and
/// put the text where the verifiers fetch it (object storage, a KV store, an HTTP route).
///
/// It reads the store's event log, so it sees exactly what the store did: every revocation by
/// ID (and, with [`with_used_up`](Publisher::with_used_up), every used-up invitation) whose
/// event the store still keeps, each kept in the list as long as the store keeps its event
/// (the invitation's expiry plus the margin, by default), and every rule. Its sequence numbers
/// and where it stopped reading live in a consumer record of the store (compare-and-set), so
/// two publishers never hand out one sequence twice and a restart goes on where it stopped.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
/// use admit::revocation_list::{Publisher, Revocations};
/// use admit::store::{MemoryStore, Store};
/// use admit::{Error, Invitation, Issuer, SigningKey, Verifier};
///
/// let key = SigningKey::generate()?;
/// let issuer = Issuer::new(key.clone(), "acme/invite")?;
/// let store = MemoryStore::new();
/// let token = issuer.mint(Invitation::builder())?;
/// store.revoke_invitation(token.invitation()).await?;
///
/// let publisher = Publisher::new(store.clone(), key.clone(), "acme/invite")?;
/// let published = publisher.full().await?;
///
/// let revocations = Revocations::new(key.verifying_key(), "acme/invite")?;
/// revocations.load(&published.text)?;
/// let verifier = Verifier::new(key.verifying_key(), "acme/invite")?.revocations(revocations);
/// assert_eq!(verifier.verify(token.as_str()), Err(Error::Revoked));
/// # Ok::<(), admit::Error>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Publisher<S> {
    store: S,
    key: SigningKey,
    context: String,
    name: String,
    next_update_in: Duration,
    used_up: bool,
}

/// A list [`Publisher`] made and signed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Published {
    /// The list's text (unpadded base64url), to put where verifiers fetch it.
    pub text: String,
    /// Its sequence.
    pub sequence: u64,
    /// For a delta, the sequence it extends.
    pub base: Option<u64>,
    /// When the next list is due.
    pub next_update: OffsetDateTime,
    /// How many revoked IDs it holds.
    pub revoked: usize,
    /// How many used-up IDs (`None` when it does not carry them).
    pub used_up: Option<usize>,
    /// How many rules.
    pub rules: usize,
}

/// What the consumer record holds: the lists published, newest last, each with the cursor
/// its reading ended at.
struct Record {
    version: i64,
    lists: Vec<(u64, Option<EventCursor>)>,
}

impl Record {
    fn parse(version: i64, text: &str) -> Result<Record, Error> {
        let bad = || Error::StoreUnavailable {
            reason: "the revocation-list publisher's record in the store is damaged".into(),
        };
        let mut lists = Vec::new();
        for part in text.split_whitespace() {
            let (seq, cursor) = part.split_once('@').ok_or_else(bad)?;
            let seq = seq.parse().map_err(|_| bad())?;
            let cursor = match cursor {
                "-" => None,
                c => Some(c.parse().map_err(|_| bad())?),
            };
            lists.push((seq, cursor));
        }
        Ok(Record { version, lists })
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let start = self.lists.len().saturating_sub(HISTORY);
        for (seq, cursor) in &self.lists[start..] {
            let _ = match cursor {
                Some(c) => write!(out, "{seq}@{c} "),
                None => write!(out, "{seq}@- "),
            };
        }
        out.trim_end().to_owned()
    }

    fn last(&self) -> Option<u64> {
        self.lists.last().map(|(seq, _)| *seq)
    }
}

impl<S: Events + Clone> Publisher<S> {
    /// A publisher of lists for `context` (the one the tokens are minted for), signed with
    /// `key` (the issuer's, or one the verifiers trust for lists).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidContext`] for a bad context.
    pub fn new(store: S, key: SigningKey, context: &str) -> Result<Publisher<S>, Error> {
        signing_prefix(context)?;
        Ok(Publisher {
            store,
            key,
            context: context.to_owned(),
            name: DEFAULT_PUBLISHER.to_owned(),
            next_update_in: Duration::minutes(5),
            used_up: false,
        })
    }

    /// The consumer record it keeps its sequence in (`revocation-list` by default): one per
    /// series of lists, e.g. per context.
    pub fn name(mut self, name: &str) -> Publisher<S> {
        name.clone_into(&mut self.name);
        self
    }

    /// How long after each list the next is due (five minutes by default): publish more often
    /// than this, and verifiers never see a stale list.
    pub fn next_update_in(mut self, every: Duration) -> Publisher<S> {
        self.next_update_in = every;
        self
    }

    /// Lists also carry the used-up invitations (their last use taken), so a page at the edge
    /// can say "already used".
    pub fn with_used_up(mut self) -> Publisher<S> {
        self.used_up = true;
        self
    }

    /// A full list: everything revoked that still matters, with the next sequence.
    ///
    /// # Errors
    ///
    /// Store errors; [`Error::StoreUnavailable`] if another publisher under the same name
    /// kept taking the next sequence (try again).
    pub async fn full(&self) -> Result<Published, Error> {
        self.publish(None).await
    }

    /// A delta on the last list published: what was revoked since.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when nothing was published under this name yet; those of
    /// [`full`](Publisher::full).
    pub async fn delta(&self) -> Result<Published, Error> {
        self.publish(Some(None)).await
    }

    /// A delta on the list with sequence `base`, one of the last 32 published: for verifiers
    /// that hold an older list than the last.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when no list with that sequence is remembered; those of
    /// [`full`](Publisher::full).
    pub async fn delta_since(&self, base: u64) -> Result<Published, Error> {
        self.publish(Some(Some(base))).await
    }

    /// `delta`: `None` for a full list, `Some(None)` on the last, `Some(Some(n))` on `n`.
    async fn publish(&self, delta: Option<Option<u64>>) -> Result<Published, Error> {
        for _ in 0..8 {
            let record = match self.store.consumer(&self.name).await? {
                Some((version, text)) => Record::parse(version, &text)?,
                None => Record {
                    version: 0,
                    lists: Vec::new(),
                },
            };
            let base = match delta {
                None => None,
                Some(wanted) => {
                    let wanted = wanted.or(record.last()).ok_or(Error::InvalidArgument {
                        name: "revocation list",
                        reason: "nothing was published under this name yet: publish a full \
                                 list first",
                    })?;
                    let from = record.lists.iter().find(|(seq, _)| *seq == wanted).ok_or(
                        Error::InvalidArgument {
                            name: "revocation list",
                            reason: "no list with that sequence is among the last 32 published",
                        },
                    )?;
                    Some(*from)
                }
            };
            let sequence = record.last().unwrap_or(0) + 1;
            let (published, end) = self.build(base, sequence).await?;
            let mut next = Record {
                version: record.version,
                lists: record.lists,
            };
            next.lists.push((sequence, end));
            if self
                .store
                .set_consumer(&self.name, next.version, &next.render())
                .await?
            {
                return Ok(published);
            }
        }
        Err(Error::StoreUnavailable {
            reason: "another publisher kept taking the next sequence; try again".into(),
        })
    }

    /// Reads the log (from the base's cursor for a delta) and the rules, and signs.
    async fn build(
        &self,
        base: Option<(u64, Option<EventCursor>)>,
        sequence: u64,
    ) -> Result<(Published, Option<EventCursor>), Error> {
        let now = OffsetDateTime::now_utc();
        let mut builder = match base {
            Some((base, _)) => RevocationListBuilder::delta(base, sequence),
            None => RevocationListBuilder::full(sequence),
        }
        .issued_at(now)
        .next_update(now + self.next_update_in);
        if self.used_up {
            builder = builder.with_used_up();
        }
        let mut kinds = vec![EventType::Revoked];
        if self.used_up {
            kinds.push(EventType::Exhausted);
        }
        let mut filter = EventFilter::new()
            .types(kinds)
            .limit(crate::store::MAX_LIST_LIMIT);
        let mut end = base.and_then(|(_, cursor)| cursor);
        if let Some(cursor) = end {
            filter = filter.after(cursor);
        }
        loop {
            let page = self.store.events(&filter).await?;
            for event in &page {
                let Some(id) = event.invitation else { continue };
                builder = match event.event_type() {
                    EventType::Revoked => builder.revoke(id, event.forget_at),
                    _ => builder.used_up(id, event.forget_at),
                };
            }
            match page.last() {
                Some(last) => {
                    end = Some(last.cursor);
                    if page.len() < filter.limit {
                        break;
                    }
                    filter = filter.after(last.cursor);
                }
                None => break,
            }
        }
        let rules = self.store.revocation_rules().await?;
        for rule in &rules {
            builder = builder.rule(rule.inviter.as_deref(), rule.issued_before);
        }
        let list = builder.sign(&self.key, &self.context)?;
        let decoded = super::RevocationList::inspect_unverified(&list)?;
        Ok((
            Published {
                text: list,
                sequence,
                base: base.map(|(b, _)| b),
                next_update: decoded.next_update(),
                revoked: decoded.revoked.len(),
                used_up: decoded.used_up.as_ref().map(Vec::len),
                rules: decoded.rules.len(),
            },
            end,
        ))
    }
}

impl<S> core::fmt::Debug for Publisher<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Publisher")
            .field("key_id", &self.key.key_id())
            .field("context", &self.context)
            .field("name", &self.name)
            .field("next_update_in", &self.next_update_in)
            .field("used_up", &self.used_up)
            .finish_non_exhaustive()
    }
}
