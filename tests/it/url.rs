use admit::{Error, find_token};

use crate::{NOW, at, plain, verifier};

#[test]
fn url_adds_the_parameter_and_keeps_the_rest() {
    let t = plain();
    let s = t.as_str();
    let cases = [
        (
            "https://a.test/join",
            format!("https://a.test/join?invitation={s}"),
        ),
        (
            "https://a.test/join?",
            format!("https://a.test/join?invitation={s}"),
        ),
        (
            "https://a.test/join?x=1&y",
            format!("https://a.test/join?x=1&y&invitation={s}"),
        ),
        (
            "https://a.test/join?x=1&",
            format!("https://a.test/join?x=1&invitation={s}"),
        ),
        (
            "https://a.test/join?invitation=old&x=1#frag",
            format!("https://a.test/join?x=1&invitation={s}#frag"),
        ),
        (
            "https://a.test/#/join",
            format!("https://a.test/?invitation={s}#/join"),
        ),
        ("myapp://join", format!("myapp://join?invitation={s}")),
        ("/join", format!("/join?invitation={s}")),
    ];
    for (base, want) in cases {
        assert_eq!(t.url(base).unwrap(), want, "{base}");
        // And the link verifies.
        assert!(
            verifier()
                .verify_at(&find_token(&want).unwrap(), at(NOW))
                .is_ok()
        );
    }
    for bad in ["", "https://a.test/join here", "https://a.test/\njoin"] {
        assert!(
            matches!(t.url(bad), Err(Error::InvalidUrl { .. })),
            "{bad:?}"
        );
    }
}

#[test]
fn find_token_in_urls_queries_and_pasted_text() {
    let ok = [
        ("https://a.test/join?invitation=AbC-_1", "AbC-_1"),
        ("https://a.test/join?x=1&invitation=AbC-_1#frag", "AbC-_1"),
        ("?invitation=AbC", "AbC"),
        ("invitation=AbC&x=2", "AbC"),
        ("  https://a.test/join?invitation=AbC\r\n", "AbC"),
        ("AbC-_1", "AbC-_1"),
        ("https://a.test/join?invitation=Ab%43", "AbC"),
        ("https://a.test/join?invitations=no&invitation=AbC", "AbC"),
    ];
    for (input, want) in ok {
        assert_eq!(find_token(input).unwrap(), want, "{input:?}");
    }
    let missing = [
        "",
        "   ",
        "https://a.test/join",
        "https://a.test/join?x=1",
        "https://a.test/join?invitation=",
        "https://a.test/join?invitation",
        "not a token!",
    ];
    for input in missing {
        assert_eq!(find_token(input), Err(Error::MissingToken), "{input:?}");
    }
    // A link pasted twice is one token.
    assert_eq!(
        find_token("?invitation=AbC and again ?invitation=AbC").unwrap(),
        "AbC"
    );
    for input in [
        "?invitation=a&invitation=b",
        "?invitation=%zz",
        "?invitation=%+f",
        "?invitation=abc%4",
        "?invitation=%ff%fe",
    ] {
        assert!(
            matches!(find_token(input), Err(Error::InvalidUrl { .. })),
            "{input:?}"
        );
    }
}

#[test]
#[cfg(feature = "rand")]
fn verify_url_verifies_what_it_finds() {
    let t = crate::issuer().mint(admit::Invitation::builder()).unwrap();
    let link = t.url("https://a.test/join?lang=fr").unwrap();
    let v = verifier();
    assert_eq!(v.verify_url(&link).unwrap().id(), t.invitation().id());
    assert_eq!(
        v.verify_url("https://a.test/join").unwrap_err(),
        Error::MissingToken
    );
    assert_eq!(
        v.verify_url("https://a.test/join?invitation=AAAA")
            .unwrap_err()
            .code(),
        "unsupported_version"
    );
}
