//! The one error type of the crate.

use core::fmt;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::connect_problem::ConnectProblem;
use crate::key::KeyId;

/// Everything that can go wrong when minting, decoding or verifying an invitation.
///
/// Each variant names the rule that failed. Messages are lowercase, carry no final period, and
/// never contain a whole token, a key, or the email address bound to an invitation: an error is
/// safe to log. [`Error::code`] gives a stable `snake_case` name for each variant (the names used
/// in `tests/vectors.json` and by other implementations of the format).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not a well-formed token: bad base64url, wrong length, an unknown flag bit,
    /// trailing bytes, a non-minimal integer, or another structural rule. `reason` says which.
    #[error("malformed token: {reason}")]
    Malformed {
        /// Which structural rule the token broke.
        reason: &'static str,
    },

    /// The first byte names a format version this library does not implement.
    #[error("unsupported token version {version}")]
    UnsupportedVersion {
        /// The version byte found in the token.
        version: u8,
    },

    /// The token's key ID matches no key in the verifier's key set.
    #[error("token was signed by key {key_id}, which is not in the key set")]
    UnknownKey {
        /// The key ID carried by the token.
        key_id: KeyId,
    },

    /// The signature does not match: the token was altered, minted for another context, or
    /// signed by another key with a colliding key ID.
    #[error("bad signature")]
    BadSignature,

    /// The invitation's expiry (plus the verifier's leeway) has passed.
    #[error("invitation expired at {}", Rfc3339Display(*expired_at))]
    Expired {
        /// When the invitation expired (without leeway).
        expired_at: OffsetDateTime,
        /// The time the check was made at.
        now: OffsetDateTime,
    },

    /// The invitation was issued in the future (beyond the verifier's leeway): a clock is wrong.
    #[error("invitation is issued in the future, at {}", Rfc3339Display(*issued_at))]
    NotYetValid {
        /// When the invitation says it was issued.
        issued_at: OffsetDateTime,
        /// The time the check was made at.
        now: OffsetDateTime,
    },

    /// The invitation is bound to an email address other than the one presented.
    #[error("invitation is bound to a different email address")]
    EmailMismatch,

    /// The email address presented with an invitation is not a valid address (FORMAT.md §5.2).
    /// Checked whether or not the invitation is bound to an address.
    #[error("invalid email address: {reason}")]
    InvalidEmail {
        /// Which rule the address broke (never the address itself).
        reason: &'static str,
    },

    /// The input is longer than [`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN) (or another fixed cap);
    /// it was rejected before decoding.
    #[error("input is {len} bytes, over the limit of {max}")]
    TooLarge {
        /// Length of the input in bytes.
        len: usize,
        /// The limit it exceeded.
        max: usize,
    },

    /// A claim breaks a rule: an email without exactly one `@`, `max_uses` of zero, an expiry
    /// before the issue time, app data over its cap, and so on.
    #[error("invalid {claim}: {reason}")]
    InvalidClaim {
        /// The claim that is wrong.
        claim: Claim,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The application context (the purpose a token is minted for) is empty, too long, or holds
    /// characters other than printable ASCII.
    #[error("invalid context: {reason}")]
    InvalidContext {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// Key material could not be read or is unusable (weak, wrong algorithm, bad PEM).
    #[error("invalid key: {reason}")]
    InvalidKey {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// Two different keys with the same key ID were put in one [`KeySet`](crate::KeySet).
    #[error("key set already holds a different key with key ID {key_id}")]
    DuplicateKeyId {
        /// The colliding key ID.
        key_id: KeyId,
    },

    /// A URL or query string holds no `invitation` parameter (or the parameter is empty).
    #[error("no invitation token found")]
    MissingToken,

    /// A URL could not be used: empty, has whitespace, or holds the parameter twice.
    #[error("invalid URL: {reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The operating system's random number generator failed.
    #[error("the operating system random number generator failed")]
    Random,

    /// A store says the invitation was revoked: by ID, or by a rule covering its issue time
    /// (and inviter).
    #[error("invitation has been revoked")]
    Revoked,

    /// A store says the invitation has been used as many times as it allows.
    #[error("invitation is used up (it allows {max_uses} use(s))")]
    UsedUp {
        /// The invitation's limit.
        max_uses: u32,
    },

    /// The store could not be reached or failed. The operation may or may not have taken
    /// effect; every store operation is safe to retry (a repeated redeem by the same joiner is
    /// counted once). Never read this as "valid".
    #[error("store unavailable: {reason}")]
    StoreUnavailable {
        /// What went wrong (no token or key material).
        reason: String,
    },

    /// The store's server could not be reached, or refused this service, for a reason a person
    /// can fix: a wrong password, nothing listening, an unknown host, a failed TLS handshake, a
    /// missing database ([`ConnectProblem`] says which). Nothing was done; retry once it is
    /// fixed.
    #[error("cannot connect to the store: {problem}")]
    StoreConnect {
        /// What failed, and what to check.
        problem: ConnectProblem,
    },

    /// The store did not answer within its deadline. As for [`Error::StoreUnavailable`], the
    /// operation may or may not have taken effect, and retrying is safe.
    #[error("store did not answer within {} ms", after.as_millis())]
    StoreTimeout {
        /// The deadline that passed.
        after: core::time::Duration,
    },

    /// The store's server is set up so that it could silently lose revocations or use counts
    /// (say, Redis with `maxmemory` and an evicting `maxmemory-policy`), or it cannot be
    /// checked. The store refuses to work rather than break its promises quietly.
    #[error("unsafe store setting: {setting} is {found}; {fix}")]
    StoreMisconfigured {
        /// The setting, as the server names it (`maxmemory-policy`, `clock offset`, …).
        setting: &'static str,
        /// What the store found.
        found: String,
        /// What to do about it.
        fix: &'static str,
    },

    /// The store holds no initialization marker where it must: either a brand-new server that
    /// was never initialized, or one whose data was lost (restarted empty, flushed, a failover
    /// to an empty replica). The two look the same, so the store refuses every call until the
    /// application or an operator initializes it deliberately — as new, or after data loss with
    /// a revocation cut-off (`admit store init`, [`RedisStoreBuilder::init`](crate::store::RedisStoreBuilder::init)).
    #[error(
        "store is not initialized: a new server needs `admit store init` once; one that had \
         data lost it, so recover with `admit store init --revoke-issued-before <time of the \
         loss>` (see SECURITY.md)"
    )]
    StoreNotInitialized,

    /// A SQL store that existed lost data: its schema record or tables are there, but a table
    /// that holds revocations or use counts is missing or was emptied (`DROP TABLE`,
    /// `TRUNCATE` with its guard disabled, `DELETE` without `WHERE`, a restore without the
    /// rows). `migrate()` and `Init::CreateIfMissing` refuse to start it afresh, since a revoked
    /// invitation would work again; only a recovery with a revocation cut-off proceeds.
    #[error(
        "the store lost data: {evidence}; nothing was recreated: recover with `admit store init \
         --revoke-issued-before <time of the loss>` (Init::RecoverFromDataLoss), see SECURITY.md"
    )]
    StoreDataLost {
        /// What shows the loss (table names, never data).
        evidence: String,
    },

    /// A short code is already taken by another invitation.
    #[error("that code is already taken")]
    CodeTaken,

    /// No invitation has this short code (or it expired with its invitation).
    #[error("no invitation has that code")]
    UnknownCode,

    /// A random short code's check character does not match: a typo, caught before any lookup.
    #[error("that code has a typo (its check character does not match)")]
    MistypedCode,

    /// Too many attempts from one client in the current window.
    #[error("too many attempts; try again in {} s", retry_after.as_secs().max(1))]
    RateLimited {
        /// How long until the window ends.
        retry_after: core::time::Duration,
    },

    /// A webhook delivery that must not be trusted: a signature that does not match the body
    /// and secret, a timestamp outside the tolerance (a replay), missing or malformed headers.
    #[error("webhook refused: {reason}")]
    WebhookRefused {
        /// What is wrong with it (never the secret or the body).
        reason: &'static str,
    },

    /// A revocation list that must not be loaded: malformed, too large, signed by an unknown
    /// key or not for this context, older than the one loaded, or a delta on another base.
    /// [`ListProblem`] says which.
    #[error("revocation list refused: {problem}")]
    RevocationListRefused {
        /// What is wrong with it.
        problem: ListProblem,
    },

    /// The revocation list a verifier holds is past its `next_update` plus the grace the
    /// caller set (or none was loaded yet): a revoked invitation could pass, so nothing does.
    /// Load a fresher list, or opt out with `Revocations::allow_stale`.
    #[error("{}", match next_update {
        Some(t) => format!("revocation list is stale: it was due to be replaced at {}", Rfc3339Display(*t)),
        None => "no revocation list is loaded yet".to_owned(),
    })]
    RevocationListStale {
        /// When the list said it would be replaced (`None`: no list was loaded).
        next_update: Option<OffsetDateTime>,
    },

    /// An argument to a store operation breaks a rule (an empty joiner ID, an overlong
    /// description, a key prefix holding braces, …).
    #[error("invalid {name}: {reason}")]
    InvalidArgument {
        /// Which argument.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl Error {
    /// A stable `snake_case` name for the variant, as used in `tests/vectors.json`.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = admit::inspect_unverified("").unwrap_err();
    /// assert_eq!(err.code(), "malformed");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Error::Malformed { .. } => "malformed",
            Error::UnsupportedVersion { .. } => "unsupported_version",
            Error::UnknownKey { .. } => "unknown_key",
            Error::BadSignature => "bad_signature",
            Error::Expired { .. } => "expired",
            Error::NotYetValid { .. } => "not_yet_valid",
            Error::EmailMismatch => "email_mismatch",
            Error::InvalidEmail { .. } => "invalid_email",
            Error::TooLarge { .. } => "too_large",
            Error::InvalidClaim { .. } => "invalid_claim",
            Error::InvalidContext { .. } => "invalid_context",
            Error::InvalidKey { .. } => "invalid_key",
            Error::DuplicateKeyId { .. } => "duplicate_key_id",
            Error::MissingToken => "missing_token",
            Error::InvalidUrl { .. } => "invalid_url",
            Error::Random => "random",
            Error::Revoked => "revoked",
            Error::UsedUp { .. } => "used_up",
            Error::StoreUnavailable { .. } => "store_unavailable",
            Error::StoreTimeout { .. } => "store_timeout",
            Error::StoreMisconfigured { .. } => "store_misconfigured",
            Error::StoreConnect { .. } => "store_connect",
            Error::StoreNotInitialized => "store_not_initialized",
            Error::StoreDataLost { .. } => "store_data_lost",
            Error::InvalidArgument { .. } => "invalid_argument",
            Error::CodeTaken => "code_taken",
            Error::UnknownCode => "unknown_code",
            Error::MistypedCode => "mistyped_code",
            Error::RateLimited { .. } => "rate_limited",
            Error::WebhookRefused { .. } => "webhook_refused",
            Error::RevocationListRefused { .. } => "revocation_list_refused",
            Error::RevocationListStale { .. } => "revocation_list_stale",
        }
    }

    /// The class of the error: what a caller decides on (an HTTP status, an exit code, whether
    /// to retry), without matching on [`code`](Error::code) strings. Every variant belongs to
    /// exactly one kind, so a new variant is sorted here, once, and every caller follows.
    ///
    /// # Examples
    ///
    /// ```
    /// use admit::{Error, ErrorKind};
    ///
    /// let err = admit::inspect_unverified("not a token").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Unreadable);
    /// let status = match err.kind() {
    ///     ErrorKind::Unreadable => 400,
    ///     ErrorKind::Expired | ErrorKind::UsedUp | ErrorKind::Revoked => 410,
    ///     ErrorKind::StoreFailure => 503,
    ///     _ => 403,
    /// };
    /// assert_eq!(status, 400);
    /// assert_eq!(Error::StoreNotInitialized.kind(), ErrorKind::StoreFailure);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Malformed { .. }
            | Error::UnsupportedVersion { .. }
            | Error::TooLarge { .. }
            | Error::MissingToken
            | Error::InvalidUrl { .. } => ErrorKind::Unreadable,
            Error::UnknownKey { .. }
            | Error::BadSignature
            | Error::InvalidClaim { .. }
            | Error::WebhookRefused { .. } => ErrorKind::NotGenuine,
            Error::Expired { .. } => ErrorKind::Expired,
            Error::NotYetValid { .. } => ErrorKind::NotYetValid,
            Error::EmailMismatch | Error::InvalidEmail { .. } => ErrorKind::EmailRefused,
            Error::Revoked => ErrorKind::Revoked,
            Error::UsedUp { .. } => ErrorKind::UsedUp,
            Error::UnknownCode | Error::MistypedCode => ErrorKind::UnknownCode,
            Error::CodeTaken => ErrorKind::Conflict,
            Error::RevocationListRefused { problem } => problem.kind(),
            Error::RevocationListStale { .. } => ErrorKind::StoreFailure,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::InvalidContext { .. }
            | Error::InvalidKey { .. }
            | Error::DuplicateKeyId { .. }
            | Error::InvalidArgument { .. } => ErrorKind::InvalidInput,
            Error::StoreUnavailable { .. }
            | Error::StoreConnect { .. }
            | Error::StoreTimeout { .. }
            | Error::StoreMisconfigured { .. }
            | Error::StoreNotInitialized
            | Error::StoreDataLost { .. } => ErrorKind::StoreFailure,
            Error::Random => ErrorKind::System,
        }
    }

    pub(crate) const fn malformed(reason: &'static str) -> Error {
        Error::Malformed { reason }
    }

    pub(crate) const fn claim(claim: Claim, reason: &'static str) -> Error {
        Error::InvalidClaim { claim, reason }
    }
}

