//! The conformance suite: every backend must pass every test here.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use admit::store::{Cutoff, ListFilter, RevocationRule, Store};
use admit::{Error, Invitation, InvitationBuilder, InvitationId, VerifyOptions};
use time::{Duration, OffsetDateTime};

use super::harness::Harness;

/// A fresh invitation minted at the harness's current time, with an ID no other test uses.
fn mint_at(builder: InvitationBuilder, now: OffsetDateTime) -> admit::Token {
    static N: AtomicU32 = AtomicU32::new(0);
    let mut id = [0u8; 12];
    id[..4].copy_from_slice(&N.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    id[4..8].copy_from_slice(&std::process::id().to_le_bytes());
    id[8..].copy_from_slice(&(now.unix_timestamp_nanos() as u32).to_le_bytes());
    crate::issuer()
        .mint_with_id(builder, InvitationId::from_bytes(id), now)
        .expect("valid claims")
}

/// A time to the millisecond, as stores keep cut-offs.
fn to_ms(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap()
}

fn mint<H: Harness>(h: &H, builder: InvitationBuilder) -> Invitation {
    mint_at(builder, h.now()).invitation().clone()
}

pub async fn redeem_counts_and_refuses_at_the_limit<H: Harness>(h: H) {
    let s = h.store();
    let inv = mint(&h, Invitation::builder().max_uses(3));
    for (n, joiner) in ["alice", "bob", "carol"].iter().enumerate() {
        let r = s.redeem(&inv, joiner).await.unwrap();
        assert_eq!(r.uses, n as u32 + 1);
        assert!(!r.repeated);
    }
    assert_eq!(
        s.redeem(&inv, "dave").await,
        Err(Error::UsedUp { max_uses: 3 })
    );
    assert_eq!(
        s.redeem(&inv, "erin").await,
        Err(Error::UsedUp { max_uses: 3 })
    );
    let status = s.status(inv.id()).await.unwrap();
    assert_eq!(status.uses, 3);
    assert_eq!(status.max_uses, Some(3));
    let names: Vec<&str> = status.joiners.iter().map(|j| j.joiner.as_str()).collect();
    assert_eq!(names.len(), 3);
    for who in ["alice", "bob", "carol"] {
        assert!(names.contains(&who), "{who} missing from {names:?}");
    }
    // One-time: the second joiner is refused.
    let once = mint(&h, Invitation::builder().one_time());
    assert_eq!(s.redeem(&once, "x").await.unwrap().uses, 1);
    assert_eq!(
        s.redeem(&once, "y").await,
        Err(Error::UsedUp { max_uses: 1 })
    );
}

pub async fn redeem_without_limit_counts_every_joiner<H: Harness>(h: H) {
    let s = h.store();
    let inv = mint(&h, Invitation::builder());
    for n in 1..=25u32 {
        assert_eq!(s.redeem(&inv, &format!("user-{n}")).await.unwrap().uses, n);
    }
    assert_eq!(s.status(inv.id()).await.unwrap().max_uses, None);
}

pub async fn same_joiner_is_counted_once<H: Harness>(h: H) {
    let s = h.store();
    let inv = mint(&h, Invitation::builder().max_uses(2));
    let first = s.redeem(&inv, "alice").await.unwrap();
    h.advance(Duration::milliseconds(20)).await;
    let again = s.redeem(&inv, "alice").await.unwrap();
    assert!(again.repeated);
    assert_eq!(again.uses, 1);
    assert_eq!(
        again.joined_at, first.joined_at,
        "keeps the first redemption time"
    );
    // At the limit, a joiner that already joined is still accepted (a retry), others are not.
    s.redeem(&inv, "bob").await.unwrap();
    assert!(s.redeem(&inv, "alice").await.unwrap().repeated);
    assert!(s.redeem(&inv, "carol").await.is_err());
    assert_eq!(s.status(inv.id()).await.unwrap().uses, 2);
}

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

/// `check` (the sign-up page) says "used up" before anyone fills in the form.
pub async fn check_reports_used_up<H: Harness>(h: H) {
    let s = h.store();
    let once = mint(&h, Invitation::builder().one_time());
    s.check(&once).await.unwrap();
    s.redeem(&once, "alice").await.unwrap();
    assert_eq!(s.check(&once).await, Err(Error::UsedUp { max_uses: 1 }));
    let open = mint(&h, Invitation::builder());
    s.redeem(&open, "alice").await.unwrap();
    s.check(&open).await.unwrap();
}

/// Every backend reports its health with a verdict.
pub async fn health_reports_a_verdict<H: Harness>(h: H) {
    let health = h.store().health().await.unwrap();
    assert!(!health.checks.is_empty());
    for check in &health.checks {
        assert!(
            !check.found.is_empty() && !check.advice.is_empty(),
            "{check:?}"
        );
    }
    assert!(health.checks.iter().any(|c| c.name == "persistence"));
}

pub async fn status_reports_joiners_and_registry<H: Harness>(h: H) {
    let s = h.store();
    let inv = mint(
        &h,
        Invitation::builder()
            .email("ada@example.com")
            .max_uses(5)
            .inviter("grace"),
    );
    let unknown = s.status(inv.id()).await.unwrap();
    assert!(!unknown.known);
    assert_eq!(unknown.uses, 0);
    assert!(unknown.joiners.is_empty() && unknown.issued.is_none());

    s.record_issued(&inv, Some("launch week")).await.unwrap();
    let a = s.redeem(&inv, "alice").await.unwrap();
    h.advance(Duration::milliseconds(5)).await;
    let b = s.redeem(&inv, "bob").await.unwrap();
    let st = s.status(inv.id()).await.unwrap();
    assert!(st.known);
    assert_eq!(st.uses, 2);
    assert_eq!(st.max_uses, Some(5));
    assert_eq!(st.revoked_at, None);
    assert_eq!(st.joiners.len(), 2);
    assert_eq!(st.joiners[0].joiner, "alice");
    assert_eq!(st.joiners[0].joined_at, a.joined_at);
    assert_eq!(st.joiners[1].joiner, "bob");
    assert_eq!(st.joiners[1].joined_at, b.joined_at);
    let issued = st.issued.expect("recorded");
    assert_eq!(issued.description.as_deref(), Some("launch week"));
    assert_eq!(issued.email.as_deref(), Some("ada@example.com"));
    assert_eq!(issued.inviter.as_deref(), Some("grace"));
    assert_eq!(issued.issued_at, inv.issued_at());
    assert_eq!(issued.expires_at, inv.expires_at());
    assert_eq!(issued.max_uses, Some(5));
    assert_eq!(issued.uses, 2);
}

pub async fn registry_lists_active_invitations<H: Harness>(h: H) {
    // A store of its own, so other tests' invitations do not show up.
    let s = h.with(Duration::ZERO, 100).await;
    let soon = mint(
        &h,
        Invitation::builder()
            .inviter("grace")
            .ttl(Duration::seconds(2)),
    );
    let later = mint(
        &h,
        Invitation::builder()
            .inviter("grace")
            .ttl(Duration::hours(1)),
    );
    let forever = mint(&h, Invitation::builder().inviter("alan").never_expires());
    let unrecorded = mint(&h, Invitation::builder().inviter("grace"));
    s.record_issued(&later, Some("b")).await.unwrap();
    s.record_issued(&forever, None).await.unwrap();
    s.record_issued(&soon, Some("a")).await.unwrap();
    s.redeem(&later, "someone").await.unwrap();
    s.revoke(forever.id(), None).await.unwrap();
    s.redeem(&unrecorded, "x").await.unwrap();

    let all = s.list(&ListFilter::new()).await.unwrap();
    let ids: Vec<InvitationId> = all.iter().map(|i| i.id).collect();
    assert_eq!(
        ids,
        [soon.id(), later.id(), forever.id()],
        "soonest expiry first"
    );
    assert_eq!(all[1].uses, 1);
    assert_eq!(all[1].description.as_deref(), Some("b"));
    assert!(all[2].revoked_at.is_some());
    assert_eq!(all[2].expires_at, None);

    let grace = s.list(&ListFilter::new().inviter("grace")).await.unwrap();
    assert_eq!(
        grace.iter().map(|i| i.id).collect::<Vec<_>>(),
        [soon.id(), later.id()]
    );
    let one = s.list(&ListFilter::new().limit(1)).await.unwrap();
    assert_eq!(one.len(), 1);
    assert!(
        s.list(&ListFilter::new().inviter("nobody"))
            .await
            .unwrap()
            .is_empty()
    );

    // Once expired, an invitation leaves the list.
    h.advance(Duration::milliseconds(3100)).await;
    let all = s.list(&ListFilter::new()).await.unwrap();
    assert_eq!(
        all.iter().map(|i| i.id).collect::<Vec<_>>(),
        [later.id(), forever.id()]
    );
}

pub async fn visits_are_capped_newest_first<H: Harness>(h: H) {
    let s = h.with(admit::store::DEFAULT_MARGIN, 3).await;
    let inv = mint(&h, Invitation::builder());
    assert!(s.visits(inv.id()).await.unwrap().is_empty());
    for n in 1..=5 {
        s.record_visit(&inv, &format!("visit {n}; ua=Mozilla/5.0 (X11)"))
            .await
            .unwrap();
        h.advance(Duration::milliseconds(2)).await;
    }
    let visits = s.visits(inv.id()).await.unwrap();
    let notes: Vec<&str> = visits.iter().map(|v| v.metadata.as_str()).collect();
    assert_eq!(
        notes,
        [
            "visit 5; ua=Mozilla/5.0 (X11)",
            "visit 4; ua=Mozilla/5.0 (X11)",
            "visit 3; ua=Mozilla/5.0 (X11)"
        ]
    );
    assert!(visits[0].at >= visits[2].at);
    // Visits count nothing.
    assert_eq!(h.store().status(inv.id()).await.unwrap().uses, 0);
}

pub async fn state_expires_with_the_invitation<H: Harness>(h: H) {
    let s = h.with(Duration::ZERO, 100).await;
    let inv = mint(
        &h,
        Invitation::builder().ttl(Duration::seconds(2)).one_time(),
    );
    s.record_issued(&inv, Some("short")).await.unwrap();
    s.redeem(&inv, "alice").await.unwrap();
    s.record_visit(&inv, "v").await.unwrap();
    s.revoke(inv.id(), inv.expires_at()).await.unwrap();
    assert!(s.status(inv.id()).await.unwrap().known);

    h.advance(Duration::milliseconds(3100)).await;
    let st = s.status(inv.id()).await.unwrap();
    assert!(!st.known, "state outlived the invitation: {st:?}");
    assert!(st.joiners.is_empty());
    assert!(s.visits(inv.id()).await.unwrap().is_empty());
    assert!(!s.is_revoked(inv.id()).await.unwrap());
    assert!(s.list(&ListFilter::new()).await.unwrap().is_empty());
}

pub async fn never_expiring_state_stays<H: Harness>(h: H) {
    let s = h.with(Duration::ZERO, 100).await;
    let inv = mint(&h, Invitation::builder().never_expires().max_uses(2));
    s.redeem(&inv, "alice").await.unwrap();
    let unseen = mint(&h, Invitation::builder());
    s.revoke(unseen.id(), None).await.unwrap();
    h.advance(Duration::milliseconds(2100)).await;
    assert_eq!(s.status(inv.id()).await.unwrap().uses, 1);
    assert!(s.is_revoked(unseen.id()).await.unwrap());
    s.redeem(&inv, "bob").await.unwrap();
    assert!(s.redeem(&inv, "carol").await.is_err());
}

pub async fn redeem_after_the_margin_is_refused<H: Harness>(h: H) {
    let s = h.with(Duration::ZERO, 100).await;
    let inv = mint(
        &h,
        Invitation::builder().ttl(Duration::seconds(1)).one_time(),
    );
    h.advance(Duration::milliseconds(1100)).await;
    // The store would already have forgotten it: a redemption now could not be counted, so it
    // is refused rather than allowed to start a fresh count.
    assert_eq!(s.redeem(&inv, "late").await.unwrap_err().code(), "expired");
}

pub async fn bad_arguments_are_refused<H: Harness>(h: H) {
    let s = h.store();
    let inv = mint(&h, Invitation::builder());
    for joiner in ["", "tab\there", &"j".repeat(129)] {
        assert!(
            matches!(
                s.redeem(&inv, joiner).await,
                Err(Error::InvalidArgument { name: "joiner", .. })
            ),
            "{joiner:?}"
        );
    }
    assert!(s.redeem(&inv, &"j".repeat(128)).await.is_ok());
    let long = "d".repeat(1025);
    assert!(matches!(
        s.record_issued(&inv, Some(&long)).await,
        Err(Error::InvalidArgument {
            name: "description",
            ..
        })
    ));
    assert!(matches!(
        s.record_visit(&inv, "bell\u{7}").await,
        Err(Error::InvalidArgument {
            name: "metadata",
            ..
        })
    ));
    for filter in [
        ListFilter::new().limit(0),
        ListFilter::new().limit(1001),
        ListFilter::new().inviter(""),
    ] {
        assert!(matches!(
            s.list(&filter).await,
            Err(Error::InvalidArgument { .. })
        ));
    }
    assert!(matches!(
        s.revoke_issued_before(h.now(), Some("")).await,
        Err(Error::InvalidArgument {
            name: "inviter",
            ..
        })
    ));
}

pub async fn verifier_conveniences<H: Harness>(h: H) {
    let s = h.store();
    let token = mint_at(
        Invitation::builder().email("ada@example.com").one_time(),
        h.now(),
    );
    let v = crate::verifier();
    let ada = VerifyOptions::new().email("ada@example.com").at(h.now());
    let checked = v.verify_and_check(token.as_str(), ada, s).await.unwrap();
    assert_eq!(checked.id(), token.invitation().id());
    // Checking counts nothing: it can run on every page view (and mail-scanner fetch).
    v.verify_and_check(token.as_str(), ada, s).await.unwrap();
    let eve = VerifyOptions::new().email("eve@example.com").at(h.now());
    assert_eq!(
        v.verify_and_redeem(token.as_str(), eve, s, "eve")
            .await
            .unwrap_err(),
        Error::EmailMismatch
    );
    let (_, r) = v
        .verify_and_redeem(token.as_str(), ada, s, "user-1")
        .await
        .unwrap();
    assert_eq!(r.uses, 1);
    assert_eq!(
        v.verify_and_redeem(token.as_str(), ada, s, "user-2")
            .await
            .unwrap_err(),
        Error::UsedUp { max_uses: 1 }
    );
    s.revoke(token.invitation().id(), None).await.unwrap();
    assert_eq!(
        v.verify_and_check(token.as_str(), ada, s)
            .await
            .unwrap_err(),
        Error::Revoked
    );
    assert_eq!(
        v.verify_and_check("garbage", ada, s)
            .await
            .unwrap_err()
            .code(),
        "malformed"
    );
}

/// 200 joiners at once on a 5-use invitation: exactly 5 get in, every round.
pub async fn concurrent_joiners_on_five_uses<H: Harness>(h: H) {
    for round in 0..5 {
        let inv = Arc::new(mint(&h, Invitation::builder().max_uses(5)));
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..200 {
            let (s, inv) = (h.store().clone(), inv.clone());
            tasks.spawn(async move { s.redeem(&inv, &format!("joiner-{n}")).await });
        }
        let (mut ok, mut used_up) = (0, 0);
        while let Some(result) = tasks.join_next().await {
            match result.unwrap() {
                Ok(r) => {
                    assert!(!r.repeated);
                    ok += 1
                }
                Err(Error::UsedUp { max_uses: 5 }) => used_up += 1,
                Err(e) => panic!("round {round}: unexpected {e}"),
            }
        }
        assert_eq!((ok, used_up), (5, 195), "round {round}");
        let st = h.store().status(inv.id()).await.unwrap();
        assert_eq!(st.uses, 5);
        assert_eq!(st.joiners.len(), 5);
    }
}

/// The same joiner 50 times at once (a double-clicked button, retries): counted once.
pub async fn one_joiner_fifty_times_at_once<H: Harness>(h: H) {
    let inv = Arc::new(mint(&h, Invitation::builder().max_uses(3)));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (s, inv) = (h.store().clone(), inv.clone());
        tasks.spawn(async move { s.redeem(&inv, "alice").await });
    }
    let mut first = 0;
    let mut joined_at = None;
    while let Some(result) = tasks.join_next().await {
        let r = result.unwrap().expect("every attempt succeeds");
        assert_eq!(r.uses, 1);
        first += usize::from(!r.repeated);
        assert!(joined_at.is_none_or(|t| t == r.joined_at));
        joined_at = Some(r.joined_at);
    }
    assert_eq!(first, 1, "exactly one attempt counted");
    assert_eq!(h.store().status(inv.id()).await.unwrap().uses, 1);
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

// --- Short codes and the attempt limiter ----------------------------------------------------

use admit::store::CodeSpec;
#[cfg(feature = "rand")]
use admit::store::RateLimit;

#[cfg(feature = "rand")]
pub async fn codes_resolve_to_their_token<H: Harness>(h: H) {
    let s = h.store();
    let token = mint_at(Invitation::builder().max_uses(2), h.now());
    let shown = s
        .create_code(token.as_str(), &CodeSpec::random())
        .await
        .unwrap();
    assert_eq!(shown.len(), 10, "{shown}"); // 8 + check character + one dash
    assert!(
        shown
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_uppercase())
    );
    let plain: String = shown.chars().filter(|c| *c != '-').collect();
    // Case, dashes and spaces do not matter.
    for typed in [
        shown.clone(),
        shown.to_lowercase(),
        plain.clone(),
        format!(" {} ", plain.to_lowercase()),
    ] {
        assert_eq!(
            s.resolve_code(&typed).await.unwrap(),
            token.as_str(),
            "{typed}"
        );
    }
    // What comes back verifies and redeems as the invitation itself.
    let text = s.resolve_code(&shown).await.unwrap();
    let v = crate::verifier();
    let (inv, r) = v
        .verify_and_redeem(&text, VerifyOptions::new().at(h.now()), s, "alice")
        .await
        .unwrap();
    assert_eq!(inv.id(), token.invitation().id());
    assert_eq!(r.uses, 1);
    assert_eq!(s.status(inv.id()).await.unwrap().uses, 1);
    // Longer codes.
    let long = s
        .create_code(token.as_str(), &CodeSpec::random_len(10))
        .await
        .unwrap();
    assert_eq!(long.len(), 13, "{long}");
    assert_eq!(s.resolve_code(&long).await.unwrap(), token.as_str());
    assert!(
        s.create_code(token.as_str(), &CodeSpec::random_len(7))
            .await
            .is_err()
    );
}

