//! The store's primitives on SQL, once for every database: each call one transaction (or one
//! statement) that first checks the store is initialized, then reads or writes the tables.
//! Redemption, check, revocation and `touch` are the dialect's.

use time::OffsetDateTime;

use super::dialect::Dialect;
use super::io::{Sql, need, stmt};
use super::queries::Queries;
use super::row::{count, id_of, issued_from, limit, opt_time, rule_of, scope_of, time_of};
use super::{Check, RedeemRow, SqlStore, Step, initialized, redemption};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};
use crate::store::backend::{
    AttemptCounter, Backend, CodeTable, NewCode, Record, Redeem, VisitCall, VisitLog, Window,
};
use crate::store::settings::Settings;
use crate::store::trace::Link;
use crate::store::{
    Health, HealthCheck, IssuedInvitation, Joiner, ListFilter, Redemption, RevocationRule, Status,
    Verdict, Visit, unix_ms,
};

/// The first rule covering an invitation issued in second `issued_s` by `inviter`.
async fn rule_for<DB: Dialect>(
    conn: &mut DB::Connection,
    q: &Queries<DB::Own>,
    issued_s: i64,
    inviter: Option<&str>,
) -> Sql<Option<RevocationRule>> {
    let found = DB::optional(conn, stmt(&q.rules_for).bind(issued_s).bind(inviter)).await?;
    found.map(|row| rule_of::<DB>(&row)).transpose()
}

/// The rule naming why a row is revoked, when the store has seen its issue time and inviter.
async fn row_rule<DB: Dialect>(
    conn: &mut DB::Connection,
    q: &Queries<DB::Own>,
    row: &DB::Row,
) -> Sql<Option<RevocationRule>> {
    if !DB::flag(row, "seen")? {
        return Ok(None);
    }
    let issued_s = DB::int(row, "issued_s")?.unwrap_or(0);
    let inviter = DB::text(row, "inviter")?;
    rule_for::<DB>(conn, q, issued_s, inviter.as_deref()).await
}

async fn status<DB: Dialect>(
    conn: &mut DB::Connection,
    q: &Queries<DB::Own>,
    id: InvitationId,
    now: i64,
) -> Step<Status> {
    initialized::<DB>(conn, q).await?;
    let key = id.to_bytes();
    let live = stmt(&q.live_row).bind(&key[..]).bind(now);
    let Some(row) = DB::optional(conn, live).await? else {
        return Ok(Status::unknown(id));
    };
    let uses = count(need(DB::small(&row, "uses")?)?);
    let revoked_at = opt_time::<DB>(&row, "revoked_at")?;
    let revoked_by_rule = row_rule::<DB>(conn, q, &row).await?;
    let joiners = DB::all(conn, stmt(&q.joiners).bind(&key[..]))
        .await?
        .iter()
        .map(|r| {
            Ok(Joiner {
                joiner: need(DB::text(r, "joiner")?)?,
                joined_at: time_of(need(DB::int(r, "joined_at")?)?)?,
            })
        })
        .collect::<Sql<Vec<_>>>()?;
    let issued = if DB::flag(&row, "recorded")? {
        let rule = revoked_by_rule.clone();
        Some(issued_from::<DB>(&row, id, uses, revoked_at, rule)?)
    } else {
        None
    };
    Ok(Status {
        id,
        known: true,
        uses,
        max_uses: limit(DB::small(&row, "max_uses")?).or(limit(DB::small(&row, "rec_max_uses")?)),
        revoked_at,
        revoked_by_rule,
        joiners,
        issued,
    })
}

