//! Finding a token in a URL, query or pasted text: never panics; and a token put into any base
//! URL is found again, unchanged (unless the base holds another `invitation=` outside its query,
//! which makes the text ambiguous: FORMAT.md §12 then refuses to guess).

#![no_main]

use std::sync::OnceLock;

use admit::{Invitation, InvitationId, Issuer, SigningKey, Token};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

fn token() -> &'static Token {
    static TOKEN: OnceLock<Token> = OnceLock::new();
    TOKEN.get_or_init(|| {
        Issuer::new(SigningKey::from_bytes(&[7; 32]), "acme/invite")
            .unwrap()
            .mint_with_id(
                Invitation::builder(),
                InvitationId::from_bytes([1; 12]),
                OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            )
            .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = admit::find_token(&text);
    let t = token();
    if let Ok(link) = t.url(&text)
        && link.matches("invitation=").count() == 1
    {
        assert_eq!(
            admit::find_token(&link).as_deref(),
            Ok(t.as_str()),
            "{link}"
        );
    }
});
