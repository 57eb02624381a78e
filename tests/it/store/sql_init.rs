//! [`Init`] on the SQL stores: a store that is not set up is refused, created, or recovered
//! from data loss, with the recovery's revocation rule written in the same transaction as the
//! tables and the marker.

use admit::store::{Init, RevocationRule, Store, Verdict};
use admit::{Error, Invitation, InvitationId};
use time::{Duration, OffsetDateTime};

/// The time, to the millisecond (what the stores keep), a few seconds ago: a recovery's
/// cut-off may not lie in the future.
fn cutoff() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc() - Duration::seconds(5);
    t.replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap()
}

/// An invitation issued at `at`.
fn issued_at(n: u8, at: OffsetDateTime) -> Invitation {
    crate::issuer()
        .mint_with_id(Invitation::builder(), InvitationId::from_bytes([n; 12]), at)
        .unwrap()
        .invitation()
        .clone()
}

/// What a recovered store answers: what was issued before the cut-off is revoked, what came
/// after works, and the rule is the only one.
async fn recovered(store: &impl Store, cutoff: OffsetDateTime) {
    let lost = issued_at(1, cutoff - Duration::hours(1));
    let resent = issued_at(2, cutoff + Duration::seconds(2));
    assert_eq!(store.check(&lost).await, Err(Error::Revoked));
    assert_eq!(store.redeem(&lost, "alice").await, Err(Error::Revoked));
    store.check(&resent).await.unwrap();
    assert_eq!(store.redeem(&resent, "alice").await.unwrap().uses, 1);
    let rules = store.revocation_rules().await.unwrap();
    assert_eq!(rules, vec![RevocationRule::new(cutoff, None)]);
    let health = store.health().await.unwrap();
    let initialized = health.checks.iter().find(|c| c.name == "initialized");
    assert_eq!(
        initialized.map(|c| c.verdict),
        Some(Verdict::Ok),
        "{health:?}"
    );
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_is_created_or_recovered_only_when_told() {
    use admit::store::SqliteStore;

    let dir = crate::support::TempDir::new("sqlite-init");
    let path = dir.path().join("admit.db");
    // A lost file is refused, and nothing is created.
    let refused = SqliteStore::builder().init(Init::Require).open(&path).await;
    assert_eq!(refused.unwrap_err(), Error::StoreNotInitialized);
    assert!(!path.exists());
    // A recovery whose cut-off lies in the future is refused before anything is written.
    let future = OffsetDateTime::now_utc() + Duration::hours(1);
    let refused = SqliteStore::builder()
        .recover_from_data_loss(future)
        .open(&path)
        .await;
    assert!(
        matches!(refused, Err(Error::InvalidArgument { name: "before", .. })),
        "{refused:?}"
    );
    let cutoff = cutoff();
    let store = SqliteStore::builder()
        .recover_from_data_loss(cutoff)
        .open(&path)
        .await
        .unwrap();
    recovered(&store, cutoff).await;
    // Opened again as usual: the store is there, with its rule.
    recovered(&SqliteStore::open(&path).await.unwrap(), cutoff).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_is_created_or_recovered_only_when_told() {
    use admit::store::PgStore;

    let Some(url) = tokio::task::spawn_blocking(crate::support::postgres_url)
        .await
        .unwrap()
    else {
        return;
    };
    let inv = issued_at(3, OffsetDateTime::now_utc());
    // Tables that are not there: connecting works, every call refuses.
    let prefix = crate::support::unique_table_prefix();
    let plain = PgStore::builder()
        .prefix(&*prefix)
        .connect(&url)
        .await
        .unwrap();
    assert_eq!(plain.check(&inv).await, Err(Error::StoreNotInitialized));
    // Created at connect.
    let created = PgStore::builder()
        .prefix(&*prefix)
        .create_if_missing()
        .connect(&url)
        .await
        .unwrap();
    created.check(&inv).await.unwrap();
    assert_eq!(plain.redeem(&inv, "alice").await.unwrap().uses, 1);
    // Recovered at connect, on tables of their own.
    let cutoff = cutoff();
    let prefix = crate::support::unique_table_prefix();
    let store = PgStore::builder()
        .prefix(prefix)
        .init(Init::RecoverFromDataLoss {
            revoke_issued_before: cutoff,
        })
        .connect(&url)
        .await
        .unwrap();
    recovered(&store, cutoff).await;
}

/// Turns a store's tables back into schema version 1 (no search keys), as a store made by an
/// earlier library has them.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn downgrade_to_1(prefix: &str) -> [String; 5] {
    [
        format!("DROP INDEX {prefix}invitations_email_key"),
        format!("DROP INDEX {prefix}invitations_inviter_key"),
        format!("ALTER TABLE {prefix}invitations DROP COLUMN rec_email_key"),
        format!("ALTER TABLE {prefix}invitations DROP COLUMN rec_inviter_key"),
        format!("UPDATE {prefix}meta SET value = '1' WHERE name = 'schema'"),
    ]
}

/// What a version-1 store answers before and after `migrate()`: a clear error naming the
/// upgrade, then searches that find what was recorded before it.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
async fn upgraded(
    store: &impl Store,
    migrate: impl core::future::Future<Output = Result<(), Error>>,
) {
    use admit::store::ListFilter;
    let search = ListFilter::new().search("ADA");
    let refused = store.list(&search).await;
    assert!(
        matches!(
            refused,
            Err(Error::StoreMisconfigured {
                setting: "schema",
                ..
            })
        ),
        "{refused:?}"
    );
    migrate.await.unwrap();
    let found = store.list(&search).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].email.as_deref(), Some("ada@example.com"));
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_schema_1_is_upgraded_by_migrate() {
    use admit::store::{Init, SqliteStore};
    use sqlx::Connection as _;

    let dir = crate::support::TempDir::new("sqlite-upgrade");
    let path = dir.path().join("admit.db");
    let store = SqliteStore::builder()
        .init(Init::CreateIfMissing)
        .open(&path)
        .await
        .unwrap();
    let ada = crate::issuer()
        .mint(Invitation::builder().email("ada@example.com"))
        .unwrap();
    store.record_issued(ada.invitation(), None).await.unwrap();
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    for sql in downgrade_to_1("admit_") {
        sqlx::query(&sql).execute(&mut c).await.unwrap();
    }
    drop(c);
    upgraded(&store, store.migrate()).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_schema_1_is_upgraded_by_migrate() {
    use admit::store::PgStore;

    let Some(url) = tokio::task::spawn_blocking(crate::support::postgres_url)
        .await
        .unwrap()
    else {
        return;
    };
    let prefix = crate::support::unique_table_prefix();
    let store = PgStore::builder()
        .prefix(&*prefix)
        .connect(&url)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let ada = crate::issuer()
        .mint(Invitation::builder().email("ada@example.com"))
        .unwrap();
    store.record_issued(ada.invitation(), None).await.unwrap();
    for sql in downgrade_to_1(&prefix) {
        sqlx::query(&sql).execute(store.pool()).await.unwrap();
    }
    upgraded(&store, store.migrate()).await;
}
