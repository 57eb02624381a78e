//! Bytes ↔ claims ↔ text: the version-1 wire format (specified byte by byte in `FORMAT.md`).
//!
//! ```text
//! token  = base64url-nopad( body ‖ signature )
//! body   = version (0x01) ‖ key_id (4) ‖ payload
//! payload = flags (1) ‖ id (12) ‖ issued_at (varint)
//!           [‖ ttl (varint)] [‖ email (str)] [‖ max_uses (varint)] [‖ inviter (str)] [‖ data (bytes)]
//! ```
//!
//! Integers and strings use postcard's encoding (LEB128 varints, length-prefixed UTF-8). A token
//! has exactly one accepted spelling: the base64 must be canonical, and the decoded payload must
//! re-encode to the very same bytes (no overlong varints, no trailing bytes, no unknown flags).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::error::{Claim, Error};
use crate::invitation::{self, Claims, ID_LEN, InvitationId, MAX_UNIX};
use crate::key::{KEY_ID_LEN, KeyId};

/// The format version this library reads and writes (the first byte of every token).
pub const FORMAT_VERSION: u8 = 1;

/// The longest token text accepted, in bytes of UTF-8. Longer input is rejected with
/// [`Error::TooLarge`] before any decoding. The largest valid token (every optional claim at its
/// maximum size) is 904 characters.
pub const MAX_TOKEN_LEN: usize = 1024;

/// Length of the Ed25519 signature that ends every token.
pub(crate) const SIGNATURE_LEN: usize = 64;
pub(crate) const HEADER_LEN: usize = 1 + KEY_ID_LEN;
/// Room for the decoded bytes of the longest accepted text.
pub(crate) const MAX_TOKEN_BYTES: usize = MAX_TOKEN_LEN / 4 * 3;
/// The shortest possible token: header, flags, ID, a one-byte issue time, signature.
const MIN_TOKEN_BYTES: usize = HEADER_LEN + 1 + ID_LEN + 1 + SIGNATURE_LEN;

const FLAG_EXPIRES: u8 = 0x01;
const FLAG_EMAIL: u8 = 0x02;
const FLAG_MAX_USES: u8 = 0x04;
const FLAG_INVITER: u8 = 0x08;
const FLAG_DATA: u8 = 0x10;
const KNOWN_FLAGS: u8 = FLAG_EXPIRES | FLAG_EMAIL | FLAG_MAX_USES | FLAG_INVITER | FLAG_DATA;

/// A decoded, structurally valid token whose signature has not been checked.
pub(crate) struct Decoded<'a> {
    pub(crate) key_id: KeyId,
    pub(crate) claims: Claims,
    /// The signed bytes: version, key ID and payload.
    pub(crate) body: &'a [u8],
    pub(crate) signature: [u8; SIGNATURE_LEN],
}

/// Decodes token text into `buf`. Checks length, base64, version, structure, claim rules and
/// canonical form — everything but the signature and the time window.
pub(crate) fn decode<'a>(
    text: &str,
    buf: &'a mut [u8; MAX_TOKEN_BYTES],
) -> Result<Decoded<'a>, Error> {
    if text.len() > MAX_TOKEN_LEN {
        return Err(Error::TooLarge {
            len: text.len(),
            max: MAX_TOKEN_LEN,
        });
    }
    if text.is_empty() {
        return Err(Error::malformed("empty token"));
    }
    let len = URL_SAFE_NO_PAD
        .decode_slice(text, &mut buf[..])
        .map_err(|_| Error::malformed("not canonical unpadded base64url"))?;
    let bytes: &'a [u8] = &buf[..len];
    match bytes.first() {
        Some(&FORMAT_VERSION) => {}
        Some(&version) => return Err(Error::UnsupportedVersion { version }),
        None => return Err(Error::malformed("empty token")),
    }
    if bytes.len() < MIN_TOKEN_BYTES {
        return Err(Error::malformed("token is too short"));
    }
    let (body, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
    let signature: [u8; SIGNATURE_LEN] = signature
        .try_into()
        .map_err(|_| Error::malformed("token is too short"))?;
    let key_id = KeyId::from_bytes([body[1], body[2], body[3], body[4]]);
    let claims = decode_payload(&body[HEADER_LEN..])?;
    Ok(Decoded {
        key_id,
        claims,
        body,
        signature,
    })
}

