//! The receiving side: checks that a delivery came from the sender holding the secret, and is
//! fresh (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`).

use core::time::Duration;

use time::OffsetDateTime;

use super::WebhookSecret;
use crate::error::Error;

/// How far a delivery's timestamp may be from the receiver's clock, unless configured
/// otherwise: five minutes, as the Standard Webhooks specification suggests.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Verifies webhook deliveries: the signature over id, timestamp and body, with one of the
/// secrets (several while a secret is rotated), and a timestamp within the tolerance, so a
/// recorded delivery cannot be replayed later.
///
/// A delivery may come more than once (at least once): use its `webhook-id` (the event's ID,
/// the same on every retry) to do its work once.
///
/// # Examples
///
/// ```
/// use admit::webhooks::{WebhookSecret, WebhookVerifier};
///
/// let secret: WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".parse()?;
/// let verifier = WebhookVerifier::new([secret.clone()]);
/// let now = time::OffsetDateTime::now_utc().unix_timestamp();
/// let body = br#"{"type":"redeemed"}"#;
/// let signature = secret.sign("evt_0-1", now, body);
/// verifier.verify("evt_0-1", &now.to_string(), &signature, body)?;
/// let changed = verifier.verify("evt_0-1", &now.to_string(), &signature, b"{}");
/// assert!(changed.is_err());
/// # Ok::<(), admit::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct WebhookVerifier {
    secrets: Vec<WebhookSecret>,
    tolerance: Duration,
}

impl WebhookVerifier {
    /// A verifier that accepts a signature by any of `secrets`.
    pub fn new(secrets: impl IntoIterator<Item = WebhookSecret>) -> WebhookVerifier {
        WebhookVerifier {
            secrets: secrets.into_iter().collect(),
            tolerance: DEFAULT_TOLERANCE,
        }
    }

    /// How far the timestamp may be from now, either way (default five minutes).
    pub fn tolerance(mut self, tolerance: Duration) -> WebhookVerifier {
        self.tolerance = tolerance;
        self
    }

    /// Checks a delivery by its three headers and its raw body, against the system clock.
    ///
    /// # Errors
    ///
    /// [`Error::WebhookRefused`] naming what failed: a malformed header, a timestamp outside
    /// the tolerance, no signature that matches.
    pub fn verify(
        &self,
        id: &str,
        timestamp: &str,
        signatures: &str,
        body: &[u8],
    ) -> Result<(), Error> {
        self.verify_at(id, timestamp, signatures, body, OffsetDateTime::now_utc())
    }

    /// [`verify`](WebhookVerifier::verify) with the headers of an HTTP request (`http`'s
    /// `HeaderMap`, as axum and reqwest give it).
    ///
    /// # Errors
    ///
    /// As for [`verify`](WebhookVerifier::verify); a missing header is refused too.
    pub fn verify_headers(&self, headers: &super::HeaderMap, body: &[u8]) -> Result<(), Error> {
        let header = |name: &'static str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or(Error::WebhookRefused {
                    reason: "a webhook-id, webhook-timestamp or webhook-signature header is \
                             missing",
                })
        };
        self.verify(
            header("webhook-id")?,
            header("webhook-timestamp")?,
            header("webhook-signature")?,
            body,
        )
    }

    /// [`verify`](WebhookVerifier::verify) against the time `now`.
    ///
    /// # Errors
    ///
    /// As for [`verify`](WebhookVerifier::verify).
    pub fn verify_at(
        &self,
        id: &str,
        timestamp: &str,
        signatures: &str,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        if id.is_empty() || id.len() > 256 {
            return Err(Error::WebhookRefused {
                reason: "the webhook-id header is empty or too long",
            });
        }
        let digits = !timestamp.is_empty() && timestamp.bytes().all(|b| b.is_ascii_digit());
        let sent: i64 = match digits.then(|| timestamp.parse().ok()).flatten() {
            Some(sent) => sent,
            None => {
                return Err(Error::WebhookRefused {
                    reason: "the webhook-timestamp header is not Unix seconds",
                });
            }
        };
        let tolerance = i64::try_from(self.tolerance.as_secs()).unwrap_or(i64::MAX);
        if (now.unix_timestamp() - sent).abs() > tolerance {
            return Err(Error::WebhookRefused {
                reason: "the webhook-timestamp is outside the tolerance (an old or replayed \
                         delivery, or a clock out of step)",
            });
        }
        let signed = signatures.split(' ').any(|signature| {
            self.secrets
                .iter()
                .any(|secret| secret.signs(signature, id, sent, body))
        });
        if !signed {
            return Err(Error::WebhookRefused {
                reason: "no signature matches the body with this secret",
            });
        }
        Ok(())
    }
}
