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
        ValidInput {
            name: "email_nfc_and_ascii_case",
            description: "bound to 'zoë@exämple.com'; the presented 'zoe+U+0308@Exa+U+0308mple.COM' \
                          (decomposed, capital ASCII) matches after NFC and ASCII lower-casing",
            seed: SEED_1,
            id: sequential_id(0x90),
            issued_at: NOW - 60,
            builder: b().email("zoë@exämple.com"),
            expect_email: Some("zoe\u{308}@Exa\u{308}mple.COM"),
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
        },
        ValidInput {
            name: "email_unicode_16_letter",
            description: "U+A7CB (added in Unicode 16) in the local part: valid and compared as \
                          written, whatever Unicode version a verifier's runtime knows",
            seed: SEED_1,
            id: sequential_id(0xa8),
            issued_at: NOW - 60,
            builder: b().email("\u{a7cb}x@example.com"),
            expect_email: Some("\u{a7cb}x@EXAMPLE.com"),
        },
        ValidInput {
            name: "email_longest",
            description: "a 254-byte address with a 64-byte local part, the longest accepted",
            seed: SEED_1,
            id: sequential_id(0xb0),
            issued_at: NOW - 60,
            builder: b().email(format!("{}@{}.com", "l".repeat(64), "d".repeat(185))),
            expect_email: None,
        },
        ValidInput {
            name: "email_every_special_character",
            description: "every ASCII character a dot-atom allows besides letters and digits",
            seed: SEED_2,
            id: sequential_id(0xb8),
            issued_at: NOW - 60,
            builder: b().email("a!#$%&'*+-/=?^_`{|}~.z@sub.example.org"),
            expect_email: Some("a!#$%&'*+-/=?^_`{|}~.z@SUB.example.org"),
        },
        ValidInput {
            name: "max_uses_largest",
            description: "max_uses = 4294967295: a 5-byte varint whose last byte is 0x0f",
            seed: SEED_1,
            id: sequential_id(0xc0),
            issued_at: NOW - 60,
            builder: b().max_uses(u32::MAX),
            expect_email: None,
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
        },
        ValidInput {
            name: "inviter_with_spaces_and_symbols",
            description: "an inviter may hold spaces and any printable character",
            seed: SEED_2,
            id: sequential_id(0xd0),
            issued_at: NOW - 60,
            builder: b().inviter("Ada Lovelace <ada@example.com> (ops) ✓"),
            expect_email: None,
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

    valid
}
