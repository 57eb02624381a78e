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

use std::time::Duration;

use admit::store::PgStore;
use criterion::Criterion;

use admit_bench::sql_bench::{Floor, Setup, bench, ratios};
use admit_test_servers::postgres_server;

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
    let mut _server = None;
    let url = match std::env::var("ADMIT_POSTGRES_URL") {
        Ok(url) => url,
        Err(_) => {
            assert!(postgres_server::available(), "the bench needs PostgreSQL");
            let server = postgres_server::PostgresServer::start();
            let url = server.url();
            _server = Some(server);
            url
        }
    };
    let s = setup(&rt, &url);
    let mut c = Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    bench(&mut c, &rt, "postgres", &s);
    c.final_summary();
    if std::env::args().skip(1).all(|a| a == "--bench") {
        ratios(&rt, &s);
    }
}
