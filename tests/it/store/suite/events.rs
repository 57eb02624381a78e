//! The event log: one event per fact, written with it; in one order, page by page; filtered;
//! gone with its invitation's state.

use std::collections::{HashMap, HashSet};

use admit::store::{
    CodeSpec, Event, EventCursor, EventFilter, EventKind, EventType, Events, FunnelQuery,
    ShortCodes, Store, Visits,
};
use admit::{Error, Invitation};
use time::Duration;

use super::{mint, mint_at, to_ms};
use crate::store::harness::Harness;

/// Every event after `after` that passes `filter`, read `page` at a time.
async fn read_all<S: Events>(s: &S, filter: EventFilter, page: usize) -> Vec<Event> {
    let mut filter = filter.limit(page);
    let mut all: Vec<Event> = Vec::new();
    loop {
        let got = s.events(&filter).await.expect("events");
        assert!(got.len() <= page, "a page holds at most its limit");
        let Some(last) = got.last() else { break };
        filter = filter.after(last.cursor);
        let full = got.len() == page;
        all.extend(got);
        if !full {
            break;
        }
    }
    all
}

fn types(events: &[Event]) -> Vec<EventType> {
    events.iter().map(Event::event_type).collect()
}

pub async fn events_record_every_fact<H: Harness>(h: H) {
    let s = h.store();
    let token = mint_at(
        Invitation::builder()
            .max_uses(2)
            .inviter("grace")
            .email("ada@example.com"),
        h.now(),
    );
    let inv = token.invitation().clone();
    s.record_issued(&inv, Some("launch batch")).await.unwrap();
    s.record_visit(&inv, "ua=test").await.unwrap();
    s.redeem(&inv, "alice").await.unwrap();
    // A repeated redemption is not a new fact; a refused one is none at all.
    assert!(s.redeem(&inv, "alice").await.unwrap().repeated);
    s.redeem(&inv, "bob").await.unwrap();
    assert_eq!(
        s.redeem(&inv, "carol").await,
        Err(Error::UsedUp { max_uses: 2 })
    );
    let admin = s.acting_as("admin:root").unwrap();
    assert!(admin.revoke_invitation(&inv).await.unwrap());
    assert!(
        !admin.revoke_invitation(&inv).await.unwrap(),
        "no second event"
    );
    assert_eq!(s.redeem(&inv, "dave").await, Err(Error::Revoked));
    s.create_code(token.as_str(), &CodeSpec::vanity("EVENT-LOG"))
        .await
        .unwrap();

    let mut log = read_all(s, EventFilter::new().invitation(inv.id()), 100).await;
    let cursors: Vec<EventCursor> = log.iter().map(|e| e.cursor).collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
    let last = cursors.iter().max().copied().expect("events");
    if h.merged_log() {
        // On the Cluster a short code's event lives in the code's bucket, so it is ordered
        // with its invitation's other events to the millisecond only (docs/events.md): within
        // one millisecond the bucket's rank decides. Put it last by time to compare the rest.
        let code = log
            .iter()
            .position(|e| e.event_type() == EventType::CodeCreated)
            .expect("a code_created event");
        let created = log.remove(code);
        assert!(
            log.iter().all(|e| e.at <= created.at),
            "{log:?} {created:?}"
        );
        log.push(created);
    }
    assert_eq!(
        types(&log),
        [
            EventType::Issued,
            EventType::Visited,
            EventType::Redeemed,
            EventType::Redeemed,
            EventType::Exhausted,
            EventType::Revoked,
            EventType::CodeCreated,
        ]
    );
    for event in &log {
        assert_eq!(event.invitation, Some(inv.id()));
        assert_eq!(event.inviter.as_deref(), Some("grace"), "{event:?}");
        assert!(event.at >= to_ms(inv.issued_at()) - Duration::seconds(1));
    }
    assert_eq!(
        log[0].kind,
        EventKind::Issued {
            expires_at: inv.expires_at().map(to_ms),
            max_uses: Some(2),
            email: Some("ada@example.com".into()),
            description: Some("launch batch".into()),
        }
    );
    assert_eq!(
        log[1].kind,
        EventKind::Visited {
            metadata: "ua=test".into()
        }
    );
    assert_eq!(
        log[3].kind,
        EventKind::Redeemed {
            joiner: "bob".into(),
            uses: 2,
            max_uses: Some(2)
        }
    );
    assert_eq!(log[4].kind, EventKind::Exhausted { max_uses: 2 });
    assert_eq!(log[5].actor.as_deref(), Some("admin:root"));
    assert_eq!(log[2].actor, None);

    // A rule: no invitation, the rule's inviter, the cut-off in force.
    let cutoff = to_ms(h.now() - Duration::minutes(5));
    s.acting_as("admin:root")
        .unwrap()
        .revoke_issued_before(cutoff, Some("mallory"))
        .await
        .unwrap();
    // An earlier cut-off changes nothing, and writes nothing.
    s.revoke_issued_before(cutoff - Duration::minutes(1), Some("mallory"))
        .await
        .unwrap();
    let rules = read_all(s, EventFilter::new().types([EventType::RuleAdded]), 100).await;
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(rules[0].invitation, None);
    assert_eq!(rules[0].inviter.as_deref(), Some("mallory"));
    assert_eq!(rules[0].actor.as_deref(), Some("admin:root"));
    assert_eq!(rules[0].kind, EventKind::RuleAdded { cutoff });
    // Later than every event of the invitation: in cursor order, or on the Cluster (another
    // bucket) to the millisecond.
    if h.merged_log() {
        assert!(log.iter().all(|e| e.at <= rules[0].at));
    } else {
        assert!(rules[0].cursor > last);
    }

    // The text form of a cursor reads back, and nothing secret is in the log.
    let text = format!("{:?}", read_all(s, EventFilter::new(), 1000).await);
    assert!(!text.contains(token.as_str()), "no token text in events");
    assert_eq!(
        log[0].cursor.to_string().parse::<EventCursor>().unwrap(),
        log[0].cursor
    );
}

