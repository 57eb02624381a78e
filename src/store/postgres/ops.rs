//! The database work of each store call: one `async fn` per call, on a connection inside the
//! transaction [`run!`](super::run) opened.

use sqlx::PgConnection;
use sqlx::Row as _;

use super::queries::Queries;
use crate::store::sql::ops::shared_ops;
use crate::store::sql::{Answer, RedeemArgs, Sql, as_i32};

shared_ops!(sqlx::PgConnection, sqlx::postgres::PgRow);

/// The row of `id`, live: an expired one dropped first, then created, or its forget-at time
/// lengthened (the `touch` function).
async fn touch(
    conn: &mut PgConnection,
    q: &Queries,
    id: &[u8],
    now: i64,
    until: Option<i64>,
) -> Sql<()> {
    sqlx::query(&q.touch)
        .bind(id)
        .bind(now)
        .bind(until)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn redeem_in(
    conn: &mut PgConnection,
    q: &Queries,
    a: RedeemArgs,
) -> Sql<(i32, i32, i64)> {
    let r = sqlx::query(&q.redeem)
        .bind(a.id)
        .bind(a.joiner)
        .bind(a.now)
        .bind(a.until)
        .bind(a.max)
        .bind(a.issued_s)
        .bind(a.inviter)
        .fetch_one(&mut *conn)
        .await?;
    Ok((
        r.try_get("o_outcome")?,
        r.try_get("o_uses")?,
        r.try_get("o_joined_at")?,
    ))
}

pub(super) async fn check_in(
    conn: &mut PgConnection,
    q: &Queries,
    id: Vec<u8>,
    now: i64,
    issued_s: i64,
    inviter: Option<String>,
    max_uses: Option<u32>,
) -> Sql<Answer<()>> {
    let outcome: i32 = sqlx::query_scalar(&q.check)
        .bind(id)
        .bind(now)
        .bind(max_uses.map(as_i32))
        .bind(issued_s)
        .bind(inviter)
        .fetch_one(&mut *conn)
        .await?;
    Ok(match outcome {
        0 => Answer::Done(()),
        1 => Answer::Revoked,
        2 => Answer::UsedUp,
        _ => Answer::NotInitialized,
    })
}

pub(super) async fn revoke_in(
    conn: &mut PgConnection,
    q: &Queries,
    id: Vec<u8>,
    now: i64,
    forget: Option<i64>,
) -> Sql<Answer<bool>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    sqlx::query(&q.drop_expired)
        .bind(&id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let inserted: Option<bool> = sqlx::query_scalar(&q.revoke_new)
        .bind(&id)
        .bind(now)
        .bind(forget)
        .fetch_optional(&mut *conn)
        .await?;
    if inserted.is_some() {
        return Ok(Answer::Done(true));
    }
    let already: bool = sqlx::query_scalar(&q.revoked_for_update)
        .bind(&id)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(&q.revoke_existing)
        .bind(&id)
        .bind(now)
        .bind(forget)
        .execute(&mut *conn)
        .await?;
    Ok(Answer::Done(!already))
}

pub(super) async fn health_in(conn: &mut PgConnection, q: &Queries) -> Sql<(bool, String, String)> {
    let init: bool = sqlx::query_scalar(&q.meta_exists)
        .fetch_one(&mut *conn)
        .await?;
    let init = init && initialized(conn, q).await?;
    let fsync: String = sqlx::query_scalar("SELECT current_setting('fsync')")
        .fetch_one(&mut *conn)
        .await?;
    let commit: String = sqlx::query_scalar("SELECT current_setting('synchronous_commit')")
        .fetch_one(&mut *conn)
        .await?;
    Ok((init, fsync, commit))
}
