//! The service's binary as an operator starts it: `--help`, a refusal without a signing key
//! (one sentence, no debug dump), `--init` creating the key (0600) once, and a start that
//! loads it and says where the admin pages are.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

fn service() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_axum-signup"));
    command
        .env_remove("ADMIT_STORE_URL")
        .env_remove("ADMIT_REDIS_URL")
        .env("ADDR", "127.0.0.1:0")
        .env("ADMIN_PASSWORD", "secret-for-the-test");
    command
}

#[test]
fn help_a_missing_key_init_and_a_start() {
    let dir = std::env::temp_dir().join(format!("signup-start-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("key.pem");
    let _ = std::fs::remove_file(&key);

    let help = service().arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    for needed in ["--init", "ADMIT_SIGNING_KEY_FILE", "/admin", "/join/code"] {
        assert!(text.contains(needed), "{needed}: {text}");
    }

    let refused = service()
        .env("ADMIT_SIGNING_KEY_FILE", &key)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8(refused.stderr).unwrap();
    assert_eq!(said.lines().count(), 1, "one sentence: {said}");
    assert!(
        said.contains("no signing key") && said.contains("--init"),
        "{said}"
    );
    assert!(!key.exists());

    let bad = service().arg("--port").output().unwrap();
    assert!(!bad.status.success());
    let said = String::from_utf8(bad.stderr).unwrap();
    assert!(
        said.contains("unknown argument") && !said.contains("Error {"),
        "{said}"
    );

    // --init makes the key and serves; the first lines say what was done and where.
    for (round, args) in [(0, vec!["--init"]), (1, vec![])] {
        let mut child = service()
            .args(&args)
            .env("ADMIT_SIGNING_KEY_FILE", &key)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut said = String::new();
        while !said.contains("admin pages:") {
            let line = lines.next().expect("the service to start").unwrap();
            said.push_str(&line);
            said.push('\n');
        }
        child.kill().unwrap();
        let _ = child.wait();
        assert_eq!(
            said.contains("created the signing key"),
            round == 0,
            "{said}"
        );
        assert!(said.contains("/admin (sign in at"), "{said}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
