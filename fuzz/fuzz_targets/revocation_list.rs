//! Revocation-list decoding: never panics, never allocates for a count the input cannot hold,
//! and whatever decodes re-encodes (by FORMAT.md R.3–R.4, written out here independently of
//! the library's encoder) to exactly the same bytes.

#![no_main]

use admit::revocation_list::{ListEntry, RevocationList};
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

fn id_set(entries: &[ListEntry], issued: i64, out: &mut Vec<u8>) {
    varint(entries.len() as u64, out);
    let p = match entries.len() {
        0..256 => 0,
        256..65_536 => 1,
        _ => 2,
    };
    if p > 0 {
        let mut buckets = vec![0u64; 1 << (8 * p)];
        for e in entries {
            let b = e.id.to_bytes()[..p]
                .iter()
                .fold(0usize, |n, x| (n << 8) | usize::from(*x));
            buckets[b] += 1;
        }
        for b in buckets {
            varint(b, out);
        }
    }
    for e in entries {
        out.extend_from_slice(&e.id.to_bytes()[p..]);
        let keep = e
            .keep_until
            .map_or(0, |t| ((t.unix_timestamp() - issued) / 3600) as u64);
        varint(keep, out);
    }
}

fn check(text: &str) {
    let Ok(list) = RevocationList::inspect_unverified(text) else {
        return;
    };
    assert!(list.next_update() > list.issued_at());
    assert!(list.sequence() >= 1);
    assert!(list.base().is_none_or(|b| b < list.sequence()));
    let raw = URL_SAFE_NO_PAD.decode(text).expect("accepted text is base64url");
    let issued = list.issued_at().unix_timestamp();
    let mut out = vec![0x52, 1];
    out.extend_from_slice(&list.key_id().to_bytes());
    let used = list.used_up();
    out.push(u8::from(list.base().is_some()) | (u8::from(used.is_some()) << 1));
    varint(issued as u64, &mut out);
    varint(list.next_update().unix_timestamp() as u64, &mut out);
    varint(list.sequence(), &mut out);
    if let Some(base) = list.base() {
        varint(base, &mut out);
    }
    let rules = list.rules();
    varint(rules.len() as u64, &mut out);
    for rule in &rules {
        varint((rule.cutoff.unix_timestamp_nanos() / 1_000_000) as u64, &mut out);
        let inviter = rule.inviter.as_deref().unwrap_or("");
        varint(inviter.len() as u64, &mut out);
        out.extend_from_slice(inviter.as_bytes());
    }
    id_set(&list.revoked(), issued, &mut out);
    if let Some(used) = used {
        id_set(&used, issued, &mut out);
    }
    out.extend_from_slice(&raw[raw.len() - 64..]);
    assert_eq!(out, raw, "a decoded list does not re-encode to the same bytes");
}

fuzz_target!(|data: &[u8]| {
    check(&URL_SAFE_NO_PAD.encode(data));
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
});
