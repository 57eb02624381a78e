//! Email addresses: the rules an address in a token follows (FORMAT.md §5.1), and how an
//! address a person types is put in that form (§5.2).
//!
//! The rules for an address in a token are fixed lists of characters or code-point ranges,
//! never a Unicode property, so their answer does not change with the Unicode version of a
//! toolchain or runtime. A typed address is put in NFC, whose answer would: so a typed address
//! holding a code point these tables do not assign is refused first, and two verifiers on
//! different Unicode versions either agree or the older one refuses (FORMAT.md §5.2). Case
//! folding is ASCII only; other letters are compared as written, after NFC.

use unicode_normalization::UnicodeNormalization as _;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};

use crate::error::{Claim, Error};
use crate::forbidden;

/// Longest email address accepted, in bytes of UTF-8 (RFC 5321's limit on a forward path).
pub const MAX_EMAIL_LEN: usize = 254;
/// Longest local part (before the `@`) accepted, in bytes of UTF-8 (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_PART_LEN: usize = 64;

/// The ASCII whitespace trimmed from both ends of a typed address: tab, line feed, vertical
/// tab, form feed, carriage return and space. Nothing else is trimmed.
fn is_trimmed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

/// RFC 5322 `atext` in lower case, plus RFC 6531's non-ASCII (minus tables 1 and 2).
fn is_atext(c: char) -> bool {
    match c {
        'a'..='z' | '0'..='9' => true,
        '!' | '#' | '$' | '%' | '&' | '\'' | '*' | '+' | '-' | '/' | '=' | '?' | '^' | '_'
        | '`' | '{' | '|' | '}' | '~' => true,
        c => !c.is_ascii() && !forbidden::in_email(c),
    }
}

/// Why an address holding a character of table 1 or 2 is refused.
const FORBIDDEN: &str =
    "email must not hold control, invisible, bidi, space or letter-like sign characters";

/// Why a typed address holding a code point the Unicode tables do not assign is refused.
const UNASSIGNED: &str = "email holds a code point not assigned in Unicode 18.0, whose NFC is not \
                          known yet";

/// The Unicode version whose NFC applies to a typed address ([`normalize_email`]): that of the
/// tables this library was built with, 18.0 (FORMAT.md §5.2). A code point it does not assign
/// is refused, so a later version changes no answer this one gives.
///
/// # Examples
///
/// ```
/// assert!(admit::UNICODE_VERSION >= (16, 0, 0)); // composes U+105D2 U+0307 into U+105C9
/// ```
pub const UNICODE_VERSION: (u8, u8, u8) = {
    let (major, minor, update) = unicode_properties::UNICODE_VERSION;
    (major as u8, minor as u8, update as u8)
};

/// Why `c`, which is not `atext`, cannot be in an address.
fn refusal(c: char) -> &'static str {
    if c.is_ascii_uppercase() {
        "email must be in lower case (A-Z written as a-z)"
    } else if c.is_ascii() {
        "email may hold only letters, digits, one @, dots and ! # $ % & ' * + - / = ? ^ _ ` { | } ~"
    } else {
        FORBIDDEN
    }
}

/// A dot-atom: non-empty runs of `atext` separated by single dots.
fn check_dot_atom(part: &str) -> Result<(), &'static str> {
    if part.is_empty() {
        return Err("email must have text before and after the @");
    }
    for atom in part.split('.') {
        if atom.is_empty() {
            return Err("email must not start or end a part with a dot, or hold two in a row");
        }
        if let Some(c) = atom.chars().find(|&c| !is_atext(c)) {
            return Err(refusal(c));
        }
    }
    Ok(())
}

/// The rules an address in a token follows (FORMAT.md §5.1). Returns what is wrong.
pub(crate) fn problem(email: &str) -> Option<&'static str> {
    if email.len() > MAX_EMAIL_LEN {
        return Some("email must be at most 254 bytes");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Some("email must contain exactly one @");
    };
    if domain.contains('@') {
        return Some("email must contain exactly one @");
    }
    if local.len() > MAX_LOCAL_PART_LEN {
        return Some("the part of an email before the @ must be at most 64 bytes");
    }
    check_dot_atom(local)
        .and_then(|()| check_dot_atom(domain))
        .err()
}

/// Checks an address read from a token.
pub(crate) fn check(email: &str) -> Result<(), Error> {
    match problem(email) {
        None => Ok(()),
        Some(reason) => Err(Error::claim(Claim::Email, reason)),
    }
}

