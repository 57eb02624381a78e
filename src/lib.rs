//! Compact, Ed25519-signed invitation tokens.
//!
//! An invitation is a short URL-safe string (about 120 characters) that carries a random ID,
//! an expiry and, optionally, the email it is bound to, how many times it may be used, who
//! invited, and small typed app data. One service **mints** with a signing key; any other
//! service **verifies** with the public key alone — no database, no shared secret.
//!
//! ```
//! # #[cfg(feature = "rand")] {
//! use admit::{Invitation, Issuer, SigningKey, Verifier};
//!
//! // Service A mints.
//! let key = SigningKey::generate()?;
//! let public_key = key.verifying_key();
//! let issuer = Issuer::new(key, "acme/invite")?;
//! let token = issuer.mint(Invitation::builder().email("ada@example.com").one_time())?;
//! let link = token.url("https://acme.test/join")?;
//!
//! // Service B verifies with the public key only.
//! let verifier = Verifier::new(public_key, "acme/invite")?;
//! let invitation = verifier.verify_url(&link)?;
//! assert_eq!(invitation.email(), Some("ada@example.com"));
//! assert!(invitation.is_one_time());
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The token format is specified byte by byte in [`spec`] (the text of `FORMAT.md`), with test
//! vectors in `tests/vectors.json` so that other languages can verify tokens too. The
//! [`guide`] has complete recipes: waitlists, referral codes, team invitations, one-time links,
//! a sign-up in one database transaction, key rotation, a leaked key, observability.
//!
//! # The store: revoked, used up, who joined
//!
//! What a signature cannot say — "revoked", "used up", "who joined" — needs a
//! [`Store`](store::Store). Every backend keeps two promises: **a revoked invitation stays
//! revoked**, and **an N-use invitation admits at most N**; whatever could break them (an
//! evicting Redis, a store that lost its data, an unreachable server) is an error, never a
//! silent "valid".
//!
//! | store | feature | for |
//! |---|---|---|
//! | [`MemoryStore`](store::MemoryStore) | — | one process, tests, examples |
//! | [`SqliteStore`](store::SqliteStore) | `sqlite` | one machine, durable; redeems inside the application's transaction |
//! | [`PgStore`](store::PgStore) | `postgres` | the application's PostgreSQL; redeems inside its transaction |
//! | [`RedisStore`](store::RedisStore) | `redis`, `cluster` | many processes and machines, on Redis or Redis Cluster |
//! | [`AnyStore`](store::AnyStore) | — | whichever one a URL names (`sqlite://…`, `postgres://…`, `redis://…`, `memory:`) |
//!
//! ```
//! # #[cfg(feature = "rand")]
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use admit::store::{MemoryStore, Store};
//! use admit::{Error, Invitation, Issuer, SigningKey, Verifier, VerifyOptions};
//!
//! let key = SigningKey::generate()?;
//! let verifier = Verifier::new(key.verifying_key(), "acme/invite")?;
//! let token = Issuer::new(key, "acme/invite")?.mint(Invitation::builder().one_time())?;
//! let store = MemoryStore::new();
//!
//! // The sign-up page: valid, and neither revoked nor used up (counts nothing).
//! verifier.verify_and_check(token.as_str(), VerifyOptions::new(), &store).await?;
//! // The sign-up itself: counted atomically; a second account is refused.
//! verifier.verify_and_redeem(token.as_str(), VerifyOptions::new(), &store, "user-1").await?;
//! let again = verifier.verify_and_redeem(token.as_str(), VerifyOptions::new(), &store, "user-2").await;
//! assert!(matches!(again, Err(Error::UsedUp { max_uses: 1 })));
//! # Ok::<(), Error>(()) }).unwrap();
//! ```
//!
//! The [`store`] module lists every operation (revocation by ID or by rule, status, a registry
//! with paging, visits, short codes with rate limits, health reports).
//!
//! # In a web application
//!
//! With the `axum` feature, [`axum::Invited`] is an extractor that verifies the `invitation`
//! query parameter and answers 400, 403 or 410 with a short page otherwise, and
//! [`axum::AdminUi`] is an admin page as a router — the list with filters and paging, an invite
//! form, a page per invitation with its joiners, revocation — to nest behind your own
//! authentication. `examples/axum_signup/` is a complete sign-up service built on both.
//!
//! # Command line
//!
//! With the `cli` feature, the `admit` binary does what operators need without writing code:
//! `keygen`, `pubkey`, `mint` (one, `--count N`, or one per address from a spreadsheet's CSV),
//! `verify` (one token, or a million from stdin on every core), `inspect`, `revoke`, `status`,
//! `redeem`, `list`, `code`, `store init` and `store health` on any store URL, with
//! `--format text|json|csv` and progress bars on a terminal; `admit completions` and
//! `admit man` install shell completions and man pages. Every command has examples in `--help`.
//!
//! # Observability
//!
//! With the `tracing` feature, every store call runs in a `store` span (backend, operation,
//! outcome, latency); failures, lost and regained connections and refused configurations are
//! events. Nothing secret is recorded. See the [`guide`]'s recipe "Watching the store in
//! production".
//!
//! # Features
//!
//! - `rand` (default): random invitation IDs and key generation, from a CSPRNG seeded by the
//!   OS. Without it the crate is verify-only and pulls in neither `rand` nor `getrandom`.
//! - `sqlite`, `postgres`: [`SqliteStore`](store::SqliteStore), [`PgStore`](store::PgStore)
//!   (sqlx 0.8 with tokio).
//! - `redis`, `cluster`: [`RedisStore`](store::RedisStore), on Redis and Redis Cluster.
//! - `axum`: [`axum::Invited`] and [`axum::AdminUi`] (axum 0.8).
//! - `tracing`: spans and events for store calls.
//! - `cli`: the `admit` command-line tool.
//! - `test-util`: [`testing`], fixed keys, a test clock, and invitations in every state for
//!   applications' own tests.

