//! Revocation: by ID, by rule (issued before a time, of one inviter), racing redemptions.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use admit::store::{Cutoff, ListFilter, RevocationRule, Store};
use admit::{Error, Invitation, InvitationId};
use time::{Duration, OffsetDateTime};

use super::{mint, mint_at, to_ms};
use crate::store::harness::Harness;

pub async fn revoked_invitations_are_refused<H: Harness>(h: H) {
    let s = h.store();
    let inv = mint(&h, Invitation::builder().max_uses(10));
    s.redeem(&inv, "alice").await.unwrap();
    assert!(!s.is_revoked(inv.id()).await.unwrap());
    s.check(&inv).await.unwrap();

    assert!(
        s.revoke(inv.id(), inv.expires_at()).await.unwrap(),
        "newly revoked"
    );
    assert!(
        !s.revoke(inv.id(), inv.expires_at()).await.unwrap(),
        "already revoked"
    );
    assert!(s.is_revoked(inv.id()).await.unwrap());
    assert_eq!(s.check(&inv).await, Err(Error::Revoked));
    assert_eq!(s.redeem(&inv, "bob").await, Err(Error::Revoked));
    // Even the joiner that already joined: revocation wins.
    assert_eq!(s.redeem(&inv, "alice").await, Err(Error::Revoked));
    let status = s.status(inv.id()).await.unwrap();
    assert!(status.revoked_at.is_some());
    assert_eq!(status.uses, 1);

    // Revoking an ID the store has never seen (expiry unknown) also sticks.
    let unseen = mint(&h, Invitation::builder());
    assert!(s.revoke(unseen.id(), None).await.unwrap());
    assert_eq!(s.redeem(&unseen, "carol").await, Err(Error::Revoked));
}

pub async fn revoke_issued_before_covers_older_invitations<H: Harness>(h: H) {
    let s = h.store();
    let older = mint(&h, Invitation::builder().inviter("grace"));
    h.advance(Duration::seconds(2)).await;
    // A whole second: an invitation issued in it was minted at or after the cut-off.
    let cutoff = OffsetDateTime::from_unix_timestamp(h.now().unix_timestamp()).unwrap();
    let newer = mint(&h, Invitation::builder().inviter("grace"));

    s.redeem(&older, "before-the-leak").await.unwrap();
    s.revoke_issued_before(cutoff, None).await.unwrap();
    assert_eq!(s.check(&older).await, Err(Error::Revoked));
    assert_eq!(
        s.redeem(&older, "after-the-leak").await,
        Err(Error::Revoked)
    );
    s.check(&newer).await.unwrap();
    s.redeem(&newer, "fine").await.unwrap();
    // An explicit revoke is separate: is_revoked stays false for rule-revoked invitations.
    assert!(!s.is_revoked(older.id()).await.unwrap());

    // Rules only move forward: an earlier cutoff changes nothing, and the rule in force is
    // what comes back.
    let in_force = s
        .revoke_issued_before(cutoff - Duration::days(365), None)
        .await
        .unwrap();
    assert_eq!(in_force, RevocationRule::new(cutoff, None));
    assert_eq!(s.check(&older).await, Err(Error::Revoked));
    // A later one covers the newer invitation too.
    h.advance(Duration::seconds(1)).await;
    s.revoke_issued_before(h.now(), None).await.unwrap();
    assert_eq!(s.check(&newer).await, Err(Error::Revoked));
}

pub async fn revoke_issued_before_one_inviter<H: Harness>(h: H) {
    let s = h.store();
    let mallory = mint(&h, Invitation::builder().inviter("mallory"));
    let grace = mint(&h, Invitation::builder().inviter("grace"));
    let nobody = mint(&h, Invitation::builder());
    h.advance(Duration::seconds(1)).await;
    s.revoke_issued_before(h.now(), Some("mallory"))
        .await
        .unwrap();
    assert_eq!(s.check(&mallory).await, Err(Error::Revoked));
    assert_eq!(s.redeem(&mallory, "x").await, Err(Error::Revoked));
    s.check(&grace).await.unwrap();
    s.check(&nobody).await.unwrap();
    // Mallory's later invitations still work.
    h.advance(Duration::seconds(1)).await;
    let later = mint(&h, Invitation::builder().inviter("mallory"));
    s.redeem(&later, "y").await.unwrap();
}

