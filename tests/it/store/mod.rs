//! The store: one conformance suite run against every backend (memory, Redis, Redis Cluster,
//! PostgreSQL, SQLite), then what only Redis can show (key schema, scripts, deadlines, a crash and
//! restart).

#[cfg(any(feature = "postgres", feature = "redis", feature = "sqlite"))]
mod connect_errors;
pub mod harness;
mod suite;

#[cfg(all(
    any(feature = "postgres", feature = "sqlite", feature = "redis"),
    feature = "rand"
))]
mod codes_at_rest;
#[cfg(all(feature = "postgres", feature = "rand"))]
mod group_commit;
#[cfg(all(feature = "postgres", feature = "rand"))]
mod postgres_faults;
#[cfg(all(feature = "postgres", feature = "rand"))]
mod postgres_schema;
#[cfg(all(feature = "postgres", feature = "rand"))]
mod postgres_tx;
#[cfg(all(feature = "redis", feature = "rand"))]
mod redis_faults;
#[cfg(all(feature = "redis", feature = "rand"))]
mod redis_grouped;
#[cfg(all(feature = "redis", feature = "rand"))]
mod redis_guarantees;
#[cfg(all(feature = "redis", feature = "rand"))]
mod redis_layout;
mod settings;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod sql_init;
#[cfg(all(any(feature = "postgres", feature = "sqlite"), feature = "rand"))]
mod sql_loss;
#[cfg(all(feature = "sqlite", feature = "rand"))]
mod sqlite_file;

/// A fresh invitation minted now by the test issuer.
#[cfg(all(
    any(feature = "redis", feature = "postgres", feature = "sqlite"),
    feature = "rand"
))]
fn mint(builder: admit::InvitationBuilder) -> admit::Invitation {
    crate::issuer()
        .mint(builder)
        .expect("valid claims")
        .invitation()
        .clone()
}

/// Instantiates every test of the suite for one backend; `$make` yields `Option<Harness>`
/// (`None`: the backend is unavailable and the skip was already announced).
macro_rules! conformance {
    ($backend:ident, $make:expr) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::harness::*;

            conformance!(@tests $make;
                redeem_counts_and_refuses_at_the_limit,
                redeem_without_limit_counts_every_joiner,
                same_joiner_is_counted_once,
                revoked_invitations_are_refused,
                revoke_issued_before_covers_older_invitations,
                revoke_issued_before_one_inviter,
                rules_cover_the_whole_second_of_their_cutoff,
                future_cutoffs_are_refused_unless_allowed,
                status_and_list_show_rule_revocations,
                revocations_outlive_their_invitation,
                check_reports_used_up,
                health_reports_a_verdict,
                status_reports_joiners_and_registry,
                registry_lists_active_invitations,
                list_pages_past_a_thousand,
                list_searches_by_the_start_of_email_or_inviter,
                list_newest_first,
                expired_invitations_on_request,
                visits_are_capped_newest_first,
                state_expires_with_the_invitation,
                never_expiring_state_stays,
                redeem_after_the_margin_is_refused,
                bad_arguments_are_refused,
                verifier_conveniences,
                concurrent_joiners_on_five_uses,
                one_joiner_fifty_times_at_once,
                revoke_during_a_burst,
                vanity_codes,
                concurrent_creation_of_one_vanity_code,
                events_record_every_fact,
                events_filter_and_refuse_bad_filters,
                events_page_in_one_order_under_concurrency,
                next_events_waits_for_the_next_event,
                events_expire_with_their_invitation,
                consumer_records_compare_and_set,
                funnel_counts_each_stage_per_inviter,
                revocation_lists_carry_what_the_store_did,
            );
            // Random short codes draw from the OS RNG: the `rand` feature.
            conformance!(@gated [feature = "rand"] $make;
                codes_resolve_to_their_token,
                codes_catch_typos_and_unknown_codes,
                tampered_code_entries_fail_verification,
                codes_expire_with_their_invitation,
                attempt_limiter_counts_per_client_and_window,
            );
        }
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        conformance!(@gated [all()] $make; $($name),*);
    };
    (@gated [$cfg:meta] $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[cfg($cfg)]
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                if let Some(h) = $make.await {
                    super::suite::$name(h).await;
                }
            }
        )*
    };
}

conformance!(memory, async { Some(MemoryHarness::new()) });

#[cfg(feature = "redis")]
conformance!(redis, RedisHarness::single());

#[cfg(feature = "cluster")]
conformance!(cluster, RedisHarness::cluster());

#[cfg(feature = "postgres")]
conformance!(postgres, PgHarness::new());

#[cfg(feature = "sqlite")]
conformance!(sqlite, SqliteHarness::new());
