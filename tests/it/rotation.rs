use admit::{Error, Invitation, Issuer, KeySet, Verifier};

use crate::{CONTEXT, NOW, at, id, key};

#[test]
fn old_tokens_verify_during_rotation_and_fail_once_the_old_key_is_removed() {
    let old = Issuer::new(key(1), CONTEXT).unwrap();
    let new = Issuer::new(key(2), CONTEXT).unwrap();
    let old_token = old
        .mint_with_id(Invitation::builder(), id(1), at(NOW))
        .unwrap();
    let new_token = new
        .mint_with_id(Invitation::builder(), id(2), at(NOW))
        .unwrap();

    let keys = KeySet::from_keys([old.verifying_key(), new.verifying_key()]).unwrap();
    let mut verifier = Verifier::new(keys, CONTEXT).unwrap();
    let got = verifier.verify_at(old_token.as_str(), at(NOW)).unwrap();
    assert_eq!(got.key_id(), old.key_id());
    let got = verifier.verify_at(new_token.as_str(), at(NOW)).unwrap();
    assert_eq!(got.key_id(), new.key_id());

    assert!(verifier.keys_mut().remove(old.key_id()).is_some());
    assert_eq!(
        verifier.verify_at(old_token.as_str(), at(NOW)),
        Err(Error::UnknownKey {
            key_id: old.key_id()
        })
    );
    assert!(verifier.verify_at(new_token.as_str(), at(NOW)).is_ok());
}

#[test]
fn verifier_with_only_the_new_key_names_the_unknown_key() {
    let old = Issuer::new(key(1), CONTEXT).unwrap();
    let token = old
        .mint_with_id(Invitation::builder(), id(1), at(NOW))
        .unwrap();
    let verifier = Verifier::new(key(2).verifying_key(), CONTEXT).unwrap();
    let err = verifier.verify_at(token.as_str(), at(NOW)).unwrap_err();
    assert_eq!(err.code(), "unknown_key");
    assert!(err.to_string().contains(&old.key_id().to_string()));
}

#[test]
fn empty_key_set_verifies_nothing() {
    let token = crate::plain();
    let verifier = Verifier::new(KeySet::new(), CONTEXT).unwrap();
    assert_eq!(
        verifier
            .verify_at(token.as_str(), at(NOW))
            .unwrap_err()
            .code(),
        "unknown_key"
    );
}

/// Two seeds whose public keys share the first four bytes (found by a birthday search).
fn colliding_keys() -> (admit::VerifyingKey, admit::VerifyingKey) {
    let seed = |n: u64| {
        let mut s = [0u8; 32];
        s[..8].copy_from_slice(&n.to_le_bytes());
        admit::SigningKey::from_bytes(&s).verifying_key()
    };
    (seed(12_977), seed(96_155))
}

#[test]
fn a_second_key_with_the_same_key_id_is_refused() {
    let (a, b) = colliding_keys();
    assert_eq!(a.key_id(), b.key_id());
    assert_ne!(a, b);
    let mut keys = KeySet::from(a);
    assert_eq!(keys.insert(a), Ok(()), "re-adding the same key is a no-op");
    assert_eq!(keys.len(), 1);
    assert_eq!(
        keys.insert(b),
        Err(Error::DuplicateKeyId { key_id: a.key_id() })
    );
    assert_eq!(keys.len(), 1);
    assert!(KeySet::from_keys([a, b]).is_err());
}
