//! A forked child never draws its parent's invitation IDs.
//!
//! IDs come from a per-thread generator seeded from the OS (`src/random.rs`). A child made by
//! `fork` starts with a copy of that generator; unless the fork is noticed and the copy
//! reseeded, the child's next IDs are exactly the parent's next IDs. Here the parent draws
//! (so its generator exists), forks two children one after the other, and every process draws
//! the same number of IDs: the three lists must not share one.
//!
//! A binary of its own without the test harness, so that the process forking has one thread:
//! a child of a multi-threaded process may only call async-signal-safe functions. `fork`,
//! `waitpid` and `_exit` need `unsafe`; the library itself has none.

#![allow(unsafe_code)]
#![cfg_attr(not(unix), allow(dead_code, unused_imports))]

use std::collections::HashSet;
use std::path::Path;

use admit::InvitationId;

#[cfg(not(unix))]
fn main() {
    println!("fork: this platform has no fork(2); nothing to test");
}

const DRAWS: usize = 8;

fn draw() -> Vec<String> {
    (0..DRAWS)
        .map(|_| InvitationId::random().expect("OS RNG").to_string())
        .collect()
}

/// Forks; the child writes its draws to `out` and exits. Returns once the child has.
#[cfg(unix)]
fn child_draws(out: &Path) -> Vec<String> {
    // SAFETY: this process has a single thread (no harness), so the child may run any code.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed: {}", std::io::Error::last_os_error());
    if pid == 0 {
        let ok = std::fs::write(out, draw().join("\n")).is_ok();
        // SAFETY: ends the child at once, without running the parent's exit handlers twice.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waits for the child just made; `status` is a valid place to write.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid, "waitpid: {}", std::io::Error::last_os_error());
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child failed (status {status})"
    );
    let text = std::fs::read_to_string(out).expect("the child's draws");
    text.lines().map(str::to_owned).collect()
}

#[cfg(unix)]
fn main() {
    let dir = std::env::temp_dir().join(format!("admit-fork-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");

    // The parent's generator exists before the first fork.
    let before = draw();
    let first = child_draws(&dir.join("first"));
    let parent = draw();
    let second = child_draws(&dir.join("second"));
    let _ = std::fs::remove_dir_all(&dir);

    let lists = [&before, &first, &parent, &second];
    for list in lists {
        assert_eq!(list.len(), DRAWS);
    }
    let all: HashSet<&String> = lists.iter().flat_map(|l| l.iter()).collect();
    assert_eq!(
        all.len(),
        DRAWS * lists.len(),
        "a forked child repeated IDs:\nparent {parent:?}\nfirst child {first:?}\nsecond child {second:?}"
    );
    println!(
        "fork: parent and two forked children drew {} distinct IDs: ok",
        all.len()
    );
}
