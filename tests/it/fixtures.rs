//! An application's sign-up step tested with `admit::testing` (feature `test-util`): every
//! invitation state from the fixture, and time moved with the test clock.

use admit::store::{MemoryStore, Store};
use admit::testing::{Fixture, SOMEONE_ELSE, TestClock, signing_key};
use admit::{Error, Verifier, VerifyOptions};
use time::Duration;

/// The application code under test: verify, redeem, report the account's use number.
async fn sign_up(v: &Verifier, s: &MemoryStore, token: &str, email: &str) -> Result<u32, Error> {
    let (_, redemption) = v
        .verify_and_redeem(token, VerifyOptions::new().email(email), s, email)
        .await?;
    Ok(redemption.uses)
}

#[tokio::test]
async fn every_state_the_fixture_offers() {
    let f = Fixture::new("acme/invite").unwrap();
    let (v, s) = (&f.verifier, &f.store);
    let ada = "ada@example.com";
    assert_eq!(sign_up(v, s, f.valid().unwrap().as_str(), ada).await, Ok(1));
    assert_eq!(
        sign_up(v, s, f.valid_for(ada).unwrap().as_str(), ada).await,
        Ok(1)
    );
    let expired = sign_up(v, s, f.expired().unwrap().as_str(), ada).await;
    assert_eq!(expired.unwrap_err().code(), "expired");
    assert_eq!(
        sign_up(v, s, f.revoked().unwrap().as_str(), ada).await,
        Err(Error::Revoked)
    );
    assert_eq!(
        sign_up(v, s, f.used_up().unwrap().as_str(), ada).await,
        Err(Error::UsedUp { max_uses: 1 })
    );
    let wrong = f.wrong_email().unwrap();
    assert_eq!(
        sign_up(v, s, wrong.as_str(), ada).await,
        Err(Error::EmailMismatch)
    );
    assert_eq!(sign_up(v, s, wrong.as_str(), SOMEONE_ELSE).await, Ok(1));
}

#[tokio::test]
async fn the_test_clock_moves_issuer_verifier_and_store_together() {
    let f = Fixture::new("acme/invite").unwrap();
    let token = f.valid().unwrap();
    assert_eq!(
        token.invitation().issued_at(),
        f.clock.now().replace_nanosecond(0).unwrap()
    );
    f.store
        .record_issued(token.invitation(), None)
        .await
        .unwrap();
    // Six days later: still valid.
    f.clock.advance(Duration::days(6));
    assert!(f.verifier.verify(token.as_str()).is_ok());
    // Eight days later: expired for the verifier, and forgotten by the store after its margin.
    f.clock.advance(Duration::days(2));
    assert_eq!(
        f.verifier.verify(token.as_str()).unwrap_err().code(),
        "expired"
    );
    assert!(!f.store.status(token.invitation().id()).await.unwrap().known);
    // Minting follows the clock too.
    let later = f.valid().unwrap();
    assert_eq!(
        later.invitation().issued_at(),
        f.clock.now().replace_nanosecond(0).unwrap()
    );
}

#[test]
fn fixtures_are_deterministic() {
    let a = Fixture::new("acme/invite").unwrap();
    let b = Fixture::new("acme/invite").unwrap();
    b.clock.set(a.clock.now());
    for _ in 0..3 {
        assert_eq!(a.valid().unwrap().as_str(), b.valid().unwrap().as_str());
    }
    assert_eq!(signing_key(1).key_id(), a.issuer.key_id());
    let clock = TestClock::starting_now();
    let before = clock.now();
    clock.advance(Duration::seconds(-30));
    assert_eq!(before - clock.now(), Duration::seconds(30));
    assert!(Fixture::new("bad context").is_err());
    assert!(a.valid_for("not an email").is_err());
}
