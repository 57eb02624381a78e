//! Which recorded invitations [`Store::list`](super::Store::list) returns, and where a page
//! starts: [`ListFilter`] and [`ListCursor`].

use core::cmp::Ordering;
use core::fmt;
use core::str::FromStr;

use time::OffsetDateTime;

use super::{MAX_LIST_LIMIT, check_inviter};

/// The longest search: the longest email address.
const MAX_SEARCH_LEN: usize = 320;

/// A value as searches compare it: lower-cased by Unicode's rules. The SQL stores keep it for
/// the email and the inviter of each recorded invitation (as bytes, compared byte by byte).
pub(crate) fn fold(text: &str) -> String {
    text.to_lowercase()
}
use crate::error::Error;
use crate::invitation::InvitationId;

/// Which recorded invitations [`Store::list`](super::Store::list) returns, and how many.
///
/// Every store lists in the same order: soonest expiry first, never-expiring last, and by
/// invitation ID among those that expire in the same second. A page ends with the invitation
/// whose [`cursor`](super::IssuedInvitation::cursor) starts the next one
/// ([`after`](ListFilter::after)); a page shorter than the limit is the last.
///
/// # Examples
///
/// Every invitation of one inviter, a thousand at a time:
///
/// ```
/// # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # runtime.block_on(async {
/// use admit::store::{ListFilter, MemoryStore, Store};
///
/// let store = MemoryStore::new();
/// let mut filter = ListFilter::new().inviter("grace").limit(1000);
/// let mut all = Vec::new();
/// loop {
///     let page = store.list(&filter).await?;
///     let full = page.len() == 1000;
///     if let Some(last) = page.last() {
///         filter = filter.after(last.cursor());
///     }
///     all.extend(page);
///     if !full {
///         break;
///     }
/// }
/// # assert!(all.is_empty());
/// # Ok::<(), admit::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListFilter {
    pub(crate) inviter: Option<String>,
    /// The start of an email or an inviter, folded ([`fold`]).
    pub(crate) search: Option<String>,
    pub(crate) limit: usize,
    pub(crate) after: Option<ListCursor>,
    pub(crate) expired: bool,
    pub(crate) order: ListOrder,
}

/// The order of [`Store::list`](super::Store::list).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListOrder {
    /// Soonest expiry first, never-expiring last, then by invitation ID (the default).
    #[default]
    SoonestExpiry,
    /// Most recently issued first (to the second), then by invitation ID, highest first: where
    /// an admin looks for the invitation just sent.
    Newest,
}

impl Default for ListFilter {
    fn default() -> ListFilter {
        ListFilter {
            inviter: None,
            search: None,
            limit: 100,
            after: None,
            expired: false,
            order: ListOrder::SoonestExpiry,
        }
    }
}

impl ListFilter {
    /// The first 100 recorded invitations that have not expired.
    pub fn new() -> ListFilter {
        ListFilter::default()
    }

    /// Only those of this inviter.
    ///
    /// ```
    /// let filter = admit::store::ListFilter::new().inviter("grace");
    /// # let _ = filter;
    /// ```
    pub fn inviter(mut self, inviter: impl Into<String>) -> ListFilter {
        self.inviter = Some(inviter.into());
        self
    }

    /// Only those whose email or inviter starts with `text`, in any case (both sides are
    /// lower-cased by Unicode's rules before they are compared). Indexed on PostgreSQL and
    /// SQLite; memory and Redis compare as they read (Redis reads the whole list to fill a
    /// page, a page of its index at a time).
    ///
    /// ```
    /// let filter = admit::store::ListFilter::new().search("Ada@");
    /// # let _ = filter;
    /// ```
    pub fn search(mut self, text: impl AsRef<str>) -> ListFilter {
        let text = text.as_ref().trim();
        self.search = (!text.is_empty()).then(|| fold(text));
        self
    }

    /// Most recently issued first ([`ListOrder::Newest`]) instead of soonest expiry first. Pages
    /// go on from [`IssuedInvitation::cursor`](super::IssuedInvitation::cursor) as in the other
    /// order.
    ///
    /// ```
    /// let filter = admit::store::ListFilter::new().newest_first();
    /// # let _ = filter;
    /// ```
    pub fn newest_first(mut self) -> ListFilter {
        self.order = ListOrder::Newest;
        self
    }

    /// At most this many (1 to 1000; 100 by default).
    ///
    /// ```
    /// let filter = admit::store::ListFilter::new().limit(1000);
    /// # let _ = filter;
    /// ```
    pub fn limit(mut self, limit: usize) -> ListFilter {
        self.limit = limit;
        self
    }