async fn record<DB: Dialect>(
    conn: &mut DB::Connection,
    q: &Queries<DB::Own>,
    r: RecordRow,
) -> Step<()> {
    initialized::<DB>(conn, q).await?;
    let (id, inviter) = (&r.id[..], r.inviter.as_deref());
    DB::touch(conn, q, id, r.now, r.until).await?;
    let see = stmt(&q.see).bind(id).bind(r.issued_s).bind(inviter);
    DB::run(conn, see).await?;
    let record = stmt(&q.record)
        .bind(id)
        .bind(r.issued_s)
        .bind(r.expires_s)
        .bind(r.email.as_deref())
        .bind(r.max)
        .bind(inviter)
        .bind(r.description.as_deref());
    DB::run(conn, record).await?;
    Ok(())
}

async fn list<DB: Dialect>(
    conn: &mut DB::Connection,
    q: &Queries<DB::Own>,
    now: OffsetDateTime,
    filter: ListFilter,
) -> Step<Vec<IssuedInvitation>> {
    initialized::<DB>(conn, q).await?;
    let max = i64::try_from(filter.limit).unwrap_or(i64::MAX);
    let after_id = filter.after.map(|c| c.id().to_bytes()).unwrap_or_default();
    let page = stmt(&q.list)
        .bind(unix_ms(now))
        .bind(now.unix_timestamp())
        .bind(filter.inviter.as_deref())
        .bind(max)
        .bind(filter.expired)
        .bind(filter.after.is_some())
        .bind(filter.after.and_then(|c| c.expires_s()))
        .bind(if filter.after.is_some() {
            &after_id[..]
        } else {
            &[][..]
        });
    let rows = DB::all(conn, page).await?;
    let mut found = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = id_of(&DB::bytes(row, "id")?)?;
        let revoked_at = opt_time::<DB>(row, "revoked_at")?;
        let rule = row_rule::<DB>(conn, q, row).await?;
        let uses = count(need(DB::small(row, "uses")?)?);
        found.push(issued_from::<DB>(row, id, uses, revoked_at, rule)?);
    }
    Ok(found)
}

/// A registry entry, as `record_issued` stores it.
struct RecordRow {
    id: [u8; 12],
    now: i64,
    until: Option<i64>,
    issued_s: i64,
    expires_s: Option<i64>,
    email: Option<String>,
    max: Option<i32>,
    inviter: Option<String>,
    description: Option<String>,
}

impl RecordRow {
    fn new(call: Record<'_>) -> RecordRow {
        let invitation = call.invitation;
        RecordRow {
            id: invitation.id().to_bytes(),
            now: unix_ms(call.now),
            until: call.forget_at.map(unix_ms),
            issued_s: invitation.issued_at().unix_timestamp(),
            expires_s: invitation.expires_at().map(OffsetDateTime::unix_timestamp),
            email: invitation.email().map(str::to_owned),
            max: invitation.max_uses().map(super::row::as_i32),
            inviter: invitation.inviter().map(str::to_owned),
            description: call.description.map(str::to_owned),
        }
    }
}