/// Puts an email address in the form invitations carry (FORMAT.md §5.2), or says why it cannot
/// be one:
///
/// 1. ASCII whitespace (tab, line feed, vertical tab, form feed, carriage return, space) is
///    trimmed from both ends;
/// 2. an address holding a control, invisible, bidi or letter-like sign character is refused
///    (U+202E, U+200B, KELVIN SIGN…: the code-point tables of FORMAT.md §5);
/// 3. an address holding a code point Unicode 18.0 does not assign ([`UNICODE_VERSION`]) is
///    refused: its NFC is not known yet, and a later Unicode could compose it differently;
/// 4. the rest is put in Unicode NFC (so `é` typed as one or two code points is the same) and
///    `A-Z` become `a-z` (other letters keep their case: Unicode case mapping changes between
///    versions, and mail servers may treat them as different mailboxes);
/// 5. the result must be a dot-atom address: at most 254 bytes, one `@`, at most 64 bytes
///    before it, and on each side runs of letters, digits or ``! # $ % & ' * + - / = ? ^ _ ` { | } ~``
///    joined by single dots. Quoted local parts (`"a b"@x`) and address literals (`a@[1.2.3.4]`)
///    are not accepted.
///
/// # Errors
///
/// [`Error::InvalidClaim`] for [`Claim::Email`] naming the rule that failed.
///
/// # Examples
///
/// ```
/// assert_eq!(admit::normalize_email("  Ada@Example.COM \n")?, "ada@example.com");
/// // Composed and decomposed é are one address.
/// assert_eq!(admit::normalize_email("Zoe\u{308}@example.com")?, "zoë@example.com");
/// // Only ASCII letters are folded.
/// assert_eq!(admit::normalize_email("ÅSA@example.com")?, "Åsa@example.com");
/// assert!(admit::normalize_email("ada.example.com").is_err());
/// assert!(admit::normalize_email("<script>@example.com").is_err());
/// assert!(admit::normalize_email("\u{212a}ate@example.com").is_err()); // KELVIN SIGN
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn normalize_email(email: &str) -> Result<String, Error> {
    // NFC lengthens a string at most threefold: anything this long is refused before any work.
    if email.len() > 4 * MAX_EMAIL_LEN {
        return Err(Error::claim(
            Claim::Email,
            "email must be at most 254 bytes",
        ));
    }
    let email = email.trim_matches(is_trimmed);
    if email.chars().any(forbidden::in_email) {
        return Err(Error::claim(Claim::Email, FORBIDDEN));
    }
    let normal: String = if email.is_ascii() {
        email.to_ascii_lowercase()
    } else {
        // Checked on the tables of `UNICODE_VERSION`: NFC only composes code points it knows.
        if email
            .chars()
            .any(|c| c.general_category() == GeneralCategory::Unassigned)
        {
            return Err(Error::claim(Claim::Email, UNASSIGNED));
        }
        email.nfc().map(|c| c.to_ascii_lowercase()).collect()
    };
    check(&normal)?;
    Ok(normal)
}

#[cfg(test)]
mod tests {
    use super::{normalize_email, problem};

    #[test]
    fn token_rules() {
        for ok in [
            "a@b",
            "ada@example.com",
            "o'brien+tag@example.co.uk",
            "!#$%&'*+-/=?^_`{|}~@x",
            "zoë@exämple.com",
            "用户@例子.广告",
            "\u{a7cb}@example.com",
        ] {
            assert_eq!(problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "@",
            "a@",
            "@b",
            "a@b@c",
            "A@b",
            "a@B",
            ".a@b",
            "a.@b",
            "a..b@c",
            "a@b.",
            "a@.b",
            "a b@c",
            "<a>@b",
            "a,b@c",
            "a;b@c",
            "\"a\"@b",
            "a(b)@c",
            "a@[1.2.3.4]",
            "a\\b@c",
            "a:b@c",
            "a\u{202e}b@c",
            "a\u{200b}@c",
            "a\u{a0}b@c",
            "\u{212a}ate@c",
            "a\u{85}@c",
        ] {
            assert!(problem(bad).is_some(), "{bad:?} accepted");
        }
        let local = "a".repeat(64);
        assert_eq!(problem(&format!("{local}@x")), None);
        assert!(problem(&format!("a{local}@x")).is_some());
        let long = format!("{local}@{}.com", "d".repeat(254 - 64 - 5));
        assert_eq!(long.len(), 254);
        assert_eq!(problem(&long), None);
        assert!(problem(&format!("{long}m")).is_some());
    }

    #[test]
    fn typed_addresses() {
        assert_eq!(
            normalize_email("\t Ada@Example.COM\r\n").unwrap(),
            "ada@example.com"
        );
        assert_eq!(
            normalize_email("ZOE\u{308}@example.com").unwrap(),
            "zoË@example.com"
        );
        // Only ASCII whitespace is trimmed: U+001C (trimmed by Python's strip) and U+00A0 are
        // refused.
        assert!(normalize_email("\u{1c}ada@example.com").is_err());
        assert!(normalize_email("\u{a0}ada@example.com").is_err());
        // KELVIN SIGN is refused, not turned into K.
        assert!(normalize_email("\u{212a}ate@example.com").is_err());
        assert!(normalize_email(&"a".repeat(2000)).is_err());
    }

    /// FORMAT.md §5.2 step 3: a composition new in Unicode 16 applies, and a code point no
    /// Unicode version assigns yet is refused rather than left as it is.
    #[test]
    fn unicode_version_of_typed_addresses() {
        assert_eq!(
            normalize_email("\u{105d2}\u{307}@example.com").unwrap(),
            "\u{105c9}@example.com"
        );
        let refused = normalize_email("ada\u{d0000}@example.com").unwrap_err();
        assert!(refused.to_string().contains("not assigned"), "{refused}");
        // The token rules (§5.1) stay free of Unicode versions: such an address in a token
        // is valid, it just never matches a typed one.
        assert_eq!(problem("ada\u{d0000}@example.com"), None);
    }

    /// Refusing what the property tables do not assign is only sound if NFC knows everything
    /// they assign: their Unicode version must not be newer than the normalization tables'.
    #[test]
    fn property_tables_are_not_newer_than_normalization_tables() {
        let (a, b, c) = unicode_normalization::UNICODE_VERSION;
        let nfc = (u64::from(a), u64::from(b), u64::from(c));
        assert!(unicode_properties::UNICODE_VERSION <= nfc);
        assert_eq!(
            super::UNICODE_VERSION,
            (18, 0, 0),
            "update FORMAT.md §5.2 with it"
        );
    }
}
