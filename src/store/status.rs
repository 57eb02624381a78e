//! What a store reports: redemptions, the status of one invitation, the registry behind
//! [`Store::list`](super::Store::list), visits.

use time::OffsetDateTime;

use super::{MAX_LIST_LIMIT, RevocationRule, check_inviter};
use crate::error::Error;
use crate::invitation::InvitationId;

/// The outcome of a successful [`Store::redeem`](super::Store::redeem).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Redemption {
    /// How many joiners have redeemed the invitation, this one included.
    pub uses: u32,
    /// When this joiner redeemed it (the first time, if `repeated`).
    pub joined_at: OffsetDateTime,
    /// `true` when this joiner had already redeemed it: nothing was counted this time.
    pub repeated: bool,
}

/// What a store knows about one invitation ([`Store::status`](super::Store::status)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// The invitation.
    pub id: InvitationId,
    /// Whether the store holds any state for it.
    pub known: bool,
    /// How many joiners redeemed it.
    pub uses: u32,
    /// Its use limit, if it has one and the store has seen it.
    pub max_uses: Option<u32>,
    /// When it was revoked by ID, if it was.
    pub revoked_at: Option<OffsetDateTime>,
    /// The rule from [`Store::revoke_issued_before`](super::Store::revoke_issued_before) that
    /// revokes it, if one does. The store can tell once it knows the invitation's issue time
    /// and inviter: after it was redeemed or recorded.
    pub revoked_by_rule: Option<RevocationRule>,
    /// Who joined and when, earliest first.
    pub joiners: Vec<Joiner>,
    /// Registry details, if it was recorded with [`Store::record_issued`](super::Store::record_issued).
    pub issued: Option<IssuedInvitation>,
}

impl Status {
    /// What the store knows of an invitation it holds no state for.
    pub(crate) fn unknown(id: InvitationId) -> Status {
        Status {
            id,
            known: false,
            uses: 0,
            max_uses: None,
            revoked_at: None,
            revoked_by_rule: None,
            joiners: Vec::new(),
            issued: None,
        }
    }

    /// Whether it is revoked, by ID or by a rule.
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some() || self.revoked_by_rule.is_some()
    }

    /// Whether it has a use limit and has reached it.
    pub fn is_used_up(&self) -> bool {
        self.max_uses.is_some_and(|max| self.uses >= max)
    }
}

/// One joiner of an invitation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Joiner {
    /// The joiner ID given to [`Store::redeem`](super::Store::redeem).
    pub joiner: String,
    /// When it redeemed the invitation.
    pub joined_at: OffsetDateTime,
}

/// A recorded invitation, as [`Store::list`](super::Store::list) shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct IssuedInvitation {
    /// The invitation.
    pub id: InvitationId,
    /// When it was minted.
    pub issued_at: OffsetDateTime,
    /// When it expires.
    pub expires_at: Option<OffsetDateTime>,
    /// The email it is bound to.
    pub email: Option<String>,
    /// Its use limit.
    pub max_uses: Option<u32>,
    /// Who invited.
    pub inviter: Option<String>,
    /// The description given to [`Store::record_issued`](super::Store::record_issued).
    pub description: Option<String>,
    /// How many joiners redeemed it so far.
    pub uses: u32,
    /// When it was revoked by ID, if it was.
    pub revoked_at: Option<OffsetDateTime>,
    /// The revocation rule that covers it, if one does.
    pub revoked_by_rule: Option<RevocationRule>,
}

impl IssuedInvitation {
    /// Whether it is revoked, by ID or by a rule.
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some() || self.revoked_by_rule.is_some()
    }

    /// Whether it has a use limit and has reached it.
    pub fn is_used_up(&self) -> bool {
        self.max_uses.is_some_and(|max| self.uses >= max)
    }
}

/// One visit to an invitation link ([`Store::record_visit`](super::Store::record_visit)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Visit {
    /// When.
    pub at: OffsetDateTime,
    /// What the application recorded.
    pub metadata: String,
}

/// Which recorded invitations [`Store::list`](super::Store::list) returns.
///
/// # Examples
///
/// ```
/// let filter = admit::store::ListFilter::new().inviter("grace").limit(20);
/// # let _ = filter;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListFilter {
    pub(crate) inviter: Option<String>,
    pub(crate) limit: usize,
}

impl Default for ListFilter {
    fn default() -> ListFilter {
        ListFilter {
            inviter: None,
            limit: 100,
        }
    }
}

impl ListFilter {
    /// All active recorded invitations, at most 100.
    pub fn new() -> ListFilter {
        ListFilter::default()
    }

    /// Only those of this inviter.
    pub fn inviter(mut self, inviter: impl Into<String>) -> ListFilter {
        self.inviter = Some(inviter.into());
        self
    }

    /// At most this many (1 to 1000).
    pub fn limit(mut self, limit: usize) -> ListFilter {
        self.limit = limit;
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
        Ok(())
    }
}