impl<DB: Dialect> Backend for SqlStore<DB> {
    fn name(&self) -> &'static str {
        DB::BACKEND
    }

    fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    fn link(&self) -> Option<&Link> {
        Some(&self.shared.link)
    }

    async fn redeem(&self, call: Redeem<'_>) -> Result<Redemption, Error> {
        let row = RedeemRow::new(&call);
        // One statement (the redeem function) on PostgreSQL; the write transaction on SQLite.
        let outcome = self
            .single("redeeming", DB::REDEEM, move |c, q| {
                Box::pin(async move { Ok(DB::redeem(c, q, &row).await?) })
            })
            .await?;
        redemption(outcome, call.invitation)
    }

    async fn check(&self, invitation: &Invitation, now: OffsetDateTime) -> Result<(), Error> {
        let check = Check {
            id: invitation.id().to_bytes(),
            now: unix_ms(now),
            issued_s: invitation.issued_at().unix_timestamp(),
            inviter: invitation.inviter().map(str::to_owned),
            max: invitation.max_uses().map(super::row::as_i32),
        };
        // One statement, reading only: 0 fine, 1 revoked, 2 used up, 3 not initialized.
        let outcome = self
            .single("checking", DB::CHECK, move |c, q| {
                Box::pin(async move { Ok(DB::check(c, q, &check).await?) })
            })
            .await?;
        match outcome {
            0 => Ok(()),
            1 => Err(Error::Revoked),
            2 => Err(Error::UsedUp {
                max_uses: invitation.max_uses().unwrap_or(0),
            }),
            _ => Err(Error::StoreNotInitialized),
        }
    }

    async fn is_revoked(&self, id: InvitationId, now: OffsetDateTime) -> Result<bool, Error> {
        let now = unix_ms(now);
        self.read("checking", move |c, q| {
            Box::pin(async move {
                initialized::<DB>(c, q).await?;
                let key = id.to_bytes();
                let live = DB::optional(c, stmt(&q.live_row).bind(&key[..]).bind(now)).await?;
                Ok(match live {
                    Some(row) => DB::int(&row, "revoked_at")?.is_some(),
                    None => false,
                })
            })
        })
        .await
    }

    async fn revoke(
        &self,
        id: InvitationId,
        now: OffsetDateTime,
        forget: Option<OffsetDateTime>,
    ) -> Result<bool, Error> {
        let (now, forget) = (unix_ms(now), forget.map(unix_ms));
        self.write("revoking", move |c, q| {
            Box::pin(async move {
                initialized::<DB>(c, q).await?;
                Ok(DB::revoke(c, q, &id.to_bytes(), now, forget).await?)
            })
        })
        .await
    }

    async fn raise_rule(&self, inviter: Option<&str>, cutoff_ms: i64) -> Result<i64, Error> {
        let scope = scope_of(inviter);
        self.write("revoking", move |c, q| {
            Box::pin(async move {
                initialized::<DB>(c, q).await?;
                let raise = stmt(&q.raise_rule).bind(scope.as_str()).bind(cutoff_ms);
                let row = DB::one(c, raise).await?;
                Ok(need(DB::int(&row, "cutoff_ms")?)?)
            })
        })
        .await
    }

    async fn rules(&self) -> Result<Vec<RevocationRule>, Error> {
        self.read("reading rules", |c, q| {
            Box::pin(async move {
                initialized::<DB>(c, q).await?;
                // '*' sorts before 'i:…': the everyone-rule first, then by inviter.
                let rows = DB::all(c, stmt(&q.all_rules)).await?;
                let rules = rows.iter().map(rule_of::<DB>).collect::<Sql<Vec<_>>>()?;
                Ok(rules)
            })
        })
        .await
    }

    async fn health(&self) -> Result<Health, Error> {
        let prefix = self.shared.prefix.clone();
        let checks = self
            .read("checking health", move |c, q| {
                Box::pin(async move {
                    let init =
                        DB::has_meta(c, &prefix).await? && initialized::<DB>(c, q).await.is_ok();
                    let initialized = if init {
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
                            "run migrate() once (at deployment or start-up), or open the store \
                             with Init::CreateIfMissing",
                        )
                    };
                    Ok(vec![initialized, DB::persistence(c).await?])
                })
            })
            .await?;
        Ok(Health {
            backend: DB::BACKEND,
            checks,
        })
    }

    async fn status(&self, id: InvitationId, now: OffsetDateTime) -> Result<Status, Error> {
        let now = unix_ms(now);
        self.read("reading status", move |c, q| {
            Box::pin(status::<DB>(c, q, id, now))
        })
        .await
    }

    async fn record(&self, call: Record<'_>) -> Result<(), Error> {
        let row = RecordRow::new(call);
        self.write("recording", move |c, q| Box::pin(record::<DB>(c, q, row)))
            .await
    }

    async fn list(
        &self,
        filter: &ListFilter,
        now: OffsetDateTime,
    ) -> Result<Vec<IssuedInvitation>, Error> {
        let filter = filter.clone();
        self.read("listing", move |c, q| {
            Box::pin(list::<DB>(c, q, now, filter))
        })
        .await
    }
}

