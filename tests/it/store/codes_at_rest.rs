//! Short codes at rest: a copy of every byte a store keeps holds neither a code nor a token,
//! and the codes still resolve (SECURITY.md, "Short codes at rest").

use admit::Invitation;
use admit::store::{CodeSpec, ShortCodes};

/// The codes a test creates, and what must never be in a copy of the store.
struct Secrets {
    token: String,
    typed: Vec<String>,
}

impl Secrets {
    /// Fails if `dump` holds the token, a code as shown or in canonical form.
    fn absent_from(&self, dump: &str) {
        assert!(!dump.is_empty());
        assert!(!dump.contains(&self.token), "the token is in the store");
        // Any 24-character run of the token (its signature, say) would be a leak too.
        let tail = &self.token[self.token.len() - 24..];
        assert!(!dump.contains(tail), "part of the token is in the store");
        for code in &self.typed {
            let canonical: String = code.chars().filter(|c| *c != '-').collect();
            for form in [code.as_str(), canonical.as_str()] {
                let lower = form.to_lowercase();
                assert!(
                    !dump.contains(form) && !dump.contains(&lower),
                    "code {form} is in the store"
                );
            }
        }
    }
}

/// Codes for one token, random and vanity, resolving as they should.
async fn codes(store: &impl ShortCodes) -> Secrets {
    let token = crate::issuer().mint(Invitation::builder()).unwrap();
    let mut typed = Vec::new();
    for spec in [
        CodeSpec::random(),
        CodeSpec::random_len(10),
        CodeSpec::vanity("SPRING-LAUNCH"),
    ] {
        let code = store.create_code(token.as_str(), &spec).await.unwrap();
        assert_eq!(store.resolve_code(&code).await.unwrap(), token.as_str());
        typed.push(code);
    }
    Secrets {
        token: token.as_str().to_owned(),
        typed,
    }
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_dump_holds_no_code_and_no_token() {
    use admit::store::RedisStore;
    use redis::AsyncCommands as _;

    let Some(url) = tokio::task::spawn_blocking(super::harness::single_url)
        .await
        .unwrap()
    else {
        return;
    };
    let prefix = super::harness::unique_prefix();
    let store = RedisStore::builder()
        .prefix(&prefix)
        .create_if_missing()
        .connect(&url)
        .await
        .unwrap();
    let secrets = codes(&store).await;

    // Every key of the store and every value, as `KEYS *` and a dump would show them.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = c.keys(format!("{prefix}*")).await.unwrap();
    let mut dump = keys.join("\n");
    for key in &keys {
        let kind: String = redis::cmd("TYPE")
            .arg(key)
            .query_async(&mut c)
            .await
            .unwrap();
        let value: redis::Value = match kind.as_str() {
            "string" => c.get(key).await.unwrap(),
            "hash" => c.hgetall(key).await.unwrap(),
            "zset" => c.zrange_withscores(key, 0, -1).await.unwrap(),
            "set" => c.smembers(key).await.unwrap(),
            "list" => c.lrange(key, 0, -1).await.unwrap(),
            "stream" => redis::cmd("XRANGE")
                .arg(key)
                .arg("-")
                .arg("+")
                .query_async(&mut c)
                .await
                .unwrap(),
            other => panic!("unexpected key type {other} at {key}"),
        };
        dump.push_str(&format!("\n{value:?}"));
    }
    let code_keys = keys.iter().filter(|k| k.contains("code:")).count();
    assert_eq!(code_keys, 3, "{keys:?}");
    secrets.absent_from(&dump);
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_dump_holds_no_code_and_no_token() {
    use admit::store::PgStore;

    let Some(url) = tokio::task::spawn_blocking(super::harness::postgres_url)
        .await
        .unwrap()
    else {
        return;
    };
    let p = super::harness::unique_table_prefix();
    let store = PgStore::builder().prefix(&p).connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let secrets = codes(&store).await;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT tablename::TEXT FROM pg_tables WHERE tablename LIKE $1 || '%'")
            .bind(&p)
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert!(tables.len() >= 8, "{tables:?}");
    // Every row as PostgreSQL prints it (a row cast to text: bytea as hex, every column).
    let mut dump = String::new();
    for table in &tables {
        let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT t::TEXT FROM {table} t"))
            .fetch_all(store.pool())
            .await
            .unwrap();
        dump.push_str(&rows.join("\n"));
    }
    assert!(dump.contains("s1."), "the sealed entries are in the dump");
    secrets.absent_from(&dump);
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_file_holds_no_code_and_no_token() {
    use admit::store::SqliteStore;

    let dir = crate::support::TempDir::new("sqlite-codes");
    let path = dir.path().join("admit.db");
    let store = SqliteStore::builder()
        .create_if_missing()
        .open(&path)
        .await
        .unwrap();
    let secrets = codes(&store).await;
    store.pool().close().await;
    drop(store);
    // The file itself, and its write-ahead log, byte for byte.
    let mut dump = String::new();
    for suffix in ["", "-wal"] {
        if let Ok(bytes) = std::fs::read(format!("{}{suffix}", path.display())) {
            dump.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    assert!(dump.contains("s1."), "the sealed entries are in the file");
    secrets.absent_from(&dump);
}
