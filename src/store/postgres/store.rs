//! [`Store`](crate::store::Store) for [`PgStore`]: each call one transaction (redemption and
//! check one function call each), its database work in [`ops`](super::ops).

use super::ops::{
    attempt_in, check_in, create_code_in, health_in, is_revoked_in, list_in, raise_rule_in,
    record_in, redeem_in, resolve_code_in, revoke_in, rules_in, status_in, visit_in, visits_in,
};
use super::{PgStore, run};
use crate::error::Error;
use crate::invitation::Invitation;
use crate::store::sql::store_impl::sql_store;
use crate::store::sql::{RedeemArgs, redemption};
use crate::store::{Health, HealthCheck, Redemption, Verdict};

impl PgStore {
    /// Redeems `invitation` for `joiner` **inside the caller's transaction**, so that the
    /// application's own writes (the account row of a sign-up) and the redemption commit or roll
    /// back together: roll back, and the use was never consumed; commit, and both are there.
    ///
    /// Pass the transaction (`&mut *tx`, where `tx` is a `sqlx::Transaction<'_, Postgres>`) or a
    /// connection. The invitation's row stays locked until the transaction ends, so concurrent
    /// sign-ups with one invitation take turns and at most `max_uses` of them commit. Keep the
    /// transaction short, and use PostgreSQL's default `READ COMMITTED` isolation (under
    /// `REPEATABLE READ` or `SERIALIZABLE`, a concurrent redemption makes this fail with a
    /// serialization error, and the sign-up has to be retried).
    ///
    /// # Errors
    ///
    /// Those of [`Store::redeem`](crate::store::Store::redeem). After any error, roll the
    /// transaction back: whatever the error, nothing of the redemption is committed unless the
    /// transaction is.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn sign_up(pool: sqlx::PgPool, store: admit::store::PgStore, invitation: admit::Invitation) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut tx = pool.begin().await?;
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
        conn: &mut sqlx::PgConnection,
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
        let (init, fsync, commit) = run!(self, "checking health", health_in(&self.shared.queries))?;
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
                "run PgStore::migrate once (at deployment or start-up)",
            )
        }];
        let durable = fsync == "on" && commit != "off";
        checks.push(HealthCheck::new(
            "persistence",
            None,
            format!("fsync={fsync}, synchronous_commit={commit}"),
            if durable {
                Verdict::Ok
            } else {
                Verdict::Unsafe
            },
            if durable {
                "an acknowledged redemption or revocation survives a crash"
            } else {
                "a crash can lose acknowledged revocations and redemptions: turn fsync on and \
                 synchronous_commit at least to local"
            },
        ));
        Ok(Health {
            backend: "postgres",
            checks,
        })
    }
}

/// One statement in autocommit: its own transaction.
macro_rules! run_single {
    ($($t:tt)*) => { run!(single $($t)*) };
}

sql_store!(PgStore, backend: "postgres", redeem: run_single, check: run_single, read: run, write: run);
