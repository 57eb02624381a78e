//! `admit funnel`: issued → opened → redeemed per inviter, as a table, JSON and CSV, for a
//! period; bad periods refused with usage errors.

use crate::cli::{CTX, admit, code, keyed_with_store, mint_one, stderr, stdout};

#[test]
fn funnel_counts_per_inviter_in_every_format() {
    let (dir, url) = keyed_with_store();
    let d = dir.path();
    let grace: Vec<String> = (0..3)
        .map(|_| mint_one(d, &["--inviter", "grace", "--store", &url]))
        .collect();
    mint_one(d, &["--inviter", "linus", "--store", &url]);
    for (token, joiner) in [(&grace[0], "u1"), (&grace[0], "u2"), (&grace[1], "u3")] {
        let out = admit(
            d,
            &[
                "redeem",
                "--store",
                &url,
                "--pub",
                "pub.pem",
                "--context",
                CTX,
                "--joiner",
                joiner,
                token,
            ],
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }

    let out = admit(d, &["funnel", "--store", &url, "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let funnel: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(funnel["total"]["issued"], 4);
    assert_eq!(funnel["total"]["redeemed"], 2);
    assert_eq!(funnel["total"]["joined"], 3);
    assert_eq!(funnel["total"]["conversion"], 0.5);
    assert_eq!(funnel["inviters"][0]["inviter"], "grace");
    assert_eq!(funnel["inviters"][0]["opened"], 2);
    assert_eq!(funnel["inviters"][1]["inviter"], "linus");
    assert_eq!(
        funnel["inviters"][1]["redeem_rate"],
        serde_json::Value::Null
    );

    let out = admit(d, &["funnel", "--store", &url]);
    let text = stdout(&out);
    let grace_line = text.lines().find(|l| l.starts_with("grace")).unwrap();
    let cells: Vec<&str> = grace_line.split_whitespace().collect();
    assert_eq!(
        cells,
        ["grace", "3", "2", "66.7%", "2", "100.0%", "66.7%", "3"],
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("everyone")), "{text}");

    let out = admit(
        d,
        &[
            "funnel",
            "--store",
            &url,
            "--format",
            "csv",
            "--inviter",
            "linus",
        ],
    );
    let csv = stdout(&out);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "inviter,issued,opened,redeemed,joined,open_rate,redeem_rate,conversion"
    );
    assert_eq!(lines[1], "linus (all),1,0,0,0,0.0000,,0.0000");
    assert_eq!(lines[2], "linus,1,0,0,0,0.0000,,0.0000");
    assert_eq!(lines.len(), 3, "{csv}");

    // A period before anything was issued: zero, said so.
    let out = admit(
        d,
        &[
            "funnel",
            "--store",
            &url,
            "--from",
            "2020-01-01",
            "--to",
            "2020-02-01",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("No invitation recorded"),
        "{}",
        stdout(&out)
    );

    for (from, to, says) in [
        (
            "2026-12-02",
            "2026-12-01",
            "the period must end after it starts",
        ),
        ("yesterday", "now", "--from \"yesterday\": expected a time"),
    ] {
        let out = admit(d, &["funnel", "--store", &url, "--from", from, "--to", to]);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
    let out = admit(d, &["funnel", "--store", &url, "--inviter", ""]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("inviter"), "{}", stderr(&out));
}
