//! The code points no email address or inviter may hold: FORMAT.md §5, tables 1 and 2.
//!
//! Fixed lists of ranges, not Unicode properties, so that every implementation in every
//! language and every Unicode version gives the same answer.

/// Table 1: refused in emails and inviters. Controls, invisible and format characters (which
/// can make text display as something else: U+202E shows the rest of a line reversed),
/// surrogates, private use, noncharacters and specials.
const EVERYWHERE: &[(u32, u32)] = &[
    (0x0000, 0x001f),    // C0 controls
    (0x007f, 0x009f),    // DEL, C1 controls
    (0x00ad, 0x00ad),    // soft hyphen
    (0x034f, 0x034f),    // combining grapheme joiner
    (0x061c, 0x061c),    // Arabic letter mark
    (0x115f, 0x1160),    // Hangul choseong and jungseong fillers
    (0x17b4, 0x17b5),    // Khmer inherent vowels
    (0x180b, 0x180f),    // Mongolian variation selectors, vowel separator
    (0x200b, 0x200f),    // zero-width space, non-joiner, joiner; LRM, RLM
    (0x2028, 0x202e),    // line and paragraph separators; bidi embeddings and overrides
    (0x2060, 0x206f),    // word joiner, invisible operators, bidi isolates, deprecated format
    (0x3164, 0x3164),    // Hangul filler
    (0xd800, 0xdfff),    // surrogates (never in UTF-8; listed for UTF-16 strings)
    (0xe000, 0xf8ff),    // private use
    (0xfdd0, 0xfdef),    // noncharacters
    (0xfe00, 0xfe0f),    // variation selectors
    (0xfeff, 0xfeff),    // zero-width no-break space (byte order mark)
    (0xffa0, 0xffa0),    // halfwidth Hangul filler
    (0xfff0, 0xffff),    // specials: annotation, object and replacement characters
    (0x1bca0, 0x1bca3),  // shorthand format controls
    (0x1d173, 0x1d17a),  // musical symbol format controls
    (0xe0000, 0xe0fff),  // tags, variation selectors supplement
    (0xf0000, 0x10ffff), // supplementary private use
];

/// Table 2: refused in emails as well. Spaces other than U+0020 (which no address holds
/// either), the three letter-like signs NFC turns into other letters, and the two other code
/// points whose NFC form is ASCII (a look-alike `;` and `` ` ``).
const EMAIL_ALSO: &[(u32, u32)] = &[
    (0x00a0, 0x00a0), // no-break space
    (0x037e, 0x037e), // GREEK QUESTION MARK (NFC: ;)
    (0x1680, 0x1680), // ogham space mark
    (0x1fef, 0x1fef), // GREEK VARIA (NFC: `)
    (0x2000, 0x200a), // en quad … hair space
    (0x202f, 0x202f), // narrow no-break space
    (0x205f, 0x205f), // medium mathematical space
    (0x3000, 0x3000), // ideographic space
    (0x2126, 0x2126), // OHM SIGN (NFC: Ω)
    (0x212a, 0x212b), // KELVIN SIGN (NFC: K), ANGSTROM SIGN (NFC: Å)
];

fn in_table(table: &[(u32, u32)], c: u32) -> bool {
    table.iter().any(|&(low, high)| (low..=high).contains(&c))
}

/// Whether `c` is in table 1, or is a noncharacter (a code point ending in `FFFE` or `FFFF`).
pub(crate) fn everywhere(c: char) -> bool {
    let c = u32::from(c);
    c & 0xfffe == 0xfffe || in_table(EVERYWHERE, c)
}

/// Whether `c` may not appear in an email address (tables 1 and 2).
pub(crate) fn in_email(c: char) -> bool {
    everywhere(c) || in_table(EMAIL_ALSO, u32::from(c))
}

#[cfg(test)]
mod tests {
    use super::{EMAIL_ALSO, EVERYWHERE, everywhere, in_email};

    #[test]
    fn tables_are_sorted_and_disjoint() {
        for table in [EVERYWHERE, EMAIL_ALSO] {
            for &(low, high) in table {
                assert!(low <= high, "{low:x}..{high:x}");
            }
        }
        let mut all: Vec<_> = EVERYWHERE.iter().chain(EMAIL_ALSO).collect();
        all.sort();
        for pair in all.windows(2) {
            assert!(
                pair[0].1 < pair[1].0,
                "{:x?} overlaps {:x?}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn examples() {
        for c in [
            '\u{0}', '\u{1c}', '\u{7f}', '\u{85}', '\u{200b}', '\u{202e}', '\u{2066}',
        ] {
            assert!(everywhere(c) && in_email(c), "{:x}", u32::from(c));
        }
        for c in [
            '\u{fffe}',
            '\u{1ffff}',
            '\u{10fffe}',
            '\u{e0041}',
            '\u{fffc}',
            '\u{fffd}',
        ] {
            assert!(everywhere(c), "{:x}", u32::from(c));
        }
        for c in ['\u{a0}', '\u{3000}', '\u{212a}', '\u{212b}', '\u{2126}'] {
            assert!(!everywhere(c) && in_email(c), "{:x}", u32::from(c));
        }
        for c in ['a', ' ', 'é', 'Å', 'Ω', '\u{a7cb}', '漢', '\u{1f600}'] {
            assert!(!in_email(c), "{:x}", u32::from(c));
        }
        assert!(!everywhere(' ') && !everywhere('é') && !everywhere('\u{a7cb}'));
    }
}
