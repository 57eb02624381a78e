//! `PgStore` on a real PostgreSQL, next to a floor on the same pool: one single-statement
//! `UPDATE … RETURNING` on a one-row table, the least any durable counter costs there.
//!
//! ```text
//! cargo bench -p admit-bench --bench pg_store          # starts its own PostgreSQL
//! ADMIT_POSTGRES_URL=postgres://… cargo bench -p admit-bench --bench pg_store
//! ```
//!
//! Groups: `postgres_1_task` (latency) and `postgres_64_tasks` (throughput). Each `redeem`
//! counts a new joiner on an invitation without a limit, so every call writes. After criterion,
//! a full run measures `redeem` p50 ÷ floor p50 (one task) and `redeem` ÷ floor throughput
//! (64 tasks), interleaved round by round, and prints their medians.

use admit::store::PgStore;

use admit_bench::sql_bench::{Floor, Setup, run};

/// The floor: one autocommit `UPDATE … RETURNING` on the store's own pool.
#[derive(Clone)]
struct FloorQuery(sqlx::PgPool);

impl Floor for FloorQuery {
    async fn floor(&self) {
        let _: i64 =
            sqlx::query_scalar("UPDATE bench_floor SET n = n + 1 WHERE id = 1 RETURNING n")
                .fetch_one(&self.0)
                .await
                .expect("floor");
    }
}

fn setup(rt: &tokio::runtime::Runtime, url: &str) -> Setup<PgStore, FloorQuery> {
    rt.block_on(async {
        let store = PgStore::builder()
            .prefix("bench_")
            .max_connections(16)
            .connect(url)
            .await
            .expect("connect");
        store.migrate().await.expect("migrate");
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, n BIGINT NOT NULL); \
             INSERT INTO bench_floor VALUES (1, 0) ON CONFLICT DO NOTHING",
        )
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
    // `ADMIT_POSTGRES_URL`, or a server started for this process.
    let url = admit_test_servers::postgres_url().expect("the bench needs PostgreSQL");
    run(&rt, "postgres", &setup(&rt, &url));
}
