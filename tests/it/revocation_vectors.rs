//! `tests/revocation_vectors.json`: the revocation-list vectors (FORMAT.md R.9).
//!
//! Lists are written here byte by byte from the spec, by an encoder that shares nothing with
//! the library's (so it can also write what the library never would: unordered IDs, repeats,
//! bad counts), and signed with ed25519-dalek directly.
//!
//! * `revocation_vectors_hold` loads every case through the public API and checks each result.
//! * `revocation_vectors_are_up_to_date` regenerates the file and compares it byte for byte;
//!   `ADMIT_WRITE_VECTORS=1` rewrites it after a deliberate change.
//! * Every list the vectors expect to load is also built with `RevocationListBuilder`, which
//!   must produce the same text: one encoding per list.

use admit::revocation_list::{RevocationListBuilder, Revocations};
use admit::{Error, Invitation, InvitationId, Issuer, KeySet, SigningKey, Verifier};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signer as _;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/revocation_vectors.json");
const NOW: u64 = 1_800_000_000;
const GRACE: u64 = 60;
const CONTEXT: &str = "acme/invite";
/// RFC 8032 section 7.1, test 1: the key that signs the tokens and the lists.
const SEED: [u8; 32] = hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
/// RFC 8032 test 3: a key the verifier does not trust.
const SEED_UNKNOWN: [u8; 32] =
    hex32("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7");
const DOMAIN: &[u8] = b"admit.revocations.v1\x00";

const fn nib(c: u8) -> u8 {
    if c <= b'9' { c - b'0' } else { c - b'a' + 10 }
}

