//! One settings vocabulary: every builder is a `StoreBuilder` with the same setters, and what a
//! setting may not be is refused the same way by every store that opens.

use std::time::Duration as StdDuration;

use admit::Error;
use admit::store::{AnyStore, MemoryStore, StoreBuilder};
use time::Duration;

/// The settings every store takes, set through any builder.
fn shared<B>(builder: StoreBuilder<B>) -> StoreBuilder<B> {
    builder.margin(Duration::hours(2)).visit_cap(7)
}

#[test]
fn every_builder_takes_the_same_settings() {
    let store = shared(MemoryStore::builder()).build();
    assert!(format!("{store:?}").contains("visit_cap: 7"), "{store:?}");
    let _ = shared(AnyStore::builder())
        .prefix("acme_")
        .deadline(StdDuration::from_secs(1));
    #[cfg(feature = "redis")]
    let _ = shared(admit::store::RedisStore::builder())
        .prefix("acme:")
        .leeway(Duration::ZERO);
    #[cfg(feature = "postgres")]
    let _ = shared(admit::store::PgStore::builder())
        .prefix("acme_")
        .max_connections(4);
    #[cfg(feature = "sqlite")]
    let _ = shared(admit::store::SqliteStore::builder())
        .prefix("acme_")
        .readers(2);
}

#[tokio::test]
async fn settings_no_store_can_keep_are_refused_when_it_opens() {
    let opened = |builder: admit::store::AnyStoreBuilder| builder.connect("memory:");
    let refused = [
        (opened(AnyStore::builder().visit_cap(0)).await, "visit_cap"),
        (
            opened(AnyStore::builder().visit_cap(100_001)).await,
            "visit_cap",
        ),
        (
            opened(AnyStore::builder().deadline(StdDuration::ZERO)).await,
            "deadline",
        ),
        (
            opened(AnyStore::builder().margin(-Duration::SECOND)).await,
            "margin",
        ),
    ];
    for (result, setting) in refused {
        match result {
            Err(Error::InvalidArgument { name, .. }) => assert_eq!(name, setting),
            other => panic!("{setting}: {other:?}"),
        }
    }
    #[cfg(feature = "sqlite")]
    {
        let dir = crate::support::TempDir::new("settings");
        let url = format!("sqlite://{}", dir.path().join("admit.db").display());
        for (builder, setting) in [
            (AnyStore::builder().prefix("Not-A-Table"), "prefix"),
            (AnyStore::builder().visit_cap(0), "visit_cap"),
        ] {
            let refused = builder.create_if_missing().connect(&url).await;
            assert!(
                matches!(refused, Err(Error::InvalidArgument { name, .. }) if name == setting),
                "{setting}: {refused:?}"
            );
        }
        assert!(!dir.path().join("admit.db").exists(), "nothing was created");
    }
}