#![forbid(unsafe_code)]
// docs.rs builds with `--cfg docsrs` on nightly: every item gated on a feature gets a badge.
#![cfg_attr(docsrs, feature(doc_cfg))]

/// Recipes: waitlists, referral codes, team invitations, one-time links, a sign-up in one
/// PostgreSQL transaction, resending, key rotation, leaked keys, verifying elsewhere (the text
/// of `GUIDE.md`; every recipe is a doc-test).
#[cfg(feature = "rand")]
#[doc = include_str!("../GUIDE.md")]
pub mod guide {}

/// The token format, byte by byte (the text of `FORMAT.md`).
#[doc = include_str!("../FORMAT.md")]
pub mod spec {}

// The README's code must compile and run.
#[cfg(all(doctest, feature = "rand", feature = "test-util"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "axum")]
pub mod axum;
mod batch;
mod clock;
mod connect_problem;
mod email;
mod error;
mod find;
mod forbidden;
mod format;
mod hex;
mod invitation;
mod issuer;
mod key;
#[cfg(feature = "rand")]
mod random;
pub mod revocation_list;
mod sig;
pub mod store;
#[cfg(feature = "test-util")]
pub mod testing;
mod url;
mod verifier;
#[cfg(feature = "webhooks")]
pub mod webhooks;

pub use crate::connect_problem::ConnectProblem;
pub use crate::email::{MAX_EMAIL_LEN, MAX_LOCAL_PART_LEN, UNICODE_VERSION, normalize_email};
pub use crate::error::{Claim, Error, ErrorKind, ListProblem};
pub use crate::find::{MIN_TOKEN_LEN, find_token};
pub use crate::format::{FORMAT_VERSION, MAX_TOKEN_LEN};
pub use crate::invitation::{
    Claims, DEFAULT_TTL, ID_LEN, Invitation, InvitationBuilder, InvitationId, MAX_DATA_LEN,
    MAX_INVITER_LEN,
};
pub use crate::issuer::{Issuer, Token};
pub use crate::key::{
    KEY_ID_LEN, KeyId, KeySet, PUBLIC_KEY_LEN, SECRET_KEY_LEN, SigningKey, VerifyingKey,
};
pub use crate::sig::MAX_CONTEXT_LEN;
pub use crate::url::{MAX_URL_LEN, TOKEN_PARAM};
pub use crate::verifier::{
    DEFAULT_LEEWAY, UnverifiedInvitation, Verifier, VerifyOptions, inspect_unverified,
};
