//! The claims an invitation carries: pure data, no cryptography.

use core::fmt;
use core::ops::Deref;
use core::str::FromStr;

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::{Duration, OffsetDateTime};

use crate::email::normalize_email;
use crate::error::{Claim, Error};
use crate::key::KeyId;

/// Length of an [`InvitationId`] in bytes (96 bits).
pub const ID_LEN: usize = 12;
/// Longest inviter accepted, in bytes.
pub const MAX_INVITER_LEN: usize = 64;
/// Largest app data accepted, in bytes (after serialization with postcard).
pub const MAX_DATA_LEN: usize = 256;
/// The time to live of an invitation when neither the invitation nor the issuer sets one.
pub const DEFAULT_TTL: Duration = Duration::days(7);

/// The latest time a token can express: 9999-12-31T23:59:59Z, as Unix seconds.
pub(crate) const MAX_UNIX: i64 = 253_402_300_799;

/// A random 96-bit invitation ID: the handle a store uses for revocation and counts.
///
/// Shown as 24 lowercase hex digits. Not a secret on its own (a token also needs a valid
/// signature), but not guessable either: IDs come from the OS random number generator.
///
/// # Examples
///
/// ```
/// let id: admit::InvitationId = "000102030405060708090a0b".parse()?;
/// assert_eq!(id.to_string(), "000102030405060708090a0b");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvitationId([u8; ID_LEN]);

impl InvitationId {
    /// Draws a new ID: 96 bits from this thread's ChaCha12 generator, seeded from the OS
    /// random number generator and reseeded from it every 64 KiB and in a forked child.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] if the OS RNG fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = (admit::InvitationId::random()?, admit::InvitationId::random()?);
    /// assert_ne!(a, b);
    /// # Ok::<(), admit::Error>(())
    /// ```
    #[cfg(feature = "rand")]
    pub fn random() -> Result<InvitationId, Error> {
        let mut bytes = [0u8; ID_LEN];
        crate::random::fill_fast(&mut bytes)?;
        Ok(InvitationId(bytes))
    }

    /// Wraps 12 raw bytes (for tests and for IDs read back from storage).
    pub const fn from_bytes(bytes: [u8; ID_LEN]) -> InvitationId {
        InvitationId(bytes)
    }

    /// The 12 raw bytes.
    pub const fn to_bytes(self) -> [u8; ID_LEN] {
        self.0
    }

    pub(crate) fn as_bytes(&self) -> &[u8; ID_LEN] {
        &self.0
    }
}

impl fmt::Display for InvitationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::hex::write(f, &self.0)
    }
}

impl fmt::Debug for InvitationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InvitationId({self})")
    }
}

impl FromStr for InvitationId {
    type Err = Error;

    /// Parses 24 hex digits.
    fn from_str(s: &str) -> Result<InvitationId, Error> {
        crate::hex::decode::<ID_LEN>(s)
            .map(InvitationId)
            .ok_or(Error::claim(Claim::Id, "an invitation ID is 24 hex digits"))
    }
}

/// What an invitation says: its ID, when it was issued, until when it is valid, and the optional
/// email binding, use limit, inviter and app data.
///
/// You get [`Claims`] inside a verified [`Invitation`] or an unverified
/// [`UnverifiedInvitation`](crate::UnverifiedInvitation); both dereference to it.
#[derive(Clone, PartialEq, Eq)]
pub struct Claims {
    pub(crate) id: InvitationId,
    /// Unix seconds, in `0..=MAX_UNIX`: the issue time is checked where claims are made
    /// (`InvitationBuilder::build` and the decoder), the expiry by [`validate`]. Kept as
    /// numbers because that is what the token carries and the checks compare; converted to
    /// dates only when asked for.
    pub(crate) issued_s: i64,
    pub(crate) expires_s: Option<i64>,
    pub(crate) max_uses: Option<u32>,
    /// The email then the inviter, in one allocation (verification makes at most two: this
    /// and the app data).
    text: String,
    email_len: Option<usize>,
    inviter_len: Option<usize>,
    pub(crate) data: Option<Vec<u8>>,
}

