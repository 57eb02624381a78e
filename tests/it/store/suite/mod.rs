//! The conformance suite: every backend must pass every test here. Redemption and the
//! registry here; revocation and short codes in their own files.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use admit::store::{ListFilter, Store, Visits};
use admit::{Error, Invitation, InvitationBuilder, InvitationId, VerifyOptions};
use time::{Duration, OffsetDateTime};

use super::harness::Harness;

mod codes;
mod events;
mod listing;
mod revocation;
mod revocation_lists;

pub use codes::*;
pub use events::*;
pub use listing::*;
pub use revocation::*;
pub use revocation_lists::*;

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
