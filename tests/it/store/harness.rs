//! One interface over the backends for the conformance suite: the store, its clock, and a way
//! to let time pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use admit::store::{AttemptLimiter, Events, MemoryStore, ShortCodes, Store, Visits};
use time::{Duration, OffsetDateTime};

pub trait Harness: Send + Sync + 'static {
    type S: Store + ShortCodes + Visits + AttemptLimiter + Events + Clone + 'static;
    fn store(&self) -> &Self::S;
    /// A second store on the same backend with its own settings (margin, visit cap).
    fn with(&self, margin: Duration, visit_cap: usize) -> impl Future<Output = Self::S> + Send;
    fn now(&self) -> OffsetDateTime;
    fn advance(&self, by: Duration) -> impl Future<Output = ()> + Send;
    /// Whether the event log is several streams merged by time (Redis Cluster): events of one
    /// invitation keep their order, those of different invitations only to the millisecond.
    fn merged_log(&self) -> bool {
        false
    }
}

/// The `initialized` check of `store`'s health report.
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
pub async fn initialized_check(store: &impl admit::store::Store) -> admit::store::HealthCheck {
    let health = store.health().await.expect("health");
    health
        .checks
        .into_iter()
        .find(|c| c.name == "initialized")
        .expect("an initialized check")
}

/// The joiners of `inv`'s `redeemed` events (every page), sorted, and how many `exhausted`
/// events it has.
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
pub async fn logged<S: admit::store::Events>(
    store: &S,
    inv: &admit::Invitation,
) -> (Vec<String>, usize) {
    use admit::store::{EventFilter, EventKind};
    let mut filter = EventFilter::new().invitation(inv.id()).limit(1000);
    let mut joiners = Vec::new();
    let mut exhausted = 0;
    loop {
        let page = store.events(&filter).await.expect("events");
        let full = page.len() == 1000;
        if let Some(last) = page.last() {
            filter = filter.after(last.cursor);
        }
        for event in page {
            match event.kind {
                EventKind::Redeemed { joiner, .. } => joiners.push(joiner),
                EventKind::Exhausted { .. } => exhausted += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        if !full {
            break;
        }
    }
    joiners.sort();
    (joiners, exhausted)
}

/// A clock the test moves, shared by the stores built on it (starts at the real time).
#[derive(Clone)]
pub struct MovedClock(Arc<AtomicI64>);

impl MovedClock {
    pub fn new() -> MovedClock {
        MovedClock(Arc::new(AtomicI64::new(
            OffsetDateTime::now_utc().unix_timestamp_nanos() as i64,
        )))
    }

    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0.load(Ordering::SeqCst)))
            .expect("clock in range")
    }

    pub fn advance(&self, by: Duration) {
        self.0
            .fetch_add(by.whole_nanoseconds() as i64, Ordering::SeqCst);
    }

    /// The clock as a store builder takes it.
    pub fn source(&self) -> impl Fn() -> OffsetDateTime + Send + Sync + 'static {
        let clock = self.clone();
        move || clock.now()
    }
}

/// The memory store on a clock the test moves.
pub struct MemoryHarness {
    store: MemoryStore,
    clock: MovedClock,
}

impl MemoryHarness {
    pub fn new() -> MemoryHarness {
        let clock = MovedClock::new();
        let store = Self::build(&clock, admit::store::DEFAULT_MARGIN, 100);
        MemoryHarness { store, clock }
    }

    fn build(clock: &MovedClock, margin: Duration, cap: usize) -> MemoryStore {
        MemoryStore::builder()
            .margin(margin)
            .visit_cap(cap)
            .clock(clock.source())
            .build()
    }
}

impl Harness for MemoryHarness {
    type S = MemoryStore;

    fn store(&self) -> &MemoryStore {
        &self.store
    }

    async fn with(&self, margin: Duration, visit_cap: usize) -> MemoryStore {
        Self::build(&self.clock, margin, visit_cap)
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    async fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }
}

#[cfg(feature = "redis")]
pub use redis_harness::*;

#[cfg(feature = "redis")]
mod redis_harness {
    use admit::store::RedisStore;
    use time::{Duration, OffsetDateTime};

    use super::Harness;

    /// A Redis store on a unique key prefix, on the shared test server (or cluster).
    pub struct RedisHarness {
        store: RedisStore,
        target: Target,
    }

    #[derive(Clone)]
    pub enum Target {
        Single(String),
        #[cfg(feature = "cluster")]
        Cluster(Vec<String>),
    }

    #[cfg(feature = "cluster")]
    pub use crate::support::redis_cluster_urls as cluster_urls;
    pub use crate::support::{redis_url as single_url, unique_prefix};

    /// A store on a fresh prefix: a new store as far as Redis can tell, so it is initialized.
    async fn connect(target: &Target, prefix: &str, margin: Duration, cap: usize) -> RedisStore {
        let builder = RedisStore::builder()
            .prefix(prefix)
            .margin(margin)
            .leeway(margin.min(admit::DEFAULT_LEEWAY))
            .visit_cap(cap)
            .create_if_missing()
            .deadline(std::time::Duration::from_secs(5));
        match target {
            Target::Single(url) => builder.connect(url).await.expect("connect to redis"),
            #[cfg(feature = "cluster")]
            Target::Cluster(urls) => builder
                .connect_cluster(urls)
                .await
                .expect("connect to cluster"),
        }
    }