    /// Only those after this one in the list's order: the next page, when `cursor` is the
    /// [`cursor`](super::IssuedInvitation::cursor) of the last invitation of this one. The
    /// invitation need not exist any more: a page starts where it would be.
    ///
    /// ```
    /// use admit::store::{ListCursor, ListFilter};
    ///
    /// let cursor: ListCursor = "1767225600.0123456789abcdef01234567".parse()?;
    /// let next = ListFilter::new().after(cursor);
    /// # let _ = next;
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn after(mut self, cursor: ListCursor) -> ListFilter {
        self.after = Some(cursor);
        self
    }

    /// Expired invitations too, first (they expire soonest), as long as the store remembers
    /// them: stores forget an invitation a margin after it expires (one hour by default, see
    /// [`MemoryStoreBuilder::margin`](super::MemoryStoreBuilder::margin)), so
    /// this shows what expired within that margin, not the whole history.
    ///
    /// ```
    /// let filter = admit::store::ListFilter::new().include_expired();
    /// # let _ = filter;
    /// ```
    pub fn include_expired(mut self) -> ListFilter {
        self.expired = true;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if !(1..=MAX_LIST_LIMIT).contains(&self.limit) {
            return Err(Error::InvalidArgument {
                name: "limit",
                reason: "must be between 1 and 1000",
            });
        }
        if let Some(inviter) = &self.inviter {
            check_inviter(inviter)?;
        }
        if self.order == ListOrder::Newest && self.after.is_some_and(|c| c.issued_s.is_none()) {
            return Err(Error::InvalidArgument {
                name: "cursor",
                reason: "a newest-first page goes on from a cursor that holds the issue time: \
                         IssuedInvitation::cursor, or <expiry>.<issued>.<id>",
            });
        }
        if let Some(search) = &self.search
            && (search.len() > MAX_SEARCH_LEN || search.chars().any(char::is_control))
        {
            return Err(Error::InvalidArgument {
                name: "search",
                reason: "must be at most 320 bytes without control characters",
            });
        }
        Ok(())
    }

    /// Whether an invitation with this email and inviter matches the search (if any).
    pub(crate) fn matches(&self, email: Option<&str>, inviter: Option<&str>) -> bool {
        let Some(search) = &self.search else {
            return true;
        };
        let starts =
            |value: Option<&str>| value.is_some_and(|v| fold(v).starts_with(search.as_str()));
        starts(email) || starts(inviter)
    }

    /// The byte range of search keys ([`fold`]) that start with the search: `[low, high)`.
    #[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]
    pub(crate) fn search_range(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        let low = self.search.as_ref()?.as_bytes().to_vec();
        let mut high = low.clone();
        // The last byte of UTF-8 text is never 0xFF, so it can always be raised by one: every
        // key that starts with `low` is below `high`, every other key at or above `low` is not.
        if let Some(last) = high.last_mut() {
            *last += 1;
        }
        Some((low, high))
    }

    /// Whether an invitation issued at `issued_at`, expiring at `expires_at`, with this ID
    /// belongs in the list at `now`, by expiry and cursor (not by inviter or search).
    pub(crate) fn admits(
        &self,
        issued_at: OffsetDateTime,
        expires_at: Option<OffsetDateTime>,
        id: InvitationId,
        now: OffsetDateTime,
    ) -> bool {
        let live = self.expired || expires_at.is_none_or(|t| now < t);
        let after = self.after.as_ref().is_none_or(|c| match self.order {
            ListOrder::SoonestExpiry => ListCursor::new(expires_at, id) > *c,
            ListOrder::Newest => {
                (issued_at.unix_timestamp(), id) < (c.issued_s.unwrap_or(i64::MIN), c.id)
            }
        });
        live && after
    }
}

/// A place in the order of [`Store::list`](super::Store::list): an expiry (to the second, or
/// never) and an invitation ID. Its text form, `1767225600.<id>` or `never.<id>`, fits in a
/// URL query, so a page of an admin list can link to the next.
///
/// # Examples
///
/// ```
/// use admit::store::ListCursor;
///
/// let cursor: ListCursor = "never.0123456789abcdef01234567".parse()?;
/// assert_eq!(cursor.expires_at(), None);
/// assert_eq!(cursor.to_string(), "never.0123456789abcdef01234567");
/// assert!("soon.0123".parse::<ListCursor>().is_err());
/// # Ok::<(), admit::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ListCursor {
    expires_s: Option<i64>,
    /// The issue second, for newest-first pages (cursors made by
    /// [`IssuedInvitation::cursor`](super::IssuedInvitation::cursor) have it).
    issued_s: Option<i64>,
    id: InvitationId,
}

