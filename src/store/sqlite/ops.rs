//! The database work of each store call: one `async fn` per call, on a connection inside the
//! transaction [`write!`](super::write) or [`read!`](super::read) opened. What PgStore does in
//! PL/pgSQL functions happens here, in Rust, inside one write transaction: SQLite has a single
//! writer, so the transaction alone makes a redemption atomic.

use sqlx::Row as _;
use sqlx::SqliteConnection;
use time::OffsetDateTime;

use super::queries::Queries;
use crate::invitation::InvitationId;
use crate::store::sql::{
    Answer, Record, RedeemArgs, Sql, count, id_of, issued_from, key, limit, outcome, rule_of,
    time_of,
};
use crate::store::{IssuedInvitation, Joiner, RevocationRule, Status, Visit, unix_ms};

async fn initialized(conn: &mut SqliteConnection, q: &Queries) -> Sql<bool> {
    sqlx::query_scalar(&q.initialized)
        .fetch_one(&mut *conn)
        .await
}

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

/// The first rule covering an invitation issued in second `issued_s` by `inviter`.
async fn rule_for(
    conn: &mut SqliteConnection,
    q: &Queries,
    issued_s: i64,
    inviter: Option<&str>,
) -> Sql<Option<RevocationRule>> {
    let row: Option<(String, i64)> = sqlx::query_as(&q.rules_for)
        .bind(issued_s)
        .bind(inviter)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|(scope, ms)| rule_of(&scope, ms)).transpose()
}

/// The rule naming why a row is revoked, when the store has seen its issue time and inviter.
async fn row_rule(
    conn: &mut SqliteConnection,
    q: &Queries,
    row: &sqlx::sqlite::SqliteRow,
) -> Sql<Option<RevocationRule>> {
    if !row.try_get::<bool, _>("seen")? {
        return Ok(None);
    }
    let issued_s: Option<i64> = row.try_get("issued_s")?;
    let inviter: Option<String> = row.try_get("inviter")?;
    rule_for(conn, q, issued_s.unwrap_or(0), inviter.as_deref()).await
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

pub(super) async fn is_revoked_in(
    conn: &mut SqliteConnection,
    q: &Queries,
    id: Vec<u8>,
    now: i64,
) -> Sql<Answer<bool>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    let row = sqlx::query(&q.live_row)
        .bind(id)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(Answer::Done(match row {
        Some(r) => r.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
        None => false,
    }))
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

pub(super) async fn raise_rule_in(
    conn: &mut SqliteConnection,
    q: &Queries,
    scope: String,
    before: i64,
) -> Sql<Answer<RevocationRule>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    let ms: i64 = sqlx::query_scalar(&q.raise_rule)
        .bind(&scope)
        .bind(before)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Answer::Done(rule_of(&scope, ms)?))
}

pub(super) async fn rules_in(
    conn: &mut SqliteConnection,
    q: &Queries,
) -> Sql<Answer<Vec<RevocationRule>>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    // '*' sorts before 'i:…': the everyone-rule first, then by inviter.
    let rows: Vec<(String, i64)> = sqlx::query_as(&q.all_rules).fetch_all(&mut *conn).await?;
    let rules = rows
        .iter()
        .map(|(scope, ms)| rule_of(scope, *ms))
        .collect::<Sql<Vec<_>>>()?;
    Ok(Answer::Done(rules))
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

pub(super) async fn status_in(
    conn: &mut SqliteConnection,
    q: &Queries,
    id: InvitationId,
    now: i64,
) -> Sql<Answer<Status>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    let Some(row) = sqlx::query(&q.live_row)
        .bind(key(id))
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(Answer::Done(Status::unknown(id)));
    };
    let uses = count(row.try_get("uses")?);
    let revoked_at = row
        .try_get::<Option<i64>, _>("revoked_at")?
        .map(time_of)
        .transpose()?;
    let revoked_by_rule = row_rule(conn, q, &row).await?;
    let joiners: Vec<(String, i64)> = sqlx::query_as(&q.joiners)
        .bind(key(id))
        .fetch_all(&mut *conn)
        .await?;
    let joiners = joiners
        .into_iter()
        .map(|(joiner, at)| {
            Ok(Joiner {
                joiner,
                joined_at: time_of(at)?,
            })
        })
        .collect::<Sql<Vec<_>>>()?;
    let issued = if row.try_get("recorded")? {
        Some(issued_from(
            &row,
            id,
            uses,
            revoked_at,
            revoked_by_rule.clone(),
        )?)
    } else {
        None
    };
    Ok(Answer::Done(Status {
        id,
        known: true,
        uses,
        max_uses: limit(row.try_get("max_uses")?).or(limit(row.try_get("rec_max_uses")?)),
        revoked_at,
        revoked_by_rule,
        joiners,
        issued,
    }))
}

