//! Redeeming in the application's own transaction (`PgStore::redeem_in`): the account row and
//! the use commit or roll back together, on a real PostgreSQL.

use std::sync::Arc;

use admit::store::{PgStore, Store};
use admit::{Error, Invitation};
use sqlx::{Connection as _, PgConnection};

use super::harness::Harness as _;
use super::harness::{PgHarness, logged, unique_table_prefix};

/// A store on fresh tables, and an `accounts` table of the application's beside it.
async fn setup() -> Option<(PgHarness, String)> {
    let h = PgHarness::new().await?;
    let accounts = format!("{}accounts", unique_table_prefix());
    sqlx::query(&format!(
        "CREATE TABLE {accounts} (joiner TEXT PRIMARY KEY, email TEXT)"
    ))
    .execute(h.store().pool())
    .await
    .expect("create the accounts table");
    Some((h, accounts))
}

fn invitation(max_uses: u32) -> Invitation {
    super::mint(Invitation::builder().max_uses(max_uses))
}

async fn accounts(store: &PgStore, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(store.pool())
        .await
        .expect("count accounts")
}

/// One sign-up: the account row, then the redemption, in one transaction.
async fn sign_up(
    store: &PgStore,
    table: &str,
    inv: &Invitation,
    joiner: &str,
    fail_after_redeem: bool,
) -> Result<(), Error> {
    let mut tx = store.pool().begin().await.expect("begin");
    sqlx::query(&format!("INSERT INTO {table} (joiner) VALUES ($1)"))
        .bind(joiner)
        .execute(&mut *tx)
        .await
        .expect("insert the account");
    store.redeem_in(&mut tx, inv, joiner).await?;
    if fail_after_redeem {
        // Something later in the sign-up failed: the whole transaction goes.
        tx.rollback().await.expect("rollback");
        return Err(Error::StoreUnavailable {
            reason: "the sign-up failed after redeeming".into(),
        });
    }
    tx.commit().await.expect("commit");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rollback_after_redeem_consumes_nothing() {
    let Some((h, table)) = setup().await else {
        return;
    };
    let s = h.store();
    let inv = invitation(1);
    let failed = sign_up(s, &table, &inv, "alice", true).await;
    assert!(failed.is_err());
    assert_eq!(s.status(inv.id()).await.unwrap().uses, 0);
    assert_eq!(accounts(s, &table).await, 0);
    assert_eq!(
        logged(s, &inv).await,
        (vec![], 0),
        "a rolled-back use has no event"
    );
    // The one use is still there for the next sign-up.
    sign_up(s, &table, &inv, "bob", false).await.unwrap();
    let status = s.status(inv.id()).await.unwrap();
    assert_eq!(status.uses, 1);
    assert_eq!(status.joiners[0].joiner, "bob");
    assert_eq!(accounts(s, &table).await, 1);
    assert!(matches!(
        sign_up(s, &table, &inv, "carol", false).await,
        Err(Error::UsedUp { max_uses: 1 })
    ));
    assert_eq!(accounts(s, &table).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_sign_ups_on_five_uses() {
    let Some((h, table)) = setup().await else {
        return;
    };
    let store = Arc::new(h.store().clone());
    for round in 0..3 {
        let inv = Arc::new(invitation(5));
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let (store, inv, table) = (store.clone(), inv.clone(), table.clone());
                tokio::spawn(async move {
                    // One sign-up in ten fails after redeeming and rolls back.
                    let fails = i % 10 == 3;
                    sign_up(&store, &table, &inv, &format!("r{round}-u{i}"), fails).await
                })
            })
            .collect();
        let mut committed = 0;
        for t in tasks {
            if t.await.unwrap().is_ok() {
                committed += 1;
            }
        }
        assert_eq!(committed, 5, "round {round}");
        let status = store.status(inv.id()).await.unwrap();
        assert_eq!(status.uses, 5, "round {round}");
        let rows: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT joiner FROM {table} WHERE joiner LIKE $1 ORDER BY joiner"
        ))
        .bind(format!("r{round}-%"))
        .fetch_all(store.pool())
        .await
        .unwrap();
        let mut joined: Vec<String> = status.joiners.into_iter().map(|j| j.joiner).collect();
        joined.sort();
        assert_eq!(
            rows, joined,
            "round {round}: accounts are exactly the joiners"
        );
        assert_eq!(
            logged(&*store, &inv).await,
            (joined, 1),
            "round {round}: one event per committed use, none for a rolled-back one"
        );
    }
}

/// The connection dies between the redemption and the commit: nothing of either remains.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_connection_killed_mid_transaction_leaves_nothing() {
    let Some((h, table)) = setup().await else {
        return;
    };
    let s = h.store();
    let url = super::harness::postgres_url().expect("the server of the harness");
    let inv = invitation(1);
    let mut conn = PgConnection::connect(&url).await.unwrap();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let mut tx = conn.begin().await.unwrap();
    sqlx::query(&format!("INSERT INTO {table} (joiner) VALUES ('alice')"))
        .execute(&mut *tx)
        .await
        .unwrap();
    s.redeem_in(&mut tx, &inv, "alice").await.unwrap();
    let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert!(killed);
    assert!(tx.commit().await.is_err(), "the commit cannot succeed");
    assert_eq!(s.status(inv.id()).await.unwrap().uses, 0);
    assert_eq!(accounts(s, &table).await, 0);
    // The row lock went with the connection: the invitation is free for the next sign-up.
    sign_up(s, &table, &inv, "bob", false).await.unwrap();
    assert_eq!(s.status(inv.id()).await.unwrap().uses, 1);
}

/// `redeem_in` refuses what `redeem` refuses, and a repeated joiner is not counted twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redeem_in_keeps_the_store_promises() {
    let Some((h, _)) = setup().await else {
        return;
    };
    let s = h.store();
    let inv = invitation(2);
    let mut tx = s.pool().begin().await.unwrap();
    assert_eq!(s.redeem_in(&mut tx, &inv, "alice").await.unwrap().uses, 1);
    let again = s.redeem_in(&mut tx, &inv, "alice").await.unwrap();
    assert!(again.repeated && again.uses == 1);
    tx.commit().await.unwrap();
    s.revoke_invitation(&inv).await.unwrap();
    let mut tx = s.pool().begin().await.unwrap();
    assert_eq!(s.redeem_in(&mut tx, &inv, "bob").await, Err(Error::Revoked));
    tx.rollback().await.unwrap();
    let mut tx = s.pool().begin().await.unwrap();
    assert!(matches!(
        s.redeem_in(&mut tx, &inv, "").await,
        Err(Error::InvalidArgument { .. })
    ));
}
