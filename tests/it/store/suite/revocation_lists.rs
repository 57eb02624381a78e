//! Revocation lists from every store: what the store revoked (by ID and by rule) and used up
//! is refused offline after the next publish, deltas carry what came since, and publishers
//! never hand out one sequence twice.

use admit::revocation_list::{Publisher, Revocations};
use admit::store::{Events as _, Store};
use admit::{Error, Invitation, InvitationBuilder, InvitationId, Issuer, ListProblem, SigningKey};
use admit::{Token, Verifier};
use time::Duration;

use crate::store::harness::Harness;

const CTX: &str = "acme/lists";

pub async fn revocation_lists_carry_what_the_store_did<H: Harness>(h: H) {
    let s = h.with(admit::store::DEFAULT_MARGIN, 100).await;
    let key = SigningKey::from_bytes(&[11; 32]);
    let issuer = Issuer::new(key.clone(), CTX).unwrap();
    let start = h.now() - Duration::seconds(10);
    let mut n = 0u8;
    let mut mint = |b: InvitationBuilder| -> Token {
        n += 1;
        let mut id = [n; 12];
        id[..4].copy_from_slice(&std::process::id().to_le_bytes());
        issuer
            .mint_with_id(b, InvitationId::from_bytes(id), start)
            .unwrap()
    };
    let revoked = mint(Invitation::builder());
    let used = mint(Invitation::builder().one_time());
    let by_rule = mint(Invitation::builder().inviter("mallory"));
    let later = mint(Invitation::builder().max_uses(3));
    let fine = mint(Invitation::builder().inviter("grace"));
    s.acting_as("admin:ada")
        .unwrap()
        .revoke_invitation(revoked.invitation())
        .await
        .unwrap();
    s.redeem(used.invitation(), "u1").await.unwrap();
    s.redeem(later.invitation(), "u2").await.unwrap();
    s.revoke_issued_before(h.now(), Some("mallory"))
        .await
        .unwrap();

    let publisher = Publisher::new(s.clone(), key.clone(), CTX)
        .unwrap()
        .with_used_up();
    let first = publisher.full().await.unwrap();
    assert_eq!(
        (
            first.sequence,
            first.base,
            first.revoked,
            first.used_up,
            first.rules
        ),
        (1, None, 1, Some(1), 1)
    );
    let holder = Revocations::new(key.verifying_key(), CTX).unwrap();
    holder.load(&first.text).unwrap();
    let verifier = Verifier::new(key.verifying_key(), CTX)
        .unwrap()
        .revocations(holder.clone());
    let check = |t: &Token| verifier.verify_at(t.as_str(), h.now());
    assert_eq!(check(&revoked), Err(Error::Revoked));
    assert_eq!(check(&used), Err(Error::UsedUp { max_uses: 1 }));
    assert_eq!(check(&by_rule), Err(Error::Revoked));
    assert!(check(&later).is_ok());
    assert!(check(&fine).is_ok());

    // Revoked in the store after the list: offline, only after the next publish.
    s.revoke_invitation(later.invitation()).await.unwrap();
    assert!(check(&later).is_ok(), "the list does not know yet");
    let second = publisher.delta().await.unwrap();
    assert_eq!(
        (second.sequence, second.base, second.revoked),
        (2, Some(1), 1)
    );
    holder.load(&second.text).unwrap();
    assert_eq!(check(&later), Err(Error::Revoked));
    assert_eq!(check(&revoked), Err(Error::Revoked), "still, from the base");
    assert_eq!(
        holder.load(&first.text),
        Err(Error::RevocationListRefused {
            problem: ListProblem::Rollback {
                loaded: 2,
                offered: 1
            }
        })
    );

    // A verifier still on list 1 catches up with a delta on 1.
    let third = publisher.delta_since(1).await.unwrap();
    assert_eq!((third.sequence, third.base), (3, Some(1)));
    let behind = Revocations::new(key.verifying_key(), CTX).unwrap();
    behind.load(&first.text).unwrap();
    behind.load(&third.text).unwrap();
    let behind = Verifier::new(key.verifying_key(), CTX)
        .unwrap()
        .revocations(behind);
    assert_eq!(
        behind.verify_at(later.as_str(), h.now()),
        Err(Error::Revoked)
    );
    // A delta on a sequence not remembered is refused with a reason.
    assert!(matches!(
        publisher.delta_since(99).await,
        Err(Error::InvalidArgument { .. })
    ));

    // A full list again holds both; publishers racing never share a sequence.
    let racers: Vec<_> = (0..4)
        .map(|_| {
            let p = publisher.clone();
            tokio::spawn(async move { p.full().await })
        })
        .collect();
    let mut sequences = Vec::new();
    for racer in racers {
        let published = racer.await.unwrap().unwrap();
        assert_eq!(published.revoked, 2);
        sequences.push(published.sequence);
    }
    sequences.sort_unstable();
    assert_eq!(sequences, [4, 5, 6, 7]);

    // Another name starts its own series; a delta before any list is refused.
    let other = Publisher::new(s.clone(), key.clone(), CTX)
        .unwrap()
        .name("edge-eu");
    assert!(matches!(
        other.delta().await,
        Err(Error::InvalidArgument { .. })
    ));
    assert_eq!(other.full().await.unwrap().sequence, 1);
}
