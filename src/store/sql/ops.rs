//! The database work both SQL stores do with the same statements, as a macro over the
//! connection type: each backend's `ops` module invokes it, with its own `Queries` (the same
//! field names, each in its dialect) and its own `touch` in scope. What differs — redemption,
//! check, revocation, health, purge — stays in the backend.

/// Emits `mod shared` with the common `*_in` functions on `$conn` (rows of type `$row`), and
/// re-exports them to the backend.
macro_rules! shared_ops {
    ($conn:ty, $row:ty) => {
        mod shared {
            use sqlx::Row as _;
            use time::OffsetDateTime;

            use super::{Queries, touch};
            use $crate::invitation::InvitationId;
            use $crate::store::sql::{
                Answer, Record, Sql, count, id_of, issued_from, key, limit, rule_of, time_of,
            };
            use $crate::store::{
                IssuedInvitation, Joiner, ListFilter, RevocationRule, Status, Visit, unix_ms,
            };

            type Conn = $conn;
            type Row = $row;

            pub(crate) async fn initialized(conn: &mut Conn, q: &Queries) -> Sql<bool> {
                sqlx::query_scalar(&q.initialized)
                    .fetch_one(&mut *conn)
                    .await
            }

            /// The first rule covering an invitation issued in second `issued_s` by `inviter`.
            pub(crate) async fn rule_for(
                conn: &mut Conn,
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
            pub(crate) async fn row_rule(
                conn: &mut Conn,
                q: &Queries,
                row: &Row,
            ) -> Sql<Option<RevocationRule>> {
                if !row.try_get::<bool, _>("seen")? {
                    return Ok(None);
                }
                let issued_s: Option<i64> = row.try_get("issued_s")?;
                let inviter: Option<String> = row.try_get("inviter")?;
                rule_for(conn, q, issued_s.unwrap_or(0), inviter.as_deref()).await
            }

            pub(crate) async fn is_revoked_in(
                conn: &mut Conn,
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

            pub(crate) async fn raise_rule_in(
                conn: &mut Conn,
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

            pub(crate) async fn rules_in(
                conn: &mut Conn,
                q: &Queries,
            ) -> Sql<Answer<Vec<RevocationRule>>> {
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

            pub(crate) async fn status_in(
                conn: &mut Conn,
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
                    max_uses: limit(row.try_get("max_uses")?)
                        .or(limit(row.try_get("rec_max_uses")?)),
                    revoked_at,
                    revoked_by_rule,
                    joiners,
                    issued,
                }))
            }

            pub(crate) async fn record_in(
                conn: &mut Conn,
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

            pub(crate) async fn list_in(
                conn: &mut Conn,
                q: &Queries,
                now: OffsetDateTime,
                filter: ListFilter,
            ) -> Sql<Answer<Vec<IssuedInvitation>>> {
                if !initialized(conn, q).await? {
                    return Ok(Answer::NotInitialized);
                }
                let max = i64::try_from(filter.limit).unwrap_or(i64::MAX);
                let rows = sqlx::query(&q.list)
                    .bind(unix_ms(now))
                    .bind(now.unix_timestamp())
                    .bind(filter.inviter)
                    .bind(max)
                    .bind(filter.expired)
                    .bind(filter.after.is_some())
                    .bind(filter.after.and_then(|c| c.expires_s()))
                    .bind(filter.after.map(|c| key(c.id())).unwrap_or_default())
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

            pub(crate) async fn visit_in(
                conn: &mut Conn,
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

            pub(crate) async fn visits_in(
                conn: &mut Conn,
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

            pub(crate) async fn create_code_in(
                conn: &mut Conn,
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

            pub(crate) async fn resolve_code_in(
                conn: &mut Conn,
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

            pub(crate) async fn attempt_in(
                conn: &mut Conn,
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
        }
        pub(super) use shared::*;
    };
}
pub(crate) use shared_ops;
