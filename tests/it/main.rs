//! Integration tests, compiled as one binary to keep link time down.
#![allow(missing_docs, unreachable_pub)]

mod batch;
mod canonical;
mod claims;
#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
mod cli_batch;
#[cfg(feature = "cli")]
mod cli_csv;
#[cfg(all(feature = "cli", feature = "sqlite"))]
mod cli_events;
#[cfg(feature = "cli")]
mod cli_formats;
#[cfg(all(feature = "cli", feature = "sqlite"))]
mod cli_funnel;
#[cfg(feature = "cli")]
mod cli_hints;
#[cfg(feature = "cli")]
mod cli_manual;
#[cfg(feature = "cli")]
mod cli_mint;
#[cfg(feature = "cli")]
mod cli_progress;
#[cfg(all(feature = "cli", feature = "sqlite"))]
mod cli_revocations;
#[cfg(all(
    feature = "cli",
    any(feature = "redis", feature = "postgres", feature = "sqlite")
))]
mod cli_store;
#[cfg(feature = "cli")]
mod cli_verify;
mod context;
#[cfg(feature = "test-util")]
mod fixtures;
mod hostile;
mod keys;
mod limits;
mod mint_many;
#[cfg(all(feature = "tracing", feature = "redis", feature = "sqlite"))]
mod observability;
mod reference;
mod revocation_vectors;
mod rotation;
mod roundtrip;
mod secrets;
mod store;
mod strict;
mod tamper;
mod time_window;
mod url;
mod vectors;
#[cfg(feature = "webhooks")]
mod webhooks;

/// Real Redis and PostgreSQL servers (the `admit-test-servers` workspace member).
use admit_test_servers as support;

use admit::{Invitation, InvitationId, Issuer, SigningKey, Token, Verifier};
use time::OffsetDateTime;

/// A fixed instant all deterministic tests mint at: 2027-01-15T08:00:00Z.
pub const NOW: i64 = 1_800_000_000;

pub const CONTEXT: &str = "acme/invite";

/// A deterministic signing key: the seed is 32 copies of `n`.
pub fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

pub fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).expect("test time in range")
}

pub fn issuer() -> Issuer {
    Issuer::new(key(1), CONTEXT).expect("valid context")
}

pub fn verifier() -> Verifier {
    issuer().verifier()
}

pub fn id(n: u8) -> InvitationId {
    InvitationId::from_bytes([n; 12])
}

/// Mints deterministically at `NOW` with ID `id(n)`.
pub fn mint(builder: admit::InvitationBuilder, n: u8) -> Token {
    issuer()
        .mint_with_id(builder, id(n), at(NOW))
        .expect("valid claims")
}

pub fn plain() -> Token {
    mint(Invitation::builder(), 1)
}

/// Whether a command exists; under `CI=true` a missing tool is a failure, elsewhere a loud skip.
pub fn require_tool(name: &str) -> bool {
    let found = std::process::Command::new(name)
        .arg("version")
        .output()
        .is_ok();
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "`{name}` is required under CI=true but was not found"
        );
        eprintln!("!!! SKIPPED: `{name}` not found; install it to run this test !!!");
    }
    found
}
