// FORMAT.md §6, "Keys": the checks a public key must pass before it is trusted, and the key set.

import { decodeBase64url } from "./base64url.js";
import { AdmitError, fail } from "./errors.js";
import { hex } from "./decode.js";

// Edwards25519 with BigInt: only for checking keys once, when they are configured.
const P = 2n ** 255n - 19n;
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752n;

const mod = (a: bigint) => ((a % P) + P) % P;
function pow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

/** Extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z, curve −x² + y² = 1 + d·x²y². */
type Point = readonly [bigint, bigint, bigint, bigint];
const IDENTITY: Point = [0n, 1n, 1n, 0n];

function add(p: Point, q: Point): Point {
  const [x1, y1, z1, t1] = p;
  const [x2, y2, z2, t2] = q;
  const a = mod((y1 - x1) * (y2 - x2));
  const b = mod((y1 + x1) * (y2 + x2));
  const c = mod(t1 * 2n * D * t2);
  const d = mod(z1 * 2n * z2);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

function multiply(p: Point, k: bigint): Point {
  let result = IDENTITY;
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i--) {
    result = add(result, result);
    if ((k >> i) & 1n) result = add(result, p);
  }
  return result;
}

const isIdentity = ([x, y, z]: Point) => mod(x) === 0n && mod(y - z) === 0n;

/** Why 32 bytes are not a usable public key, or `null` if they are (FORMAT.md §6, steps 1–4). */
export function publicKeyProblem(key: Uint8Array): string | null {
  if (key.length !== 32) return "a public key is 32 bytes";
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(key[i]!);
  const sign = y >> 255n;
  y &= (1n << 255n) - 1n;
  if (y >= P) return "non-canonical public key encoding";
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  // x = u·v³·(u·v⁷)^((p−5)/8), then fix up by √−1 (p ≡ 5 mod 8).
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  const vx2 = mod(v * x * x);
  if (vx2 === mod(-u)) x = mod(x * SQRT_M1);
  else if (vx2 !== u) return "not a point on the curve";
  if (x === 0n && sign === 1n) return "non-canonical public key encoding";
  if ((x & 1n) !== sign) x = P - x;
  const a: Point = [x, y, 1n, mod(x * y)];
  if (isIdentity(multiply(a, 8n))) return "weak public key (small order)";
  if (!isIdentity(multiply(a, L))) return "public key has a torsion component";
  return null;
}

const SPKI_PREFIX = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/**
 * The 32 bytes of a public key given as bytes, 64 hex digits, or an SPKI PEM block
 * (`-----BEGIN PUBLIC KEY-----`, as `admit pubkey` and `openssl pkey -pubout` write).
 */
export function publicKeyBytes(key: Uint8Array | string): Uint8Array {
  if (typeof key !== "string") return key;
  const text = key.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) {
    return Uint8Array.from(text.match(/../g)!, (h) => parseInt(h, 16));
  }
  const pem = /^-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----$/.exec(text);
  if (pem) {
    const b64 = pem[1]!.replace(/\s+/g, "").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const der = decodeBase64url(b64);
    if (der && der.length === 44 && SPKI_PREFIX.every((b, i) => der[i] === b)) return der.subarray(12);
  }
  return fail("invalid_key", "expected 32 bytes, 64 hex digits, or an SPKI PEM Ed25519 public key");
}

interface Entry {
  keyId: string;
  raw: Uint8Array;
  key: CryptoKey;
}

/**
 * Trusted public keys, checked and imported once. Build one at start-up with
 * `await KeySet.from([...])` and pass it to every `verify` call.
 */
export class KeySet {
  private constructor(private readonly entries: ReadonlyArray<Entry>) {}

  /**
   * Checks every key (FORMAT.md §6) and imports it into WebCrypto.
   *
   * Throws `invalid_key` for a key that is not canonical, not on the curve, weak or has a
   * torsion component; `duplicate_key_id` for two different keys with the same first 4 bytes;
   * `unsupported_runtime` if WebCrypto has no Ed25519.
   */
  static async from(keys: ReadonlyArray<Uint8Array | string>): Promise<KeySet> {
    const entries: Entry[] = [];
    for (const input of keys) {
      const raw = publicKeyBytes(input);
      const problem = publicKeyProblem(raw);
      if (problem !== null) fail("invalid_key", problem);
      const keyId = hex(raw.subarray(0, 4));
      const same = entries.find((e) => e.keyId === keyId);
      if (same) {
        if (hex(same.raw) === hex(raw)) continue;
        fail("duplicate_key_id", `the key set already holds a different key with key ID ${keyId}`);
      }
      entries.push({ keyId, raw: raw.slice(), key: await importKey(raw) });
    }
    return new KeySet(entries);
  }

  /** The key IDs (8 hex digits each), in the order given. */
  get keyIds(): string[] {
    return this.entries.map((e) => e.keyId);
  }

  /** @internal */
  entry(keyId: string): Entry | undefined {
    return this.entries.find((e) => e.keyId === keyId);
  }
}

async function importKey(raw: Uint8Array): Promise<CryptoKey> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) fail("unsupported_runtime", "no WebCrypto (globalThis.crypto.subtle)");
  try {
    return await subtle.importKey("raw", raw.slice(), { name: "Ed25519" }, false, ["verify"]);
  } catch (e) {
    if (e instanceof AdmitError) throw e;
    return fail("unsupported_runtime", "this runtime's WebCrypto does not support Ed25519");
  }
}
