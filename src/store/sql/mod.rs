//! What the SQL stores (PostgreSQL, SQLite) share: the arguments of a call as the database
//! stores them (Unix milliseconds, 12-byte IDs), the answers a transaction can give, and rows
//! read back as the store's types.

use sqlx::{ColumnIndex, Decode, Row, Type};
use time::{Duration, OffsetDateTime};

use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};
use crate::store::{
    IssuedInvitation, Redemption, RevocationRule, check_joiner, forget_at, from_unix_ms,
    refuse_if_forgotten, unix_ms,
};

/// The table prefix of the SQL stores unless configured otherwise: tables are
/// `admit_invitations`, … .
pub const DEFAULT_TABLE_PREFIX: &str = "admit_";
/// The version of the schema the SQL stores write and read (in the `meta` table).
pub const SCHEMA_VERSION: u32 = 1;

pub(crate) mod ops;
pub(crate) mod store_impl;

pub(crate) type Sql<T> = Result<T, sqlx::Error>;

/// A time the store wrote (Unix milliseconds), read back.
pub(crate) fn time_of(ms: i64) -> Sql<OffsetDateTime> {
    from_unix_ms(ms).ok_or_else(|| sqlx::Error::Decode("a stored time is out of range".into()))
}

/// A claim time the store copied from a token (Unix seconds), read back.
pub(crate) fn seconds(s: i64) -> Sql<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(s)
        .map_err(|_| sqlx::Error::Decode("a stored time is out of range".into()))
}

/// A stored count; never negative, as the store only ever adds one.
pub(crate) fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// A stored use limit.
pub(crate) fn limit(n: Option<i32>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok())
}

/// A count or limit as the INTEGER column stores it (limits are at most `u32::MAX` by the
/// format; past `i32::MAX` nobody will ever redeem, so the cap changes no answer).
pub(crate) fn as_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// An invitation's primary key.
pub(crate) fn key(id: InvitationId) -> Vec<u8> {
    id.to_bytes().to_vec()
}

/// An invitation ID read back from its primary key.
pub(crate) fn id_of(raw: &[u8]) -> Sql<InvitationId> {
    <[u8; 12]>::try_from(raw)
        .map(InvitationId::from_bytes)
        .map_err(|_| sqlx::Error::Decode("a stored ID is not 12 bytes".into()))
}

/// A rule row: scope `*` (everyone) or `i:` and the inviter.
pub(crate) fn rule_of(scope: &str, cutoff_ms: i64) -> Sql<RevocationRule> {
    Ok(RevocationRule::new(
        time_of(cutoff_ms)?,
        scope.strip_prefix("i:"),
    ))
}

/// The scope of a rule row for one inviter, or everyone.
pub(crate) fn scope_of(inviter: Option<&str>) -> String {
    inviter.map_or_else(|| "*".to_owned(), |i| format!("i:{i}"))
}

/// Checks a table prefix before it is written into SQL.
pub(crate) fn check_prefix(prefix: &str) -> Result<(), Error> {
    let ok = !prefix.is_empty()
        && prefix.len() <= 32
        && prefix.starts_with(|c: char| c.is_ascii_lowercase())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument {
            name: "prefix",
            reason: "must be 1 to 32 lowercase letters, digits or underscores, starting with a \
                     letter",
        })
    }
}

/// What a transaction found that is an answer, not a database failure.
pub(crate) enum Answer<T> {
    Done(T),
    NotInitialized,
    Revoked,
    UsedUp,
    CodeTaken,
    UnknownCode,
}

impl<T> Answer<T> {
    pub(crate) fn into_result(self, max_uses: Option<u32>) -> Result<T, Error> {
        match self {
            Answer::Done(value) => Ok(value),
            Answer::NotInitialized => Err(Error::StoreNotInitialized),
            Answer::Revoked => Err(Error::Revoked),
            Answer::UsedUp => Err(Error::UsedUp {
                max_uses: max_uses.unwrap_or(0),
            }),
            Answer::CodeTaken => Err(Error::CodeTaken),
            Answer::UnknownCode => Err(Error::UnknownCode),
        }
    }
}

/// One redemption, as the database stores it.
pub(crate) struct RedeemArgs {
    pub(crate) id: Vec<u8>,
    pub(crate) joiner: String,
    pub(crate) now: i64,
    pub(crate) until: Option<i64>,
    pub(crate) max: Option<i32>,
    pub(crate) issued_s: i64,
    pub(crate) inviter: Option<String>,
}

impl RedeemArgs {
    /// Checks the joiner and refuses an invitation whose state may already be forgotten.
    pub(crate) fn new(
        invitation: &Invitation,
        joiner: &str,
        margin: Duration,
        now: OffsetDateTime,
    ) -> Result<RedeemArgs, Error> {
        check_joiner(joiner)?;
        refuse_if_forgotten(invitation, margin, now)?;
        Ok(RedeemArgs {
            id: key(invitation.id()),
            joiner: joiner.to_owned(),
            now: unix_ms(now),
            until: forget_at(invitation, margin).map(unix_ms),
            max: invitation.max_uses().map(as_i32),
            issued_s: invitation.issued_at().unix_timestamp(),
            inviter: invitation.inviter().map(str::to_owned),
        })
    }
}

