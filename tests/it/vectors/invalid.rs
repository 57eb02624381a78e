//! The invalid vectors: each token breaks exactly one rule, named by its error class.

use curve25519_dalek::scalar::Scalar;

use super::{
    CONTEXT, InvalidVector, NOW, SEED_1, SEED_2, SEED_UNKNOWN, ValidVector, base_claims, body_with,
    invalid, key_id_of, seed, sequential_id, signed_claims, signed_payload, unhex,
};
use crate::reference::{RefClaims, join, payload, sign_body, sign_with_r};

pub(super) fn generate(valid: &[ValidVector]) -> Vec<InvalidVector> {
    let good = signed_claims(&base_claims());
    let mut inv = Vec::new();
    inv.push(invalid(
        "empty",
        "the empty string",
        String::new(),
        "malformed",
    ));
    inv.push(invalid(
        "too_large",
        "1025 ASCII characters (1025 bytes): refused before decoding",
        "A".repeat(admit::MAX_TOKEN_LEN + 1),
        "too_large",
    ));
    let mut big_valid_base64 = good.clone();
    while big_valid_base64.len() <= admit::MAX_TOKEN_LEN {
        big_valid_base64.push_str("AAAA");
    }
    inv.push(invalid(
        "too_large_even_if_well_formed_base64",
        "a valid token followed by enough 'AAAA' groups to pass the cap: the cap comes first",
        big_valid_base64,
        "too_large",
    ));

    // Canonical base64: needs a token whose length is not a multiple of 4.
    let odd = valid
        .iter()
        .map(|v| v.token.clone())
        .find(|t| t.len() % 4 != 0)
        .expect("a valid token with a partial final group");
    let pad = "=".repeat(4 - odd.len() % 4);
    inv.push(invalid(
        "padding",
        "a valid token with base64 '=' padding added",
        format!("{odd}{pad}"),
        "malformed",
    ));
    let mut trailing = odd.clone().into_bytes();
    let last = trailing.len() - 1;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let value = ALPHABET.iter().position(|&c| c == trailing[last]).unwrap();
    trailing[last] = ALPHABET[value | 1];
    inv.push(invalid(
        "non_zero_trailing_bits",
        "a valid token whose last character has a padding bit set (decodes to the same bytes)",
        String::from_utf8(trailing).unwrap(),
        "malformed",
    ));
    let with_url_char = valid
        .iter()
        .map(|v| v.token.clone())
        .find(|t| t.contains('-') || t.contains('_'))
        .expect("a valid token holding '-' or '_'");
    inv.push(invalid(
        "standard_alphabet",
        "a valid token with '-' and '_' replaced by '+' and '/'",
        with_url_char.replace('-', "+").replace('_', "/"),
        "malformed",
    ));
    inv.push(invalid(
        "inner_whitespace",
        "a space in the middle of a valid token",
        format!("{} {}", &good[..40], &good[40..]),
        "malformed",
    ));
    inv.push(invalid(
        "trailing_newline",
        "a valid token followed by a newline (verifiers do not trim)",
        format!("{good}\n"),
        "malformed",
    ));
    inv.push(invalid(
        "truncated",
        "a valid token cut to its first 40 characters",
        good[..40].to_owned(),
        "malformed",
    ));
    let mut bytes = crate::reference::decode(&good);
    bytes.truncate(bytes.len() - 3);
    inv.push(invalid(
        "truncated_signature",
        "the last 3 bytes dropped: the claims run into the signature",
        crate::reference::encode(&bytes),
        "malformed",
    ));

    // Payload rules, each in an otherwise valid, correctly signed token.
    let mut p = payload(&base_claims());
    p.push(0x00);
    inv.push(invalid(
        "trailing_bytes",
        "one 0x00 byte after the last claim (signed)",
        signed_payload(&p),
        "malformed",
    ));
    let mut p = vec![0x01];
    p.extend_from_slice(&sequential_id(0xa0));
    crate::reference::varint((NOW - 600) as u64, &mut p);
    p.extend_from_slice(&[0x90, 0x9c, 0x80, 0x00]); // 3600 with two redundant groups
    inv.push(invalid(
        "overlong_varint",
        "the ttl 3600 written as 4 varint bytes instead of 2 (signed)",
        signed_payload(&p),
        "malformed",
    ));
    let mut p = payload(&base_claims());
    p[0] |= 0x20;
    inv.push(invalid(
        "unknown_flag",
        "flag bit 5, which version 1 does not define (signed)",
        signed_payload(&p),
        "malformed",
    ));
    let mut p = payload(&base_claims());
    p[0] |= 0x08;
    p.extend_from_slice(&[0x02, 0xc3, 0x28]);
    inv.push(invalid(
        "invalid_utf8",
        "an inviter string holding the bytes c3 28, which are not UTF-8 (signed)",
        signed_payload(&p),
        "malformed",
    ));
    let mut p = payload(&base_claims());
    p[0] |= 0x08;
    p.extend_from_slice(&[0x05, b'a']);
    inv.push(invalid(
        "string_overruns_claims",
        "an inviter whose length prefix (5) runs past the end of the claims (signed)",
        signed_payload(&p),
        "malformed",
    ));

    let version_2 = body_with(2, key_id_of(SEED_1), &payload(&base_claims()));
    inv.push(invalid(
        "unsupported_version",
        "version byte 0x02 (signed)",
        sign_body(&seed(SEED_1), CONTEXT, &version_2),
        "unsupported_version",
    ));
    let version_0 = body_with(0, key_id_of(SEED_1), &payload(&base_claims()));
    inv.push(invalid(
        "version_zero",
        "version byte 0x00 (signed)",
        sign_body(&seed(SEED_1), CONTEXT, &version_0),
        "unsupported_version",
    ));

    // Claim rules.
    inv.push(invalid(
        "max_uses_zero",
        "max_uses = 0 (signed)",
        signed_claims(&RefClaims {
            max_uses: Some(0),
            ..base_claims()
        }),
        "invalid_claim",
    ));
    inv.push(invalid(
        "email_not_normalized",
        "email 'Ada@Example.com' in a token: tokens carry the lower-case form (signed)",
        signed_claims(&RefClaims {
            email: Some("Ada@Example.com".into()),
            ..base_claims()
        }),
        "invalid_claim",
    ));
    inv.push(invalid(
        "email_without_at",
        "email 'ada.example.com' (signed)",
        signed_claims(&RefClaims {
            email: Some("ada.example.com".into()),
            ..base_claims()
        }),
        "invalid_claim",
    ));
    inv.push(invalid(
        "ttl_zero",
        "expires at the issue time (signed)",
        signed_claims(&RefClaims {
            ttl: Some(0),
            ..base_claims()
        }),
        "invalid_claim",
    ));
    inv.push(invalid(
        "data_too_large",
        "257 bytes of app data (signed)",
        signed_claims(&RefClaims {
            data: Some(vec![0x5a; 257]),
            ..base_claims()
        }),
        "invalid_claim",
    ));
    inv.push(invalid(
        "inviter_empty",
        "an empty inviter string (signed)",
        signed_claims(&RefClaims {
            inviter: Some(String::new()),
            ..base_claims()
        }),
        "invalid_claim",
    ));

    // Keys and signatures.
    let unknown = body_with(1, key_id_of(SEED_UNKNOWN), &payload(&base_claims()));
    inv.push(invalid(
        "unknown_key",
        "signed by RFC 8032 test key 3, which is not in the key set",
        sign_body(&seed(SEED_UNKNOWN), CONTEXT, &unknown),
        "unknown_key",
    ));
    let swapped = body_with(1, key_id_of(SEED_2), &payload(&base_claims()));
    inv.push(invalid(
        "key_id_of_other_key",
        "names key 2 but is signed by key 1",
        sign_body(&seed(SEED_1), CONTEXT, &swapped),
        "bad_signature",
    ));
    let mut bytes = crate::reference::decode(&good);
    let n = bytes.len();
    bytes[n - 40] ^= 0x04;
    inv.push(invalid(
        "signature_bit_flip",
        "one bit of S flipped",
        crate::reference::encode(&bytes),
        "bad_signature",
    ));
    let mut bytes = crate::reference::decode(&good);
    bytes[20] ^= 0x01;
    inv.push(invalid(
        "claims_bit_flip",
        "one bit of the issue time flipped after signing",
        crate::reference::encode(&bytes),
        "bad_signature",
    ));
    inv.push(invalid(
        "wrong_context",
        "minted with the same key for the context 'acme/password-reset'",
        sign_body(
            &seed(SEED_1),
            "acme/password-reset",
            &body_with(1, key_id_of(SEED_1), &payload(&base_claims())),
        ),
        "bad_signature",
    ));
    inv.push(invalid(
        "s_not_reduced",
        "a valid signature with L added to S (same scalar, non-canonical encoding)",
        s_plus_l(&good),
        "bad_signature",
    ));
    for (name, r, what) in [
        (
            "small_order_r_non_canonical",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "y = p + 1, a second encoding of the identity",
        ),
        (
            "small_order_r_negative_zero",
            "0100000000000000000000000000000000000000000000000000000000000080",
            "the identity with the sign bit set",
        ),
        (
            "small_order_r_order_8",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
            "a point of order 8",
        ),
    ] {
        inv.push(invalid(
            name,
            &format!("R is {what} and S = k·a (signed by the key holder)"),
            chosen_r_token(unhex(r).try_into().unwrap()),
            "bad_signature",
        ));
    }
    inv.push(invalid(
        "torsion_r",
        "R = [r]B + a point of order 8, S = r + k·a: valid for cofactored verification, not for \
         the strict rule (signed by the key holder)",
        torsion_r_token(),
        "bad_signature",
    ));
    inv.push(invalid(
        "small_order_r",
        "R is the identity point and S = k·a: plain Ed25519 verify accepts it, strict does not",
        identity_r_token(),
        "bad_signature",
    ));

    // Integer encodings (FORMAT.md §4).
    let with_max_uses_bytes = |bytes: &[u8]| {
        let mut p = payload(&base_claims());
        p[0] |= 0x04;
        p.extend_from_slice(bytes);
        signed_payload(&p)
    };
    inv.push(invalid(
        "varint_u32_overflow",
        "max_uses as 5 varint bytes whose last is 0x10: over 2^32 - 1 (signed)",
        with_max_uses_bytes(&[0xff, 0xff, 0xff, 0xff, 0x10]),
        "malformed",
    ));
    inv.push(invalid(
        "varint_u32_six_bytes",
        "max_uses as 6 varint bytes (signed)",
        with_max_uses_bytes(&[0x81, 0x80, 0x80, 0x80, 0x80, 0x00]),
        "malformed",
    ));
    inv.push(invalid(
        "varint_zero_overlong",
        "max_uses 1 written 0x81 0x00 (signed)",
        with_max_uses_bytes(&[0x81, 0x00]),
        "malformed",
    ));
    let mut p = vec![0x00];
    p.extend_from_slice(&sequential_id(0xa0));
    p.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]);
    inv.push(invalid(
        "varint_u64_overflow",
        "issued_at as 10 varint bytes whose last is 0x02: over 2^64 - 1 (signed)",
        signed_payload(&p),
        "malformed",
    ));
    let mut p = vec![0x00];
    p.extend_from_slice(&sequential_id(0xa0));
    p.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    inv.push(invalid(
        "issued_at_u64_max",
        "issued_at 2^64 - 1, a well-formed varint (10 bytes, last 0x01) past year 9999 (signed)",
        signed_payload(&p),
        "invalid_claim",
    ));
    let mut p = payload(&base_claims());
    p[0] |= 0x08;
    p.extend_from_slice(&[0x83, 0x00, b'o', b'p', b's']);
    inv.push(invalid(
        "length_overlong",
        "an inviter length 3 written 0x83 0x00 (signed)",
        signed_payload(&p),
        "malformed",
    ));

    // The size cap (FORMAT.md §2) counts bytes of UTF-8.
    let mut at_cap = good.clone();
    while at_cap.len() < admit::MAX_TOKEN_LEN {
        at_cap.push('A');
    }
    inv.push(invalid(
        "exactly_at_cap",
        "1024 characters (a valid token padded with 'A'): not too large, but bytes follow the \
         claims",
        at_cap,
        "malformed",
    ));
    inv.push(invalid(
        "too_large_in_utf8",
        "600 × 'é': 600 UTF-16 code units but 1200 bytes of UTF-8, over the cap",
        "é".repeat(600),
        "too_large",
    ));
    inv.push(invalid(
        "non_ascii",
        "a valid token with its 10th character replaced by 'é'",
        format!("{}é{}", &good[..9], &good[10..]),
        "malformed",
    ));

    // Time window.
    inv.push(invalid(
        "expired",
        "expired 61 s before now: outside the 60 s leeway",
        signed_claims(&RefClaims {
            issued_at: (NOW - 3661) as u64,
            ttl: Some(3600),
            ..base_claims()
        }),
        "expired",
    ));
    inv.push(invalid(
        "not_yet_valid",
        "issued 61 s after now: outside the 60 s leeway",
        signed_claims(&RefClaims {
            issued_at: (NOW + 61) as u64,
            ..base_claims()
        }),
        "not_yet_valid",
    ));
    let mut mismatch = invalid(
        "email_mismatch",
        "bound to ada@example.com, presented by eve@example.com",
        signed_claims(&RefClaims {
            email: Some("ada@example.com".into()),
            ..base_claims()
        }),
        "email_mismatch",
    );
    mismatch.expect_email = Some("eve@example.com".into());
    inv.push(mismatch);

    inv
}

