//! Verification: token text in, a trusted [`Invitation`] (or the rule that failed) out.

use core::fmt;
use core::ops::Deref;

use time::{Duration, OffsetDateTime};

use crate::batch;
use crate::clock::Clock;
use crate::error::Error;
use crate::format::{self, FORMAT_VERSION, MAX_TOKEN_BYTES};
use crate::invitation::{Claims, Invitation};
use crate::key::{KeyEntry, KeyId, KeySet};
use crate::revocation_list::Revocations;
use crate::sig::{self, Context};

/// The clock leeway a [`Verifier`] allows unless told otherwise: 60 seconds.
pub const DEFAULT_LEEWAY: Duration = Duration::seconds(60);

/// Verifies tokens with public keys only: no secret, no database.
///
/// A token is accepted when it decodes in canonical form, its key ID names a key in the
/// [`KeySet`], its Ed25519 signature over this verifier's context is valid under strict rules
/// (no small-order points, canonical `S`), it is not issued in the future, and it has not
/// expired — both time checks with the verifier's leeway (60 s by default).
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "rand")] {
/// use admit::{Error, Invitation, Issuer, SigningKey, Verifier};
///
/// let key = SigningKey::generate()?;
/// let public = key.verifying_key();                  // all the verifying side needs
/// let issuer = Issuer::new(key, "acme/invite")?;
/// let token = issuer.mint(Invitation::builder().email("ada@example.com"))?;
///
/// let verifier = Verifier::new(public, "acme/invite")?;
/// let invitation = verifier.verify(token.as_str())?;
/// assert_eq!(invitation.email(), Some("ada@example.com"));
///
/// // The same token does not verify for another purpose.
/// let other = Verifier::new(public, "acme/password-reset")?;
/// assert_eq!(other.verify(token.as_str()), Err(Error::BadSignature));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    keys: KeySet,
    context: Context,
    leeway: Duration,
    clock: Clock,
    revocations: Option<Revocations>,
}

/// Extra conditions for [`Verifier::verify_with`]: the time to check at, and the email address
/// the invitation must fit.
///
/// # Examples
///
/// ```
/// let options = admit::VerifyOptions::new()
///     .email("ada@example.com")
///     .at(time::OffsetDateTime::from_unix_timestamp(1_900_000_000)?);
/// # let _ = options;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyOptions<'a> {
    at: Option<OffsetDateTime>,
    email: Option<&'a str>,
}

impl<'a> VerifyOptions<'a> {
    /// No extra conditions: check at the current time, any email.
    pub fn new() -> VerifyOptions<'a> {
        VerifyOptions::default()
    }

    /// Checks the time window as of `now` instead of the system clock.
    pub fn at(mut self, now: OffsetDateTime) -> VerifyOptions<'a> {
        self.at = Some(now);
        self
    }

    /// Requires the invitation to fit this address, as a person typed it: it must be a valid
    /// address after [`normalize_email`](crate::normalize_email) ([`Error::InvalidEmail`]
    /// otherwise, bound invitation or not), and an invitation bound to an address must be
    /// bound to this one ([`Error::EmailMismatch`]). An unbound invitation fits any valid
    /// address.
    pub fn email(mut self, email: &'a str) -> VerifyOptions<'a> {
        self.email = Some(email);
        self
    }
}

impl Verifier {
    /// A verifier accepting tokens signed by any key in `keys` for `context`.
    ///
    /// `keys` may be a single [`VerifyingKey`](crate::VerifyingKey) or a [`KeySet`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidContext`] if the context is empty, over 255 bytes, or not printable ASCII.
    pub fn new(keys: impl Into<KeySet>, context: &str) -> Result<Verifier, Error> {
        Ok(Verifier::from_parts(keys.into(), Context::new(context)?))
    }

    pub(crate) fn with_clock(mut self, clock: Clock) -> Verifier {
        self.clock = clock;
        self
    }

    pub(crate) fn from_parts(keys: KeySet, context: Context) -> Verifier {
        Verifier {
            keys,
            context,
            leeway: DEFAULT_LEEWAY,
            clock: Clock::default(),
            revocations: None,
        }
    }

    /// Checks every token against these revocation lists too, offline: a revoked invitation
    /// (by ID or by a rule) fails with [`Error::Revoked`], a used-up one (when the list carries
    /// them) with [`Error::UsedUp`], and every token fails with
    /// [`Error::RevocationListStale`] while the list held is overdue or none is loaded. See
    /// [`revocation_list`](crate::revocation_list).
    ///
    /// ```
    /// use admit::revocation_list::Revocations;
    ///
    /// let key = admit::SigningKey::from_bytes(&[7; 32]).verifying_key();
    /// let revocations = Revocations::new(key, "acme/invite")?;
    /// let verifier = admit::Verifier::new(key, "acme/invite")?.revocations(revocations.clone());
    /// // revocations.load(&text) whenever a new list arrives; `verifier` sees it at once.
    /// # let _ = verifier;
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn revocations(mut self, revocations: Revocations) -> Verifier {
        self.revocations = Some(revocations);
        self
    }