#[cfg(feature = "rand")]
pub async fn codes_catch_typos_and_unknown_codes<H: Harness>(h: H) {
    let s = h.store();
    let token = mint_at(Invitation::builder(), h.now());
    let shown = s
        .create_code(token.as_str(), &CodeSpec::random())
        .await
        .unwrap();
    // Every single wrong character is caught by the check character, before any lookup.
    const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let plain: Vec<char> = shown.chars().filter(|c| *c != '-').collect();
    for i in 0..plain.len() {
        for c in ALPHABET.chars().filter(|c| *c != plain[i]) {
            let mut typo = plain.clone();
            typo[i] = c;
            let typo: String = typo.into_iter().collect();
            assert_eq!(
                s.resolve_code(&typo).await,
                Err(Error::MistypedCode),
                "{typo}"
            );
        }
    }
    // Look-alikes are read the same: O is 0, I and L are 1.
    let looks: String = plain
        .iter()
        .map(|c| match c {
            '0' => 'O',
            '1' => 'l',
            c => *c,
        })
        .collect();
    assert_eq!(s.resolve_code(&looks).await.unwrap(), token.as_str());
    // A well-formed code nobody created.
    let other = h.with(admit::store::DEFAULT_MARGIN, 100).await;
    assert_eq!(other.resolve_code(&shown).await, Err(Error::UnknownCode));
    for bad in ["", "ab", "no_underscores", "émoji", &"A".repeat(40)] {
        assert!(
            matches!(
                s.resolve_code(bad).await,
                Err(Error::InvalidArgument { .. })
            ),
            "{bad:?}"
        );
    }
}