pub async fn events_filter_and_refuse_bad_filters<H: Harness>(h: H) {
    let s = h.store();
    let a = mint(&h, Invitation::builder().inviter("filter-a"));
    let b = mint(&h, Invitation::builder().inviter("filter-b").max_uses(1));
    for inv in [&a, &b] {
        s.record_issued(inv, None).await.unwrap();
    }
    s.redeem(&b, "joiner").await.unwrap();
    s.redeem(&a, "joiner").await.unwrap();

    let of_b = read_all(s, EventFilter::new().inviter("filter-b"), 100).await;
    assert_eq!(
        types(&of_b),
        [EventType::Issued, EventType::Redeemed, EventType::Exhausted]
    );
    let redeemed = EventFilter::new()
        .inviter("filter-a")
        .types([EventType::Redeemed]);
    let of_a = read_all(s, redeemed, 100).await;
    assert_eq!(types(&of_a), [EventType::Redeemed]);
    let both = EventFilter::new()
        .invitation(b.id())
        .types([EventType::Issued, EventType::Exhausted]);
    assert_eq!(
        types(&read_all(s, both, 1).await),
        [EventType::Issued, EventType::Exhausted]
    );
    // After the last event: nothing (a follower's empty page).
    let last = of_b.last().unwrap().cursor;
    let after = EventFilter::new().inviter("filter-b").after(last);
    assert!(s.events(&after).await.unwrap().is_empty());

    for bad in [
        EventFilter::new().limit(0),
        EventFilter::new().limit(1001),
        EventFilter::new().inviter(""),
    ] {
        let refused = s.events(&bad).await;
        assert!(
            matches!(refused, Err(Error::InvalidArgument { .. })),
            "{bad:?}: {refused:?}"
        );
    }
    for actor in ["", "a\nb", &"x".repeat(129)] {
        assert!(matches!(
            s.acting_as(actor),
            Err(Error::InvalidArgument { name: "actor", .. })
        ));
    }
}