/// The class of an [`Error`] ([`Error::kind`]): what callers branch on.
///
/// The kinds are stable; adding one is a breaking change, so a `match` without a wildcard
/// stays complete. Within a kind, match the [`Error`] variant where the detail matters (an
/// invalid address and one that does not match are both [`ErrorKind::EmailRefused`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No usable token in the input: malformed text, an unknown format version, too long, no
    /// `invitation` parameter, an unusable URL.
    Unreadable,
    /// A well-formed token that this verifier must not trust: an unknown key, a bad
    /// signature, claims that break the format's rules.
    NotGenuine,
    /// The invitation's expiry (plus leeway) has passed.
    Expired,
    /// The invitation was issued in the future: a clock is wrong.
    NotYetValid,
    /// The email address presented is invalid, or not the one the invitation is bound to.
    EmailRefused,
    /// A store says the invitation was revoked.
    Revoked,
    /// A store says the invitation has been used as often as it allows.
    UsedUp,
    /// No invitation has that short code, or the code has a typo.
    UnknownCode,
    /// The request conflicts with what the store holds (a short code already taken).
    Conflict,
    /// Too many attempts from one client.
    RateLimited,
    /// An argument, key, context or setting given by the caller breaks a rule.
    InvalidInput,
    /// The store could not answer, or refuses to until an operator acts (unreachable, too
    /// slow, unsafely configured, not initialized). Never read it as "valid".
    StoreFailure,
    /// The operating system failed (its random number generator).
    System,
}

