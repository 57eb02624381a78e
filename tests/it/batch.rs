use admit::{Invitation, Issuer, KeySet, Verifier};

use crate::{CONTEXT, NOW, at, id, issuer, key};

fn tokens(n: u8) -> Vec<String> {
    let i = issuer();
    (0..n)
        .map(|k| {
            i.mint_with_id(
                Invitation::builder().inviter(format!("user{k}")),
                id(k),
                at(NOW),
            )
            .unwrap()
            .into_string()
        })
        .collect()
}

/// Every batch result equals the single-token result.
fn assert_same_as_single(v: &Verifier, tokens: &[String]) {
    let batch = v.verify_batch_at(tokens, at(NOW));
    assert_eq!(batch.len(), tokens.len());
    for (t, b) in tokens.iter().zip(&batch) {
        assert_eq!(&v.verify_at(t, at(NOW)), b);
    }
}

#[test]
fn sixty_four_valid_tokens() {
    let ts = tokens(64);
    let v = issuer().verifier();
    let results = v.verify_batch_at(&ts, at(NOW));
    for (k, r) in results.iter().enumerate() {
        assert_eq!(r.as_ref().unwrap().id(), id(k as u8));
    }
    assert_same_as_single(&v, &ts);
}

#[test]
fn one_forged_token_among_sixty_four_is_named() {
    let mut ts = tokens(64);
    // Re-sign token 17's body with another key that claims the same key ID: only its
    // signature is wrong, so only the batch equation can catch it.
    let forged = &mut ts[17];
    let mut bytes = crate::reference::decode(forged);
    let n = bytes.len();
    bytes[n - 1] ^= 0x01;
    *forged = crate::reference::encode(&bytes);
    let v = issuer().verifier();
    let results = v.verify_batch_at(&ts, at(NOW));
    for (k, r) in results.iter().enumerate() {
        if k == 17 {
            assert_eq!(r, &Err(admit::Error::BadSignature));
        } else {
            assert!(r.is_ok(), "token {k}");
        }
    }
    assert_same_as_single(&v, &ts);
}

#[test]
fn mixed_failures_keep_their_own_errors() {
    let other = Issuer::new(key(2), CONTEXT).unwrap();
    let wrong_context = Issuer::new(key(1), "acme/other").unwrap();
    let mut ts = tokens(4);
    ts.push("".into());
    ts.push("!!!".into());
    ts.push(
        other
            .mint_with_id(Invitation::builder(), id(9), at(NOW))
            .unwrap()
            .into_string(),
    );
    ts.push(
        issuer()
            .mint_with_id(
                Invitation::builder().ttl(time::Duration::seconds(1)),
                id(8),
                at(NOW - 600),
            )
            .unwrap()
            .into_string(),
    );
    ts.push(
        wrong_context
            .mint_with_id(Invitation::builder(), id(7), at(NOW))
            .unwrap()
            .into_string(),
    );
    let v = issuer().verifier();
    let codes: Vec<&str> = v
        .verify_batch_at(&ts, at(NOW))
        .iter()
        .map(|r| r.as_ref().map_or_else(|e| e.code(), |_| "ok"))
        .collect();
    assert_eq!(
        codes,
        [
            "ok",
            "ok",
            "ok",
            "ok",
            "malformed",
            "malformed",
            "unknown_key",
            "expired",
            "bad_signature"
        ]
    );
    assert_same_as_single(&v, &ts);
    // With both keys known, the other key's token verifies too.
    let both = Verifier::new(
        KeySet::from_keys([key(1).verifying_key(), key(2).verifying_key()]).unwrap(),
        CONTEXT,
    )
    .unwrap();
    assert!(both.verify_batch_at(&ts, at(NOW))[6].is_ok());
    assert_same_as_single(&both, &ts);
}

#[test]
fn empty_and_single_batches() {
    let v = issuer().verifier();
    assert!(v.verify_batch_at::<&str>(&[], at(NOW)).is_empty());
    let ts = tokens(1);
    assert_same_as_single(&v, &ts);
}