    impl RedisHarness {
        pub async fn single() -> Option<RedisHarness> {
            let url = tokio::task::spawn_blocking(single_url).await.ok()??;
            Some(RedisHarness::on(Target::Single(url)).await)
        }

        #[cfg(feature = "cluster")]
        pub async fn cluster() -> Option<RedisHarness> {
            let urls = tokio::task::spawn_blocking(cluster_urls).await.ok()??;
            Some(RedisHarness::on(Target::Cluster(urls)).await)
        }

        async fn on(target: Target) -> RedisHarness {
            let store = connect(&target, &unique_prefix(), admit::store::DEFAULT_MARGIN, 100).await;
            RedisHarness { store, target }
        }
    }

    impl Harness for RedisHarness {
        type S = RedisStore;

        fn store(&self) -> &RedisStore {
            &self.store
        }

        async fn with(&self, margin: Duration, visit_cap: usize) -> RedisStore {
            connect(&self.target, &unique_prefix(), margin, visit_cap).await
        }

        fn now(&self) -> OffsetDateTime {
            OffsetDateTime::now_utc()
        }

        async fn advance(&self, by: Duration) {
            tokio::time::sleep(by.try_into().expect("positive duration")).await;
        }

        fn merged_log(&self) -> bool {
            #[cfg(feature = "cluster")]
            if let Target::Cluster(_) = self.target {
                return true;
            }
            false
        }
    }
}

#[cfg(feature = "postgres")]
pub use postgres_harness::*;

#[cfg(feature = "postgres")]
mod postgres_harness {
    use admit::store::PgStore;
    use time::{Duration, OffsetDateTime};

    use super::{Harness, MovedClock};

    pub use crate::support::{postgres_url, unique_table_prefix};

    /// A PostgreSQL store on fresh tables, on a clock the test moves.
    pub struct PgHarness {
        store: PgStore,
        url: String,
        clock: MovedClock,
    }

    pub async fn pg_store(url: &str, clock: &MovedClock, margin: Duration, cap: usize) -> PgStore {
        let store = PgStore::builder()
            .prefix(unique_table_prefix())
            .margin(margin)
            .visit_cap(cap)
            .max_connections(20)
            .deadline(std::time::Duration::from_secs(10))
            .clock(clock.source())
            .connect(url)
            .await
            .expect("connect to PostgreSQL");
        store.migrate().await.expect("migrate");
        store
    }

    impl PgHarness {
        pub async fn new() -> Option<PgHarness> {
            let url = tokio::task::spawn_blocking(postgres_url).await.ok()??;
            let clock = MovedClock::new();
            let store = pg_store(&url, &clock, admit::store::DEFAULT_MARGIN, 100).await;
            Some(PgHarness { store, url, clock })
        }
    }

    impl Harness for PgHarness {
        type S = PgStore;

        fn store(&self) -> &PgStore {
            &self.store
        }

        async fn with(&self, margin: Duration, visit_cap: usize) -> PgStore {
            pg_store(&self.url, &self.clock, margin, visit_cap).await
        }

        fn now(&self) -> OffsetDateTime {
            self.clock.now()
        }

        async fn advance(&self, by: Duration) {
            self.clock.advance(by);
        }
    }
}

#[cfg(feature = "sqlite")]
pub use sqlite_harness::*;

#[cfg(feature = "sqlite")]
mod sqlite_harness {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use admit::store::SqliteStore;
    use time::{Duration, OffsetDateTime};

    use super::{Harness, MovedClock};
    use crate::support::redis_server::TempDir;

    /// A SQLite store in a file of its own temporary directory, on a clock the test moves.
    pub struct SqliteHarness {
        store: SqliteStore,
        dir: Arc<TempDir>,
        clock: MovedClock,
    }

    pub async fn sqlite_store(
        path: &Path,
        prefix: &str,
        clock: &MovedClock,
        margin: Duration,
        cap: usize,
    ) -> SqliteStore {
        let store = SqliteStore::builder()
            .create_if_missing()
            .prefix(prefix)
            .margin(margin)
            .visit_cap(cap)
            .deadline(std::time::Duration::from_secs(10))
            .clock(clock.source())
            .open(path)
            .await
            .expect("open the SQLite file");
        store.migrate().await.expect("migrate");
        store
    }

    impl SqliteHarness {
        pub async fn new() -> Option<SqliteHarness> {
            let dir = Arc::new(TempDir::new("sqlite"));
            let clock = MovedClock::new();
            let path = dir.path().join("admit.db");
            let store =
                sqlite_store(&path, "admit_", &clock, admit::store::DEFAULT_MARGIN, 100).await;
            Some(SqliteHarness { store, dir, clock })
        }

        /// The database file.
        pub fn path(&self) -> PathBuf {
            self.dir.path().join("admit.db")
        }

        // Used by the SQLite file tests, which mint with the `rand` feature.
        #[cfg_attr(not(feature = "rand"), allow(dead_code))]
        pub fn clock(&self) -> &MovedClock {
            &self.clock
        }
    }

    impl Harness for SqliteHarness {
        type S = SqliteStore;

        fn store(&self) -> &SqliteStore {
            &self.store
        }

        async fn with(&self, margin: Duration, visit_cap: usize) -> SqliteStore {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let prefix = format!("s{}_", N.fetch_add(1, Ordering::Relaxed));
            sqlite_store(&self.path(), &prefix, &self.clock, margin, visit_cap).await
        }

        fn now(&self) -> OffsetDateTime {
            self.clock.now()
        }

        async fn advance(&self, by: Duration) {
            self.clock.advance(by);
        }
    }
}
