//! The service over HTTP and in a real browser, and `admit::axum`'s admin router and extractor
//! over HTTP: everything that needs an HTTP client, compiled as one binary.
#![allow(missing_docs, unreachable_pub)]

mod accessibility;
mod admin_ui;
mod admin_webhooks;
mod axum_signup;
mod browser;
mod join_code;
mod start_up;

use admit::{Issuer, SigningKey};

/// A deterministic signing key: the seed is 32 copies of `n`.
pub fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

pub fn issuer() -> Issuer {
    Issuer::new(key(1), "acme/invite").expect("valid context")
}