/// Why a revocation list was refused ([`Error::RevocationListRefused`]). Its
/// [`code`](ListProblem::code) is the result class of the list vectors in `FORMAT.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListProblem {
    /// Not a well-formed, canonical list: `reason` says which rule it broke.
    Malformed {
        /// The structural rule it broke.
        reason: &'static str,
    },
    /// Longer than the verifier accepts, or a count above the format's limits.
    TooLarge,
    /// A list version this library does not implement.
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// Signed by a key the verifier does not trust for lists.
    UnknownKey {
        /// The key ID the list carries.
        key_id: KeyId,
    },
    /// The signature does not match: altered, or made for another context.
    BadSignature,
    /// Its sequence is not above the loaded list's: serving an old list would undo revocations.
    Rollback {
        /// The sequence of the list loaded.
        loaded: u64,
        /// The sequence of the list offered.
        offered: u64,
    },
    /// A delta that extends another list than the one loaded.
    WrongBase {
        /// The sequence of the list loaded (`None`: none is).
        loaded: Option<u64>,
        /// The sequence the delta extends.
        base: u64,
    },
}

impl ListProblem {
    /// The result class: `malformed`, `too_large`, `unsupported_version`, `unknown_key`,
    /// `bad_signature`, `rollback`, `wrong_base`.
    ///
    /// ```
    /// assert_eq!(admit::ListProblem::BadSignature.code(), "bad_signature");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            ListProblem::Malformed { .. } => "malformed",
            ListProblem::TooLarge => "too_large",
            ListProblem::UnsupportedVersion { .. } => "unsupported_version",
            ListProblem::UnknownKey { .. } => "unknown_key",
            ListProblem::BadSignature => "bad_signature",
            ListProblem::Rollback { .. } => "rollback",
            ListProblem::WrongBase { .. } => "wrong_base",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            ListProblem::Malformed { .. }
            | ListProblem::TooLarge
            | ListProblem::UnsupportedVersion { .. } => ErrorKind::Unreadable,
            ListProblem::UnknownKey { .. } | ListProblem::BadSignature => ErrorKind::NotGenuine,
            ListProblem::Rollback { .. } | ListProblem::WrongBase { .. } => ErrorKind::Conflict,
        }
    }
}

