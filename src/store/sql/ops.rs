//! The store's primitives on SQL, once for every database: each call one transaction that reads
//! or writes the tables of an initialized store ([`SqlStore::run`]), or one statement.
//! Redemption, check, revocation and `touch` are the dialect's.

use std::sync::Arc;

use time::OffsetDateTime;

use super::dialect::{Dialect, Mode};
use super::events::{Fact, log, log_free, page};
use super::io::{Sql, need, stmt};
use super::queries::Queries;
use super::row::{as_i32, count, id_of, issued_from, limit, opt_time, rule_of, scope_of, time_of};
use super::{RedeemRow, SqlStore, evidence, initialized, redemption};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};
use crate::store::backend::{
    AttemptCounter, Backend, CodeTable, EventPage, NewCode, Page, Record, Redeem, Revoke,
    VisitCall, VisitLog, Window,
};
use crate::store::list::{ListOrder, fold};
use crate::store::settings::Settings;
use crate::store::trace::Link;
use crate::store::{
    Event, EventType, Health, HealthCheck, IssuedInvitation, Joiner, Redemption, RevocationRule,
    Status, Verdict, Visit, unix_ms,
};

/// The rule naming why a row is revoked, once the store has seen its issue time and inviter:
/// the first rule covering an invitation issued in that second by that inviter.
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
    let rules = stmt(&q.rules_for).bind(issued_s).bind(inviter.as_deref());
    let found = DB::optional(conn, rules).await?;
    found.map(|row| rule_of::<DB>(&row)).transpose()
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

    fn acting(&self, actor: Arc<str>) -> SqlStore<DB> {
        SqlStore {
            shared: Arc::clone(&self.shared),
            actor: Some(actor),
        }
    }

    async fn events(&self, call: EventPage<'_>) -> Result<Vec<Event>, Error> {
        let rows = self
            .run("reading events", Mode::Read, async |c, q| {
                Ok(page::<DB>(c, q, call.filter, unix_ms(call.now)).await?)
            })
            .await?;
        rows.into_iter()
            .map(|(cursor, row)| row.into_event(cursor))
            .collect()
    }

    async fn consumer(&self, name: &str) -> Result<Option<(i64, String)>, Error> {
        self.run("reading a consumer", Mode::Read, async |c, q| {
            let Some(row) = DB::optional(c, stmt(&q.consumer).bind(name)).await? else {
                return Ok(None);
            };
            let version = need(DB::int(&row, "version")?)?;
            Ok(Some((version, need(DB::text(&row, "record")?)?)))
        })
        .await
    }

    async fn set_consumer(&self, name: &str, version: i64, record: &str) -> Result<bool, Error> {
        self.run("writing a consumer", Mode::Write, async |c, q| {
            let changed = match version {
                0 => DB::run(c, stmt(&q.consumer_new).bind(name).bind(record)).await?,
                v => {
                    let set = stmt(&q.consumer_set).bind(name).bind(v).bind(record);
                    DB::run(c, set).await?
                }
            };
            Ok(changed == 1)
        })
        .await
    }

    async fn wait(&self, _mark: u64) -> Result<(), Error> {
        crate::store::settle::follow_pause().await;
        Ok(())
    }

    async fn redeem(&self, call: Redeem<'_>) -> Result<Redemption, Error> {
        let row = self.redeem_row(call);
        // With the redemptions of other calls waiting at the same time, in one transaction
        // (group_commit.rs); alone, one statement (the redeem function) on PostgreSQL and one
        // write transaction on SQLite.
        let outcome = self.redeem_grouped(row).await?;
        redemption(outcome, call.invitation)
    }

    async fn check(&self, invitation: &Invitation, now: OffsetDateTime) -> Result<(), Error> {
        let row = RedeemRow::new(invitation, "", now, None);
        // One statement, reading only: 0 fine, 1 revoked, 2 used up, 3 not initialized.
        let check = self.run("checking", DB::CHECK, async |c, q| {
            Ok(DB::check(c, q, &row).await?)
        });
        match check.await? {
            0 => Ok(()),
            1 => Err(Error::Revoked),
            2 => Err(Error::UsedUp {
                max_uses: invitation.max_uses().unwrap_or(0),
            }),
            _ => Err(Error::StoreNotInitialized),
        }
    }

    async fn is_revoked(&self, id: InvitationId, now: OffsetDateTime) -> Result<bool, Error> {
        self.run("checking", Mode::Read, async |c, q| {
            let live = stmt(&q.live_row).bind(id).bind(unix_ms(now));
            Ok(match DB::optional(c, live).await? {
                Some(row) => DB::int(&row, "revoked_at")?.is_some(),
                None => false,
            })
        })
        .await
    }

    async fn revoke(&self, call: Revoke) -> Result<bool, Error> {
        let (id, now, forget) = (call.id, unix_ms(call.now), call.forget_at.map(unix_ms));
        let writer = self.writer(now);
        self.run("revoking", Mode::Write, async |c, q| {
            let newly = DB::revoke(c, q, id, now, forget).await?;
            if newly {
                log::<DB>(c, q, writer, id, EventType::Revoked, Fact::default()).await?;
            }
            Ok(newly)
        })
        .await
    }

    async fn raise_rule(&self, inviter: Option<&str>, cutoff_ms: i64) -> Result<i64, Error> {
        let scope = scope_of(inviter);
        let writer = self.writer(unix_ms(self.shared.settings.now()));
        self.run("revoking", Mode::Write, async |c, q| {
            let raise = stmt(&q.raise_rule).bind(scope.as_str()).bind(cutoff_ms);
            if DB::optional(c, raise).await?.is_none() {
                // Not moved: a later rule is in force already, and nothing happened.
                let current = stmt(&q.rule_of).bind(scope.as_str());
                return Ok(need(DB::int(&DB::one(c, current).await?, "cutoff_ms")?)?);
            }
            // Rules are kept until deleted by hand, and so is the event that added one.
            let about = (None, inviter);
            let kind = EventType::RuleAdded;
            log_free::<DB>(c, q, writer, kind, about, Some(cutoff_ms), None).await?;
            Ok(cutoff_ms)
        })
        .await
    }

    async fn rules(&self) -> Result<Vec<RevocationRule>, Error> {
        self.run("reading rules", Mode::Read, async |c, q| {
            // '*' sorts before 'i:…': the everyone-rule first, then by inviter.
            let rows = DB::all(c, stmt(&q.all_rules)).await?;
            Ok(rows.iter().map(rule_of::<DB>).collect::<Sql<_>>()?)
        })
        .await
    }

    async fn health(&self) -> Result<Health, Error> {
        let prefix = &self.shared.prefix;
        let checks = self
            .run("checking health", Mode::SingleRead, async |c, q| {
                let meta = DB::has_table(c, &format!("{prefix}meta")).await?;
                let init = meta && initialized::<DB>(c, q).await.is_ok();
                let lost = match init {
                    true => None,
                    false => evidence::<DB>(c, prefix, meta).await?,
                };
                let (found, verdict, advice) = match (init, lost) {
                    (true, _) => ("migrated".into(), Verdict::Ok, "the schema is in place"),
                    (false, Some(evidence)) => {
                        let advice = "data was lost: recover with recover_from_data_loss(time \
                                      of the loss), or `admit store init --revoke-issued-before`";
                        (format!("data lost: {evidence}"), Verdict::Unsafe, advice)
                    }
                    (false, None) => {
                        let advice = "run migrate() once (at deployment or start-up), or open \
                                      the store with Init::CreateIfMissing";
                        ("not migrated".into(), Verdict::Unsafe, advice)
                    }
                };
                let initialized = HealthCheck::new("initialized", None, found, verdict, advice);
                Ok(vec![initialized, DB::persistence(c).await?])
            })
            .await?;
        Ok(Health {
            backend: DB::BACKEND,
            checks,
        })
    }

    async fn status(&self, id: InvitationId, now: OffsetDateTime) -> Result<Status, Error> {
        self.run("reading status", Mode::Read, async |c, q| {
            let live = stmt(&q.live_row).bind(id).bind(unix_ms(now));
            let Some(row) = DB::optional(c, live).await? else {
                return Ok(Status::unknown(id));
            };
            let uses = count(need(DB::small(&row, "uses")?)?);
            let revoked_at = opt_time::<DB>(&row, "revoked_at")?;
            let revoked_by_rule = row_rule::<DB>(c, q, &row).await?;
            let joiners = DB::all(c, stmt(&q.joiners).bind(id)).await?;
            let joiners = joiners.iter().map(|r| {
                let joiner = need(DB::text(r, "joiner")?)?;
                let joined_at = time_of(need(DB::int(r, "joined_at")?)?)?;
                Ok(Joiner { joiner, joined_at })
            });
            let issued = match DB::flag(&row, "recorded")? {
                true => Some(issued_from::<DB>(
                    &row,
                    id,
                    uses,
                    revoked_at,
                    revoked_by_rule.clone(),
                )?),
                false => None,
            };
            let max_uses = limit(DB::small(&row, "max_uses")?);
            Ok(Status {
                id,
                known: true,
                uses,
                max_uses: max_uses.or(limit(DB::small(&row, "rec_max_uses")?)),
                revoked_at,
                revoked_by_rule,
                joiners: joiners.collect::<Sql<_>>()?,
                issued,
            })
        })
        .await
    }

    async fn record(&self, call: Record<'_>) -> Result<(), Error> {
        let invitation = call.invitation;
        let (id, inviter) = (invitation.id(), invitation.inviter());
        let issued_s = invitation.issued_at().unix_timestamp();
        let expires_s = invitation.expires_at().map(OffsetDateTime::unix_timestamp);
        let writer = self.writer(unix_ms(call.now));
        // What searches compare: the email and the inviter folded (no value: no key, which
        // no search matches).
        let email_key = invitation.email().map(fold).unwrap_or_default();
        let inviter_key = inviter.map(fold).unwrap_or_default();
        self.run("recording", Mode::Write, async |c, q| {
            let until = call.forget_at.map(unix_ms);
            DB::touch(c, q, id, unix_ms(call.now), until).await?;
            DB::run(c, stmt(&q.see).bind(id).bind(issued_s).bind(inviter)).await?;
            let record = stmt(&q.record)
                .bind(id)
                .bind(issued_s)
                .bind(expires_s)
                .bind(invitation.email())
                .bind(invitation.max_uses().map(as_i32))
                .bind(inviter)
                .bind(call.description)
                .bind(email_key.as_bytes())
                .bind(inviter_key.as_bytes());
            DB::run(c, record).await?;
            let issued = Fact {
                max: invitation.max_uses().map(as_i32),
                time_ms: invitation.expires_at().map(unix_ms),
                email: invitation.email(),
                note: call.description,
                ..Fact::default()
            };
            log::<DB>(c, q, writer, id, EventType::Issued, issued).await?;
            Ok(())
        })
        .await
    }

    async fn count(&self, call: Page<'_>) -> Result<u64, Error> {
        let (filter, now) = (call.filter, call.now);
        let range = filter.search_range();
        self.run("counting", Mode::Read, async |c, q| {
            let sql = if range.is_some() {
                &q.count_search
            } else {
                &q.count
            };
            let counted = stmt(sql)
                .bind(unix_ms(now))
                .bind(now.unix_timestamp())
                .bind(filter.inviter.as_deref())
                .bind(filter.expired);
            let counted = match &range {
                Some((low, high)) => counted.bind(&low[..]).bind(&high[..]),
                None => counted,
            };
            let rows = DB::all(c, counted).await?;
            let n = match rows.first() {
                Some(row) => need(DB::int(row, "n")?)?,
                None => 0,
            };
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn list(&self, call: Page<'_>) -> Result<Vec<IssuedInvitation>, Error> {
        let (filter, now) = (call.filter, call.now);
        let after = filter.after.map(|c| c.id().to_bytes());
        let range = filter.search_range();
        self.run("listing", Mode::Read, async |c, q| {
            let sql = match (filter.order, range.is_some()) {
                (ListOrder::Newest, false) => &q.list_newest,
                (ListOrder::Newest, true) => &q.list_newest_search,
                (_, false) => &q.list,
                (_, true) => &q.list_search,
            };
            // The cursor's place in the order: its expiry, or its issue second.
            let at = match filter.order {
                ListOrder::Newest => filter.after.and_then(|c| c.issued_s()),
                _ => filter.after.and_then(|c| c.expires_s()),
            };
            let page = stmt(sql)
                .bind(unix_ms(now))
                .bind(now.unix_timestamp())
                .bind(filter.inviter.as_deref())
                .bind(i64::try_from(filter.limit).unwrap_or(i64::MAX))
                .bind(filter.expired)
                .bind(after.is_some())
                .bind(at)
                .bind(after.as_ref().map_or(&[][..], |id| &id[..]));
            let page = match &range {
                Some((low, high)) => page.bind(&low[..]).bind(&high[..]),
                None => page,
            };
            let rows = DB::all(c, page).await?;
            let mut found = Vec::with_capacity(rows.len());
            for row in &rows {
                let id = id_of(&DB::bytes(row, "id")?)?;
                let revoked_at = opt_time::<DB>(row, "revoked_at")?;
                let rule = row_rule::<DB>(c, q, row).await?;
                let uses = count(need(DB::small(row, "uses")?)?);
                found.push(issued_from::<DB>(row, id, uses, revoked_at, rule)?);
            }
            Ok(found)
        })
        .await
    }
}

impl<DB: Dialect> VisitLog for SqlStore<DB> {
    async fn record_visit(&self, call: VisitCall<'_>) -> Result<(), Error> {
        let (id, now) = (call.id, unix_ms(call.now));
        let cap = i64::try_from(call.cap).unwrap_or(i64::MAX);
        let writer = self.writer(now);
        self.run("recording a visit", Mode::Write, async |c, q| {
            DB::touch(c, q, id, now, call.forget_at.map(unix_ms)).await?;
            DB::run(c, stmt(&q.visit).bind(id).bind(now).bind(call.metadata)).await?;
            DB::run(c, stmt(&q.trim_visits).bind(id).bind(cap)).await?;
            let visited = Fact {
                note: Some(call.metadata),
                ..Fact::default()
            };
            log::<DB>(c, q, writer, id, EventType::Visited, visited).await?;
            Ok(())
        })
        .await
    }

    async fn visits(&self, id: InvitationId, now: OffsetDateTime) -> Result<Vec<Visit>, Error> {
        self.run("reading visits", Mode::Read, async |c, q| {
            let visits = stmt(&q.visits).bind(id).bind(unix_ms(now));
            let rows = DB::all(c, visits).await?;
            let visit = |r: &DB::Row| {
                let at = time_of(need(DB::int(r, "at_ms")?)?)?;
                let metadata = need(DB::text(r, "metadata")?)?;
                Ok(Visit { at, metadata })
            };
            Ok(rows.iter().map(visit).collect::<Sql<_>>()?)
        })
        .await
    }
}

impl<DB: Dialect> CodeTable for SqlStore<DB> {
    async fn create_code(&self, call: NewCode<'_>) -> Result<bool, Error> {
        let now = unix_ms(call.now);
        let writer = self.writer(now);
        let keep = self.settings().event_forget_at(call.now, call.forget_at);
        self.run("creating a code", Mode::Write, async |c, q| {
            DB::run(c, stmt(&q.code_free).bind(call.lookup).bind(now)).await?;
            let insert = stmt(&q.code_insert)
                .bind(call.lookup)
                .bind(call.sealed)
                .bind(call.forget_at.map(unix_ms));
            let created = DB::run(c, insert).await? > 0;
            if created {
                let about = (Some(call.id), call.inviter);
                let kind = EventType::CodeCreated;
                log_free::<DB>(c, q, writer, kind, about, None, keep.map(unix_ms)).await?;
            }
            Ok(created)
        })
        .await
    }

    async fn resolve_code(
        &self,
        lookup: &str,
        now: OffsetDateTime,
    ) -> Result<Option<String>, Error> {
        self.run("resolving a code", Mode::Read, async |c, q| {
            let get = stmt(&q.code_get).bind(lookup).bind(unix_ms(now));
            match DB::optional(c, get).await? {
                Some(row) => Ok(DB::text(&row, "token")?),
                None => Ok(None),
            }
        })
        .await
    }
}

impl<DB: Dialect> AttemptCounter for SqlStore<DB> {
    async fn count_attempt(&self, client: &str, window: Window) -> Result<u32, Error> {
        self.run("counting an attempt", Mode::Write, async |c, q| {
            let attempt = stmt(&q.attempt)
                .bind(client)
                .bind(window.ms)
                .bind(window.number)
                .bind(window.end_ms);
            Ok(count(need(DB::small(
                &DB::one(c, attempt).await?,
                "count",
            )?)?))
        })
        .await
    }
}