/// The fields as read, before any claim rule: FORMAT.md §8 checks structure (`malformed`) for
/// the whole payload before any claim (`invalid_claim`).
struct RawClaims<'a> {
    id: [u8; ID_LEN],
    issued: u64,
    ttl: Option<u64>,
    email: Option<&'a str>,
    max_uses: Option<u32>,
    inviter: Option<&'a str>,
    data: Option<&'a [u8]>,
}

fn decode_payload(payload: &[u8]) -> Result<Claims, Error> {
    let raw = read_payload(payload)?;
    let issued = i64::try_from(raw.issued)
        .ok()
        .filter(|s| *s <= MAX_UNIX)
        .ok_or(Error::claim(
            Claim::IssuedAt,
            "issue time must be no later than 9999-12-31",
        ))?;
    let expires = match raw.ttl {
        Some(0) => {
            return Err(Error::claim(
                Claim::ExpiresAt,
                "time to live must be at least one second",
            ));
        }
        Some(ttl) => Some(
            i64::try_from(ttl)
                .ok()
                .and_then(|ttl| issued.checked_add(ttl))
                .filter(|s| *s <= MAX_UNIX)
                .ok_or(Error::claim(
                    Claim::ExpiresAt,
                    "expiry must be no later than 9999-12-31",
                ))?,
        ),
        None => None,
    };
    let claims = Claims::new(
        InvitationId::from_bytes(raw.id),
        issued,
        expires,
        raw.email,
        raw.max_uses,
        raw.inviter,
        raw.data.map(<[u8]>::to_vec),
    );
    invitation::validate(&claims)?;
    Ok(claims)
}

/// FORMAT.md §4: the fields in order, each integer within its type and minimally encoded, and
/// nothing after the last field.
fn read_payload(payload: &[u8]) -> Result<RawClaims<'_>, Error> {
    let mut r = Reader { rest: payload };
    let flags = r.byte()?;
    if flags & !KNOWN_FLAGS != 0 {
        return Err(Error::malformed("unknown flag bits"));
    }
    let mut id = [0u8; ID_LEN];
    id.copy_from_slice(r.bytes(ID_LEN)?);
    let issued = r.u64()?;
    let ttl = (flags & FLAG_EXPIRES != 0).then(|| r.u64()).transpose()?;
    let email = (flags & FLAG_EMAIL != 0).then(|| r.string()).transpose()?;
    let max_uses = (flags & FLAG_MAX_USES != 0).then(|| r.u32()).transpose()?;
    let inviter = (flags & FLAG_INVITER != 0)
        .then(|| r.string())
        .transpose()?;
    let data = (flags & FLAG_DATA != 0)
        .then(|| r.length_prefixed())
        .transpose()?;
    if !r.rest.is_empty() {
        return Err(Error::malformed("trailing bytes after the claims"));
    }
    Ok(RawClaims {
        id,
        issued,
        ttl,
        email,
        max_uses,
        inviter,
        data,
    })
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.rest.len() {
            return Err(Error::malformed("truncated claims"));
        }
        let (front, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(front)
    }

    fn byte(&mut self) -> Result<u8, Error> {
        self.bytes(1).map(|b| b[0])
    }

    /// An unsigned LEB128 varint of at most `max_bytes` bytes, the last of them at most
    /// `last_max`, with no redundant final group.
    fn varint(&mut self, max_bytes: u32, last_max: u8) -> Result<u64, Error> {
        let mut value = 0u64;
        for i in 0..max_bytes {
            let b = self.byte()?;
            if i == max_bytes - 1 && b > last_max {
                return Err(Error::malformed("an integer is too large for its type"));
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(Error::malformed("an integer is not minimally encoded"));
                }
                return Ok(value);
            }
        }
        Err(Error::malformed("an integer is too large for its type"))
    }

    fn u64(&mut self) -> Result<u64, Error> {
        self.varint(10, 0x01)
    }

    fn u32(&mut self) -> Result<u32, Error> {
        let value = self.varint(5, 0x0f)?;
        u32::try_from(value).map_err(|_| Error::malformed("an integer is too large for its type"))
    }

    fn length_prefixed(&mut self) -> Result<&'a [u8], Error> {
        let len = self.u64()?;
        match usize::try_from(len) {
            Ok(len) if len <= self.rest.len() => self.bytes(len),
            _ => Err(Error::malformed("a length runs past the end of the claims")),
        }
    }

    fn string(&mut self) -> Result<&'a str, Error> {
        core::str::from_utf8(self.length_prefixed()?)
            .map_err(|_| Error::malformed("a string is not valid UTF-8"))
    }
}

