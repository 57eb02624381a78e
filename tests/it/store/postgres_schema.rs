//! What only PostgreSQL shows: an explicit `migrate()`, failing closed without the schema, a
//! newer schema refused, and `purge_expired` deleting what no answer depends on any more.

use admit::store::{PgStore, Store, Verdict, Visits};
use admit::{Error, Invitation};
use time::Duration;

use super::harness::{MovedClock, postgres_url, unique_table_prefix};

async fn url() -> Option<String> {
    tokio::task::spawn_blocking(postgres_url).await.ok()?
}

/// A store on fresh tables (not migrated), on a clock the test moves.
async fn unmigrated(url: &str, prefix: &str) -> (PgStore, MovedClock) {
    let clock = MovedClock::new();
    let store = PgStore::builder()
        .prefix(prefix)
        .clock(clock.source())
        .connect(url)
        .await
        .expect("connect");
    (store, clock)
}

/// The rows of `table`, the store's own sentinel row (the invitation with the empty ID) not
/// counted.
async fn rows(store: &PgStore, table: &str) -> i64 {
    let sentinel = if table.ends_with("invitations") {
        " WHERE id <> ''::BYTEA"
    } else {
        ""
    };
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}{sentinel}"))
        .fetch_one(store.pool())
        .await
        .expect("count rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_works_until_migrate_and_after_the_tables_are_dropped() {
    let Some(url) = url().await else { return };
    let prefix = unique_table_prefix();
    let (store, _) = unmigrated(&url, &prefix).await;
    let inv = super::mint(Invitation::builder().max_uses(1));
    assert_eq!(
        store.redeem(&inv, "alice").await,
        Err(Error::StoreNotInitialized)
    );
    assert_eq!(store.check(&inv).await, Err(Error::StoreNotInitialized));
    assert_eq!(
        store.revoke_invitation(&inv).await,
        Err(Error::StoreNotInitialized)
    );
    let health = store.health().await.unwrap();
    assert!(
        health
            .checks
            .iter()
            .any(|c| c.name == "initialized" && c.verdict == Verdict::Unsafe),
        "{health:?}"
    );

    store.migrate().await.unwrap();
    store.migrate().await.unwrap(); // idempotent
    assert_eq!(store.redeem(&inv, "alice").await.unwrap().uses, 1);
    store.revoke_invitation(&inv).await.unwrap();
    assert_eq!(store.check(&inv).await, Err(Error::Revoked));

    // The tables are dropped (or a backup without them is restored): closed, not empty.
    sqlx::raw_sql(&format!(
        "DROP TABLE {prefix}joiners, {prefix}visits, {prefix}invitations, {prefix}rules, \
         {prefix}codes, {prefix}attempts, {prefix}meta CASCADE"
    ))
    .execute(store.pool())
    .await
    .unwrap();
    assert_eq!(store.check(&inv).await, Err(Error::StoreNotInitialized));
    assert_eq!(
        store.redeem(&inv, "bob").await,
        Err(Error::StoreNotInitialized)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_and_bad_prefixes_too() {
    let Some(url) = url().await else { return };
    let prefix = unique_table_prefix();
    let (store, _) = unmigrated(&url, &prefix).await;
    store.migrate().await.unwrap();
    sqlx::query(&format!(
        "UPDATE {prefix}meta SET value = '99' WHERE name = 'schema'"
    ))
    .execute(store.pool())
    .await
    .unwrap();
    assert!(matches!(
        store.migrate().await,
        Err(Error::StoreMisconfigured {
            setting: "schema",
            ..
        })
    ));
    for bad in [
        "",
        "Admit_",
        "1admit",
        "admit-",
        "a; DROP TABLE x; --",
        &"a".repeat(33),
    ] {
        assert!(
            matches!(
                PgStore::builder().prefix(bad).connect(&url).await,
                Err(Error::InvalidArgument { name: "prefix", .. })
            ),
            "{bad:?}"
        );
    }
}

/// Expired rows answer nothing whether or not they were purged; `purge_expired` deletes them in
/// batches, joiners and visits with them, and keeps everything still live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_expired_deletes_in_batches_and_changes_no_answer() {
    let Some(url) = url().await else { return };
    let prefix = unique_table_prefix();
    let (store, clock) = unmigrated(&url, &prefix).await;
    store.migrate().await.unwrap();
    let short: Vec<Invitation> = (0..5)
        .map(|_| {
            crate::issuer()
                .mint_with_id(
                    Invitation::builder().ttl(Duration::minutes(1)),
                    admit::InvitationId::random().unwrap(),
                    clock.now(),
                )
                .unwrap()
                .invitation()
                .clone()
        })
        .collect();
    let long = super::mint(Invitation::builder().ttl(Duration::days(30)).max_uses(3));
    for inv in short.iter().chain([&long]) {
        store.redeem(inv, "alice").await.unwrap();
        store.record_visit(inv, "from a test").await.unwrap();
    }
    store.revoke_invitation(&short[0]).await.unwrap();
    assert_eq!(rows(&store, &format!("{prefix}invitations")).await, 6);
    assert_eq!(
        store.purge_expired(100).await.unwrap(),
        0,
        "nothing expired yet"
    );

    // Past expiry plus the margin: no answer depends on the short ones any more.
    clock.advance(Duration::minutes(1) + admit::store::DEFAULT_MARGIN + Duration::SECOND);
    assert!(!store.status(short[0].id()).await.unwrap().known);
    // Five invitations and their eleven events (five redeemed, five visited, one revoked), at
    // most two rows of each table per call.
    assert_eq!(store.purge_expired(2).await.unwrap(), 4);
    let mut purged = 4;
    loop {
        let n = store.purge_expired(2).await.unwrap();
        assert!(n <= 4, "two rows per table at most");
        if n == 0 {
            break;
        }
        purged += n;
    }
    assert_eq!(purged, 16);
    assert_eq!(
        rows(&store, &format!("{prefix}events")).await,
        2,
        "the live ones"
    );
    assert_eq!(rows(&store, &format!("{prefix}invitations")).await, 1);
    assert_eq!(rows(&store, &format!("{prefix}joiners")).await, 1);
    assert_eq!(rows(&store, &format!("{prefix}visits")).await, 1);
    let status = store.status(long.id()).await.unwrap();
    assert_eq!((status.uses, status.joiners.len()), (1, 1));
}
