//! What a store reports: redemptions, the status of one invitation, the registry behind
//! [`Store::list`](super::Store::list), visits.

use time::OffsetDateTime;

use super::RevocationRule;
use super::list::ListCursor;
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

    /// Whether it has expired by `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }

    /// Where the next page of [`Store::list`](super::Store::list) starts when this invitation
    /// is the last one of a page ([`ListFilter::after`](super::ListFilter::after)), in either
    /// order (it holds the expiry and the issue time).
    pub fn cursor(&self) -> ListCursor {
        ListCursor::of(self.expires_at, self.issued_at, self.id)
    }
}

/// One visit to an invitation link ([`Visits::record_visit`](super::Visits::record_visit)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Visit {
    /// When.
    pub at: OffsetDateTime,
    /// What the application recorded.
    pub metadata: String,
}
