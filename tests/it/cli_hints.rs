//! The CLI tells an operator what to check: a wrong key or context after a bad signature, a
//! private key others can read, a batch of only blank lines.

use crate::cli::{CTX, admit, code, keyed, mint, mint_one, stderr, stdout, verify_stdin};

#[test]
fn a_bad_signature_points_at_key_and_context() {
    let dir = keyed();
    let d = dir.path();
    let token = mint_one(d, &[]);
    let out = admit(
        d,
        &[
            "verify",
            "--pub",
            "pub.pem",
            "--context",
            "acme/other",
            &token,
        ],
    );
    assert_eq!(code(&out), 3);
    let text = stdout(&out);
    assert!(text.starts_with("invalid bad_signature"), "{text}");
    assert!(
        text.contains("--pub") && text.contains("--context"),
        "{text}"
    );
    let out = admit(
        d,
        &[
            "verify",
            "--pub",
            "pub.pem",
            "--context",
            "acme/other",
            "--format",
            "json",
            &token,
        ],
    );
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["error"], "bad_signature");
    assert!(v["hint"].as_str().unwrap().contains("--context"));
    // The right flags: no hint, valid.
    let out = admit(d, &["verify", "--pub", "pub.pem", "--context", CTX, &token]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[cfg(unix)]
#[test]
fn a_private_key_others_can_read_is_warned_about() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = keyed();
    let d = dir.path();
    let key = d.join("key.pem");
    let mint = || admit(d, &["mint", "--key", "key.pem", "--context", CTX]);
    let out = mint();
    assert_eq!(code(&out), 0);
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = mint();
    assert_eq!(code(&out), 0, "a warning, not a refusal");
    let err = stderr(&out);
    assert!(
        err.contains("warning") && err.contains("0644") && err.contains("chmod 600"),
        "{err}"
    );
    assert_eq!(stdout(&out).lines().count(), 1);
}

#[test]
fn a_batch_of_blank_lines_is_a_usage_error() {
    let dir = keyed();
    let out = verify_stdin(dir.path(), &[], b"\n  \n\r\n");
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no token"), "{}", stderr(&out));
}

#[test]
fn times_urls_and_hex_as_people_type_them() {
    let dir = keyed();
    let d = dir.path();
    let token = mint_one(d, &["--ttl", "1h"]);
    let verify_at = |at: &str| {
        admit(
            d,
            &[
                "verify",
                "--pub",
                "pub.pem",
                "--context",
                CTX,
                "--at",
                at,
                &token,
            ],
        )
    };
    // Now, an hour and a half on (expired), a date long past (not yet valid), Unix seconds.
    assert_eq!(code(&verify_at("now")), 0);
    assert_eq!(code(&verify_at("+90m")), 4);
    assert_eq!(code(&verify_at("2001-01-01")), 4);
    assert_eq!(code(&verify_at("978307200")), 4);
    // A leading '-' reads as a flag unless joined with '='.
    let out = admit(
        d,
        &[
            "verify",
            "--pub",
            "pub.pem",
            "--context",
            CTX,
            "--at=-1h",
            &token,
        ],
    );
    assert_eq!(code(&out), 4, "issued after that: {}", stdout(&out));
    let out = verify_at("next tuesday");
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("Unix seconds"), "{}", stderr(&out));

    // --expires: a date, a date and time without offset (UTC).
    for (given, expected) in [
        ("2099-12-01", "2099-12-01T00:00:00Z"),
        ("2099-12-01 09:30", "2099-12-01T09:30:00Z"),
        ("4100000000", "2099-12-03T16:53:20Z"),
    ] {
        let token = mint_one(d, &["--expires", given]);
        let out = admit(d, &["inspect", "--format", "json", &token]);
        let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(v["expires_at"], expected, "{given}");
    }

    // --url: http(s) with a host, nothing else.
    for bad in [
        "javascript:alert(1)",
        "acme.test/join",
        "ftp://acme.test/",
        "https:///join",
    ] {
        let out = mint(d, &["--url", bad]);
        assert_eq!(code(&out), 2, "{bad}");
        assert!(stderr(&out).contains("--url"), "{bad}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{bad}: nothing minted");
    }
    let link = mint_one(d, &["--url", "https://acme.test/join"]);
    assert!(link.starts_with("https://acme.test/join?invitation="));

    // --data-hex: which character is wrong.
    let out = mint(d, &["--data-hex", "0g"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("'g' at position 2 is not a hex digit"),
        "{}",
        stderr(&out)
    );
}

