//! Keys every implementation refuses, and texts to find a token in.

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};

use super::{FindVector, RefusedKey, RefusedKeySet, SEED_1, ValidVector, hex, seed};

/// Two seeds whose public keys share their first 4 bytes (`c2eea3d8`), found by trying
/// `[i as u32 (little-endian), 0x42 × 28]` for i = 0, 1, 2, … until two key IDs met.
pub(super) const COLLIDING_SEEDS: [u32; 2] = [5553, 36942];

pub(super) fn colliding_key(i: u32) -> ed25519_dalek::SigningKey {
    let mut seed = [0x42u8; 32];
    seed[..4].copy_from_slice(&i.to_le_bytes());
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

fn refused(name: &str, description: &str, key: &[u8; 32]) -> RefusedKey {
    RefusedKey {
        name: name.into(),
        description: description.into(),
        public_key_hex: hex(key),
    }
}

pub(super) fn refused_keys() -> Vec<RefusedKey> {
    let mut keys = Vec::new();
    for (i, t) in EIGHT_TORSION.iter().enumerate() {
        keys.push(refused(
            &format!("small_order_{i}"),
            "a point of small order (weak key: it verifies signatures without a secret)",
            t.compress().as_bytes(),
        ));
    }
    let a = ed25519_dalek::SigningKey::from_bytes(&seed(SEED_1))
        .verifying_key()
        .to_edwards();
    keys.push(refused(
        "mixed_order",
        "key 1 of the vectors plus a point of order 8: has a torsion component",
        (a + EIGHT_TORSION[1]).compress().as_bytes(),
    ));
    keys.push(refused(
        "mixed_order_2",
        "key 1 of the vectors plus the point of order 2",
        (a + EIGHT_TORSION[4]).compress().as_bytes(),
    ));
    // y + p for the smallest y ≥ 2 that is on the curve: the same point as y, written wrongly.
    let p_plus = (2u8..19)
        .find_map(|y| {
            let mut canonical = [0u8; 32];
            canonical[0] = y;
            let point = CompressedEdwardsY(canonical).decompress()?;
            let mut wrong = [0xffu8; 32];
            wrong[0] = 0xed + y;
            wrong[31] = 0x7f;
            let decoded: EdwardsPoint = CompressedEdwardsY(wrong).decompress()?;
            (decoded == point && !point.is_small_order()).then_some(wrong)
        })
        .expect("some y below 19 is on the curve");
    keys.push(refused(
        "non_canonical",
        "y written as y + p (y >= p): a second encoding of a point",
        &p_plus,
    ));
    let off_curve = (2u8..=255)
        .find_map(|y| {
            let mut bytes = [0u8; 32];
            bytes[0] = y;
            CompressedEdwardsY(bytes)
                .decompress()
                .is_none()
                .then_some(bytes)
        })
        .expect("some small y is off the curve");
    keys.push(refused(
        "not_on_curve",
        "no point has this y: not a public key at all",
        &off_curve,
    ));
    keys
}

pub(super) fn refused_key_sets() -> Vec<RefusedKeySet> {
    let [a, b] = COLLIDING_SEEDS.map(|i| colliding_key(i).verifying_key().to_bytes());
    assert_eq!(a[..4], b[..4], "the seeds collide");
    assert_ne!(a, b);
    vec![RefusedKeySet {
        name: "key_id_collision".into(),
        description: "two different keys whose first 4 bytes are equal: a key ID must name one \
                      key, so a verifier refuses the set when it is configured"
            .into(),
        public_keys_hex: vec![hex(&a), hex(&b)],
    }]
}

fn found(name: &str, text: String, token: &str) -> FindVector {
    FindVector {
        name: name.into(),
        text,
        token: Some(token.into()),
        error: None,
    }
}

fn not_found(name: &str, text: String, error: &str) -> FindVector {
    FindVector {
        name: name.into(),
        text,
        token: None,
        error: Some(error.into()),
    }
}

pub(super) fn find_token(valid: &[ValidVector]) -> Vec<FindVector> {
    let t = valid[0].token.as_str();
    let other = valid[1].token.as_str();
    let link = format!("https://app.example/join?lang=en&invitation={t}");
    vec![
        found("bare", t.into(), t),
        found("bare_with_whitespace", format!("  {t}\r\n"), t),
        found("link", link.clone(), t),
        found("link_with_fragment", format!("{link}#welcome"), t),
        found("query_only", format!("?invitation={t}&x=1"), t),
        found("link_then_period", format!("Join here: {link}."), t),
        found("link_in_angle_brackets", format!("<{link}>"), t),
        found("link_in_html", format!("<a href=\"{link}\">Join</a>"), t),
        found("link_twice", format!("{link}\n{link}"), t),
        found(
            "percent_encoded",
            format!("?invitation={}%2D", &t[..t.len() - 1]),
            &format!("{}-", &t[..t.len() - 1]),
        ),
        found("token_then_period", format!("{t}."), t),
        found("token_in_angle_brackets", format!("<{t}>"), t),
        found("token_in_quotes", format!("\"{t}\""), t),
        found("token_in_typographic_quotes", format!("“{t}”"), t),
        found("token_in_parentheses", format!("({t})"), t),
        found("after_a_label", format!("Invite: {t}"), t),
        found(
            "in_a_letter",
            format!("Hello Ada,\n\nyour invitation:\n\n    {t}\n\nSee you soon!"),
            t,
        ),
        found("path_segment", format!("https://app.example/join/{t}/"), t),
        not_found("empty", String::new(), "missing_token"),
        not_found(
            "no_parameter",
            "https://app.example/join?lang=en".into(),
            "missing_token",
        ),
        not_found(
            "empty_parameter",
            "https://app.example/join?invitation=".into(),
            "missing_token",
        ),
        not_found(
            "only_words",
            "Your invitation is attached.".into(),
            "missing_token",
        ),
        not_found("two_tokens", format!("{t} or {other}"), "invalid_url"),
        not_found(
            "two_parameters",
            format!("?invitation={t}&invitation={other}"),
            "invalid_url",
        ),
        not_found(
            "bad_percent_escape",
            "?invitation=AB%zz".into(),
            "invalid_url",
        ),
    ]
}
