//! Invalid vectors for FORMAT.md §5: addresses and inviters in tokens, and addresses as
//! presented by a person.

use super::{InvalidVector, base_claims, invalid, signed_claims};
use crate::reference::RefClaims;

fn with_email(email: &str) -> String {
    signed_claims(&RefClaims {
        email: Some(email.into()),
        ..base_claims()
    })
}

fn with_inviter(inviter: &str) -> String {
    signed_claims(&RefClaims {
        inviter: Some(inviter.into()),
        ..base_claims()
    })
}

fn presented(
    name: &str,
    description: &str,
    bound: Option<&str>,
    given: &str,
    error: &str,
) -> InvalidVector {
    let token = signed_claims(&RefClaims {
        email: bound.map(Into::into),
        ..base_claims()
    });
    let mut v = invalid(name, description, token, error);
    v.expect_email = Some(given.into());
    v
}

pub(super) fn generate() -> Vec<InvalidVector> {
    let mut inv = Vec::new();

    // Characters an address cannot hold (RFC 5321 dot-atoms), one vector each.
    let ascii = [
        ("lt", '<'),
        ("gt", '>'),
        ("comma", ','),
        ("semicolon", ';'),
        ("colon", ':'),
        ("quote", '"'),
        ("open_paren", '('),
        ("close_paren", ')'),
        ("open_bracket", '['),
        ("close_bracket", ']'),
        ("backslash", '\\'),
        ("space", ' '),
    ];
    for (name, c) in ascii {
        inv.push(invalid(
            &format!("email_ascii_{name}"),
            &format!("'{c}' in the local part: not in a dot-atom (signed)"),
            with_email(&format!("ada{c}x@example.com")),
            "invalid_claim",
        ));
    }
    inv.push(invalid(
        "email_markup",
        "'<script>x</script>@example.com' (signed)",
        with_email("<script>x</script>@example.com"),
        "invalid_claim",
    ));
    let code_points = [
        (
            "email_c1_control",
            '\u{85}',
            "U+0085 NEXT LINE, a C1 control",
        ),
        (
            "email_right_to_left_override",
            '\u{202e}',
            "U+202E, which shows the rest reversed",
        ),
        (
            "email_zero_width_space",
            '\u{200b}',
            "U+200B ZERO WIDTH SPACE",
        ),
        ("email_no_break_space", '\u{a0}', "U+00A0 NO-BREAK SPACE"),
        (
            "email_ideographic_space",
            '\u{3000}',
            "U+3000 IDEOGRAPHIC SPACE",
        ),
        (
            "email_byte_order_mark",
            '\u{feff}',
            "U+FEFF ZERO WIDTH NO-BREAK SPACE",
        ),
        (
            "email_kelvin_sign",
            '\u{212a}',
            "U+212A KELVIN SIGN, which NFC turns into K",
        ),
        (
            "email_angstrom_sign",
            '\u{212b}',
            "U+212B ANGSTROM SIGN, which NFC turns into Å",
        ),
        (
            "email_ohm_sign",
            '\u{2126}',
            "U+2126 OHM SIGN, which NFC turns into Ω",
        ),
        (
            "email_greek_question_mark",
            '\u{37e}',
            "U+037E GREEK QUESTION MARK, which NFC turns into ';'",
        ),
        (
            "email_replacement_character",
            '\u{fffd}',
            "U+FFFD REPLACEMENT CHARACTER",
        ),
        ("email_private_use", '\u{e000}', "U+E000, private use"),
        (
            "email_tag_character",
            '\u{e0041}',
            "U+E0041 TAG LATIN CAPITAL LETTER A",
        ),
        ("email_noncharacter", '\u{1fffe}', "U+1FFFE, a noncharacter"),
    ];
    for (name, c, what) in code_points {
        inv.push(invalid(
            name,
            &format!("{what} in the local part (signed)"),
            with_email(&format!("ka{c}te@example.com")),
            "invalid_claim",
        ));
    }
    let dots = [
        ("email_leading_dot", ".ada@example.com"),
        ("email_dot_before_at", "ada.@example.com"),
        ("email_two_dots", "ada..lovelace@example.com"),
        ("email_dot_after_at", "ada@.example.com"),
        ("email_trailing_dot", "ada@example.com."),
    ];
    for (name, email) in dots {
        inv.push(invalid(
            name,
            &format!("'{email}': dots only between runs of characters (signed)"),
            with_email(email),
            "invalid_claim",
        ));
    }
    inv.push(invalid(
        "email_two_ats",
        "'ada@home@example.com' (signed)",
        with_email("ada@home@example.com"),
        "invalid_claim",
    ));
    inv.push(invalid(
        "email_address_literal",
        "'ada@[192.0.2.1]': address literals are not accepted (signed)",
        with_email("ada@[192.0.2.1]"),
        "invalid_claim",
    ));
    inv.push(invalid(
        "email_local_part_65_bytes",
        "a 65-byte local part (signed)",
        with_email(&format!("{}@example.com", "l".repeat(65))),
        "invalid_claim",
    ));
    inv.push(invalid(
        "email_255_bytes",
        "a 255-byte address (signed)",
        with_email(&format!("{}@{}.com", "l".repeat(64), "d".repeat(186))),
        "invalid_claim",
    ));

    let inviters = [
        (
            "inviter_right_to_left_override",
            "ops\u{202e}nimda",
            "U+202E",
        ),
        (
            "inviter_zero_width_joiner",
            "ad\u{200d}a",
            "U+200D ZERO WIDTH JOINER",
        ),
        (
            "inviter_bidi_isolate",
            "\u{2067}ada",
            "U+2067 RIGHT-TO-LEFT ISOLATE",
        ),
        (
            "inviter_line_separator",
            "ada\u{2028}eve",
            "U+2028 LINE SEPARATOR",
        ),
        ("inviter_c1_control", "ada\u{9b}", "U+009B, a C1 control"),
        ("inviter_newline", "ada\neve", "a line feed"),
        (
            "inviter_hangul_filler",
            "\u{3164}",
            "U+3164 HANGUL FILLER, which shows as nothing",
        ),
        (
            "inviter_noncharacter",
            "ada\u{ffff}",
            "U+FFFF, a noncharacter",
        ),
        ("inviter_65_bytes", "", "65 bytes"),
    ];
    for (name, text, what) in inviters {
        let text = if text.is_empty() {
            "i".repeat(65)
        } else {
            text.to_owned()
        };
        inv.push(invalid(
            name,
            &format!("an inviter holding {what} (signed)"),
            with_inviter(&text),
            "invalid_claim",
        ));
    }

    // A token whose email is valid but not in NFC (a minter should not write one): verifiers do
    // not check NFC, so the token is valid, but no normalized address can match it.
    inv.push(presented(
        "email_token_not_nfc",
        "bound to 'zoe' + U+0308 + '@example.com' (decomposed, not NFC); presented 'zoë@example.com': \
         the presented address is put in NFC, the token's is not, so they differ",
        Some("zoe\u{308}@example.com"),
        "zoë@example.com",
        "email_mismatch",
    ));
    inv.push(presented(
        "presented_non_ascii_case",
        "bound to 'zoë@example.com', presented 'ZOË@EXAMPLE.COM': Ë is not lower-cased",
        Some("zoë@example.com"),
        "ZOË@EXAMPLE.COM",
        "email_mismatch",
    ));
    inv.push(presented(
        "presented_kelvin_sign",
        "bound to 'kate@example.com', presented with U+212A KELVIN SIGN for the k: refused, \
         not folded into k",
        Some("kate@example.com"),
        "\u{212a}ate@example.com",
        "invalid_email",
    ));
    inv.push(presented(
        "presented_information_separator",
        "presented with U+001C in front: only ASCII whitespace is trimmed (not U+001C-U+001F, \
         which some languages' strip() removes)",
        Some("ada@example.com"),
        "\u{1c}ada@example.com",
        "invalid_email",
    ));
    inv.push(presented(
        "presented_no_break_space",
        "presented with U+00A0 around it: not trimmed, and refused",
        Some("ada@example.com"),
        "\u{a0}ada@example.com\u{a0}",
        "invalid_email",
    ));
    inv.push(presented(
        "presented_invalid_unbound",
        "an invitation bound to no address, presented 'not an address': a presented address \
         must be valid whether or not the invitation is bound",
        None,
        "not an address",
        "invalid_email",
    ));
    inv.push(presented(
        "presented_markup_unbound",
        "unbound, presented '<eve>@example.com'",
        None,
        "<eve>@example.com",
        "invalid_email",
    ));
    inv.push(presented(
        "presented_unassigned_unbound",
        "unbound, presented 'ada' + U+D0000 + '@example.com': no Unicode version assigns \
         U+D0000 yet, so its NFC is unknown and the address is refused (FORMAT.md §5.2 step 3)",
        None,
        "ada\u{d0000}@example.com",
        "invalid_email",
    ));
    inv.push(presented(
        "presented_unassigned_bound",
        "bound to 'ada' + U+D0000 + '@example.com' (a valid token: §5.1 has no Unicode \
         version), presented the same: refused, as an unassigned code point always is",
        Some("ada\u{d0000}@example.com"),
        "ada\u{d0000}@example.com",
        "invalid_email",
    ));
    inv
}
