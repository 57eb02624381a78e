//! `--format text|json|csv` means the same on every command that offers it, and app data comes
//! out the same way everywhere: `data` (the JSON `mint --data` stored) and `data_hex` (the
//! exact bytes, which `mint --data-hex` takes back).

use std::path::Path;

use crate::cli::{CTX, admit, admit_stdin, code, keyed, mint_one, stderr, stdout};

/// The rows of a CSV text, header first.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// Runs `args` with `--format json` and `--format csv`: every JSON line's fields equal the
/// CSV row's under the same column (JSON null or absent = empty field; objects aside). Returns
/// the CSV rows.
fn json_and_csv_agree(
    d: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
    expect_code: i32,
) -> Vec<Vec<String>> {
    let run = |format: &str| {
        let mut full = args.to_vec();
        full.extend(["--format", format]);
        let out = admit_stdin(d, &full, stdin);
        assert_eq!(code(&out), expect_code, "{full:?}: {}", stderr(&out));
        stdout(&out)
    };
    let json = run("json");
    let rows = csv_rows(&run("csv"));
    let header = &rows[0];
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty(), "{args:?}");
    let mut compared = 0;
    for (object, row) in lines.iter().zip(&rows[1..]) {
        for (column, field) in header.iter().zip(row) {
            let expected = match &object[column] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                // App data: the CSV field is the JSON text as stored.
                data if column == "data" => {
                    let parsed: serde_json::Value = serde_json::from_str(field).unwrap();
                    assert_eq!(&parsed, data, "{args:?}");
                    compared += 1;
                    continue;
                }
                // A revocation rule: an object in JSON, its description in CSV.
                serde_json::Value::Object(_) => continue,
                other => other.to_string(),
            };
            assert_eq!(field, &expected, "{args:?} column {column}");
            compared += 1;
        }
    }
    assert!(
        compared + 1 >= header.len(),
        "{args:?}: columns missing from the JSON"
    );
    rows
}

#[test]
fn verify_and_inspect_write_csv_with_the_same_fields_as_json() {
    let dir = keyed();
    let d = dir.path();
    let good = mint_one(
        d,
        &[
            "--email",
            "ada@example.com",
            "--inviter",
            "grace, hopper",
            "--data",
            "{\"team\": 7}",
        ],
    );
    let other = mint_one(d, &["--max-uses", "3"]);

    // One token.
    let rows = json_and_csv_agree(
        d,
        &["verify", "--pub", "pub.pem", "--context", CTX, &good],
        None,
        0,
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0],
        [
            "line",
            "valid",
            "error",
            "key_id",
            "id",
            "issued_at",
            "expires_at",
            "email",
            "max_uses",
            "inviter",
            "data",
            "data_hex",
            "message",
            "hint"
        ]
    );
    assert_eq!(rows[1][1], "true");
    // A comma inside a field is quoted, not a new column.
    assert_eq!(rows[1][9], "grace, hopper");
    assert_eq!(rows[1][10], "{\"team\": 7}");

    // A batch: one row per non-blank line, numbered by input line, failures included.
    let input = format!("{good}\n\nnot-a-token\n{other}\n");
    let rows = json_and_csv_agree(
        d,
        &["verify", "--pub", "pub.pem", "--context", CTX],
        Some(input.as_bytes()),
        1,
    );
    let lines: Vec<(&str, &str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            ("1", "true", ""),
            ("3", "false", "malformed"),
            ("4", "true", "")
        ]
    );
    assert_eq!(rows[3][8], "3", "max_uses");

    // A wrong context: the hint is in its column.
    let rows = json_and_csv_agree(
        d,
        &[
            "verify",
            "--pub",
            "pub.pem",
            "--context",
            "acme/other",
            &good,
        ],
        None,
        3,
    );
    assert_eq!(rows[1][2], "bad_signature");
    assert!(rows[1][13].contains("--context"), "{:?}", rows[1]);

    let rows = json_and_csv_agree(d, &["inspect", &good], None, 0);
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][..3], ["verified", "format_version", "key_id"]);
    assert_eq!(rows[1][0], "false");
    assert_eq!(rows[1][6], "ada@example.com");
}

