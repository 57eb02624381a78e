//! `tests/vectors.json`: the test vectors other implementations run.
//!
//! * `vectors_hold` reads the committed file and checks every vector through the public API:
//!   valid tokens verify to exactly the listed claims, minting them again from the listed inputs
//!   gives the same text, and each invalid token fails with the listed error.
//! * `vectors_are_up_to_date` regenerates the file from the fixed inputs below and compares it
//!   byte for byte, so the vectors, the spec and the code cannot drift apart. Run with
//!   `ADMIT_WRITE_VECTORS=1` to rewrite it after a deliberate change (never after release: the
//!   v1 format is permanent).

use admit::{Invitation, InvitationId, Issuer, KeySet, SigningKey, Verifier, VerifyOptions};
use curve25519_dalek::scalar::Scalar;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};
use time::{Duration, OffsetDateTime};

use crate::reference::{RefClaims, join, message, payload, sign_body};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors.json");

const NOW: i64 = 1_800_000_000;
const LEEWAY: i64 = 60;
const CONTEXT: &str = "acme/invite";
/// RFC 8032 section 7.1, tests 1 and 2: the two keys in the key set.
const SEED_1: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const SEED_2: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
/// RFC 8032 test 3: a key the verifier does not have.
const SEED_UNKNOWN: &str = "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7";

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Vectors {
    format_version: u8,
    description: String,
    context: String,
    now: i64,
    leeway_seconds: i64,
    keys: Vec<KeyVector>,
    valid: Vec<ValidVector>,
    invalid: Vec<InvalidVector>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct KeyVector {
    key_id: String,
    secret_key_hex: String,
    public_key_hex: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct ValidVector {
    name: String,
    description: String,
    token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expect_email: Option<String>,
    claims: ClaimsVector,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct ClaimsVector {
    id: String,
    issued_at: i64,
    expires_at: Option<i64>,
    email: Option<String>,
    max_uses: Option<u32>,
    inviter: Option<String>,
    data_hex: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct InvalidVector {
    name: String,
    description: String,
    token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expect_email: Option<String>,
    error: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn seed(s: &str) -> [u8; 32] {
    unhex(s).try_into().unwrap()
}

fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap()
}

fn sequential_id(first: u8) -> [u8; 12] {
    core::array::from_fn(|i| first.wrapping_add(i as u8))
}

/// App data of the `all_claims` vector: what a team invitation might carry.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct TeamInvite {
    team_id: u32,
    role: String,
}

struct ValidInput {
    name: &'static str,
    description: &'static str,
    seed: &'static str,
    id: [u8; 12],
    issued_at: i64,
    builder: admit::InvitationBuilder,
    expect_email: Option<&'static str>,
}

fn valid_inputs() -> Vec<ValidInput> {
    let b = Invitation::builder;
    vec![
        ValidInput {
            name: "minimal",
            description: "default 7-day expiry, no optional claims",
            seed: SEED_1,
            id: sequential_id(0x00),
            issued_at: NOW - 3600,
            builder: b(),
            expect_email: None,
        },
        ValidInput {
            name: "email_one_time",
            description: "bound to an email, one use, 2-day expiry",
            seed: SEED_1,
            id: sequential_id(0x10),
            issued_at: NOW - 86_400,
            builder: b()
                .email("ada@example.com")
                .one_time()
                .ttl(Duration::days(2)),
            expect_email: None,
        },
        ValidInput {
            name: "email_matches_after_normalization",
            description: "the expected email is trimmed and lower-cased before comparing",
            seed: SEED_1,
            id: sequential_id(0x20),
            issued_at: NOW - 60,
            builder: b().email("ada@example.com"),
            expect_email: Some("  ADA@Example.com "),
        },
        ValidInput {
            name: "never_expires",
            description: "no expiry claim: valid until revoked or its key is retired",
            seed: SEED_1,
            id: sequential_id(0x30),
            issued_at: 1_700_000_000,
            builder: b().never_expires(),
            expect_email: None,
        },
        ValidInput {
            name: "all_claims",
            description: "every optional claim; data is postcard of {team_id: 42, role: \"editor\"}",
            seed: SEED_1,
            id: sequential_id(0x40),
            issued_at: NOW - 7200,
            builder: b()
                .email("grace.hopper@example.org")
                .max_uses(25)
                .inviter("user-1906")
                .data(&TeamInvite {
                    team_id: 42,
                    role: "editor".into(),
                })
                .ttl(Duration::days(30)),
            expect_email: None,
        },
        ValidInput {
            name: "second_key",
            description: "signed by the second key in the key set",
            seed: SEED_2,
            id: sequential_id(0x50),
            issued_at: NOW - 10,
            builder: b().inviter("ops").ttl(Duration::hours(1)),
            expect_email: None,
        },
        ValidInput {
            name: "unicode_inviter",
            description: "the inviter is UTF-8",
            seed: SEED_2,
            id: sequential_id(0x60),
            issued_at: NOW - 10,
            builder: b().inviter("Zoë Ångström").max_uses(1000),
            expect_email: None,
        },
        ValidInput {
            name: "expired_within_leeway",
            description: "expired 30 s before now: still accepted with 60 s leeway",
            seed: SEED_1,
            id: sequential_id(0x70),
            issued_at: NOW - 3630,
            builder: b().ttl(Duration::hours(1)),
            expect_email: None,
        },
        ValidInput {
            name: "issued_within_leeway",
            description: "issued 30 s after now (clock skew): accepted with 60 s leeway",
            seed: SEED_1,
            id: sequential_id(0x80),
            issued_at: NOW + 30,
            builder: b().ttl(Duration::hours(1)),
            expect_email: None,
        },
    ]
}

fn issuer_for(seed_hex: &str, context: &str) -> Issuer {
    Issuer::new(SigningKey::from_bytes(&seed(seed_hex)), context).unwrap()
}

fn key_id_of(seed_hex: &str) -> [u8; 4] {
    SigningKey::from_bytes(&seed(seed_hex)).key_id().to_bytes()
}

/// version ‖ key ID ‖ payload, with the version byte and key ID given explicitly.
fn body_with(version: u8, key_id: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut body = vec![version];
    body.extend_from_slice(&key_id);
    body.extend_from_slice(payload);
    body
}

fn base_claims() -> RefClaims {
    RefClaims {
        id: sequential_id(0xa0),
        issued_at: (NOW - 600) as u64,
        ttl: Some(3600),
        ..RefClaims::default()
    }
}

/// A correctly signed token around arbitrary payload bytes, so only the payload rule fails.
fn signed_payload(payload: &[u8]) -> String {
    sign_body(
        &seed(SEED_1),
        CONTEXT,
        &body_with(1, key_id_of(SEED_1), payload),
    )
}

fn signed_claims(claims: &RefClaims) -> String {
    signed_payload(&payload(claims))
}

fn invalid(name: &str, description: &str, token: String, error: &str) -> InvalidVector {
    InvalidVector {
        name: name.into(),
        description: description.into(),
        token,
        expect_email: None,
        error: error.into(),
    }
}

fn generate() -> Vectors {
    let mut valid = Vec::new();
    for input in valid_inputs() {
        let token = issuer_for(input.seed, CONTEXT)
            .mint_with_id(
                &input.builder,
                InvitationId::from_bytes(input.id),
                at(input.issued_at),
            )
            .unwrap();
        let c = token.invitation();
        valid.push(ValidVector {
            name: input.name.into(),
            description: input.description.into(),
            token: token.as_str().into(),
            expect_email: input.expect_email.map(Into::into),
            claims: ClaimsVector {
                id: c.id().to_string(),
                issued_at: c.issued_at().unix_timestamp(),
                expires_at: c.expires_at().map(|t| t.unix_timestamp()),
                email: c.email().map(Into::into),
                max_uses: c.max_uses(),
                inviter: c.inviter().map(Into::into),
                data_hex: c.data_bytes().map(hex),
            },
        });
    }

    let good = signed_claims(&base_claims());
    let mut inv = Vec::new();
    inv.push(invalid(
        "empty",
        "the empty string",
        String::new(),
        "malformed",
    ));
    inv.push(invalid(
        "too_large",
        "1025 characters: refused before decoding",
        "A".repeat(admit::MAX_TOKEN_LEN + 1),
        "too_large",
    ));
    let mut big_valid_base64 = good.clone();
    while big_valid_base64.len() <= admit::MAX_TOKEN_LEN {
        big_valid_base64.push_str("AAAA");
    }
    inv.push(invalid(
        "too_large_even_if_well_formed_base64",
        "a valid token followed by enough 'AAAA' groups to pass the cap: the cap comes first",
        big_valid_base64,
        "too_large",
    ));

    // Canonical base64: needs a token whose length is not a multiple of 4.
    let odd = valid
        .iter()
        .map(|v| v.token.clone())
        .find(|t| t.len() % 4 != 0)
        .expect("a valid token with a partial final group");
    let pad = "=".repeat(4 - odd.len() % 4);
    inv.push(invalid(
        "padding",
        "a valid token with base64 '=' padding added",
        format!("{odd}{pad}"),
        "malformed",
    ));
    let mut trailing = odd.clone().into_bytes();
    let last = trailing.len() - 1;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let value = ALPHABET.iter().position(|&c| c == trailing[last]).unwrap();
    trailing[last] = ALPHABET[value | 1];
    inv.push(invalid(
        "non_zero_trailing_bits",
        "a valid token whose last character has a padding bit set (decodes to the same bytes)",
        String::from_utf8(trailing).unwrap(),
        "malformed",
    ));
    let with_url_char = valid
        .iter()
        .map(|v| v.token.clone())
        .find(|t| t.contains('-') || t.contains('_'))
        .expect("a valid token holding '-' or '_'");
    inv.push(invalid(
        "standard_alphabet",
        "a valid token with '-' and '_' replaced by '+' and '/'",
        with_url_char.replace('-', "+").replace('_', "/"),
        "malformed",
    ));
    inv.push(invalid(
        "inner_whitespace",
        "a space in the middle of a valid token",
        format!("{} {}", &good[..40], &good[40..]),
        "malformed",
    ));
    inv.push(invalid(
        "trailing_newline",
        "a valid token followed by a newline (verifiers do not trim)",
        format!("{good}\n"),
        "malformed",
    ));
    inv.push(invalid(
        "truncated",
        "a valid token cut to its first 40 characters",
        good[..40].to_owned(),
        "malformed",
    ));
    let mut bytes = crate::reference::decode(&good);
    bytes.truncate(bytes.len() - 3);
    inv.push(invalid(
        "truncated_signature",
        "the last 3 bytes dropped: the claims run into the signature",
        crate::reference::encode(&bytes),
        "malformed",
    ));

    // Payload rules, each in an otherwise valid, correctly signed token.
    let mut p = payload(&base_claims());
    p.push(0x00);
    inv.push(invalid(
        "trailing_bytes",
        "one 0x00 byte after the last claim (signed)",
        signed_payload(&p),
        "malformed",
    ));
    let mut p = vec![0x01];
    p.extend_from_slice(&sequential_id(0xa0));
    crate::reference::varint((NOW - 600) as u64, &mut p);
    p.extend_from_slice(&[0x90, 0x9c, 0x80, 0x00]); // 3600 with two redundant groups
    inv.push(invalid(
        "overlong_varint",
        "the ttl 3600 written as 4 varint bytes instead of 2 (signed)",
        signed_payload(&p),
        "malformed",
    ));
    let mut p = payload(&base_claims());
    p[0] |= 0x20;
    inv.push(invalid(
        "unknown_flag",
        "flag bit 5, which version 1 does not define (signed)",
        signed_payload(&p),
        "malformed",
    ));
    let mut p = payload(&base_claims());
    p[0] |= 0x08;
    p.extend_from_slice(&[0x02, 0xc3, 0x28]);
    inv.push(invalid(
        "invalid_utf8",
        "an inviter string holding the bytes c3 28, which are not UTF-8 (signed)",
        signed_payload(&p),
        "malformed",
    ));
    let mut p = payload(&base_claims());
    p[0] |= 0x08;
    p.extend_from_slice(&[0x05, b'a']);
    inv.push(invalid(
        "string_overruns_claims",
        "an inviter whose length prefix (5) runs past the end of the claims (signed)",
        signed_payload(&p),
        "malformed",
    ));

    let version_2 = body_with(2, key_id_of(SEED_1), &payload(&base_claims()));
    inv.push(invalid(
        "unsupported_version",
        "version byte 0x02 (signed)",
        sign_body(&seed(SEED_1), CONTEXT, &version_2),
        "unsupported_version",
    ));
    let version_0 = body_with(0, key_id_of(SEED_1), &payload(&base_claims()));
    inv.push(invalid(
        "version_zero",
        "version byte 0x00 (signed)",
        sign_body(&seed(SEED_1), CONTEXT, &version_0),
        "unsupported_version",
    ));

    // Claim rules.
    inv.push(invalid(
        "max_uses_zero",
        "max_uses = 0 (signed)",
        signed_claims(&RefClaims {
            max_uses: Some(0),
            ..base_claims()
        }),
        "invalid_claim",
    ));
    inv.push(invalid(
        "email_not_normalized",
        "email 'Ada@Example.com' in a token: tokens carry the lower-case form (signed)",
        signed_claims(&RefClaims {
            email: Some("Ada@Example.com".into()),
            ..base_claims()
        }),
        "invalid_claim",
    ));
    inv.push(invalid(
        "email_without_at",
        "email 'ada.example.com' (signed)",
        signed_claims(&RefClaims {
            email: Some("ada.example.com".into()),
            ..base_claims()
        }),
        "invalid_claim",
    ));
    inv.push(invalid(
        "ttl_zero",
        "expires at the issue time (signed)",
        signed_claims(&RefClaims {
            ttl: Some(0),
            ..base_claims()
        }),
        "invalid_claim",
    ));
    inv.push(invalid(
        "data_too_large",
        "257 bytes of app data (signed)",
        signed_claims(&RefClaims {
            data: Some(vec![0x5a; 257]),
            ..base_claims()
        }),
        "invalid_claim",
    ));
    inv.push(invalid(
        "inviter_empty",
        "an empty inviter string (signed)",
        signed_claims(&RefClaims {
            inviter: Some(String::new()),
            ..base_claims()
        }),
        "invalid_claim",
    ));

    // Keys and signatures.
    let unknown = body_with(1, key_id_of(SEED_UNKNOWN), &payload(&base_claims()));
    inv.push(invalid(
        "unknown_key",
        "signed by RFC 8032 test key 3, which is not in the key set",
        sign_body(&seed(SEED_UNKNOWN), CONTEXT, &unknown),
        "unknown_key",
    ));
    let swapped = body_with(1, key_id_of(SEED_2), &payload(&base_claims()));
    inv.push(invalid(
        "key_id_of_other_key",
        "names key 2 but is signed by key 1",
        sign_body(&seed(SEED_1), CONTEXT, &swapped),
        "bad_signature",
    ));
    let mut bytes = crate::reference::decode(&good);
    let n = bytes.len();
    bytes[n - 40] ^= 0x04;
    inv.push(invalid(
        "signature_bit_flip",
        "one bit of S flipped",
        crate::reference::encode(&bytes),
        "bad_signature",
    ));
    let mut bytes = crate::reference::decode(&good);
    bytes[20] ^= 0x01;
    inv.push(invalid(
        "claims_bit_flip",
        "one bit of the issue time flipped after signing",
        crate::reference::encode(&bytes),
        "bad_signature",
    ));
    inv.push(invalid(
        "wrong_context",
        "minted with the same key for the context 'acme/password-reset'",
        sign_body(
            &seed(SEED_1),
            "acme/password-reset",
            &body_with(1, key_id_of(SEED_1), &payload(&base_claims())),
        ),
        "bad_signature",
    ));
    inv.push(invalid(
        "s_not_reduced",
        "a valid signature with L added to S (same scalar, non-canonical encoding)",
        s_plus_l(&good),
        "bad_signature",
    ));
    inv.push(invalid(
        "small_order_r",
        "R is the identity point and S = k·a: plain Ed25519 verify accepts it, strict does not",
        identity_r_token(),
        "bad_signature",
    ));

    // Time window.
    inv.push(invalid(
        "expired",
        "expired 61 s before now: outside the 60 s leeway",
        signed_claims(&RefClaims {
            issued_at: (NOW - 3661) as u64,
            ttl: Some(3600),
            ..base_claims()
        }),
        "expired",
    ));
    inv.push(invalid(
        "not_yet_valid",
        "issued 61 s after now: outside the 60 s leeway",
        signed_claims(&RefClaims {
            issued_at: (NOW + 61) as u64,
            ..base_claims()
        }),
        "not_yet_valid",
    ));
    let mut mismatch = invalid(
        "email_mismatch",
        "bound to ada@example.com, presented by eve@example.com",
        signed_claims(&RefClaims {
            email: Some("ada@example.com".into()),
            ..base_claims()
        }),
        "email_mismatch",
    );
    mismatch.expect_email = Some("eve@example.com".into());
    inv.push(mismatch);

    let keys = [SEED_1, SEED_2]
        .iter()
        .map(|s| {
            let k = SigningKey::from_bytes(&seed(s));
            KeyVector {
                key_id: k.key_id().to_string(),
                secret_key_hex: s.to_string(),
                public_key_hex: hex(&k.verifying_key().to_bytes()),
            }
        })
        .collect();
    Vectors {
        format_version: 1,
        description: "admit invitation token test vectors; see FORMAT.md. Verify each token with \
                      the key set `keys`, the context, the leeway, and `now` as the current time \
                      (and `expect_email`, when present, as the presented email)."
            .into(),
        context: CONTEXT.into(),
        now: NOW,
        leeway_seconds: LEEWAY,
        keys,
        valid,
        invalid: inv,
    }
}

/// The signature of `token` with L added to S.
fn s_plus_l(token: &str) -> String {
    let bytes = crate::reference::decode(token);
    let (body, sig) = bytes.split_at(bytes.len() - 64);
    let mut sig: [u8; 64] = sig.try_into().unwrap();
    let l = unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(sig[32 + i]) + u16::from(l[i]) + carry;
        sig[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    join(body, &sig)
}

/// R = identity, S = k·a: satisfies [S]B = R + [k]A, so only the small-order rule rejects it.
fn identity_r_token() -> String {
    let sk = ed25519_dalek::SigningKey::from_bytes(&seed(SEED_1));
    let body = body_with(1, key_id_of(SEED_1), &payload(&base_claims()));
    let mut r = [0u8; 32];
    r[0] = 1;
    let k = Scalar::from_hash(
        Sha512::new()
            .chain_update(r)
            .chain_update(sk.verifying_key().as_bytes())
            .chain_update(message(CONTEXT, &body)),
    );
    let s = k * sk.to_scalar();
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r);
    sig[32..].copy_from_slice(s.as_bytes());
    join(&body, &sig)
}

fn render(v: &Vectors) -> String {
    let mut text = serde_json::to_string_pretty(v).unwrap();
    text.push('\n');
    text
}

#[test]
fn vectors_are_up_to_date() {
    let fresh = render(&generate());
    if std::env::var_os("ADMIT_WRITE_VECTORS").is_some() {
        std::fs::write(PATH, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(PATH).expect("tests/vectors.json exists");
    assert!(
        committed == fresh,
        "tests/vectors.json differs from what the code generates; if the change is deliberate, \
         rerun with ADMIT_WRITE_VECTORS=1"
    );
}

#[test]
fn vectors_hold() {
    let text = std::fs::read_to_string(PATH).expect("tests/vectors.json exists");
    let v: Vectors = serde_json::from_str(&text).unwrap();
    assert_eq!(v.format_version, admit::FORMAT_VERSION);
    assert!(v.valid.len() >= 5 && v.invalid.len() >= 15);

    let mut keys = KeySet::new();
    let mut seeds = Vec::new();
    for k in &v.keys {
        let signing = SigningKey::from_bytes(&seed(&k.secret_key_hex));
        assert_eq!(hex(&signing.verifying_key().to_bytes()), k.public_key_hex);
        assert_eq!(signing.key_id().to_string(), k.key_id);
        let public =
            admit::VerifyingKey::from_bytes(&unhex(&k.public_key_hex).try_into().unwrap()).unwrap();
        keys.insert(public).unwrap();
        seeds.push((k.key_id.clone(), signing));
    }
    let verifier = Verifier::new(keys, &v.context)
        .unwrap()
        .leeway(Duration::seconds(v.leeway_seconds));
    let now = at(v.now);

    for case in &v.valid {
        let mut options = VerifyOptions::new().at(now);
        if let Some(e) = &case.expect_email {
            options = options.email(e);
        }
        let got = verifier
            .verify_with(&case.token, options)
            .unwrap_or_else(|e| panic!("valid vector {} rejected: {e}", case.name));
        let c = &case.claims;
        assert_eq!(got.id().to_string(), c.id, "{}", case.name);
        assert_eq!(
            got.issued_at().unix_timestamp(),
            c.issued_at,
            "{}",
            case.name
        );
        assert_eq!(
            got.expires_at().map(|t| t.unix_timestamp()),
            c.expires_at,
            "{}",
            case.name
        );
        assert_eq!(got.email(), c.email.as_deref(), "{}", case.name);
        assert_eq!(got.max_uses(), c.max_uses, "{}", case.name);
        assert_eq!(got.inviter(), c.inviter.as_deref(), "{}", case.name);
        assert_eq!(got.data_bytes().map(hex), c.data_hex, "{}", case.name);

        // Minting from the listed inputs reproduces the exact text.
        let signing = &seeds
            .iter()
            .find(|(id, _)| *id == got.key_id().to_string())
            .unwrap()
            .1;
        let mut b = Invitation::builder();
        b = match c.expires_at {
            Some(e) => b.expires_at(at(e)),
            None => b.never_expires(),
        };
        if let Some(e) = &c.email {
            b = b.email(e.clone());
        }
        if let Some(m) = c.max_uses {
            b = b.max_uses(m);
        }
        if let Some(i) = &c.inviter {
            b = b.inviter(i.clone());
        }
        if let Some(d) = &c.data_hex {
            b = b.data_bytes(unhex(d));
        }
        let id: InvitationId = c.id.parse().unwrap();
        let again = Issuer::new(signing.clone(), &v.context)
            .unwrap()
            .mint_with_id(b, id, at(c.issued_at))
            .unwrap();
        assert_eq!(again.as_str(), case.token, "re-minting {}", case.name);
    }

    let mut names = std::collections::HashSet::new();
    for case in &v.invalid {
        assert!(
            names.insert(&case.name),
            "duplicate vector name {}",
            case.name
        );
        let mut options = VerifyOptions::new().at(now);
        if let Some(e) = &case.expect_email {
            options = options.email(e);
        }
        let err = verifier
            .verify_with(&case.token, options)
            .expect_err(&format!("invalid vector {} accepted", case.name));
        assert_eq!(err.code(), case.error, "{}: {err}", case.name);
        // The batch path agrees.
        if case.expect_email.is_none() {
            let batch = verifier.verify_batch_at(&[case.token.as_str()], now);
            assert_eq!(
                batch[0].as_ref().unwrap_err().code(),
                case.error,
                "{}",
                case.name
            );
        }
    }
    // Every error class of the format is covered.
    for code in [
        "malformed",
        "unsupported_version",
        "unknown_key",
        "bad_signature",
        "expired",
        "not_yet_valid",
        "email_mismatch",
        "too_large",
        "invalid_claim",
    ] {
        assert!(
            v.invalid.iter().any(|c| c.error == code),
            "no vector for {code}"
        );
    }
    // The app data of all_claims is the documented struct.
    let all = v.valid.iter().find(|c| c.name == "all_claims").unwrap();
    let data = unhex(all.claims.data_hex.as_ref().unwrap());
    let team: TeamInvite = postcard::from_bytes(&data).unwrap();
    assert_eq!(
        team,
        TeamInvite {
            team_id: 42,
            role: "editor".into()
        }
    );
}
