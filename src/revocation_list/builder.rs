//! Making and signing a revocation list: [`RevocationListBuilder`].

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::{Duration, OffsetDateTime};

use super::wire::Writer;
use super::{
    FLAG_DELTA, FLAG_USED_UP, LIST_MAGIC, LIST_VERSION, MAX_IDS, MAX_RULES, MAX_UNIX, id_set,
    signing_prefix,
};
use crate::error::{Error, ListProblem};
use crate::invitation::{ID_LEN, InvitationId};
use crate::key::SigningKey;

/// Builds a revocation list (or a delta) and signs it: what a publisher runs every minute or
/// so from the store (`admit revocations publish`), or a test by hand.
///
/// IDs are sorted and deduplicated, rules merged per inviter (the latest cut-off wins), and an
/// ID whose `keep_until` has passed at `issued_at` is left out, so the list shrinks by itself.
/// `issued_at` defaults to now, `next_update` to five minutes after it.
///
/// # Examples
///
/// ```
/// use admit::revocation_list::{RevocationList, RevocationListBuilder};
/// use admit::{InvitationId, SigningKey};
/// use time::{Duration, OffsetDateTime};
///
/// let key = SigningKey::from_bytes(&[7; 32]);
/// let now = OffsetDateTime::now_utc();
/// let text = RevocationListBuilder::full(42)
///     .issued_at(now)
///     .next_update(now + Duration::minutes(1))
///     .revoke(InvitationId::from_bytes([1; 12]), Some(now + Duration::days(7)))
///     .rule(Some("mallory"), now - Duration::hours(1))
///     .sign(&key, "acme/invite")?;
/// let list = RevocationList::verify(&text, &key.verifying_key().into(), "acme/invite")?;
/// assert_eq!(list.revoked().len(), 1);
/// assert_eq!(list.rules()[0].inviter.as_deref(), Some("mallory"));
/// # Ok::<(), admit::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RevocationListBuilder {
    base: Option<u64>,
    sequence: u64,
    issued_at: Option<OffsetDateTime>,
    next_update: Option<OffsetDateTime>,
    /// ID → keep until (Unix seconds; `None`: always).
    revoked: BTreeMap<[u8; ID_LEN], Option<i64>>,
    used_up: Option<BTreeMap<[u8; ID_LEN], Option<i64>>>,
    /// Inviter (`""`: everyone) → cut-off in Unix milliseconds.
    rules: BTreeMap<String, i64>,
}

impl RevocationListBuilder {
    /// A full list with this sequence number (≥ 1; each list a publisher makes has a higher
    /// one than the last).
    pub fn full(sequence: u64) -> RevocationListBuilder {
        RevocationListBuilder {
            base: None,
            sequence,
            issued_at: None,
            next_update: None,
            revoked: BTreeMap::new(),
            used_up: None,
            rules: BTreeMap::new(),
        }
    }

    /// A delta: what was added since the list with sequence `base`, as list `sequence`
    /// (above `base`). A verifier holding exactly `base` applies it; any other refuses it.
    ///
    /// ```
    /// let delta = admit::revocation_list::RevocationListBuilder::delta(41, 42);
    /// # let _ = delta;
    /// ```
    pub fn delta(base: u64, sequence: u64) -> RevocationListBuilder {
        RevocationListBuilder {
            base: Some(base),
            ..RevocationListBuilder::full(sequence)
        }
    }

    /// When the list is made (now by default).
    pub fn issued_at(mut self, time: OffsetDateTime) -> RevocationListBuilder {
        self.issued_at = Some(time);
        self
    }

    /// When the next list is due (five minutes after `issued_at` by default). Verifiers fail
    /// closed once it (plus their grace) has passed, so publish before it.
    pub fn next_update(mut self, time: OffsetDateTime) -> RevocationListBuilder {
        self.next_update = Some(time);
        self
    }

    /// Adds a revoked invitation, which matters until `keep_until` (its expiry plus the
    /// verifier's leeway at least; `None`: forever).
    pub fn revoke(mut self, id: InvitationId, keep_until: Option<OffsetDateTime>) -> Self {
        add(&mut self.revoked, id, keep_until);
        self
    }

    /// Adds a used-up invitation (all its uses taken), so a page at the edge can say "already
    /// used". Calling it at all makes the list carry the used-up set, even if empty.
    pub fn used_up(mut self, id: InvitationId, keep_until: Option<OffsetDateTime>) -> Self {
        add(
            self.used_up.get_or_insert_with(BTreeMap::new),
            id,
            keep_until,
        );
        self
    }

    /// Makes the list carry the used-up set even when no ID is in it (a publisher that
    /// tracks used-up invitations says so: "none").
    pub fn with_used_up(mut self) -> RevocationListBuilder {
        self.used_up.get_or_insert_with(BTreeMap::new);
        self
    }

