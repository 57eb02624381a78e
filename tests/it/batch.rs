use admit::{Invitation, Issuer, KeySet, Verifier};
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;

use crate::reference::{SMALL_ORDER_ENCODINGS, sign_with_r, unhex32};

use crate::{CONTEXT, NOW, at, id, issuer, key};

fn tokens(n: u8) -> Vec<String> {
    let i = issuer();
    (0..n)
        .map(|k| {
            i.mint_with_id(
                Invitation::builder().inviter(format!("user{k}")),
                id(k),
                at(NOW),
            )
            .unwrap()
            .into_string()
        })
        .collect()
}

/// Every batch result equals the single-token result.
fn assert_same_as_single(v: &Verifier, tokens: &[String]) {
    let batch = v.verify_batch_at(tokens, at(NOW));
    assert_eq!(batch.len(), tokens.len());
    for (t, b) in tokens.iter().zip(&batch) {
        assert_eq!(&v.verify_at(t, at(NOW)), b);
    }
}

#[test]
fn sixty_four_valid_tokens() {
    let ts = tokens(64);
    let v = issuer().verifier();
    let results = v.verify_batch_at(&ts, at(NOW));
    for (k, r) in results.iter().enumerate() {
        assert_eq!(r.as_ref().unwrap().id(), id(k as u8));
    }
    assert_same_as_single(&v, &ts);
}

#[test]
fn one_forged_token_among_sixty_four_is_named() {
    let mut ts = tokens(64);
    // Re-sign token 17's body with another key that claims the same key ID: only its
    // signature is wrong, so only the batch equation can catch it.
    let forged = &mut ts[17];
    let mut bytes = crate::reference::decode(forged);
    let n = bytes.len();
    bytes[n - 1] ^= 0x01;
    *forged = crate::reference::encode(&bytes);
    let v = issuer().verifier();
    let results = v.verify_batch_at(&ts, at(NOW));
    for (k, r) in results.iter().enumerate() {
        if k == 17 {
            assert_eq!(r, &Err(admit::Error::BadSignature));
        } else {
            assert!(r.is_ok(), "token {k}");
        }
    }
    assert_same_as_single(&v, &ts);
}

#[test]
fn mixed_failures_keep_their_own_errors() {
    let other = Issuer::new(key(2), CONTEXT).unwrap();
    let wrong_context = Issuer::new(key(1), "acme/other").unwrap();
    let mut ts = tokens(4);
    ts.push("".into());
    ts.push("!!!".into());
    ts.push(
        other
            .mint_with_id(Invitation::builder(), id(9), at(NOW))
            .unwrap()
            .into_string(),
    );
    ts.push(
        issuer()
            .mint_with_id(
                Invitation::builder().ttl(time::Duration::seconds(1)),
                id(8),
                at(NOW - 600),
            )
            .unwrap()
            .into_string(),
    );
    ts.push(
        wrong_context
            .mint_with_id(Invitation::builder(), id(7), at(NOW))
            .unwrap()
            .into_string(),
    );
    let v = issuer().verifier();
    let codes: Vec<&str> = v
        .verify_batch_at(&ts, at(NOW))
        .iter()
        .map(|r| r.as_ref().map_or_else(|e| e.code(), |_| "ok"))
        .collect();
    assert_eq!(
        codes,
        [
            "ok",
            "ok",
            "ok",
            "ok",
            "malformed",
            "malformed",
            "unknown_key",
            "expired",
            "bad_signature"
        ]
    );
    assert_same_as_single(&v, &ts);
    // With both keys known, the other key's token verifies too.
    let both = Verifier::new(
        KeySet::from_keys([key(1).verifying_key(), key(2).verifying_key()]).unwrap(),
        CONTEXT,
    )
    .unwrap();
    assert!(both.verify_batch_at(&ts, at(NOW))[6].is_ok());
    assert_same_as_single(&both, &ts);
}

#[test]
fn empty_and_single_batches() {
    let v = issuer().verifier();
    assert!(v.verify_batch_at::<&str>(&[], at(NOW)).is_empty());
    let ts = tokens(1);
    assert_same_as_single(&v, &ts);
}

/// The body of a fresh token of the test issuer (key 1, seed `[1; 32]`).
fn body(n: u8) -> Vec<u8> {
    let token = issuer()
        .mint_with_id(Invitation::builder(), id(n), at(NOW))
        .unwrap();
    let bytes = crate::reference::decode(token.as_str());
    bytes[..bytes.len() - 64].to_vec()
}

