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
//! What a signature cannot say — "revoked", "used up", "who joined" — needs a store; the
//! token format itself is specified byte by byte in `FORMAT.md`, with test vectors in
//! `tests/vectors.json`.
//!
//! # Features
//!
//! - `rand` (default): random invitation IDs and key generation from the OS RNG. Without it
//!   the crate is verify-only and pulls in neither `rand` nor `getrandom`.
//! - `redis`, `cluster`: `store::RedisStore`, on Redis and Redis Cluster.
//! - `axum`: `axum::Invited`, an extractor that verifies the link's token.
//! - `cli`: the `admit` command-line tool.
//! - `test-util`: `testing`, fixtures and a test clock for applications' own tests.

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
mod sig;
pub mod store;
#[cfg(feature = "test-util")]
pub mod testing;
mod url;
mod verifier;

pub use crate::email::{MAX_EMAIL_LEN, MAX_LOCAL_PART_LEN, normalize_email};
pub use crate::error::{Claim, Error};
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
