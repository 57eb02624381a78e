use admit::{Error, Invitation};
use time::Duration;

use crate::{NOW, at, mint, verifier};

fn token_expiring_in(seconds: i64) -> admit::Token {
    mint(Invitation::builder().ttl(Duration::seconds(seconds)), 1)
}

#[test]
fn expiry_with_default_leeway_of_sixty_seconds() {
    let t = token_expiring_in(3600);
    let exp = NOW + 3600;
    let v = verifier();
    assert!(v.verify_at(t.as_str(), at(exp - 1)).is_ok());
    assert!(v.verify_at(t.as_str(), at(exp)).is_ok());
    assert!(v.verify_at(t.as_str(), at(exp + 59)).is_ok());
    let late = at(exp + 60);
    assert_eq!(
        v.verify_at(t.as_str(), late),
        Err(Error::Expired {
            expired_at: at(exp),
            now: late
        })
    );
    // Sub-second: 59.999 s after expiry is still inside the leeway.
    let almost = at(exp + 59) + Duration::milliseconds(999);
    assert!(v.verify_at(t.as_str(), almost).is_ok());
}

#[test]
fn expiry_with_zero_and_negative_leeway() {
    let t = token_expiring_in(3600);
    let exp = NOW + 3600;
    let strict = verifier().leeway(Duration::ZERO);
    assert!(strict.verify_at(t.as_str(), at(exp - 1)).is_ok());
    assert_eq!(
        strict.verify_at(t.as_str(), at(exp)).unwrap_err().code(),
        "expired"
    );
    let early = verifier().leeway(Duration::seconds(-600));
    assert!(early.verify_at(t.as_str(), at(exp - 601)).is_ok());
    assert_eq!(
        early
            .verify_at(t.as_str(), at(exp - 600))
            .unwrap_err()
            .code(),
        "expired"
    );
}

#[test]
fn issue_time_in_the_future_beyond_leeway_is_not_yet_valid() {
    let t = crate::plain();
    let v = verifier();
    assert!(v.verify_at(t.as_str(), at(NOW - 60)).is_ok());
    let early = at(NOW - 61);
    assert_eq!(
        v.verify_at(t.as_str(), early),
        Err(Error::NotYetValid {
            issued_at: at(NOW),
            now: early
        })
    );
    let wide = verifier().leeway(Duration::minutes(5));
    assert!(wide.verify_at(t.as_str(), at(NOW - 300)).is_ok());
    assert!(wide.verify_at(t.as_str(), at(NOW - 301)).is_err());
}

#[test]
fn expired_error_says_when() {
    let t = token_expiring_in(60);
    let err = verifier()
        .verify_at(t.as_str(), at(NOW + 3600))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invitation expired at 2027-01-15T08:01:00Z"
    );
}

#[test]
#[cfg(feature = "rand")]
fn the_real_clock_is_used_by_default() {
    // Minted now with a short TTL: valid now, and expired an hour from now.
    let t = crate::issuer()
        .mint(Invitation::builder().ttl(Duration::seconds(10)))
        .unwrap();
    let v = crate::issuer().verifier();
    assert!(v.verify(t.as_str()).is_ok());
    let later = time::OffsetDateTime::now_utc() + Duration::hours(1);
    assert_eq!(
        v.verify_at(t.as_str(), later).unwrap_err().code(),
        "expired"
    );
}