/// 16 writers at once, over 5,000 events: every event once, in cursor order, whatever the page
/// size, and each writer's own events in the order it made them (on Redis Cluster, whose log is
/// 64 streams merged by the masters' clocks: each invitation's in order, the rest to the
/// millisecond).
pub async fn events_page_in_one_order_under_concurrency<H: Harness>(h: H) {
    const WRITERS: usize = 16;
    const EACH: usize = 160;
    let inviter = format!("order-{}", h.now().unix_timestamp_nanos() % 1_000_000);
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..WRITERS {
        let s = h.store().clone();
        let invs: Vec<Invitation> = (0..EACH / 2)
            .map(|_| mint(&h, Invitation::builder().inviter(inviter.as_str())))
            .collect();
        tasks.spawn(async move {
            let mut mine = Vec::new();
            for inv in invs {
                // Two facts per invitation, one after the other: issued, then redeemed.
                s.record_issued(&inv, None).await.unwrap();
                s.redeem(&inv, &format!("writer-{w}")).await.unwrap();
                mine.push(inv.id());
            }
            mine
        });
    }
    let mut order_of_writer = Vec::new();
    while let Some(done) = tasks.join_next().await {
        order_of_writer.push(done.unwrap());
    }
    let total = WRITERS * EACH;
    let filter = || EventFilter::new().inviter(inviter.as_str());
    let reference = read_all(h.store(), filter(), 1000).await;
    assert_eq!(reference.len(), total);
    for page in [1, 7] {
        let other = read_all(h.store(), filter(), page).await;
        let (a, b): (Vec<_>, Vec<_>) = (
            other.iter().map(|e| e.cursor).collect(),
            reference.iter().map(|e| e.cursor).collect(),
        );
        assert_eq!(a, b, "pages of {page} read the same log");
    }
    let cursors: Vec<EventCursor> = reference.iter().map(|e| e.cursor).collect();
    assert!(
        cursors.windows(2).all(|w| w[0] < w[1]),
        "strictly increasing"
    );
    assert_eq!(
        cursors.iter().collect::<HashSet<_>>().len(),
        total,
        "each event exactly once"
    );
    // A writer's facts happened one after the other: their events come in that order.
    let position: HashMap<(admit::InvitationId, EventType), usize> = reference
        .iter()
        .enumerate()
        .map(|(i, e)| ((e.invitation.unwrap(), e.event_type()), i))
        .collect();
    let merged = h.merged_log();
    for ids in order_of_writer {
        let mut last: Option<usize> = None;
        for id in ids {
            let issued = position[&(id, EventType::Issued)];
            let redeemed = position[&(id, EventType::Redeemed)];
            assert!(issued < redeemed, "one invitation's events in order");
            if let Some(last) = last {
                if merged {
                    // A cluster cursor starts with its stream ID's millisecond.
                    let ms = |c: EventCursor| -> u64 {
                        c.to_string().split('-').next().unwrap().parse().unwrap()
                    };
                    let (before, after) = (reference[last].cursor, reference[issued].cursor);
                    assert!(
                        ms(before) <= ms(after),
                        "a writer's order holds to the millisecond: {before} {after}"
                    );
                } else {
                    assert!(last < issued, "a writer's order holds");
                }
            }
            last = Some(redeemed);
        }
    }
}

/// A follower waits for the next event instead of spinning, and wakes when it is written.
pub async fn next_events_waits_for_the_next_event<H: Harness>(h: H) {
    let s = h.store();
    let inv = mint(&h, Invitation::builder().inviter("follow-me"));
    let filter = EventFilter::new().inviter("follow-me");
    let waiting = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        s.next_events(&filter),
    )
    .await;
    assert!(waiting.is_err(), "nothing to return yet: still waiting");
    let follower = tokio::spawn({
        let (s, filter) = (s.clone(), filter.clone());
        async move { s.next_events(&filter).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    s.record_issued(&inv, None).await.unwrap();
    let page = tokio::time::timeout(std::time::Duration::from_secs(5), follower)
        .await
        .expect("woken within 5 s")
        .unwrap()
        .unwrap();
    assert_eq!(types(&page), [EventType::Issued]);
}

/// Events go with their invitation's state: here a margin of zero after it expires.
pub async fn events_expire_with_their_invitation<H: Harness>(h: H) {
    let s = h.with(Duration::ZERO, 100).await;
    let short = mint(
        &h,
        Invitation::builder()
            .inviter("expiring")
            .ttl(Duration::seconds(2)),
    );
    let forever = mint(
        &h,
        Invitation::builder().inviter("expiring").never_expires(),
    );
    s.record_issued(&short, None).await.unwrap();
    s.redeem(&short, "alice").await.unwrap();
    s.record_issued(&forever, None).await.unwrap();
    let filter = || EventFilter::new().inviter("expiring");
    assert_eq!(read_all(&s, filter(), 10).await.len(), 3);
    h.advance(Duration::milliseconds(3100)).await;
    let left = read_all(&s, filter(), 10).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].invitation, Some(forever.id()));
    // Shared state, one log: a handle acting as someone reads the same events.
    let acting = s.acting_as("someone").unwrap();
    assert_eq!(read_all(&acting, filter(), 10).await, left);
}

/// A follower's record changes only from the version its writer read, even when many race.
pub async fn consumer_records_compare_and_set<H: Harness>(h: H) {
    let s = h.store();
    assert_eq!(s.consumer("hooks").await.unwrap(), None);
    assert!(s.set_consumer("hooks", 0, "v1").await.unwrap());
    assert!(!s.set_consumer("hooks", 0, "again").await.unwrap());
    assert!(!s.set_consumer("hooks", 7, "wrong").await.unwrap());
    assert_eq!(s.consumer("hooks").await.unwrap(), Some((1, "v1".into())));
    // Eight writers race from the same version: exactly one wins.
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..8 {
        let s = s.clone();
        tasks.spawn(async move { s.set_consumer("hooks", 1, &format!("w{n}")).await.unwrap() });
    }
    let mut won = 0;
    while let Some(done) = tasks.join_next().await {
        won += usize::from(done.unwrap());
    }
    assert_eq!(won, 1);
    assert_eq!(s.consumer("hooks").await.unwrap().unwrap().0, 2);
    assert!(matches!(
        s.set_consumer("hooks", 2, &"x".repeat(4097)).await,
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        s.consumer("").await,
        Err(Error::InvalidArgument {
            name: "consumer",
            ..
        })
    ));
}

