//! `admit verify` on a stdin batch larger than one thread's share: every core verifies, and
//! the results are the same, in the same order, as on one thread.

use crate::cli::{code, keyed, mint, stdout, verify_stdin};

#[test]
fn threads_give_the_same_results_in_input_order() {
    let dir = keyed();
    let d = dir.path();
    let out = mint(d, &["--count", "3000"]);
    assert_eq!(code(&out), 0);
    let tokens: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    // Every 250th line is broken, some lines are blank.
    let mut input = String::new();
    for (n, token) in tokens.iter().enumerate() {
        if n % 250 == 7 {
            input.push_str("not-a-token\n");
        } else if n % 499 == 3 {
            input.push('\n');
        }
        input.push_str(token);
        input.push('\n');
    }
    let run = |threads: &str| {
        verify_stdin(
            d,
            &["--format", "json", "--threads", threads],
            input.as_bytes(),
        )
    };
    let one = run("1");
    let four = run("4");
    assert_eq!(code(&one), 1, "a batch with failures");
    assert_eq!(code(&four), 1);
    assert_eq!(stdout(&one), stdout(&four));
    let results: Vec<serde_json::Value> = stdout(&four)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), 3000 + 12);
    let invalid = results.iter().filter(|r| r["valid"] == false).count();
    assert_eq!(invalid, 12);
    // Line numbers rise strictly, and each valid result is the token on that line.
    let lines: Vec<&str> = input.lines().collect();
    let mut last = 0;
    for r in &results {
        let line = r["line"].as_u64().unwrap();
        assert!(line > last);
        last = line;
        if r["valid"] == true {
            let token = lines[line as usize - 1];
            let id = admit::inspect_unverified(token).unwrap().id().to_string();
            assert_eq!(r["id"], id.as_str());
        }
    }
    let out = run("0");
    assert_eq!(code(&out), 2, "--threads 0 is a usage error");
}
