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
