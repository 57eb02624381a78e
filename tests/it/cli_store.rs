//! The store commands on every store this build has: init, health, mint with a record,
//! revoke, status, redeem, list and codes.

use std::path::Path;
use std::process::{Command, Output};

use crate::cli::{CTX, admit, code, keyed, stderr, stdout};
use crate::keys::{TempDir, tempdir};

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
