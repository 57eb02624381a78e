//! Paging through the registry past the 1,000 a call returns, and expired invitations on
//! request.

use admit::store::{IssuedInvitation, ListCursor, ListFilter, Store};
use admit::{Invitation, InvitationBuilder, InvitationId};
use time::{Duration, OffsetDateTime};

use super::super::harness::Harness;

/// Twelve bytes from a counter and a seed, scrambled so IDs are not in insertion order; the last
/// byte is even, so the ID one above is never minted.
fn scrambled_id(seed: u32, n: u32) -> InvitationId {
    let mut x = u64::from(seed) << 32 | u64::from(n);
    let mut bytes = [0u8; 12];
    for chunk in bytes.chunks_mut(8) {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 29;
        let b = x.to_le_bytes();
        chunk.copy_from_slice(&b[..chunk.len()]);
    }
    // Keep the counter in the ID so no two collide.
    bytes[4..8].copy_from_slice(&n.to_be_bytes());
    bytes[11] &= 0xfe;
    InvitationId::from_bytes(bytes)
}

fn one_above(id: InvitationId) -> InvitationId {
    let mut bytes = id.to_bytes();
    bytes[11] |= 1;
    InvitationId::from_bytes(bytes)
}

fn minted(builder: InvitationBuilder, id: InvitationId, now: OffsetDateTime) -> Invitation {
    crate::issuer()
        .mint_with_id(builder, id, now)
        .expect("valid claims")
        .invitation()
        .clone()
}

/// Every page of a filter, `limit` at a time, checking each page is full but the last.
async fn every_page<S: Store>(s: &S, filter: ListFilter, limit: usize) -> Vec<IssuedInvitation> {
    let mut filter = filter.limit(limit);
    let mut all = Vec::new();
    loop {
        let page = s.list(&filter).await.unwrap();
        assert!(page.len() <= limit);
        let full = page.len() == limit;
        if let Some(last) = page.last() {
            filter = filter.after(last.cursor());
        }
        all.extend(page);
        assert!(all.len() <= 10_000, "paging does not end");
        if !full {
            return all;
        }
    }
}

