//! A SQL store that loses data fails closed, and `migrate()` never starts it afresh: each way an
//! operator or a restore can empty a table, tried on PostgreSQL and SQLite (SECURITY.md, "What
//! the SQL stores detect").

use admit::store::{Store, Verdict};
use admit::{Error, Invitation, InvitationId};
use time::{Duration, OffsetDateTime};

/// Runs raw SQL on a store's own database, as an operator would.
trait Operator: Store {
    const POSTGRES: bool;
    async fn sql(&self, text: &str) -> Result<(), String>;
    async fn migrate_again(&self) -> Result<(), Error>;
}

#[cfg(feature = "postgres")]
impl Operator for admit::store::PgStore {
    const POSTGRES: bool = true;
    async fn sql(&self, text: &str) -> Result<(), String> {
        let done = sqlx::raw_sql(text).execute(self.pool()).await;
        done.map(drop).map_err(|e| e.to_string())
    }
    async fn migrate_again(&self) -> Result<(), Error> {
        self.migrate().await
    }
}

#[cfg(feature = "sqlite")]
impl Operator for admit::store::SqliteStore {
    const POSTGRES: bool = false;
    async fn sql(&self, text: &str) -> Result<(), String> {
        let done = sqlx::raw_sql(text).execute(self.pool()).await;
        done.map(drop).map_err(|e| e.to_string())
    }
    async fn migrate_again(&self) -> Result<(), Error> {
        self.migrate().await
    }
}

/// An invitation issued ten minutes ago: before any recovery's cut-off.
fn earlier(n: u8, builder: admit::InvitationBuilder) -> Invitation {
    let at = OffsetDateTime::now_utc() - Duration::minutes(10);
    crate::issuer()
        .mint_with_id(builder, InvitationId::from_bytes([n; 12]), at)
        .unwrap()
        .invitation()
        .clone()
}

/// A revoked invitation and a used-up one-time invitation: what a loss would bring back.
async fn promises(store: &impl Store) -> (Invitation, Invitation) {
    let revoked = earlier(1, Invitation::builder());
    let used = earlier(2, Invitation::builder().one_time());
    store.revoke_invitation(&revoked).await.unwrap();
    store.redeem(&used, "alice").await.unwrap();
    store
        .revoke_issued_before(OffsetDateTime::now_utc() - Duration::days(30), Some("eve"))
        .await
        .unwrap();
    (revoked, used)
}

async fn kept(store: &impl Store, (revoked, used): &(Invitation, Invitation)) {
    assert_eq!(store.check(revoked).await, Err(Error::Revoked));
    assert!(matches!(
        store.redeem(used, "bob").await,
        Err(Error::UsedUp { max_uses: 1 })
    ));
}

/// Every call closed, `migrate()` refusing and naming `evidence`, `health()` saying so.
async fn closed<S: Operator>(
    store: &S,
    (revoked, used): &(Invitation, Invitation),
    evidence: &str,
) {
    assert_eq!(store.check(revoked).await, Err(Error::StoreNotInitialized));
    assert_eq!(
        store.redeem(used, "bob").await,
        Err(Error::StoreNotInitialized)
    );
    for _ in 0..2 {
        match store.migrate_again().await {
            Err(Error::StoreDataLost { evidence: found }) => {
                assert!(found.contains(evidence), "{found}");
            }
            other => panic!("migrate() after a loss: {other:?}"),
        }
    }
    // Still closed: the refused migrations created nothing.
    assert_eq!(store.check(revoked).await, Err(Error::StoreNotInitialized));
    let init = super::harness::initialized_check(store).await;
    assert_eq!(init.verdict, Verdict::Unsafe);
    assert!(init.found.starts_with("data lost"), "{init:?}");
    let message = Error::StoreDataLost {
        evidence: evidence.into(),
    }
    .to_string();
    assert!(message.contains("--revoke-issued-before"), "{message}");
}

/// The guards refuse what would empty a table or undo a rule, and nothing changes.
async fn guards_refuse<S: Operator>(store: &S, p: &str) {
    let state = promises(store).await;
    let mut refused = vec![
        format!("DELETE FROM {p}invitations"),
        format!("DELETE FROM {p}rules"),
        format!("UPDATE {p}rules SET cutoff_ms = 0"),
    ];
    if S::POSTGRES {
        for table in ["invitations", "rules", "joiners", "meta"] {
            refused.push(format!("TRUNCATE {p}{table} CASCADE"));
        }
    }
    for text in &refused {
        let err = store.sql(text).await.expect_err(text);
        assert!(err.contains("refused"), "{text}: {err}");
    }
    kept(store, &state).await;
    // What the store does itself still works: a rule moves later.
    store
        .revoke_issued_before(OffsetDateTime::now_utc() - Duration::days(1), Some("eve"))
        .await
        .unwrap();
}

/// A dropped table: closed until a recovery, which revokes what was issued before the loss.
async fn dropped_table<S: Operator>(store: &S, p: &str) -> (Invitation, Invitation) {
    let state = promises(store).await;
    let cascade = if S::POSTGRES { " CASCADE" } else { "" };
    store
        .sql(&format!("DROP TABLE {p}invitations{cascade}"))
        .await
        .unwrap();
    closed(store, &state, &format!("{p}invitations is missing")).await;
    state
}

