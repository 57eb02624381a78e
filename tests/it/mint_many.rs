//! Batched minting shares one field inversion per 64 signatures; it must produce exactly the
//! tokens single minting produces.

use admit::{Invitation, InvitationId, Issuer, SigningKey};
use proptest::prelude::*;

use crate::{NOW, at};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn batched_tokens_equal_single_tokens(
        seed in any::<[u8; 32]>(),
        context in "[a-z/]{1,20}",
        email in proptest::option::of("[a-z]{1,8}@[a-z]{1,8}\\.test"),
        max_uses in proptest::option::of(1u32..1000),
        ids in proptest::collection::vec(any::<[u8; 12]>(), 0..140),
    ) {
        let issuer = Issuer::new(SigningKey::from_bytes(&seed), &context).unwrap();
        let mut b = Invitation::builder().inviter("grace");
        if let Some(e) = email { b = b.email(e); }
        if let Some(m) = max_uses { b = b.max_uses(m); }
        let ids: Vec<InvitationId> = ids.into_iter().map(InvitationId::from_bytes).collect();
        let many = issuer.mint_many_with_ids(&b, &ids, at(NOW)).unwrap();
        prop_assert_eq!(many.len(), ids.len());
        for (token, id) in many.iter().zip(&ids) {
            let single = issuer.mint_with_id(&b, *id, at(NOW)).unwrap();
            prop_assert_eq!(token.as_str(), single.as_str());
            prop_assert_eq!(token.invitation(), single.invitation());
        }
    }
}

#[test]
#[cfg(feature = "rand")]
fn mint_many_gives_distinct_valid_tokens() {
    let issuer = crate::issuer();
    let verifier = issuer.verifier();
    for count in [0, 1, 63, 64, 65, 200] {
        let tokens = issuer
            .mint_many(Invitation::builder().one_time(), count)
            .unwrap();
        assert_eq!(tokens.len(), count);
        let ids: std::collections::HashSet<_> =
            tokens.iter().map(|t| t.invitation().id()).collect();
        assert_eq!(ids.len(), count);
        let texts: Vec<&str> = tokens.iter().map(|t| t.as_str()).collect();
        assert!(verifier.verify_batch(&texts).iter().all(Result::is_ok));
    }
    let bad = issuer.mint_many(Invitation::builder().email("nope"), 3);
    assert_eq!(bad.unwrap_err().code(), "invalid_claim");
}
