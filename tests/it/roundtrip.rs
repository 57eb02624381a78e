use admit::{Invitation, InvitationId};
use proptest::prelude::*;
use time::Duration;

use crate::{at, issuer, verifier};

fn arb_builder() -> impl Strategy<Value = (admit::InvitationBuilder, Option<i64>)> {
    (
        proptest::option::of(1i64..=10 * 365 * 86_400),
        proptest::option::of(
            "[A-Za-z0-9_%+-]{1,12}(\\.[A-Za-z0-9_%+-]{1,12}){0,2}@[A-Za-z0-9-]{1,12}(\\.[a-z]{2,6}){0,2}",
        ),
        proptest::option::of(1u32..),
        // Letters, digits and a few separators, minus the Hangul fillers (letters that show as
        // nothing, which FORMAT.md's table 1 refuses).
        proptest::option::of("[\\p{L}\\p{N} ._-]{1,16}".prop_filter("no fillers", |i: &String| {
            !i.chars().any(|c| matches!(c, '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}'))
        })),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..=256)),
    )
        .prop_map(|(ttl, email, max_uses, inviter, data)| {
            let mut b = Invitation::builder();
            b = match ttl {
                Some(t) => b.ttl(Duration::seconds(t)),
                None => b.never_expires(),
            };
            if let Some(e) = email {
                b = b.email(e);
            }
            if let Some(m) = max_uses {
                b = b.max_uses(m);
            }
            if let Some(i) = inviter.filter(|i| i.len() <= 64) {
                b = b.inviter(i);
            }
            if let Some(d) = data {
                b = b.data_bytes(d);
            }
            (b, ttl)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// mint → text → verify gives back exactly the claims that were minted, and the text is
    /// the one canonical spelling (decoding and minting again gives the same text).
    #[test]
    fn mint_then_verify_round_trips(
        (builder, ttl) in arb_builder(),
        idb in any::<[u8; 12]>(),
        now in 0i64..=200_000_000_000,
    ) {
        let id = InvitationId::from_bytes(idb);
        let token = issuer().mint_with_id(&builder, id, at(now)).unwrap();
        prop_assert!(token.as_str().len() <= admit::MAX_TOKEN_LEN);
        let verified = verifier().verify_at(token.as_str(), at(now)).unwrap();
        prop_assert_eq!(&verified, token.invitation());
        prop_assert_eq!(verified.id(), id);
        prop_assert_eq!(verified.issued_at(), at(now));
        prop_assert_eq!(verified.expires_at(), ttl.map(|t| at(now + t)));
        let seen = admit::inspect_unverified(token.as_str()).unwrap();
        prop_assert_eq!(seen.claims(), verified.claims());
        let again = issuer().mint_with_id(&builder, id, at(now)).unwrap();
        prop_assert_eq!(again.as_str(), token.as_str());
    }
}
