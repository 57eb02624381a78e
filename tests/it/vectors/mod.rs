//! `tests/vectors.json`: the test vectors other implementations run.
//!
//! * `vectors_hold` reads the committed file and checks every vector through the public API:
//!   valid tokens verify to exactly the listed claims, minting them again from the listed inputs
//!   gives the same text, and each invalid token fails with the listed error.
//! * `vectors_are_up_to_date` regenerates the file from the fixed inputs below and compares it
//!   byte for byte, so the vectors, the spec and the code cannot drift apart. Run with
//!   `ADMIT_WRITE_VECTORS=1` to rewrite it after a deliberate change (never after release: the
//!   v1 format is permanent).

use admit::{Invitation, InvitationId, Issuer, KeySet, SigningKey, Verifier, VerifyOptions};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::reference::{RefClaims, payload, sign_body};

mod email;
mod extra;
mod invalid;
mod valid;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors.json");

const NOW: i64 = 1_800_000_000;
const LEEWAY: i64 = 60;
const CONTEXT: &str = "acme/invite";
/// RFC 8032 section 7.1, tests 1 and 2: the two keys in the key set.
const SEED_1: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const SEED_2: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
/// RFC 8032 test 3: a key the verifier does not have.
const SEED_UNKNOWN: &str = "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7";

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Vectors {
    format_version: u8,
    description: String,
    context: String,
    now: i64,
    leeway_seconds: i64,
    keys: Vec<KeyVector>,
    valid: Vec<ValidVector>,
    invalid: Vec<InvalidVector>,
    refused_keys: Vec<RefusedKey>,
    refused_key_sets: Vec<RefusedKeySet>,
    find_token: Vec<FindVector>,
}

/// A public key every implementation refuses when it is loaded (FORMAT.md §6).
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct RefusedKey {
    name: String,
    description: String,
    public_key_hex: String,
}

/// A key set every implementation refuses: two keys with one key ID (FORMAT.md §6).
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct RefusedKeySet {
    name: String,
    description: String,
    public_keys_hex: Vec<String>,
}