/// Tokens carry whole seconds; a rule set at T + 0.9 s still covers one minted at T + 0.3 s.
pub async fn rules_cover_the_whole_second_of_their_cutoff<H: Harness>(h: H) {
    let s = h.store();
    let t = OffsetDateTime::from_unix_timestamp(h.now().unix_timestamp() - 10).unwrap();
    let inviter = format!("sub-{}", h.now().unix_timestamp_nanos() % 1_000_000);
    let minted_at = |offset_ms: i64| {
        mint_at(
            Invitation::builder().inviter(&inviter),
            t + Duration::milliseconds(offset_ms),
        )
        .invitation()
        .clone()
    };
    let early = minted_at(300);
    let next_second = minted_at(1000);
    s.revoke_issued_before(t + Duration::milliseconds(900), Some(&inviter))
        .await
        .unwrap();
    assert_eq!(s.check(&early).await, Err(Error::Revoked));
    assert_eq!(s.redeem(&early, "x").await, Err(Error::Revoked));
    s.check(&next_second).await.unwrap();
    let rules = s.revocation_rules().await.unwrap();
    let rule = RevocationRule::new(t + Duration::milliseconds(900), Some(&inviter));
    assert!(rules.contains(&rule), "{rules:?}");
}

/// A cut-off in the future would refuse invitations not minted yet: refused unless explicit.
pub async fn future_cutoffs_are_refused_unless_allowed<H: Harness>(h: H) {
    let s = h.store();
    let inviter = format!("future-{}", h.now().unix_timestamp_nanos() % 1_000_000);
    let later = h.now() + Duration::hours(1);
    assert!(matches!(
        s.revoke_issued_before(later, Some(&inviter)).await,
        Err(Error::InvalidArgument { name: "before", .. })
    ));
    let inv = mint(&h, Invitation::builder().inviter(&inviter));
    s.check(&inv).await.unwrap();
    s.revoke_issued_before(Cutoff::allow_future(later), Some(&inviter))
        .await
        .unwrap();
    assert_eq!(s.check(&inv).await, Err(Error::Revoked));
    // Minted after the rule, before its cut-off: revoked as it is minted.
    h.advance(Duration::seconds(1)).await;
    let minted_later = mint(&h, Invitation::builder().inviter(&inviter));
    assert_eq!(s.redeem(&minted_later, "y").await, Err(Error::Revoked));
}

/// `status`, `list` and `revocation_rules` say when a rule revoked an invitation.
pub async fn status_and_list_show_rule_revocations<H: Harness>(h: H) {
    let s = h.with(admit::store::DEFAULT_MARGIN, 100).await;
    let recorded = mint(&h, Invitation::builder().inviter("grace").max_uses(3));
    let redeemed = mint(&h, Invitation::builder().inviter("grace"));
    let unseen = mint(&h, Invitation::builder().inviter("grace"));
    let alan = mint(&h, Invitation::builder().inviter("alan"));
    s.record_issued(&recorded, Some("launch")).await.unwrap();
    s.record_issued(&alan, None).await.unwrap();
    s.redeem(&redeemed, "bob").await.unwrap();
    h.advance(Duration::seconds(1)).await;
    let cutoff = to_ms(h.now());
    s.revoke_issued_before(cutoff, Some("grace")).await.unwrap();
    let want = RevocationRule::new(cutoff, Some("grace"));

    for id in [recorded.id(), redeemed.id()] {
        let st = s.status(id).await.unwrap();
        assert_eq!(st.revoked_by_rule.as_ref(), Some(&want), "{st:?}");
        assert_eq!(st.revoked_at, None, "not revoked by ID");
        assert!(st.is_revoked());
        assert!(!s.is_revoked(id).await.unwrap());
    }
    let st = s.status(recorded.id()).await.unwrap();
    assert_eq!(
        st.issued.and_then(|i| i.revoked_by_rule),
        Some(want.clone())
    );
    // Never seen: the store cannot know its issue time, so it says nothing (check still refuses).
    assert_eq!(s.status(unseen.id()).await.unwrap().revoked_by_rule, None);
    assert_eq!(s.check(&unseen).await, Err(Error::Revoked));

    let listed = s.list(&ListFilter::new()).await.unwrap();
    let find = |id: InvitationId| listed.iter().find(|i| i.id == id).cloned().unwrap();
    assert_eq!(find(recorded.id()).revoked_by_rule, Some(want.clone()));
    assert!(find(recorded.id()).is_revoked());
    assert_eq!(find(alan.id()).revoked_by_rule, None);
    assert!(!find(alan.id()).is_revoked());
    assert_eq!(
        want.to_string(),
        format!(
            "issued before {} by \"grace\"",
            cutoff
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        )
    );

    // The everyone-rule is reported first, in status and in the list of rules.
    h.advance(Duration::seconds(1)).await;
    let all = to_ms(h.now());
    s.revoke_issued_before(all, None).await.unwrap();
    let st = s.status(recorded.id()).await.unwrap();
    assert_eq!(st.revoked_by_rule, Some(RevocationRule::new(all, None)));
    let rules = s.revocation_rules().await.unwrap();
    assert_eq!(rules.first(), Some(&RevocationRule::new(all, None)));
    assert!(rules.contains(&want));
}

