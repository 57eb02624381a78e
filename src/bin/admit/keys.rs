//! `keygen`, `pubkey`, and reading key files.

use std::io::Write;
use std::path::{Path, PathBuf};

use admit::{KeySet, SigningKey, VerifyingKey};

use crate::util::{CliError, read_small};

pub(crate) fn keygen(out: &Path, force: bool) -> Result<u8, CliError> {
    if !force && out.exists() {
        return Err(CliError::usage(format!(
            "{}: already exists (use --force to replace it)",
            out.display()
        )));
    }
    let key = SigningKey::generate().map_err(|e| CliError::admit("keygen", &e))?;
    let pem = key
        .to_pkcs8_pem()
        .map_err(|e| CliError::admit("keygen", &e))?;
    write_secret_file(out, pem.as_bytes())?;
    eprintln!(
        "wrote {} (key ID {}); public key: admit pubkey --key {}",
        out.display(),
        key.key_id(),
        out.display()
    );
    Ok(0)
}

/// Writes a secret to `out`: a private temporary file next to it, renamed into place, so the
/// secret is never readable by others and a crash leaves no half-written file.
pub(crate) fn write_secret_file(out: &Path, bytes: &[u8]) -> Result<(), CliError> {
    write_replacing(out, bytes, true)
}

/// Writes `out` through a temporary file beside it, renamed into place: a reader sees the old
/// content or the new, never half of it. `private`: readable by the owner only.
pub(crate) fn write_replacing(out: &Path, bytes: &[u8], private: bool) -> Result<(), CliError> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = out
        .file_name()
        .ok_or_else(|| CliError::usage(format!("{}: not a file name", out.display())))?;
    let tmp: PathBuf = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    // Errors name the file asked for, never the temporary one beside it.
    if !dir.is_dir() {
        return Err(CliError::usage(format!(
            "{}: the directory {} does not exist",
            out.display(),
            dir.display()
        )));
    }
    let result = write_new(&tmp, out, bytes, private)
        .and_then(|()| std::fs::rename(&tmp, out).map_err(|e| CliError::io(out, &e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to the new file `path`; errors name `shown` (the file the user asked for).
fn write_new(path: &Path, shown: &Path, bytes: &[u8], private: bool) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(|e| CliError::io(shown, &e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| CliError::io(shown, &e))
}

pub(crate) fn pubkey(path: &Path) -> Result<u8, CliError> {
    let text = read_small(path)?;
    // Given the public key already: print it back (its ID too), with no warning about who may
    // read it — a public key is meant to be read.
    if text.contains("BEGIN PUBLIC KEY") {
        let key = VerifyingKey::from_public_key_pem(&text)
            .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
        let pem = key
            .to_public_key_pem()
            .map_err(|e| CliError::admit("pubkey", &e))?;
        print!("{pem}");
        eprintln!(
            "key ID {} ({} already holds a public key)",
            key.key_id(),
            path.display()
        );
        return Ok(0);
    }
    let key = load_signing(path)?;
    let pem = key
        .verifying_key()
        .to_public_key_pem()
        .map_err(|e| CliError::admit("pubkey", &e))?;
    print!("{pem}");
    eprintln!("key ID {}", key.key_id());
    Ok(0)
}

pub(crate) fn load_signing(path: &Path) -> Result<SigningKey, CliError> {
    let text = read_small(path)?;
    if text.contains("BEGIN PUBLIC KEY") {
        return Err(CliError::usage(format!(
            "{}: this is a public key; minting needs the private key",
            path.display()
        )));
    }
    let key = SigningKey::from_pkcs8_pem(&text)
        .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    // Only a private key is worth a warning about who can read it.
    warn_if_shared(path);
    Ok(key)
}

pub(crate) fn load_public(paths: &[PathBuf]) -> Result<KeySet, CliError> {
    if paths.is_empty() {
        return Err(CliError::usage("give at least one --pub FILE"));
    }
    let mut keys = KeySet::new();
    for path in paths {
        let text = read_small(path)?;
        if text.contains("PRIVATE KEY") {
            return Err(CliError::usage(format!(
                "{}: this is a private key; give its public key (admit pubkey --key {})",
                path.display(),
                path.display()
            )));
        }
        let key = VerifyingKey::from_public_key_pem(&text)
            .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
        keys.insert(key)
            .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    }
    Ok(keys)
}

/// Warns (on stderr, and goes on) when a private key file can be read by its group or by
/// others: anyone who can read it can mint invitations.
#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            eprintln!(
                "admit: warning: {} can be read by others (mode {mode:04o}): anyone who can read \
                 it can mint invitations; run chmod 600 {}",
                path.display(),
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path) {}
