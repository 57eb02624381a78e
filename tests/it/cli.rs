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

pub(crate) fn mint_one(d: &Path, extra: &[&str]) -> String {
    let mut args = vec!["mint", "--key", "key.pem", "--context", CTX];
    args.extend_from_slice(extra);
    let out = admit(d, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    stdout(&out).trim().to_owned()
}

fn verify(d: &Path, token: &str, extra: &[&str]) -> Output {
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
    let out = admit(d, &["pubkey", "--key", "pub.pem"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("public key"), "{}", stderr(&out));
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
fn verify_exit_codes() {
    let dir = keyed();
    let d = dir.path();
    let token = mint_one(d, &["--email", "ada@example.com", "--ttl", "1h"]);
    let link = format!("https://acme.test/join?x=1&invitation={token}");
    let cases: Vec<(String, Vec<&str>, i32, &str)> = vec![
        (token.clone(), vec![], 0, "valid"),
        (link.clone(), vec![], 0, "valid"),
        ("not-a-token!".into(), vec![], 3, "missing_token"),
        ("AAAA".into(), vec![], 3, "unsupported_version"),
        (token[..60].to_owned(), vec![], 3, "malformed"),
        (token.replacen('A', "B", 1), vec![], 3, ""),
        (
            token.clone(),
            vec!["--at", "2099-01-01T00:00:00Z"],
            4,
            "expired",
        ),
        (
            token.clone(),
            vec!["--at", "2000-01-01T00:00:00Z"],
            4,
            "not_yet_valid",
        ),
        (
            token.clone(),
            vec!["--email", "eve@example.com"],
            5,
            "email_mismatch",
        ),
        (
            token.clone(),
            vec!["--email", "<eve>@example.com"],
            5,
            "invalid_email",
        ),
    ];
    for (input, extra, want, what) in cases {
        let out = verify(d, &input, &extra);
        assert_eq!(
            code(&out),
            want,
            "{what}: {} {}",
            stdout(&out),
            stderr(&out)
        );
        assert!(stdout(&out).contains(what), "{what}: {}", stdout(&out));
    }
    // Another key: unknown key, exit 3.
    let other = keyed();
    std::fs::copy(other.path().join("pub.pem"), d.join("other.pem")).unwrap();
    let out = admit(
        d,
        &["verify", "--pub", "other.pem", "--context", CTX, &token],
    );
    assert_eq!(code(&out), 3);
    assert!(stdout(&out).contains("unknown_key"));
    // Both keys (rotation): valid.
    let out = admit(
        d,
        &[
            "verify",
            "--pub",
            "other.pem",
            "--pub",
            "pub.pem",
            "--context",
            CTX,
            &token,
        ],
    );
    assert_eq!(code(&out), 0);
    // Another context: bad signature, exit 3.
    let out = admit(
        d,
        &[
            "verify",
            "--pub",
            "pub.pem",
            "--context",
            "acme/reset",
            &token,
        ],
    );
    assert_eq!(code(&out), 3);
    assert!(stdout(&out).contains("bad_signature"));
    // Usage errors: exit 2, one line on stderr.
    for args in [
        vec!["verify", "--pub", "pub.pem", &token],
        vec!["verify", "--pub", "missing.pem", "--context", CTX, &token],
        vec!["verify", "--pub", "key.pem", "--context", CTX, &token],
        vec![
            "verify",
            "--pub",
            "pub.pem",
            "--context",
            "has space",
            &token,
        ],
        vec![
            "verify",
            "--pub",
            "pub.pem",
            "--context",
            CTX,
            "--at",
            "tomorrow",
            &token,
        ],
        vec!["frobnicate"],
    ] {
        let out = admit(d, &args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty());
    }
    // JSON output.
    let out = verify(d, &token, &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["email"], "ada@example.com");
}

#[test]
fn verify_reads_stdin_one_result_per_line() {
    let dir = keyed();
    let d = dir.path();
    let good = mint_one(d, &[]);
    let good2 = mint_one(d, &["--url", "https://acme.test/join"]);
    let mut input = format!("{good}\n\ngarbage\n{good2}\r\n").into_bytes();
    input.extend_from_slice(b"\xff\xfe\n");
    input.extend_from_slice(good.as_bytes()); // no final newline
    let out = admit_stdin(
        d,
        &["verify", "--pub", "pub.pem", "--context", CTX],
        Some(&input),
    );
    assert_eq!(code(&out), 1, "a batch with failures exits 1");
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    // The blank line is skipped, not reported.
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert!(lines[0].starts_with("valid "));
    assert!(lines[1].starts_with("invalid "));
    assert!(lines[2].starts_with("valid "));
    assert!(lines[3].contains("not UTF-8"));
    assert!(lines[4].starts_with("valid "));
    // All valid: exit 0. JSON lines carry the input's line number.
    let input = format!("{good}\n   \n{good2}\n");
    let out = admit_stdin(
        d,
        &[
            "verify",
            "--pub",
            "pub.pem",
            "--context",
            CTX,
            "--format",
            "json",
        ],
        Some(input.as_bytes()),
    );
    assert_eq!(code(&out), 0);
    let second: serde_json::Value =
        serde_json::from_str(stdout(&out).lines().nth(1).unwrap()).unwrap();
    assert_eq!(second["line"], 3);
    // Nothing at all: a usage error.
    let out = admit_stdin(
        d,
        &["verify", "--pub", "pub.pem", "--context", CTX],
        Some(b""),
    );
    assert_eq!(code(&out), 2);
}

#[test]
fn mint_ten_thousand_distinct_tokens_that_all_verify() {
    let dir = keyed();
    let d = dir.path();
    let out = admit(
        d,
        &[
            "mint",
            "--key",
            "key.pem",
            "--context",
            CTX,
            "--count",
            "10000",
        ],
    );
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    let tokens: std::collections::HashSet<&str> = text.lines().collect();
    assert_eq!(text.lines().count(), 10_000);
    assert_eq!(tokens.len(), 10_000);
    let out = admit_stdin(
        d,
        &["verify", "--pub", "pub.pem", "--context", CTX],
        Some(text.as_bytes()),
    );
    assert_eq!(code(&out), 0);
    assert_eq!(
        stdout(&out)
            .lines()
            .filter(|l| l.starts_with("valid "))
            .count(),
        10_000
    );
}

#[test]
fn mint_options_and_formats() {
    let dir = keyed();
    let d = dir.path();
    let link = mint_one(
        d,
        &[
            "--email",
            "Ada@Example.com",
            "--max-uses",
            "3",
            "--inviter",
            "grace",
            "--ttl",
            "2d",
            "--data",
            r#"{ "role": "editor" }"#,
            "--url",
            "https://acme.test/join?lang=fr",
        ],
    );
    assert!(link.starts_with("https://acme.test/join?lang=fr&invitation="));
    let token = admit::find_token(&link).unwrap().into_owned();
    let seen = admit::inspect_unverified(&token).unwrap();
    assert_eq!(seen.email(), Some("ada@example.com"));
    assert_eq!(seen.max_uses(), Some(3));
    assert_eq!(seen.inviter(), Some("grace"));
    assert_eq!(
        seen.data::<String>().unwrap().as_deref(),
        Some(r#"{ "role": "editor" }"#),
        "stored exactly as given"
    );
    assert_eq!(
        seen.expires_at().unwrap() - seen.issued_at(),
        time::Duration::days(2)
    );
    let never = mint_one(d, &["--no-expiry", "--data-hex", "00ff"]);
    let seen = admit::inspect_unverified(&never).unwrap();
    assert_eq!(seen.expires_at(), None);
    assert_eq!(seen.data_bytes(), Some(&[0x00, 0xff][..]));
    let at = mint_one(d, &["--expires", "2099-01-01T00:00:00Z"]);
    assert_eq!(
        admit::inspect_unverified(&at)
            .unwrap()
            .expires_at()
            .unwrap()
            .unix_timestamp(),
        4_070_908_800
    );

    let out = admit(
        d,
        &[
            "mint",
            "--key",
            "key.pem",
            "--context",
            CTX,
            "--count",
            "2",
            "--format",
            "json",
        ],
    );
    for line in stdout(&out).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["token"].as_str().unwrap().len() >= 116);
        assert_eq!(v["id"].as_str().unwrap().len(), 24);
    }
    let out = admit(
        d,
        &[
            "mint",
            "--key",
            "key.pem",
            "--context",
            CTX,
            "--format",
            "csv",
            "--url",
            "https://a.test/",
        ],
    );
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("email,id,expires_at,token,url"));
    assert_eq!(lines.next().unwrap().split(',').count(), 5);

    for (args, needle) in [
        (vec!["--ttl", "soon"], "--ttl"),
        (vec!["--ttl", "0"], "--ttl/--expires"),
        (vec!["--expires", "yesterday"], "--expires"),
        (vec!["--email", "nobody"], "--email"),
        (vec!["--max-uses", "0"], "--max-uses"),
        (vec!["--data", "{not json"], "--data"),
        (vec!["--data-hex", "abc"], "--data-hex"),
        (vec!["--ttl", "1d", "--no-expiry"], "cannot be used with"),
        (vec!["--url", "has space"], "--url"),
    ] {
        let mut full = vec!["mint", "--key", "key.pem", "--context", CTX];
        full.extend_from_slice(&args);
        let out = admit(d, &full);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn mint_from_an_email_file_reports_bad_lines_and_mints_the_rest() {
    let dir = keyed();
    let d = dir.path();
    std::fs::write(
        d.join("people.txt"),
        "# invited on launch day\nada@example.com\n\nnot-an-address\nBob@Example.com\n",
    )
    .unwrap();
    let out = admit(
        d,
        &[
            "mint",
            "--key",
            "key.pem",
            "--context",
            CTX,
            "--emails",
            "people.txt",
            "--format",
            "csv",
        ],
    );
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("people.txt:4: invalid email"),
        "{}",
        stderr(&out)
    );
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows[0].starts_with("ada@example.com,"));
    assert!(rows[1].starts_with("bob@example.com,"));

    std::fs::write(
        d.join("people.csv"),
        "name,Email,inviter,max_uses\n\"Lovelace, Ada\",ada@example.com,grace,1\nBob,bob@example.com,,5\nEve,,,\nMallory,m@example.com,x,many\n",
    )
    .unwrap();
    let out = admit(
        d,
        &[
            "mint",
            "--key",
            "key.pem",
            "--context",
            CTX,
            "--emails",
            "people.csv",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(err.contains("people.csv:4: no email"), "{err}");
    assert!(err.contains("people.csv:5: max_uses \"many\""), "{err}");
    let minted: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(minted.len(), 2);
    let ada = admit::inspect_unverified(minted[0]["token"].as_str().unwrap()).unwrap();
    assert_eq!(
        (ada.email(), ada.inviter(), ada.max_uses()),
        (Some("ada@example.com"), Some("grace"), Some(1))
    );
    let bob = admit::inspect_unverified(minted[1]["token"].as_str().unwrap()).unwrap();
    assert_eq!((bob.inviter(), bob.max_uses()), (None, Some(5)));

    // From stdin, and a missing file.
    let out = admit_stdin(
        d,
        &[
            "mint",
            "--key",
            "key.pem",
            "--context",
            CTX,
            "--emails",
            "-",
        ],
        Some(b"x@example.com\n"),
    );
    assert_eq!(code(&out), 0);
    assert_eq!(stdout(&out).lines().count(), 1);
    let out = admit(
        d,
        &[
            "mint",
            "--key",
            "key.pem",
            "--context",
            CTX,
            "--emails",
            "nope.csv",
        ],
    );
    assert_eq!(code(&out), 2);
    assert_eq!(stderr(&out).trim(), "admit: nope.csv: no such file");
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

#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
mod with_store {
    use super::*;

    fn run(d: &Path, args: &[String]) -> Output {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        admit(d, &refs)
    }

    /// Every store command on one store: `s` names it (`--store URL --prefix P`, or the
    /// `--redis` alias); `init_says` starts what `store init` prints; `checks` are the names of
    /// `store health`'s checks. Returns the keyed directory and an invitation ID.
    fn store_commands(
        s: &[String],
        backend: &str,
        init_says: &str,
        checks: &[&str],
    ) -> (TempDir, String) {
        let dir = keyed();
        let d = dir.path();
        let with = |head: &[&str], tail: &[&str]| -> Vec<String> {
            let mut v: Vec<String> = head.iter().map(|x| x.to_string()).collect();
            v.extend(s.iter().cloned());
            v.extend(tail.iter().map(|x| x.to_string()));
            v
        };

        // A store nobody initialized refuses every command (exit 7), and says what to do.
        let out = run(d, &with(&["list"], &[]));
        assert_eq!(code(&out), 7, "{}", stderr(&out));
        assert!(
            stderr(&out).contains("admit store init"),
            "{}",
            stderr(&out)
        );
        let out = run(d, &with(&["store", "init"], &[]));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(stdout(&out).starts_with(init_says), "{}", stdout(&out));
        // Again: nothing changes.
        let out = run(d, &with(&["store", "init"], &[]));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let out = run(d, &with(&["store", "health"], &[]));
        assert!(matches!(code(&out), 0 | 1), "{}", stderr(&out));
        assert!(stdout(&out).contains("initialized"), "{}", stdout(&out));
        assert!(stdout(&out).contains("overall"), "{}", stdout(&out));
        let out = run(d, &with(&["store", "health"], &["--format", "json"]));
        let report: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(report["backend"], backend);
        let names: Vec<&str> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, checks);

        // Mint two, recorded in the registry.
        let out = run(
            d,
            &with(
                &[
                    "mint",
                    "--key",
                    "key.pem",
                    "--context",
                    CTX,
                    "--max-uses",
                    "1",
                    "--inviter",
                    "grace",
                    "--description",
                    "launch",
                ],
                &[],
            ),
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let token = stdout(&out).trim().to_owned();
        let id = admit::inspect_unverified(&token).unwrap().id().to_string();
        let out = run(
            d,
            &with(
                &[
                    "mint",
                    "--key",
                    "key.pem",
                    "--context",
                    CTX,
                    "--inviter",
                    "alan",
                ],
                &[],
            ),
        );
        let other = stdout(&out).trim().to_owned();

        let out = run(d, &with(&["list"], &[]));
        assert_eq!(stdout(&out).lines().count(), 2, "{}", stdout(&out));
        let out = run(
            d,
            &with(&["list"], &["--inviter", "grace", "--format", "json"]),
        );
        let listed: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(listed["id"], id.as_str());
        assert_eq!(listed["description"], "launch");
        assert_eq!(listed["expired"], false);

        // A page at a time: a full page names the next on stderr; --all reads every page.
        let out = run(d, &with(&["list"], &["--limit", "1"]));
        assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
        let hint = stderr(&out);
        let after = hint
            .split_whitespace()
            .skip_while(|w| *w != "--after")
            .nth(1)
            .unwrap_or_else(|| panic!("{hint}"))
            .to_owned();
        let out = run(d, &with(&["list"], &["--limit", "1", "--after", &after]));
        assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
        let both = run(d, &with(&["list"], &["--limit", "1", "--all"]));
        let one_page = run(d, &with(&["list"], &[]));
        assert_eq!(stdout(&both), stdout(&one_page));
        assert_eq!(stdout(&both).lines().count(), 2);
        let out = run(d, &with(&["list"], &["--after", "tomorrow"]));
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains("--after"), "{}", stderr(&out));
        let out = run(d, &with(&["list"], &["--expired"]));
        assert_eq!(stdout(&out).lines().count(), 2, "{}", stdout(&out));

        // Redeem: once, a retry, then used up (exit 6).
        let redeem = |joiner: &str| {
            run(
                d,
                &with(
                    &[
                        "redeem",
                        "--pub",
                        "pub.pem",
                        "--context",
                        CTX,
                        "--joiner",
                        joiner,
                    ],
                    &[&token],
                ),
            )
        };
        let out = redeem("u1");
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(stdout(&out).contains("u1 joined"));
        assert!(stdout(&out).contains("not counted again") || code(&redeem("u1")) == 0);
        let out = redeem("u2");
        assert_eq!(code(&out), 6);
        assert!(stderr(&out).contains("used up"));
        // Verifying against the store says so too: exit 6, "used up".
        let out = run(
            d,
            &with(&["verify", "--pub", "pub.pem", "--context", CTX], &[&token]),
        );
        assert_eq!(code(&out), 6, "{}", stdout(&out));
        assert!(stdout(&out).contains("used_up"), "{}", stdout(&out));

        let out = run(d, &with(&["status"], &[&id]));
        assert!(
            stdout(&out).contains("uses        1 of 1"),
            "{}",
            stdout(&out)
        );
        assert!(stdout(&out).contains("joined      u1"));

        // Revoke by token; verify with the store says revoked (exit 6). Without --pub, only
        // the token's ID counts.
        let out = run(d, &with(&["revoke"], &[&token]));
        assert_eq!(code(&out), 0);
        assert!(stdout(&out).contains("revoked"));
        assert!(stderr(&out).contains("by ID only"), "{}", stderr(&out));
        let out = run(
            d,
            &with(&["verify", "--pub", "pub.pem", "--context", CTX], &[&token]),
        );
        assert_eq!(code(&out), 6);
        let out = run(d, &with(&["revoke"], &[&id]));
        assert!(stdout(&out).contains("already revoked"));

        // A forged copy of another token (an earlier expiry, the old signature) is refused
        // when verified, and nothing is revoked.
        let mut forged = crate::reference::decode(&other);
        forged[20] ^= 1;
        let forged = crate::reference::encode(&forged);
        let out = run(
            d,
            &with(
                &["revoke", "--pub", "pub.pem", "--context", CTX],
                &[&forged],
            ),
        );
        assert_eq!(code(&out), 3, "{}", stderr(&out));
        assert!(stderr(&out).contains("not revoked"), "{}", stderr(&out));

        // Revoke by issue time and inviter.
        let out = run(
            d,
            &with(&["verify", "--pub", "pub.pem", "--context", CTX], &[&other]),
        );
        assert_eq!(code(&out), 0);
        let later = "2099-01-01T00:00:00Z";
        let out = run(
            d,
            &with(
                &["revoke", "--issued-before", later, "--inviter", "nobody"],
                &[],
            ),
        );
        assert_eq!(
            code(&out),
            2,
            "a cut-off in the future needs --allow-future"
        );
        assert!(stderr(&out).contains("--allow-future"), "{}", stderr(&out));
        let out = run(
            d,
            &with(
                &[
                    "revoke",
                    "--issued-before",
                    later,
                    "--allow-future",
                    "--inviter",
                    "nobody",
                ],
                &[],
            ),
        );
        assert_eq!(code(&out), 0);
        let out = run(
            d,
            &with(&["verify", "--pub", "pub.pem", "--context", CTX], &[&other]),
        );
        assert_eq!(code(&out), 0, "another inviter's rule does not apply");
        let out = run(
            d,
            &with(
                &["revoke", "--issued-before", "now", "--inviter", "alan"],
                &[],
            ),
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(stdout(&out).contains("by \"alan\""), "{}", stdout(&out));
        let out = run(
            d,
            &with(&["verify", "--pub", "pub.pem", "--context", CTX], &[&other]),
        );
        assert_eq!(code(&out), 6);
        // Status and list say which rule revoked it.
        let out = run(d, &with(&["status"], &[&other]));
        assert!(
            stdout(&out).contains("revoked     issued before ")
                && stdout(&out).contains("by \"alan\" (a rule)"),
            "{}",
            stdout(&out)
        );
        let out = run(d, &with(&["list"], &["--inviter", "alan"]));
        assert!(
            stdout(&out).contains("REVOKED (issued before "),
            "{}",
            stdout(&out)
        );
        let out = run(d, &with(&["status"], &[&other, "--format", "json"]));
        let st: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(st["revoked_by_rule"]["inviter"], "alan");
        assert_eq!(st["revoked_at"], serde_json::Value::Null);

        // Short codes.
        let out = run(d, &with(&["code", "create"], &[&other]));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let short = stdout(&out).trim().to_owned();
        assert_eq!(short.len(), 10);
        let out = run(d, &with(&["code", "resolve"], &[&short.to_lowercase()]));
        assert_eq!(stdout(&out).trim(), other);
        let vanity = format!("LAUNCH-{}", id[..6].to_uppercase());
        let out = run(d, &with(&["code", "create", "--code", &vanity], &[&other]));
        assert_eq!(stdout(&out).trim(), vanity);
        let out = run(d, &with(&["code", "create", "--code", &vanity], &[&token]));
        assert_eq!(code(&out), 2);
        assert!(stderr(&out).contains("already taken"), "{}", stderr(&out));
        let mut typo: Vec<char> = short.chars().collect();
        typo[0] = if typo[0] == 'A' { 'B' } else { 'A' };
        let typo: String = typo.into_iter().collect();
        let out = run(d, &with(&["code", "resolve"], &[&typo]));
        assert_eq!(code(&out), 3, "{typo}: {}", stderr(&out));
        assert!(stderr(&out).contains("typo"), "{}", stderr(&out));

        let out = run(d, &with(&["status"], &["not-an-id"]));
        assert_eq!(code(&out), 2);
        (dir, id)
    }

    fn args(flag: &str, url: &str, prefix: &str) -> Vec<String> {
        [flag, url, "--prefix", prefix].map(str::to_owned).to_vec()
    }

    /// Redis, named with the `--redis` alias the CLI keeps.
    #[cfg(feature = "redis")]
    #[test]
    fn redis_store_commands() {
        let Some(url) = crate::store::harness::single_url() else {
            return;
        };
        let prefix = crate::store::harness::unique_prefix();
        let checks = [
            "eviction",
            "persistence",
            "replication",
            "clock",
            "initialized",
        ];
        let (dir, id) = store_commands(
            &args("--redis", &url, &prefix),
            "redis",
            "initialized yes, since ",
            &checks,
        );
        let d = dir.path();
        // Usage errors.
        let out = admit(d, &["status", &id]);
        assert_eq!(code(&out), 2);
        assert!(stderr(&out).contains("--store"), "{}", stderr(&out));
        // An unreachable store: exit 7.
        let port = crate::support::redis_server::free_port();
        let out = admit(
            d,
            &[
                "status",
                "--store",
                &format!("redis://127.0.0.1:{port}/"),
                &id,
            ],
        );
        assert_eq!(code(&out), 7, "{}", stderr(&out));
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_store_commands() {
        let Some(url) = crate::store::harness::postgres_url() else {
            return;
        };
        let prefix = crate::store::harness::unique_table_prefix();
        store_commands(
            &args("--store", &url, &prefix),
            "postgres",
            "initialized migrated",
            &["initialized", "persistence"],
        );
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_store_commands() {
        let files = tempdir();
        let url = format!("sqlite://{}", files.path().join("admit.db").display());
        let (dir, id) = store_commands(
            &args("--store", &url, "admit_"),
            "sqlite",
            "initialized migrated",
            &["initialized", "persistence"],
        );
        // The store URL from the environment, and a file that cannot be created: exit 7.
        let out = Command::new(env!("CARGO_BIN_EXE_admit"))
            .args(["status", &id])
            .current_dir(dir.path())
            .env("ADMIT_STORE_URL", &url)
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(stdout(&out).contains("revoked     at "), "{}", stdout(&out));
        let missing = format!(
            "sqlite://{}",
            files.path().join("no/such/dir/a.db").display()
        );
        let out = admit(dir.path(), &["status", "--store", &missing, &id]);
        assert_eq!(code(&out), 7, "{}", stderr(&out));
        // `--help` names the variables but never shows their values (they may hold passwords).
        let out = Command::new(env!("CARGO_BIN_EXE_admit"))
            .args(["status", "--help"])
            .env("ADMIT_STORE_URL", "redis://:hunter2@db.internal/")
            .env("ADMIT_REDIS_URL", "redis://:hunter3@db.internal/")
            .output()
            .unwrap();
        assert_eq!(code(&out), 0);
        assert!(stdout(&out).contains("ADMIT_STORE_URL"), "{}", stdout(&out));
        assert!(!stdout(&out).contains("hunter"), "{}", stdout(&out));
        // memory: works, and says it forgets; an unknown scheme is a usage error.
        let out = admit(dir.path(), &["list", "--store", "memory:"]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(
            stderr(&out).contains("forgets everything"),
            "{}",
            stderr(&out)
        );
        let out = admit(dir.path(), &["list", "--store", "mysql://db/app"]);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains("not a store URL"), "{}", stderr(&out));
    }
}