/// A revocation is never shorter-lived than the invitation, whatever expiry a caller passes.
pub async fn revocations_outlive_their_invitation<H: Harness>(h: H) {
    let s = h.with(Duration::ZERO, 100).await;
    // An expiry already past: the mark would be dropped at once, so it is refused.
    let unseen = mint(&h, Invitation::builder());
    assert!(matches!(
        s.revoke(unseen.id(), Some(h.now() - Duration::seconds(1)))
            .await,
        Err(Error::InvalidArgument {
            name: "expires_at",
            ..
        })
    ));
    assert!(!s.status(unseen.id()).await.unwrap().known);

    // A real invitation the store has seen, "revoked" with a forged earlier expiry: the mark
    // lives as long as the state the real invitation set.
    let real = mint(&h, Invitation::builder().ttl(Duration::hours(1)));
    s.redeem(&real, "alice").await.unwrap();
    assert!(
        s.revoke(real.id(), Some(h.now() + Duration::milliseconds(500)))
            .await
            .unwrap()
    );
    h.advance(Duration::milliseconds(1200)).await;
    assert_eq!(s.redeem(&real, "mallory").await, Err(Error::Revoked));
    assert!(s.is_revoked(real.id()).await.unwrap());

    // The safe call takes the expiry from the verified invitation itself.
    let other = mint(&h, Invitation::builder().ttl(Duration::hours(1)));
    assert!(s.revoke_invitation(&other).await.unwrap());
    assert_eq!(s.check(&other).await, Err(Error::Revoked));
}

/// Redemptions racing a revocation: none that starts after `revoke` returned succeeds.
pub async fn revoke_during_a_burst<H: Harness>(h: H) {
    let inv = Arc::new(mint(&h, Invitation::builder()));
    let revoked = Arc::new(AtomicBool::new(false));
    let late_successes = Arc::new(AtomicUsize::new(0));
    let successes = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..16 {
        let (s, inv) = (h.store().clone(), inv.clone());
        let (revoked, late, ok) = (revoked.clone(), late_successes.clone(), successes.clone());
        tasks.spawn(async move {
            for n in 0.. {
                let started_after_revoke = revoked.load(Ordering::SeqCst);
                match s.redeem(&inv, &format!("w{worker}-{n}")).await {
                    Ok(_) if started_after_revoke => {
                        late.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(_) => {
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(Error::Revoked) => {
                        if started_after_revoke {
                            return;
                        }
                    }
                    Err(e) => panic!("unexpected {e}"),
                }
            }
        });
    }
    // Let the burst run, then revoke in the middle of it.
    while successes.load(Ordering::SeqCst) < 100 {
        tokio::task::yield_now().await;
    }
    h.store().revoke(inv.id(), inv.expires_at()).await.unwrap();
    revoked.store(true, Ordering::SeqCst);
    while tasks.join_next().await.is_some() {}
    assert_eq!(late_successes.load(Ordering::SeqCst), 0);
    let st = h.store().status(inv.id()).await.unwrap();
    assert!(st.revoked_at.is_some());
    assert_eq!(st.uses as usize, st.joiners.len());
}