    /// Sets the clock leeway: how far a token's issue time may lie in the future, and how long
    /// after its expiry it is still accepted. A negative leeway makes tokens expire early.
    pub fn leeway(mut self, leeway: Duration) -> Verifier {
        self.leeway = leeway;
        self
    }

    /// Reads the current time from `clock` instead of the system clock — for tests that move
    /// time ([`TestClock`](crate::testing::TestClock), feature `test-util`, is such a clock).
    pub fn clock(mut self, clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Verifier {
        self.clock = Clock::new(clock);
        self
    }

    /// The keys this verifier accepts.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// The keys, to add or retire one during a rotation.
    pub fn keys_mut(&mut self) -> &mut KeySet {
        &mut self.keys
    }

    /// The context tokens must have been minted for.
    pub fn context(&self) -> &str {
        self.context.as_str()
    }

    /// Verifies token text at the current time.
    ///
    /// # Errors
    ///
    /// The variant of [`Error`] naming the first rule the token breaks: [`Error::TooLarge`],
    /// [`Error::Malformed`], [`Error::UnsupportedVersion`], [`Error::InvalidClaim`],
    /// [`Error::UnknownKey`], [`Error::BadSignature`], [`Error::NotYetValid`] or
    /// [`Error::Expired`], checked in that order.
    pub fn verify(&self, token: &str) -> Result<Invitation, Error> {
        self.verify_with(token, VerifyOptions::new())
    }

    /// Verifies token text as of `now` (for tests, or "will this link still work on Friday?").
    ///
    /// # Errors
    ///
    /// As for [`Verifier::verify`].
    pub fn verify_at(&self, token: &str, now: OffsetDateTime) -> Result<Invitation, Error> {
        self.verify_with(token, VerifyOptions::new().at(now))
    }

    /// Verifies token text and checks that the invitation fits `email` (see
    /// [`VerifyOptions::email`]).
    ///
    /// # Errors
    ///
    /// As for [`Verifier::verify`], then [`Error::InvalidEmail`] if `email` is not a valid
    /// address, then [`Error::EmailMismatch`].
    pub fn verify_for_email(&self, token: &str, email: &str) -> Result<Invitation, Error> {
        self.verify_with(token, VerifyOptions::new().email(email))
    }

    /// Verifies token text under `options`.
    ///
    /// # Errors
    ///
    /// As for [`Verifier::verify`], then, if an email was given, [`Error::InvalidEmail`] or
    /// [`Error::EmailMismatch`].
    pub fn verify_with(
        &self,
        token: &str,
        options: VerifyOptions<'_>,
    ) -> Result<Invitation, Error> {
        let mut buf = [0u8; MAX_TOKEN_BYTES];
        let decoded = format::decode(token, &mut buf)?;
        let key = self.key(decoded.key_id)?;
        sig::verify(key, &self.context, decoded.body, &decoded.signature)?;
        self.accept(decoded.claims, decoded.key_id, options)
    }

    /// Finds the token in a URL, query string or pasted text ([`find_token`](crate::find_token))
    /// and verifies it at the current time.
    ///
    /// # Errors
    ///
    /// Those of [`find_token`](crate::find_token), then those of [`Verifier::verify`].
    pub fn verify_url(&self, url: &str) -> Result<Invitation, Error> {
        self.verify(&crate::find::find_token(url)?)
    }

    /// Verifies many tokens at the current time; one result per token, in order.
    ///
    /// Signatures are checked together with Ed25519 batch verification, which costs about half
    /// as much per token as checking them one by one. If the batch fails, each is checked alone
    /// so the result names exactly the bad ones. The outcome for every token is the one
    /// [`Verifier::verify`] gives, with one exception that no honest signer can produce: two or
    /// more signatures in one call whose `R` points carry torsion components that cancel pass
    /// together (each needs the signing key to make; FORMAT.md §6, "Batch verification").
    /// Every non-canonical or small-order `R`, and any lone torsion component, is refused
    /// exactly as [`Verifier::verify`] refuses it.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] {
    /// let issuer = admit::Issuer::new(admit::SigningKey::generate()?, "acme/invite")?;
    /// let a = issuer.mint(admit::Invitation::builder())?;
    /// let b = issuer.mint(admit::Invitation::builder())?;
    /// let results = issuer.verifier().verify_batch(&[a.as_str(), "junk", b.as_str()]);
    /// assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify_batch<T: AsRef<str>>(&self, tokens: &[T]) -> Vec<Result<Invitation, Error>> {
        self.verify_batch_at(tokens, self.clock.now())
    }

    /// Verifies many tokens as of `now`; see [`Verifier::verify_batch`].
    pub fn verify_batch_at<T: AsRef<str>>(
        &self,
        tokens: &[T],
        now: OffsetDateTime,
    ) -> Vec<Result<Invitation, Error>> {
        struct Pending<'k> {
            index: usize,
            claims: Claims,
            entry: &'k KeyEntry,
            message: Vec<u8>,
            signature: [u8; format::SIGNATURE_LEN],
        }

