//! What differs between the SQL databases: where a redemption's atomic step happens (a
//! PL/pgSQL function that locks a row; Rust inside SQLite's single write transaction), how a
//! revocation and a purge are written, what health means, and how a database error reads.
//! Everything else is the generic [`SqlStore`](super::SqlStore).

use core::future::Future;

use sqlx::Pool;

use super::RedeemRow;
use super::io::{Io, Sql};
use super::queries::{Queries, Words};
use crate::connect_problem::ConnectProblem;
use crate::error::Error;
use crate::invitation::InvitationId;
use crate::store::HealthCheck;

/// How a store call runs on the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// One statement in autocommit on a connection of the writer's pool: its own transaction.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Single,
    /// One statement in autocommit on a reader connection.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    SingleRead,
    /// A read transaction (one snapshot) on a reader, in an initialized store.
    Read,
    /// A write transaction, in an initialized store.
    Write,
    /// A write transaction whose work checks (or makes) the store itself: `migrate()`, and
    /// SQLite's redemption, which reads the marker in the statement it decides on.
    Unchecked,
}

/// A SQL database the store runs on. Sealed: implemented for sqlx's PostgreSQL and SQLite.
// Sealed: public only because it bounds `SqlStore`'s methods; its items use the crate's own
// types, which nobody outside can name.
#[allow(unreachable_pub, private_interfaces)]
pub trait Dialect: Io + Sized {
    /// The backend's name: `postgres` or `sqlite`.
    const BACKEND: &'static str;
    /// The tables and functions only this database has (`{p}` is the prefix).
    const SCHEMA: &'static str;
    /// Its spelling of the shared statements.
    const WORDS: Words;
    /// What turns a schema of version 1 into version 2 before the schema itself runs: the
    /// search keys of recorded invitations (columns, then their values from what was
    /// recorded; `lower()` of SQLite folds ASCII letters only, so rows recorded before the
    /// upgrade are found by ASCII case-insensitive searches there).
    const UPGRADE_1_TO_2: &'static str;
    /// `INTEGER` wide enough for Unix milliseconds: `BIGINT` or `INTEGER`.
    const BIGINT: &'static str;
    /// How a transaction that writes begins (`None`: a plain `BEGIN`).
    const BEGIN_WRITE: Option<&'static str>;
    /// How many group-commit batches of redemptions may run at once (`group_commit`).
    const BATCH_LANES: usize;
    /// How a batch of redemptions ([`redeem_many`](Dialect::redeem_many)) runs: one statement
    /// in autocommit (PostgreSQL), or a write transaction (SQLite).
    const BATCH: Mode;
    /// How [`redeem`](Dialect::redeem) and [`check`](Dialect::check) run.
    const REDEEM: Mode;
    const CHECK: Mode;

    /// The statements only this database runs.
    type Own: Send + Sync + core::fmt::Debug;

    fn own(prefix: &str) -> Self::Own;

    /// A redemption: `(outcome, uses, joined_at)` as
    /// [`redemption`](super::redemption) reads it. Runs on the store's connection or inside
    /// the application's transaction ([`SqlStore::redeem_in`](super::SqlStore::redeem_in)).
    fn redeem(
        conn: &mut Self::Connection,
        q: &Queries<Self::Own>,
        row: &RedeemRow,
    ) -> impl Future<Output = Sql<(i32, i32, i64)>> + Send;

    /// Redemptions one after the other, each seeing those before it, in the order given:
    /// their outcomes in that order.
    fn redeem_many(
        conn: &mut Self::Connection,
        q: &Queries<Self::Own>,
        rows: &[&RedeemRow],
    ) -> impl Future<Output = Sql<Vec<(i32, i32, i64)>>> + Send {
        async move {
            let mut outcomes = Vec::with_capacity(rows.len());
            for row in rows {
                outcomes.push(Self::redeem(conn, q, row).await?);
            }
            Ok(outcomes)
        }
    }

    /// Revoked or used up? One statement, nothing written.
    fn check(
        conn: &mut Self::Connection,
        q: &Queries<Self::Own>,
        row: &RedeemRow,
    ) -> impl Future<Output = Sql<i32>> + Send;

    /// The row of `id`, live: an expired one dropped first, then created, or its forget-at
    /// time lengthened.
    fn touch(
        conn: &mut Self::Connection,
        q: &Queries<Self::Own>,
        id: InvitationId,
        now: i64,
        until: Option<i64>,
    ) -> impl Future<Output = Sql<()>> + Send;

    /// Marks `id` revoked in an initialized store; whether it was not revoked before.
    fn revoke(
        conn: &mut Self::Connection,
        q: &Queries<Self::Own>,
        id: InvitationId,
        now: i64,
        forget: Option<i64>,
    ) -> impl Future<Output = Sql<bool>> + Send;

    /// Prepares the read transaction for a page of the log (PostgreSQL: plan it as a walk of
    /// the log's index in order, which stops at the page's end).
    fn before_event_page(conn: &mut Self::Connection) -> impl Future<Output = Sql<()>> + Send {
        let _ = conn;
        async { Ok(()) }
    }

    /// The first part of a cursor below which every event is committed or gone for good:
    /// what a page of the log may show (`i64::MAX` where commit order is the log's order).
    fn event_horizon(conn: &mut Self::Connection) -> impl Future<Output = Sql<i64>> + Send {
        let _ = conn;
        async { Ok(i64::MAX) }
    }

    /// Whether the table `name` exists.
    fn has_table(conn: &mut Self::Connection, name: &str)
    -> impl Future<Output = Sql<bool>> + Send;

    /// What `migrate()` does before it reads the schema version (PostgreSQL takes a lock).
    fn lock_migration(conn: &mut Self::Connection) -> impl Future<Output = Sql<()>> + Send;

    /// The durability check of a health report.
    fn persistence(conn: &mut Self::Connection) -> impl Future<Output = Sql<HealthCheck>> + Send;

    /// Deletes at most `batch` expired rows per table; how many invitations, codes, attempt
    /// windows and events.
    fn purge(
        conn: &mut Self::Connection,
        q: &Queries<Self::Own>,
        now: i64,
        batch: i64,
    ) -> impl Future<Output = Sql<u64>> + Send;

    /// A database error as a store error: never a success, never the query's parameters.
    fn unavailable(what: &str, e: &sqlx::Error) -> Error;

    /// The connection problem behind `e`, if it is one a person can fix (the pool's options
    /// name the server, user, database or file).
    fn connect_problem(pool: &Pool<Self>, e: &sqlx::Error) -> Option<ConnectProblem>;

    /// Opens a transaction that writes.
    fn begin_write(
        pool: &Pool<Self>,
    ) -> impl Future<Output = Sql<sqlx::Transaction<'static, Self>>> + Send {
        async move {
            match Self::BEGIN_WRITE {
                Some(begin) => pool.begin_with(begin).await,
                None => pool.begin().await,
            }
        }
    }
}