    /// Adds a rule: every invitation issued before `cutoff` (by `inviter`, or by anyone) is
    /// revoked. Two rules for one inviter keep the later cut-off.
    pub fn rule(mut self, inviter: Option<&str>, cutoff: OffsetDateTime) -> Self {
        let ms = i64::try_from(cutoff.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
        let slot = self
            .rules
            .entry(inviter.unwrap_or_default().to_owned())
            .or_insert(ms);
        *slot = (*slot).max(ms);
        self
    }

    /// Encodes and signs the list for `context` (the one its tokens are minted for); its
    /// text (unpadded base64url), ready to publish.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a sequence of 0, a delta whose base is not below its
    /// sequence, `next_update` not after `issued_at`, a time outside the years 1970–9999, or a
    /// rule's inviter over 64 bytes; [`Error::RevocationListRefused`] (too large) for more
    /// than [`MAX_IDS`](super::MAX_IDS) IDs in a set or [`MAX_RULES`](super::MAX_RULES)
    /// rules; [`Error::InvalidContext`] for a bad context.
    pub fn sign(&self, key: &SigningKey, context: &str) -> Result<String, Error> {
        self.sign_bytes(key, context)
            .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
    }

    /// As [`sign`](Self::sign), the bytes before base64.
    pub(crate) fn sign_bytes(&self, key: &SigningKey, context: &str) -> Result<Vec<u8>, Error> {
        let prefix = signing_prefix(context)?;
        let body = self.body(key)?;
        let signature = crate::sig::sign_parts(key, &prefix, &body)?;
        let mut out = body;
        out.extend_from_slice(&signature);
        Ok(out)
    }

    fn body(&self, key: &SigningKey) -> Result<Vec<u8>, Error> {
        let invalid = |reason| Error::InvalidArgument {
            name: "revocation list",
            reason,
        };
        let issued = self.issued_at.unwrap_or_else(OffsetDateTime::now_utc);
        let next = self.next_update.unwrap_or(issued + Duration::minutes(5));
        let in_range = |t: OffsetDateTime| {
            u64::try_from(t.unix_timestamp())
                .ok()
                .filter(|&s| s <= MAX_UNIX)
        };
        let (Some(issued_s), Some(next_s)) = (in_range(issued), in_range(next)) else {
            return Err(invalid("times must lie in the years 1970 to 9999"));
        };
        if next_s <= issued_s {
            return Err(invalid(
                "next_update must be at least a second after issued_at",
            ));
        }
        if self.sequence == 0 {
            return Err(invalid("the sequence must be at least 1"));
        }
        if self.base.is_some_and(|base| base >= self.sequence) {
            return Err(invalid("a delta's base must be below its sequence"));
        }
        let too_large = Error::RevocationListRefused {
            problem: ListProblem::TooLarge,
        };
        if self.rules.len() > MAX_RULES {
            return Err(too_large);
        }
        let mut w = Writer::default();
        w.byte(LIST_MAGIC);
        w.byte(LIST_VERSION);
        w.bytes(&key.key_id().to_bytes());
        let mut flags = 0;
        if self.base.is_some() {
            flags |= FLAG_DELTA;
        }
        if self.used_up.is_some() {
            flags |= FLAG_USED_UP;
        }
        w.byte(flags);
        w.varint(issued_s);
        w.varint(next_s);
        w.varint(self.sequence);
        if let Some(base) = self.base {
            w.varint(base);
        }
        w.varint(self.rules.len() as u64);
        for (inviter, cutoff_ms) in &self.rules {
            if inviter.len() > 64 {
                return Err(invalid("a rule's inviter must be at most 64 bytes"));
            }
            let ms = u64::try_from(*cutoff_ms)
                .ok()
                .filter(|&ms| ms <= MAX_UNIX * 1000 + 999)
                .ok_or(invalid("times must lie in the years 1970 to 9999"))?;
            w.varint(ms);
            w.string(inviter);
        }
        let issued_s = i64::try_from(issued_s).unwrap_or(i64::MAX);
        for set in core::iter::once(Some(&self.revoked)).chain([self.used_up.as_ref()]) {
            let Some(set) = set else { continue };
            let raw = kept(set, issued_s);
            if raw.len() > MAX_IDS {
                return Err(too_large);
            }
            id_set::write(&mut w, &raw);
        }
        Ok(w.out)
    }
}

fn add(
    set: &mut BTreeMap<[u8; ID_LEN], Option<i64>>,
    id: InvitationId,
    keep_until: Option<OffsetDateTime>,
) {
    let keep = keep_until.map(|t| t.unix_timestamp());
    let slot = set.entry(id.to_bytes()).or_insert(keep);
    // The same ID twice: it matters as long as either says.
    *slot = match (*slot, keep) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    };
}

const MAX_UNIX_I64: i64 = MAX_UNIX as i64;

/// The entries that still matter at `issued_s`, each with its hours after it (rounded up,
/// at least 1; 0 for "always").
fn kept(set: &BTreeMap<[u8; ID_LEN], Option<i64>>, issued_s: i64) -> Vec<id_set::Raw> {
    set.iter()
        .filter_map(|(id, keep)| match keep {
            None => Some((*id, 0)),
            Some(until) if *until > issued_s => {
                // Rounded up to the hour, never past the year 9999 (FORMAT.md R.4); in the
                // last hour before it, "always" (0), which keeps the ID as long as anything.
                let limit = MAX_UNIX_I64.saturating_sub(issued_s) / 3600;
                let seconds = u64::try_from(until - issued_s).unwrap_or(u64::MAX);
                Some((
                    *id,
                    seconds
                        .div_ceil(3600)
                        .min(u64::try_from(limit).unwrap_or(0)),
                ))
            }
            Some(_) => None,
        })
        .collect()
}
