//! Revocation lists: signed snapshots (and deltas) of what a store revoked, which verifiers
//! check offline — the document of `FORMAT.md`, "Revocation list, version 1".
//!
//! A store knows which invitations were revoked; a verifier at the edge holds only public keys.
//! A [`RevocationList`] carries the store's revocations to it: the revoked IDs that still
//! matter (each with how long), the revocation rules, optionally the used-up IDs, a sequence
//! number and a time by which the next list is due. [`RevocationListBuilder`] makes and signs
//! one; [`Revocations`] loads lists (and deltas) for a [`Verifier`](crate::Verifier), refusing
//! one older than what it holds, and fails closed when its list is overdue.
//!
//! # Examples
//!
//! ```
//! # #[cfg(feature = "rand")] {
//! use admit::revocation_list::{RevocationListBuilder, Revocations};
//! use admit::{Error, Invitation, Issuer, SigningKey, Verifier};
//! use time::{Duration, OffsetDateTime};
//!
//! let key = SigningKey::from_bytes(&[7; 32]);
//! let issuer = Issuer::new(key.clone(), "acme/invite")?;
//! let token = issuer.mint(Invitation::builder())?;
//! let now = OffsetDateTime::now_utc();
//!
//! // Where the store is: publish the list (here by hand), every minute or so.
//! let list = RevocationListBuilder::full(1)
//!     .issued_at(now)
//!     .next_update(now + Duration::minutes(5))
//!     .revoke(token.invitation().id(), token.invitation().expires_at())
//!     .sign(&key, "acme/invite")?;
//!
//! // At the edge: load it, and verify with it.
//! let revocations = Revocations::new(key.verifying_key(), "acme/invite")?;
//! revocations.load(&list)?;
//! let verifier = Verifier::new(key.verifying_key(), "acme/invite")?.revocations(revocations);
//! assert_eq!(verifier.verify(token.as_str()), Err(Error::Revoked));
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod builder;
mod id_index;
mod id_set;
mod publish;
mod revocations;
mod wire;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;

pub use builder::RevocationListBuilder;
pub use publish::{DEFAULT_PUBLISHER, Published, Publisher};
pub use revocations::{DEFAULT_GRACE, Loaded, Revocations};

use crate::error::{Error, ListProblem};
use crate::invitation::InvitationId;
use crate::key::{KeyId, KeySet};
use crate::sig::Context;
use wire::Reader;

/// The first byte of every revocation list (`R`): no token starts with it.
pub const LIST_MAGIC: u8 = 0x52;

/// The list format version this library reads and writes.
pub const LIST_VERSION: u8 = 1;

/// The domain tag of a list's signature (a token's is `admit.invitation.v1`): a signature over
/// one is never valid over the other.
const DOMAIN: &[u8; 21] = b"admit.revocations.v1\x00";

/// The most IDs in one set of a list (revoked, or used up): 2^20.
pub const MAX_IDS: usize = 1 << 20;

/// The most rules in a list.
pub const MAX_RULES: usize = 4096;

/// The longest list text [`Revocations`] loads by default: 16 MiB (about 1.2 million IDs).
pub const MAX_LIST_TEXT: usize = 16 << 20;

/// The latest time the format carries: 9999-12-31T23:59:59Z.
const MAX_UNIX: u64 = 253_402_300_799;

/// Header (magic, version, key ID, flags) and signature: the least a list can be.
const HEADER_LEN: usize = 7;
const SIGNATURE_LEN: usize = 64;

const FLAG_DELTA: u8 = 0x01;
const FLAG_USED_UP: u8 = 0x02;

fn bad(reason: &'static str) -> Error {
    Error::RevocationListRefused {
        problem: ListProblem::Malformed { reason },
    }
}

fn refused(problem: ListProblem) -> Error {
    Error::RevocationListRefused { problem }
}

/// A time from Unix milliseconds (at most the format's latest, checked when read or built).
fn time_of_ms(ms: u64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn unix(seconds: u64) -> OffsetDateTime {
    // Every stored time is checked to be at most MAX_UNIX when read or built.
    crate::invitation::unix_time(i64::try_from(seconds).unwrap_or(0))
}

/// A revocation rule in a list: every invitation issued before `cutoff` (by `inviter`, or by
/// anyone) is revoked.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListRule {
    /// Whose invitations (`None`: everyone's).
    pub inviter: Option<String>,
    /// Invitations issued in a second that starts before this are revoked (to the
    /// millisecond, as the store keeps rules).
    pub cutoff: OffsetDateTime,
}

/// An ID in a list, with the time after which it no longer matters (its invitation has
/// expired, margin included; `None`: never).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListEntry {
    /// The invitation.
    pub id: InvitationId,
    /// After this, a publisher leaves the ID out (`None`: it stays).
    pub keep_until: Option<OffsetDateTime>,
}

