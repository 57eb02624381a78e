//! `admit revocations publish|inspect` and `admit verify --revocations`: a revocation made in
//! the store is refused offline after the next publish; deltas, rollback, staleness.

use crate::cli::{CTX, admit, code, keyed_with_store, mint_one, stderr, stdout, verify_stdin};

fn verify(
    d: &std::path::Path,
    lists: &[&str],
    extra: &[&str],
    token: &str,
) -> std::process::Output {
    let mut args = vec!["verify", "--pub", "pub.pem", "--context", CTX];
    for list in lists {
        args.extend_from_slice(&["--revocations", list]);
    }
    args.extend_from_slice(extra);
    args.push(token);
    admit(d, &args)
}

#[test]
fn lists_published_from_a_store_refuse_offline() {
    let (dir, url) = keyed_with_store();
    let d = dir.path();
    let gone = mint_one(d, &["--store", &url]);
    let later = mint_one(d, &["--store", &url]);
    let fine = mint_one(d, &["--store", &url]);
    let revoke = |token: &str| {
        let out = admit(
            d,
            &[
                "revoke",
                "--store",
                &url,
                "--pub",
                "pub.pem",
                "--context",
                CTX,
                token,
            ],
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    };
    revoke(&gone);
    let publish = |extra: &[&str]| {
        let mut args = vec![
            "revocations",
            "publish",
            "--store",
            &url,
            "--key",
            "key.pem",
            "--context",
            CTX,
        ];
        args.extend_from_slice(extra);
        let out = admit(d, &args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        stderr(&out)
    };
    let said = publish(&["--out", "list.txt"]);
    assert!(said.contains("published full list 1: 1 revoked"), "{said}");

    assert_eq!(code(&verify(d, &["list.txt"], &[], &gone)), 6);
    assert_eq!(code(&verify(d, &["list.txt"], &[], &later)), 0);
    let out = verify(d, &["list.txt"], &[], &fine);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // A stdin batch goes through the list too.
    let batch = format!("{gone}\n{fine}\n");
    let out = verify_stdin(
        d,
        &["--revocations", "list.txt", "--format", "json"],
        batch.as_bytes(),
    );
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["error"], "revoked", "{lines:?}");
    assert_eq!(lines[1]["valid"], true, "{lines:?}");

    // Revoked after the list: refused offline only with the delta.
    revoke(&later);
    assert_eq!(code(&verify(d, &["list.txt"], &[], &later)), 0);
    let said = publish(&["--delta", "--out", "delta.txt"]);
    assert!(said.contains("published delta 2 on 1: 1 revoked"), "{said}");
    assert_eq!(code(&verify(d, &["list.txt", "delta.txt"], &[], &later)), 6);
    // Out of order: the delta has no base; an older list after a newer one is a rollback.
    let out = verify(d, &["delta.txt"], &[], &fine);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("no full list is loaded"),
        "{}",
        stderr(&out)
    );
    let full2 = publish(&[]);
    assert!(
        full2.contains("published full list 3: 2 revoked"),
        "{full2}"
    );

    // Stale: a list due in a second, checked five minutes on.
    publish(&["--next-update", "1s", "--out", "short.txt"]);
    let out = verify(d, &["short.txt"], &["--at", "+5m"], &fine);
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("revocation_list_stale: revocation list is stale"),
        "{}",
        stdout(&out)
    );
    let out = verify(d, &["short.txt"], &["--at", "+5m", "--allow-stale"], &fine);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // Inspect: unchecked, checked, JSON; a tampered file refused.
    let out = admit(d, &["revocations", "inspect", "delta.txt"]);
    assert!(stdout(&out).contains("delta 2 on 1") && stdout(&out).contains("NOT checked"));
    let out = admit(
        d,
        &[
            "revocations",
            "inspect",
            "list.txt",
            "--pub",
            "pub.pem",
            "--context",
            CTX,
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["sequence"], 1);
    assert_eq!(json["signature_checked"], true);
    assert_eq!(json["revoked"].as_array().unwrap().len(), 1);
    let mut text = std::fs::read_to_string(d.join("list.txt")).unwrap();
    let last = text.pop().unwrap();
    text.push(if last == 'A' { 'B' } else { 'A' });
    std::fs::write(d.join("bad.txt"), text).unwrap();
    let out = admit(
        d,
        &[
            "revocations",
            "inspect",
            "bad.txt",
            "--pub",
            "pub.pem",
            "--context",
            CTX,
        ],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("revocation list refused"),
        "{}",
        stderr(&out)
    );
    let out = verify(d, &["bad.txt"], &[], &fine);
    assert_eq!(code(&out), 2, "{}", stderr(&out));

    // A delta on a sequence never published: a clear refusal.
    let out = admit(
        d,
        &[
            "revocations",
            "publish",
            "--store",
            &url,
            "--key",
            "key.pem",
            "--context",
            CTX,
            "--delta-since",
            "77",
        ],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no list with that sequence"),
        "{}",
        stderr(&out)
    );
}
