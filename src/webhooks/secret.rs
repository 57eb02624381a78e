//! Webhook secrets and signatures, as the Standard Webhooks specification defines them: a
//! `whsec_` secret, and `v1,<base64 of HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`.

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit as _, Mac as _};
use zeroize::Zeroizing;

use crate::error::Error;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The prefix of a Standard Webhooks secret's text form.
const PREFIX: &str = "whsec_";

/// A webhook signing secret: 24 to 64 random bytes, written `whsec_<base64>`.
///
/// The same secret signs on the sending side ([`WebhookSender`](super::WebhookSender)) and
/// checks on the receiving side ([`WebhookVerifier`](super::WebhookVerifier)). It never shows
/// in `Debug` output or in errors; [`expose`](WebhookSecret::expose) gives its text to store
/// it once.
///
/// # Examples
///
/// ```
/// use admit::webhooks::WebhookSecret;
///
/// let secret = WebhookSecret::generate()?;
/// let text = secret.expose(); // put this in the receiver's configuration
/// assert!(text.starts_with("whsec_"));
/// let again: WebhookSecret = text.parse()?;
/// assert_eq!(format!("{again:?}"), "WebhookSecret(..)");
/// # Ok::<(), admit::Error>(())
/// ```
#[derive(Clone)]
pub struct WebhookSecret {
    bytes: Zeroizing<Vec<u8>>,
    /// The HMAC keyed with it, cloned for each message.
    keyed: HmacSha256,
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

impl core::str::FromStr for WebhookSecret {
    type Err = Error;

    /// Reads `whsec_<base64>` (24 to 64 bytes), ignoring surrounding whitespace.
    fn from_str(text: &str) -> Result<WebhookSecret, Error> {
        let bad = Error::InvalidArgument {
            name: "webhook secret",
            reason: "must be whsec_ followed by the base64 of 24 to 64 bytes",
        };
        let body = text.trim().strip_prefix(PREFIX).ok_or(bad.clone())?;
        let bytes = Zeroizing::new(STANDARD.decode(body).map_err(|_| bad.clone())?);
        if !(24..=64).contains(&bytes.len()) {
            return Err(bad);
        }
        WebhookSecret::new(bytes)
    }
}

impl WebhookSecret {
    /// A new secret of 32 random bytes from the OS.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the OS has no randomness to give.
    #[cfg(feature = "rand")]
    pub fn generate() -> Result<WebhookSecret, Error> {
        let mut bytes = Zeroizing::new(vec![0u8; 32]);
        crate::random::fill(&mut bytes)?;
        WebhookSecret::new(bytes)
    }

    fn new(bytes: Zeroizing<Vec<u8>>) -> Result<WebhookSecret, Error> {
        let keyed = HmacSha256::new_from_slice(&bytes).map_err(|_| Error::InvalidArgument {
            name: "webhook secret",
            reason: "HMAC-SHA256 refused the key",
        })?;
        Ok(WebhookSecret { bytes, keyed })
    }

    /// Its text, `whsec_<base64>`: for the receiver's configuration, shown or stored once.
    pub fn expose(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&*self.bytes))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value for a message: `v1,<base64 signature>`.
    ///
    /// ```
    /// # let secret: admit::webhooks::WebhookSecret =
    /// #     "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".parse()?;
    /// let signature = secret.sign("msg_1", 1_765_101_000, br#"{"type":"issued"}"#);
    /// assert!(signature.starts_with("v1,"));
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }

    /// Whether `signature` (one `v1,<base64>` entry) signs this message, compared in constant
    /// time.
    pub(crate) fn signs(&self, signature: &str, id: &str, timestamp: i64, body: &[u8]) -> bool {
        let Some(tag) = signature.strip_prefix("v1,") else {
            return false;
        };
        let Ok(tag) = STANDARD.decode(tag) else {
            return false;
        };
        self.mac(id, timestamp, body).verify_slice(&tag).is_ok()
    }
}
