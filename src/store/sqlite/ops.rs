//! The database work of each store call: one `async fn` per call, on a connection inside the
//! transaction [`write!`](super::write) or [`read!`](super::read) opened. What PgStore does in
//! PL/pgSQL functions happens here, in Rust, inside one write transaction: SQLite has a single
//! writer, so the transaction alone makes a redemption atomic.

use sqlx::SqliteConnection;

use super::queries::Queries;
use crate::store::sql::ops::shared_ops;
use crate::store::sql::{Answer, RedeemArgs, Sql, count, outcome};

shared_ops!(sqlx::SqliteConnection, sqlx::sqlite::SqliteRow);

/// Deletes the row of `id` (and its joiners and visits) if it is past its forget-at time.
/// Returns the live row's `(uses, revoked)`, if there is one.
async fn live(
    conn: &mut SqliteConnection,
    q: &Queries,
    id: &[u8],
    now: i64,
) -> Sql<Option<(i32, bool)>> {
    let row: Option<(i32, bool, bool)> = sqlx::query_as(&q.row)
        .bind(id)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some((_, _, true)) => {
            for sql in [&q.drop_joiners, &q.drop_visits, &q.drop_row] {
                sqlx::query(sql).bind(id).execute(&mut *conn).await?;
            }
            Ok(None)
        }
        Some((uses, revoked, false)) => Ok(Some((uses, revoked))),
        None => Ok(None),
    }
}

/// The row of `id`, live: created, or its forget-at time lengthened.
async fn touch(
    conn: &mut SqliteConnection,
    q: &Queries,
    id: &[u8],
    now: i64,
    until: Option<i64>,
) -> Sql<()> {
    live(conn, q, id, now).await?;
    sqlx::query(&q.touch)
        .bind(id)
        .bind(until)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What the probe reads: initialized, covered by a rule, then the row's uses, revoked and
/// expired (`None`: no row), and this joiner's earlier redemption.
type Probe = (
    bool,
    bool,
    Option<i32>,
    Option<bool>,
    Option<bool>,
    Option<i64>,
);

/// A redemption: `(outcome, uses, joined_at)` as [`redemption`](crate::store::sql::redemption)
/// reads it. Runs inside a write transaction (the store's, or the application's): one
/// statement reads everything the decision needs, one round trip writes a counted redemption.
pub(super) async fn redeem_in(
    conn: &mut SqliteConnection,
    q: &Queries,
    a: RedeemArgs,
) -> Sql<(i32, i32, i64)> {
    let (init, ruled, uses, revoked, expired, earlier): Probe = sqlx::query_as(&q.probe)
        .bind(&a.id)
        .bind(a.now)
        .bind(a.issued_s)
        .bind(&a.inviter)
        .bind(&a.joiner)
        .fetch_one(&mut *conn)
        .await?;
    if !init {
        return Ok((outcome::NOT_INITIALIZED, 0, 0));
    }
    if ruled {
        return Ok((outcome::REVOKED, 0, 0));
    }
    // A row past its forget-at time is gone, with its joiners: start afresh.
    let (uses, revoked, earlier) = if expired == Some(true) {
        for sql in [&q.drop_joiners, &q.drop_visits, &q.drop_row] {
            sqlx::query(sql).bind(&a.id).execute(&mut *conn).await?;
        }
        (0, false, None)
    } else {
        (uses.unwrap_or(0), revoked.unwrap_or(false), earlier)
    };
    if revoked {
        return Ok((outcome::REVOKED, 0, 0));
    }
    if let Some(at) = earlier {
        return Ok((outcome::REPEATED, uses, at));
    }
    if let Some(max) = a.max.filter(|&max| uses >= max) {
        // Only an existing row can be at its limit (a new one has no uses).
        sqlx::query(&q.set_max)
            .bind(&a.id)
            .bind(max)
            .execute(&mut *conn)
            .await?;
        return Ok((outcome::USED_UP, uses, 0));
    }
    sqlx::query(&q.count_new)
        .bind(&a.id)
        .bind(&a.joiner)
        .bind(a.now)
        .bind(a.until)
        .bind(a.max)
        .bind(a.issued_s)
        .bind(&a.inviter)
        .execute(&mut *conn)
        .await?;
    Ok((outcome::COUNTED, uses.saturating_add(1), a.now))
}

/// Revoked or used up? One statement (the redemption's probe), nothing written.
pub(super) async fn check_in(
    conn: &mut SqliteConnection,
    q: &Queries,
    id: Vec<u8>,
    now: i64,
    issued_s: i64,
    inviter: Option<String>,
    max_uses: Option<u32>,
) -> Sql<Answer<()>> {
    let (init, ruled, uses, revoked, expired, _): Probe = sqlx::query_as(&q.probe)
        .bind(id)
        .bind(now)
        .bind(issued_s)
        .bind(inviter)
        .bind(None::<String>)
        .fetch_one(&mut *conn)
        .await?;
    Ok(if !init {
        Answer::NotInitialized
    } else if ruled {
        Answer::Revoked
    } else if expired != Some(false) {
        // No row, or one past its forget-at time: nothing to refuse.
        Answer::Done(())
    } else if revoked == Some(true) {
        Answer::Revoked
    } else if max_uses.is_some_and(|max| count(uses.unwrap_or(0)) >= max) {
        Answer::UsedUp
    } else {
        Answer::Done(())
    })
}

pub(super) async fn revoke_in(
    conn: &mut SqliteConnection,
    q: &Queries,
    id: Vec<u8>,
    now: i64,
    forget: Option<i64>,
) -> Sql<Answer<bool>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    let Some((_, already)) = live(conn, q, &id, now).await? else {
        sqlx::query(&q.revoke_new)
            .bind(&id)
            .bind(now)
            .bind(forget)
            .execute(&mut *conn)
            .await?;
        return Ok(Answer::Done(true));
    };
    sqlx::query(&q.revoke_existing)
        .bind(&id)
        .bind(now)
        .bind(forget)
        .execute(&mut *conn)
        .await?;
    Ok(Answer::Done(!already))
}

/// Initialized, the journal mode and the `synchronous` setting.
pub(super) async fn health_in(
    conn: &mut SqliteConnection,
    q: &Queries,
) -> Sql<(bool, String, i64)> {
    let init: bool = sqlx::query_scalar(&q.meta_exists)
        .fetch_one(&mut *conn)
        .await?;
    let init = init && initialized(conn, q).await?;
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await?;
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&mut *conn)
        .await?;
    Ok((init, journal, synchronous))
}

/// Deletes at most `batch` expired invitations (with their joiners and visits), codes and
/// attempt windows; the number of invitations, codes and windows deleted.
pub(super) async fn purge_in(
    conn: &mut SqliteConnection,
    q: &Queries,
    now: i64,
    batch: i64,
) -> Sql<u64> {
    let mut deleted = 0;
    for (i, sql) in q.purge.iter().enumerate() {
        let n = sqlx::query(sql)
            .bind(now)
            .bind(batch)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        // The first two delete the children of the invitations the third one deletes.
        if i >= 2 {
            deleted += n;
        }
    }
    Ok(deleted)
}
