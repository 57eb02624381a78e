//! Revocation lists: size, load time and the cost of a membership check, against floors in
//! the same run; and publishing from each store.
//!
//! ```text
//! cargo bench -p admit-bench --bench revocation_list
//! ```
//!
//! Groups:
//! - `list_load` (100,000 revoked IDs, 10 rules): `load` (`Revocations::load`: base64,
//!   decode, signature, swap), against the floor `base64_and_signature` (decoding the text and
//!   checking the signature over the same bytes, nothing else).
//! - `verify_with_list`: `Verifier::verify` of a valid token without a list and with the
//!   100,000-ID list, and `Revocations::check` alone (its ratio to `without` is what the list
//!   adds).
//! - `publish` (`Publisher::full` of 100,000 revocations) from memory, SQLite, and Redis,
//!   Redis Cluster and PostgreSQL when servers can be started (or `ADMIT_REDIS_URL`,
//!   `ADMIT_REDIS_CLUSTER_URLS`, `ADMIT_POSTGRES_URL` name them). Filling each store takes a while; it is not measured.
//!
//! The list's size in bytes and bytes per ID are printed first.

use admit::revocation_list::{Publisher, RevocationListBuilder, Revocations};
use admit::store::{MemoryStore, PgStore, RedisStore, SqliteStore, Store};
use admit::{Invitation, InvitationId, Issuer, SigningKey, Verifier};
use base64::Engine as _;
use criterion::Throughput;
use ed25519_dalek::Verifier as _;
use time::{Duration, OffsetDateTime};

const IDS: u32 = 100_000;
const CTX: &str = "bench/lists";

fn id(n: u32) -> InvitationId {
    let mut bytes = [0u8; 12];
    bytes[..8].copy_from_slice(
        &u64::from(n)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .to_be_bytes(),
    );
    bytes[8..].copy_from_slice(&n.to_be_bytes());
    InvitationId::from_bytes(bytes)
}

/// Revokes `n` fresh invitations in `store`, 32 at a time.
async fn fill<S: Store + Clone + 'static>(store: &S, issuer: &Issuer, n: u32) {
    let mut tasks = Vec::new();
    for worker in 0..32 {
        let (store, issuer) = (store.clone(), issuer.clone());
        tasks.push(tokio::spawn(async move {
            for _ in (worker..n).step_by(32) {
                let token = issuer.mint(Invitation::builder()).expect("mint");
                store
                    .revoke_invitation(token.invitation())
                    .await
                    .expect("revoke");
            }
        }));
    }
    for task in tasks {
        task.await.expect("filled");
    }
}

