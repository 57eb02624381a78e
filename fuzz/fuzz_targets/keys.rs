//! Key parsing (PEM, DER, raw): never panics, and every key that parses writes out and reads
//! back as the same key.

#![no_main]

use admit::{SigningKey, VerifyingKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(raw) = data.get(..32) {
        let raw: [u8; 32] = raw.try_into().unwrap();
        if let Ok(key) = VerifyingKey::from_bytes(&raw) {
            assert_eq!(key.to_bytes(), raw);
            let pem = key.to_public_key_pem().unwrap();
            assert_eq!(VerifyingKey::from_public_key_pem(&pem), Ok(key));
        }
    }
    let text = String::from_utf8_lossy(data);
    if let Ok(key) = SigningKey::from_pkcs8_pem(&text) {
        let again = SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem().unwrap()).unwrap();
        assert_eq!(*again.to_bytes(), *key.to_bytes());
        assert_eq!(again.verifying_key(), key.verifying_key());
    }
    if let Ok(key) = VerifyingKey::from_public_key_pem(&text) {
        let pem = key.to_public_key_pem().unwrap();
        assert_eq!(VerifyingKey::from_public_key_pem(&pem), Ok(key));
    }
    if let Ok(key) = SigningKey::from_pkcs8_der(data) {
        let again = SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem().unwrap()).unwrap();
        assert_eq!(again.verifying_key(), key.verifying_key());
    }
    if let Ok(key) = VerifyingKey::from_public_key_der(data) {
        assert_eq!(VerifyingKey::from_bytes(&key.to_bytes()), Ok(key));
    }
});
