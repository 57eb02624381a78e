//! The service's settings, from its arguments and environment, and its signing key: created
//! once by `--init`, loaded on every later start. Every problem is one sentence a person can
//! act on.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use admit::SigningKey;

/// What `--help` prints.
pub const HELP: &str = "\
axum-signup: a sign-up service with invitations (the reference application of admit)

USAGE:
    axum-signup [--init]

    --init      the first run: create the signing key file (mode 0600) and set up the store
    --help      this text

The signing key signs every invitation link: it is created once, by --init, and loaded
afterwards. Without it the service does not start, so a restart can never silently replace it
(links already sent would stop working).

ENVIRONMENT:
    ADMIT_SIGNING_KEY_FILE  the signing key, PKCS#8 PEM (default: admit-signing-key.pem)
    ADMIT_STORE_URL         memory: (default), sqlite://FILE, postgres://…, redis://…
    ADDR                    where to listen (default: 127.0.0.1:3000)
    PUBLIC_URL              where people reach the service (default: http://ADDR); links are
                            built from it and every form must come from its origin
    ADMIN_PASSWORD          turns the admin pages on, at /admin (sign in at /login)

PAGES:
    /join?invitation=…   an invitation link        /join/code   type a short code
    /login, /admin       the admin pages
";

/// Where the key lives unless `ADMIT_SIGNING_KEY_FILE` says otherwise.
pub const DEFAULT_KEY_FILE: &str = "admit-signing-key.pem";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Print [`HELP`].
    Help,
    /// Serve; with `init`, create what the first run needs.
    Serve { init: bool },
}

/// The command of `args` (without the program name), or what is wrong with them.
pub fn command<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let mut init = false;
    for arg in args {
        match arg.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--init" => init = true,
            other => {
                return Err(format!(
                    "unknown argument {other:?}: the service takes --init or --help"
                ));
            }
        }
    }
    Ok(Command::Serve { init })
}

/// The key file: `ADMIT_SIGNING_KEY_FILE`, or [`DEFAULT_KEY_FILE`].
pub fn key_file(from_env: Option<String>) -> PathBuf {
    PathBuf::from(from_env.unwrap_or_else(|| DEFAULT_KEY_FILE.to_owned()))
}

/// The signing key at `path`. With `init`, a new one is written there first if there is none
/// (readable by its owner only); an existing key is never replaced. Whether it was created.
pub fn signing_key(path: &Path, init: bool) -> Result<(SigningKey, bool), String> {
    let shown = path.display();
    match std::fs::read_to_string(path) {
        Ok(pem) => SigningKey::from_pkcs8_pem(&pem)
            .map(|key| (key, false))
            .map_err(|_| format!("{shown} is not a PKCS#8 PEM Ed25519 private key")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && init => {
            let key =
                SigningKey::generate().map_err(|e| format!("could not make a signing key: {e}"))?;
            let pem = key
                .to_pkcs8_pem()
                .map_err(|e| format!("could not encode the signing key: {e}"))?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                options.mode(0o600);
            }
            let written = options.open(path).and_then(|mut file| {
                file.write_all(pem.as_bytes())
                    .and_then(|()| file.sync_all())
            });
            written.map_err(|e| format!("could not write the signing key to {shown}: {e}"))?;
            Ok((key, true))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "there is no signing key at {shown}: run once with --init to create it, or set \
             ADMIT_SIGNING_KEY_FILE to the key the service used before"
        )),
        Err(e) => Err(format!("could not read the signing key at {shown}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        let args = |a: &[&str]| command(a.iter().map(|s| (*s).to_owned()));
        assert_eq!(args(&[]), Ok(Command::Serve { init: false }));
        assert_eq!(args(&["--init"]), Ok(Command::Serve { init: true }));
        assert_eq!(args(&["--init", "--help"]), Ok(Command::Help));
        let bad = args(&["--port"]).unwrap_err();
        assert!(
            bad.contains("\"--port\"") && bad.contains("--help"),
            "{bad}"
        );
    }

    #[test]
    fn the_key_is_made_once_by_init_and_loaded_afterwards() {
        let dir = std::env::temp_dir().join(format!("signup-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k.pem");
        let _ = std::fs::remove_file(&path);
        let missing = signing_key(&path, false).map(|_| ()).unwrap_err();
        assert!(
            missing.contains("--init") && missing.contains("k.pem"),
            "{missing}"
        );
        let (made, created) = signing_key(&path, true).unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Neither a later start nor a second --init replaces it.
        for init in [false, true] {
            let (loaded, created) = signing_key(&path, init).unwrap();
            assert!(!created);
            assert_eq!(loaded.key_id(), made.key_id());
        }
        std::fs::write(&path, "not a key").unwrap();
        let broken = signing_key(&path, false).map(|_| ()).unwrap_err();
        assert!(broken.contains("not a PKCS#8"), "{broken}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