/// Funnel numbers: of the invitations recorded in the period, per inviter, how many were
/// opened (visited or redeemed) and how many redeemed until now, and how many joined.
pub async fn funnel_counts_each_stage_per_inviter<H: Harness>(h: H) {
    let s = h.with(admit::store::DEFAULT_MARGIN, 100).await;
    let start = h.now();
    let issue = |inviter: &'static str| {
        let inv = mint(&h, Invitation::builder().inviter(inviter).max_uses(3));
        let s = &s;
        async move {
            s.record_issued(&inv, None).await.unwrap();
            inv
        }
    };
    // grace: four issued; one only visited, one visited and redeemed by two, one redeemed
    // without a recorded visit (still opened), one untouched.
    let visited = issue("grace").await;
    let joined_twice = issue("grace").await;
    let redeemed_only = issue("grace").await;
    issue("grace").await;
    s.record_visit(&visited, "a").await.unwrap();
    s.record_visit(&visited, "b").await.unwrap();
    s.record_visit(&joined_twice, "a").await.unwrap();
    s.redeem(&joined_twice, "alice").await.unwrap();
    s.redeem(&joined_twice, "bob").await.unwrap();
    s.redeem(&redeemed_only, "carol").await.unwrap();
    // linus: two issued, neither opened; one without an inviter, redeemed.
    issue("linus").await;
    issue("linus").await;
    let nobody = mint(&h, Invitation::builder());
    s.record_issued(&nobody, None).await.unwrap();
    s.redeem(&nobody, "dave").await.unwrap();
    // Never recorded: its redemption is in no funnel.
    let unrecorded = mint(&h, Invitation::builder().inviter("grace"));
    s.redeem(&unrecorded, "erin").await.unwrap();

    h.advance(Duration::milliseconds(20)).await;
    let end = h.now();
    h.advance(Duration::milliseconds(20)).await;
    // After the period: a new invitation is out of it; a later use of one in it counts.
    let late = issue("grace").await;
    s.redeem(&late, "frank").await.unwrap();
    s.redeem(&visited, "gina").await.unwrap();

    let period = FunnelQuery::new(start - Duration::seconds(1), end).unwrap();
    let funnel = s.funnel(&period).await.unwrap();
    let rows: Vec<(Option<&str>, u64, u64, u64, u64)> = funnel
        .inviters
        .iter()
        .map(|r| {
            (
                r.inviter.as_deref(),
                r.issued,
                r.opened,
                r.redeemed,
                r.joined,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (Some("grace"), 4, 3, 3, 4),
            (Some("linus"), 2, 0, 0, 0),
            (None, 1, 1, 1, 1),
        ]
    );
    let total = &funnel.total;
    assert_eq!(
        (total.issued, total.opened, total.redeemed, total.joined),
        (7, 4, 4, 5)
    );
    assert_eq!(total.open_rate(), Some(4.0 / 7.0));
    assert_eq!(funnel.inviters[1].redeem_rate(), None);
    assert!(funnel.events_read >= 17, "{}", funnel.events_read);

    let linus = s.funnel(&period.clone().inviter("linus")).await.unwrap();
    assert_eq!((linus.total.issued, linus.inviters.len()), (2, 1));
    assert_eq!(linus.total.inviter.as_deref(), Some("linus"));
    // The next period holds only the late one.
    let next = FunnelQuery::new(end, h.now() + Duration::seconds(1)).unwrap();
    let later = s.funnel(&next).await.unwrap();
    assert_eq!(
        (
            later.total.issued,
            later.total.redeemed,
            later.inviters.len()
        ),
        (1, 1, 1)
    );
    // Since a time: the log's filter agrees with the funnel's reading.
    let since = read_all(&s, EventFilter::new().since(end), 7).await;
    assert!(since.iter().all(|e| e.at >= end), "{since:?}");
    assert_eq!(
        types(&since),
        [EventType::Issued, EventType::Redeemed, EventType::Redeemed]
    );

    assert!(matches!(
        FunnelQuery::new(end, end),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        s.funnel(&period.inviter("")).await,
        Err(Error::InvalidArgument { .. })
    ));
}
