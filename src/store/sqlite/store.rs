//! [`Store`](crate::store::Store) for [`SqliteStore`]: writes one `BEGIN IMMEDIATE` transaction
//! each on the single writer, reads one snapshot each on a reader; the database work in
//! [`ops`](super::ops).

use super::ops::{
    attempt_in, check_in, create_code_in, health_in, is_revoked_in, list_in, raise_rule_in,
    record_in, redeem_in, resolve_code_in, revoke_in, rules_in, status_in, visit_in, visits_in,
};
use super::{SqliteStore, read, write};
use crate::error::Error;
use crate::invitation::Invitation;
use crate::store::sql::store_impl::sql_store;
use crate::store::sql::{RedeemArgs, redemption};
use crate::store::{Health, HealthCheck, Redemption, Verdict};

impl SqliteStore {
    /// Redeems `invitation` for `joiner` **inside the caller's transaction**, so that the
    /// application's own writes (the account row of a sign-up) and the redemption commit or roll
    /// back together: roll back, and the use was never consumed; commit, and both are there.
    ///
    /// Begin the transaction with `BEGIN IMMEDIATE` — on the store's own writer
    /// ([`pool`](SqliteStore::pool)`().begin_with("BEGIN IMMEDIATE")`) or on your pool for the
    /// same file — so that it holds SQLite's write lock from its first statement: concurrent
    /// sign-ups then take turns, and at most `max_uses` of them commit. (A plain `BEGIN` that
    /// reads before it writes can fail with "the database is locked" when another writer
    /// committed in between; nothing is counted twice, but the sign-up has to be retried.)
    ///
    /// # Errors
    ///
    /// Those of [`Store::redeem`](crate::store::Store::redeem). After any error, roll the
    /// transaction back: nothing of the redemption is committed unless the transaction is.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn sign_up(store: admit::store::SqliteStore, invitation: admit::Invitation) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut tx = store.pool().begin_with("BEGIN IMMEDIATE").await?;
    /// sqlx::query("INSERT INTO accounts (email) VALUES ($1)")
    ///     .bind(invitation.email())
    ///     .execute(&mut *tx)
    ///     .await?;
    /// store.redeem_in(&mut tx, &invitation, "user-42").await?; // the `?` drops `tx`: rollback
    /// tx.commit().await?;
    /// # Ok(()) }
    /// ```
    pub async fn redeem_in(
        &self,
        conn: &mut sqlx::SqliteConnection,
        invitation: &Invitation,
        joiner: &str,
    ) -> Result<Redemption, Error> {
        let args = self.redeem_args(invitation, joiner)?;
        let deadline = self.shared.deadline;
        let outcome = tokio::time::timeout(deadline, redeem_in(conn, &self.shared.queries, args))
            .await
            .map_err(|_| Error::StoreTimeout { after: deadline })?
            .map_err(|e| super::unavailable("redeeming", &e))?;
        redemption(outcome, invitation)
    }

    fn redeem_args(&self, invitation: &Invitation, joiner: &str) -> Result<RedeemArgs, Error> {
        RedeemArgs::new(invitation, joiner, self.shared.margin, self.now())
    }

    /// What [`Store::health`](crate::store::Store::health) reports.
    async fn health_report(&self) -> Result<Health, Error> {
        let (init, journal, synchronous) =
            read!(self, "checking health", health_in(&self.shared.queries))?;
        let mut checks = vec![if init {
            HealthCheck::new(
                "initialized",
                None,
                "migrated",
                Verdict::Ok,
                "the schema is in place",
            )
        } else {
            HealthCheck::new(
                "initialized",
                None,
                "not migrated",
                Verdict::Unsafe,
                "run SqliteStore::migrate once (at deployment or start-up)",
            )
        }];
        // PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
        let wal = journal.eq_ignore_ascii_case("wal");
        let (verdict, meaning) = match synchronous {
            2 | 3 => (
                Verdict::Ok,
                "every commit is on disk before it is acknowledged: an acknowledged redemption \
                 or revocation survives a crash of the process or the machine",
            ),
            1 if wal => (
                Verdict::Warning,
                "survives a crash of the process; a power loss can undo the last commits",
            ),
            _ => (
                Verdict::Unsafe,
                "a crash can lose or corrupt acknowledged revocations and redemptions: use \
                 synchronous=FULL",
            ),
        };
        let level = match synchronous {
            0 => "OFF",
            1 => "NORMAL",
            2 => "FULL",
            3 => "EXTRA",
            _ => "unknown",
        };
        checks.push(HealthCheck::new(
            "persistence",
            None,
            format!("journal_mode={journal}, synchronous={level}"),
            verdict,
            meaning,
        ));
        Ok(Health {
            backend: "sqlite",
            checks,
        })
    }
}

/// One statement on a reader.
macro_rules! read_single {
    ($($t:tt)*) => { read!(single $($t)*) };
}

sql_store!(SqliteStore, backend: "sqlite", redeem: write, check: read_single, read: read, write: write);
