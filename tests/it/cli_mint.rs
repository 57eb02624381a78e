//! `admit mint`: many at once, every claim flag and output format, and address files.

use crate::cli::{
    CTX, admit, admit_stdin, code, keyed, mint, mint_one, stderr, stdout, verify_stdin,
};

#[test]
fn mint_ten_thousand_distinct_tokens_that_all_verify() {
    let dir = keyed();
    let d = dir.path();
    let out = mint(d, &["--count", "10000"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    let tokens: std::collections::HashSet<&str> = text.lines().collect();
    assert_eq!(text.lines().count(), 10_000);
    assert_eq!(tokens.len(), 10_000);
    let out = verify_stdin(d, &[], text.as_bytes());
    assert_eq!(code(&out), 0);
    assert_eq!(
        stdout(&out)
            .lines()
            .filter(|l| l.contains(": valid "))
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

    let out = mint(d, &["--count", "2", "--format", "json"]);
    for line in stdout(&out).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["token"].as_str().unwrap().len() >= 116);
        assert_eq!(v["id"].as_str().unwrap().len(), 24);
    }
    let out = mint(d, &["--format", "csv", "--url", "https://a.test/"]);
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
    let out = mint(d, &["--emails", "people.txt", "--format", "csv"]);
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
    let out = mint(d, &["--emails", "people.csv", "--format", "json"]);
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
    let out = mint(d, &["--emails", "nope.csv"]);
    assert_eq!(code(&out), 2);
    assert_eq!(stderr(&out).trim(), "admit: nope.csv: no such file");
}
