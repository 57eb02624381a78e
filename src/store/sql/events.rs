//! The event log on SQL: each fact's row, inserted by the transaction that makes the fact true,
//! and pages of the log read back (the statements are in [`queries`](super::queries)).

use super::dialect::Dialect;
use super::io::{Sql, need, stmt};
use super::queries::Queries;
use super::row::id_of;
use crate::invitation::InvitationId;
use crate::store::events::Row;
use crate::store::{EventCursor, EventFilter, EventType};

/// What an event about one invitation holds beyond its kind: the columns its kind uses.
#[derive(Clone, Copy, Default)]
pub(crate) struct Fact<'a> {
    pub(crate) joiner: Option<&'a str>,
    pub(crate) uses: Option<i32>,
    pub(crate) max: Option<i32>,
    pub(crate) time_ms: Option<i64>,
    pub(crate) email: Option<&'a str>,
    pub(crate) note: Option<&'a str>,
}

/// Who writes an event, when, and for how long it is kept at least.
#[derive(Clone, Copy)]
pub(crate) struct Writer<'a> {
    pub(crate) now: i64,
    pub(crate) actor: Option<&'a str>,
    pub(crate) keep_ms: i64,
}

/// Writes an event about invitation `id`, whose row this transaction just wrote: it takes the
/// row's inviter and is kept as long as the row (or `keep_ms`).
pub(crate) async fn log<DB: Dialect>(
    conn: &mut DB::Connection,
    q: &Queries<DB::Own>,
    w: Writer<'_>,
    id: InvitationId,
    kind: EventType,
    fact: Fact<'_>,
) -> Sql<()> {
    let insert = stmt(&q.event_of)
        .bind(id)
        .bind(w.now)
        .bind(Some(i32::from(kind.code())))
        .bind(w.actor)
        .bind(fact.joiner)
        .bind(fact.uses)
        .bind(fact.max)
        .bind(fact.time_ms)
        .bind(fact.email)
        .bind(fact.note)
        .bind(w.keep_ms);
    DB::run(conn, insert).await.map(drop)
}

/// Writes an event with no invitation row behind it (a rule; a code), kept until `forget_at`.
pub(crate) async fn log_free<DB: Dialect>(
    conn: &mut DB::Connection,
    q: &Queries<DB::Own>,
    w: Writer<'_>,
    kind: EventType,
    about: (Option<InvitationId>, Option<&str>),
    time_ms: Option<i64>,
    forget_at: Option<i64>,
) -> Sql<()> {
    let insert = stmt(&q.event_free)
        .bind(w.now)
        .bind(Some(i32::from(kind.code())))
        .bind(about.0)
        .bind(about.1)
        .bind(w.actor)
        .bind(time_ms)
        .bind(forget_at);
    DB::run(conn, insert).await.map(drop)
}

/// A page of the log as the filter asks, each row with its cursor.
pub(crate) async fn page<DB: Dialect>(
    conn: &mut DB::Connection,
    q: &Queries<DB::Own>,
    filter: &EventFilter,
    now: i64,
) -> Sql<Vec<(EventCursor, Row)>> {
    let after = filter.after.unwrap_or(EventCursor::new(0, 0));
    let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let select = |sql| {
        stmt(sql)
            .bind(as_i64(after.major))
            .bind(as_i64(after.minor))
            .bind(now)
    };
    let (s, narrowed_by_invitation) = match (&filter.invitation, &filter.inviter) {
        (Some(id), _) => (select(&q.events[1]).bind(*id), true),
        (None, Some(inviter)) => (select(&q.events[2]).bind(inviter.as_str()), false),
        (None, None) => (select(&q.events[0]).bind(None::<InvitationId>), false),
    };
    let horizon = DB::event_horizon(conn).await?;
    DB::before_event_page(conn).await?;
    let s = s
        .bind(i64::from(filter.type_mask()))
        .bind(i64::try_from(filter.limit).unwrap_or(i64::MAX))
        .bind(horizon)
        .bind(filter.since_ms);
    let rows = DB::all(conn, s).await?;
    let mut page = Vec::with_capacity(rows.len());
    for r in &rows {
        let cursor = EventCursor::new(
            u64::try_from(need(DB::int(r, "major")?)?).unwrap_or(0),
            u64::try_from(need(DB::int(r, "seq")?)?).unwrap_or(0),
        );
        let invitation = DB::opt_bytes(r, "id")?.map(|b| id_of(&b)).transpose()?;
        let row = Row {
            code: i64::from(need(DB::small(r, "kind")?)?),
            at_ms: need(DB::int(r, "at_ms")?)?,
            invitation,
            inviter: DB::text(r, "inviter")?,
            actor: DB::text(r, "actor")?,
            joiner: DB::text(r, "joiner")?,
            uses: DB::small(r, "uses")?.map(i64::from),
            max_uses: DB::small(r, "max_uses")?.map(i64::from),
            time_ms: DB::int(r, "time_ms")?,
            email: DB::text(r, "email")?,
            note: DB::text(r, "note")?,
            forget_ms: DB::int(r, "forget_at")?,
        };
        page.push((cursor, row));
    }
    // Both an invitation and an inviter: the invitation's index finds the rows, this keeps
    // the inviter's.
    if narrowed_by_invitation && filter.inviter.is_some() {
        page.retain(|(_, row)| row.inviter == filter.inviter);
    }
    Ok(page)
}
