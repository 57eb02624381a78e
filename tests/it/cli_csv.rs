//! `admit mint --emails` on what spreadsheets and people really write: a byte-order mark,
//! `;` and tabs, fields over several lines, no header, nothing at all; and CSV out.

use std::path::Path;
use std::process::Output;

use crate::cli::{CTX, admit, code, keyed, mint, stderr, stdout};

fn mint_file(d: &Path, name: &str, contents: &str, extra: &[&str]) -> Output {
    std::fs::write(d.join(name), contents).unwrap();
    let mut args = vec![
        "mint",
        "--key",
        "key.pem",
        "--context",
        CTX,
        "--emails",
        name,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    admit(d, &args)
}

/// (email, inviter, max uses) of each minted invitation.
fn minted(out: &Output) -> Vec<(String, Option<String>, Option<u32>)> {
    stdout(out)
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let inv = admit::inspect_unverified(v["token"].as_str().unwrap()).unwrap();
            (
                inv.email().unwrap().to_owned(),
                inv.inviter().map(str::to_owned),
                inv.max_uses(),
            )
        })
        .collect()
}

fn ada(inviter: Option<&str>, max: Option<u32>) -> (String, Option<String>, Option<u32>) {
    ("ada@example.com".into(), inviter.map(str::to_owned), max)
}

#[test]
fn spreadsheet_csv_is_read_as_written() {
    let dir = keyed();
    let d = dir.path();

    // Excel's "CSV UTF-8": a byte-order mark before the header.
    let out = mint_file(
        d,
        "bom.csv",
        "\u{FEFF}email,inviter\nada@example.com,grace\n",
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(minted(&out), [ada(Some("grace"), None)]);

    // Semicolons (spreadsheets in locales with a decimal comma), CRLF line ends.
    let out = mint_file(
        d,
        "semi.csv",
        "name;email;max_uses\r\nLovelace, Ada;ada@example.com;3\r\n",
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(minted(&out), [ada(None, Some(3))]);

    // Tabs.
    let out = mint_file(
        d,
        "tabs.tsv",
        "inviter\temail\ngrace\tada@example.com\n",
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(minted(&out), [ada(Some("grace"), None)]);

    // A quoted field over two lines; errors name the line a row starts on.
    let out = mint_file(
        d,
        "multi.csv",
        "name,email\n\"Ada\nLovelace\",ada@example.com\n\n# a comment\nEve,not-an-address\n",
        &[],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(minted(&out), [ada(None, None)]);
    assert!(
        stderr(&out).contains("multi.csv:6: invalid email"),
        "{}",
        stderr(&out)
    );

    // Detection goes by the first line (quoted commas do not count); --delimiter overrides it.
    let out = mint_file(d, "q.csv", "\"e, mail\";email\nx;ada@example.com\n", &[]);
    assert_eq!(minted(&out), [ada(None, None)], "{}", stderr(&out));
    let tricky = "email\nada@example.com;note\n";
    let out = mint_file(d, "tricky.csv", tricky, &[]);
    assert_ne!(code(&out), 0);
    let out = mint_file(d, "tricky.csv", tricky, &["--delimiter", ";"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(minted(&out), [ada(None, None)]);
    let out = mint_file(d, "tricky.csv", tricky, &["--delimiter", "colon"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--delimiter"), "{}", stderr(&out));
}

#[test]
fn input_without_work_or_header_is_a_usage_error() {
    let dir = keyed();
    let d = dir.path();
    // Several fields and no `email` header: which one is the address?
    let out = mint_file(d, "bare.csv", "ada@example.com,grace\n", &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("bare.csv:1: 2 fields but no header"));
    assert_eq!(stdout(&out), "");
    for (name, contents, says) in [
        ("empty.txt", "", "no addresses"),
        ("blank.txt", "\n\n# only comments\n", "no addresses"),
        ("header.csv", "email,inviter\n", "a header but no rows"),
    ] {
        let out = mint_file(d, name, contents, &[]);
        assert_eq!(code(&out), 2, "{name}");
        assert!(stderr(&out).contains(says), "{name}: {}", stderr(&out));
    }
    let out = mint(d, &["--count", "0"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--count 0"), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    // A plain list still works, blank lines and comments skipped.
    let out = mint_file(d, "list.txt", "# list\n\nada@example.com\n\n", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(minted(&out), [ada(None, None)]);
}

#[test]
fn csv_output_parses_back() {
    let dir = keyed();
    let d = dir.path();
    std::fs::write(d.join("people.txt"), "ada@example.com\nbob@example.com\n").unwrap();
    let out = mint(
        d,
        &[
            "--emails",
            "people.txt",
            "--format",
            "csv",
            "--url",
            "https://acme.test/join?ref=a,b",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, ["email", "id", "expires_at", "token", "url"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[1][0], "bob@example.com");
    // The link holds a comma, so it is quoted, and reads back whole.
    assert!(rows[0][4].starts_with("https://acme.test/join?ref=a,b&invitation="));
    let inv = admit::inspect_unverified(&rows[0][3]).unwrap();
    assert_eq!(inv.id().to_string(), rows[0][1]);
}
