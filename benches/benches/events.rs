//! The event log and webhooks: reading the log in pages of 1,000 from each store, and
//! delivering events to a local webhook receiver.
//!
//! ```text
//! cargo bench -p admit-bench --bench events
//! ```
//!
//! Groups: `events_paging` (10,000 events read from the start, pages of 1,000; memory, SQLite,
//! and Redis and PostgreSQL when a server can be started or `ADMIT_REDIS_URL` /
//! `ADMIT_POSTGRES_URL` names one), `funnel` (`Events::funnel` over the same 10,000 `issued`
//! events, the last day, on the same stores) and `webhook_delivery` (1,000 events from a memory store
//! POSTed by one `WebhookSender`, pages of 100, to a keep-alive HTTP receiver on loopback that
//! answers 204). Throughput is in events per second.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use admit::store::{
    EventFilter, Events, FunnelQuery, MemoryStore, PgStore, RedisStore, SqliteStore, Store,
};
use admit::webhooks::{WebhookSecret, WebhookSender};
use admit::{Invitation, Issuer, SigningKey};
use criterion::Throughput;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const EVENTS: u64 = 10_000;

async fn fill<S: Store>(store: &S, issuer: &Issuer, n: u64) {
    for _ in 0..n {
        let token = issuer.mint(Invitation::builder()).expect("mint");
        store
            .record_issued(token.invitation(), None)
            .await
            .expect("record");
    }
}

/// Reads the whole log, a thousand at a time; how many events it read.
async fn read_all<S: Events>(store: &S) -> u64 {
    let mut filter = EventFilter::new().limit(1000);
    let mut read = 0;
    loop {
        let page = store.events(&filter).await.expect("events");
        read += page.len() as u64;
        match page.last() {
            Some(last) if page.len() == 1000 => filter = filter.after(last.cursor),
            _ => return read,
        }
    }
}

fn paging<S: Events + Store>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &tokio::runtime::Runtime,
    name: &str,
    store: &S,
) {
    assert_eq!(
        rt.block_on(read_all(store)),
        EVENTS,
        "{name}: a log of {EVENTS}"
    );
    c.bench_function(name, |b| b.to_async(rt).iter(|| read_all(store)));
}

/// The funnel of the last day: every one of the `EVENTS` invitations.
async fn funnel_of_the_day<S: Events>(store: &S) -> u64 {
    let now = time::OffsetDateTime::now_utc();
    let day = FunnelQuery::new(now - time::Duration::days(1), now).expect("a period");
    store.funnel(&day).await.expect("funnel").total.issued
}

fn funnel<S: Events + Store>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &tokio::runtime::Runtime,
    name: &str,
    store: &S,
) {
    assert_eq!(rt.block_on(funnel_of_the_day(store)), EVENTS, "{name}");
    c.bench_function(name, |b| b.to_async(rt).iter(|| funnel_of_the_day(store)));
}

/// A webhook receiver on loopback: keep-alive HTTP/1.1, 204 to every POST.
async fn receiver() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hooks", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    // One request: the head, then content-length bytes.
                    let (head_end, length) = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                            let length = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse::<usize>().ok())
                                .unwrap_or(0);
                            break (i + 4, length);
                        }
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    while buf.len() < head_end + length {
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..head_end + length);
                    let answer = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n";
                    if conn.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let issuer = Issuer::new(SigningKey::generate().expect("key"), "bench").expect("issuer");
    let mut c = admit_bench::criterion();

    let mut g = c.benchmark_group("events_paging");
    g.throughput(Throughput::Elements(EVENTS));
    let memory = MemoryStore::new();
    rt.block_on(fill(&memory, &issuer, EVENTS));
    paging(&mut g, &rt, "memory", &memory);
    let dir = admit_test_servers::TempDir::new("bench-events");
    let sqlite = rt.block_on(async {
        let store = SqliteStore::builder()
            .create_if_missing()
            .open(dir.path().join("events.db"))
            .await
            .expect("sqlite");
        fill(&store, &issuer, EVENTS).await;
        store
    });
    paging(&mut g, &rt, "sqlite", &sqlite);
    let redis = admit_test_servers::redis_url().map(|url| {
        rt.block_on(async {
            let store = RedisStore::builder()
                .prefix(admit_test_servers::unique_prefix())
                .create_if_missing()
                .connect(&url)
                .await
                .expect("redis");
            fill(&store, &issuer, EVENTS).await;
            store
        })
    });
    match &redis {
        Some(redis) => paging(&mut g, &rt, "redis", redis),
        None => eprintln!("events_paging: no Redis, skipped"),
    }
    let pg = admit_test_servers::postgres_url().map(|url| {
        rt.block_on(async {
            let store = PgStore::builder()
                .prefix(admit_test_servers::unique_table_prefix())
                .create_if_missing()
                .connect(&url)
                .await
                .expect("postgres");
            fill(&store, &issuer, EVENTS).await;
            store
        })
    });
    match &pg {
        Some(pg) => paging(&mut g, &rt, "postgres", pg),
        None => eprintln!("events_paging: no PostgreSQL, skipped"),
    }
    g.finish();

    let mut g = c.benchmark_group("funnel");
    g.throughput(Throughput::Elements(EVENTS));
    funnel(&mut g, &rt, "memory", &memory);
    funnel(&mut g, &rt, "sqlite", &sqlite);
    if let Some(redis) = &redis {
        funnel(&mut g, &rt, "redis", redis);
    }
    if let Some(pg) = &pg {
        funnel(&mut g, &rt, "postgres", pg);
    }
    g.finish();

    const DELIVERED: u64 = 1_000;
    let mut g = c.benchmark_group("webhook_delivery");
    g.throughput(Throughput::Elements(DELIVERED));
    let source = MemoryStore::new();
    rt.block_on(fill(&source, &issuer, DELIVERED));
    let url = rt.block_on(receiver());
    let endpoint = Arc::new(AtomicU64::new(0));
    let secret: WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        .parse()
        .expect("secret");
    g.bench_function("memory_to_loopback", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (source, url, endpoint, secret) = (
                source.clone(),
                url.clone(),
                endpoint.clone(),
                secret.clone(),
            );
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // A new endpoint each time: it delivers the whole log from the start.
                    let name = format!("bench-{}", endpoint.fetch_add(1, Ordering::Relaxed));
                    let sender = WebhookSender::builder(source.clone(), &url, secret.clone())
                        .name(name)
                        .allow_internal_targets()
                        .build()
                        .expect("sender");
                    let start = Instant::now();
                    let mut delivered = 0;
                    while delivered < DELIVERED {
                        delivered += sender.deliver_next().await.expect("deliver").delivered as u64;
                    }
                    total += start.elapsed();
                }
                total
            }
        })
    });
    g.finish();
    c.final_summary();
}
