//! Short codes and the attempt limiter.

#[cfg(feature = "rand")]
use admit::VerifyOptions;
#[cfg(feature = "rand")]
use admit::store::{AttemptLimiter, RateLimit, Store};
use admit::store::{CodeSpec, ShortCodes};
use admit::{Error, Invitation};
#[cfg(feature = "rand")]
use time::Duration;

use super::mint_at;
use crate::store::harness::Harness;

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
    // Hourly windows are aligned to the hour. Run clear of a boundary, or a count could restart
    // between two attempts (the Redis harness runs on the real clock: this once failed at
    // 23:00:00). The checks below take a few seconds; a minute of room is plenty.
    let into_hour = h.now().unix_timestamp().rem_euclid(3600);
    if into_hour > 3600 - 60 {
        h.advance(Duration::seconds(3600 - into_hour + 1)).await;
    }
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
