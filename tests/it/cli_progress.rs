//! Bulk commands show progress on a terminal and nothing when piped. The terminal is a real
//! pseudo-terminal from util-linux's `script`.

use std::path::Path;
use std::process::Command;

use crate::cli::{CTX, code, keyed, mint, stderr, stdout, verify_stdin};

/// Runs `command` (a shell line, in `dir`) with its stderr on a pseudo-terminal; returns what
/// the terminal showed. `None` when `script` is missing (a failure under `CI=true`).
fn on_a_terminal(dir: &Path, command: &str) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "`script` (util-linux) is needed for the terminal progress tests"
        );
        eprintln!("SKIPPED: `script` (util-linux) not found; terminal progress not tested");
        return None;
    }
    let out = Command::new("script")
        .args(["-q", "-e", "-c", command, "/dev/null"])
        .current_dir(dir)
        .env("TERM", "xterm")
        .env("ADMIT", env!("CARGO_BIN_EXE_admit"))
        .env_remove("ADMIT_STORE_URL")
        .env_remove("ADMIT_REDIS_URL")
        .output()
        .expect("run script");
    assert!(out.status.success(), "{command}: {out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn piped_bulk_commands_print_no_progress() {
    let dir = keyed();
    let d = dir.path();
    let out = mint(d, &["--count", "20000"]);
    assert_eq!(code(&out), 0);
    assert_eq!(
        stderr(&out),
        "",
        "nothing but results when stderr is not a terminal"
    );
    let tokens = stdout(&out);
    let out = verify_stdin(d, &[], tokens.as_bytes());
    assert_eq!(code(&out), 0);
    assert_eq!(stderr(&out), "");
    assert_eq!(stdout(&out).lines().count(), 20000);
    let list: String = (0..5000)
        .map(|i| format!("user{i}@example.com\n"))
        .collect();
    std::fs::write(d.join("people.txt"), list).unwrap();
    let out = mint(d, &["--emails", "people.txt"]);
    assert_eq!(code(&out), 0);
    assert_eq!(stderr(&out), "");
}

#[test]
fn bulk_commands_show_progress_on_a_terminal() {
    let dir = keyed();
    let d = dir.path();
    let mint = "\"$ADMIT\" mint --key key.pem --context acme/invite";
    assert_eq!(CTX, "acme/invite");
    let Some(shown) = on_a_terminal(d, &format!("{mint} --count 100000 > tokens.txt")) else {
        return;
    };
    // The bar counts toward the total; the results went to the file, not the terminal.
    assert!(
        shown.contains("minted") && shown.contains("/100,000"),
        "{shown:?}"
    );
    let tokens = std::fs::read_to_string(d.join("tokens.txt")).unwrap();
    assert_eq!(tokens.lines().count(), 100_000);
    assert!(!shown.contains(tokens.lines().next().unwrap()));

    let verify = "\"$ADMIT\" verify --pub pub.pem --context acme/invite";
    let shown = on_a_terminal(d, &format!("{verify} < tokens.txt > results.txt")).unwrap();
    assert!(
        shown.contains("verified") && shown.contains("/s)"),
        "{shown:?}"
    );
    let results = std::fs::read_to_string(d.join("results.txt")).unwrap();
    assert_eq!(results.lines().count(), 100_000);
    assert!(results.lines().all(|l| l.contains(": valid ")));

    let list: String = (0..100_000)
        .map(|i| format!("user{i}@example.com\n"))
        .collect();
    std::fs::write(d.join("people.txt"), list).unwrap();
    let shown = on_a_terminal(d, &format!("{mint} --emails people.txt > sent.txt")).unwrap();
    assert!(shown.contains("minting from people.txt"), "{shown:?}");
    assert!(
        shown.contains("MiB"),
        "the bar follows the file's bytes: {shown:?}"
    );
}