pub async fn vanity_codes<H: Harness>(h: H) {
    let s = h.store();
    let launch = mint_at(Invitation::builder().max_uses(1000), h.now());
    let other = mint_at(Invitation::builder(), h.now());
    assert_eq!(
        s.create_code(launch.as_str(), &CodeSpec::vanity("Launch-2024"))
            .await
            .unwrap(),
        "LAUNCH-2024"
    );
    for typed in ["LAUNCH-2024", "launch 2024", "launch2024", "1aunch-2024"] {
        assert_eq!(
            s.resolve_code(typed).await.unwrap(),
            launch.as_str(),
            "{typed}"
        );
    }
    assert_eq!(
        s.create_code(other.as_str(), &CodeSpec::vanity("launch 2024"))
            .await,
        Err(Error::CodeTaken)
    );
    assert_eq!(
        s.resolve_code("LAUNCH-2024").await.unwrap(),
        launch.as_str(),
        "the first owner keeps it"
    );
    // Vanity codes cannot take the shape of random ones, nor be too short or odd.
    for bad in ["ABCDEFGHJ", "ABCDEFGHJKM", "abc", "sale!"] {
        assert!(
            matches!(
                s.create_code(other.as_str(), &CodeSpec::vanity(bad)).await,
                Err(Error::InvalidArgument { .. })
            ),
            "{bad}"
        );
    }
    // 9 characters with a U is fine.
    assert!(
        s.create_code(other.as_str(), &CodeSpec::vanity("SUMMER-99"))
            .await
            .is_ok()
    );
}

