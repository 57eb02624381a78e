//! Verification as a serverless function would do it: the public key comes from the
//! environment, nothing else is needed — no secret, no database, no async runtime. Builds with
//! `default-features = false`, where admit depends on neither `rand`, `getrandom`, `tokio`,
//! `redis`, `clap` nor `axum`.
//!
//! ```text
//! ADMIT_PUBLIC_KEY="$(admit pubkey --key key.pem)" ADMIT_CONTEXT=acme/invite \
//!     cargo run --no-default-features --example verify_only -- 'https://acme.test/join?invitation=…'
//! ```
//!
//! `ADMIT_PUBLIC_KEY` holds one or more SPKI PEM public keys (old and new during a rotation).
//! Prints a JSON line for the result and exits 0 when the invitation is valid, 1 when not,
//! 2 when the configuration is wrong.

use std::process::ExitCode;

use admit::{KeySet, Verifier, VerifyingKey};

fn verifier_from_env() -> Result<Verifier, String> {
    let pem = std::env::var("ADMIT_PUBLIC_KEY")
        .map_err(|_| "set ADMIT_PUBLIC_KEY to the public key (SPKI PEM)".to_owned())?;
    let context = std::env::var("ADMIT_CONTEXT").unwrap_or_else(|_| "acme/invite".to_owned());
    let mut keys = KeySet::new();
    // Several PEM blocks may follow each other: each is a key.
    for block in pem.split_inclusive("-----END PUBLIC KEY-----") {
        if block.trim().is_empty() {
            continue;
        }
        let key = VerifyingKey::from_public_key_pem(block)
            .map_err(|e| format!("ADMIT_PUBLIC_KEY: {e}"))?;
        keys.insert(key)
            .map_err(|e| format!("ADMIT_PUBLIC_KEY: {e}"))?;
    }
    Verifier::new(keys, &context).map_err(|e| format!("ADMIT_CONTEXT: {e}"))
}

fn main() -> ExitCode {
    let verifier = match verifier_from_env() {
        Ok(v) => v,
        Err(message) => {
            eprintln!("verify_only: {message}");
            return ExitCode::from(2);
        }
    };
    let Some(input) = std::env::args().nth(1) else {
        eprintln!("verify_only: give a token or an invitation link");
        return ExitCode::from(2);
    };
    match verifier.verify_url(&input) {
        Ok(invitation) => {
            let email = invitation.email().map_or("null".to_owned(), json_string);
            let max_uses = invitation
                .max_uses()
                .map_or("null".to_owned(), |n| n.to_string());
            println!(
                "{{\"valid\": true, \"id\": \"{}\", \"email\": {email}, \"max_uses\": {max_uses}}}",
                invitation.id()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{{\"valid\": false, \"error\": \"{}\"}}", e.code());
            ExitCode::from(1)
        }
    }
}

/// A JSON string literal (an email holds no control characters; quotes and backslashes are
/// escaped).
fn json_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
