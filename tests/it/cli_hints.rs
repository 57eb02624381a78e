//! The CLI tells an operator what to check: a wrong key or context after a bad signature, a
//! private key others can read, a batch of only blank lines.

use crate::cli::{CTX, admit, admit_stdin, code, keyed, mint_one, stderr, stdout};

#[test]
fn a_bad_signature_points_at_key_and_context() {
    let dir = keyed();
    let d = dir.path();
    let token = mint_one(d, &[]);
    let out = admit(
        d,
        &["verify", "--pub", "pub.pem", "--context", "acme/other", &token],
    );
    assert_eq!(code(&out), 3);
    let text = stdout(&out);
    assert!(text.starts_with("invalid bad_signature"), "{text}");
    assert!(text.contains("--pub") && text.contains("--context"), "{text}");
    let out = admit(
        d,
        &[
            "verify", "--pub", "pub.pem", "--context", "acme/other", "--format", "json", &token,
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
    let out = admit_stdin(
        dir.path(),
        &["verify", "--pub", "pub.pem", "--context", CTX],
        Some(b"\n  \n\r\n"),
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no token"), "{}", stderr(&out));
}
