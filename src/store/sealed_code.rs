//! Short codes at rest: what a store keeps for a code is of no use without the code.
//!
//! A short code stands for a token, and a token is a working invitation link. So the store
//! never sees either: [`ShortCodes`](super::ShortCodes) turns the code's canonical form into
//! 48 bytes with Argon2id (RFC 9106), keys the entry by the first 16 (as 32 hex digits), and
//! keeps the token sealed with XChaCha20-Poly1305 under the other 32. A copy of the store (a
//! backup, a replica, `KEYS *`, `SELECT * FROM admit_codes`) holds only those: to get a link out
//! of it, an attacker must guess codes offline, one Argon2id computation per guess, and the
//! limiter in front of [`resolve_code`](super::ShortCodes::resolve_code) still counts every
//! online try.
//!
//! # Parameters, and what a guess costs
//!
//! Argon2id version 1.3 with 12 MiB of memory, 3 passes and one lane (one of OWASP's
//! recommended settings for password storage), a fixed salt (`admit.short-code.v1`) and a
//! 48-byte output. The salt must be fixed: a code is found by its hash, so every store derives
//! the same hash from the same code. One derivation takes about 17 ms on one core of the 2-core
//! AMD EPYC this crate is measured on (`cargo bench -p admit-bench --bench codes`: 17.4 ms, and
//! `resolve_code` 21 ms in all), and a GPU gains little on a memory-hard function. An
//! 8-character random code has 2⁴⁰ values: with a million live codes in a stolen copy, the first
//! hit takes about 2⁴⁰ / 10⁶ ≈ 1.1 million derivations, some 5 core-hours; 10-character codes
//! (2⁵⁰) take a thousand times longer, about 200 core-days, per
//! invitation found. Vanity codes (`LAUNCH-2024`) fall to a dictionary: keep them for
//! invitations where a guess costs nothing.
//!
//! # The sealed value
//!
//! `s1.` then the unpadded base64url of the 24-byte nonce and the ciphertext with its 16-byte
//! tag; the associated data is the 16-byte lookup hash, so an entry moved to another code does
//! not open. The nonce is the first 24 bytes of SHA-256 over a domain tag, the key and the
//! token: a code's key is the same every time the code is created (after its previous
//! invitation expired, say), and a nonce drawn from the token never repeats for two different
//! tokens under one key. No randomness is needed, so vanity codes work without the `rand`
//! feature.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead as _, Payload};
use chacha20poly1305::{KeyInit as _, XChaCha20Poly1305, XNonce};
use sha2::{Digest as _, Sha256};

use crate::error::Error;

/// Argon2id's memory in KiB, passes and lanes.
const MEMORY_KIB: u32 = 12 * 1024;
const PASSES: u32 = 3;
const LANES: u32 = 1;
/// The salt every store uses: a code is looked up by its hash.
const SALT: &[u8] = b"admit.short-code.v1";
/// Bytes of the hash that key the entry; the rest is the sealing key.
const LOOKUP_LEN: usize = 16;
const KEY_LEN: usize = 32;
/// What a sealed value starts with.
const SEALED_PREFIX: &str = "s1.";
const NONCE_LEN: usize = 24;

/// What a canonical code derives: where its entry is, and the key that seals its token.
pub(crate) struct CodeKeys {
    /// The entry's key in the store: 32 lowercase hex digits.
    pub(crate) lookup: String,
    lookup_bytes: [u8; LOOKUP_LEN],
    key: [u8; KEY_LEN],
}

impl core::fmt::Debug for CodeKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The lookup hash is what the store holds anyway; the key opens the token.
        f.debug_struct("CodeKeys")
            .field("lookup", &self.lookup)
            .finish_non_exhaustive()
    }
}