impl core::fmt::Debug for Claims {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Claims")
            .field("id", &self.id)
            .field("issued_at", &self.issued_at())
            .field("expires_at", &self.expires_at())
            .field("email", &self.email())
            .field("max_uses", &self.max_uses)
            .field("inviter", &self.inviter())
            .field("data", &self.data)
            .finish()
    }
}

impl Claims {
    pub(crate) fn new(
        id: InvitationId,
        issued_s: i64,
        expires_s: Option<i64>,
        email: Option<&str>,
        max_uses: Option<u32>,
        inviter: Option<&str>,
        data: Option<Vec<u8>>,
    ) -> Claims {
        let mut text =
            String::with_capacity(email.map_or(0, str::len) + inviter.map_or(0, str::len));
        text.push_str(email.unwrap_or_default());
        text.push_str(inviter.unwrap_or_default());
        Claims {
            id,
            issued_s,
            expires_s,
            max_uses,
            text,
            email_len: email.map(str::len),
            inviter_len: inviter.map(str::len),
            data,
        }
    }

    /// The invitation's random ID.
    pub fn id(&self) -> InvitationId {
        self.id
    }

    /// When the invitation was minted (whole seconds, UTC).
    pub fn issued_at(&self) -> OffsetDateTime {
        unix_time(self.issued_s)
    }

    /// The first instant at which the invitation is no longer valid (whole seconds, UTC), or
    /// `None` if it was minted with [`InvitationBuilder::never_expires`].
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.expires_s.map(unix_time)
    }

    /// The email address the invitation is bound to (in the form [`normalize_email`] gives), if
    /// any.
    pub fn email(&self) -> Option<&str> {
        self.email_len.and_then(|n| self.text.get(..n))
    }

    /// How many accounts may join with this invitation, if limited. Enforcing the limit needs
    /// a store: a signature cannot count.
    pub fn max_uses(&self) -> Option<u32> {
        self.max_uses
    }

    /// Whether the invitation may be used once only.
    pub fn is_one_time(&self) -> bool {
        self.max_uses == Some(1)
    }

    /// Who invited, as the issuer recorded it.
    pub fn inviter(&self) -> Option<&str> {
        let start = self.email_len.unwrap_or(0);
        self.inviter_len
            .and_then(|n| self.text.get(start..start + n))
    }

    /// The raw app data bytes (the postcard encoding of what was passed to
    /// [`InvitationBuilder::data`]).
    pub fn data_bytes(&self) -> Option<&[u8]> {
        self.data.as_deref()
    }

    /// Decodes the app data as a `T`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClaim`] for [`Claim::Data`] if the bytes are not exactly one `T` in
    /// postcard encoding.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] {
    /// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    /// enum Role { Viewer, Editor }
    ///
    /// let issuer = admit::Issuer::new(admit::SigningKey::generate()?, "acme/team-invite")?;
    /// let token = issuer.mint(admit::Invitation::builder().data(&Role::Editor))?;
    /// assert_eq!(token.invitation().data::<Role>()?, Some(Role::Editor));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn data<T: DeserializeOwned>(&self) -> Result<Option<T>, Error> {
        let Some(bytes) = &self.data else {
            return Ok(None);
        };
        match postcard::take_from_bytes::<T>(bytes) {
            Ok((value, [])) => Ok(Some(value)),
            _ => Err(Error::claim(
                Claim::Data,
                "app data is not a postcard encoding of the requested type",
            )),
        }
    }

    /// Checks an address a person presents against the invitation: it must be a valid address
    /// (after [`normalize_email`]), and if the invitation is bound to an address, that one.
    /// An unbound invitation accepts any valid address.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEmail`] if `email` is not a valid address (whether or not the invitation
    /// is bound); [`Error::EmailMismatch`] if the invitation is bound to another address.
    pub fn check_email(&self, email: &str) -> Result<(), Error> {
        let given = normalize_email(email).map_err(|e| match e {
            Error::InvalidClaim { reason, .. } => Error::InvalidEmail { reason },
            other => other,
        })?;
        match self.email() {
            Some(bound) if bound != given => Err(Error::EmailMismatch),
            _ => Ok(()),
        }
    }
}

