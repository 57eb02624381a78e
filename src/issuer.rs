//! Minting: claims in, signed token text out.

use core::fmt;

use time::{Duration, OffsetDateTime};

use crate::clock::Clock;
use crate::error::Error;
use crate::format::{self, MAX_TOKEN_BYTES};
use crate::invitation::{DEFAULT_TTL, Invitation, InvitationBuilder, InvitationId};
use crate::key::{KeyId, SigningKey, VerifyingKey};
use crate::sig::{self, Context};
use crate::verifier::Verifier;

/// Mints invitations: holds the signing key, the application context and the default TTL.
///
/// The *context* names what tokens are for (`"acme/invite"`, `"acme/team-invite"`). It is signed
/// but never sent, so a token verifies only where the verifier uses the same context.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "rand")] {
/// use admit::{Invitation, Issuer, SigningKey};
///
/// let issuer = Issuer::new(SigningKey::generate()?, "acme/invite")?
///     .default_ttl(time::Duration::days(3));
/// let token = issuer.mint(Invitation::builder().email("ada@example.com").one_time())?;
/// let link = token.url("https://acme.test/join")?;
/// assert!(link.starts_with("https://acme.test/join?invitation="));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Issuer {
    key: SigningKey,
    context: Context,
    default_ttl: Duration,
    clock: Clock,
}

impl Issuer {
    /// An issuer signing with `key` for `context` (1 to 255 printable ASCII characters, no
    /// spaces), with a default TTL of 7 days.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidContext`] if the context breaks those rules.
    pub fn new(key: SigningKey, context: &str) -> Result<Issuer, Error> {
        Ok(Issuer {
            key,
            context: Context::new(context)?,
            default_ttl: DEFAULT_TTL,
            clock: Clock::default(),
        })
    }

    /// Sets the time to live of invitations that do not set their own expiry. It must be at
    /// least one second, or minting such invitations fails with [`Error::InvalidClaim`].
    pub fn default_ttl(mut self, ttl: Duration) -> Issuer {
        self.default_ttl = ttl;
        self
    }

    /// Reads the current time from `clock` instead of the system clock, for
    /// [`Issuer::mint`] and [`Issuer::mint_many`] (tests that move time).
    pub fn clock(mut self, clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Issuer {
        self.clock = Clock::new(clock);
        self
    }

    /// The context tokens are minted for.
    pub fn context(&self) -> &str {
        self.context.as_str()
    }

    /// The ID of the signing key, carried in every token.
    pub fn key_id(&self) -> KeyId {
        self.key.key_id()
    }

    /// The public key that verifies this issuer's tokens.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// A verifier for this issuer's tokens (same key, same context, default leeway).
    pub fn verifier(&self) -> Verifier {
        Verifier::from_parts(self.key.verifying_key().into(), self.context.clone())
            .with_clock(self.clock.clone())
    }

    /// Mints an invitation now, with a random ID.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClaim`] for the first claim that breaks a rule; [`Error::Random`] if the
    /// OS RNG fails.
    #[cfg(feature = "rand")]
    pub fn mint(&self, invitation: impl AsRef<InvitationBuilder>) -> Result<Token, Error> {
        self.mint_unix(invitation, InvitationId::random()?, self.clock.now_unix())
    }

    /// Mints an invitation as if the time were `now`, with a random ID.
    ///
    /// # Errors
    ///
    /// As for [`Issuer::mint`].
    #[cfg(feature = "rand")]
    pub fn mint_at(
        &self,
        invitation: impl AsRef<InvitationBuilder>,
        now: OffsetDateTime,
    ) -> Result<Token, Error> {
        self.mint_unix(invitation, InvitationId::random()?, now.unix_timestamp())
    }

    /// Mints an invitation with a given ID and time: deterministic, for test vectors and tests.
    /// Never reuse an ID in production; [`Issuer::mint`] draws a fresh random one.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClaim`] for the first claim that breaks a rule.
    pub fn mint_with_id(
        &self,
        invitation: impl AsRef<InvitationBuilder>,
        id: InvitationId,
        now: OffsetDateTime,
    ) -> Result<Token, Error> {
        self.mint_unix(invitation, id, now.unix_timestamp())
    }

    /// Mints with `id`, issued at `issued` (Unix seconds).
    fn mint_unix(
        &self,
        invitation: impl AsRef<InvitationBuilder>,
        id: InvitationId,
        issued: i64,
    ) -> Result<Token, Error> {
        let claims = invitation.as_ref().build(id, issued, self.default_ttl)?;
        let mut body = [0u8; MAX_TOKEN_BYTES];
        let len = format::encode_body(self.key.key_id(), &claims, &mut body)?;
        let signature = sig::sign(&self.key, &self.context, &body[..len])?;
        let text = format::encode_text(&mut body, len, &signature)?;
        Ok(Token {
            text,
            invitation: Invitation::verified(claims, self.key.key_id()),
        })
    }
}

/// How many signatures [`Issuer::mint_many`] computes together.
const MINT_BATCH: usize = 64;

impl Issuer {
    /// Mints `count` invitations with the same claims (and fresh random IDs), now: about a
    /// fifth cheaper per token than calling [`Issuer::mint`] in a loop, because the signatures
    /// share one field inversion per 64. The tokens are exactly what `mint` would produce for
    /// the same IDs and time.
    ///
    /// # Errors
    ///
    /// As for [`Issuer::mint`].
    ///
    /// # Examples
    ///
    /// ```
    /// let issuer = admit::Issuer::new(admit::SigningKey::generate()?, "acme/invite")?;
    /// let tokens = issuer.mint_many(admit::Invitation::builder().one_time(), 500)?;
    /// assert_eq!(tokens.len(), 500);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "rand")]
    pub fn mint_many(
        &self,
        invitation: impl AsRef<InvitationBuilder>,
        count: usize,
    ) -> Result<Vec<Token>, Error> {
        let now = self.clock.now();
        let mut tokens = Vec::with_capacity(count);
        let mut ids = Vec::with_capacity(MINT_BATCH.min(count));
        while tokens.len() < count {
            let n = (count - tokens.len()).min(MINT_BATCH);
            let mut bytes = [0u8; MINT_BATCH * crate::invitation::ID_LEN];
            let bytes = &mut bytes[..n * crate::invitation::ID_LEN];
            crate::random::fill_fast(bytes)?;
            ids.clear();
            for chunk in bytes.chunks_exact(crate::invitation::ID_LEN) {
                let mut id = [0u8; crate::invitation::ID_LEN];
                id.copy_from_slice(chunk);
                ids.push(InvitationId::from_bytes(id));
            }
            tokens.extend(self.mint_many_with_ids(invitation.as_ref(), &ids, now)?);
        }
        Ok(tokens)
    }

