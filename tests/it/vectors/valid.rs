//! The valid vectors: minted by the library from fixed inputs.

use admit::{Invitation, InvitationId};
use serde::{Deserialize, Serialize};
use time::Duration;

use super::{
    CONTEXT, ClaimsVector, NOW, SEED_1, SEED_2, ValidVector, at, hex, issuer_for, sequential_id,
};

/// App data of the `all_claims` vector: what a team invitation might carry.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub(super) struct TeamInvite {
    pub(super) team_id: u32,
    pub(super) role: String,
}

struct ValidInput {
    name: &'static str,
    description: &'static str,
    seed: &'static str,
    id: [u8; 12],
    issued_at: i64,
    builder: admit::InvitationBuilder,
    expect_email: Option<&'static str>,
    /// The Unicode version `expect_email` needs (FORMAT.md §5.2 step 3).
    unicode: Option<&'static str>,
}

fn inputs() -> Vec<ValidInput> {
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
            unicode: None,
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
            unicode: None,
        },
        ValidInput {
            name: "email_matches_after_normalization",
            description: "the expected email is trimmed and lower-cased before comparing",
            seed: SEED_1,
            id: sequential_id(0x20),
            issued_at: NOW - 60,
            builder: b().email("ada@example.com"),
            expect_email: Some("  ADA@Example.com "),
            unicode: None,
        },
        ValidInput {
            name: "never_expires",
            description: "no expiry claim: valid until revoked or its key is retired",
            seed: SEED_1,
            id: sequential_id(0x30),
            issued_at: 1_700_000_000,
            builder: b().never_expires(),
            expect_email: None,
            unicode: None,
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
            unicode: None,
        },
        ValidInput {
            name: "second_key",
            description: "signed by the second key in the key set",
            seed: SEED_2,
            id: sequential_id(0x50),
            issued_at: NOW - 10,
            builder: b().inviter("ops").ttl(Duration::hours(1)),
            expect_email: None,
            unicode: None,
        },
        ValidInput {
            name: "unicode_inviter",
            description: "the inviter is UTF-8",
            seed: SEED_2,
            id: sequential_id(0x60),
            issued_at: NOW - 10,
            builder: b().inviter("Zoë Ångström").max_uses(1000),
            expect_email: None,
            unicode: None,
        },
        ValidInput {
            name: "expired_within_leeway",
            description: "expired 30 s before now: still accepted with 60 s leeway",
            seed: SEED_1,
            id: sequential_id(0x70),
            issued_at: NOW - 3630,
            builder: b().ttl(Duration::hours(1)),
            expect_email: None,
            unicode: None,
        },
        ValidInput {
            name: "issued_within_leeway",
            description: "issued 30 s after now (clock skew): accepted with 60 s leeway",
            seed: SEED_1,
            id: sequential_id(0x80),
            issued_at: NOW + 30,
            builder: b().ttl(Duration::hours(1)),
            expect_email: None,
            unicode: None,
        },
        ValidInput {
            name: "email_nfc_and_ascii_case",
            description: "bound to 'zoë@exämple.com'; the presented 'zoe+U+0308@Exa+U+0308mple.COM' \
                          (decomposed, capital ASCII) matches after NFC and ASCII lower-casing",
            seed: SEED_1,
            id: sequential_id(0x90),
            issued_at: NOW - 60,
            builder: b().email("zoë@exämple.com"),
            expect_email: Some("zoe\u{308}@Exa\u{308}mple.COM"),
            unicode: None,
        },
        ValidInput {
            name: "email_keeps_non_ascii_case",
            description: "'Åsa@example.se': only A-Z are lower-cased, so Å stays a capital, in the \
                          token and in the presented address",
            seed: SEED_1,
            id: sequential_id(0x98),
            issued_at: NOW - 60,
            builder: b().email("ÅSA@Example.se"),
            expect_email: Some(" Åsa@EXAMPLE.SE"),
            unicode: None,
        },
        ValidInput {
            name: "email_unicode_16_letter",
            description: "U+A7CB (added in Unicode 16) in the local part: a valid token whatever \
                          Unicode version a verifier's runtime knows (§5.1), compared as written; \
                          a verifier with tables older than Unicode 16 refuses the presented \
                          address (invalid_email, §5.2 step 3)",
            seed: SEED_1,
            id: sequential_id(0xa8),
            issued_at: NOW - 60,
            builder: b().email("\u{a7cb}x@example.com"),
            expect_email: Some("\u{a7cb}x@EXAMPLE.com"),
            unicode: Some("16.0"),
        },
        ValidInput {
            name: "email_longest",
            description: "a 254-byte address with a 64-byte local part, the longest accepted",
            seed: SEED_1,
            id: sequential_id(0xb0),
            issued_at: NOW - 60,
            builder: b().email(format!("{}@{}.com", "l".repeat(64), "d".repeat(185))),
            expect_email: None,
            unicode: None,
        },
        ValidInput {
            name: "email_every_special_character",
            description: "every ASCII character a dot-atom allows besides letters and digits",
            seed: SEED_2,
            id: sequential_id(0xb8),
            issued_at: NOW - 60,
            builder: b().email("a!#$%&'*+-/=?^_`{|}~.z@sub.example.org"),
            expect_email: Some("a!#$%&'*+-/=?^_`{|}~.z@SUB.example.org"),
            unicode: None,
        },
        ValidInput {
            name: "max_uses_largest",
            description: "max_uses = 4294967295: a 5-byte varint whose last byte is 0x0f",
            seed: SEED_1,
            id: sequential_id(0xc0),
            issued_at: NOW - 60,
            builder: b().max_uses(u32::MAX),
            expect_email: None,
            unicode: None,
        },
        ValidInput {
            name: "largest",
            description: "every claim at its largest: 254-byte email, 64-byte inviter, 256 bytes \
                          of data, the largest max_uses, an expiry at 9999-12-31T23:59:59Z",
            seed: SEED_1,
            id: sequential_id(0xc8),
            issued_at: NOW - 60,
            builder: b()
                .email(format!("{}@{}.com", "l".repeat(64), "d".repeat(185)))
                .inviter("i".repeat(64))
                .max_uses(u32::MAX)
                .data_bytes(vec![0xff; 256])
                .expires_at(at(253_402_300_799)),
            expect_email: None,
            unicode: None,
        },
        ValidInput {
            name: "inviter_with_spaces_and_symbols",
            description: "an inviter may hold spaces and any printable character",
            seed: SEED_2,
            id: sequential_id(0xd0),
            issued_at: NOW - 60,
            builder: b().inviter("Ada Lovelace <ada@example.com> (ops) ✓"),
            expect_email: None,
            unicode: None,
        },
    ]
}

