use admit::{Claim, Error, Invitation, InvitationId, normalize_email};
use serde::{Deserialize, Serialize};
use time::Duration;

use crate::{NOW, at, id, issuer, mint, verifier};

fn mint_err(builder: admit::InvitationBuilder) -> Error {
    issuer()
        .mint_with_id(builder, id(1), at(NOW))
        .expect_err("claims should be refused")
}

fn claim_of(err: Error) -> Claim {
    match err {
        Error::InvalidClaim { claim, .. } => claim,
        other => panic!("expected InvalidClaim, got {other:?}"),
    }
}

#[test]
fn defaults_expire_after_seven_days() {
    let token = crate::plain();
    let inv = token.invitation();
    assert_eq!(inv.issued_at(), at(NOW));
    assert_eq!(inv.expires_at(), Some(at(NOW + 7 * 86_400)));
    assert_eq!(inv.email(), None);
    assert_eq!(inv.max_uses(), None);
    assert!(!inv.is_one_time());
    assert_eq!(inv.inviter(), None);
    assert_eq!(inv.data_bytes(), None);
    assert_eq!(inv.id(), id(1));
}

#[test]
fn issuer_default_ttl_per_invitation_ttl_absolute_expiry_and_never() {
    let i = issuer().default_ttl(Duration::hours(2));
    let t = i
        .mint_with_id(Invitation::builder(), id(1), at(NOW))
        .unwrap();
    assert_eq!(t.invitation().expires_at(), Some(at(NOW + 7200)));
    let t = i
        .mint_with_id(
            Invitation::builder().ttl(Duration::minutes(5)),
            id(1),
            at(NOW),
        )
        .unwrap();
    assert_eq!(t.invitation().expires_at(), Some(at(NOW + 300)));
    let t = i
        .mint_with_id(
            Invitation::builder().expires_at(at(NOW + 42)),
            id(1),
            at(NOW),
        )
        .unwrap();
    assert_eq!(t.invitation().expires_at(), Some(at(NOW + 42)));
    let t = i
        .mint_with_id(Invitation::builder().never_expires(), id(1), at(NOW))
        .unwrap();
    assert_eq!(t.invitation().expires_at(), None);
    // Never expiring really never expires.
    let far = at(253_402_300_799);
    assert!(i.verifier().verify_at(t.as_str(), far).is_ok());
}

#[test]
fn fractional_seconds_are_dropped() {
    let now = at(NOW) + Duration::milliseconds(999);
    let t = issuer()
        .mint_with_id(
            Invitation::builder().ttl(Duration::milliseconds(1500)),
            id(1),
            now,
        )
        .unwrap();
    assert_eq!(t.invitation().issued_at(), at(NOW));
    assert_eq!(t.invitation().expires_at(), Some(at(NOW + 1)));
}

#[test]
fn bad_expiries_are_refused() {
    for b in [
        Invitation::builder().ttl(Duration::ZERO),
        Invitation::builder().ttl(Duration::milliseconds(999)),
        Invitation::builder().ttl(Duration::seconds(-5)),
        Invitation::builder().expires_at(at(NOW)),
        Invitation::builder().expires_at(at(NOW - 1)),
        Invitation::builder().ttl(Duration::days(365 * 10_000)),
    ] {
        assert_eq!(claim_of(mint_err(b)), Claim::ExpiresAt);
    }
    let bad_default = issuer().default_ttl(Duration::ZERO);
    let err = bad_default
        .mint_with_id(Invitation::builder(), id(1), at(NOW))
        .unwrap_err();
    assert_eq!(claim_of(err), Claim::ExpiresAt);
    // Minting before 1970 is refused rather than wrapped.
    let err = issuer()
        .mint_with_id(Invitation::builder(), id(1), at(-1))
        .unwrap_err();
    assert_eq!(claim_of(err), Claim::IssuedAt);
}

#[test]
fn email_is_trimmed_and_lower_cased() {
    let t = mint(
        Invitation::builder().email("  Ada.Lovelace@Example.COM\n"),
        1,
    );
    assert_eq!(t.invitation().email(), Some("ada.lovelace@example.com"));
    // Only A-Z are folded: other letters keep their case (Unicode case mapping changes between
    // Unicode versions; a verifier in another language must get the same answer).
    assert_eq!(normalize_email("ÅSA@Example.se").unwrap(), "Åsa@example.se");
    // NFC: é typed as e + U+0301 is the same address as é typed as one code point.
    assert_eq!(
        normalize_email("Rene\u{301}@example.fr").unwrap(),
        normalize_email("René@example.fr").unwrap()
    );
}

