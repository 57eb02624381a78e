//! Secrets and whole tokens never show up in Debug output or error messages.

use admit::{Invitation, SigningKey};

use crate::{NOW, at, issuer, key, mint, verifier};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn signing_key_debug_shows_no_secret() {
    let k = SigningKey::from_bytes(&[0xab; 32]);
    let pem = k.to_pkcs8_pem().unwrap();
    for shown in [
        format!("{k:?}"),
        format!("{k:#?}"),
        format!("{:?}", issuer()),
    ] {
        assert!(!shown.contains(&hex(&[0xab; 32])), "{shown}");
        assert!(!shown.contains(&hex(&[0xab; 4])), "{shown}");
        assert!(!shown.contains("171, 171"), "{shown}");
        assert!(!shown.contains(pem.lines().nth(1).unwrap()), "{shown}");
    }
    assert!(format!("{k:?}").contains(&k.key_id().to_string()));
}

#[test]
fn secret_keys_are_wiped_on_drop() {
    fn wipes_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    wipes_on_drop::<SigningKey>();
}

#[test]
fn token_debug_and_errors_do_not_contain_the_token() {
    let t = mint(
        Invitation::builder()
            .email("ada@example.com")
            .inviter("grace"),
        1,
    );
    let text = t.as_str().to_owned();
    let shown = format!("{t:?} {:?} {t} {t:#?}", t.invitation());
    for window in text.as_bytes().windows(12) {
        let w = std::str::from_utf8(window).unwrap();
        assert!(!shown.contains(w), "{shown} shows part of the token");
    }
    // Display names the invitation; the text comes out only by name.
    assert_eq!(
        t.to_string(),
        format!(
            "invitation {} ({} characters)",
            t.invitation().id(),
            text.len()
        )
    );
    assert_eq!(t.as_str(), text);

    let v = verifier();
    let mut broken = vec![
        text[..text.len() - 1].to_owned(),
        format!("{text}A"),
        text.replace('A', "B"),
    ];
    broken.push(format!("{text}%%"));
    for bad in &broken {
        let err = v.verify_at(bad, at(NOW + 10 * 86_400)).unwrap_err();
        for shown in [err.to_string(), format!("{err:?}")] {
            for window in bad.as_bytes().windows(16) {
                let w = std::str::from_utf8(window).unwrap();
                assert!(!shown.contains(w), "{shown} leaks part of the token");
            }
            assert!(!shown.contains("ada@example.com"), "{shown}");
        }
    }
    let expired = v.verify_at(&text, at(NOW + 10 * 86_400)).unwrap_err();
    assert!(!format!("{expired} {expired:?}").contains("ada@"));
}

#[test]
fn verifier_debug_shows_public_material_only() {
    let shown = format!("{:?}", verifier());
    assert!(shown.contains("acme/invite"));
    assert!(!shown.contains(&hex(&[1; 32])));
    let _ = key(1);
}
