//! An edge handler in Rust, for WebAssembly hosts that run a WASI program per request in the
//! CGI style (WAGI: Fermyon Spin's `wagi` executor, wasmtime behind a CGI gateway, …): the
//! query string in `QUERY_STRING`, the response on stdout. It verifies the invitation with the
//! public key alone and refuses what a revocation list revokes — the Rust twin of
//! `js/examples/edge.ts`. A package of its own in the workspace, on admit with
//! `default-features = false` (verification needs no randomness); CI builds it for WASI:
//!
//! ```text
//! cargo build -p edge-wasi --target wasm32-wasip1 --release   # target/wasm32-wasip1/release/edge-wasi.wasm
//! ```
//!
//! Configuration: `ADMIT_PUBLIC_KEY` (SPKI PEM, from `admit pubkey`), `ADMIT_CONTEXT`
//! (default `acme/invite`), `ADMIT_REVOCATIONS` (a file the host maps in, as
//! `admit revocations publish --out` writes it; without it no list is checked).
//! It runs natively too:
//!
//! ```text
//! QUERY_STRING="invitation=…" ADMIT_PUBLIC_KEY="$(cat pub.pem)" ADMIT_REVOCATIONS=list.txt \
//!     cargo run -p edge-wasi
//! ```

use admit::revocation_list::Revocations;
use admit::{Error, ErrorKind, Verifier, VerifyingKey};

/// The response: a status, then a short JSON body.
fn respond(status: u16, body: &str) {
    print!(
        "Status: {status}\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n\r\n{body}\n"
    );
}

fn verifier() -> Result<Verifier, String> {
    let pem = std::env::var("ADMIT_PUBLIC_KEY").map_err(|_| "ADMIT_PUBLIC_KEY is not set")?;
    let key =
        VerifyingKey::from_public_key_pem(&pem).map_err(|e| format!("ADMIT_PUBLIC_KEY: {e}"))?;
    let context = std::env::var("ADMIT_CONTEXT").unwrap_or_else(|_| "acme/invite".to_owned());
    let verifier = Verifier::new(key, &context).map_err(|e| format!("ADMIT_CONTEXT: {e}"))?;
    let Ok(path) = std::env::var("ADMIT_REVOCATIONS") else {
        return Ok(verifier);
    };
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("ADMIT_REVOCATIONS {path}: {e}"))?;
    let revocations = Revocations::new(key, &context).map_err(|e| format!("ADMIT_CONTEXT: {e}"))?;
    revocations
        .load(text.trim())
        .map_err(|e| format!("ADMIT_REVOCATIONS {path}: {e}"))?;
    Ok(verifier.revocations(revocations))
}

/// The answer to one request: a status and its JSON body.
fn handle(verifier: &Verifier, query: &str) -> (u16, String) {
    match verifier.verify_url(query) {
        Ok(invitation) => (200, format!("{{\"id\":\"{}\"}}", invitation.id())),
        Err(e) => {
            let status = match e.kind() {
                // The list is overdue: fail closed, and say it is the server's side.
                ErrorKind::StoreFailure => 503,
                ErrorKind::Unreadable => 400,
                _ => 403,
            };
            let code = match &e {
                Error::RevocationListRefused { problem } => problem.code(),
                other => other.code(),
            };
            (status, format!("{{\"error\":\"{code}\"}}"))
        }
    }
}

fn main() {
    match verifier() {
        Ok(verifier) => {
            let (status, body) = handle(
                &verifier,
                &std::env::var("QUERY_STRING").unwrap_or_default(),
            );
            respond(status, &body);
        }
        Err(message) => {
            // The reason goes to the host's log, not to the visitor.
            eprintln!("edge_wasi: {message}");
            respond(500, "{\"error\":\"misconfigured\"}");
        }
    }
}

#[cfg(test)]
mod tests {
    use admit::revocation_list::{RevocationListBuilder, Revocations};
    use admit::{Invitation, InvitationId, Issuer, SigningKey, Verifier};
    use time::{Duration, OffsetDateTime};

    use super::handle;

    #[test]
    fn answers_valid_revoked_stale_and_broken_links() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let issuer = Issuer::new(key.clone(), "acme/invite").unwrap();
        let now = OffsetDateTime::now_utc();
        let mint = |n: u8| {
            issuer
                .mint_with_id(
                    Invitation::builder(),
                    InvitationId::from_bytes([n; 12]),
                    now,
                )
                .unwrap()
        };
        let (valid, revoked) = (mint(1), mint(2));
        let list = RevocationListBuilder::full(1)
            .issued_at(now)
            .revoke(revoked.invitation().id(), None)
            .sign(&key, "acme/invite")
            .unwrap();
        let revocations = Revocations::new(key.verifying_key(), "acme/invite").unwrap();
        revocations.load(&list).unwrap();
        let verifier = Verifier::new(key.verifying_key(), "acme/invite")
            .unwrap()
            .revocations(revocations);
        let query = |t: &admit::Token| format!("invitation={}", t.as_str());
        assert_eq!(handle(&verifier, &query(&valid)).0, 200);
        assert_eq!(
            handle(&verifier, &query(&revoked)),
            (403, "{\"error\":\"revoked\"}".to_owned())
        );
        assert_eq!(handle(&verifier, "invitation=%zz").0, 400);
        // Ten minutes on, the five-minute list is overdue: 503, for every link.
        let later = verifier.clone().clock(move || now + Duration::minutes(10));
        assert_eq!(
            handle(&later, &query(&valid)),
            (503, "{\"error\":\"revocation_list_stale\"}".to_owned())
        );
    }
}
