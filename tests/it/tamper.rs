//! Any change to a token is rejected.

use admit::Invitation;

use crate::reference::{decode, encode};
use crate::{NOW, at, mint, verifier};

fn full_token() -> admit::Token {
    mint(
        Invitation::builder()
            .email("ada@example.com")
            .max_uses(3)
            .inviter("grace")
            .data_bytes(vec![1, 2, 3]),
        1,
    )
}

#[test]
fn every_single_bit_flip_is_rejected() {
    let v = verifier();
    for token in [crate::plain(), full_token()] {
        assert!(v.verify_at(token.as_str(), at(NOW)).is_ok());
        let bytes = decode(token.as_str());
        let mut checked = 0;
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[i] ^= 1 << bit;
                let text = encode(&flipped);
                assert!(
                    v.verify_at(&text, at(NOW)).is_err(),
                    "byte {i} bit {bit} accepted"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, bytes.len() * 8);
    }
}

#[test]
fn every_single_character_substitution_is_rejected() {
    const ALPHABET: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=. ";
    let v = verifier();
    let token = crate::plain();
    let text = token.as_str().as_bytes();
    for i in 0..text.len() {
        for &c in ALPHABET {
            if c == text[i] {
                continue;
            }
            let mut changed = text.to_vec();
            changed[i] = c;
            let changed = String::from_utf8(changed).unwrap();
            assert!(
                v.verify_at(&changed, at(NOW)).is_err(),
                "position {i} -> {}",
                c as char
            );
        }
    }
}

#[test]
fn truncations_and_extensions_are_rejected() {
    let v = verifier();
    let token = full_token();
    let text = token.as_str();
    for len in 0..text.len() {
        assert!(
            v.verify_at(&text[..len], at(NOW)).is_err(),
            "prefix of {len}"
        );
    }
    for extra in ["A", "AA", "AAA", "AAAA", "=", "==", " ", "\n", "\0"] {
        assert!(
            v.verify_at(&format!("{text}{extra}"), at(NOW)).is_err(),
            "{extra:?}"
        );
        assert!(
            v.verify_at(&format!("{extra}{text}"), at(NOW)).is_err(),
            "{extra:?}"
        );
    }
}