    /// Mints one invitation per given ID, all with the same claims and time: the deterministic
    /// form of [`Issuer::mint_many`], for tests. Never reuse IDs in production.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClaim`] for the first claim that breaks a rule.
    pub fn mint_many_with_ids(
        &self,
        invitation: impl AsRef<InvitationBuilder>,
        ids: &[InvitationId],
        now: OffsetDateTime,
    ) -> Result<Vec<Token>, Error> {
        let Some(first) = ids.first() else {
            return Ok(Vec::new());
        };
        let template = invitation
            .as_ref()
            .build(*first, now.unix_timestamp(), self.default_ttl)?;
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MINT_BATCH) {
            let mut bodies = Vec::with_capacity(chunk.len());
            let mut claims = Vec::with_capacity(chunk.len());
            for id in chunk {
                let mut c = template.clone();
                c.id = *id;
                let mut body = Box::new([0u8; MAX_TOKEN_BYTES]);
                let len = format::encode_body(self.key.key_id(), &c, &mut body)?;
                bodies.push((body, len));
                claims.push(c);
            }
            let views: Vec<&[u8]> = bodies.iter().map(|(b, len)| &b[..*len]).collect();
            let signatures = sig::sign_many(&self.key, &self.context, &views);
            for (((mut body, len), c), signature) in bodies.into_iter().zip(claims).zip(signatures)
            {
                let text = format::encode_text(&mut body, len, &signature)?;
                out.push(Token {
                    text,
                    invitation: Invitation::verified(c, self.key.key_id()),
                });
            }
        }
        Ok(out)
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issuer")
            .field("key_id", &self.key.key_id())
            .field("context", &self.context)
            .field("default_ttl", &self.default_ttl)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// A freshly minted token: its text and the invitation it carries.
///
/// The text is a bearer credential, so it comes out only when asked for by name:
/// [`Token::as_str`], [`Token::into_string`], [`Token::url`]. `Display` and `Debug` show the
/// invitation ID and the length, never the text, so logging a token cannot leak it.
pub struct Token {
    text: String,
    invitation: Invitation,
}

impl Token {
    /// The token text (URL-safe, no padding).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The token text, by value.
    pub fn into_string(self) -> String {
        self.text
    }

    /// The invitation this token carries (trusted: this process signed it).
    pub fn invitation(&self) -> &Invitation {
        &self.invitation
    }

    /// Adds `invitation=<token>` to the query of `base`, keeping its other parameters and its
    /// fragment, and replacing an `invitation` parameter already present.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] if `base` is empty or holds whitespace or control characters.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] {
    /// let issuer = admit::Issuer::new(admit::SigningKey::generate()?, "acme/invite")?;
    /// let token = issuer.mint(admit::Invitation::builder())?;
    /// let link = token.url("https://acme.test/join?lang=fr#top")?;
    /// assert_eq!(link, format!("https://acme.test/join?lang=fr&invitation={}#top", token.as_str()));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn url(&self, base: &str) -> Result<String, Error> {
        crate::url::with_token(base, &self.text)
    }
}

/// Shows `invitation <id> (<n> characters)`: enough to recognise a token in a log, not enough
/// to use it.
impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invitation {} ({} characters)",
            self.invitation.id(),
            self.text.len()
        )
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("id", &self.invitation.id())
            .field("len", &self.text.len())
            .finish_non_exhaustive()
    }
}

impl AsRef<str> for Token {
    fn as_ref(&self) -> &str {
        &self.text
    }
}