/// A verified invitation: its signature checked against a trusted key, its time window checked.
///
/// Only [`Verifier`](crate::Verifier) (and [`Issuer`](crate::Issuer), for what it mints itself)
/// can make one, so a function that takes an `&Invitation` knows it was verified. Read the claims
/// through [`Deref`] to [`Claims`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    claims: Claims,
    key_id: KeyId,
}

impl Invitation {
    /// Starts describing a new invitation; pass it to [`Issuer::mint`](crate::Issuer).
    ///
    /// # Examples
    ///
    /// ```
    /// let draft = admit::Invitation::builder()
    ///     .email("Ada@Example.com")
    ///     .max_uses(1)
    ///     .inviter("grace")
    ///     .ttl(time::Duration::days(2));
    /// # let _ = draft;
    /// ```
    pub fn builder() -> InvitationBuilder {
        InvitationBuilder::default()
    }

    /// The ID of the key that signed it.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The claims, by value.
    pub fn into_claims(self) -> Claims {
        self.claims
    }

    pub(crate) fn verified(claims: Claims, key_id: KeyId) -> Invitation {
        Invitation { claims, key_id }
    }
}

impl Deref for Invitation {
    type Target = Claims;

    fn deref(&self) -> &Claims {
        &self.claims
    }
}

#[derive(Clone, Debug, Default)]
enum Expiry {
    #[default]
    IssuerDefault,
    Ttl(Duration),
    At(OffsetDateTime),
    Never,
}

/// Describes an invitation to mint. Nothing is checked until
/// [`Issuer::mint`](crate::Issuer::mint), which reports the first invalid claim.
///
/// By default an invitation expires after the issuer's default TTL (7 days unless the issuer
/// says otherwise), is not bound to an email, has no use limit, no inviter and no app data.
#[derive(Clone, Debug, Default)]
pub struct InvitationBuilder {
    expiry: Expiry,
    /// Normalized and checked when given, so that a builder minted from many times (a bulk
    /// run) does that work once; an error waits for `build`, like every claim's.
    email: Option<Result<String, Error>>,
    max_uses: Option<u32>,
    inviter: Option<String>,
    data: Option<Result<Vec<u8>, Error>>,
}

impl AsRef<InvitationBuilder> for InvitationBuilder {
    fn as_ref(&self) -> &InvitationBuilder {
        self
    }
}

impl InvitationBuilder {
    /// Binds the invitation to an email address, put in normal form by [`normalize_email`]
    /// (ASCII whitespace trimmed, NFC, `A-Z` lower-cased); minting fails with
    /// [`Error::InvalidClaim`] unless it is a dot-atom address of at most 254 bytes.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(normalize_email(&email.into()));
        self
    }

    /// Limits how many accounts may join with the invitation (at least 1). The limit is
    /// enforced by a store's redeem operation.
    pub fn max_uses(mut self, max_uses: u32) -> Self {
        self.max_uses = Some(max_uses);
        self
    }

    /// Makes the invitation single-use: `max_uses(1)`.
    pub fn one_time(self) -> Self {
        self.max_uses(1)
    }

    /// Records who invited (1 to 64 bytes, no control characters), e.g. a user ID.
    pub fn inviter(mut self, inviter: impl Into<String>) -> Self {
        self.inviter = Some(inviter.into());
        self
    }

    /// Attaches small typed app data (a role, a team, a description), serialized with postcard;
    /// at most 256 bytes. Read it back with [`Claims::data`].
    ///
    /// The data is signed but **not encrypted**: whoever holds the token can read it.
    pub fn data<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.data = Some(postcard::to_allocvec(value).map_err(|_| {
            Error::claim(
                Claim::Data,
                "app data could not be serialized with postcard",
            )
        }));
        self
    }

    /// Attaches app data as raw bytes (at most 256).
    pub fn data_bytes(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.data = Some(Ok(bytes.into()));
        self
    }

    /// Expires the invitation this long after it is minted (at least one second; fractions of
    /// a second are dropped).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.expiry = Expiry::Ttl(ttl);
        self
    }

    /// Expires the invitation at this time (which must be after the minting time; fractions of
    /// a second are dropped).
    pub fn expires_at(mut self, at: OffsetDateTime) -> Self {
        self.expiry = Expiry::At(at);
        self
    }

    /// Makes an invitation that never expires. It stays valid until its key is retired or a
    /// store revokes it, so prefer an expiry where you can.
    pub fn never_expires(mut self) -> Self {
        self.expiry = Expiry::Never;
        self
    }

    /// Checks every claim and produces the claims of the invitation.
    pub(crate) fn build(
        &self,
        id: InvitationId,
        issued: i64,
        default_ttl: Duration,
    ) -> Result<Claims, Error> {
        if !(0..=MAX_UNIX).contains(&issued) {
            return Err(Error::claim(
                Claim::IssuedAt,
                "issue time must be between 1970 and 9999",
            ));
        }
        let expires = match &self.expiry {
            Expiry::IssuerDefault => Some(after(issued, default_ttl)?),
            Expiry::Ttl(ttl) => Some(after(issued, *ttl)?),
            Expiry::At(at) => Some(at.unix_timestamp()),
            Expiry::Never => None,
        };
        let email = match &self.email {
            Some(Ok(email)) => Some(email.as_str()),
            Some(Err(e)) => return Err(e.clone()),
            None => None,
        };
        let claims = Claims::new(
            id,
            issued,
            expires,
            email,
            self.max_uses,
            self.inviter.as_deref(),
            self.data.clone().transpose()?,
        );
        // The email was checked when it was normalized.
        validate_except_email(&claims)?;
        Ok(claims)
    }
}

