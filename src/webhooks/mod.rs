//! Webhooks (feature `webhooks`): a store's events delivered to HTTP endpoints, signed per the
//! [Standard Webhooks](https://www.standardwebhooks.com/) specification, and the check a
//! receiver runs on them.
//!
//! - [`WebhookSender`] follows the event log ([`Events`](crate::store::Events)) from a cursor
//!   kept in the store and POSTs each event, at least once, in order per invitation, with
//!   retries, a lease so that one worker delivers at a time, and a failing mark after repeated
//!   failures.
//! - [`WebhookVerifier`] checks a delivery on the receiving side: signature, timestamp. The
//!   TypeScript package has the same check (`verifyWebhook`) for edge functions.
//! - [`WebhookSecret`] is the shared `whsec_` secret.
//!
//! `docs/events.md` describes the payload and what "at least once" asks of a receiver.

mod record;
mod secret;
mod sender;
mod target;
mod verifier;

pub use record::EndpointStatus;
pub use secret::WebhookSecret;
pub use sender::{Batch, WebhookSender, WebhookSenderBuilder, endpoint_status};
pub use verifier::{DEFAULT_TOLERANCE, WebhookVerifier};

/// The header map [`WebhookVerifier::verify_headers`] reads (`http`'s, as axum and reqwest
/// give it).
pub use reqwest::header::HeaderMap;