pub(super) fn generate() -> Vec<ValidVector> {
    let mut valid = Vec::new();
    for input in inputs() {
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
            unicode: input.unicode.map(Into::into),
            claims: ClaimsVector {
                id: c.id().to_string(),
                issued_at: c.issued_at().unix_timestamp(),
                ttl: c
                    .expires_at()
                    .map(|t| t.unix_timestamp() - c.issued_at().unix_timestamp()),
                expires_at: c.expires_at().map(|t| t.unix_timestamp()),
                email: c.email().map(Into::into),
                max_uses: c.max_uses(),
                inviter: c.inviter().map(Into::into),
                data_hex: c.data_bytes().map(hex),
            },
        });
    }
    valid.extend(unicode_16());
    valid
}

/// The canonical compositions new in Unicode 16 (Todhri, Tulu-Tigalari, Gurung Khema, Kirat
/// Rai): `(composed, decomposed)`. Runtimes on Unicode 15 or older do not assign these code
/// points (Python 3.11's `unicodedata` is Unicode 14), so they must refuse the typed address.
const UNICODE_16_COMPOSITIONS: [(&str, &str); 20] = [
    ("\u{105c9}", "\u{105d2}\u{307}"),
    ("\u{105e4}", "\u{105da}\u{307}"),
    ("\u{11383}", "\u{11382}\u{113c9}"),
    ("\u{11385}", "\u{11384}\u{113bb}"),
    ("\u{1138e}", "\u{1138b}\u{113c2}"),
    ("\u{11391}", "\u{11390}\u{113c9}"),
    ("\u{113c5}", "\u{113c2}\u{113c2}"),
    ("\u{113c7}", "\u{113c2}\u{113b8}"),
    ("\u{113c8}", "\u{113c2}\u{113c9}"),
    ("\u{16121}", "\u{1611e}\u{1611e}"),
    ("\u{16122}", "\u{1611e}\u{16129}"),
    ("\u{16123}", "\u{1611e}\u{1611f}"),
    ("\u{16124}", "\u{16129}\u{1611f}"),
    ("\u{16125}", "\u{1611e}\u{16120}"),
    ("\u{16126}", "\u{1611e}\u{1611e}\u{1611f}"),
    ("\u{16127}", "\u{1611e}\u{16129}\u{1611f}"),
    ("\u{16128}", "\u{1611e}\u{1611e}\u{16120}"),
    ("\u{16d68}", "\u{16d67}\u{16d67}"),
    ("\u{16d69}", "\u{16d63}\u{16d67}"),
    ("\u{16d6a}", "\u{16d63}\u{16d67}\u{16d67}"),
];

/// One vector per composition new in Unicode 16: bound to `<composed>@example.com`, presented
/// decomposed. Valid on Unicode 16 and later; `invalid_email` on older tables.
fn unicode_16() -> Vec<ValidVector> {
    let issuer = issuer_for(SEED_1, CONTEXT);
    UNICODE_16_COMPOSITIONS
        .iter()
        .enumerate()
        .map(|(i, (composed, decomposed))| {
            let scalar = |s: &str| {
                s.chars()
                    .map(|c| format!("U+{:04X}", u32::from(c)))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let email = format!("{composed}@example.com");
            let id = [0xe0 + i as u8; 12];
            let token = issuer
                .mint_with_id(
                    Invitation::builder()
                        .email(email.clone())
                        .ttl(Duration::days(1)),
                    InvitationId::from_bytes(id),
                    at(NOW - 60),
                )
                .unwrap();
            let c = token.invitation();
            let composed_hex = u32::from(composed.chars().next().unwrap_or_default());
            ValidVector {
                name: format!("email_nfc_unicode_16_{composed_hex:x}"),
                description: format!(
                    "bound to {} '@example.com', presented {} '@example.com': composed by \
                     Unicode 16's NFC; a verifier with older tables refuses it (invalid_email)",
                    scalar(composed),
                    scalar(decomposed)
                ),
                token: token.as_str().into(),
                expect_email: Some(format!("{decomposed}@example.com")),
                unicode: Some("16.0".into()),
                claims: ClaimsVector {
                    id: c.id().to_string(),
                    issued_at: c.issued_at().unix_timestamp(),
                    ttl: Some(86_400),
                    expires_at: c.expires_at().map(|t| t.unix_timestamp()),
                    email: Some(email),
                    max_uses: None,
                    inviter: None,
                    data_hex: None,
                },
            }
        })
        .collect()
}
