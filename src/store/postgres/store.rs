//! [`Store`] for [`PgStore`]: each call one transaction (redemption one function call), its
//! database work in [`ops`](super::ops).

use time::{Duration, OffsetDateTime};

use super::ops::{
    Record, RedeemArgs, as_i32, attempt_in, check_in, count, create_code_in, health_in,
    is_revoked_in, key, list_in, raise_rule_in, record_in, redeem_in, resolve_code_in, revoke_in,
    rules_in, status_in, time_of, visit_in, visits_in,
};
use super::{PgStore, run};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};
use crate::store::code::check_client;
use crate::store::rules::checked_rule;
use crate::store::{
    CodeSpec, Cutoff, Health, HealthCheck, IssuedInvitation, ListFilter, RateLimit, Redemption,
    RevocationRule, Status, Store, Verdict, Visit, check_joiner, check_note, code_forget_at,
    forget_at, lookup_code, new_code, refuse_if_forgotten, revocation_forget_at, unix_ms,
};

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
    /// Those of [`Store::redeem`]. After any error, roll the transaction back: whatever the
    /// error, nothing of the redemption is committed unless the transaction is.
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
        check_joiner(joiner)?;
        let now = self.now();
        refuse_if_forgotten(invitation, self.shared.margin, now)?;
        Ok(RedeemArgs {
            id: key(invitation.id()),
            joiner: joiner.to_owned(),
            now: unix_ms(now),
            until: forget_at(invitation, self.shared.margin).map(unix_ms),
            max: invitation.max_uses().map(as_i32),
            issued_s: invitation.issued_at().unix_timestamp(),
            inviter: invitation.inviter().map(str::to_owned),
        })
    }
}

/// The answer of the redeem function as a [`Redemption`] or the error it names.
fn redemption(
    (outcome, uses, joined_at): (i32, i32, i64),
    invitation: &Invitation,
) -> Result<Redemption, Error> {
    match outcome {
        0 | 4 => Ok(Redemption {
            uses: count(uses),
            joined_at: time_of(joined_at).map_err(|e| super::unavailable("redeeming", &e))?,
            repeated: outcome == 4,
        }),
        1 => Err(Error::Revoked),
        2 => Err(Error::UsedUp {
            max_uses: invitation.max_uses().unwrap_or(0),
        }),
        3 => Err(Error::StoreNotInitialized),
        _ => Err(Error::StoreUnavailable {
            reason: "redeeming: unexpected answer from the redeem function".into(),
        }),
    }
}

impl Store for PgStore {
    async fn redeem(&self, invitation: &Invitation, joiner: &str) -> Result<Redemption, Error> {
        let args = self.redeem_args(invitation, joiner)?;
        // One statement (the redeem function), atomic on its own.
        let outcome = run!(single self, "redeeming", redeem_in(&self.shared.queries, args))?;
        redemption(outcome, invitation)
    }

    async fn check(&self, invitation: &Invitation) -> Result<(), Error> {
        let now = unix_ms(self.now());
        // One statement (the check function), reading only.
        run!(
            single self,
            "checking",
            check_in(
                &self.shared.queries,
                key(invitation.id()),
                now,
                invitation.issued_at().unix_timestamp(),
                invitation.inviter().map(str::to_owned),
                invitation.max_uses(),
            )
        )?
        .into_result(invitation.max_uses())
    }

    async fn is_revoked(&self, id: InvitationId) -> Result<bool, Error> {
        let now = unix_ms(self.now());
        run!(
            self,
            "checking",
            is_revoked_in(&self.shared.queries, key(id), now)
        )?
        .into_result(None)
    }