/// The signature of `token` with L added to S.
fn s_plus_l(token: &str) -> String {
    let bytes = crate::reference::decode(token);
    let (body, sig) = bytes.split_at(bytes.len() - 64);
    let mut sig: [u8; 64] = sig.try_into().unwrap();
    let l = unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(sig[32 + i]) + u16::from(l[i]) + carry;
        sig[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    join(body, &sig)
}

/// R = identity, S = k·a: satisfies [S]B = R + [k]A, so only the small-order rule rejects it.
fn identity_r_token() -> String {
    let mut r = [0u8; 32];
    r[0] = 1;
    chosen_r_token(r)
}

/// A token with the given `R` bytes and `S = k·a`, `k` hashed over exactly those bytes.
fn chosen_r_token(r: [u8; 32]) -> String {
    let body = body_with(1, key_id_of(SEED_1), &payload(&base_claims()));
    sign_with_r(&seed(SEED_1), CONTEXT, &body, r, Scalar::ZERO)
}

/// R = [r]B + T with T of order 8, and S = r + k·a: `[S]B − [k]A` is `[r]B`, not R.
fn torsion_r_token() -> String {
    let body = body_with(1, key_id_of(SEED_1), &payload(&base_claims()));
    let r = Scalar::from(0x5eed_u64);
    let big_r = (curve25519_dalek::EdwardsPoint::mul_base(&r)
        + curve25519_dalek::constants::EIGHT_TORSION[1])
        .compress()
        .to_bytes();
    sign_with_r(&seed(SEED_1), CONTEXT, &body, big_r, r)
}
