//! Hostile input: huge strings, deep nesting, invalid UTF-8, a million lines. Each gives a clear
//! error (or a correct answer) in bounded time and memory, never a panic.

use admit::store::{MemoryStore, Store, Visits};
use admit::{Error, Invitation, Issuer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::{NOW, at, id, issuer, mint};

fn ten_mb(c: char) -> String {
    std::iter::repeat_n(c, 10 * 1024 * 1024).collect()
}

#[test]
fn ten_megabyte_arguments_are_refused_up_front() {
    let huge = ten_mb('a');
    let mint_err =
        |b: admit::InvitationBuilder| issuer().mint_with_id(b, id(1), at(NOW)).unwrap_err().code();
    assert_eq!(
        mint_err(Invitation::builder().email(huge.clone())),
        "invalid_claim"
    );
    assert_eq!(
        mint_err(Invitation::builder().inviter(huge.clone())),
        "invalid_claim"
    );
    assert_eq!(
        mint_err(Invitation::builder().data_bytes(huge.clone().into_bytes())),
        "invalid_claim"
    );
    assert_eq!(mint_err(Invitation::builder().data(&huge)), "invalid_claim");
    assert!(admit::normalize_email(&huge).is_err());
    assert!(matches!(
        Issuer::new(SigningKey::from_bytes(&[1; 32]), &huge),
        Err(Error::InvalidContext { .. })
    ));
    assert!(SigningKey::from_pkcs8_pem(&huge).is_err());
    assert!(VerifyingKey::from_public_key_pem(&huge).is_err());
    assert!(SigningKey::from_pkcs8_der(huge.as_bytes()).is_err());
    let t = crate::plain();
    assert_eq!(t.url(&huge).unwrap_err().code(), "too_large");
    let v = crate::verifier();
    let opts = admit::VerifyOptions::new().email(&huge).at(at(NOW));
    let bound = mint(Invitation::builder().email("ada@example.com"), 2);
    assert!(matches!(
        v.verify_with(bound.as_str(), opts),
        Err(Error::InvalidEmail { .. })
    ));
    // Whitespace around a huge token is not trimmed into something else.
    let padded = format!("{}{}", " ".repeat(5 * 1024 * 1024), t.as_str());
    assert_eq!(admit::find_token(&padded).unwrap_err().code(), "too_large");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = MemoryStore::new();
    runtime.block_on(async {
        let inv = t.invitation();
        assert_eq!(
            store.redeem(inv, &huge).await.unwrap_err().code(),
            "invalid_argument"
        );
        assert_eq!(
            store
                .record_issued(inv, Some(&huge))
                .await
                .unwrap_err()
                .code(),
            "invalid_argument"
        );
        assert_eq!(
            store.record_visit(inv, &huge).await.unwrap_err().code(),
            "invalid_argument"
        );
        assert_eq!(
            store
                .revoke_issued_before(at(NOW), Some(&huge))
                .await
                .unwrap_err()
                .code(),
            "invalid_argument"
        );
    });
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Deep {
    Leaf,
    Node(Box<Deep>),
}

#[test]
fn deeply_nested_app_data_decodes_or_fails_cleanly() {
    // 255 levels of nesting, the most 256 bytes can hold: decodes.
    let mut bytes = vec![1u8; 255];
    bytes.push(0);
    let t = mint(Invitation::builder().data_bytes(bytes), 1);
    let mut depth = 0;
    let mut node = t.invitation().data::<Deep>().unwrap().unwrap();
    while let Deep::Node(inner) = node {
        depth += 1;
        node = *inner;
    }
    assert_eq!(depth, 255);
    // Nesting that never ends within the data: an error, not a stack overflow.
    let t = mint(Invitation::builder().data_bytes(vec![1u8; 256]), 2);
    assert_eq!(
        t.invitation().data::<Deep>().unwrap_err().code(),
        "invalid_claim"
    );
    // Data of another shape entirely.
    let t = mint(Invitation::builder().data_bytes(vec![0xff; 256]), 3);
    assert!(t.invitation().data::<Vec<String>>().is_err());
    assert!(t.invitation().data::<(u64, u64, u64)>().is_err());
}

#[cfg(feature = "cli")]
mod cli {
    use std::io::Write;
    use std::process::{Command, Stdio};

    use super::*;
    use crate::CONTEXT;

    fn keyed_dir() -> crate::keys::TempDir {
        let dir = crate::keys::tempdir();
        let key = SigningKey::from_bytes(&[1; 32]);
        std::fs::write(
            dir.path().join("pub.pem"),
            key.verifying_key().to_public_key_pem().unwrap(),
        )
        .unwrap();
        dir
    }

    #[test]
    fn invalid_utf8_arguments_are_a_usage_error() {
        use std::os::unix::ffi::OsStrExt;
        let dir = keyed_dir();
        let bad = std::ffi::OsStr::from_bytes(b"\xff\xfe-not-utf8");
        let out = Command::new(env!("CARGO_BIN_EXE_admit"))
            .args(["verify", "--pub", "pub.pem", "--context", CONTEXT])
            .arg(bad)
            .current_dir(dir.path())
            .env_remove("ADMIT_REDIS_URL")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("invalid UTF-8"), "{err}");
        assert!(!err.contains("panicked"));
    }

    /// One million lines on stdin — garbage, overlong lines, invalid UTF-8 and some real
    /// tokens — give one million result lines, in bounded memory.
    #[test]
    fn a_million_line_batch_in_bounded_memory() {
        if !crate::require_tool("/usr/bin/time") {
            return;
        }
        let dir = keyed_dir();
        let good = crate::plain();
        let mut input = Vec::with_capacity(30 * 1024 * 1024);
        for n in 0..1_000_000u32 {
            match n % 1000 {
                0 => input.extend_from_slice(good.as_str().as_bytes()),
                1 => input.extend_from_slice(&[0xff, 0xfe, 0xfd]),
                2 if n < 10_000 => input.extend(std::iter::repeat_n(b'A', 100_000)),
                _ => input.extend_from_slice(format!("garbage-{n}").as_bytes()),
            }
            input.push(b'\n');
        }
        let mut child = Command::new("/usr/bin/time")
            .args(["-f", "maxrss_kb=%M"])
            .arg(env!("CARGO_BIN_EXE_admit"))
            .args([
                "verify",
                "--pub",
                "pub.pem",
                "--context",
                CONTEXT,
                "--at",
                "2027-01-15T08:00:00Z",
            ])
            .current_dir(dir.path())
            .env_remove("ADMIT_REDIS_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().unwrap();
        feeder.join().unwrap().unwrap();
        assert_eq!(out.status.code(), Some(1), "a batch with failures exits 1");
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines = 0;
        let mut valid = 0;
        for line in text.lines() {
            lines += 1;
            valid += usize::from(line.contains(": valid "));
        }
        assert_eq!(lines, 1_000_000);
        assert_eq!(valid, 1000);
        let err = String::from_utf8_lossy(&out.stderr);
        let rss: u64 = err
            .lines()
            .find_map(|l| l.strip_prefix("maxrss_kb="))
            .and_then(|v| v.trim().parse().ok())
            .expect("peak memory from /usr/bin/time");
        eprintln!("1,000,000-line batch: peak resident memory {rss} KiB");
        // 30 MB of input and 1 million output lines; the process stays far below either.
        assert!(rss < 64 * 1024, "peak resident memory {rss} KiB");
    }
}