fn after(issued: i64, ttl: Duration) -> Result<i64, Error> {
    let seconds = ttl.whole_seconds();
    if seconds < 1 {
        return Err(Error::claim(
            Claim::ExpiresAt,
            "time to live must be at least one second",
        ));
    }
    issued.checked_add(seconds).ok_or(Error::claim(
        Claim::ExpiresAt,
        "expiry must be no later than 9999-12-31",
    ))
}

/// Unix seconds in `0..=MAX_UNIX` as a UTC time. Every such second is one `time` can represent
/// (its range is years ±9999), so the fallback is never taken.
pub(crate) fn unix_time(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Checks the rules every claim must follow, whether minted here or decoded from a token.
pub(crate) fn validate(claims: &Claims) -> Result<(), Error> {
    if let Some(email) = claims.email() {
        crate::email::check(email)?;
    }
    validate_except_email(claims)
}

/// [`validate`] without the email rules, for claims whose email [`normalize_email`] checked.
fn validate_except_email(claims: &Claims) -> Result<(), Error> {
    if let Some(expires) = claims.expires_s {
        if expires <= claims.issued_s {
            return Err(Error::claim(
                Claim::ExpiresAt,
                "expiry must be after the issue time",
            ));
        }
        if expires > MAX_UNIX {
            return Err(Error::claim(
                Claim::ExpiresAt,
                "expiry must be no later than 9999-12-31",
            ));
        }
    }
    if claims.max_uses == Some(0) {
        return Err(Error::claim(Claim::MaxUses, "max uses must be at least 1"));
    }
    if let Some(reason) = claims.inviter().and_then(inviter_problem) {
        return Err(Error::claim(Claim::Inviter, reason));
    }
    if let Some(data) = &claims.data
        && data.len() > MAX_DATA_LEN
    {
        return Err(Error::claim(
            Claim::Data,
            "app data must be at most 256 bytes",
        ));
    }
    Ok(())
}

/// What is wrong with an inviter, if anything: the one rule for claims and store arguments.
pub(crate) fn inviter_problem(inviter: &str) -> Option<&'static str> {
    if inviter.is_empty() {
        Some("inviter must not be empty")
    } else if inviter.len() > MAX_INVITER_LEN {
        Some("inviter must be at most 64 bytes")
    } else if inviter.chars().any(crate::forbidden::everywhere) {
        Some("inviter must not hold control, invisible or bidi characters")
    } else {
        None
    }
}