/// Writes the body (version, key ID, payload) into `out`; returns its length. Room for the
/// signature is left after it.
pub(crate) fn encode_body(
    key_id: KeyId,
    claims: &Claims,
    out: &mut [u8; MAX_TOKEN_BYTES],
) -> Result<usize, Error> {
    out[0] = FORMAT_VERSION;
    out[1..HEADER_LEN].copy_from_slice(&key_id.to_bytes());
    let len = encode_payload(
        claims,
        &mut out[HEADER_LEN..MAX_TOKEN_BYTES - SIGNATURE_LEN],
    )?;
    Ok(HEADER_LEN + len)
}

/// Writes the payload of `claims` into `out`; returns its length.
fn encode_payload(claims: &Claims, out: &mut [u8]) -> Result<usize, Error> {
    let mut flags = 0;
    if claims.expires_s.is_some() {
        flags |= FLAG_EXPIRES;
    }
    if claims.email().is_some() {
        flags |= FLAG_EMAIL;
    }
    if claims.max_uses.is_some() {
        flags |= FLAG_MAX_USES;
    }
    if claims.inviter().is_some() {
        flags |= FLAG_INVITER;
    }
    if claims.data.is_some() {
        flags |= FLAG_DATA;
    }
    let issued = claims.issued_s;
    let mut w = Writer { out, pos: 0 };
    w.put(&flags)?;
    w.put(claims.id.as_bytes())?;
    w.put(
        &u64::try_from(issued)
            .map_err(|_| Error::claim(Claim::IssuedAt, "issue time must be after 1970"))?,
    )?;
    if let Some(expires) = claims.expires_s {
        let ttl = expires - issued;
        w.put(
            &u64::try_from(ttl).map_err(|_| {
                Error::claim(Claim::ExpiresAt, "expiry must be after the issue time")
            })?,
        )?;
    }
    if let Some(email) = claims.email() {
        w.put(email)?;
    }
    if let Some(max_uses) = claims.max_uses {
        w.put(&max_uses)?;
    }
    if let Some(inviter) = claims.inviter() {
        w.put(inviter)?;
    }
    if let Some(data) = &claims.data {
        w.put(data.as_slice())?;
    }
    Ok(w.pos)
}

struct Writer<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let written = postcard::to_slice(value, &mut self.out[self.pos..])
            .map_err(|_| Error::TooLarge {
                len: MAX_TOKEN_BYTES + 1,
                max: MAX_TOKEN_BYTES,
            })?
            .len();
        self.pos += written;
        Ok(())
    }
}

/// The text of a token: `buf` holds the body in `..body_len`; the signature is appended there
/// and the whole is written as base64url without padding.
pub(crate) fn encode_text(
    buf: &mut [u8; MAX_TOKEN_BYTES],
    body_len: usize,
    signature: &[u8; SIGNATURE_LEN],
) -> Result<String, Error> {
    let end = body_len + SIGNATURE_LEN;
    let slot = buf.get_mut(body_len..end).ok_or(Error::TooLarge {
        len: end,
        max: MAX_TOKEN_BYTES,
    })?;
    slot.copy_from_slice(signature);
    Ok(URL_SAFE_NO_PAD.encode(&buf[..end]))
}