impl fmt::Display for ListProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListProblem::Malformed { reason } => write!(f, "malformed: {reason}"),
            ListProblem::TooLarge => f.write_str("too large"),
            ListProblem::UnsupportedVersion { version } => {
                write!(f, "unsupported list version {version}")
            }
            ListProblem::UnknownKey { key_id } => {
                write!(f, "signed by key {key_id}, which is not trusted for lists")
            }
            ListProblem::BadSignature => f.write_str("bad signature"),
            ListProblem::Rollback { loaded, offered } => write!(
                f,
                "sequence {offered} is not newer than the loaded list's {loaded}"
            ),
            ListProblem::WrongBase {
                loaded: Some(loaded),
                base,
            } => write!(
                f,
                "a delta on sequence {base}, but the loaded list is sequence {loaded}"
            ),
            ListProblem::WrongBase { loaded: None, base } => {
                write!(f, "a delta on sequence {base}, but no full list is loaded")
            }
        }
    }
}

/// Names a claim in [`Error::InvalidClaim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Claim {
    /// The invitation ID.
    Id,
    /// The issue time.
    IssuedAt,
    /// The expiry (time to live or absolute time).
    ExpiresAt,
    /// The bound email address.
    Email,
    /// The maximum number of uses.
    MaxUses,
    /// Who invited.
    Inviter,
    /// The application data.
    Data,
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Claim::Id => "id",
            Claim::IssuedAt => "issued_at",
            Claim::ExpiresAt => "expires_at",
            Claim::Email => "email",
            Claim::MaxUses => "max_uses",
            Claim::Inviter => "inviter",
            Claim::Data => "data",
        })
    }
}

/// Formats a time as RFC 3339 (falling back to Unix seconds for times RFC 3339 cannot show).
struct Rfc3339Display(OffsetDateTime);

impl fmt::Display for Rfc3339Display {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            Err(_) => write!(f, "unix time {}", self.0.unix_timestamp()),
        }
    }
}