/// Of many concurrent attempts at one vanity code, exactly one wins.
pub async fn concurrent_creation_of_one_vanity_code<H: Harness>(h: H) {
    let code = format!("SPRING-UP-{}", h.now().unix_timestamp_nanos() % 100_000);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let s = h.store().clone();
        let token = mint_at(Invitation::builder(), h.now());
        let code = code.clone();
        tasks.spawn(async move {
            let r = s.create_code(token.as_str(), &CodeSpec::vanity(code)).await;
            (r, token.into_string())
        });
    }
    let mut winners = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            (Ok(_), token) => winners.push(token),
            (Err(Error::CodeTaken), _) => {}
            (Err(e), _) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(winners.len(), 1);
    assert_eq!(h.store().resolve_code(&code).await.unwrap(), winners[0]);
}

/// The store hands back whatever it holds; the signature check is what protects a code.
#[cfg(feature = "rand")]
pub async fn tampered_code_entries_fail_verification<H: Harness>(h: H) {
    let s = h.store();
    let token = mint_at(Invitation::builder(), h.now());
    let mut forged = crate::reference::decode(token.as_str());
    forged[20] ^= 1; // change a claim, keep the old signature
    let forged = crate::reference::encode(&forged);
    let code = s.create_code(&forged, &CodeSpec::random()).await.unwrap();
    let text = s.resolve_code(&code).await.unwrap();
    assert_eq!(
        crate::verifier().verify_at(&text, h.now()),
        Err(Error::BadSignature)
    );
    // And a code cannot be made for something that is not a token at all.
    assert!(
        s.create_code("not a token", &CodeSpec::random())
            .await
            .is_err()
    );
}

