//! `SqliteStore` on a file in a temporary directory, next to a floor on the same connection: one
//! single-statement `UPDATE … RETURNING` on a one-row table, committed as durably as the store
//! commits (write-ahead log, `synchronous = FULL`): the least any durable counter costs there.
//!
//! ```text
//! cargo bench -p admit-bench --bench sqlite_store
//! ```
//!
//! Groups: `sqlite_1_task` (latency) and `sqlite_64_tasks` (throughput). Each `redeem`
//! counts a new joiner on an invitation without a limit, so every call writes. After criterion,
//! a full run measures `redeem` p50 ÷ floor p50 (one task) and `redeem` ÷ floor throughput
//! (64 tasks), interleaved round by round, and prints their medians.

use std::time::Duration;

use admit::store::SqliteStore;

use admit_bench::sql_bench::{FLOOR_ID_HEX, Floor, Setup, run};

/// The floor: one autocommit `UPDATE … RETURNING` on the store's own pool.
#[derive(Clone)]
struct FloorQuery(sqlx::SqlitePool);

impl Floor for FloorQuery {
    async fn floor(&self) {
        let _: i64 =
            sqlx::query_scalar("UPDATE bench_floor SET n = n + 1 WHERE id = 1 RETURNING n")
                .fetch_one(&self.0)
                .await
                .expect("floor");
    }

    // One round trip takes no bound values for several statements, so the values are written
    // into the text (numbers only).
    async fn three_rows(&self, n: u64) {
        sqlx::raw_sql(&format!(
            "BEGIN IMMEDIATE; \
             UPDATE bench_invitations SET uses = uses + 1 WHERE id = X'{FLOOR_ID_HEX}'; \
             INSERT INTO bench_joiners (id, joiner, joined_at) \
               VALUES (X'{FLOOR_ID_HEX}', 'floor-{n}', {n}); \
             INSERT INTO bench_events (at_ms, kind, id, joiner, uses, forget_at) \
               SELECT {n}, 2, id, 'floor-{n}', uses, {n} + 86400000 FROM bench_invitations \
               WHERE id = X'{FLOOR_ID_HEX}'; \
             COMMIT"
        ))
        .execute(&self.0)
        .await
        .expect("three-row floor");
    }
}

fn setup(rt: &tokio::runtime::Runtime, path: &std::path::Path) -> Setup<SqliteStore, FloorQuery> {
    rt.block_on(async {
        let store = SqliteStore::builder()
            .create_if_missing()
            .prefix("bench_")
            .deadline(Duration::from_secs(30))
            .open(path)
            .await
            .expect("open");
        store.migrate().await.expect("migrate");
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, n BIGINT NOT NULL); \
             INSERT INTO bench_floor VALUES (1, 0) ON CONFLICT DO NOTHING",
        )
        .execute(store.pool())
        .await
        .expect("floor table");
        sqlx::raw_sql(&format!(
            "INSERT INTO bench_invitations (id) VALUES (X'{FLOOR_ID_HEX}') \
             ON CONFLICT DO NOTHING"
        ))
        .execute(store.pool())
        .await
        .expect("floor table");
        let floor = FloorQuery(store.pool().clone());
        Setup::new(store, floor)
    })
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = admit_test_servers::TempDir::new("bench-sqlite");
    let path = dir.path().join("bench.db");
    run(&rt, "sqlite", &setup(&rt, &path));
}