/// Re-signed with `R = [r]B + T` and a valid `S` for that `R` (only the key holder can make
/// one): single verification rejects it, as `R` is not `[S]B − [k]A` exactly.
fn with_torsion(n: u8, torsion: &EdwardsPoint) -> String {
    let r = Scalar::from(1_000_003u64 * u64::from(n) + 7);
    let big_r = (EdwardsPoint::mul_base(&r) + torsion).compress().to_bytes();
    sign_with_r(&[1; 32], CONTEXT, &body(100 + n), big_r, r)
}

/// `R` is the given (small-order) encoding and `S = k·a`: `[S]B − [k]A` is the identity, so
/// checks that decode `R` loosely can pass it.
fn with_small_order_r(n: u8, r: [u8; 32]) -> String {
    sign_with_r(&[1; 32], CONTEXT, &body(150 + n), r, Scalar::ZERO)
}

/// Each small-order encoding of `R`, canonical or not, fails alone and inside a batch of
/// valid tokens, exactly as single verification says. (ed25519-dalek's batch equation, which
/// admit used before, passed `eeff…7f` and `0100…80` every time.)
#[test]
fn small_order_r_in_any_encoding_fails_in_a_batch() {
    let v = issuer().verifier();
    for (n, text) in SMALL_ORDER_ENCODINGS.iter().enumerate() {
        let encoding = unhex32(text);
        if CompressedEdwardsY(encoding).decompress().is_some() {
            // All but a few decode; those that do are of small order.
            let point = CompressedEdwardsY(encoding).decompress().unwrap();
            assert!(point.is_small_order(), "{text}");
        }
        let bad = with_small_order_r(n as u8, encoding);
        let mut ts = tokens(16);
        ts.insert(5, bad.clone());
        assert_eq!(v.verify_at(&bad, at(NOW)), Err(admit::Error::BadSignature));
        let batch = v.verify_batch_at(&ts, at(NOW));
        assert_eq!(batch[5], Err(admit::Error::BadSignature), "{text}");
        assert_same_as_single(&v, &ts);
    }
}

/// A signature whose `R` has a torsion component, alone in a batch of valid tokens, fails the
/// batch equation every time, for each of the seven torsion points: batch and single agree.
#[test]
fn torsion_in_one_r_fails_the_batch_deterministically() {
    let v = issuer().verifier();
    for (t, torsion) in EIGHT_TORSION.iter().enumerate().skip(1) {
        let bad = with_torsion(t as u8, torsion);
        assert_eq!(v.verify_at(&bad, at(NOW)), Err(admit::Error::BadSignature));
        for position in [0, 31, 63] {
            let mut ts = tokens(63);
            ts.insert(position, bad.clone());
            let batch = v.verify_batch_at(&ts, at(NOW));
            assert_eq!(
                batch[position],
                Err(admit::Error::BadSignature),
                "torsion {t}"
            );
            assert_same_as_single(&v, &ts);
        }
    }
}

/// The one documented difference (src/batch.rs, FORMAT.md §6): two signatures in one batch
/// whose `R` carry torsion components that cancel (T and −T) pass the batch together, though
/// single verification rejects each. Only the signing key can make them. This test pins the
/// class down: if it ever stops holding, the documentation must change with it.
#[test]
fn cancelling_torsion_pairs_are_the_documented_difference() {
    let v = issuer().verifier();
    for (t, torsion) in EIGHT_TORSION.iter().enumerate().skip(1) {
        let a = with_torsion(10 + t as u8, torsion);
        let b = with_torsion(20 + t as u8, &-torsion);
        let mut ts = tokens(8);
        ts.push(a.clone());
        ts.push(b.clone());
        let batch = v.verify_batch_at(&ts, at(NOW));
        assert!(batch[8].is_ok() && batch[9].is_ok(), "torsion {t}");
        assert_eq!(v.verify_at(&a, at(NOW)), Err(admit::Error::BadSignature));
        assert_eq!(v.verify_at(&b, at(NOW)), Err(admit::Error::BadSignature));
        // Three torsioned signatures that do not cancel fail again.
        ts.push(with_torsion(30 + t as u8, torsion));
        let batch = v.verify_batch_at(&ts, at(NOW));
        assert!(batch[8..].iter().all(|r| r.is_err()), "torsion {t}");
        assert_same_as_single(&v, &ts);
    }
}