impl<DB: Dialect> VisitLog for SqlStore<DB> {
    async fn record_visit(&self, call: VisitCall<'_>) -> Result<(), Error> {
        let (id, now) = (call.id.to_bytes(), unix_ms(call.now));
        let until = call.forget_at.map(unix_ms);
        let metadata = call.metadata.to_owned();
        let cap = i64::try_from(call.cap).unwrap_or(i64::MAX);
        self.write("recording a visit", move |c, q| {
            Box::pin(async move {
                initialized::<DB>(c, q).await?;
                DB::touch(c, q, &id, now, until).await?;
                let visit = stmt(&q.visit)
                    .bind(&id[..])
                    .bind(now)
                    .bind(metadata.as_str());
                DB::run(c, visit).await?;
                DB::run(c, stmt(&q.trim_visits).bind(&id[..]).bind(cap)).await?;
                Ok(())
            })
        })
        .await
    }

    async fn visits(&self, id: InvitationId, now: OffsetDateTime) -> Result<Vec<Visit>, Error> {
        let now = unix_ms(now);
        self.read("reading visits", move |c, q| {
            Box::pin(async move {
                initialized::<DB>(c, q).await?;
                let key = id.to_bytes();
                let rows = DB::all(c, stmt(&q.visits).bind(&key[..]).bind(now)).await?;
                let visits = rows
                    .iter()
                    .map(|r| {
                        Ok(Visit {
                            at: time_of(need(DB::int(r, "at_ms")?)?)?,
                            metadata: need(DB::text(r, "metadata")?)?,
                        })
                    })
                    .collect::<Sql<Vec<_>>>()?;
                Ok(visits)
            })
        })
        .await
    }
}

impl<DB: Dialect> CodeTable for SqlStore<DB> {
    async fn create_code(&self, call: NewCode<'_>) -> Result<bool, Error> {
        let (canonical, token) = (call.canonical.to_owned(), call.token.to_owned());
        let (now, forget) = (unix_ms(call.now), call.forget_at.map(unix_ms));
        self.write("creating a code", move |c, q| {
            Box::pin(async move {
                initialized::<DB>(c, q).await?;
                DB::run(c, stmt(&q.code_free).bind(canonical.as_str()).bind(now)).await?;
                let insert = stmt(&q.code_insert)
                    .bind(canonical.as_str())
                    .bind(token.as_str())
                    .bind(forget);
                Ok(DB::run(c, insert).await? > 0)
            })
        })
        .await
    }

    async fn resolve_code(
        &self,
        canonical: &str,
        now: OffsetDateTime,
    ) -> Result<Option<String>, Error> {
        let (canonical, now) = (canonical.to_owned(), unix_ms(now));
        self.read("resolving a code", move |c, q| {
            Box::pin(async move {
                initialized::<DB>(c, q).await?;
                let get = stmt(&q.code_get).bind(canonical.as_str()).bind(now);
                match DB::optional(c, get).await? {
                    Some(row) => Ok(DB::text(&row, "token")?),
                    None => Ok(None),
                }
            })
        })
        .await
    }
}

impl<DB: Dialect> AttemptCounter for SqlStore<DB> {
    async fn count_attempt(
        &self,
        client: &str,
        window: Window,
        _now: OffsetDateTime,
    ) -> Result<u32, Error> {
        let client = client.to_owned();
        self.write("counting an attempt", move |c, q| {
            Box::pin(async move {
                initialized::<DB>(c, q).await?;
                let attempt = stmt(&q.attempt)
                    .bind(client.as_str())
                    .bind(window.ms)
                    .bind(window.number)
                    .bind(window.end_ms);
                let row = DB::one(c, attempt).await?;
                Ok(count(need(DB::small(&row, "count")?)?))
            })
        })
        .await
    }
}
