//! Token decoding: never panics, and whatever decodes re-encodes (by the spec, written out here
//! independently of the library's encoder) to exactly the same text.

#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn string(s: &[u8], out: &mut Vec<u8>) {
    varint(s.len() as u64, out);
    out.extend_from_slice(s);
}

fn check(text: &str) {
    let Ok(seen) = admit::inspect_unverified(text) else {
        return;
    };
    // Claim invariants of the format.
    // An ASCII address in a token is in normal form: typing it gives it back. (Not so for every
    // non-ASCII one: verifiers do not check NFC, FORMAT.md §5.1.)
    if let Some(email) = seen.email().filter(|e| e.is_ascii()) {
        assert_eq!(admit::normalize_email(email).as_deref(), Ok(email));
    }
    if let Some(inviter) = seen.inviter() {
        assert!(!inviter.is_empty() && inviter.len() <= admit::MAX_INVITER_LEN);
    }
    assert!(
        seen.data_bytes()
            .is_none_or(|d| d.len() <= admit::MAX_DATA_LEN)
    );
    assert!(seen.max_uses() != Some(0));
    if let Some(exp) = seen.expires_at() {
        assert!(exp > seen.issued_at());
    }
    // Re-encode by FORMAT.md and compare with the input, byte for byte.
    let raw = URL_SAFE_NO_PAD
        .decode(text)
        .expect("accepted text is base64url");
    let mut out = vec![admit::FORMAT_VERSION];
    out.extend_from_slice(&seen.key_id().to_bytes());
    let flags = u8::from(seen.expires_at().is_some())
        | u8::from(seen.email().is_some()) << 1
        | u8::from(seen.max_uses().is_some()) << 2
        | u8::from(seen.inviter().is_some()) << 3
        | u8::from(seen.data_bytes().is_some()) << 4;
    out.push(flags);
    out.extend_from_slice(&seen.id().to_bytes());
    let issued = seen.issued_at().unix_timestamp() as u64;
    varint(issued, &mut out);
    if let Some(exp) = seen.expires_at() {
        varint(exp.unix_timestamp() as u64 - issued, &mut out);
    }
    if let Some(e) = seen.email() {
        string(e.as_bytes(), &mut out);
    }
    if let Some(m) = seen.max_uses() {
        varint(u64::from(m), &mut out);
    }
    if let Some(i) = seen.inviter() {
        string(i.as_bytes(), &mut out);
    }
    if let Some(d) = seen.data_bytes() {
        string(d, &mut out);
    }
    out.extend_from_slice(&raw[raw.len() - 64..]);
    assert_eq!(
        out, raw,
        "decoded claims do not re-encode to the same bytes"
    );
    assert_eq!(URL_SAFE_NO_PAD.encode(&out), text);
}

fuzz_target!(|data: &[u8]| {
    // As raw token bytes (the interesting part: structure) and as text (the base64 layer).
    check(&URL_SAFE_NO_PAD.encode(data));
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
});
