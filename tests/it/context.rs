use admit::{Error, Invitation, Issuer, Verifier};

use crate::{NOW, at, id, key};

#[test]
fn a_token_verifies_only_under_the_context_it_was_minted_for() {
    let public = key(1).verifying_key();
    let contexts = [
        "acme/invite",
        "acme/password-reset",
        "acme/invit",
        "acme/invitee",
        "ACME/invite",
        "x",
    ];
    for minted_for in contexts {
        let token = Issuer::new(key(1), minted_for)
            .unwrap()
            .mint_with_id(Invitation::builder(), id(1), at(NOW))
            .unwrap();
        for checked_for in contexts {
            let result = Verifier::new(public, checked_for)
                .unwrap()
                .verify_at(token.as_str(), at(NOW));
            if minted_for == checked_for {
                assert!(result.is_ok(), "{minted_for} under {checked_for}");
            } else {
                assert_eq!(
                    result,
                    Err(Error::BadSignature),
                    "{minted_for} under {checked_for}"
                );
            }
        }
    }
}

#[test]
fn invalid_contexts_are_refused_with_a_reason() {
    let long = "a".repeat(256);
    for bad in ["", "acme invite", "acme/\u{e9}", "tab\there", long.as_str()] {
        assert!(
            matches!(Issuer::new(key(1), bad), Err(Error::InvalidContext { .. })),
            "{bad:?}"
        );
        assert!(matches!(
            Verifier::new(key(1).verifying_key(), bad),
            Err(Error::InvalidContext { .. })
        ));
    }
    let longest = "a".repeat(255);
    assert_eq!(Issuer::new(key(1), &longest).unwrap().context(), longest);
}
