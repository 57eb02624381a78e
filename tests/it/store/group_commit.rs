//! Group commit on PostgreSQL: concurrent `redeem` calls share transactions (their events carry
//! one transaction ID), and every outcome is still exact.

use std::collections::HashSet;

use admit::store::Store;
use admit::{Error, Invitation};

use super::harness::{Harness as _, PgHarness};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redemptions_share_commits_and_stay_exact() {
    let Some(h) = PgHarness::new().await else {
        return;
    };
    let store = h.store().clone();
    let limited = super::mint(Invitation::builder().max_uses(5));
    let open: Vec<Invitation> = (0..20)
        .map(|_| super::mint(Invitation::builder()))
        .collect();
    // 200 calls at once: 100 joiners on the 5-use invitation, 5 on each of 20 others.
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..200usize {
        let (store, inv) = (
            store.clone(),
            match n % 2 {
                0 => limited.clone(),
                _ => open[n / 2 % 20].clone(),
            },
        );
        calls.spawn(async move { (inv.id(), store.redeem(&inv, &format!("j{n}")).await) });
    }
    let mut counted_on_limited = 0;
    let mut used_up = 0;
    while let Some(done) = calls.join_next().await {
        let (id, result) = done.unwrap();
        match result {
            Ok(r) => {
                assert!(!r.repeated);
                if id == limited.id() {
                    counted_on_limited += 1;
                    assert!(r.uses <= 5, "{r:?}");
                }
            }
            Err(Error::UsedUp { max_uses: 5 }) if id == limited.id() => used_up += 1,
            Err(e) => panic!("redeem failed: {e}"),
        }
    }
    assert_eq!((counted_on_limited, used_up), (5, 95));
    for inv in &open {
        assert_eq!(store.status(inv.id()).await.unwrap().uses, 5);
    }
    assert_eq!(store.status(limited.id()).await.unwrap().uses, 5);

    // 105 counted redemptions wrote 105 `redeemed` events (kind 2), in fewer transactions.
    let prefix = store_prefix(&store).await;
    let (events, transactions): (i64, i64) = sqlx::query_as(&format!(
        "SELECT count(*), count(DISTINCT xid) FROM {prefix}events WHERE kind = 2"
    ))
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(events, 105);
    assert!(
        transactions < events,
        "{events} redemptions in {transactions} transactions: no commit was shared"
    );
    eprintln!("group commit: {events} redemptions in {transactions} transactions");

    // One call alone still works, and a repeat is still a repeat.
    let again = store.redeem(&open[0], "j1").await.unwrap();
    assert!(again.repeated);
    let ids: HashSet<_> = open.iter().map(|i| i.id()).collect();
    assert_eq!(ids.len(), 20);
}

/// The table prefix of a harness store, from its events table's name.
async fn store_prefix(store: &admit::store::PgStore) -> String {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::TEXT FROM pg_tables WHERE tablename LIKE '%events' \
         ORDER BY tablename",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let debug = format!("{store:?}");
    tables
        .into_iter()
        .map(|t| t.trim_end_matches("events").to_owned())
        .find(|p| debug.contains(&format!("\"{p}\"")))
        .expect("the store's events table")
}

/// A redemption the database refuses (here a trigger of the application's) fails alone: the
/// others of its batch run again one by one and count exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_redemption_fails_alone() {
    let Some(h) = PgHarness::new().await else {
        return;
    };
    let store = h.store().clone();
    let p = store_prefix(&store).await;
    sqlx::raw_sql(&format!(
        "CREATE FUNCTION {p}poison() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN RAISE EXCEPTION 'poisoned joiner'; END $$; \
         CREATE TRIGGER {p}poison BEFORE INSERT ON {p}joiners FOR EACH ROW \
         WHEN (NEW.joiner LIKE 'poison%') EXECUTE FUNCTION {p}poison()"
    ))
    .execute(store.pool())
    .await
    .unwrap();
    let inv = super::mint(Invitation::builder());
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..100usize {
        let (store, inv) = (store.clone(), inv.clone());
        let joiner = match n % 20 {
            7 => format!("poison-{n}"),
            _ => format!("j{n}"),
        };
        calls.spawn(async move { (joiner.clone(), store.redeem(&inv, &joiner).await) });
    }
    let mut uses = Vec::new();
    while let Some(done) = calls.join_next().await {
        match done.unwrap() {
            (joiner, Ok(r)) => {
                assert!(!joiner.starts_with("poison"), "{joiner} counted");
                assert!(!r.repeated, "{joiner}");
                uses.push(r.uses);
            }
            (joiner, Err(Error::StoreUnavailable { .. })) => {
                assert!(joiner.starts_with("poison"), "{joiner} refused");
            }
            (joiner, Err(e)) => panic!("{joiner}: {e}"),
        }
    }
    // 95 counted, each with its own count: none twice, none lost.
    uses.sort_unstable();
    assert_eq!(uses, (1..=95).collect::<Vec<u32>>());
    assert_eq!(store.status(inv.id()).await.unwrap().uses, 95);
}
