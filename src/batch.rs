//! Batch verification: many signatures checked with one multiscalar multiplication, with the
//! same answer as checking each alone (up to the one class described on [`verify_all`]).

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity as _, VartimeMultiscalarMul as _};
use ed25519_dalek::{Digest, Sha512};

use crate::format::SIGNATURE_LEN;
use crate::key::KeyEntry;
use crate::sig;

/// One signature to check: the key, the whole signed message, the signature.
pub(crate) struct Signed<'a> {
    pub(crate) entry: &'a KeyEntry,
    pub(crate) message: &'a [u8],
    pub(crate) signature: &'a [u8; SIGNATURE_LEN],
}

/// Whether every signature is valid, checked together.
///
/// Single verification accepts `(R, S)` exactly when `R` is the canonical encoding of
/// `[S]B − [k]A`, `S < L` and `R` is not of small order. Here:
///
/// * every `R` must be a canonical encoding (`y < p`, and no sign bit on the two points with
///   `x = 0`) that is not of small order, and every `S` must be below `L`: bytes checks that
///   single verification implies, so no signature it rejects for its encoding gets further;
/// * then `Σ zᵢ(Rᵢ − [Sᵢ]B + [kᵢ]Aᵢ)` must be the identity, with weights `zᵢ = 8·uᵢ + 1` and
///   `uᵢ` 125 bits of a SHA-512 over the whole batch (no RNG: the verify-only build has none).
///
/// Keys are torsion-free (checked when loaded) and so is `B`, so each term's torsion part is
/// `Tᵢ`, the torsion part of `Rᵢ`; as `zᵢ ≡ 1 (mod 8)`, the torsion part of the sum is
/// `ΣTᵢ` whatever the weights. A lone `R` with a torsion component therefore always fails
/// the batch (dalek's batch equation, with 128-bit weights, let it through with probability
/// 1/order). The one difference left from single verification: two or more signatures in one
/// batch whose `R` carry torsion components that add up to the identity pass together. Each
/// needs a valid `S` for its `R`, so only the holder of the signing key can make them;
/// `tests/it/batch.rs` shows both cases. The prime-order parts pass only if every signature is
/// valid, except with probability about 2⁻¹²⁵, as for any batch verification.
pub(crate) fn verify_all(items: &[Signed<'_>]) -> bool {
    let mut rs = Vec::with_capacity(items.len());
    let mut parts = Vec::with_capacity(items.len());
    let mut seed = Sha512::new();
    seed.update(b"admit.batch.v1\x00");
    seed.update((items.len() as u64).to_le_bytes());
    for item in items {
        let (r_bytes, s_bytes) = item.signature.split_at(32);
        let Ok(r_bytes) = <[u8; 32]>::try_from(r_bytes) else {
            return false;
        };
        let Ok(s_bytes) = <[u8; 32]>::try_from(s_bytes) else {
            return false;
        };
        if !sig::r_is_acceptable(item.signature) {
            return false;
        }
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)) else {
            return false;
        };
        let Some(r) = CompressedEdwardsY(r_bytes).decompress() else {
            return false;
        };
        let a = item.entry.key.dalek().as_bytes();
        let k = Scalar::from_hash(
            Sha512::new()
                .chain_update(r_bytes)
                .chain_update(a)
                .chain_update(item.message),
        );
        seed.update(r_bytes);
        seed.update(s_bytes);
        seed.update(a);
        seed.update(k.as_bytes());
        rs.push(r);
        parts.push((item.entry, s, k));
    }
    let seed = seed.finalize();

    // Σ [z]R − [Σ zS]B + Σ_keys [Σ zk]A, with the A terms summed per key: a batch from one key
    // costs one point fewer per signature than dalek's equation. The R terms keep the integer
    // weights z < 2^128 as they are: a negated scalar is L − z, and L ≡ 5 (mod 8) would change
    // what the weight does to a torsion component.
    let mut b_coefficient = Scalar::ZERO;
    let mut keys: Vec<(&KeyEntry, Scalar)> = Vec::new();
    let mut scalars = Vec::with_capacity(items.len() + 4);
    for (i, (entry, s, k)) in parts.into_iter().enumerate() {
        let digest = Sha512::new()
            .chain_update(seed)
            .chain_update((i as u64).to_le_bytes())
            .finalize();
        let mut low = [0u8; 16];
        low.copy_from_slice(&digest[..16]);
        let z = Scalar::from(((u128::from_le_bytes(low) >> 3) << 3) | 1);
        b_coefficient += z * s;
        let zk = z * k;
        match keys
            .iter_mut()
            .find(|(e, _)| e.key.dalek().as_bytes() == entry.key.dalek().as_bytes())
        {
            Some((_, sum)) => *sum += zk,
            None => keys.push((entry, zk)),
        }
        scalars.push(z);
    }
    let mut points = rs;
    for (entry, sum) in &keys {
        scalars.push(*sum);
        points.push(entry.key.dalek().to_edwards());
    }
    scalars.push(-b_coefficient);
    points.push(ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(scalars, points).is_identity()
}
