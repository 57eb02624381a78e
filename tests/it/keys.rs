use std::path::Path;
use std::process::Command;

use admit::{Error, Invitation, Issuer, KeyId, SigningKey, Verifier, VerifyingKey};

use crate::{CONTEXT, NOW, at, id, key, require_tool};

#[test]
fn pem_and_raw_forms_round_trip() {
    let k = key(5);
    let pem = k.to_pkcs8_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let back = SigningKey::from_pkcs8_pem(&pem).unwrap();
    assert_eq!(back.verifying_key(), k.verifying_key());
    assert_eq!(*back.to_bytes(), [5; 32]);

    let public = k.verifying_key();
    let spki = public.to_public_key_pem().unwrap();
    assert!(spki.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert_eq!(VerifyingKey::from_public_key_pem(&spki).unwrap(), public);
    assert_eq!(
        VerifyingKey::from_bytes(&public.to_bytes()).unwrap(),
        public
    );
    assert_eq!(
        VerifyingKey::try_from(&public.to_bytes()[..]).unwrap(),
        public
    );
    assert!(VerifyingKey::try_from(&public.to_bytes()[..31]).is_err());
    // Windows line endings and surrounding blank lines are fine.
    let crlf = format!("\n{}\n", spki.replace('\n', "\r\n"));
    assert_eq!(VerifyingKey::from_public_key_pem(&crlf).unwrap(), public);
}

#[test]
fn key_id_is_the_public_key_prefix() {
    let public = key(5).verifying_key();
    let bytes = public.to_bytes();
    assert_eq!(
        public.key_id().to_bytes(),
        [bytes[0], bytes[1], bytes[2], bytes[3]]
    );
    assert_eq!(key(5).key_id(), public.key_id());
    let shown = public.key_id().to_string();
    assert_eq!(shown.parse::<KeyId>().unwrap(), public.key_id());
    assert!("xyz".parse::<KeyId>().is_err());
}

#[test]
fn wrong_key_material_is_refused_with_a_clear_error() {
    let public_pem = key(5).verifying_key().to_public_key_pem().unwrap();
    let private_pem = key(5).to_pkcs8_pem().unwrap();
    type Check<'a> = Box<dyn Fn() -> Result<(), Error> + 'a>;
    let cases: [(&str, Check<'_>); 5] = [
        (
            "public as private",
            Box::new(|| SigningKey::from_pkcs8_pem(&public_pem).map(drop)),
        ),
        (
            "private as public",
            Box::new(|| VerifyingKey::from_public_key_pem(&private_pem).map(drop)),
        ),
        (
            "garbage",
            Box::new(|| SigningKey::from_pkcs8_pem("hello").map(drop)),
        ),
        (
            "empty",
            Box::new(|| VerifyingKey::from_public_key_pem("").map(drop)),
        ),
        (
            "der junk",
            Box::new(|| SigningKey::from_pkcs8_der(&[0x30, 0x03, 1, 2, 3]).map(drop)),
        ),
    ];
    for (name, f) in cases {
        assert!(matches!(f(), Err(Error::InvalidKey { .. })), "{name}");
    }
}

#[test]
#[cfg(feature = "rand")]
fn generated_keys_differ_and_work() {
    let a = SigningKey::generate().unwrap();
    let b = SigningKey::generate().unwrap();
    assert_ne!(a.verifying_key(), b.verifying_key());
    let issuer = Issuer::new(a, CONTEXT).unwrap();
    let t = issuer.mint(Invitation::builder()).unwrap();
    assert!(issuer.verifier().verify(t.as_str()).is_ok());
}

fn openssl(args: &[&str], dir: &Path) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Keys made by the real `openssl genpkey -algorithm ed25519` mint and verify; admit's own
/// PEM files are readable by openssl; and openssl verifies admit's signatures over the
/// message that FORMAT.md specifies.
#[test]
fn openssl_interop() {
    if !require_tool("openssl") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", "key.pem"], d);
    openssl(&["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"], d);
    let key_pem = std::fs::read_to_string(d.join("key.pem")).unwrap();
    let pub_pem = std::fs::read_to_string(d.join("pub.pem")).unwrap();

    let signing = SigningKey::from_pkcs8_pem(&key_pem).unwrap();
    let public = VerifyingKey::from_public_key_pem(&pub_pem).unwrap();
    assert_eq!(signing.verifying_key(), public);

    let issuer = Issuer::new(signing.clone(), CONTEXT).unwrap();
    let token = issuer
        .mint_with_id(
            Invitation::builder().email("ada@example.com"),
            id(1),
            at(NOW),
        )
        .unwrap();
    let verifier = Verifier::new(public, CONTEXT).unwrap();
    assert!(verifier.verify_at(token.as_str(), at(NOW)).is_ok());

    // admit's PEM out is what openssl derives too.
    assert_eq!(public.to_public_key_pem().unwrap(), pub_pem);
    std::fs::write(
        d.join("ours.pem"),
        signing.to_pkcs8_pem().unwrap().as_bytes(),
    )
    .unwrap();
    let derived = openssl(&["pkey", "-in", "ours.pem", "-pubout"], d);
    assert_eq!(String::from_utf8(derived).unwrap(), pub_pem);

    // openssl checks admit's signature over DOMAIN ‖ len ‖ context ‖ body.
    let raw = crate::reference::decode(token.as_str());
    let (body, sig) = raw.split_at(raw.len() - 64);
    std::fs::write(d.join("msg"), crate::reference::message(CONTEXT, body)).unwrap();
    std::fs::write(d.join("sig"), sig).unwrap();
    let out = openssl(
        &[
            "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "msg",
            "-sigfile", "sig",
        ],
        d,
    );
    assert!(String::from_utf8_lossy(&out).contains("Signature Verified Successfully"));
    // And a signature made by openssl over a reference body verifies in admit.
    let payload = crate::reference::payload(&crate::reference::RefClaims {
        id: [4; 12],
        issued_at: NOW as u64,
        ttl: Some(60),
        ..Default::default()
    });
    let mut body = vec![1u8];
    body.extend_from_slice(&public.key_id().to_bytes());
    body.extend_from_slice(&payload);
    std::fs::write(d.join("msg2"), crate::reference::message(CONTEXT, &body)).unwrap();
    let sig = openssl(
        &[
            "pkeyutl", "-sign", "-inkey", "key.pem", "-rawin", "-in", "msg2",
        ],
        d,
    );
    let token = crate::reference::join(&body, &sig.try_into().unwrap());
    let got = verifier.verify_at(&token, at(NOW)).unwrap();
    assert_eq!(got.id(), admit::InvitationId::from_bytes([4; 12]));
}

pub use crate::support::redis_server::TempDir;

pub fn tempdir() -> TempDir {
    TempDir::new("test")
}
