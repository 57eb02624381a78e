//! Round trips, canonical form and the refusals of the list decoder and of `Revocations`.

use time::{Duration, OffsetDateTime};

use super::{RevocationList, RevocationListBuilder, Revocations};
use crate::error::{Error, ListProblem};
use crate::invitation::InvitationId;
use crate::key::SigningKey;

const CTX: &str = "acme/invite";

fn key() -> SigningKey {
    SigningKey::from_bytes(&[9; 32])
}

fn at(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(s).unwrap()
}

fn id(n: u32) -> InvitationId {
    // Spread over the whole range, so every bucket width is exercised.
    let mut bytes = [0u8; 12];
    let x = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    bytes[..8].copy_from_slice(&x.to_be_bytes());
    bytes[8..].copy_from_slice(&n.to_be_bytes());
    InvitationId::from_bytes(bytes)
}

/// A token minted now with ID `n` (no randomness needed: these run without `rand` too).
fn mint_now(issuer: &crate::Issuer, b: crate::InvitationBuilder, n: u32) -> crate::Token {
    issuer
        .mint_with_id(b, id(n), OffsetDateTime::now_utc())
        .unwrap()
}

fn problem(e: Result<impl core::fmt::Debug, Error>) -> &'static str {
    match e {
        Err(Error::RevocationListRefused { problem }) => problem.code(),
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn lists_of_every_bucket_width_round_trip() {
    let t0 = 1_800_000_000;
    for n in [0u32, 1, 255, 256, 300, 65_535, 65_536, 70_000] {
        let mut b = RevocationListBuilder::full(7)
            .issued_at(at(t0))
            .next_update(at(t0 + 60));
        for i in 0..n {
            // A mix of never-expiring and expiring entries, one already past (left out).
            let keep = match i % 3 {
                0 => None,
                1 => Some(at(t0 + 3600 * i64::from(i % 50))),
                _ => Some(at(t0 + 7 * 86_400)),
            };
            b = b.revoke(id(i), keep);
        }
        let text = b.sign(&key(), CTX).unwrap();
        let list = RevocationList::verify(&text, &key().verifying_key().into(), CTX).unwrap();
        let expected = (0..n).filter(|i| i % 3 != 1 || i % 50 != 0).count();
        assert_eq!(list.revoked().len(), expected, "n = {n}");
        let mut sorted: Vec<_> = list.revoked().iter().map(|e| e.id.to_bytes()).collect();
        sorted.dedup();
        assert!(sorted.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(sorted.len(), expected);
        // Keep-until rounds up to the hour, never earlier than asked.
        for e in list.revoked() {
            if let Some(until) = e.keep_until {
                assert!(until > at(t0) && until <= at(t0 + 7 * 86_400 + 3599));
            }
        }
        // One encoding per list: re-encoding the decoded list gives the same text.
        let mut again = RevocationListBuilder::full(7)
            .issued_at(at(t0))
            .next_update(at(t0 + 60));
        for e in list.revoked() {
            again = again.revoke(e.id, e.keep_until);
        }
        assert_eq!(again.sign(&key(), CTX).unwrap(), text, "n = {n}");
    }
}

#[test]
fn ids_per_entry_stay_small_at_a_hundred_thousand() {
    let t0 = 1_800_000_000;
    let mut b = RevocationListBuilder::full(1)
        .issued_at(at(t0))
        .next_update(at(t0 + 60));
    for i in 0..100_000 {
        b = b.revoke(id(i), Some(at(t0 + 7 * 86_400)));
    }
    let bytes = b.sign_bytes(&key(), CTX).unwrap();
    let per_id = bytes.len() as f64 / 100_000.0;
    assert!(per_id <= 14.0, "{per_id} bytes per ID");
}

#[test]
fn the_decoder_refuses_what_the_format_forbids() {
    let k = key();
    let keys = k.verifying_key().into();
    let good = RevocationListBuilder::full(3)
        .issued_at(at(1_800_000_000))
        .revoke(id(1), None)
        .revoke(id(2), None)
        .sign_bytes(&k, CTX)
        .unwrap();
    let text = |bytes: &[u8]| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    };
    let verify = |bytes: &[u8]| RevocationList::verify(&text(bytes), &keys, CTX);
    assert!(verify(&good).is_ok());
    // Tampered: any flipped bit of the body or signature.
    for i in [7, good.len() - 70, good.len() - 1] {
        let mut bad = good.clone();
        bad[i] ^= 1;
        let got = problem(verify(&bad));
        assert!(
            ["bad_signature", "malformed"].contains(&got),
            "byte {i}: {got}"
        );
    }
    // Another context, another key.
    assert_eq!(
        problem(RevocationList::verify(&text(&good), &keys, "acme/reset")),
        "bad_signature"
    );
    let stranger = SigningKey::from_bytes(&[3; 32]).verifying_key().into();
    assert_eq!(
        problem(RevocationList::verify(&text(&good), &stranger, CTX)),
        "unknown_key"
    );
    // Version, magic, trailing bytes, non-canonical base64, too large.
    let mut v2 = good.clone();
    v2[1] = 2;
    assert_eq!(problem(verify(&v2)), "unsupported_version");
    let mut token_like = good.clone();
    token_like[0] = 1;
    assert_eq!(problem(verify(&token_like)), "malformed");
    let mut padded = text(&good);
    padded.push('=');
    assert_eq!(
        problem(RevocationList::verify(&padded, &keys, CTX)),
        "malformed"
    );
    let huge = "A".repeat(super::MAX_LIST_TEXT + 1);
    assert_eq!(
        problem(RevocationList::verify(&huge, &keys, CTX)),
        "too_large"
    );
    // A token is not a list, and a list's signature is not a token's.
    let token = mint_now(
        &crate::Issuer::new(k.clone(), CTX).unwrap(),
        crate::Invitation::builder(),
        1,
    );
    assert_eq!(
        problem(RevocationList::verify(token.as_str(), &keys, CTX)),
        "malformed"
    );
    assert!(
        crate::Verifier::new(k.verifying_key(), CTX)
            .unwrap()
            .verify(&text(&good))
            .is_err()
    );
}

#[test]
fn loads_are_never_rolled_back_and_deltas_need_their_base() {
    let k = key();
    let now = OffsetDateTime::now_utc();
    let r = Revocations::new(k.verifying_key(), CTX).unwrap();
    let list = |b: RevocationListBuilder| b.issued_at(now).sign(&k, CTX).unwrap();
    let delta = list(RevocationListBuilder::delta(5, 6).revoke(id(9), None));
    assert_eq!(problem(r.load(&delta)), "wrong_base");
    let five = list(RevocationListBuilder::full(5).revoke(id(1), None));
    assert_eq!(r.load(&five).unwrap().sequence, 5);
    assert!(r.load(&five).unwrap().unchanged, "the same list again");
    assert_eq!(
        problem(r.load(&list(RevocationListBuilder::full(4)))),
        "rollback"
    );
    assert_eq!(
        problem(r.load(&list(RevocationListBuilder::full(5)))),
        "rollback"
    );
    assert_eq!(
        problem(r.load(&list(RevocationListBuilder::delta(4, 7)))),
        "wrong_base"
    );
    let loaded = r.load(&delta).unwrap();
    assert_eq!((loaded.sequence, loaded.revoked), (6, 2));
    assert!(
        r.load(&delta).unwrap().unchanged,
        "a delta offered again changes nothing"
    );
    assert_eq!(r.sequence(), Some(6));
    assert!(matches!(
        r.load(&five),
        Err(Error::RevocationListRefused {
            problem: ListProblem::Rollback {
                loaded: 6,
                offered: 5
            }
        })
    ));
}

#[test]
fn a_verifier_refuses_what_the_list_revokes_and_fails_closed_when_stale() {
    let k = key();
    let issuer = crate::Issuer::new(k.clone(), CTX).unwrap();
    let n = core::cell::Cell::new(0u32);
    let mint = |inviter: Option<&str>| {
        let mut b = crate::Invitation::builder().max_uses(2);
        if let Some(inviter) = inviter {
            b = b.inviter(inviter);
        }
        n.set(n.get() + 1);
        mint_now(&issuer, b, n.get())
    };
    let (by_id, by_rule, by_everyone_rule, used, fine) = (
        mint(None),
        mint(Some("mallory")),
        mint(Some("grace")),
        mint(None),
        mint(Some("grace")),
    );
    let now = OffsetDateTime::now_utc();
    let r = Revocations::new(k.verifying_key(), CTX).unwrap();
    let v = crate::Verifier::new(k.verifying_key(), CTX)
        .unwrap()
        .revocations(r.clone());
    assert_eq!(
        v.verify(fine.as_str()),
        Err(Error::RevocationListStale { next_update: None }),
        "nothing loaded: fail closed"
    );
    let list = RevocationListBuilder::full(1)
        .issued_at(now)
        .next_update(now + Duration::minutes(5))
        .revoke(by_id.invitation().id(), by_id.invitation().expires_at())
        .rule(Some("mallory"), now + Duration::seconds(1))
        .used_up(used.invitation().id(), None)
        .sign(&k, CTX)
        .unwrap();
    r.load(&list).unwrap();
    assert_eq!(v.verify(by_id.as_str()), Err(Error::Revoked));
    assert_eq!(v.verify(by_rule.as_str()), Err(Error::Revoked));
    assert!(v.verify(by_everyone_rule.as_str()).is_ok());
    assert_eq!(v.verify(used.as_str()), Err(Error::UsedUp { max_uses: 2 }));
    assert!(v.verify(fine.as_str()).is_ok());
    assert_eq!(
        v.verify_batch(&[by_id.as_str(), fine.as_str()])[0],
        Err(Error::Revoked)
    );
    // A delta: a rule for everyone, issued before a second from now.
    let delta = RevocationListBuilder::delta(1, 2)
        .issued_at(now)
        .next_update(now + Duration::minutes(5))
        .rule(None, now + Duration::seconds(1))
        .sign(&k, CTX)
        .unwrap();
    r.load(&delta).unwrap();
    assert_eq!(v.verify(by_everyone_rule.as_str()), Err(Error::Revoked));

    // Past next_update plus the grace: every token fails, unless staleness is allowed.
    let after_rules = issuer
        .mint_with_id(
            crate::Invitation::builder(),
            InvitationId::from_bytes([0xee; 12]),
            now + Duration::seconds(10),
        )
        .unwrap();
    let later = now + Duration::minutes(7);
    assert!(
        v.verify_at(after_rules.as_str(), now + Duration::minutes(1))
            .is_ok()
    );
    let stale = v.verify_at(after_rules.as_str(), later);
    assert!(
        matches!(
            stale,
            Err(Error::RevocationListStale {
                next_update: Some(_)
            })
        ),
        "{stale:?}"
    );
    assert_eq!(stale.unwrap_err().kind(), crate::ErrorKind::StoreFailure);
    let short_grace = v.clone().revocations(r.clone().grace(Duration::minutes(1)));
    assert!(short_grace.verify_at(after_rules.as_str(), later).is_err());
    let long_grace = v.clone().revocations(r.clone().grace(Duration::minutes(3)));
    assert!(long_grace.verify_at(after_rules.as_str(), later).is_ok());
    let lenient = v.clone().revocations(r.clone().allow_stale());
    assert!(lenient.verify_at(after_rules.as_str(), later).is_ok());
    // Lenient about time, never about what is listed.
    assert_eq!(
        lenient.verify_at(by_id.as_str(), later),
        Err(Error::Revoked)
    );
    // The handles share one state: a list loaded through one is held by all.
    assert_eq!(r.clone().grace(Duration::ZERO).sequence(), Some(2));
}

#[test]
fn concurrent_verifiers_see_one_list_or_the_next() {
    let k = key();
    let issuer = crate::Issuer::new(k.clone(), CTX).unwrap();
    let tokens: Vec<_> = (0..50)
        .map(|n| mint_now(&issuer, crate::Invitation::builder(), n))
        .collect();
    let r = Revocations::new(k.verifying_key(), CTX).unwrap();
    let now = OffsetDateTime::now_utc();
    let full = RevocationListBuilder::full(1)
        .issued_at(now)
        .sign(&k, CTX)
        .unwrap();
    r.load(&full).unwrap();
    let v = crate::Verifier::new(k.verifying_key(), CTX)
        .unwrap()
        .revocations(r.clone());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                // Once a token is refused, it stays refused: lists only grow.
                let mut refused = vec![false; tokens.len()];
                for _ in 0..200 {
                    for (i, t) in tokens.iter().enumerate() {
                        let now_refused = v.verify(t.as_str()) == Err(Error::Revoked);
                        assert!(!refused[i] || now_refused, "token {i} came back");
                        refused[i] = now_refused;
                    }
                }
            });
        }
        for (n, t) in tokens.iter().enumerate() {
            let seq = n as u64 + 2;
            let delta = RevocationListBuilder::delta(seq - 1, seq)
                .issued_at(now)
                .revoke(t.invitation().id(), None)
                .sign(&k, CTX)
                .unwrap();
            r.load(&delta).unwrap();
        }
    });
    assert!(
        tokens
            .iter()
            .all(|t| v.verify(t.as_str()) == Err(Error::Revoked))
    );
}