impl ListCursor {
    /// The place of an invitation with this expiry and ID.
    ///
    /// ```
    /// use admit::store::ListCursor;
    /// use time::macros::datetime;
    ///
    /// let id = "0123456789abcdef01234567".parse()?;
    /// let cursor = ListCursor::new(Some(datetime!(2026-01-01 0:00 UTC)), id);
    /// assert_eq!(cursor.to_string(), "1767225600.0123456789abcdef01234567");
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn new(expires_at: Option<OffsetDateTime>, id: InvitationId) -> ListCursor {
        ListCursor {
            expires_s: expires_at.map(OffsetDateTime::unix_timestamp),
            issued_s: None,
            id,
        }
    }

    /// The place of an invitation with this expiry, issue time and ID, in either order.
    ///
    /// ```
    /// use admit::store::ListCursor;
    /// use time::macros::datetime;
    ///
    /// let id = "0123456789abcdef01234567".parse()?;
    /// let cursor = ListCursor::of(None, datetime!(2026-01-01 0:00 UTC), id);
    /// assert_eq!(cursor.to_string(), "never.1767225600.0123456789abcdef01234567");
    /// assert_eq!(cursor.to_string().parse::<ListCursor>()?, cursor);
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn of(
        expires_at: Option<OffsetDateTime>,
        issued_at: OffsetDateTime,
        id: InvitationId,
    ) -> ListCursor {
        ListCursor {
            issued_s: Some(issued_at.unix_timestamp()),
            ..ListCursor::new(expires_at, id)
        }
    }

    /// The issue time, to the second, when the cursor holds it.
    pub fn issued_at(&self) -> Option<OffsetDateTime> {
        self.issued_s
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
    }

    /// The issue second, when the cursor holds it.
    #[cfg_attr(
        not(any(feature = "postgres", feature = "sqlite", feature = "redis")),
        allow(dead_code)
    )]
    pub(crate) fn issued_s(&self) -> Option<i64> {
        self.issued_s
    }

    /// The expiry, to the second; `None` for never.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.expires_s
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
    }

    /// The expiry in Unix seconds; `None` for never.
    pub(crate) fn expires_s(&self) -> Option<i64> {
        self.expires_s
    }

    /// The invitation ID.
    pub fn id(&self) -> InvitationId {
        self.id
    }
}

impl Ord for ListCursor {
    /// Soonest expiry first, never last, then by ID.
    fn cmp(&self, other: &ListCursor) -> Ordering {
        // The issue time last: it never decides between two invitations (IDs differ), but
        // keeps the order consistent with equality.
        let key = |c: &ListCursor| (c.expires_s().is_none(), c.expires_s(), c.id, c.issued_s);
        key(self).cmp(&key(other))
    }
}

impl PartialOrd for ListCursor {
    fn partial_cmp(&self, other: &ListCursor) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ListCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expires_s {
            Some(s) => write!(f, "{s}.")?,
            None => f.write_str("never.")?,
        }
        if let Some(issued) = self.issued_s {
            write!(f, "{issued}.")?;
        }
        write!(f, "{}", self.id)
    }
}

impl FromStr for ListCursor {
    type Err = Error;

    /// Parses `<unix seconds>.<id>` or `never.<id>`, optionally with the issue second before
    /// the ID (`<expiry>.<issued>.<id>`).
    fn from_str(s: &str) -> Result<ListCursor, Error> {
        const BAD: Error = Error::InvalidArgument {
            name: "list cursor",
            reason: "expected <unix seconds>.<invitation ID> or never.<invitation ID>, \
                     optionally with <issued unix seconds>. before the ID",
        };
        // Only instants `time` can represent, so `expires_at` and `issued_at` are exact.
        let seconds = |digits: &str| {
            let s = digits.parse::<i64>().map_err(|_| BAD)?;
            OffsetDateTime::from_unix_timestamp(s).map_err(|_| BAD)?;
            Ok::<i64, Error>(s)
        };
        let mut parts = s.split('.');
        let (expiry, second, third) = (parts.next(), parts.next(), parts.next());
        if parts.next().is_some() {
            return Err(BAD);
        }
        let expires_s = match expiry.ok_or(BAD)? {
            "never" => None,
            digits => Some(seconds(digits)?),
        };
        let (issued_s, id) = match (second, third) {
            (Some(id), None) => (None, id),
            (Some(issued), Some(id)) => (Some(seconds(issued)?), id),
            _ => return Err(BAD),
        };
        let id = id.parse().map_err(|_| BAD)?;
        Ok(ListCursor {
            expires_s,
            issued_s,
            id,
        })
    }
}