/// A public key given to `pubkey` is printed back, with no warning about who can read it (a
/// public key is meant to be read); a private key others can read still gets the warning.
#[cfg(unix)]
#[test]
fn pubkey_of_a_public_key_does_not_warn() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = keyed();
    let d = dir.path();
    std::fs::set_permissions(d.join("pub.pem"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = admit(d, &["pubkey", "--key", "pub.pem"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        std::fs::read_to_string(d.join("pub.pem")).unwrap()
    );
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    assert!(stderr(&out).contains("already holds a public key"));
    std::fs::set_permissions(d.join("key.pem"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = admit(d, &["pubkey", "--key", "key.pem"]);
    assert!(stderr(&out).contains("warning"), "{}", stderr(&out));
}

/// Files the CLI writes: errors name the file asked for (never the temporary file beside
/// it), and `man --dir` makes its directory.
#[test]
fn written_files_are_named_as_asked_and_man_makes_its_directory() {
    let dir = keyed();
    let d = dir.path();
    let out = admit(d, &["keygen", "--out", "missing-dir/k.pem"]);
    assert_eq!(code(&out), 2);
    let said = stderr(&out);
    assert!(
        said.contains("missing-dir/k.pem") && said.contains("does not exist"),
        "{said}"
    );
    assert!(!said.contains("tmp"), "{said}");
    let out = admit(d, &["man", "--dir", "share/man/man1"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(d.join("share/man/man1/admit.1").exists());
}

/// `status` with something that is neither an ID nor a token says so, without a decoding
/// error about a "token version" the text never had.
#[test]
fn status_of_text_that_is_no_id_says_so() {
    let dir = keyed();
    let d = dir.path();
    for (given, expected) in [
        ("deadbeef", "an ID is 24 hexadecimal digits, this has 8"),
        (
            "hello",
            "not an invitation ID (24 hexadecimal digits) or a token",
        ),
    ] {
        let out = admit(d, &["status", given, "--store", "memory:"]);
        assert_eq!(code(&out), 2, "{given}");
        let said = stderr(&out);
        assert!(
            said.contains(expected) && !said.contains("version"),
            "{said}"
        );
    }
}

/// The hint after a full page of `list` repeats the store, the inviter, the limit and the
/// format, so it lists the next page of the same thing.
#[cfg(feature = "sqlite")]
#[test]
fn the_next_page_hint_keeps_the_filters() {
    let (dir, url) = crate::cli::keyed_with_store();
    let d = dir.path();
    for _ in 0..3 {
        let out = mint(d, &["--inviter", "grace hopper", "--store", &url]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    let out = admit(
        d,
        &[
            "list",
            "--store",
            &url,
            "--inviter",
            "grace hopper",
            "--limit",
            "2",
            "--format",
            "json",
            "--newest",
            "--search",
            "GRACE",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let hint = stderr(&out);
    let command = hint
        .lines()
        .find_map(|l| l.strip_prefix("more: "))
        .expect("a hint")
        .trim_end_matches(" (or --all)")
        .to_owned();
    assert!(
        command.contains(&format!("--store {url}"))
            && command.contains("--inviter 'grace hopper'")
            && command.contains("--limit 2")
            && command.contains("--format json")
            && command.contains("--newest --search GRACE"),
        "{command}"
    );
    // Run as printed (through a shell): the third invitation.
    let next = std::process::Command::new("sh")
        .arg("-c")
        .arg(command.replacen("admit", env!("CARGO_BIN_EXE_admit"), 1))
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        next.status.success(),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&next.stdout).lines().count(), 1);
}