/// A decoded revocation list (or delta): see the [module](self) and `FORMAT.md`.
///
/// [`RevocationList::verify`] decodes and checks the signature; [`Revocations::load`] does
/// that and also checks the sequence against what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevocationList {
    key_id: KeyId,
    base: Option<u64>,
    sequence: u64,
    issued_s: u64,
    next_update_s: u64,
    rules: Vec<(String, u64)>,
    revoked: Vec<id_set::Raw>,
    used_up: Option<Vec<id_set::Raw>>,
}

impl RevocationList {
    /// Decodes list text and checks its signature against `keys` for `context`.
    ///
    /// # Errors
    ///
    /// [`Error::RevocationListRefused`]: malformed or non-canonical, too large, another
    /// version, an unknown key, a bad signature (also: a list made for another context);
    /// [`Error::InvalidContext`] for a bad `context`.
    ///
    /// # Examples
    ///
    /// ```
    /// use admit::revocation_list::{RevocationList, RevocationListBuilder};
    /// use admit::{Error, ListProblem, SigningKey};
    ///
    /// let key = SigningKey::from_bytes(&[7; 32]);
    /// let text = RevocationListBuilder::full(3).sign(&key, "acme/invite")?;
    /// let list = RevocationList::verify(&text, &key.verifying_key().into(), "acme/invite")?;
    /// assert_eq!(list.sequence(), 3);
    /// let other = RevocationList::verify(&text, &key.verifying_key().into(), "acme/reset");
    /// assert_eq!(other, Err(Error::RevocationListRefused { problem: ListProblem::BadSignature }));
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn verify(text: &str, keys: &KeySet, context: &str) -> Result<RevocationList, Error> {
        let prefix = signing_prefix(context)?;
        Self::verify_with(text, keys, &prefix, MAX_LIST_TEXT).map(|(list, _)| list)
    }