    async fn revoke(
        &self,
        id: InvitationId,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<bool, Error> {
        let now = self.now();
        let forget = revocation_forget_at(expires_at, self.shared.margin, now)?.map(unix_ms);
        run!(
            self,
            "revoking",
            revoke_in(&self.shared.queries, key(id), unix_ms(now), forget)
        )?
        .into_result(None)
    }

    async fn revoke_issued_before(
        &self,
        before: impl Into<Cutoff> + Send,
        inviter: Option<&str>,
    ) -> Result<RevocationRule, Error> {
        let before = checked_rule(before, inviter, self.now())?;
        let scope = inviter.map_or_else(|| "*".to_owned(), |i| format!("i:{i}"));
        run!(
            self,
            "revoking",
            raise_rule_in(&self.shared.queries, scope, before)
        )?
        .into_result(None)
    }

    async fn revocation_rules(&self) -> Result<Vec<RevocationRule>, Error> {
        run!(self, "reading rules", rules_in(&self.shared.queries))?.into_result(None)
    }

    async fn health(&self) -> Result<Health, Error> {
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

    async fn status(&self, id: InvitationId) -> Result<Status, Error> {
        let now = unix_ms(self.now());
        run!(
            self,
            "reading status",
            status_in(&self.shared.queries, id, now)
        )?
        .into_result(None)
    }

    async fn record_issued(
        &self,
        invitation: &Invitation,
        description: Option<&str>,
    ) -> Result<(), Error> {
        if let Some(d) = description {
            check_note("description", d)?;
        }
        let record = Record {
            id: key(invitation.id()),
            now: unix_ms(self.now()),
            until: forget_at(invitation, self.shared.margin).map(unix_ms),
            issued_s: invitation.issued_at().unix_timestamp(),
            expires_s: invitation.expires_at().map(OffsetDateTime::unix_timestamp),
            email: invitation.email().map(str::to_owned),
            max: invitation.max_uses().map(as_i32),
            inviter: invitation.inviter().map(str::to_owned),
            description: description.map(str::to_owned),
        };
        run!(self, "recording", record_in(&self.shared.queries, record))?.into_result(None)
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<IssuedInvitation>, Error> {
        filter.validate()?;
        let max = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        run!(
            self,
            "listing",
            list_in(
                &self.shared.queries,
                self.now(),
                filter.inviter.clone(),
                max
            )
        )?
        .into_result(None)
    }

    async fn record_visit(&self, invitation: &Invitation, metadata: &str) -> Result<(), Error> {
        check_note("metadata", metadata)?;
        let cap = i64::try_from(self.shared.visit_cap).unwrap_or(i64::MAX);
        run!(
            self,
            "recording a visit",
            visit_in(
                &self.shared.queries,
                key(invitation.id()),
                unix_ms(self.now()),
                forget_at(invitation, self.shared.margin).map(unix_ms),
                metadata.to_owned(),
                cap,
            )
        )?
        .into_result(None)
    }

    async fn visits(&self, id: InvitationId) -> Result<Vec<Visit>, Error> {
        let now = unix_ms(self.now());
        run!(
            self,
            "reading visits",
            visits_in(&self.shared.queries, key(id), now)
        )?
        .into_result(None)
    }

    async fn create_code(&self, token: &str, spec: &CodeSpec) -> Result<String, Error> {
        let now = self.now();
        let forget = code_forget_at(token, self.shared.margin, now)?.map(unix_ms);
        let (canonical, shown) = new_code(spec)?;
        run!(
            self,
            "creating a code",
            create_code_in(
                &self.shared.queries,
                canonical,
                token.to_owned(),
                unix_ms(now),
                forget,
            )
        )?
        .into_result(None)?;
        Ok(shown)
    }

    async fn resolve_code(&self, code: &str) -> Result<String, Error> {
        let canonical = lookup_code(code)?;
        let now = unix_ms(self.now());
        run!(
            self,
            "resolving a code",
            resolve_code_in(&self.shared.queries, canonical, now)
        )?
        .into_result(None)
    }

    async fn count_attempt(&self, client: &str, limit: &RateLimit) -> Result<u32, Error> {
        check_client(client)?;
        let window_ms = limit.validate()?;
        let allowed = limit.limit;
        let now_ms = unix_ms(self.now());
        let window = now_ms / window_ms;
        let end_ms = window.saturating_add(1).saturating_mul(window_ms);
        let attempts = run!(
            self,
            "counting an attempt",
            attempt_in(
                &self.shared.queries,
                client.to_owned(),
                window_ms,
                window,
                end_ms,
            )
        )?
        .into_result(None)?;
        if attempts > allowed {
            let left = Duration::milliseconds(end_ms.saturating_sub(now_ms)).max(Duration::ZERO);
            return Err(Error::RateLimited {
                retry_after: left.try_into().unwrap_or_default(),
            });
        }
        Ok(allowed - attempts)
    }
}
