//! Canonical form, as properties: every accepted text is the one encoding of its claims, and a
//! changed text is never accepted as a different (or the same) invitation.

use admit::{Invitation, InvitationId};
use proptest::prelude::*;

use crate::reference::{RefClaims, body_for, decode, encode, payload};
use crate::{NOW, at, issuer, verifier};

fn arb_token() -> impl Strategy<Value = admit::Token> {
    (
        any::<[u8; 12]>(),
        proptest::option::of(1i64..100_000_000),
        proptest::option::of("[a-z]{1,10}@[a-z]{1,10}\\.test"),
        proptest::option::of(1u32..),
        proptest::option::of("[a-zA-Z0-9 ]{1,20}"),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
    )
        .prop_map(|(id, ttl, email, max, inviter, data)| {
            let mut b = Invitation::builder();
            b = match ttl {
                Some(t) => b.ttl(time::Duration::seconds(t)),
                None => b.never_expires(),
            };
            if let Some(e) = email {
                b = b.email(e);
            }
            if let Some(m) = max {
                b = b.max_uses(m);
            }
            if let Some(i) = inviter {
                b = b.inviter(i);
            }
            if let Some(d) = data {
                b = b.data_bytes(d);
            }
            issuer()
                .mint_with_id(b, InvitationId::from_bytes(id), at(NOW))
                .unwrap()
        })
}

/// Re-encodes decoded claims by the spec (the test suite's own encoder) with the signature of
/// the original bytes.
fn reencode(seen: &admit::UnverifiedInvitation, raw: &[u8]) -> String {
    let c = RefClaims {
        id: seen.id().to_bytes(),
        issued_at: seen.issued_at().unix_timestamp() as u64,
        ttl: seen
            .expires_at()
            .map(|e| (e - seen.issued_at()).whole_seconds() as u64),
        email: seen.email().map(str::to_owned),
        max_uses: seen.max_uses(),
        inviter: seen.inviter().map(str::to_owned),
        data: seen.data_bytes().map(<[u8]>::to_vec),
    };
    let mut bytes = body_for(&[1; 32], &payload(&c));
    bytes[1..5].copy_from_slice(&seen.key_id().to_bytes());
    bytes.extend_from_slice(&raw[raw.len() - 64..]);
    encode(&bytes)
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    SetByte(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    ReplaceChar(usize, char),
    AppendChar(char),
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Mutation::SetByte(i, v)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Mutation::Insert(i, v)),
        any::<usize>().prop_map(Mutation::Remove),
        (any::<usize>(), proptest::char::any()).prop_map(|(i, c)| Mutation::ReplaceChar(i, c)),
        proptest::char::any().prop_map(Mutation::AppendChar),
    ]
}

/// Applies a mutation to the bytes (then re-encodes) or to the text directly.
fn mutate(text: &str, m: &Mutation) -> String {
    let mut raw = decode(text);
    let n = raw.len();
    match *m {
        Mutation::FlipBit(i, b) => raw[i % n] ^= 1 << b,
        Mutation::SetByte(i, v) => raw[i % n] = v,
        Mutation::Insert(i, v) => raw.insert(i % (n + 1), v),
        Mutation::Remove(i) => {
            raw.remove(i % n);
        }
        Mutation::ReplaceChar(i, c) => {
            let mut chars: Vec<char> = text.chars().collect();
            let len = chars.len();
            chars[i % len] = c;
            return chars.into_iter().collect();
        }
        Mutation::AppendChar(c) => return format!("{text}{c}"),
    }
    encode(&raw)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// encode(decode(t)) == t for every accepted text.
    #[test]
    fn accepted_text_is_the_encoding_of_its_claims(token in arb_token()) {
        let text = token.as_str();
        let seen = admit::inspect_unverified(text).unwrap();
        prop_assert_eq!(reencode(&seen, &decode(text)), text);
    }

    /// A mutated token is rejected by the verifier; if it still decodes (the claims are not
    /// signed-checked by `inspect_unverified`), it is the canonical encoding of what it says.
    #[test]
    fn mutations_are_rejected(token in arb_token(), m in arb_mutation()) {
        let text = token.as_str();
        let changed = mutate(text, &m);
        if changed == text {
            return Ok(()); // the mutation was a no-op (same byte written back)
        }
        prop_assert!(verifier().verify_at(&changed, at(NOW)).is_err(), "{:?} accepted", m);
        if let Ok(seen) = admit::inspect_unverified(&changed) {
            prop_assert_eq!(reencode(&seen, &decode(&changed)), changed);
        }
    }
}
