//! `admit mint --count 100000` as a process, next to a raw ed25519-dalek loop signing 100000
//! messages of the same length: what the CLI adds on top of the signatures themselves. And
//! `admit verify` on a million tokens from stdin, on one thread and on every core: the ratio
//! is what batching per thread buys.
//!
//! ```text
//! cargo bench -p admit-bench --bench cli      # builds the release `admit` binary first
//! ```

use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::Signer;

const COUNT: u32 = 100_000;
/// Domain tag (20) + context length (1) + "bench/invite" (12) + a default token body (26).
const MESSAGE_LEN: usize = 20 + 1 + 12 + 26;

fn bench(c: &mut Criterion) {
    let admit = admit_bench::admit_binary();
    let dir = std::env::temp_dir().join(format!("admit-cli-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let key = dir.join("key.pem");
    let status = Command::new(&admit)
        .args(["keygen", "--force", "--out"])
        .arg(&key)
        .stderr(Stdio::null())
        .status()
        .expect("run admit keygen");
    assert!(status.success());

    let mut g = c.benchmark_group("mint_100k");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("admit_cli", |b| {
        b.iter(|| {
            let status = Command::new(&admit)
                .args([
                    "mint",
                    "--context",
                    "bench/invite",
                    "--count",
                    "100000",
                    "--key",
                ])
                .arg(&key)
                .stdout(Stdio::null())
                .status()
                .expect("run admit mint");
            assert!(status.success());
        })
    });
    let signing = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    g.bench_function("dalek_sign_loop", |b| {
        b.iter(|| {
            let mut message = [0u8; MESSAGE_LEN];
            for n in 0..COUNT {
                message[..4].copy_from_slice(&n.to_le_bytes());
                std::hint::black_box(signing.sign(&message));
            }
        })
    });
    g.finish();

    // A million tokens in a file, verified from stdin.
    let tokens = dir.join("tokens.txt");
    let pubkey = dir.join("pub.pem");
    let file = std::fs::File::create(&tokens).expect("tokens file");
    let status = Command::new(&admit)
        .args([
            "mint",
            "--context",
            "bench/invite",
            "--count",
            "1000000",
            "--key",
        ])
        .arg(&key)
        .stdout(file)
        .status()
        .expect("run admit mint");
    assert!(status.success());
    let public = Command::new(&admit)
        .args(["pubkey", "--key"])
        .arg(&key)
        .stderr(Stdio::null())
        .output()
        .expect("run admit pubkey");
    std::fs::write(&pubkey, public.stdout).expect("pub.pem");
    let verify = |threads: Option<&str>| {
        let mut cmd = Command::new(&admit);
        cmd.args(["verify", "--context", "bench/invite", "--pub"])
            .arg(&pubkey)
            .stdin(std::fs::File::open(&tokens).expect("tokens file"))
            .stdout(Stdio::null());
        if let Some(n) = threads {
            cmd.args(["--threads", n]);
        }
        assert!(cmd.status().expect("run admit verify").success());
    };
    let mut g = c.benchmark_group("verify_1m");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(60));
    g.bench_function("one_thread", |b| b.iter(|| verify(Some("1"))));
    g.bench_function("every_core", |b| b.iter(|| verify(None)));
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