/// 2,600 recorded invitations, 1,000 of them never expiring and 1,000 expiring in the same
/// second, listed a thousand (and 333) at a time: each exactly once, in the order every store
/// shares. A cursor whose invitation does not exist starts where it would be.
pub async fn list_pages_past_a_thousand<H: Harness>(h: H) {
    let s = h.with(admit::store::DEFAULT_MARGIN, 100).await;
    let now = h.now();
    let same_second = now + Duration::days(3);
    let seed = std::process::id();
    let invitations: Vec<Invitation> = (0..2600u32)
        .map(|n| {
            let b = Invitation::builder().inviter(if n % 3 == 0 { "grace" } else { "alan" });
            let b = match n % 5 {
                0 | 1 => b.never_expires(),
                2 | 3 => b.expires_at(same_second),
                _ => b.ttl(Duration::hours(i64::from(n % 97) + 1)),
            };
            minted(b, scrambled_id(seed, n), now)
        })
        .collect();
    // Recorded by 16 tasks at once.
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in invitations.chunks(invitations.len().div_ceil(16)) {
        let (s, chunk) = (s.clone(), chunk.to_vec());
        tasks.spawn(async move {
            for i in &chunk {
                s.record_issued(i, None).await.unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }

    let mut expected: Vec<ListCursor> = invitations
        .iter()
        .map(|i| ListCursor::of(i.expires_at(), i.issued_at(), i.id()))
        .collect();
    expected.sort();
    let got: Vec<ListCursor> = every_page(&s, ListFilter::new(), 1000)
        .await
        .iter()
        .map(IssuedInvitation::cursor)
        .collect();
    assert_eq!(got.len(), 2600);
    assert!(got == expected, "every invitation once, in order");

    let grace: Vec<ListCursor> = expected
        .iter()
        .copied()
        .filter(|c| {
            invitations
                .iter()
                .any(|i| i.id() == c.id() && i.inviter() == Some("grace"))
        })
        .collect();
    let got: Vec<ListCursor> = every_page(&s, ListFilter::new().inviter("grace"), 333)
        .await
        .iter()
        .map(IssuedInvitation::cursor)
        .collect();
    assert_eq!(got.len(), 867);
    assert!(got == grace, "one inviter's, in order");

    // A cursor between two invitations of one second, and between two that never expire.
    for k in [1200, 2300] {
        let absent = ListCursor::new(expected[k].expires_at(), one_above(expected[k].id()));
        let page = s
            .list(&ListFilter::new().after(absent).limit(5))
            .await
            .unwrap();
        let got: Vec<ListCursor> = page.iter().map(IssuedInvitation::cursor).collect();
        assert_eq!(
            got,
            expected[k + 1..k + 6],
            "after a cursor of no invitation"
        );
    }
    // After the last, nothing; the text form of a cursor round-trips.
    let last = *expected.last().unwrap();
    let after_last = ListFilter::new().after(last.to_string().parse().unwrap());
    assert!(s.list(&after_last).await.unwrap().is_empty());
}

/// Expired invitations are listed only on request, first, while the store remembers them.
pub async fn expired_invitations_on_request<H: Harness>(h: H) {
    let s = h.with(admit::store::DEFAULT_MARGIN, 100).await;
    let forgetful = h.with(Duration::ZERO, 100).await;
    let seed = std::process::id() ^ 0x5eed;
    let now = h.now();
    let soon = minted(
        Invitation::builder()
            .inviter("grace")
            .ttl(Duration::seconds(2)),
        scrambled_id(seed, 1),
        now,
    );
    let later = minted(
        Invitation::builder().ttl(Duration::hours(2)),
        scrambled_id(seed, 2),
        now,
    );
    for store in [&s, &forgetful] {
        store.record_issued(&soon, None).await.unwrap();
        store.record_issued(&later, None).await.unwrap();
    }
    h.advance(Duration::milliseconds(3100)).await;
    let ids = |list: Vec<IssuedInvitation>| list.iter().map(|i| i.id).collect::<Vec<_>>();

    assert_eq!(ids(s.list(&ListFilter::new()).await.unwrap()), [later.id()]);
    let with_expired = s.list(&ListFilter::new().include_expired()).await.unwrap();
    assert_eq!(ids(with_expired.clone()), [soon.id(), later.id()]);
    assert!(with_expired[0].is_expired(h.now()));
    assert!(!with_expired[1].is_expired(h.now()));
    let of_grace = ListFilter::new().inviter("grace").include_expired();
    assert_eq!(ids(s.list(&of_grace).await.unwrap()), [soon.id()]);
    // Paging goes on from an expired one to the live ones.
    let next = ListFilter::new()
        .include_expired()
        .after(with_expired[0].cursor());
    assert_eq!(ids(s.list(&next).await.unwrap()), [later.id()]);

    // A store that keeps nothing past expiry has nothing expired to show.
    let listed = forgetful
        .list(&ListFilter::new().include_expired())
        .await
        .unwrap();
    assert_eq!(ids(listed), [later.id()]);
}

/// A search finds invitations by the start of their email or their inviter, in any case
/// (Unicode's lower case on both sides), across pages and with the other filters; it is a
/// prefix, not a substring; a search that is too long or holds control characters is refused.
pub async fn list_searches_by_the_start_of_email_or_inviter<H: Harness>(h: H) {
    let s = h.store();
    let now = OffsetDateTime::now_utc();
    let rows: [(Option<&str>, Option<&str>); 7] = [
        (Some("ada@example.com"), Some("Grace")),
        (Some("adam@example.com"), None),
        (Some("bob@example.com"), Some("ada-team")),
        (None, Some("ÉLODIE")),
        (Some("carol@example.com"), Some("grace")),
        (None, None),
        (Some("dave@ada.example"), Some("linus")),
    ];
    let mut ids = Vec::new();
    for (k, (email, inviter)) in rows.into_iter().enumerate() {
        let mut b = Invitation::builder().ttl(Duration::hours(1 + k as i64));
        if let Some(email) = email {
            b = b.email(email);
        }
        if let Some(inviter) = inviter {
            b = b.inviter(inviter);
        }
        let inv = minted(b, scrambled_id(77, k as u32), now);
        s.record_issued(&inv, None).await.unwrap();
        ids.push(inv.id());
    }
    let found = |list: Vec<IssuedInvitation>| list.iter().map(|i| i.id).collect::<Vec<_>>();
    let search = |text: &str| ListFilter::new().search(text);
    // "ada": two emails and one inviter, in the list's order; not "dave@ada…" (a substring).
    let got = found(s.list(&search("ada")).await.unwrap());
    assert_eq!(got, vec![ids[0], ids[1], ids[2]]);
    assert_eq!(found(s.list(&search("ADA@")).await.unwrap()), vec![ids[0]]);
    assert_eq!(
        found(s.list(&search("gRaCe")).await.unwrap()),
        vec![ids[0], ids[4]]
    );
    // Beyond ASCII: É and é are one letter in two cases.
    assert_eq!(found(s.list(&search("élo")).await.unwrap()), vec![ids[3]]);
    assert!(s.list(&search("zz")).await.unwrap().is_empty());
    // With the inviter filter (exact) and in pages of one.
    let graced = search("c").inviter("grace");
    assert_eq!(found(s.list(&graced).await.unwrap()), vec![ids[4]]);
    let pages = every_page(s, search("ada"), 1).await;
    assert_eq!(found(pages), vec![ids[0], ids[1], ids[2]]);
    // A blank search is no search.
    assert_eq!(s.list(&search("  ")).await.unwrap().len(), rows.len());
    // Counts: what the list holds over all its pages, whatever the limit and the cursor.
    assert_eq!(s.count(&ListFilter::new().limit(1)).await.unwrap(), 7);
    assert_eq!(s.count(&search("ada")).await.unwrap(), 3);
    assert_eq!(
        s.count(&search("ada").after(ListCursor::new(None, ids[0])))
            .await
            .unwrap(),
        3
    );
    assert_eq!(s.count(&graced).await.unwrap(), 1);
    assert_eq!(
        s.count(&ListFilter::new().inviter("grace")).await.unwrap(),
        1
    );
    assert_eq!(s.count(&search("zz")).await.unwrap(), 0);
    for bad in ["x".repeat(321), "ada\u{7}".to_owned()] {
        let refused = s.list(&search(&bad)).await;
        assert!(
            matches!(
                refused,
                Err(admit::Error::InvalidArgument { name: "search", .. })
            ),
            "{refused:?}"
        );
    }
}

/// Newest first: most recently issued first, then by ID (highest first) within one second,
/// in pages that go on from `IssuedInvitation::cursor`, with the inviter filter and a search;
/// what has expired only with the expired filter; a cursor without an issue time is refused.
pub async fn list_newest_first<H: Harness>(h: H) {
    let s = h.store();
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let mut made = Vec::new();
    // 30 invitations over 10 seconds (three in each), two inviters, IDs scrambled.
    for n in 0..30u32 {
        let issued = now - Duration::seconds(60) + Duration::seconds(i64::from(n / 3));
        let inviter = if n % 2 == 0 { "grace" } else { "linus" };
        let b = Invitation::builder()
            .inviter(inviter)
            .email(format!("p{n}@example.com"))
            .ttl(Duration::hours(2));
        let inv = minted(b, scrambled_id(91, n), issued);
        s.record_issued(&inv, None).await.unwrap();
        made.push(inv);
    }
    // One that expired a moment ago (within the store's margin), issued last.
    let gone = minted(
        Invitation::builder()
            .inviter("grace")
            .ttl(Duration::seconds(2)),
        scrambled_id(91, 99),
        now - Duration::seconds(4),
    );
    s.record_issued(&gone, None).await.unwrap();
    let mut expected: Vec<&Invitation> = made.iter().collect();
    expected.sort_by_key(|i| std::cmp::Reverse((i.issued_at(), i.id())));
    let ids = |v: &[&Invitation]| v.iter().map(|i| i.id()).collect::<Vec<_>>();

    let all = every_page(s, ListFilter::new().newest_first(), 4).await;
    assert_eq!(all.iter().map(|i| i.id).collect::<Vec<_>>(), ids(&expected));
    let graces: Vec<&Invitation> = expected
        .iter()
        .copied()
        .filter(|i| i.inviter() == Some("grace"))
        .collect();
    let listed = every_page(s, ListFilter::new().newest_first().inviter("grace"), 3).await;
    assert_eq!(
        listed.iter().map(|i| i.id).collect::<Vec<_>>(),
        ids(&graces)
    );
    let searched = every_page(s, ListFilter::new().newest_first().search("P1"), 2).await;
    let ones: Vec<&Invitation> = expected
        .iter()
        .copied()
        .filter(|i| i.email().is_some_and(|e| e.starts_with("p1")))
        .collect();
    assert_eq!(
        searched.iter().map(|i| i.id).collect::<Vec<_>>(),
        ids(&ones)
    );
    // The expired one: only on request, and then where its issue time puts it (first).
    let with_expired = s
        .list(&ListFilter::new().newest_first().include_expired().limit(2))
        .await
        .unwrap();
    assert_eq!(with_expired[0].id, gone.id());
    assert_eq!(with_expired[1].id, expected[0].id());
    // A cursor that does not hold an issue time cannot place a newest-first page.
    let old_style = ListCursor::new(None, made[0].id());
    let refused = s
        .list(&ListFilter::new().newest_first().after(old_style))
        .await;
    assert!(
        matches!(
            refused,
            Err(admit::Error::InvalidArgument { name: "cursor", .. })
        ),
        "{refused:?}"
    );
    // The soonest-expiry order is unchanged, and its pages take the same cursors.
    let by_expiry = every_page(s, ListFilter::new(), 7).await;
    assert_eq!(by_expiry.len(), 30);
}