#[cfg(feature = "rand")]
pub async fn codes_expire_with_their_invitation<H: Harness>(h: H) {
    let s = h.with(Duration::ZERO, 100).await;
    let short = mint_at(Invitation::builder().ttl(Duration::seconds(2)), h.now());
    let forever = mint_at(Invitation::builder().never_expires(), h.now());
    let a = s
        .create_code(short.as_str(), &CodeSpec::random())
        .await
        .unwrap();
    let b = s
        .create_code(forever.as_str(), &CodeSpec::random())
        .await
        .unwrap();
    h.advance(Duration::milliseconds(3100)).await;
    assert_eq!(s.resolve_code(&a).await, Err(Error::UnknownCode));
    assert_eq!(s.resolve_code(&b).await.unwrap(), forever.as_str());
    // A code for an invitation already gone is refused.
    let code = s.create_code(short.as_str(), &CodeSpec::random()).await;
    assert_eq!(code.unwrap_err().code(), "expired");
}

#[cfg(feature = "rand")]
pub async fn attempt_limiter_counts_per_client_and_window<H: Harness>(h: H) {
    let s = h.store();
    let client = format!("203.0.113.{}", h.now().unix_timestamp_nanos() % 250);
    let hourly = RateLimit::per_hour(3);
    assert_eq!(s.count_attempt(&client, &hourly).await.unwrap(), 2);
    assert_eq!(s.count_attempt(&client, &hourly).await.unwrap(), 1);
    assert_eq!(s.count_attempt(&client, &hourly).await.unwrap(), 0);
    match s.count_attempt(&client, &hourly).await {
        Err(Error::RateLimited { retry_after }) => {
            assert!(retry_after <= std::time::Duration::from_secs(3600))
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
    // Another client has its own count.
    assert_eq!(
        s.count_attempt(&format!("{client}-other"), &hourly)
            .await
            .unwrap(),
        2
    );
    // Behind the limiter, codes resolve until the limit is reached.
    let token = mint_at(Invitation::builder(), h.now());
    let code = s
        .create_code(token.as_str(), &CodeSpec::random())
        .await
        .unwrap();
    let guesser = format!("{client}-guesser");
    let limit = RateLimit::per_hour(2);
    assert!(s.resolve_code_for(&guesser, &code, &limit).await.is_ok());
    assert!(
        s.resolve_code_for(&guesser, "ZZZZ-ZZZZ", &limit)
            .await
            .is_err()
    );
    assert_eq!(
        s.resolve_code_for(&guesser, &code, &limit)
            .await
            .unwrap_err()
            .code(),
        "rate_limited"
    );

    // A short window: once it is over, attempts are allowed again.
    let short = RateLimit::new(1, Duration::seconds(1));
    let burst = format!("{client}-burst");
    let mut limited = false;
    for _ in 0..5 {
        if s.count_attempt(&burst, &short).await.is_err() {
            limited = true;
            break;
        }
    }
    assert!(limited, "the limit was never reached");
    h.advance(Duration::milliseconds(1100)).await;
    assert!(s.count_attempt(&burst, &short).await.is_ok());

    // Concurrent attempts: exactly the limit gets through.
    let crowd = format!("{client}-crowd");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (s, crowd) = (h.store().clone(), crowd.clone());
        tasks.spawn(async move {
            s.count_attempt(&crowd, &RateLimit::per_hour(10))
                .await
                .is_ok()
        });
    }
    let mut allowed = 0;
    while let Some(ok) = tasks.join_next().await {
        allowed += usize::from(ok.unwrap());
    }
    assert_eq!(allowed, 10);
    for bad in [
        RateLimit::per_hour(0),
        RateLimit::new(5, Duration::milliseconds(10)),
    ] {
        assert!(matches!(
            s.count_attempt(&client, &bad).await,
            Err(Error::InvalidArgument { .. })
        ));
    }
    assert!(matches!(
        s.count_attempt("", &hourly).await,
        Err(Error::InvalidArgument { .. })
    ));
}
