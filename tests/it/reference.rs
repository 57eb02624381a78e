//! An independent encoder written from FORMAT.md alone (hand-rolled varints, raw dalek
//! signing), to show the library produces exactly the specified bytes.

use admit::Invitation;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::Signer as _;
use proptest::prelude::*;
use sha2::{Digest, Sha512};

use crate::{CONTEXT, NOW, at, id, issuer};

pub const DOMAIN: &[u8] = b"admit.invitation.v1\x00";

#[derive(Clone, Debug, Default)]
pub struct RefClaims {
    pub id: [u8; 12],
    pub issued_at: u64,
    pub ttl: Option<u64>,
    pub email: Option<String>,
    pub max_uses: Option<u32>,
    pub inviter: Option<String>,
    pub data: Option<Vec<u8>>,
}

pub fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn bytes(b: &[u8], out: &mut Vec<u8>) {
    varint(b.len() as u64, out);
    out.extend_from_slice(b);
}

pub fn payload(c: &RefClaims) -> Vec<u8> {
    let mut out = Vec::new();
    let flags = u8::from(c.ttl.is_some())
        | u8::from(c.email.is_some()) << 1
        | u8::from(c.max_uses.is_some()) << 2
        | u8::from(c.inviter.is_some()) << 3
        | u8::from(c.data.is_some()) << 4;
    out.push(flags);
    out.extend_from_slice(&c.id);
    varint(c.issued_at, &mut out);
    if let Some(ttl) = c.ttl {
        varint(ttl, &mut out);
    }
    if let Some(email) = &c.email {
        bytes(email.as_bytes(), &mut out);
    }
    if let Some(max) = c.max_uses {
        varint(u64::from(max), &mut out);
    }
    if let Some(inviter) = &c.inviter {
        bytes(inviter.as_bytes(), &mut out);
    }
    if let Some(data) = &c.data {
        bytes(data, &mut out);
    }
    out
}

/// version ‖ key ID ‖ payload, for the key with this seed.
pub fn body_for(seed: &[u8; 32], payload: &[u8]) -> Vec<u8> {
    let public = ed25519_dalek::SigningKey::from_bytes(seed).verifying_key();
    let mut body = vec![1u8];
    body.extend_from_slice(&public.as_bytes()[..4]);
    body.extend_from_slice(payload);
    body
}

pub fn message(context: &str, body: &[u8]) -> Vec<u8> {
    let mut m = DOMAIN.to_vec();
    m.push(context.len() as u8);
    m.extend_from_slice(context.as_bytes());
    m.extend_from_slice(body);
    m
}

/// A complete token over arbitrary body bytes, signed correctly for `context`.
pub fn sign_body(seed: &[u8; 32], context: &str, body: &[u8]) -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(seed);
    let sig = key.sign(&message(context, body));
    join(body, &sig.to_bytes())
}

/// Every encoding that decodes to a point of small order: the eight canonical ones (as listed
/// in `src/sig.rs`) first, then the six non-canonical ones (`y ≥ p`, or the sign bit set where
/// `x = 0`).
pub const SMALL_ORDER_ENCODINGS: [&str; 14] = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
];

pub fn unhex32(s: &str) -> [u8; 32] {
    core::array::from_fn(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
}

/// A token over `body` whose signature has exactly the `R` bytes given and `S = r + k·a`, with
/// `k` hashed over those bytes. With `r` the discrete log of `R`'s prime-order part (zero for a
/// small-order `R`), `[S]B − [k]A` equals that part: only the strict rules can refuse it. Only
/// the key holder can make one.
pub fn sign_with_r(
    seed: &[u8; 32],
    context: &str,
    body: &[u8],
    big_r: [u8; 32],
    r: Scalar,
) -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(seed);
    let k = Scalar::from_hash(
        Sha512::new()
            .chain_update(big_r)
            .chain_update(key.verifying_key().as_bytes())
            .chain_update(message(context, body)),
    );
    let s = r + k * key.to_scalar();
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&big_r);
    sig[32..].copy_from_slice(s.as_bytes());
    join(body, &sig)
}

pub fn join(body: &[u8], sig: &[u8; 64]) -> String {
    let mut all = body.to_vec();
    all.extend_from_slice(sig);
    URL_SAFE_NO_PAD.encode(all)
}

pub fn decode(token: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(token)
        .expect("test token is base64url")
}

pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn library_matches_reference_for_every_optional_claim() {
    let cases: Vec<(admit::InvitationBuilder, RefClaims)> = vec![
        (
            Invitation::builder(),
            RefClaims {
                ttl: Some(7 * 86_400),
                ..RefClaims::default()
            },
        ),
        (Invitation::builder().never_expires(), RefClaims::default()),
        (
            Invitation::builder()
                .email(" Ada@Example.COM")
                .max_uses(300)
                .inviter("grace")
                .data_bytes(vec![0xde, 0xad])
                .ttl(time::Duration::seconds(127)),
            RefClaims {
                ttl: Some(127),
                email: Some("ada@example.com".into()),
                max_uses: Some(300),
                inviter: Some("grace".into()),
                data: Some(vec![0xde, 0xad]),
                ..RefClaims::default()
            },
        ),
    ];
    for (builder, mut expected) in cases {
        expected.id = [9; 12];
        expected.issued_at = NOW as u64;
        let token = issuer().mint_with_id(builder, id(9), at(NOW)).unwrap();
        let body = body_for(&[1; 32], &payload(&expected));
        assert_eq!(token.as_str(), sign_body(&[1; 32], CONTEXT, &body));
    }
}

proptest! {
    #[test]
    fn library_matches_reference(
        idb in any::<[u8; 12]>(),
        issued in 0u64..=253_402_300_000,
        ttl in proptest::option::of(1u64..=500),
        email in proptest::option::of("[a-z0-9]{1,8}(\\.[a-z0-9]{1,8}){0,2}@[a-z0-9]{1,8}(\\.[a-z0-9]{1,8}){0,2}"),
        max_uses in proptest::option::of(1u32..),
        inviter in proptest::option::of("[a-zA-Z0-9 _é]{1,16}"),
        data in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..=256)),
    ) {
        let mut b = Invitation::builder();
        b = match ttl { Some(t) => b.ttl(time::Duration::seconds(t as i64)), None => b.never_expires() };
        if let Some(e) = &email { b = b.email(e.clone()); }
        if let Some(m) = max_uses { b = b.max_uses(m); }
        if let Some(i) = &inviter { b = b.inviter(i.clone()); }
        if let Some(d) = &data { b = b.data_bytes(d.clone()); }
        let token = issuer()
            .mint_with_id(b, admit::InvitationId::from_bytes(idb), at(issued as i64))
            .unwrap();
        let expected = RefClaims { id: idb, issued_at: issued, ttl, email, max_uses, inviter, data };
        let body = body_for(&[1; 32], &payload(&expected));
        prop_assert_eq!(token.as_str(), sign_body(&[1; 32], CONTEXT, &body));
    }
}