#[test]
fn bad_emails_are_refused_with_the_rule() {
    let long = format!("{}@{}.com", "a".repeat(64), "d".repeat(186));
    assert_eq!(long.len(), 255);
    let cases = [
        ("", "exactly one @"),
        ("ada.example.com", "exactly one @"),
        ("ada@@example.com", "exactly one @"),
        ("a@b@c", "exactly one @"),
        ("@example.com", "before and after"),
        ("ada@", "before and after"),
        ("ada lovelace@example.com", "may hold only"),
        ("<script>x</script>@example.com", "may hold only"),
        ("a,b@example.com", "may hold only"),
        ("\"ada\"@example.com", "may hold only"),
        ("ada@[192.0.2.1]", "may hold only"),
        ("ada@exa\u{0}mple.com", "control"),
        ("ada\u{202e}moc.elpmaxe@x.com", "bidi"),
        ("ad\u{200b}a@example.com", "invisible"),
        ("\u{212a}ate@example.com", "letter-like"),
        (".ada@example.com", "dot"),
        ("ada..lovelace@example.com", "dot"),
        ("ada@example.com.", "dot"),
        (long.as_str(), "254 bytes"),
    ];
    for (email, rule) in cases {
        let err = mint_err(Invitation::builder().email(email));
        assert_eq!(claim_of(err.clone()), Claim::Email, "{email:?}");
        assert!(err.to_string().contains(rule), "{email:?}: {err}");
        assert!(normalize_email(email).is_err());
    }
    let longest = format!("{}@{}.com", "a".repeat(64), "d".repeat(185));
    assert_eq!(longest.len(), 254);
    assert!(normalize_email(&longest).is_ok());
    let err = mint_err(Invitation::builder().email(format!("{}@x.com", "a".repeat(65))));
    assert!(err.to_string().contains("64 bytes"), "{err}");
}

#[test]
fn email_policy_compares_normalized_addresses() {
    let t = mint(Invitation::builder().email("ada@example.com"), 1);
    let v = verifier();
    let opts = |e| admit::VerifyOptions::new().email(e).at(at(NOW));
    assert!(v.verify_with(t.as_str(), opts(" ADA@example.com ")).is_ok());
    assert_eq!(
        v.verify_with(t.as_str(), opts("eve@example.com")),
        Err(Error::EmailMismatch)
    );
    // An address that is not valid is refused as such, bound invitation or not.
    assert_eq!(
        v.verify_with(t.as_str(), opts("not an email"))
            .unwrap_err()
            .code(),
        "invalid_email"
    );
    // An invitation bound to no email fits any valid address.
    let open = mint(Invitation::builder(), 2);
    assert!(
        v.verify_with(open.as_str(), opts("eve@example.com"))
            .is_ok()
    );
    assert!(matches!(
        v.verify_with(open.as_str(), opts("<eve>@example.com")),
        Err(Error::InvalidEmail { .. })
    ));
    // The mismatch error does not reveal the bound address.
    assert!(!Error::EmailMismatch.to_string().contains('@'));
}

#[test]
fn max_uses_must_be_positive() {
    assert_eq!(
        claim_of(mint_err(Invitation::builder().max_uses(0))),
        Claim::MaxUses
    );
    let t = mint(Invitation::builder().one_time(), 1);
    assert!(t.invitation().is_one_time());
    let t = mint(Invitation::builder().max_uses(u32::MAX), 1);
    assert_eq!(t.invitation().max_uses(), Some(u32::MAX));
}

#[test]
fn inviter_rules() {
    for bad in ["", "tab\tinside", &"x".repeat(65)] {
        assert_eq!(
            claim_of(mint_err(Invitation::builder().inviter(bad))),
            Claim::Inviter
        );
    }
    let t = mint(Invitation::builder().inviter("x".repeat(64)), 1);
    assert_eq!(t.invitation().inviter().map(str::len), Some(64));
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Role {
    Viewer,
    Admin { team: u32 },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Other {
    a: u64,
    b: u64,
    c: u64,
}

#[test]
fn typed_app_data_round_trips_and_is_capped() {
    let t = mint(Invitation::builder().data(&Role::Admin { team: 7 }), 1);
    let v = verifier().verify_at(t.as_str(), at(NOW)).unwrap();
    assert_eq!(v.data::<Role>().unwrap(), Some(Role::Admin { team: 7 }));
    // Asking for the wrong type is an error, not garbage.
    assert_eq!(claim_of(v.data::<Other>().unwrap_err()), Claim::Data);
    // Left-over bytes are an error too: [1, 7] is not one u8.
    assert_eq!(claim_of(v.data::<u8>().unwrap_err()), Claim::Data);
    // No data: None.
    assert_eq!(crate::plain().invitation().data::<Role>().unwrap(), None);

    let big = "x".repeat(300);
    let err = mint_err(Invitation::builder().data(&big));
    assert_eq!(claim_of(err.clone()), Claim::Data);
    assert!(err.to_string().contains("256 bytes"));
    let just_fits = vec![7u8; 256];
    let t = mint(Invitation::builder().data_bytes(just_fits.clone()), 1);
    assert_eq!(t.invitation().data_bytes(), Some(&just_fits[..]));
}

#[test]
fn invitation_ids_parse_and_print_as_hex() {
    let parsed: InvitationId = "0A0b0c0d0e0f101112131415".parse().unwrap();
    assert_eq!(parsed.to_string(), "0a0b0c0d0e0f101112131415");
    assert_eq!(
        parsed.to_bytes(),
        [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]
    );
    for bad in [
        "",
        "0a0b",
        "zz0b0c0d0e0f101112131415",
        "0a0b0c0d0e0f10111213141516",
    ] {
        assert!(bad.parse::<InvitationId>().is_err());
    }
}

#[test]
#[cfg(feature = "rand")]
fn random_ids_differ() {
    let i = issuer();
    let ids: std::collections::HashSet<_> = (0..1000)
        .map(|_| i.mint(Invitation::builder()).unwrap().invitation().id())
        .collect();
    assert_eq!(ids.len(), 1000);
}
