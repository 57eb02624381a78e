//! The store's values as the SQL tables keep them (Unix milliseconds, 12-byte IDs, `INTEGER`
//! counts), and read back.

use time::OffsetDateTime;

use super::io::{Io, Sql, need};
use crate::error::Error;
use crate::invitation::InvitationId;
use crate::store::{IssuedInvitation, RevocationRule, from_unix_ms};

/// A time the store wrote (Unix milliseconds), read back.
pub(crate) fn time_of(ms: i64) -> Sql<OffsetDateTime> {
    from_unix_ms(ms).ok_or_else(|| sqlx::Error::Decode("a stored time is out of range".into()))
}

/// A claim time the store copied from a token (Unix seconds), read back.
fn seconds(s: i64) -> Sql<OffsetDateTime> {
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

/// An invitation ID read back from its primary key.
pub(crate) fn id_of(raw: &[u8]) -> Sql<InvitationId> {
    <[u8; 12]>::try_from(raw)
        .map(InvitationId::from_bytes)
        .map_err(|_| sqlx::Error::Decode("a stored ID is not 12 bytes".into()))
}

/// The scope of a rule row: `*` (everyone) or `i:` and the inviter.
pub(crate) fn scope_of(inviter: Option<&str>) -> String {
    inviter.map_or_else(|| "*".to_owned(), |i| format!("i:{i}"))
}

/// A rule row (`scope`, `cutoff_ms`).
pub(crate) fn rule_of<DB: Io>(row: &DB::Row) -> Sql<RevocationRule> {
    let scope = need(DB::text(row, "scope")?)?;
    let at = time_of(need(DB::int(row, "cutoff_ms")?)?)?;
    Ok(RevocationRule::new(at, scope.strip_prefix("i:")))
}

/// A time column that may be NULL.
pub(crate) fn opt_time<DB: Io>(row: &DB::Row, column: &str) -> Sql<Option<OffsetDateTime>> {
    DB::int(row, column)?.map(time_of).transpose()
}

/// The registry entry of a row that was recorded (columns `rec_*`).
pub(crate) fn issued_from<DB: Io>(
    row: &DB::Row,
    id: InvitationId,
    uses: u32,
    revoked_at: Option<OffsetDateTime>,
    revoked_by_rule: Option<RevocationRule>,
) -> Sql<IssuedInvitation> {
    Ok(IssuedInvitation {
        id,
        issued_at: seconds(DB::int(row, "rec_issued_s")?.unwrap_or(0))?,
        expires_at: DB::int(row, "rec_expires_s")?.map(seconds).transpose()?,
        email: DB::text(row, "rec_email")?,
        max_uses: limit(DB::small(row, "rec_max_uses")?),
        inviter: DB::text(row, "rec_inviter")?,
        description: DB::text(row, "rec_description")?,
        uses,
        revoked_at,
        revoked_by_rule,
    })
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
