//! `admit events`: the log as text, JSON and CSV, filtered and paged by cursor; the actor of
//! revocations; `--follow` printing events as they come and stopping cleanly on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{CTX, admit, code, keyed_with_store, mint_one, stderr, stdout};

#[test]
fn events_print_the_log_in_every_format_and_page_by_cursor() {
    let (dir, url) = keyed_with_store();
    let d = dir.path();
    let token = mint_one(
        d,
        &["--max-uses", "1", "--inviter", "grace", "--store", &url],
    );
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
            "u1",
            &token,
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = admit(
        d,
        &[
            "revoke",
            "--store",
            &url,
            "--actor",
            "ops:ada",
            "--pub",
            "pub.pem",
            "--context",
            CTX,
            &token,
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let out = admit(d, &["events", "--store", &url, "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let events: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["issued", "redeemed", "exhausted", "revoked"]);
    assert_eq!(events[1]["data"]["joiner"], "u1");
    assert_eq!(events[1]["inviter"], "grace");
    assert_eq!(events[3]["actor"], "ops:ada");
    assert!(!stdout(&out).contains(&token), "no token text in events");

    // Text: one line each, ending with the cursor; CSV: a header and a row each.
    let out = admit(d, &["events", "--store", &url]);
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.lines().nth(1).unwrap().contains("u1: use 1 of 1"),
        "{text}"
    );
    assert!(text.contains("[by ops:ada]"), "{text}");
    let out = admit(
        d,
        &[
            "events",
            "--store",
            &url,
            "--format",
            "csv",
            "--kind",
            "redeemed,revoked",
        ],
    );
    let csv = stdout(&out);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("cursor,timestamp,type,"));
    assert_eq!(lines.count(), 2, "{csv}");

    // A page of two, then the rest after the cursor the first run names.
    let out = admit(d, &["events", "--store", &url, "--limit", "2"]);
    assert_eq!(stdout(&out).lines().count(), 2);
    let more = stderr(&out);
    let after = more
        .trim()
        .strip_prefix("more: admit events --after ")
        .unwrap_or_else(|| panic!("{more}"));
    let out = admit(
        d,
        &[
            "events", "--store", &url, "--after", after, "--format", "json",
        ],
    );
    let rest = stdout(&out);
    let rest: Vec<&str> = rest.lines().collect();
    assert_eq!(rest.len(), 2);
    assert!(rest[0].contains("\"exhausted\""));

    // One invitation's timeline; an inviter with none.
    let id = events[0]["invitation"].as_str().unwrap();
    let out = admit(d, &["events", "--store", &url, "--invitation", id]);
    assert_eq!(stdout(&out).lines().count(), 4);
    let out = admit(d, &["events", "--store", &url, "--inviter", "nobody"]);
    assert_eq!((code(&out), stdout(&out).as_str()), (0, ""));
    assert!(stderr(&out).contains("no events"));

    // Mistakes are usage errors that name the argument.
    for (args, names) in [
        (vec!["--after", "12"], "--after"),
        (vec!["--kind", "joined"], "--kind"),
        (vec!["--invitation", "xyz"], "--invitation"),
        (vec!["--limit", "0"], "--limit"),
        (vec!["--follow", "--limit", "5"], "--follow"),
    ] {
        let mut all = vec!["events", "--store", url.as_str()];
        all.extend(args);
        let out = admit(d, &all);
        assert_eq!(code(&out), 2, "{all:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(names), "{all:?}: {}", stderr(&out));
    }
    let out = admit(d, &["events", "--store", &url, "--actor", ""]);
    assert_ne!(code(&out), 0);
}

/// `--follow` prints what is there, then each new event as it is written, and on SIGTERM
/// exits 0 naming the cursor to resume from.
#[cfg(unix)]
#[test]
fn events_follow_prints_new_events_and_stops_on_sigterm() {
    let (dir, url) = keyed_with_store();
    let d = dir.path();
    mint_one(d, &["--inviter", "first", "--store", &url]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_admit"))
        .args(["events", "--store", &url, "--follow", "--format", "json"])
        .current_dir(d)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["inviter"], "first");
    // Written by another process while the follower waits.
    let started = Instant::now();
    mint_one(d, &["--inviter", "second", "--store", &url]);
    let second: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(second["inviter"], "second");
    assert!(started.elapsed() < Duration::from_secs(10));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let cursor = second["cursor"].as_str().unwrap();
    assert!(
        err.contains(&format!(
            "resume with: admit events --follow --after {cursor}"
        )),
        "{err}"
    );
}
