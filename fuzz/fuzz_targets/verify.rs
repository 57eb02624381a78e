//! Full verification with a fixed key set: never panics; batch and single verification agree;
//! and any token that verifies is exactly what minting its claims again produces.

#![no_main]

use std::sync::OnceLock;

use admit::{Invitation, Issuer, KeySet, SigningKey, Verifier};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

/// The two keys of `tests/vectors.json` (RFC 8032 test keys 1 and 2).
const SEEDS: [&str; 2] = [
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
];

fn keys() -> &'static (Vec<SigningKey>, Verifier) {
    static KEYS: OnceLock<(Vec<SigningKey>, Verifier)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let signing: Vec<SigningKey> = SEEDS
            .iter()
            .map(|hex| {
                let bytes: Vec<u8> = (0..32)
                    .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
                    .collect();
                SigningKey::from_bytes(&bytes.try_into().unwrap())
            })
            .collect();
        let set = KeySet::from_keys(signing.iter().map(SigningKey::verifying_key)).unwrap();
        (signing, Verifier::new(set, "acme/invite").unwrap())
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (signing, verifier) = keys();
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let single = verifier.verify_at(text, now);
    let batch = verifier.verify_batch_at(&[text, text], now);
    assert_eq!(batch[0], single);
    assert_eq!(batch[1], single);
    let Ok(invitation) = single else {
        return;
    };
    let key = signing
        .iter()
        .find(|k| k.key_id() == invitation.key_id())
        .expect("verified by a known key");
    let mut b = Invitation::builder();
    b = match invitation.expires_at() {
        Some(t) => b.expires_at(t),
        None => b.never_expires(),
    };
    if let Some(e) = invitation.email() {
        b = b.email(e);
    }
    if let Some(m) = invitation.max_uses() {
        b = b.max_uses(m);
    }
    if let Some(i) = invitation.inviter() {
        b = b.inviter(i);
    }
    if let Some(d) = invitation.data_bytes() {
        b = b.data_bytes(d.to_vec());
    }
    let again = Issuer::new(key.clone(), "acme/invite")
        .unwrap()
        .mint_with_id(b, invitation.id(), invitation.issued_at())
        .unwrap();
    assert_eq!(
        again.as_str(),
        text,
        "a verified token is not the canonical one"
    );
});
