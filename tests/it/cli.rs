//! The `admit` binary, run as a user would: every command, exit codes, bulk input, and keys
//! made by the real `openssl`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::keys::{TempDir, tempdir};
use crate::require_tool;

pub(crate) const CTX: &str = "acme/invite";

pub(crate) fn admit(dir: &Path, args: &[&str]) -> Output {
    admit_stdin(dir, args, None)
}

pub(crate) fn admit_stdin(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_admit"))
        .args(args)
        .current_dir(dir)
        .env_remove("ADMIT_REDIS_URL")
        .env_remove("ADMIT_STORE_URL")
        .env("RUST_BACKTRACE", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run admit");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        // Feed stdin from a thread so a large input cannot deadlock against stdout.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let out = child.wait_with_output().expect("wait for admit");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("stack backtrace"),
        "admit {args:?} panicked: {stderr}"
    );
    out
}

pub(crate) fn code(out: &Output) -> i32 {
    out.status.code().expect("exit code")
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// A directory with key.pem and pub.pem made by `admit keygen` / `admit pubkey`.
pub(crate) fn keyed() -> TempDir {
    let dir = tempdir();
    let d = dir.path();
    assert_eq!(code(&admit(d, &["keygen", "--out", "key.pem"])), 0);
    let out = admit(d, &["pubkey", "--key", "key.pem"]);
    assert_eq!(code(&out), 0);
    std::fs::write(d.join("pub.pem"), &out.stdout).unwrap();
    dir
}

/// A keyed directory with an initialized SQLite store in it, and its `--store` value.
pub(crate) fn keyed_with_store() -> (TempDir, String) {
    let dir = keyed();
    let url = format!("sqlite://{}", dir.path().join("admit.db").display());
    let out = admit(dir.path(), &["store", "init", "--store", &url]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    (dir, url)
}

pub(crate) fn mint_one(d: &Path, extra: &[&str]) -> String {
    let out = mint(d, extra);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    stdout(&out).trim().to_owned()
}

/// `admit mint --key key.pem --context CTX` with `extra` arguments, in the keyed directory `d`.
pub(crate) fn mint(d: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["mint", "--key", "key.pem", "--context", CTX];
    args.extend_from_slice(extra);
    admit(d, &args)
}

/// `admit verify --pub pub.pem --context CTX` with `extra` arguments, tokens on stdin.
pub(crate) fn verify_stdin(d: &Path, extra: &[&str], input: &[u8]) -> Output {
    let mut args = vec!["verify", "--pub", "pub.pem", "--context", CTX];
    args.extend_from_slice(extra);
    admit_stdin(d, &args, Some(input))
}

/// `admit verify --pub pub.pem --context CTX` with `extra` arguments, then `token`.
pub(crate) fn verify(d: &Path, token: &str, extra: &[&str]) -> Output {
    let mut args = vec!["verify", "--pub", "pub.pem", "--context", CTX];
    args.extend_from_slice(extra);
    args.push(token);
    admit(d, &args)
}

#[test]
fn keygen_writes_a_private_file_and_refuses_to_overwrite() {
    let dir = tempdir();
    let d = dir.path();
    let out = admit(d, &["keygen", "--out", "key.pem"]);
    assert_eq!(code(&out), 0);
    assert!(stderr(&out).contains("key ID"));
    let first = std::fs::read_to_string(d.join("key.pem")).unwrap();
    assert!(first.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let out = admit(d, &["keygen", "--out", "key.pem"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(d.join("key.pem")).unwrap(), first);
    let out = admit(d, &["keygen", "--out", "key.pem", "--force"]);
    assert_eq!(code(&out), 0);
    assert_ne!(std::fs::read_to_string(d.join("key.pem")).unwrap(), first);
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(d).unwrap().count(), 1);
    let out = admit(d, &["keygen", "--out", "no/such/dir/key.pem"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).starts_with("admit: "), "{}", stderr(&out));
}

#[test]
fn pubkey_prints_spki_and_the_key_id() {
    let dir = keyed();
    let d = dir.path();
    let out = admit(d, &["pubkey", "--key", "key.pem"]);
    let pem = stdout(&out);
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    let key = admit::VerifyingKey::from_public_key_pem(&pem).unwrap();
    assert_eq!(stderr(&out).trim(), format!("key ID {}", key.key_id()));
    // Given the public key itself: printed back, with its ID.
    let out = admit(d, &["pubkey", "--key", "pub.pem"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), pem);
    assert!(
        stderr(&out).contains("already holds a public key"),
        "{}",
        stderr(&out)
    );
    let out = admit(d, &["pubkey", "--key", "missing.pem"]);
    assert_eq!(code(&out), 2);
    assert_eq!(stderr(&out).trim(), "admit: missing.pem: no such file");
}

#[test]
fn openssl_keys_mint_and_verify() {
    if !require_tool("openssl") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    let ok = |args: &[&str]| {
        let s = Command::new("openssl")
            .args(args)
            .current_dir(d)
            .status()
            .unwrap();
        assert!(s.success(), "openssl {args:?}");
    };
    ok(&["genpkey", "-algorithm", "ed25519", "-out", "key.pem"]);
    ok(&["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"]);
    let token = mint_one(d, &["--email", "ada@example.com"]);
    let out = verify(d, &token, &["--email", "ADA@example.com"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("valid "));
    // admit's own pubkey of an openssl key equals openssl's.
    let out = admit(d, &["pubkey", "--key", "key.pem"]);
    assert_eq!(
        stdout(&out),
        std::fs::read_to_string(d.join("pub.pem")).unwrap()
    );
}

#[test]
fn inspect_says_plainly_that_it_did_not_verify() {
    let dir = keyed();
    let d = dir.path();
    let token = mint_one(d, &["--email", "ada@example.com", "--inviter", "grace"]);
    let out = admit(
        d,
        &["inspect", &format!("https://a.test/?invitation={token}")],
    );
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(text.starts_with("NOT VERIFIED"), "{text}");
    assert!(text.contains("ada@example.com") && text.contains("grace"));
    let key = admit::VerifyingKey::from_public_key_pem(
        &std::fs::read_to_string(d.join("pub.pem")).unwrap(),
    )
    .unwrap();
    assert!(text.contains(&key.key_id().to_string()));
    let out = admit(d, &["inspect", "--format", "json", &token]);
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["verified"], false);
    assert_eq!(v["inviter"], "grace");
    let out = admit(d, &["inspect", "garbage!"]);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).starts_with("admit: "));
}

#[test]
fn help_has_examples() {
    let dir = tempdir();
    for cmd in [
        vec!["--help"],
        vec!["mint", "--help"],
        vec!["verify", "--help"],
        vec!["keygen", "--help"],
    ] {
        let out = admit(dir.path(), &cmd);
        assert_eq!(code(&out), 0);
        assert!(stdout(&out).contains("Example"), "{cmd:?}");
    }
}