        let mut results: Vec<Result<Invitation, Error>> = Vec::with_capacity(tokens.len());
        let mut pending = Vec::with_capacity(tokens.len());
        let mut buf = [0u8; MAX_TOKEN_BYTES];
        for (index, token) in tokens.iter().enumerate() {
            // A placeholder, overwritten below for every token that decodes.
            results.push(Err(Error::BadSignature));
            let decoded = match format::decode(token.as_ref(), &mut buf) {
                Ok(decoded) => decoded,
                Err(e) => {
                    results[index] = Err(e);
                    continue;
                }
            };
            let entry = match self.key(decoded.key_id) {
                Ok(entry) => entry,
                Err(e) => {
                    results[index] = Err(e);
                    continue;
                }
            };
            // An `R` single verification can never accept (small order, or not canonical) is
            // refused here, so it does not fail the whole batch.
            if !sig::r_is_acceptable(&decoded.signature) {
                continue; // stays BadSignature
            }
            let mut message = Vec::with_capacity(self.context.prefix().len() + decoded.body.len());
            message.extend_from_slice(self.context.prefix());
            message.extend_from_slice(decoded.body);
            pending.push(Pending {
                index,
                entry,
                claims: decoded.claims,
                message,
                signature: decoded.signature,
            });
        }

        let all_good = pending.len() > 1 && {
            let signed: Vec<batch::Signed<'_>> = pending
                .iter()
                .map(|p| batch::Signed {
                    entry: p.entry,
                    message: &p.message,
                    signature: &p.signature,
                })
                .collect();
            batch::verify_all(&signed)
        };
        let options = VerifyOptions::new().at(now);
        for p in pending {
            let signed = all_good || sig::verify_message(p.entry, &p.message, &p.signature).is_ok();
            results[p.index] = if signed {
                self.accept(p.claims, p.entry.key.key_id(), options)
            } else {
                Err(Error::BadSignature)
            };
        }
        results
    }

    fn key(&self, key_id: KeyId) -> Result<&KeyEntry, Error> {
        self.keys.entry(key_id).ok_or(Error::UnknownKey { key_id })
    }

    /// The checks after the signature: time window, then email.
    fn accept(
        &self,
        claims: Claims,
        key_id: KeyId,
        options: VerifyOptions<'_>,
    ) -> Result<Invitation, Error> {
        let now = options.at.unwrap_or_else(|| self.clock.now());
        let now_s = now.unix_timestamp();
        let leeway = self.leeway.whole_seconds();
        if claims.issued_s > now_s.saturating_add(leeway) {
            return Err(Error::NotYetValid {
                issued_at: claims.issued_at(),
                now,
            });
        }
        if let Some(expires) = claims.expires_s
            && now_s >= expires.saturating_add(leeway)
        {
            return Err(Error::Expired {
                expired_at: crate::invitation::unix_time(expires),
                now,
            });
        }
        if let Some(email) = options.email {
            claims.check_email(email)?;
        }
        if let Some(revocations) = &self.revocations {
            revocations.check_claims(&claims, now)?;
        }
        Ok(Invitation::verified(claims, key_id))
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.keys)
            .field("context", &self.context)
            .field("leeway", &self.leeway)
            .field("clock", &self.clock)
            .field("revocations", &self.revocations)
            .finish()
    }
}

/// Decodes a token **without checking its signature or its time window**: for support tools
/// and debugging ("what does this pasted token say?"), never for access decisions.
///
/// The result is an [`UnverifiedInvitation`], a different type from [`Invitation`], so it cannot
/// be passed where a verified invitation is required.
///
/// # Errors
///
/// [`Error::TooLarge`], [`Error::Malformed`], [`Error::UnsupportedVersion`] or
/// [`Error::InvalidClaim`]: the structural rules only.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "rand")] {
/// let issuer = admit::Issuer::new(admit::SigningKey::generate()?, "acme/invite")?;
/// let token = issuer.mint(admit::Invitation::builder().inviter("grace"))?;
/// let seen = admit::inspect_unverified(token.as_str())?;
/// assert_eq!(seen.inviter(), Some("grace"));
/// assert_eq!(seen.key_id(), issuer.key_id());
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn inspect_unverified(token: &str) -> Result<UnverifiedInvitation, Error> {
    let mut buf = [0u8; MAX_TOKEN_BYTES];
    let decoded = format::decode(token, &mut buf)?;
    Ok(UnverifiedInvitation {
        claims: decoded.claims,
        key_id: decoded.key_id,
    })
}

/// What a token claims, decoded by [`inspect_unverified`] **without verification**. Anyone can
/// make a token that decodes to any claims; only [`Verifier`] tells which ones are genuine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnverifiedInvitation {
    claims: Claims,
    key_id: KeyId,
}

impl UnverifiedInvitation {
    /// The key ID the token names (the key it claims to be signed by).
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The format version of the token.
    pub fn format_version(&self) -> u8 {
        FORMAT_VERSION
    }

    /// The unverified claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }
}

impl Deref for UnverifiedInvitation {
    type Target = Claims;

    fn deref(&self) -> &Claims {
        &self.claims
    }
}
