//! Short codes at rest: what sealing costs per call, against its floor, and what one offline
//! guess costs an attacker holding a copy of the store.
//!
//! ```text
//! cargo bench -p admit-bench --bench codes
//! ```
//!
//! Group `short_codes` on a `MemoryStore` (so the store itself costs next to nothing):
//! - `argon2id_floor`: one Argon2id derivation with the store's parameters (12 MiB, 3 passes,
//!   1 lane, 48 bytes), nothing else. It is also the price of one offline guess.
//! - `resolve_code`: `ShortCodes::resolve_code` of a live code (canonical form, check
//!   character, derivation, lookup, opening the sealed token).
//! - `create_code`: `ShortCodes::create_code` of a vanity code (derivation, sealing, the
//!   insert; the code is taken after the first call, which costs the same work).
//!
//! After criterion, the offline guess time for a stolen copy holding a million live codes is
//! printed from the floor's median over 21 derivations.

use admit::store::{CodeSpec, MemoryStore, ShortCodes};
use admit::{Invitation, Issuer, SigningKey};

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let issuer = Issuer::new(SigningKey::from_bytes(&[7; 32]), "bench/codes").expect("issuer");
    let token = issuer.mint(Invitation::builder()).expect("mint");
    let store = MemoryStore::new();
    let code = rt
        .block_on(store.create_code(token.as_str(), &CodeSpec::random()))
        .expect("code");

    let mut c = admit_bench::criterion();
    let mut g = c.benchmark_group("short_codes");
    let params = argon2::Params::new(12 * 1024, 3, 1, Some(48)).expect("parameters");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = [0u8; 48];
    g.bench_function("argon2id_floor", |b| {
        b.iter(|| {
            argon
                .hash_password_into(b"7K3MQ9XWD", b"admit.short-code.v1", &mut out)
                .expect("derive");
            out[0]
        })
    });
    g.bench_function("resolve_code", |b| {
        b.to_async(&rt).iter(|| store.resolve_code(&code))
    });
    let spec = CodeSpec::vanity("SPRING-LAUNCH");
    g.bench_function("create_code", |b| {
        b.to_async(&rt)
            .iter(|| async { store.create_code(token.as_str(), &spec).await.ok() })
    });
    g.finish();
    c.final_summary();

    // The floor again, timed one derivation at a time: the price of one offline guess.
    let times: Vec<f64> = (0..21)
        .map(|_| {
            let start = std::time::Instant::now();
            argon
                .hash_password_into(b"7K3MQ9XWD", b"admit.short-code.v1", &mut out)
                .expect("derive");
            start.elapsed().as_secs_f64()
        })
        .collect();
    let one = admit_bench::timing::median(times);
    let guesses = 2f64.powi(40) / 1e6;
    let hours = guesses * one / 3600.0;
    eprintln!(
        "one offline guess: {:.1} ms of one core; the first hit among a million live \
         8-character codes takes about {guesses:.2e} guesses, {hours:.1} core-hours; with \
         10-character codes, {:.0} core-days",
        one * 1e3,
        hours * 1024.0 / 24.0
    );
}