/// Text pasted by a person, and the token found in it (FORMAT.md §12): `token` when one is
/// found, else `error` (`missing_token` or `invalid_url`).
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct FindVector {
    name: String,
    text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct KeyVector {
    key_id: String,
    secret_key_hex: String,
    public_key_hex: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct ValidVector {
    name: String,
    description: String,
    token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expect_email: Option<String>,
    /// The Unicode version `expect_email` needs (FORMAT.md §5.2 step 3): a verifier whose
    /// tables are older refuses it as `invalid_email` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unicode: Option<String>,
    claims: ClaimsVector,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct ClaimsVector {
    id: String,
    issued_at: i64,
    /// As carried in the token; `expires_at` is `issued_at + ttl`, given for convenience.
    ttl: Option<i64>,
    expires_at: Option<i64>,
    email: Option<String>,
    max_uses: Option<u32>,
    inviter: Option<String>,
    data_hex: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct InvalidVector {
    name: String,
    description: String,
    token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expect_email: Option<String>,
    error: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn seed(s: &str) -> [u8; 32] {
    unhex(s).try_into().unwrap()
}

fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap()
}

fn sequential_id(first: u8) -> [u8; 12] {
    core::array::from_fn(|i| first.wrapping_add(i as u8))
}

fn issuer_for(seed_hex: &str, context: &str) -> Issuer {
    Issuer::new(SigningKey::from_bytes(&seed(seed_hex)), context).unwrap()
}

fn key_id_of(seed_hex: &str) -> [u8; 4] {
    SigningKey::from_bytes(&seed(seed_hex)).key_id().to_bytes()
}

/// version ‖ key ID ‖ payload, with the version byte and key ID given explicitly.
fn body_with(version: u8, key_id: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut body = vec![version];
    body.extend_from_slice(&key_id);
    body.extend_from_slice(payload);
    body
}

fn base_claims() -> RefClaims {
    RefClaims {
        id: sequential_id(0xa0),
        issued_at: (NOW - 600) as u64,
        ttl: Some(3600),
        ..RefClaims::default()
    }
}

/// A correctly signed token around arbitrary payload bytes, so only the payload rule fails.
fn signed_payload(payload: &[u8]) -> String {
    sign_body(
        &seed(SEED_1),
        CONTEXT,
        &body_with(1, key_id_of(SEED_1), payload),
    )
}

fn signed_claims(claims: &RefClaims) -> String {
    signed_payload(&payload(claims))
}

fn invalid(name: &str, description: &str, token: String, error: &str) -> InvalidVector {
    InvalidVector {
        name: name.into(),
        description: description.into(),
        token,
        expect_email: None,
        error: error.into(),
    }
}

fn generate() -> Vectors {
    let valid = valid::generate();
    let mut inv = invalid::generate(&valid);
    inv.extend(email::generate());
    let keys = [SEED_1, SEED_2]
        .iter()
        .map(|s| {
            let k = SigningKey::from_bytes(&seed(s));
            KeyVector {
                key_id: k.key_id().to_string(),
                secret_key_hex: s.to_string(),
                public_key_hex: hex(&k.verifying_key().to_bytes()),
            }
        })
        .collect();
    Vectors {
        format_version: 1,
        description: "admit invitation token test vectors; see FORMAT.md §11. Verify each token \
                      with the key set `keys`, the context, the leeway, and `now` as the current \
                      time (and `expect_email`, when present, as the presented email). Refuse \
                      every key in `refused_keys` and every set in `refused_key_sets`; find the \
                      token of each `find_token` text as FORMAT.md §12 says."
            .into(),
        context: CONTEXT.into(),
        now: NOW,
        leeway_seconds: LEEWAY,
        keys,
        refused_keys: extra::refused_keys(),
        refused_key_sets: extra::refused_key_sets(),
        find_token: extra::find_token(&valid),
        valid,
        invalid: inv,
    }
}

fn render(v: &Vectors) -> String {
    let mut text = serde_json::to_string_pretty(v).unwrap();
    text.push('\n');
    text
}

#[test]
fn vectors_are_up_to_date() {
    let fresh = render(&generate());
    if std::env::var_os("ADMIT_WRITE_VECTORS").is_some() {
        std::fs::write(PATH, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(PATH).expect("tests/vectors.json exists");
    assert!(
        committed == fresh,
        "tests/vectors.json differs from what the code generates; if the change is deliberate, \
         rerun with ADMIT_WRITE_VECTORS=1"
    );
}

#[test]
fn vectors_hold() {
    let text = std::fs::read_to_string(PATH).expect("tests/vectors.json exists");
    let v: Vectors = serde_json::from_str(&text).unwrap();
    assert_eq!(v.format_version, admit::FORMAT_VERSION);
    assert!(v.valid.len() >= 15 && v.invalid.len() >= 80);

    let mut keys = KeySet::new();
    let mut seeds = Vec::new();
    for k in &v.keys {
        let signing = SigningKey::from_bytes(&seed(&k.secret_key_hex));
        assert_eq!(hex(&signing.verifying_key().to_bytes()), k.public_key_hex);
        assert_eq!(signing.key_id().to_string(), k.key_id);
        let public =
            admit::VerifyingKey::from_bytes(&unhex(&k.public_key_hex).try_into().unwrap()).unwrap();
        keys.insert(public).unwrap();
        seeds.push((k.key_id.clone(), signing));
    }
    let verifier = Verifier::new(keys, &v.context)
        .unwrap()
        .leeway(Duration::seconds(v.leeway_seconds));
    let now = at(v.now);

    for case in &v.valid {
        let mut options = VerifyOptions::new().at(now);
        if let Some(e) = &case.expect_email {
            options = options.email(e);
        }
        if let Some(needed) = &case.unicode {
            let parts: Vec<u8> = needed.split('.').map(|p| p.parse().unwrap()).collect();
            let (major, minor, _) = admit::UNICODE_VERSION;
            if [major, minor] < [parts[0], parts[1]] {
                let refused = verifier.verify_with(&case.token, options).unwrap_err();
                assert_eq!(refused.code(), "invalid_email", "{}", case.name);
                continue;
            }
        }
        let got = verifier
            .verify_with(&case.token, options)
            .unwrap_or_else(|e| panic!("valid vector {} rejected: {e}", case.name));
        let c = &case.claims;
        assert_eq!(got.id().to_string(), c.id, "{}", case.name);
        assert_eq!(
            got.issued_at().unix_timestamp(),
            c.issued_at,
            "{}",
            case.name
        );
        assert_eq!(
            got.expires_at().map(|t| t.unix_timestamp()),
            c.expires_at,
            "{}",
            case.name
        );
        assert_eq!(
            c.ttl.map(|ttl| c.issued_at + ttl),
            c.expires_at,
            "{}: expires_at = issued_at + ttl",
            case.name
        );
        assert_eq!(got.email(), c.email.as_deref(), "{}", case.name);
        assert_eq!(got.max_uses(), c.max_uses, "{}", case.name);
        assert_eq!(got.inviter(), c.inviter.as_deref(), "{}", case.name);
        assert_eq!(got.data_bytes().map(hex), c.data_hex, "{}", case.name);

        // Minting from the listed inputs reproduces the exact text.
        let signing = &seeds
            .iter()
            .find(|(id, _)| *id == got.key_id().to_string())
            .unwrap()
            .1;
        let mut b = Invitation::builder();
        b = match c.expires_at {
            Some(e) => b.expires_at(at(e)),
            None => b.never_expires(),
        };
        if let Some(e) = &c.email {
            b = b.email(e.clone());
        }
        if let Some(m) = c.max_uses {
            b = b.max_uses(m);
        }
        if let Some(i) = &c.inviter {
            b = b.inviter(i.clone());
        }
        if let Some(d) = &c.data_hex {
            b = b.data_bytes(unhex(d));
        }
        let id: InvitationId = c.id.parse().unwrap();
        let again = Issuer::new(signing.clone(), &v.context)
            .unwrap()
            .mint_with_id(b, id, at(c.issued_at))
            .unwrap();
        assert_eq!(again.as_str(), case.token, "re-minting {}", case.name);
    }

    let mut names = std::collections::HashSet::new();
    for case in &v.invalid {
        assert!(
            names.insert(&case.name),
            "duplicate vector name {}",
            case.name
        );
        let mut options = VerifyOptions::new().at(now);
        if let Some(e) = &case.expect_email {
            options = options.email(e);
        }
        let err = verifier
            .verify_with(&case.token, options)
            .expect_err(&format!("invalid vector {} accepted", case.name));
        assert_eq!(err.code(), case.error, "{}: {err}", case.name);
    }
    // The batch path agrees: every token without a presented email, in one batch.
    let mut batch_cases: Vec<(&str, &str, &str)> = v
        .valid
        .iter()
        .filter(|c| c.expect_email.is_none())
        .map(|c| (c.name.as_str(), c.token.as_str(), "ok"))
        .collect();
    batch_cases.extend(
        v.invalid
            .iter()
            .filter(|c| c.expect_email.is_none())
            .map(|c| (c.name.as_str(), c.token.as_str(), c.error.as_str())),
    );
    let tokens: Vec<&str> = batch_cases.iter().map(|c| c.1).collect();
    let results = verifier.verify_batch_at(&tokens, now);
    for ((name, _, want), got) in batch_cases.iter().zip(&results) {
        let got = got.as_ref().map_or_else(|e| e.code(), |_| "ok");
        assert_eq!(got, *want, "batch: {name}");
    }
    // Every error class of the format is covered.
    for code in [
        "malformed",
        "unsupported_version",
        "unknown_key",
        "bad_signature",
        "expired",
        "not_yet_valid",
        "email_mismatch",
        "invalid_email",
        "too_large",
        "invalid_claim",
    ] {
        assert!(
            v.invalid.iter().any(|c| c.error == code),
            "no vector for {code}"
        );
    }

    for key in &v.refused_keys {
        let bytes: [u8; 32] = unhex(&key.public_key_hex).try_into().unwrap();
        assert!(
            matches!(
                admit::VerifyingKey::from_bytes(&bytes),
                Err(admit::Error::InvalidKey { .. })
            ),
            "refused key {} accepted",
            key.name
        );
    }
    for set in &v.refused_key_sets {
        let keys: Vec<admit::VerifyingKey> = set
            .public_keys_hex
            .iter()
            .map(|k| admit::VerifyingKey::from_bytes(&unhex(k).try_into().unwrap()).unwrap())
            .collect();
        assert!(
            matches!(
                KeySet::from_keys(keys),
                Err(admit::Error::DuplicateKeyId { .. })
            ),
            "key set {} accepted",
            set.name
        );
    }
    for case in &v.find_token {
        let got = admit::find_token(&case.text);
        match (&case.token, &case.error) {
            (Some(token), None) => assert_eq!(got.as_deref(), Ok(token.as_str()), "{}", case.name),
            (None, Some(error)) => {
                assert_eq!(got.unwrap_err().code(), error, "{}", case.name);
            }
            _ => panic!("{}: exactly one of token and error", case.name),
        }
    }
    // The app data of all_claims is the documented struct.
    let all = v.valid.iter().find(|c| c.name == "all_claims").unwrap();
    let data = unhex(all.claims.data_hex.as_ref().unwrap());
    let team: valid::TeamInvite = postcard::from_bytes(&data).unwrap();
    assert_eq!(
        team,
        valid::TeamInvite {
            team_id: 42,
            role: "editor".into()
        }
    );
}
