// FORMAT.md §2–§4: token text to body, key ID, signature and claims. No cryptography here.

import { decodeBase64url } from "./base64url.js";
import { fail } from "./errors.js";
import { isValidEmail, isValidInviter } from "./text.js";

/** What an invitation says. Times are Unix seconds. */
export interface Claims {
  /** The invitation ID: 24 lowercase hex digits. */
  id: string;
  issuedAt: number;
  /** Seconds of validity as the token carries it; `null` if it never expires. */
  ttl: number | null;
  /** `issuedAt + ttl`: the first second the invitation is no longer valid. */
  expiresAt: number | null;
  email: string | null;
  maxUses: number | null;
  inviter: string | null;
  /** Application data (the Rust crate writes postcard; here, opaque bytes). */
  data: Uint8Array | null;
}

export interface Decoded {
  /** The first 4 bytes of the signer's public key, as 8 hex digits. */
  keyId: string;
  claims: Claims;
  /** Version, key ID and payload: the signed bytes. */
  body: Uint8Array;
  signature: Uint8Array;
}

export const MAX_TOKEN_LEN = 1024;
export const MAX_UNIX = 253402300799;
const MIN_TOKEN_BYTES = 5 + 1 + 12 + 1 + 64;
const KNOWN_FLAGS = 0x1f;

export const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// Strict UTF-8: invalid sequences throw; a leading U+FEFF is kept (and then refused by §5).
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

class Reader {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get left(): number {
    return this.bytes.length - this.pos;
  }

  take(n: number): Uint8Array {
    if (n > this.left) fail("malformed", "truncated claims");
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  byte(): number {
    return this.take(1)[0]!;
  }

  /** LEB128: at most `maxBytes` bytes, the last at most `lastMax`, no redundant last group. */
  varint(maxBytes: number, lastMax: number): bigint {
    let value = 0n;
    for (let i = 0; i < maxBytes; i++) {
      const b = this.byte();
      if (i === maxBytes - 1 && b > lastMax) fail("malformed", "an integer is too large for its type");
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) fail("malformed", "an integer is not minimally encoded");
        return value;
      }
    }
    return fail("malformed", "an integer is too large for its type");
  }

  u64(): bigint {
    return this.varint(10, 0x01);
  }

  u32(): number {
    return Number(this.varint(5, 0x0f));
  }

  bytesField(): Uint8Array {
    const len = this.u64();
    if (len > BigInt(this.left)) fail("malformed", "a length runs past the end of the claims");
    return this.take(Number(len));
  }

  string(): string {
    const raw = this.bytesField();
    try {
      return utf8.decode(raw);
    } catch {
      return fail("malformed", "a string is not valid UTF-8");
    }
  }
}

/** Bytes of UTF-8 `text` would take, without encoding it (lone surrogates count 3, as U+FFFD). */
function utf8Size(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** Decodes and checks everything but the signature and the time window (FORMAT.md §8, 1–5). */
export function decodeToken(text: string): Decoded {
  if (text.length > MAX_TOKEN_LEN || utf8Size(text) > MAX_TOKEN_LEN) {
    fail("too_large", `token text is over ${MAX_TOKEN_LEN} bytes`);
  }
  if (text.length === 0) fail("malformed", "empty token");
  const bytes = decodeBase64url(text);
  if (bytes === null) fail("malformed", "not canonical unpadded base64url");
  if (bytes.length === 0) fail("malformed", "empty token");
  if (bytes[0] !== 1) fail("unsupported_version", `unsupported token version ${bytes[0]}`);
  if (bytes.length < MIN_TOKEN_BYTES) fail("malformed", "token is too short");
  const body = bytes.subarray(0, bytes.length - 64);
  const signature = bytes.subarray(bytes.length - 64);

  // Structure first, for the whole payload (→ malformed) …
  const r = new Reader(body.subarray(5));
  const flags = r.byte();
  if ((flags & ~KNOWN_FLAGS) !== 0) fail("malformed", "unknown flag bits");
  const id = hex(r.take(12));
  const issued = r.u64();
  const ttl = flags & 0x01 ? r.u64() : null;
  const email = flags & 0x02 ? r.string() : null;
  const maxUses = flags & 0x04 ? r.u32() : null;
  const inviter = flags & 0x08 ? r.string() : null;
  const data = flags & 0x10 ? r.bytesField().slice() : null;
  if (r.left !== 0) fail("malformed", "trailing bytes after the claims");

  // … then the claim rules (→ invalid_claim).
  const max = BigInt(MAX_UNIX);
  if (issued > max) fail("invalid_claim", "issue time must be no later than 9999-12-31");
  if (ttl !== null && ttl === 0n) fail("invalid_claim", "time to live must be at least one second");
  if (ttl !== null && issued + ttl > max) {
    fail("invalid_claim", "expiry must be no later than 9999-12-31");
  }
  if (email !== null && !isValidEmail(email)) fail("invalid_claim", "email is not a valid address");
  if (maxUses !== null && maxUses < 1) fail("invalid_claim", "max uses must be at least 1");
  if (inviter !== null && !isValidInviter(inviter)) fail("invalid_claim", "inviter breaks a rule");
  if (data !== null && data.length > 256) fail("invalid_claim", "app data must be at most 256 bytes");

  const issuedAt = Number(issued);
  return {
    keyId: hex(body.subarray(1, 5)),
    claims: {
      id,
      issuedAt,
      ttl: ttl === null ? null : Number(ttl),
      expiresAt: ttl === null ? null : issuedAt + Number(ttl),
      email,
      maxUses,
      inviter,
      data,
    },
    body,
    signature,
  };
}

/**
 * What a token claims, decoded **without checking its signature or time window**: for support
 * tools ("what does this pasted token say?"), never for access decisions. Throws the classes
 * of FORMAT.md §8 steps 1–5.
 */
export function inspectUnverified(token: string): { keyId: string; claims: Claims } {
  const { keyId, claims } = decodeToken(token);
  return { keyId, claims };
}
