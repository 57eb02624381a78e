//! The [`Store`](crate::store::Store) implementation the SQL stores share, as a macro: each
//! backend supplies its `*_in` functions (one per call, on a connection inside a transaction)
//! and the macros that run them — on a pool, within the deadline, mapping database errors.
//! What differs between PostgreSQL and SQLite is only how a call reaches the database
//! (a PL/pgSQL function on any pooled connection; Rust on the single writer) and `health`.

/// Implements `Store` for `$ty`. `$redeem` and `$check` run those two calls, `$read` and
/// `$write` every other reading or writing call; `$ty` has `shared.{queries, margin,
/// visit_cap}`, `now()`, `redeem_args()` and `health_report()`, and the `*_in` functions of
/// its backend are in scope where this is invoked.
macro_rules! sql_store {
    ($ty:ty, backend: $backend:literal, redeem: $redeem:ident, check: $check:ident, read: $read:ident, write: $write:ident) => {
        const _: () = {
            use time::{Duration, OffsetDateTime};

            use $crate::error::Error;
            use $crate::invitation::{Invitation, InvitationId};
            use $crate::store::code::check_client;
            use $crate::store::rules::checked_rule;
            use $crate::store::sql::{Record, key, redemption, scope_of};
            use $crate::store::trace;
            use $crate::store::{
                CodeSpec, Cutoff, IssuedInvitation, ListFilter, RateLimit, Redemption,
                RevocationRule, Status, Visit, check_note, code_forget_at, forget_at, lookup_code,
                new_code, revocation_forget_at, unix_ms,
            };

            impl $crate::store::Store for $ty {
                async fn redeem(
                    &self,
                    invitation: &Invitation,
                    joiner: &str,
                ) -> Result<Redemption, Error> {
                    trace::call($backend, "redeem", Some(&self.shared.link), async {
                        let args = self.redeem_args(invitation, joiner)?;
                        // One statement (the redeem function), atomic on its own.
                        let outcome =
                            $redeem!(self, "redeeming", redeem_in(&self.shared.queries, args))?;
                        redemption(outcome, invitation)
                    })
                    .await
                }

                async fn check(&self, invitation: &Invitation) -> Result<(), Error> {
                    trace::call($backend, "check", Some(&self.shared.link), async {
                        let now = unix_ms(self.now());
                        // One statement (the check function), reading only.
                        $check!(
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
                    })
                    .await
                }

                async fn is_revoked(&self, id: InvitationId) -> Result<bool, Error> {
                    trace::call($backend, "is_revoked", Some(&self.shared.link), async {
                        let now = unix_ms(self.now());
                        $read!(
                            self,
                            "checking",
                            is_revoked_in(&self.shared.queries, key(id), now)
                        )?
                        .into_result(None)
                    })
                    .await
                }

                async fn revoke(
                    &self,
                    id: InvitationId,
                    expires_at: Option<OffsetDateTime>,
                ) -> Result<bool, Error> {
                    trace::call($backend, "revoke", Some(&self.shared.link), async {
                        let now = self.now();
                        let forget =
                            revocation_forget_at(expires_at, self.shared.margin, now)?.map(unix_ms);
                        $write!(
                            self,
                            "revoking",
                            revoke_in(&self.shared.queries, key(id), unix_ms(now), forget)
                        )?
                        .into_result(None)
                    })
                    .await
                }

                async fn revoke_issued_before(
                    &self,
                    before: impl Into<Cutoff> + Send,
                    inviter: Option<&str>,
                ) -> Result<RevocationRule, Error> {
                    trace::call(
                        $backend,
                        "revoke_issued_before",
                        Some(&self.shared.link),
                        async {
                            let before = checked_rule(before, inviter, self.now())?;
                            let scope = scope_of(inviter);
                            $write!(
                                self,
                                "revoking",
                                raise_rule_in(&self.shared.queries, scope, before)
                            )?
                            .into_result(None)
                        },
                    )
                    .await
                }

                async fn revocation_rules(&self) -> Result<Vec<RevocationRule>, Error> {
                    trace::call(
                        $backend,
                        "revocation_rules",
                        Some(&self.shared.link),
                        async {
                            $read!(self, "reading rules", rules_in(&self.shared.queries))?
                                .into_result(None)
                        },
                    )
                    .await
                }

                async fn health(&self) -> Result<$crate::store::Health, $crate::error::Error> {
                    trace::call($backend, "health", Some(&self.shared.link), async {
                        self.health_report().await
                    })
                    .await
                }

                async fn status(&self, id: InvitationId) -> Result<Status, Error> {
                    trace::call($backend, "status", Some(&self.shared.link), async {
                        let now = unix_ms(self.now());
                        $read!(
                            self,
                            "reading status",
                            status_in(&self.shared.queries, id, now)
                        )?
                        .into_result(None)
                    })
                    .await
                }

                async fn record_issued(
                    &self,
                    invitation: &Invitation,
                    description: Option<&str>,
                ) -> Result<(), Error> {
                    trace::call($backend, "record_issued", Some(&self.shared.link), async {
                        if let Some(d) = description {
                            check_note("description", d)?;
                        }
                        let record =
                            Record::new(invitation, description, self.shared.margin, self.now());
                        $write!(self, "recording", record_in(&self.shared.queries, record))?
                            .into_result(None)
                    })
                    .await
                }

                async fn list(&self, filter: &ListFilter) -> Result<Vec<IssuedInvitation>, Error> {
                    trace::call($backend, "list", Some(&self.shared.link), async {
                        filter.validate()?;
                        $read!(
                            self,
                            "listing",
                            list_in(&self.shared.queries, self.now(), filter.clone())
                        )?
                        .into_result(None)
                    })
                    .await
                }

                async fn record_visit(
                    &self,
                    invitation: &Invitation,
                    metadata: &str,
                ) -> Result<(), Error> {
                    trace::call($backend, "record_visit", Some(&self.shared.link), async {
                        check_note("metadata", metadata)?;
                        let cap = i64::try_from(self.shared.visit_cap).unwrap_or(i64::MAX);
                        $write!(
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
                    })
                    .await
                }

                async fn visits(&self, id: InvitationId) -> Result<Vec<Visit>, Error> {
                    trace::call($backend, "visits", Some(&self.shared.link), async {
                        let now = unix_ms(self.now());
                        $read!(
                            self,
                            "reading visits",
                            visits_in(&self.shared.queries, key(id), now)
                        )?
                        .into_result(None)
                    })
                    .await
                }

                async fn create_code(&self, token: &str, spec: &CodeSpec) -> Result<String, Error> {
                    trace::call($backend, "create_code", Some(&self.shared.link), async {
                        let now = self.now();
                        let forget = code_forget_at(token, self.shared.margin, now)?.map(unix_ms);
                        let (canonical, shown) = new_code(spec)?;
                        $write!(
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
                    })
                    .await
                }

                async fn resolve_code(&self, code: &str) -> Result<String, Error> {
                    trace::call($backend, "resolve_code", Some(&self.shared.link), async {
                        let canonical = lookup_code(code)?;
                        let now = unix_ms(self.now());
                        $read!(
                            self,
                            "resolving a code",
                            resolve_code_in(&self.shared.queries, canonical, now)
                        )?
                        .into_result(None)
                    })
                    .await
                }

                async fn count_attempt(
                    &self,
                    client: &str,
                    limit: &RateLimit,
                ) -> Result<u32, Error> {
                    trace::call($backend, "count_attempt", Some(&self.shared.link), async {
                        check_client(client)?;
                        let window_ms = limit.validate()?;
                        let allowed = limit.limit;
                        let now_ms = unix_ms(self.now());
                        let window = now_ms / window_ms;
                        let end_ms = window.saturating_add(1).saturating_mul(window_ms);
                        let attempts = $write!(
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
                            let left = Duration::milliseconds(end_ms.saturating_sub(now_ms))
                                .max(Duration::ZERO);
                            return Err(Error::RateLimited {
                                retry_after: left.try_into().unwrap_or_default(),
                            });
                        }
                        Ok(allowed - attempts)
                    })
                    .await
                }
            }
        };
    };
}
pub(crate) use sql_store;