const fn hex32(text: &str) -> [u8; 32] {
    let t = text.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nib(t[2 * i]) << 4) | nib(t[2 * i + 1]);
        i += 1;
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct File {
    list_version: u8,
    description: String,
    context: String,
    now: u64,
    grace_seconds: u64,
    keys: Vec<Key>,
    tokens: Vec<NamedToken>,
    cases: Vec<Case>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Key {
    key_id: String,
    secret_key_hex: String,
    public_key_hex: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct NamedToken {
    name: String,
    token: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Case {
    name: String,
    description: String,
    loads: Vec<Load>,
    checks: Vec<Check>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Load {
    list: String,
    expect: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Check {
    token: String,
    at: u64,
    expect: String,
}

/// A list as the spec lays it out, with every field free to break a rule.
#[derive(Clone)]
struct Raw {
    magic: u8,
    version: u8,
    key: [u8; 32],
    flags: Option<u8>,
    issued: u64,
    next: u64,
    sequence: u64,
    base: Option<u64>,
    rules: Vec<(u64, String)>,
    revoked: Vec<([u8; 12], u64)>,
    used_up: Option<Vec<([u8; 12], u64)>>,
    /// Overrides: the revoked count as written, and a bucket count to add one to.
    revoked_count: Option<u64>,
    bump_bucket: Option<usize>,
    rule_count: Option<u64>,
}

fn raw(sequence: u64) -> Raw {
    Raw {
        magic: 0x52,
        version: 1,
        key: SEED,
        flags: None,
        issued: NOW - 60,
        next: NOW + 300,
        sequence,
        base: None,
        rules: Vec::new(),
        revoked: Vec::new(),
        used_up: None,
        revoked_count: None,
        bump_bucket: None,
        rule_count: None,
    }
}

fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn id_set(out: &mut Vec<u8>, set: &[([u8; 12], u64)], count: Option<u64>, bump: Option<usize>) {
    let n = count.unwrap_or(set.len() as u64);
    varint(out, n);
    let p = if n < 256 {
        0
    } else if n < 65_536 {
        1
    } else {
        2
    };
    if p > 0 && count.is_none() {
        let mut buckets = vec![0u64; 1 << (8 * p)];
        for (id, _) in set {
            let b = id[..p]
                .iter()
                .fold(0usize, |b, x| (b << 8) | usize::from(*x));
            buckets[b] += 1;
        }
        if let Some(i) = bump {
            buckets[i] += 1;
        }
        for b in buckets {
            varint(out, b);
        }
    }
    for (id, keep) in set {
        out.extend_from_slice(&id[p..]);
        varint(out, *keep);
    }
}

impl Raw {
    fn body(&self) -> Vec<u8> {
        let key = ed25519_dalek::SigningKey::from_bytes(&self.key);
        let mut out = vec![self.magic, self.version];
        out.extend_from_slice(&key.verifying_key().to_bytes()[..4]);
        let flags = self
            .flags
            .unwrap_or(u8::from(self.base.is_some()) | (u8::from(self.used_up.is_some()) << 1));
        out.push(flags);
        for n in [self.issued, self.next, self.sequence] {
            varint(&mut out, n);
        }
        if let Some(base) = self.base {
            varint(&mut out, base);
        }
        varint(&mut out, self.rule_count.unwrap_or(self.rules.len() as u64));
        for (cutoff, inviter) in &self.rules {
            varint(&mut out, *cutoff);
            varint(&mut out, inviter.len() as u64);
            out.extend_from_slice(inviter.as_bytes());
        }
        id_set(
            &mut out,
            &self.revoked,
            self.revoked_count,
            self.bump_bucket,
        );
        if let Some(used) = &self.used_up {
            id_set(&mut out, used, None, None);
        }
        out
    }

    fn sign_body(&self, body: &[u8], context: &str) -> String {
        let key = ed25519_dalek::SigningKey::from_bytes(&self.key);
        let mut message = DOMAIN.to_vec();
        message.push(context.len() as u8);
        message.extend_from_slice(context.as_bytes());
        message.extend_from_slice(body);
        let mut all = body.to_vec();
        all.extend_from_slice(&key.sign(&message).to_bytes());
        URL_SAFE_NO_PAD.encode(all)
    }

    fn text(&self) -> String {
        self.sign_body(&self.body(), CONTEXT)
    }

    /// The same list from the library's builder (for lists that follow every rule).
    fn built(&self) -> String {
        let t = |s: u64| OffsetDateTime::from_unix_timestamp(s as i64).unwrap();
        let mut b = match self.base {
            Some(base) => RevocationListBuilder::delta(base, self.sequence),
            None => RevocationListBuilder::full(self.sequence),
        }
        .issued_at(t(self.issued))
        .next_update(t(self.next));
        let keep = |k: u64| (k > 0).then(|| t(self.issued + k * 3600));
        for (id, k) in &self.revoked {
            b = b.revoke(InvitationId::from_bytes(*id), keep(*k));
        }
        if let Some(used) = &self.used_up {
            b = b.with_used_up();
            for (id, k) in used {
                b = b.used_up(InvitationId::from_bytes(*id), keep(*k));
            }
        }
        for (cutoff, inviter) in &self.rules {
            let at =
                OffsetDateTime::from_unix_timestamp_nanos(i128::from(*cutoff) * 1_000_000).unwrap();
            b = b.rule((!inviter.is_empty()).then_some(inviter.as_str()), at);
        }
        b.sign(&SigningKey::from_bytes(&self.key), CONTEXT).unwrap()
    }
}

fn id(n: u8) -> [u8; 12] {
    let mut id = [0u8; 12];
    id[0] = n.wrapping_mul(37);
    id[11] = n;
    id
}

/// The tokens the checks verify: (name, token text, its ID).
fn tokens() -> Vec<(&'static str, String, [u8; 12])> {
    let issuer = Issuer::new(SigningKey::from_bytes(&SEED), CONTEXT).unwrap();
    let at = |s: u64| OffsetDateTime::from_unix_timestamp(s as i64).unwrap();
    let mint = |name, n: u8, inviter: Option<&str>, max_uses: Option<u32>, issued: u64| {
        let mut b = Invitation::builder().ttl(Duration::days(7));
        if let Some(inviter) = inviter {
            b = b.inviter(inviter);
        }
        if let Some(max) = max_uses {
            b = b.max_uses(max);
        }
        let token = issuer
            .mint_with_id(b, InvitationId::from_bytes(id(n)), at(issued))
            .unwrap();
        (name, token.as_str().to_owned(), id(n))
    };
    vec![
        mint("revoked_by_id", 1, Some("grace"), None, NOW - 3600),
        mint("issued_by_mallory", 2, Some("mallory"), None, NOW - 3600),
        mint("issued_long_ago", 3, Some("grace"), None, NOW - 86_400),
        mint("used_up", 4, None, Some(1), NOW - 3600),
        mint("fine", 5, Some("grace"), Some(3), NOW - 3600),
        mint("revoked_in_a_delta", 6, None, None, NOW - 3600),
        mint("in_a_wide_set", 7, None, None, NOW - 3600),
    ]
}

fn generate() -> File {
    let tokens = tokens();
    let token = |name: &str| {
        tokens
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, t, id)| (t.clone(), *id))
            .unwrap()
    };
    let (revoked_t, revoked_id) = token("revoked_by_id");
    let (mallory_t, _) = token("issued_by_mallory");
    let (old_t, _) = token("issued_long_ago");
    let (used_t, used_id) = token("used_up");
    let (fine_t, _) = token("fine");
    let (delta_t, delta_id) = token("revoked_in_a_delta");
    let (wide_t, wide_id) = token("in_a_wide_set");
    let check = |token: &str, at: u64, expect: &str| Check {
        token: token.to_owned(),
        at,
        expect: expect.to_owned(),
    };
    let load = |list: String, expect: &str| Load {
        list,
        expect: expect.to_owned(),
    };
    let case = |name: &str, description: &str, loads, checks| Case {
        name: name.to_owned(),
        description: description.to_owned(),
        loads,
        checks,
    };

    // The full list most cases start from: one ID revoked (a week's keep), one for ever, a
    // rule for everyone issued before NOW − 2 h, one for mallory before NOW, one used up.
    let mut full = raw(10);
    full.revoked = vec![(revoked_id, 169), (id(200), 0)];
    full.revoked.sort();
    full.rules = vec![
        ((NOW - 7200) * 1000, String::new()),
        (NOW * 1000, "mallory".to_owned()),
    ];
    full.used_up = Some(vec![(used_id, 169)]);
    let due = full.next + GRACE;

    let mut delta = raw(11);
    delta.base = Some(10);
    delta.revoked = vec![(delta_id, 169)];
    let mut wrong_base = delta.clone();
    wrong_base.base = Some(11);
    wrong_base.sequence = 12;

    let mut wide = raw(3);
    wide.revoked = (0..300u32)
        .map(|n| {
            let mut x = [0u8; 12];
            x[..4].copy_from_slice(&n.wrapping_mul(0x9e37_79b9).to_be_bytes());
            x[11] = 0xaa;
            (x, 1 + u64::from(n % 200))
        })
        .chain([(wide_id, 169)])
        .collect();
    wide.revoked.sort();

    let mut unordered = full.clone();
    unordered.revoked.reverse();
    let mut duplicated = full.clone();
    duplicated.revoked.push(duplicated.revoked[1]);
    let mut too_many = raw(1);
    too_many.revoked_count = Some((1 << 20) + 1);
    let mut too_many_rules = raw(1);
    too_many_rules.rule_count = Some(4097);
    let mut v2 = full.clone();
    v2.version = 2;
    let mut bucket_off = wide.clone();
    bucket_off.bump_bucket = Some(0);
    let mut flag = full.clone();
    flag.flags = Some(0x04);
    let mut not_after = full.clone();
    not_after.next = not_after.issued;
    let mut rules_unordered = full.clone();
    rules_unordered.rules.reverse();
    let mut rule_twice = full.clone();
    rule_twice
        .rules
        .push((NOW * 1000 + 1, "mallory".to_owned()));
    let mut base_high = delta.clone();
    base_high.base = Some(11);
    let mut zero = full.clone();
    zero.sequence = 0;
    let mut long_inviter = full.clone();
    long_inviter.rules[1].1 = "m".repeat(65);
    let mut keep_too_far = full.clone();
    keep_too_far.revoked[0].1 = (253_402_300_799 - keep_too_far.issued) / 3600 + 1;
    let mut nine = full.clone();
    nine.sequence = 9;
    let mut ten_again = full.clone();
    ten_again.revoked.truncate(1);

    let with_body = |r: &Raw, edit: &dyn Fn(&mut Vec<u8>)| {
        let mut body = r.body();
        edit(&mut body);
        r.sign_body(&body, CONTEXT)
    };
    let tampered = {
        let mut bytes = URL_SAFE_NO_PAD.decode(full.text()).unwrap();
        let n = bytes.len();
        bytes[n - 70] ^= 0x01;
        URL_SAFE_NO_PAD.encode(bytes)
    };
    let mut stranger = full.clone();
    stranger.key = SEED_UNKNOWN;

    let cases = vec![
        case(
            "full_list",
            "A full list: an ID revoked, a rule for everyone, a rule for one inviter, a used-up \
             set; checks on the boundary of next_update + grace.",
            vec![load(full.text(), "loaded")],
            vec![
                check(&revoked_t, NOW, "revoked"),
                check(&mallory_t, NOW, "revoked"),
                check(&old_t, NOW, "revoked"),
                check(&used_t, NOW, "used_up"),
                check(&fine_t, NOW, "valid"),
                check(&fine_t, due, "valid"),
                check(&fine_t, due + 1, "revocation_list_stale"),
                check(&revoked_t, due + 1, "revoked"),
            ],
        ),
        case(
            "delta",
            "A delta on the held sequence adds its IDs.",
            vec![load(full.text(), "loaded"), load(delta.text(), "loaded")],
            vec![
                check(&delta_t, NOW, "revoked"),
                check(&revoked_t, NOW, "revoked"),
            ],
        ),
        case(
            "delta_on_the_wrong_base",
            "A delta on a sequence that is not the one held is refused; the held list stays.",
            vec![
                load(full.text(), "loaded"),
                load(wrong_base.text(), "wrong_base"),
            ],
            vec![
                check(&delta_t, NOW, "valid"),
                check(&revoked_t, NOW, "revoked"),
            ],
        ),
        case(
            "delta_with_nothing_held",
            "A delta first: nothing to extend; verification fails closed until a list is held.",
            vec![load(delta.text(), "wrong_base")],
            vec![check(&fine_t, NOW, "revocation_list_stale")],
        ),
        case(
            "rollback",
            "Lower sequences are refused, and so is another list with the held sequence; the \
             same list again is accepted and changes nothing.",
            vec![
                load(full.text(), "loaded"),
                load(nine.text(), "rollback"),
                load(ten_again.text(), "rollback"),
                load(full.text(), "loaded"),
            ],
            vec![check(&revoked_t, NOW, "revoked")],
        ),
        case(
            "wide_set",
            "301 IDs: one prefix byte and 256 bucket counts.",
            vec![load(wide.text(), "loaded")],
            vec![check(&wide_t, NOW, "revoked"), check(&fine_t, NOW, "valid")],
        ),
        case(
            "tampered",
            "One bit of the body flipped (in the last entry): the signature fails.",
            vec![load(tampered, "bad_signature")],
            vec![],
        ),
        case(
            "wrong_context",
            "Signed for acme/password-reset.",
            vec![load(
                full.sign_body(&full.body(), "acme/password-reset"),
                "bad_signature",
            )],
            vec![],
        ),
        case(
            "wrong_key",
            "Signed by a key the verifier does not trust.",
            vec![load(stranger.text(), "unknown_key")],
            vec![],
        ),
        case(
            "unordered_ids",
            "Revoked IDs in descending order.",
            vec![load(unordered.text(), "malformed")],
            vec![],
        ),
        case(
            "duplicate_ids",
            "An ID twice.",
            vec![load(duplicated.text(), "malformed")],
            vec![],
        ),
        case(
            "too_many_ids",
            "A set claiming 2^20 + 1 IDs.",
            vec![load(too_many.text(), "too_large")],
            vec![],
        ),
        case(
            "too_many_rules",
            "4097 rules claimed.",
            vec![load(too_many_rules.text(), "too_large")],
            vec![],
        ),
        case(
            "unsupported_version",
            "Version byte 2.",
            vec![load(v2.text(), "unsupported_version")],
            vec![],
        ),
        case(
            "a_token_is_not_a_list",
            "Token text offered as a list.",
            vec![load(fine_t.clone(), "malformed")],
            vec![],
        ),
        case(
            "bucket_counts_do_not_add_up",
            "Bucket 0 counts one more ID than it has.",
            vec![load(bucket_off.text(), "malformed")],
            vec![],
        ),
        case(
            "unknown_flag",
            "Flag bit 2 set.",
            vec![load(flag.text(), "malformed")],
            vec![],
        ),
        case(
            "next_update_not_after_issued_at",
            "next_update equal to issued_at.",
            vec![load(not_after.text(), "malformed")],
            vec![],
        ),
        case(
            "rules_out_of_order",
            "The inviter's rule before everyone's.",
            vec![load(rules_unordered.text(), "malformed")],
            vec![],
        ),
        case(
            "two_rules_for_one_inviter",
            "mallory twice.",
            vec![load(rule_twice.text(), "malformed")],
            vec![],
        ),
        case(
            "rule_inviter_too_long",
            "A rule for a 65-byte inviter.",
            vec![load(long_inviter.text(), "malformed")],
            vec![],
        ),
        case(
            "keep_past_the_year_9999",
            "An entry's keep one hour past 9999-12-31T23:59:59Z.",
            vec![load(keep_too_far.text(), "malformed")],
            vec![],
        ),
        case(
            "base_not_below_sequence",
            "A delta on its own sequence.",
            vec![load(base_high.text(), "malformed")],
            vec![],
        ),
        case(
            "sequence_zero",
            "Sequence 0.",
            vec![load(zero.text(), "malformed")],
            vec![],
        ),
        case(
            "non_minimal_integer",
            "issued_at written with a redundant zero group.",
            vec![load(
                with_body(&full, &|b| {
                    // issued_at starts at byte 7; append a redundant group to its last byte.
                    let mut end = 7;
                    while b[end] & 0x80 != 0 {
                        end += 1;
                    }
                    b[end] |= 0x80;
                    b.insert(end + 1, 0x00);
                }),
                "malformed",
            )],
            vec![],
        ),
        case(
            "trailing_byte",
            "One byte after the last set.",
            vec![load(with_body(&full, &|b| b.push(0)), "malformed")],
            vec![],
        ),
        case(
            "padded_text",
            "The text with base64 padding.",
            vec![load(format!("{}=", full.text()), "malformed")],
            vec![],
        ),
    ];
    let signing = ed25519_dalek::SigningKey::from_bytes(&SEED);
    let public = signing.verifying_key().to_bytes();
    File {
        list_version: 1,
        description: "Revocation list vectors: FORMAT.md, R.9.".to_owned(),
        context: CONTEXT.to_owned(),
        now: NOW,
        grace_seconds: GRACE,
        keys: vec![Key {
            key_id: hex(&public[..4]),
            secret_key_hex: hex(&SEED),
            public_key_hex: hex(&public),
        }],
        tokens: tokens
            .iter()
            .map(|(name, token, _)| NamedToken {
                name: (*name).to_owned(),
                token: token.clone(),
            })
            .collect(),
        cases,
    }
}

fn render(file: &File) -> String {
    serde_json::to_string_pretty(file).unwrap() + "\n"
}

#[test]
fn revocation_vectors_are_up_to_date() {
    let fresh = render(&generate());
    if std::env::var_os("ADMIT_WRITE_VECTORS").is_some() {
        std::fs::write(PATH, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(PATH).expect("tests/revocation_vectors.json exists");
    assert!(
        committed == fresh,
        "tests/revocation_vectors.json differs from what the code generates; if the change is \
         deliberate, rerun with ADMIT_WRITE_VECTORS=1"
    );
}

/// The class of a load's or a check's outcome, as the vectors name it.
fn class<T>(result: Result<T, Error>, ok: &str) -> String {
    match result {
        Ok(_) => ok.to_owned(),
        Err(Error::RevocationListRefused { problem }) => problem.code().to_owned(),
        Err(e) => e.code().to_owned(),
    }
}

#[test]
fn revocation_vectors_hold() {
    let text = std::fs::read_to_string(PATH).expect("tests/revocation_vectors.json exists");
    let file: File = serde_json::from_str(&text).unwrap();
    assert_eq!(file.list_version, 1);
    assert!(file.cases.len() >= 25);
    let mut keys = KeySet::new();
    for k in &file.keys {
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&k.public_key_hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        keys.insert(admit::VerifyingKey::from_bytes(&bytes.try_into().unwrap()).unwrap())
            .unwrap();
    }
    let mut seen = std::collections::BTreeSet::new();
    for case in &file.cases {
        let revocations = Revocations::new(keys.clone(), &file.context)
            .unwrap()
            .grace(Duration::seconds(file.grace_seconds as i64));
        for (i, load) in case.loads.iter().enumerate() {
            let got = class(revocations.load(&load.list), "loaded");
            assert_eq!(got, load.expect, "{} load {i}", case.name);
            seen.insert(got);
        }
        let verifier = Verifier::new(keys.clone(), &file.context)
            .unwrap()
            .revocations(revocations.clone());
        for (i, check) in case.checks.iter().enumerate() {
            let at = OffsetDateTime::from_unix_timestamp(check.at as i64).unwrap();
            let got = class(verifier.verify_at(&check.token, at), "valid");
            assert_eq!(got, check.expect, "{} check {i}", case.name);
            seen.insert(got);
        }
    }
    // Every class the spec names appears.
    for class in [
        "loaded",
        "malformed",
        "too_large",
        "unsupported_version",
        "unknown_key",
        "bad_signature",
        "rollback",
        "wrong_base",
        "valid",
        "revoked",
        "used_up",
        "revocation_list_stale",
    ] {
        assert!(seen.contains(class), "no vector for {class}");
    }
}

#[test]
fn the_builder_writes_the_vectors_lists_exactly() {
    let mut full = raw(10);
    full.revoked = vec![(id(1), 169), (id(200), 0)];
    full.revoked.sort();
    full.rules = vec![
        ((NOW - 7200) * 1000, String::new()),
        (NOW * 1000, "mallory".to_owned()),
    ];
    full.used_up = Some(vec![(id(4), 169)]);
    assert_eq!(full.built(), full.text());
    let mut delta = raw(11);
    delta.base = Some(10);
    delta.revoked = vec![(id(6), 169)];
    assert_eq!(delta.built(), delta.text());
    let mut wide = raw(3);
    wide.revoked = (0..70_000u32)
        .map(|n| {
            let mut x = [0u8; 12];
            x[..4].copy_from_slice(&n.wrapping_mul(0x9e37_79b9).to_be_bytes());
            (x, u64::from(n % 300))
        })
        .collect();
    wide.revoked.sort();
    assert_eq!(wide.built(), wide.text(), "two prefix bytes");
}