impl Drop for CodeKeys {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

/// The keys of a canonical code: one Argon2id derivation (about 17 ms of one core).
pub(crate) fn derive(canonical: &str) -> Result<CodeKeys, Error> {
    let failed = |_| Error::StoreUnavailable {
        reason: "deriving a short code's key failed".into(),
    };
    let params = argon2::Params::new(MEMORY_KIB, PASSES, LANES, Some(LOOKUP_LEN + KEY_LEN))
        .map_err(failed)?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = [0u8; LOOKUP_LEN + KEY_LEN];
    argon
        .hash_password_into(canonical.as_bytes(), SALT, &mut out)
        .map_err(failed)?;
    let mut lookup_bytes = [0u8; LOOKUP_LEN];
    let mut key = [0u8; KEY_LEN];
    lookup_bytes.copy_from_slice(&out[..LOOKUP_LEN]);
    key.copy_from_slice(&out[LOOKUP_LEN..]);
    zeroize::Zeroize::zeroize(&mut out);
    let mut lookup = String::with_capacity(2 * LOOKUP_LEN);
    crate::hex::push(&mut lookup, &lookup_bytes);
    Ok(CodeKeys {
        lookup,
        lookup_bytes,
        key,
    })
}

/// [`derive`] off the async executor where a Tokio runtime runs it (a derivation would hold
/// one of its threads for 17 ms), in place otherwise.
pub(crate) async fn derive_off_thread(canonical: &str) -> Result<CodeKeys, Error> {
    #[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
    if tokio::runtime::Handle::try_current().is_ok() {
        let canonical = canonical.to_owned();
        return tokio::task::spawn_blocking(move || derive(&canonical))
            .await
            .unwrap_or_else(|_| {
                Err(Error::StoreUnavailable {
                    reason: "deriving a short code's key stopped".into(),
                })
            });
    }
    derive(canonical)
}

impl CodeKeys {
    /// `token` sealed under this code's key, as the store keeps it.
    pub(crate) fn seal(&self, token: &str) -> Result<String, Error> {
        let mut nonce = [0u8; NONCE_LEN];
        let digest = Sha256::new()
            .chain_update(b"admit.short-code.nonce.v1\0")
            .chain_update(self.key)
            .chain_update(token.as_bytes())
            .finalize();
        nonce.copy_from_slice(&digest[..NONCE_LEN]);
        let payload = Payload {
            msg: token.as_bytes(),
            aad: &self.lookup_bytes,
        };
        let sealed = self
            .cipher()
            .encrypt(&XNonce::from(nonce), payload)
            .map_err(|_| Error::StoreUnavailable {
                reason: "sealing a short code's token failed".into(),
            })?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The token a stored value seals, or an error if the value was not sealed under this
    /// code (altered in the store, or written in the form before sealing).
    pub(crate) fn open(&self, stored: &str) -> Result<String, Error> {
        let damaged = || Error::StoreUnavailable {
            reason: "a short code's stored entry does not open with the code: it was altered \
                     in the store, or written before codes were sealed (create the code again)"
                .into(),
        };
        let text = stored.strip_prefix(SEALED_PREFIX).ok_or_else(damaged)?;
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| damaged())?;
        if bytes.len() < NONCE_LEN {
            return Err(damaged());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| damaged())?;
        let payload = Payload {
            msg: sealed,
            aad: &self.lookup_bytes,
        };
        let token = self
            .cipher()
            .decrypt(&XNonce::from(nonce), payload)
            .map_err(|_| damaged())?;
        String::from_utf8(token).map_err(|_| damaged())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.key.into())
    }
}

#[cfg(test)]
mod tests {
    use super::derive;

    #[test]
    fn sealed_tokens_open_with_their_code_only() {
        let a = derive("7K3MQ9XWD").unwrap();
        let again = derive("7K3MQ9XWD").unwrap();
        let b = derive("7K3MQ9XWE").unwrap();
        assert_eq!(a.lookup, again.lookup, "a code is found by its hash");
        assert_eq!(a.lookup.len(), 32);
        assert_ne!(a.lookup, b.lookup);

        let token = "AQAAAAB-not-a-real-token";
        let sealed = a.seal(token).unwrap();
        assert!(sealed.starts_with("s1."));
        assert!(!sealed.contains(token), "{sealed}");
        assert_eq!(again.open(&sealed).unwrap(), token);
        // Another code's key, a changed byte, the old plain form: refused, never garbage.
        assert!(b.open(&sealed).is_err());
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(a.open(core::str::from_utf8(&altered).unwrap()).is_err());
        assert!(a.open(token).is_err());
        assert!(a.open("s1.").is_err());
        // The same token seals the same way; another token gets another nonce.
        assert_eq!(a.seal(token).unwrap(), sealed);
        let other = a.seal("AQAAAAB-another-token").unwrap();
        assert_ne!(other[3..35], sealed[3..35]);
        assert!(!format!("{a:?}").contains("key:"));
    }
}