#[test]
fn data_is_shown_unambiguously_and_round_trips() {
    let dir = keyed();
    let d = dir.path();
    let inspect = |token: &str| -> serde_json::Value {
        let out = admit(d, &["inspect", "--format", "json", token]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        serde_json::from_str(stdout(&out).trim()).unwrap()
    };

    // JSON is stored exactly as typed (spaces kept) and shown back as a JSON value.
    let typed = "{\"role\": \"admin\", \"teams\": [1, 2]}";
    let v = inspect(&mint_one(d, &["--data", typed]));
    assert_eq!(
        v["data"],
        serde_json::json!({"role": "admin", "teams": [1, 2]})
    );
    let hex = v["data_hex"].as_str().unwrap().to_owned();
    // postcard: a one-byte length, then the text itself.
    assert_eq!(hex[..2], format!("{:02x}", typed.len()));
    let text: Vec<u8> = (2..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    assert_eq!(text, typed.as_bytes());

    // A JSON string that looks like hex is a string, not bytes.
    let v = inspect(&mint_one(d, &["--data", "\"hex:00ff\""]));
    assert_eq!(v["data"], "hex:00ff");
    assert_ne!(v["data_hex"], "00ff");

    // Raw bytes: no `data`, the exact bytes in `data_hex`.
    let v = inspect(&mint_one(d, &["--data-hex", "00ff"]));
    assert_eq!(v["data"], serde_json::Value::Null);
    assert_eq!(v["data_hex"], "00ff");

    // `data_hex` taken back by `--data-hex` gives the same data, whatever it was.
    let again = inspect(&mint_one(d, &["--data-hex", &hex]));
    assert_eq!(again["data_hex"], hex.as_str());
    assert_eq!(
        again["data"],
        serde_json::json!({"role": "admin", "teams": [1, 2]})
    );

    // No data: both null.
    let v = inspect(&mint_one(d, &[]));
    assert_eq!(v["data"], serde_json::Value::Null);
    assert_eq!(v["data_hex"], serde_json::Value::Null);

    // Text output says which it is.
    let out = admit(d, &["inspect", &mint_one(d, &["--data-hex", "00ff"])]);
    assert!(
        stdout(&out).contains("00ff (hex; not JSON text)"),
        "{}",
        stdout(&out)
    );
    let out = admit(d, &["inspect", &mint_one(d, &["--data", "[1,2]"])]);
    assert!(
        stdout(&out).contains("data        [1,2]\n"),
        "{}",
        stdout(&out)
    );
}

#[cfg(feature = "sqlite")]
#[test]
fn store_commands_write_csv_with_the_same_fields_as_json() {
    let dir = keyed();
    let d = dir.path();
    let url = format!("sqlite://{}", d.join("store.db").display());
    let out = admit(d, &["store", "init", "--store", &url]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut ids = Vec::new();
    for who in ["ada", "grace"] {
        let out = crate::cli::mint(
            d,
            &[
                "--store",
                &url,
                "--inviter",
                who,
                "--description",
                "launch, wave 1",
                "--max-uses",
                "2",
                "--format",
                "json",
            ],
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        ids.push((
            v["id"].as_str().unwrap().to_owned(),
            v["token"].as_str().unwrap().to_owned(),
        ));
    }
    let (id, token) = &ids[0];
    for joiner in ["user-1", "user-2"] {
        let out = admit(
            d,
            &[
                "redeem",
                "--pub",
                "pub.pem",
                "--context",
                CTX,
                "--store",
                &url,
                "--joiner",
                joiner,
                token,
            ],
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }

    let rows = json_and_csv_agree(d, &["list", "--store", &url], None, 0);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0][0], "id");
    assert_eq!(rows[0][11], "cursor");
    assert!(rows[1..].iter().all(|r| r[6] == "launch, wave 1"));

    // status: one row per joiner; the JSON's joiners are an array, so compare by hand.
    let out = admit(d, &["status", "--store", &url, "--format", "csv", id]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let rows = csv_rows(&stdout(&out));
    assert_eq!(rows[0][..3], ["id", "known", "uses"]);
    assert_eq!(rows[0][10..], ["joiner", "joined_at"]);
    let joiners: Vec<&str> = rows[1..].iter().map(|r| r[10].as_str()).collect();
    assert_eq!(joiners.len(), 2);
    assert!(joiners.contains(&"user-1") && joiners.contains(&"user-2"));
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[0] == *id && r[2] == "2" && r[3] == "2")
    );
    // Nobody joined: one row, empty joiner fields.
    let out = admit(
        d,
        &["status", "--store", &url, "--format", "csv", &ids[1].0],
    );
    let rows = csv_rows(&stdout(&out));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][10..], ["", ""]);

    let out = admit(d, &["store", "health", "--store", &url, "--format", "csv"]);
    assert!(matches!(code(&out), 0 | 1), "{}", stderr(&out));
    let rows = csv_rows(&stdout(&out));
    assert_eq!(
        rows[0],
        ["backend", "name", "node", "verdict", "found", "advice"]
    );
    assert!(rows.len() > 1);
    assert!(rows[1..].iter().all(|r| r[0] == "sqlite"));
}
