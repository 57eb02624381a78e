// FORMAT.md §6–§8: signature, time window, presented email.

import { type Claims, decodeToken } from "./decode.js";
import { fail } from "./errors.js";
import { KeySet } from "./keys.js";
import type { Revocations } from "./revocations.js";
import { normalizeEmail } from "./text.js";

/** A verified invitation: its claims, and the key ID of the key that signed it. */
export interface Invitation extends Claims {
  keyId: string;
}

export interface VerifyOptions {
  /** The time to check at: a `Date` or Unix seconds. Default: now. */
  now?: Date | number;
  /** Clock skew allowed on both ends of the time window, in seconds. Default: 60. */
  leewaySeconds?: number;
  /**
   * The address the person presents (FORMAT.md §5.2): it must be a valid address
   * (`invalid_email`), and an invitation bound to an address must be bound to this one
   * (`email_mismatch`).
   */
  email?: string;
  /**
   * Revocation lists (FORMAT.md, "Revocation list"): a verified token that the held list
   * revokes fails with `revoked`, one it lists as used up with `used_up`, and every token fails
   * with `revocation_list_stale` while the list is overdue or none is loaded.
   */
  revocations?: Revocations;
}

const DOMAIN = new TextEncoder().encode("admit.invitation.v1\0");
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** The eight canonical small-order encodings of R (FORMAT.md §6). */
const SMALL_ORDER = new Set([
  "0100000000000000000000000000000000000000000000000000000000000000",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0000000000000000000000000000000000000000000000000000000000000080",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
]);

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Strict Ed25519 (FORMAT.md §6): `S < L`, `R` not of small order, then WebCrypto over
 * `prefix || body`. @internal
 */
export async function signatureHolds(
  key: CryptoKey,
  prefix: Uint8Array,
  body: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const r = signature.subarray(0, 32);
  const s = signature.subarray(32);
  if (signature.length !== 64 || !lessThanL(s) || SMALL_ORDER.has(hex(r))) return false;
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);
  try {
    return await globalThis.crypto.subtle.verify({ name: "Ed25519" }, key, signature.slice(), message);
  } catch {
    return false;
  }
}

/** The context prefix of every signed message: domain tag, length, context. @internal */
export function contextPrefix(context: string, domain: Uint8Array = DOMAIN): Uint8Array {
  if (context.length < 1 || context.length > 255 || !/^[\x21-\x7e]+$/.test(context)) {
    fail("invalid_context", "context must be 1 to 255 printable ASCII characters without spaces");
  }
  const out = new Uint8Array(domain.length + 1 + context.length);
  out.set(domain);
  out[domain.length] = context.length;
  for (let i = 0; i < context.length; i++) out[domain.length + 1 + i] = context.charCodeAt(i);
  return out;
}

function lessThanL(s: Uint8Array): boolean {
  let value = 0n;
  for (let i = 31; i >= 0; i--) value = (value << 8n) | BigInt(s[i]!);
  return value < L;
}

/**
 * Verifies token text with public keys alone, as FORMAT.md specifies: the same claims and the
 * same error classes as the Rust crate's `Verifier::verify_with`.
 *
 * `keys` is a `KeySet` (build it once) or a list of keys (bytes, hex or SPKI PEM), checked and
 * imported on every call. Throws an `AdmitError` whose `code` names the first rule that failed.
 */
export async function verify(
  token: string,
  keys: KeySet | ReadonlyArray<Uint8Array | string>,
  context: string,
  options: VerifyOptions = {},
): Promise<Invitation> {
  const prefix = contextPrefix(context);
  const keySet = keys instanceof KeySet ? keys : await KeySet.from(keys);
  const { keyId, claims, body, signature } = decodeToken(token);

  const entry = keySet.entry(keyId);
  if (!entry) fail("unknown_key", `token was signed by key ${keyId}, which is not in the key set`);
  if (!(await signatureHolds(entry.key, prefix, body, signature))) fail("bad_signature", "bad signature");

  const now = options.now === undefined
    ? Math.floor(Date.now() / 1000)
    : options.now instanceof Date
      ? Math.floor(options.now.getTime() / 1000)
      : Math.floor(options.now);
  const leeway = Math.trunc(options.leewaySeconds ?? 60);
  if (claims.issuedAt > now + leeway) fail("not_yet_valid", "invitation is issued in the future");
  if (claims.expiresAt !== null && now >= claims.expiresAt + leeway) {
    fail("expired", "invitation expired");
  }
  if (options.email !== undefined) {
    const given = normalizeEmail(options.email);
    if (given === null) fail("invalid_email", "the presented email is not a valid address");
    if (claims.email !== null && claims.email !== given) {
      fail("email_mismatch", "invitation is bound to a different email address");
    }
  }
  if (options.revocations !== undefined) options.revocations.check(claims, now);
  return { ...claims, keyId };
}
