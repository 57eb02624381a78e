//! Signing keys, verifying keys, key IDs and key sets for rotation.

use core::fmt;
use core::str::FromStr;
use std::sync::Arc;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::VartimeEdwardsPrecomputation;
use curve25519_dalek::traits::VartimePrecomputedMultiscalarMul;
use ed25519_dalek::hazmat::ExpandedSecretKey;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use zeroize::Zeroizing;

use crate::error::Error;

/// Length of a raw secret key (an Ed25519 seed) in bytes.
pub const SECRET_KEY_LEN: usize = 32;
/// Length of a raw public key in bytes.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of a [`KeyId`] in bytes.
pub const KEY_ID_LEN: usize = 4;

/// A short identifier of a verifying key, carried in every token so a verifier holding several
/// keys (during a rotation) knows which one to try.
///
/// It is the first four bytes of the 32-byte public key: anyone holding the public key can
/// compute it, and it is not a secret. It only *selects* a key; the signature is what proves
/// the token, and the key ID is covered by the signature.
///
/// Shown as eight lowercase hex digits.
///
/// # Examples
///
/// ```
/// let key = admit::SigningKey::from_bytes(&[7; 32]);
/// let id = key.key_id();
/// assert_eq!(id.to_string().len(), 8);
/// assert_eq!(id.to_string().parse::<admit::KeyId>()?, id);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KEY_ID_LEN]);

impl KeyId {
    /// Wraps four raw bytes.
    pub const fn from_bytes(bytes: [u8; KEY_ID_LEN]) -> KeyId {
        KeyId(bytes)
    }

    /// The four raw bytes.
    pub const fn to_bytes(self) -> [u8; KEY_ID_LEN] {
        self.0
    }

    fn of(public: &[u8; PUBLIC_KEY_LEN]) -> KeyId {
        KeyId([public[0], public[1], public[2], public[3]])
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::hex::write(f, &self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl FromStr for KeyId {
    type Err = Error;

    /// Parses eight hex digits.
    fn from_str(s: &str) -> Result<KeyId, Error> {
        crate::hex::decode::<KEY_ID_LEN>(s)
            .map(KeyId)
            .ok_or(Error::InvalidKey {
                reason: "a key ID is eight hex digits",
            })
    }
}

/// An Ed25519 signing key: mints invitations.
///
/// The secret is wiped from memory when the key is dropped, and `Debug` shows only the
/// [`KeyId`]. Keep it where only the minting service can read it; verifiers need only the
/// [`VerifyingKey`].
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "rand")] {
/// let key = admit::SigningKey::generate()?;
/// let pem = key.to_pkcs8_pem()?;               // store this secretly (e.g. mode 0600)
/// let again = admit::SigningKey::from_pkcs8_pem(&pem)?;
/// assert_eq!(again.verifying_key(), key.verifying_key());
/// assert!(!format!("{key:?}").contains(&*pem));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SigningKey {
    inner: ed25519_dalek::SigningKey,
    /// The SHA-512 expansion of the seed, computed once rather than on every signature.
    expanded: ExpandedSecretKey,
    public: VerifyingKey,
}

impl Clone for SigningKey {
    fn clone(&self) -> SigningKey {
        SigningKey::from_dalek(self.inner.clone())
    }
}

impl SigningKey {
    /// Makes a new key from the operating system's random number generator.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] if the OS RNG fails.
    #[cfg(feature = "rand")]
    pub fn generate() -> Result<SigningKey, Error> {
        let mut seed = Zeroizing::new([0u8; SECRET_KEY_LEN]);
        crate::random::fill(&mut seed[..])?;
        Ok(SigningKey::from_bytes(&seed))
    }

    /// Builds a key from its 32-byte secret (the Ed25519 seed).
    ///
    /// Every 32-byte string is a valid seed. Use fixed seeds only in tests.
    pub fn from_bytes(secret: &[u8; SECRET_KEY_LEN]) -> SigningKey {
        SigningKey::from_dalek(ed25519_dalek::SigningKey::from_bytes(secret))
    }

    /// The 32-byte secret, in a buffer that is wiped when dropped.
    pub fn to_bytes(&self) -> Zeroizing<[u8; SECRET_KEY_LEN]> {
        Zeroizing::new(self.inner.to_bytes())
    }

    /// Reads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`), such as the output of
    /// `openssl genpkey -algorithm ed25519`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] if the text is not a PKCS#8 Ed25519 private key in PEM, or if it
    /// carries a public key that does not match the secret.
    pub fn from_pkcs8_pem(pem: &str) -> Result<SigningKey, Error> {
        let inner = ed25519_dalek::SigningKey::from_pkcs8_pem(pem.trim()).map_err(|_| {
            Error::InvalidKey {
                reason: "not a PKCS#8 PEM Ed25519 private key",
            }
        })?;
        Ok(SigningKey::from_dalek(inner))
    }

