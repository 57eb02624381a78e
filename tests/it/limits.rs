use admit::{Error, Invitation, MAX_TOKEN_LEN};

use crate::{NOW, at, mint, verifier};

/// The largest token the format allows: every optional claim at its maximum size, and both
/// times needing six varint bytes (at least 2^35).
fn largest() -> (admit::Token, i64) {
    let email = format!("{}@{}.com", "a".repeat(64), "d".repeat(185));
    let issued = 1i64 << 35;
    let token = crate::issuer()
        .mint_with_id(
            Invitation::builder()
                .email(email)
                .max_uses(u32::MAX)
                .inviter("i".repeat(64))
                .data_bytes(vec![0xff; 256])
                .ttl(time::Duration::seconds(1 << 35)),
            crate::id(1),
            at(issued),
        )
        .unwrap();
    (token, issued)
}

#[test]
fn ten_megabytes_are_refused_before_decoding() {
    let huge = "A".repeat(10 * 1024 * 1024);
    let v = verifier();
    assert_eq!(
        v.verify_at(&huge, at(NOW)),
        Err(Error::TooLarge {
            len: huge.len(),
            max: MAX_TOKEN_LEN
        })
    );
    assert_eq!(
        admit::inspect_unverified(&huge).unwrap_err().code(),
        "too_large"
    );
    assert_eq!(v.verify_url(&huge).unwrap_err().code(), "too_large");
    assert_eq!(admit::find_token(&huge).unwrap_err().code(), "too_large");
    let results = v.verify_batch_at(&[huge.as_str(), huge.as_str()], at(NOW));
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().unwrap_err().code() == "too_large")
    );
}

#[test]
fn the_largest_valid_token_fits_under_the_cap() {
    let (t, issued) = largest();
    assert_eq!(
        t.as_str().len(),
        904,
        "documented in MAX_TOKEN_LEN and FORMAT.md"
    );
    assert!(t.as_str().len() <= MAX_TOKEN_LEN);
    let got = verifier().verify_at(t.as_str(), at(issued)).unwrap();
    assert_eq!(&got, t.invitation());
}

#[test]
fn cap_is_exact() {
    // Exactly at the cap: decoded (and found malformed); one over: refused as too large.
    let at_cap = "A".repeat(MAX_TOKEN_LEN);
    assert_eq!(
        admit::inspect_unverified(&at_cap).unwrap_err().code(),
        "unsupported_version"
    );
    let over = "A".repeat(MAX_TOKEN_LEN + 1);
    assert_eq!(
        admit::inspect_unverified(&over).unwrap_err().code(),
        "too_large"
    );
}

#[test]
fn token_sizes_stay_small() {
    let plain = crate::plain();
    assert_eq!(plain.as_str().len(), 120);
    let one_time = mint(Invitation::builder().one_time(), 1);
    assert_eq!(one_time.as_str().len(), 122);
    let with_email = mint(
        Invitation::builder()
            .email("ada@example.com")
            .inviter("grace"),
        1,
    );
    assert_eq!(with_email.as_str().len(), 150);
}
