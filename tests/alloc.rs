//! Heap allocations per verification and per mint, counted by a global allocator. A separate
//! test binary, since a global allocator applies to the whole binary; one test, so nothing runs
//! beside it.
//! `unsafe` here because `GlobalAlloc` is an unsafe trait; the only other `unsafe` in the
//! repository is `tests/fork.rs` calling `fork`.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: delegates every call to the system allocator unchanged; it only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count<T>(f: impl FnOnce() -> T) -> (T, usize) {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    let out = f();
    COUNTING.store(false, Ordering::SeqCst);
    (out, ALLOCATIONS.load(Ordering::SeqCst))
}

#[test]
fn verify_and_mint_allocate_at_most_twice() {
    let issuer =
        admit::Issuer::new(admit::SigningKey::from_bytes(&[7; 32]), "acme/invite").unwrap();
    let verifier = issuer.verifier();
    let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let id = admit::InvitationId::from_bytes([1; 12]);

    // The benchmark's claims: ID, issued-at, expiry, email, inviter. One allocation holds the
    // email and inviter of the returned invitation; the other is the NAF digits vector of the
    // precomputed multiscalar multiplication inside curve25519-dalek.
    let full = issuer
        .mint_with_id(
            admit::Invitation::builder()
                .email("ada@example.com")
                .inviter("grace"),
            id,
            now,
        )
        .unwrap();
    let (result, n) = count(|| verifier.verify_at(full.as_str(), now));
    assert!(result.is_ok());
    assert!(n <= 2, "verify made {n} heap allocations");
    assert_eq!(n, 2);

    // Without optional strings: only the multiplication's vector.
    let plain = issuer
        .mint_with_id(admit::Invitation::builder(), id, now)
        .unwrap();
    let (result, n) = count(|| verifier.verify_at(plain.as_str(), now));
    assert!(result.is_ok());
    assert_eq!(n, 1);

    // Errors carry no heap strings: a bad signature costs the multiplication's vector, a
    // malformed token nothing.
    let mut tampered = plain.as_str().to_owned();
    tampered.replace_range(10..11, if &tampered[10..11] == "A" { "B" } else { "A" });
    let (result, n) = count(|| verifier.verify_at(&tampered, now));
    assert_eq!(result.unwrap_err(), admit::Error::BadSignature);
    assert_eq!(n, 1);
    let (result, n) = count(|| verifier.verify_at("AQ==", now));
    assert_eq!(result.unwrap_err().code(), "malformed");
    assert_eq!(n, 0);

    // A mint: the token's text, and the returned invitation's email and inviter. The builder's
    // email is borrowed, not copied; the ID generator, once seeded, allocates nothing.
    let draft = admit::Invitation::builder()
        .email("ada@example.com")
        .inviter("grace");
    #[cfg(feature = "rand")]
    {
        issuer.mint(&draft).unwrap();
        let (result, n) = count(|| issuer.mint(&draft));
        assert!(result.is_ok());
        assert_eq!(n, 2, "mint made {n} heap allocations");
    }
    let (result, n) = count(|| issuer.mint_with_id(&draft, id, now));
    assert_eq!(result.unwrap().as_str(), full.as_str());
    assert_eq!(n, 2, "mint_with_id made {n} heap allocations");
}