    /// Reads a PKCS#8 DER private key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] if the bytes are not a PKCS#8 Ed25519 private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<SigningKey, Error> {
        let inner =
            ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(|_| Error::InvalidKey {
                reason: "not a PKCS#8 DER Ed25519 private key",
            })?;
        Ok(SigningKey::from_dalek(inner))
    }

    /// Writes the key as PKCS#8 PEM (with `\n` line endings), in a string wiped when dropped.
    ///
    /// The output is the classic PKCS#8 v1 form that `openssl genpkey` writes (the secret only,
    /// no embedded public key), which every tool reads; OpenSSL 3.0 refuses the v2 form.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] if encoding fails (it does not for a valid key).
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, Error> {
        // `KeypairBytes` wipes its copy of the secret when dropped.
        let v1 = ed25519_dalek::pkcs8::KeypairBytes {
            secret_key: self.inner.to_bytes(),
            public_key: None,
        };
        v1.to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| Error::InvalidKey {
                reason: "PKCS#8 encoding failed",
            })
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.public
    }

    /// The key ID carried by tokens this key signs.
    pub fn key_id(&self) -> KeyId {
        self.public.key_id
    }

    fn from_dalek(inner: ed25519_dalek::SigningKey) -> SigningKey {
        let public = VerifyingKey::from_dalek(inner.verifying_key());
        let expanded = ExpandedSecretKey::from(inner.as_bytes());
        SigningKey {
            inner,
            expanded,
            public,
        }
    }

    pub(crate) fn expanded(&self) -> &ExpandedSecretKey {
        &self.expanded
    }
}

// The wrapped dalek key wipes its secret when dropped, so this key does too.
impl zeroize::ZeroizeOnDrop for SigningKey {}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &self.public.key_id)
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key: verifies invitations. Not a secret.
///
/// Only keys that are safe to verify against are accepted: the encoding must be canonical and
/// the point must lie in the prime-order subgroup (no small-order or mixed-order points). Every
/// honestly generated key passes; see `FORMAT.md` for why the rule exists.
///
/// # Examples
///
/// ```
/// let key = admit::SigningKey::from_bytes(&[7; 32]).verifying_key();
/// let pem = key.to_public_key_pem()?;
/// assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
/// assert_eq!(admit::VerifyingKey::from_public_key_pem(&pem)?, key);
/// assert_eq!(admit::VerifyingKey::from_bytes(&key.to_bytes())?, key);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VerifyingKey {
    inner: ed25519_dalek::VerifyingKey,
    key_id: KeyId,
}

impl VerifyingKey {
    /// Reads a raw 32-byte public key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] if the bytes are not the canonical encoding of a point, or the
    /// point is weak (small order) or carries a torsion component.
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<VerifyingKey, Error> {
        let inner =
            ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| Error::InvalidKey {
                reason: "not an Ed25519 public key",
            })?;
        let point = inner.to_edwards();
        if point.compress().to_bytes() != *bytes {
            return Err(Error::InvalidKey {
                reason: "non-canonical public key encoding",
            });
        }
        if inner.is_weak() {
            return Err(Error::InvalidKey {
                reason: "weak public key (small order)",
            });
        }
        if !point.is_torsion_free() {
            return Err(Error::InvalidKey {
                reason: "public key has a torsion component",
            });
        }
        Ok(VerifyingKey::from_dalek(inner))
    }

    /// Reads an SPKI PEM public key (`-----BEGIN PUBLIC KEY-----`), such as the output of
    /// `openssl pkey -pubout`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] if the text is not an SPKI Ed25519 public key in PEM, or the key
    /// fails the checks of [`VerifyingKey::from_bytes`].
    pub fn from_public_key_pem(pem: &str) -> Result<VerifyingKey, Error> {
        let inner = ed25519_dalek::VerifyingKey::from_public_key_pem(pem.trim()).map_err(|_| {
            Error::InvalidKey {
                reason: "not an SPKI PEM Ed25519 public key",
            }
        })?;
        VerifyingKey::from_bytes(inner.as_bytes())
    }

    /// Reads an SPKI DER public key.
    ///
    /// # Errors
    ///
    /// As for [`VerifyingKey::from_public_key_pem`].
    pub fn from_public_key_der(der: &[u8]) -> Result<VerifyingKey, Error> {
        let inner = ed25519_dalek::VerifyingKey::from_public_key_der(der).map_err(|_| {
            Error::InvalidKey {
                reason: "not an SPKI DER Ed25519 public key",
            }
        })?;
        VerifyingKey::from_bytes(inner.as_bytes())
    }

    /// Writes the key as SPKI PEM (with `\n` line endings).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] if encoding fails (it does not for a valid key).
    pub fn to_public_key_pem(&self) -> Result<String, Error> {
        self.inner
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| Error::InvalidKey {
                reason: "SPKI encoding failed",
            })
    }

    /// The raw 32 bytes.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.inner.to_bytes()
    }

    /// The key ID: the first four bytes of the public key.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    fn from_dalek(inner: ed25519_dalek::VerifyingKey) -> VerifyingKey {
        let key_id = KeyId::of(inner.as_bytes());
        VerifyingKey { inner, key_id }
    }

    pub(crate) fn dalek(&self) -> &ed25519_dalek::VerifyingKey {
        &self.inner
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Hex<'a>(&'a [u8]);
        impl fmt::Debug for Hex<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                crate::hex::write(f, self.0)
            }
        }
        f.debug_struct("VerifyingKey")
            .field("key_id", &self.key_id)
            .field("bytes", &Hex(self.inner.as_bytes()))
            .finish()
    }
}

