//! `admit verify`: exit codes for every failure, and one result per stdin line.

use crate::cli::{CTX, admit, code, keyed, mint_one, stderr, stdout, verify, verify_stdin};

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
    let out = verify_stdin(d, &[], &input);
    assert_eq!(code(&out), 1, "a batch with failures exits 1");
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    // The blank line is skipped, not reported; each result names its input line.
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert!(lines[0].starts_with("line 1: valid "), "{lines:?}");
    assert!(lines[1].starts_with("line 3: invalid "), "{lines:?}");
    assert!(lines[2].starts_with("line 4: valid "), "{lines:?}");
    assert!(lines[3].starts_with("line 5: ") && lines[3].contains("not UTF-8"));
    assert!(lines[4].starts_with("line 6: valid "), "{lines:?}");
    // All valid: exit 0. JSON lines carry the input's line number.
    let input = format!("{good}\n   \n{good2}\n");
    let out = verify_stdin(d, &["--format", "json"], input.as_bytes());
    assert_eq!(code(&out), 0);
    let second: serde_json::Value =
        serde_json::from_str(stdout(&out).lines().nth(1).unwrap()).unwrap();
    assert_eq!(second["line"], 3);
    // Nothing at all: a usage error.
    let out = verify_stdin(d, &[], b"");
    assert_eq!(code(&out), 2);
}
