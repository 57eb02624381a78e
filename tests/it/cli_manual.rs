//! `admit completions` and `admit man`: scripts every shell accepts, man pages for every
//! command, and no secret from the environment in either.

use std::process::{Command, Output};

use crate::keys::tempdir;

/// Runs the binary with a store URL holding a password in the environment.
fn admit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_admit"))
        .args(args)
        .env("ADMIT_STORE_URL", "redis://:hunter2@db.internal/")
        .env("ADMIT_REDIS_URL", "redis://:hunter3@db.internal/")
        .output()
        .expect("run admit")
}

fn text(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = text(&admit(&["completions", shell]));
        for word in [
            "keygen",
            "mint",
            "verify",
            "list",
            "after",
            "store",
            "completions",
        ] {
            assert!(script.contains(word), "{shell}: {word}");
        }
        assert!(
            !script.contains("hunter"),
            "{shell}: a secret in the script"
        );
    }
    // bash parses its script.
    let dir = tempdir();
    let path = dir.path().join("admit.bash");
    std::fs::write(&path, text(&admit(&["completions", "bash"]))).unwrap();
    let parsed = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    // An unknown shell is a usage error naming the choices.
    let out = admit(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("zsh"));
}

#[test]
fn man_pages_for_every_command() {
    let page = text(&admit(&["man"]));
    assert!(page.contains(".TH admit 1"), "{page}");
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH SUBCOMMANDS",
        "admit\\-mint(1)",
    ] {
        assert!(page.contains(section), "{section}");
    }
    let dir = tempdir();
    let out = admit(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success());
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for expected in [
        "admit.1",
        "admit-mint.1",
        "admit-store-init.1",
        "admit-code-create.1",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected}: {names:?}");
    }
    let list = std::fs::read_to_string(dir.path().join("admit-list.1")).unwrap();
    assert!(list.contains("ADMIT_STORE_URL") && list.contains("\\-\\-after"));
    for name in &names {
        let page = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(!page.contains("hunter"), "{name}: a secret in the page");
    }
    // A directory that cannot be made (under a file) is a usage error naming it.
    let file = dir.path().join("admit.1");
    let out = admit(&["man", "--dir", &format!("{}/sub", file.display())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("admit.1/sub"));
}
