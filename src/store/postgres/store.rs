//! [`Store`] for [`PgStore`]: each call one transaction (redemption one function call). The
//! database work of each call is an `async fn` on a connection, run by [`run!`](super::run).

use sqlx::PgConnection;
use sqlx::Row as _;
use time::{Duration, OffsetDateTime};

use super::queries::Queries;
use super::{PgStore, run};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};
use crate::store::code::check_client;
use crate::store::rules::checked_rule;
use crate::store::{
    CodeSpec, Cutoff, Health, HealthCheck, IssuedInvitation, Joiner, ListFilter, RateLimit,
    Redemption, RevocationRule, Status, Store, Verdict, Visit, check_joiner, check_note,
    code_forget_at, forget_at, from_unix_ms, lookup_code, new_code, refuse_if_forgotten,
    revocation_forget_at, unix_ms,
};

type Sql<T> = Result<T, sqlx::Error>;

/// A time the store wrote, read back.
fn time_of(ms: i64) -> Sql<OffsetDateTime> {
    from_unix_ms(ms).ok_or_else(|| sqlx::Error::Decode("a stored time is out of range".into()))
}

fn seconds(s: i64) -> Sql<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(s)
        .map_err(|_| sqlx::Error::Decode("a stored time is out of range".into()))
}

fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

fn limit(n: Option<i32>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok())
}

fn as_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn key(id: InvitationId) -> Vec<u8> {
    id.to_bytes().to_vec()
}

fn rule_of(scope: &str, cutoff_ms: i64) -> Sql<RevocationRule> {
    Ok(RevocationRule::new(
        time_of(cutoff_ms)?,
        scope.strip_prefix("i:"),
    ))
}

/// What a transaction found that is an answer, not a database failure.
enum Answer<T> {
    Done(T),
    NotInitialized,
    Revoked,
    UsedUp,
    CodeTaken,
    UnknownCode,
}

impl<T> Answer<T> {
    fn into_result(self, max_uses: Option<u32>) -> Result<T, Error> {
        match self {
            Answer::Done(value) => Ok(value),
            Answer::NotInitialized => Err(Error::StoreNotInitialized),
            Answer::Revoked => Err(Error::Revoked),
            Answer::UsedUp => Err(Error::UsedUp {
                max_uses: max_uses.unwrap_or(0),
            }),
            Answer::CodeTaken => Err(Error::CodeTaken),
            Answer::UnknownCode => Err(Error::UnknownCode),
        }
    }
}

async fn initialized(conn: &mut PgConnection, q: &Queries) -> Sql<bool> {
    sqlx::query_scalar(&q.initialized)
        .fetch_one(&mut *conn)
        .await
}

/// The first rule covering an invitation issued in second `issued_s` by `inviter`.
async fn rule_for(
    conn: &mut PgConnection,
    q: &Queries,
    issued_s: i64,
    inviter: Option<&str>,
) -> Sql<Option<RevocationRule>> {
    let row = sqlx::query(&q.rules_for)
        .bind(issued_s)
        .bind(inviter)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| rule_of(r.try_get("scope")?, r.try_get("cutoff_ms")?))
        .transpose()
}

/// The rule naming why a row is revoked, when the store has seen its issue time and inviter.
async fn row_rule(
    conn: &mut PgConnection,
    q: &Queries,
    row: &sqlx::postgres::PgRow,
) -> Sql<Option<RevocationRule>> {
    if !row.try_get::<bool, _>("seen")? {
        return Ok(None);
    }
    let issued_s: Option<i64> = row.try_get("issued_s")?;
    let inviter: Option<String> = row.try_get("inviter")?;
    rule_for(conn, q, issued_s.unwrap_or(0), inviter.as_deref()).await
}

struct RedeemArgs {
    id: Vec<u8>,
    joiner: String,
    now: i64,
    until: Option<i64>,
    max: Option<i32>,
    issued_s: i64,
    inviter: Option<String>,
}

async fn redeem_in(conn: &mut PgConnection, q: &Queries, a: RedeemArgs) -> Sql<(i32, i32, i64)> {
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

async fn check_in(
    conn: &mut PgConnection,
    q: &Queries,
    id: Vec<u8>,
    now: i64,
    issued_s: i64,
    inviter: Option<String>,
    max_uses: Option<u32>,
) -> Sql<Answer<()>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    if rule_for(conn, q, issued_s, inviter.as_deref())
        .await?
        .is_some()
    {
        return Ok(Answer::Revoked);
    }
    let Some(row) = sqlx::query(&q.live_row)
        .bind(id)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(Answer::Done(()));
    };
    if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
        return Ok(Answer::Revoked);
    }
    let uses = count(row.try_get("uses")?);
    if max_uses.is_some_and(|max| uses >= max) {
        return Ok(Answer::UsedUp);
    }
    Ok(Answer::Done(()))
}