    /// Decodes, checks the signature; the list and its bytes.
    fn verify_with(
        text: &str,
        keys: &KeySet,
        prefix: &[u8],
        max_len: usize,
    ) -> Result<(RevocationList, Vec<u8>), Error> {
        let (list, bytes) = decode_text(text, max_len)?;
        let entry = keys
            .entry(list.key_id)
            .ok_or(refused(ListProblem::UnknownKey {
                key_id: list.key_id,
            }))?;
        let (body, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
        let signature: &[u8; SIGNATURE_LEN] = signature
            .try_into()
            .map_err(|_| refused(ListProblem::BadSignature))?;
        crate::sig::verify_parts(entry, &[prefix, body], signature)
            .map_err(|_| refused(ListProblem::BadSignature))?;
        Ok((list, bytes))
    }

    /// Decodes list text **without checking its signature**: to look at a list (`admit
    /// revocations inspect`), never to trust one.
    ///
    /// # Errors
    ///
    /// [`Error::RevocationListRefused`] when it is malformed, too large or another version.
    ///
    /// ```
    /// use admit::revocation_list::{RevocationList, RevocationListBuilder};
    ///
    /// let key = admit::SigningKey::from_bytes(&[7; 32]);
    /// let text = RevocationListBuilder::delta(3, 4).sign(&key, "acme/invite")?;
    /// let list = RevocationList::inspect_unverified(&text)?;
    /// assert_eq!((list.base(), list.sequence()), (Some(3), 4));
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn inspect_unverified(text: &str) -> Result<RevocationList, Error> {
        decode_text(text, MAX_LIST_TEXT).map(|(list, _)| list)
    }

    /// The ID of the key that signed it.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// Its sequence number: each list a publisher makes has a higher one.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// For a delta, the sequence of the list it extends; `None` for a full list.
    pub fn base(&self) -> Option<u64> {
        self.base
    }

    /// When it was made.
    pub fn issued_at(&self) -> OffsetDateTime {
        unix(self.issued_s)
    }

    /// When the next list is due: past this (plus a grace), verifiers holding it fail closed.
    pub fn next_update(&self) -> OffsetDateTime {
        unix(self.next_update_s)
    }

    /// Its rules, everyone's first, then by inviter.
    pub fn rules(&self) -> Vec<ListRule> {
        self.rules
            .iter()
            .map(|(inviter, cutoff_ms)| ListRule {
                inviter: (!inviter.is_empty()).then(|| inviter.clone()),
                cutoff: time_of_ms(*cutoff_ms),
            })
            .collect()
    }

    /// The revoked IDs, in ascending order.
    pub fn revoked(&self) -> Vec<ListEntry> {
        self.entries(&self.revoked)
    }

    /// The used-up IDs, when the list carries them.
    pub fn used_up(&self) -> Option<Vec<ListEntry>> {
        self.used_up.as_ref().map(|set| self.entries(set))
    }

    fn entries(&self, set: &[id_set::Raw]) -> Vec<ListEntry> {
        set.iter()
            .map(|(id, keep)| ListEntry {
                id: InvitationId::from_bytes(*id),
                keep_until: (*keep > 0)
                    .then(|| unix(self.issued_s.saturating_add(keep.saturating_mul(3600)))),
            })
            .collect()
    }
}

/// `DOMAIN ‖ len(context) ‖ context`: what a list's signed message starts with.
fn signing_prefix(context: &str) -> Result<Vec<u8>, Error> {
    let context = Context::new(context)?;
    let name = context.as_str().as_bytes();
    let mut prefix = Vec::with_capacity(DOMAIN.len() + 1 + name.len());
    prefix.extend_from_slice(DOMAIN);
    prefix.push(u8::try_from(name.len()).map_err(|_| Error::InvalidContext {
        reason: "context must be at most 255 bytes",
    })?);
    prefix.extend_from_slice(name);
    Ok(prefix)
}

/// Text → bytes → list: size, base64url, then the body.
fn decode_text(text: &str, max_len: usize) -> Result<(RevocationList, Vec<u8>), Error> {
    if text.len() > max_len {
        return Err(refused(ListProblem::TooLarge));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(text.as_bytes())
        .map_err(|_| bad("not canonical unpadded base64url"))?;
    let list = decode(&bytes)?;
    Ok((list, bytes))
}

/// Reads a list's bytes (body and signature), checking every rule of the format.
fn decode(bytes: &[u8]) -> Result<RevocationList, Error> {
    if bytes.len() < 2 || bytes[0] != LIST_MAGIC {
        return Err(bad("not a revocation list (the first byte is not 0x52)"));
    }
    if bytes[1] != LIST_VERSION {
        return Err(refused(ListProblem::UnsupportedVersion {
            version: bytes[1],
        }));
    }
    if bytes.len() < HEADER_LEN + SIGNATURE_LEN {
        return Err(bad("too short"));
    }
    let mut r = Reader::new(&bytes[..bytes.len() - SIGNATURE_LEN]);
    r.bytes(2)?;
    let key_id = KeyId::from_bytes(r.bytes(4)?.try_into().map_err(|_| bad("too short"))?);
    let flags = r.byte()?;
    if flags & !(FLAG_DELTA | FLAG_USED_UP) != 0 {
        return Err(bad("unknown flag bits"));
    }
    let issued_s = r.varint()?;
    let next_update_s = r.varint()?;
    let sequence = r.varint()?;
    if issued_s > MAX_UNIX || next_update_s > MAX_UNIX {
        return Err(bad("a time is past the year 9999"));
    }
    if next_update_s <= issued_s {
        return Err(bad("next_update is not after issued_at"));
    }
    if sequence == 0 {
        return Err(bad("the sequence is zero"));
    }
    let base = if flags & FLAG_DELTA != 0 {
        let base = r.varint()?;
        if base >= sequence {
            return Err(bad("a delta's base is not below its sequence"));
        }
        Some(base)
    } else {
        None
    };
    let count = usize::try_from(r.varint()?).unwrap_or(usize::MAX);
    if count > MAX_RULES {
        return Err(refused(ListProblem::TooLarge));
    }
    let mut rules: Vec<(String, u64)> = Vec::with_capacity(count.min(r.left() / 2));
    for _ in 0..count {
        let cutoff_ms = r.varint()?;
        let inviter = r.string()?;
        if cutoff_ms > MAX_UNIX * 1000 + 999 {
            return Err(bad("a rule's cut-off is past the year 9999"));
        }
        if inviter.len() > 64 {
            return Err(bad("a rule's inviter is over 64 bytes"));
        }
        if rules
            .last()
            .is_some_and(|(last, _)| last.as_str() >= inviter)
        {
            return Err(bad(
                "rules are not in ascending order of inviter, or repeat one",
            ));
        }
        rules.push((inviter.to_owned(), cutoff_ms));
    }
    let revoked = id_set::read(&mut r, issued_s)?;
    let used_up = if flags & FLAG_USED_UP != 0 {
        Some(id_set::read(&mut r, issued_s)?)
    } else {
        None
    };
    if r.left() != 0 {
        return Err(bad("bytes left over after the last set"));
    }
    Ok(RevocationList {
        key_id,
        base,
        sequence,
        issued_s,
        next_update_s,
        rules,
        revoked,
        used_up,
    })
}

#[cfg(test)]
mod tests;