/// How a redemption ended, as the database reports it.
pub(crate) mod outcome {
    pub(crate) const COUNTED: i32 = 0;
    pub(crate) const REVOKED: i32 = 1;
    pub(crate) const USED_UP: i32 = 2;
    pub(crate) const NOT_INITIALIZED: i32 = 3;
    pub(crate) const REPEATED: i32 = 4;
}

/// A redemption's `(outcome, uses, joined_at)` as a [`Redemption`] or the error it names.
pub(crate) fn redemption(
    (code, uses, joined_at): (i32, i32, i64),
    invitation: &Invitation,
) -> Result<Redemption, Error> {
    let unexpected = || Error::StoreUnavailable {
        reason: "redeeming: unexpected answer from the database".into(),
    };
    match code {
        outcome::COUNTED | outcome::REPEATED => Ok(Redemption {
            uses: count(uses),
            joined_at: time_of(joined_at).map_err(|_| unexpected())?,
            repeated: code == outcome::REPEATED,
        }),
        outcome::REVOKED => Err(Error::Revoked),
        outcome::USED_UP => Err(Error::UsedUp {
            max_uses: invitation.max_uses().unwrap_or(0),
        }),
        outcome::NOT_INITIALIZED => Err(Error::StoreNotInitialized),
        _ => Err(unexpected()),
    }
}

/// A registry entry, as `record_issued` stores it.
pub(crate) struct Record {
    pub(crate) id: Vec<u8>,
    pub(crate) now: i64,
    pub(crate) until: Option<i64>,
    pub(crate) issued_s: i64,
    pub(crate) expires_s: Option<i64>,
    pub(crate) email: Option<String>,
    pub(crate) max: Option<i32>,
    pub(crate) inviter: Option<String>,
    pub(crate) description: Option<String>,
}

impl Record {
    pub(crate) fn new(
        invitation: &Invitation,
        description: Option<&str>,
        margin: Duration,
        now: OffsetDateTime,
    ) -> Record {
        Record {
            id: key(invitation.id()),
            now: unix_ms(now),
            until: forget_at(invitation, margin).map(unix_ms),
            issued_s: invitation.issued_at().unix_timestamp(),
            expires_s: invitation.expires_at().map(OffsetDateTime::unix_timestamp),
            email: invitation.email().map(str::to_owned),
            max: invitation.max_uses().map(as_i32),
            inviter: invitation.inviter().map(str::to_owned),
            description: description.map(str::to_owned),
        }
    }
}

/// The registry entry of a row that was recorded (columns `rec_*`).
pub(crate) fn issued_from<R>(
    row: &R,
    id: InvitationId,
    uses: u32,
    revoked_at: Option<OffsetDateTime>,
    revoked_by_rule: Option<RevocationRule>,
) -> Sql<IssuedInvitation>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database>,
    for<'r> i32: Decode<'r, R::Database>,
    for<'r> String: Decode<'r, R::Database>,
    i64: Type<R::Database>,
    i32: Type<R::Database>,
    String: Type<R::Database>,
{
    Ok(IssuedInvitation {
        id,
        issued_at: seconds(row.try_get::<Option<i64>, _>("rec_issued_s")?.unwrap_or(0))?,
        expires_at: row
            .try_get::<Option<i64>, _>("rec_expires_s")?
            .map(seconds)
            .transpose()?,
        email: row.try_get("rec_email")?,
        max_uses: limit(row.try_get("rec_max_uses")?),
        inviter: row.try_get("rec_inviter")?,
        description: row.try_get("rec_description")?,
        uses,
        revoked_at,
        revoked_by_rule,
    })
}

/// The clock's time, to the millisecond (what the tables store).
pub(crate) fn to_millis(now: OffsetDateTime) -> OffsetDateTime {
    now.replace_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(now)
}

/// Whether `found` (the `schema` value of the meta table) is newer than this library's schema.
pub(crate) fn is_newer(found: Option<&str>) -> bool {
    found.is_some_and(|v| v.parse::<u32>().map_or(true, |v| v > SCHEMA_VERSION))
}

/// What `migrate()` answers: done, or refused because the database holds a newer schema.
pub(crate) fn migrated(newer: Option<String>) -> Result<(), Error> {
    match newer {
        Some(version) => Err(Error::StoreMisconfigured {
            setting: "schema",
            found: format!("schema version {version}, newer than this library's"),
            fix: "upgrade admit before using this database",
        }),
        None => Ok(()),
    }
}

/// What went wrong, in words that hold nothing of the query or its parameters.
pub(crate) fn kind(e: &sqlx::Error) -> &'static str {
    match e {
        sqlx::Error::Io(_) => "connection failed",
        sqlx::Error::Tls(_) => "TLS failed",
        sqlx::Error::Protocol(_) => "protocol error",
        sqlx::Error::PoolClosed => "the pool is closed",
        sqlx::Error::WorkerCrashed => "the connection worker crashed",
        sqlx::Error::Configuration(_) => "bad configuration",
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => "unexpected data",
        _ => "database error",
    }
}