async fn is_revoked_in(
    conn: &mut PgConnection,
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

async fn revoke_in(
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

async fn raise_rule_in(
    conn: &mut PgConnection,
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

async fn rules_in(conn: &mut PgConnection, q: &Queries) -> Sql<Answer<Vec<RevocationRule>>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    // '*' sorts before 'i:…': the everyone-rule first, then by inviter.
    let rows = sqlx::query(&q.all_rules).fetch_all(&mut *conn).await?;
    let rules = rows
        .iter()
        .map(|r| rule_of(r.try_get("scope")?, r.try_get("cutoff_ms")?))
        .collect::<Sql<Vec<_>>>()?;
    Ok(Answer::Done(rules))
}

async fn health_in(conn: &mut PgConnection, q: &Queries) -> Sql<(bool, String, String)> {
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

async fn status_in(
    conn: &mut PgConnection,
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
    let joiners = sqlx::query(&q.joiners)
        .bind(key(id))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(Joiner {
                joiner: r.try_get("joiner")?,
                joined_at: time_of(r.try_get("joined_at")?)?,
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

struct Record {
    id: Vec<u8>,
    now: i64,
    until: Option<i64>,
    issued_s: i64,
    expires_s: Option<i64>,
    email: Option<String>,
    max: Option<i32>,
    inviter: Option<String>,
    description: Option<String>,
}

async fn record_in(conn: &mut PgConnection, q: &Queries, r: Record) -> Sql<Answer<()>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    sqlx::query(&q.touch)
        .bind(&r.id)
        .bind(r.now)
        .bind(r.until)
        .execute(&mut *conn)
        .await?;
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

async fn list_in(
    conn: &mut PgConnection,
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
        let raw: Vec<u8> = row.try_get("id")?;
        let id = <[u8; 12]>::try_from(raw.as_slice())
            .map(InvitationId::from_bytes)
            .map_err(|_| sqlx::Error::Decode("a stored ID is not 12 bytes".into()))?;
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

async fn visit_in(
    conn: &mut PgConnection,
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
    sqlx::query(&q.touch)
        .bind(&id)
        .bind(now)
        .bind(until)
        .execute(&mut *conn)
        .await?;
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

async fn visits_in(
    conn: &mut PgConnection,
    q: &Queries,
    id: Vec<u8>,
    now: i64,
) -> Sql<Answer<Vec<Visit>>> {
    if !initialized(conn, q).await? {
        return Ok(Answer::NotInitialized);
    }
    let rows = sqlx::query(&q.visits)
        .bind(id)
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
    let visits = rows
        .iter()
        .map(|r| {
            Ok(Visit {
                at: time_of(r.try_get("at_ms")?)?,
                metadata: r.try_get("metadata")?,
            })
        })
        .collect::<Sql<Vec<_>>>()?;
    Ok(Answer::Done(visits))
}

async fn create_code_in(
    conn: &mut PgConnection,
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

async fn resolve_code_in(
    conn: &mut PgConnection,
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

async fn attempt_in(
    conn: &mut PgConnection,
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

impl Store for PgStore {
    async fn redeem(&self, invitation: &Invitation, joiner: &str) -> Result<Redemption, Error> {
        check_joiner(joiner)?;
        let now = self.now();
        refuse_if_forgotten(invitation, self.shared.margin, now)?;
        let args = RedeemArgs {
            id: key(invitation.id()),
            joiner: joiner.to_owned(),
            now: unix_ms(now),
            until: forget_at(invitation, self.shared.margin).map(unix_ms),
            max: invitation.max_uses().map(as_i32),
            issued_s: invitation.issued_at().unix_timestamp(),
            inviter: invitation.inviter().map(str::to_owned),
        };
        let (outcome, uses, joined_at) =
            run!(self, "redeeming", redeem_in(&self.shared.queries, args))?;
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

    async fn check(&self, invitation: &Invitation) -> Result<(), Error> {
        let now = unix_ms(self.now());
        run!(
            self,
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

/// The registry entry of a row that was recorded.
fn issued_from(
    row: &sqlx::postgres::PgRow,
    id: InvitationId,
    uses: u32,
    revoked_at: Option<OffsetDateTime>,
    revoked_by_rule: Option<RevocationRule>,
) -> Sql<IssuedInvitation> {
    Ok(IssuedInvitation {
        id,
        issued_at: seconds(row.try_get::<Option<i64>, _>("rec_issued_s")?.unwrap_or(0))?,
        expires_at: row
            .try_get::<Option<i64>, _>("rec_expires_s")?
            .map(seconds)
            .transpose()?,
        email: row.try_get("rec_email")?,
        max_uses: limit(row.try_get("rec_max_uses")?),
        inviter: row.try_get("rec_inviter")?,
        description: row.try_get("rec_description")?,
        uses,
        revoked_at,
        revoked_by_rule,
    })
}