fn publish<S: admit::store::Events + Clone + Send + Sync + 'static>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &tokio::runtime::Runtime,
    name: &str,
    store: S,
    key: &SigningKey,
) {
    let publisher = Publisher::new(store, key.clone(), CTX).expect("publisher");
    let first = rt.block_on(publisher.full()).expect("publish");
    assert_eq!(first.revoked, IDS as usize, "{name}");
    g.bench_function(name, |b| b.to_async(rt).iter(|| publisher.full()));
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let key = SigningKey::from_bytes(&[21; 32]);
    let issuer = Issuer::new(key.clone(), CTX).expect("issuer");
    let now = OffsetDateTime::now_utc();
    let mut builder = RevocationListBuilder::full(1)
        .issued_at(now)
        .next_update(now + Duration::minutes(5));
    for n in 0..IDS {
        builder = builder.revoke(id(n), Some(now + Duration::days(7)));
    }
    for n in 0..10 {
        builder = builder.rule(Some(&format!("inviter-{n}")), now - Duration::days(n));
    }
    let text = builder.sign(&key, CTX).expect("sign");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&text)
        .expect("base64");
    eprintln!(
        "list of {IDS} IDs and 10 rules: {} bytes ({:.2} per ID), {} characters of text",
        bytes.len(),
        bytes.len() as f64 / f64::from(IDS),
        text.len()
    );
    let mut c = admit_bench::criterion();

    let mut g = c.benchmark_group("list_load");
    g.bench_function("load", |b| {
        b.iter(|| {
            let r = Revocations::new(key.verifying_key(), CTX).expect("holder");
            r.load(&text).expect("load")
        })
    });
    // The floor: the same text decoded and its signature checked, nothing else.
    let dalek =
        ed25519_dalek::VerifyingKey::from_bytes(&key.verifying_key().to_bytes()).expect("key");
    g.bench_function("base64_and_signature", |b| {
        b.iter(|| {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&text)
                .expect("base64");
            let (body, sig) = bytes.split_at(bytes.len() - 64);
            let mut message = b"admit.revocations.v1\x00".to_vec();
            message.push(CTX.len() as u8);
            message.extend_from_slice(CTX.as_bytes());
            message.extend_from_slice(body);
            let sig = ed25519_dalek::Signature::from_slice(sig).expect("signature");
            dalek.verify(&message, &sig).expect("genuine")
        })
    });
    g.finish();

    let token = issuer.mint(Invitation::builder()).expect("mint");
    let plain = Verifier::new(key.verifying_key(), CTX).expect("verifier");
    let revocations = Revocations::new(key.verifying_key(), CTX).expect("holder");
    revocations.load(&text).expect("load");
    let listed = plain.clone().revocations(revocations);
    assert!(listed.verify(token.as_str()).is_ok());
    let mut g = c.benchmark_group("verify_with_list");
    g.bench_function("without", |b| b.iter(|| plain.verify(token.as_str())));
    g.bench_function("with_100k", |b| b.iter(|| listed.verify(token.as_str())));
    // The check alone, what the list adds to `verify` (the two above differ by less than the
    // noise between two criterion groups).
    let invitation = plain.verify(token.as_str()).expect("valid");
    let checked = Revocations::new(key.verifying_key(), CTX).expect("holder");
    checked.load(&text).expect("load");
    let at = OffsetDateTime::now_utc();
    g.bench_function("check_alone_100k", |b| {
        b.iter(|| checked.check(&invitation, at))
    });
    g.finish();

    let mut g = c.benchmark_group("publish");
    g.throughput(Throughput::Elements(u64::from(IDS)));
    g.sample_size(10);
    let memory = MemoryStore::new();
    rt.block_on(fill(&memory, &issuer, IDS));
    publish(&mut g, &rt, "memory", memory, &key);
    let dir = admit_test_servers::TempDir::new("bench-lists");
    let sqlite = rt.block_on(async {
        let store = SqliteStore::builder()
            .create_if_missing()
            .open(dir.path().join("lists.db"))
            .await
            .expect("sqlite");
        fill(&store, &issuer, IDS).await;
        store
    });
    publish(&mut g, &rt, "sqlite", sqlite, &key);
    match admit_test_servers::redis_url() {
        Some(url) => {
            let redis = rt.block_on(async {
                let store = RedisStore::builder()
                    .prefix(admit_test_servers::unique_prefix())
                    .create_if_missing()
                    .connect(&url)
                    .await
                    .expect("redis");
                fill(&store, &issuer, IDS).await;
                store
            });
            publish(&mut g, &rt, "redis", redis, &key);
        }
        None => eprintln!("publish: no Redis, skipped"),
    }
    match admit_test_servers::redis_cluster_urls() {
        Some(urls) => {
            let cluster = rt.block_on(async {
                let store = RedisStore::builder()
                    .prefix(admit_test_servers::unique_prefix())
                    .create_if_missing()
                    .connect_cluster(&urls)
                    .await
                    .expect("cluster");
                fill(&store, &issuer, IDS).await;
                store
            });
            publish(&mut g, &rt, "cluster", cluster, &key);
        }
        None => eprintln!("publish: no Redis Cluster, skipped"),
    }
    match admit_test_servers::postgres_url() {
        Some(url) => {
            let pg = rt.block_on(async {
                let store = PgStore::builder()
                    .prefix(admit_test_servers::unique_table_prefix())
                    .create_if_missing()
                    .connect(&url)
                    .await
                    .expect("postgres");
                fill(&store, &issuer, IDS).await;
                store
            });
            publish(&mut g, &rt, "postgres", pg, &key);
        }
        None => eprintln!("publish: no PostgreSQL, skipped"),
    }
    g.finish();
    c.final_summary();
}