impl TryFrom<&[u8]> for VerifyingKey {
    type Error = Error;

    fn try_from(bytes: &[u8]) -> Result<VerifyingKey, Error> {
        let bytes: &[u8; PUBLIC_KEY_LEN] = bytes.try_into().map_err(|_| Error::InvalidKey {
            reason: "a raw public key is 32 bytes",
        })?;
        VerifyingKey::from_bytes(bytes)
    }
}

/// The verifying keys a [`Verifier`](crate::Verifier) accepts, looked up by [`KeyId`].
///
/// Rotation: add the new key, let issuers switch to it, and remove the old key once the last
/// token it signed has expired (or sooner, to cut those tokens off).
///
/// # Examples
///
/// ```
/// use admit::{KeySet, SigningKey};
///
/// let old = SigningKey::from_bytes(&[1; 32]).verifying_key();
/// let new = SigningKey::from_bytes(&[2; 32]).verifying_key();
/// let mut keys = KeySet::from_keys([old, new])?;
/// assert_eq!(keys.get(old.key_id()), Some(&old));
/// keys.remove(old.key_id());
/// assert_eq!(keys.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct KeySet {
    // A handful of keys at most: a linear scan beats hashing.
    entries: Vec<KeyEntry>,
}

/// A key with its verification tables.
#[derive(Clone)]
pub(crate) struct KeyEntry {
    pub(crate) key: VerifyingKey,
    /// Precomputed odd multiples of `B` and `−A` (width-8 NAF tables): verification computes
    /// `[s]B + [k](−A)` with both points static, about 6% cheaper than with `A` dynamic.
    pub(crate) table: Arc<VartimeEdwardsPrecomputation>,
}

impl KeyEntry {
    pub(crate) fn new(key: VerifyingKey) -> KeyEntry {
        let minus_a = -key.inner.to_edwards();
        let table = VartimeEdwardsPrecomputation::new([ED25519_BASEPOINT_POINT, minus_a]);
        KeyEntry {
            key,
            table: Arc::new(table),
        }
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for KeySet {
    fn eq(&self, other: &KeySet) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for KeySet {}

impl KeySet {
    /// An empty key set (it verifies nothing until a key is added).
    pub fn new() -> KeySet {
        KeySet::default()
    }

    /// A key set holding `keys`.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateKeyId`] if two different keys share a key ID.
    pub fn from_keys(keys: impl IntoIterator<Item = VerifyingKey>) -> Result<KeySet, Error> {
        let mut set = KeySet::new();
        for key in keys {
            set.insert(key)?;
        }
        Ok(set)
    }

    /// Adds a key. Adding a key that is already present does nothing.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateKeyId`] if a *different* key with the same key ID is present (one
    /// chance in about four billion per pair of keys; make a new key).
    pub fn insert(&mut self, key: VerifyingKey) -> Result<(), Error> {
        match self.get(key.key_id()) {
            Some(existing) if *existing == key => Ok(()),
            Some(_) => Err(Error::DuplicateKeyId {
                key_id: key.key_id(),
            }),
            None => {
                self.entries.push(KeyEntry::new(key));
                Ok(())
            }
        }
    }

    /// Removes and returns the key with this ID, if present.
    pub fn remove(&mut self, key_id: KeyId) -> Option<VerifyingKey> {
        let at = self.entries.iter().position(|e| e.key.key_id() == key_id)?;
        Some(self.entries.remove(at).key)
    }

    /// The key with this ID.
    pub fn get(&self, key_id: KeyId) -> Option<&VerifyingKey> {
        self.entry(key_id).map(|e| &e.key)
    }

    pub(crate) fn entry(&self, key_id: KeyId) -> Option<&KeyEntry> {
        self.entries.iter().find(|e| e.key.key_id() == key_id)
    }

    /// How many keys the set holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keys, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &VerifyingKey> {
        self.entries.iter().map(|e| &e.key)
    }
}

impl From<VerifyingKey> for KeySet {
    fn from(key: VerifyingKey) -> KeySet {
        KeySet {
            entries: vec![KeyEntry::new(key)],
        }
    }
}