/// A table emptied with its guard out of the way (a superuser, a restore of the schema without
/// the rows): the sentinel went with the rows.
async fn emptied_table<S: Operator>(store: &S, p: &str) -> (Invitation, Invitation) {
    let state = promises(store).await;
    let empty = if S::POSTGRES {
        format!(
            "ALTER TABLE {p}invitations DISABLE TRIGGER USER; \
             ALTER TABLE {p}joiners DISABLE TRIGGER USER; \
             TRUNCATE {p}invitations CASCADE; \
             ALTER TABLE {p}invitations ENABLE TRIGGER USER; \
             ALTER TABLE {p}joiners ENABLE TRIGGER USER"
        )
    } else {
        format!("DROP TRIGGER {p}sentinel_kept; DELETE FROM {p}invitations")
    };
    store.sql(&empty).await.unwrap();
    closed(
        store,
        &state,
        &format!("sentinel row of {p}invitations is gone"),
    )
    .await;
    state
}

/// The rules emptied the same way: the rule revocations would be gone.
async fn emptied_rules<S: Operator>(store: &S, p: &str) {
    let state = promises(store).await;
    let empty = if S::POSTGRES {
        format!(
            "ALTER TABLE {p}rules DISABLE TRIGGER USER; DELETE FROM {p}rules; \
             ALTER TABLE {p}rules ENABLE TRIGGER USER"
        )
    } else {
        format!("DROP TRIGGER {p}rules_never_deleted; DELETE FROM {p}rules")
    };
    store.sql(&empty).await.unwrap();
    closed(store, &state, &format!("sentinel row of {p}rules is gone")).await;
}

/// Only the marker lost, the data intact: `migrate()` marks the store again, and every promise
/// holds.
async fn marker_lost<S: Operator>(store: &S, p: &str) {
    let state = promises(store).await;
    store.sql(&format!("DELETE FROM {p}meta")).await.unwrap();
    assert_eq!(store.check(&state.0).await, Err(Error::StoreNotInitialized));
    store.migrate_again().await.unwrap();
    kept(store, &state).await;
}

/// After a recovery: what was issued before the cut-off is revoked, the store is open.
async fn recovered(store: &impl Store, (revoked, used): &(Invitation, Invitation)) {
    assert_eq!(store.check(revoked).await, Err(Error::Revoked));
    assert_eq!(store.redeem(used, "bob").await, Err(Error::Revoked));
    let fresh = crate::issuer()
        .mint(Invitation::builder())
        .unwrap()
        .invitation()
        .clone();
    store.redeem(&fresh, "carol").await.unwrap();
}

/// A cut-off a moment ago, to the millisecond.
fn cutoff() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc() - Duration::seconds(2);
    t.replace_millisecond(t.millisecond()).unwrap()
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_fails_closed_on_every_loss() {
    use admit::store::PgStore;

    let Some(url) = tokio::task::spawn_blocking(super::harness::postgres_url)
        .await
        .unwrap()
    else {
        return;
    };
    let open = async |prefix: &str| {
        let store = PgStore::builder()
            .prefix(prefix)
            .connect(&url)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        store
    };
    let p = super::harness::unique_table_prefix();
    guards_refuse(&open(&p).await, &p).await;
    let p = super::harness::unique_table_prefix();
    marker_lost(&open(&p).await, &p).await;
    let p = super::harness::unique_table_prefix();
    emptied_rules(&open(&p).await, &p).await;

    for emptied in [false, true] {
        let p = super::harness::unique_table_prefix();
        let store = open(&p).await;
        let state = match emptied {
            false => dropped_table(&store, &p).await,
            true => emptied_table(&store, &p).await,
        };
        // Opening with CreateIfMissing is refused the same way; a recovery proceeds.
        let again = PgStore::builder()
            .prefix(&p)
            .create_if_missing()
            .connect(&url)
            .await;
        assert!(
            matches!(again, Err(Error::StoreDataLost { .. })),
            "{again:?}"
        );
        let healed = PgStore::builder()
            .prefix(&p)
            .recover_from_data_loss(cutoff())
            .connect(&url)
            .await
            .unwrap();
        recovered(&healed, &state).await;
        recovered(&store, &state).await;
        store.migrate().await.unwrap();
    }
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_fails_closed_on_every_loss() {
    use admit::store::SqliteStore;

    let dir = crate::support::TempDir::new("sqlite-loss");
    let open = async |name: &str| {
        SqliteStore::builder()
            .create_if_missing()
            .open(dir.path().join(name))
            .await
            .unwrap()
    };
    let p = "admit_";
    guards_refuse(&open("guards.db").await, p).await;
    marker_lost(&open("marker.db").await, p).await;
    emptied_rules(&open("rules.db").await, p).await;

    for emptied in [false, true] {
        let name = format!("loss-{emptied}.db");
        let store = open(&name).await;
        let state = match emptied {
            false => dropped_table(&store, p).await,
            true => emptied_table(&store, p).await,
        };
        let again = SqliteStore::builder()
            .create_if_missing()
            .open(dir.path().join(&name))
            .await;
        assert!(
            matches!(again, Err(Error::StoreDataLost { .. })),
            "{again:?}"
        );
        let healed = SqliteStore::builder()
            .recover_from_data_loss(cutoff())
            .open(dir.path().join(&name))
            .await
            .unwrap();
        recovered(&healed, &state).await;
        recovered(&store, &state).await;
    }
}
