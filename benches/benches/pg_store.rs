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

use admit_bench::sql_bench::{FLOOR_ID_HEX, Floor, Setup, run};

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

    async fn three_rows(&self, n: u64) {
        let now = i64::try_from(n).expect("n");
        let _: i32 = sqlx::query_scalar(&format!(
            "WITH u AS (UPDATE bench_invitations SET uses = uses + 1 \
               WHERE id = '\\x{FLOOR_ID_HEX}' RETURNING id, uses), \
             j AS (INSERT INTO bench_joiners (id, joiner, joined_at) \
               SELECT id, $1, $2 FROM u) \
             INSERT INTO bench_events (at_ms, kind, id, joiner, uses, forget_at) \
             SELECT $2, 2, id, $1, uses, $2 + 86400000 FROM u RETURNING uses"
        ))
        .bind(format!("floor-{n}"))
        .bind(now)
        .fetch_one(&self.0)
        .await
        .expect("three-row floor");
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
        sqlx::raw_sql(&format!(
            "INSERT INTO bench_invitations (id) VALUES ('\\x{FLOOR_ID_HEX}') \
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
    // `ADMIT_POSTGRES_URL`, or a server started for this process.
    let url = admit_test_servers::postgres_url().expect("the bench needs PostgreSQL");
    run(&rt, "postgres", &setup(&rt, &url));
}