pub(super) async fn record_in(
    conn: &mut SqliteConnection,
    q: &Queries,
    r: Record,
) -> Sql<Answer<()>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    touch(conn, q, &r.id, r.now, r.until).await?;
    sqlx::query(&q.see)
        .bind(&r.id)
        .bind(r.issued_s)
        .bind(&r.inviter)
        .execute(&mut *conn)
        .await?;
    sqlx::query(&q.record)
        .bind(&r.id)
        .bind(r.issued_s)
        .bind(r.expires_s)
        .bind(r.email)
        .bind(r.max)
        .bind(&r.inviter)
        .bind(r.description)
        .execute(&mut *conn)
        .await?;
    Ok(Answer::Done(()))
}

pub(super) async fn list_in(
    conn: &mut SqliteConnection,
    q: &Queries,
    now: OffsetDateTime,
    inviter: Option<String>,
    max: i64,
) -> Sql<Answer<Vec<IssuedInvitation>>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    let rows = sqlx::query(&q.list)
        .bind(unix_ms(now))
        .bind(now.unix_timestamp())
        .bind(inviter)
        .bind(max)
        .fetch_all(&mut *conn)
        .await?;
    let mut found = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = id_of(row.try_get("id")?)?;
        let revoked_at = row
            .try_get::<Option<i64>, _>("revoked_at")?
            .map(time_of)
            .transpose()?;
        let rule = row_rule(conn, q, row).await?;
        let uses = count(row.try_get("uses")?);
        found.push(issued_from(row, id, uses, revoked_at, rule)?);
    }
    Ok(Answer::Done(found))
}

pub(super) async fn visit_in(
    conn: &mut SqliteConnection,
    q: &Queries,
    id: Vec<u8>,
    now: i64,
    until: Option<i64>,
    metadata: String,
    cap: i64,
) -> Sql<Answer<()>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    touch(conn, q, &id, now, until).await?;
    sqlx::query(&q.visit)
        .bind(&id)
        .bind(now)
        .bind(metadata)
        .execute(&mut *conn)
        .await?;
    sqlx::query(&q.trim_visits)
        .bind(&id)
        .bind(cap)
        .execute(&mut *conn)
        .await?;
    Ok(Answer::Done(()))
}

pub(super) async fn visits_in(
    conn: &mut SqliteConnection,
    q: &Queries,
    id: Vec<u8>,
    now: i64,
) -> Sql<Answer<Vec<Visit>>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    let rows: Vec<(i64, String)> = sqlx::query_as(&q.visits)
        .bind(id)
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
    let visits = rows
        .into_iter()
        .map(|(at, metadata)| {
            Ok(Visit {
                at: time_of(at)?,
                metadata,
            })
        })
        .collect::<Sql<Vec<_>>>()?;
    Ok(Answer::Done(visits))
}

pub(super) async fn create_code_in(
    conn: &mut SqliteConnection,
    q: &Queries,
    canonical: String,
    token: String,
    now: i64,
    forget: Option<i64>,
) -> Sql<Answer<()>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    sqlx::query(&q.code_free)
        .bind(&canonical)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let inserted = sqlx::query(&q.code_insert)
        .bind(&canonical)
        .bind(token)
        .bind(forget)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(if inserted == 0 {
        Answer::CodeTaken
    } else {
        Answer::Done(())
    })
}

pub(super) async fn resolve_code_in(
    conn: &mut SqliteConnection,
    q: &Queries,
    canonical: String,
    now: i64,
) -> Sql<Answer<String>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    let token: Option<String> = sqlx::query_scalar(&q.code_get)
        .bind(canonical)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(token.map_or(Answer::UnknownCode, Answer::Done))
}

pub(super) async fn attempt_in(
    conn: &mut SqliteConnection,
    q: &Queries,
    client: String,
    window_ms: i64,
    window: i64,
    end_ms: i64,
) -> Sql<Answer<u32>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    let n: i32 = sqlx::query_scalar(&q.attempt)
        .bind(client)
        .bind(window_ms)
        .bind(window)
        .bind(end_ms)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Answer::Done(count(n)))
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
