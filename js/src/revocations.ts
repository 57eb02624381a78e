// FORMAT.md, "Revocation list, version 1": decode a list, check its signature, hold it (with
// deltas), and refuse the tokens it revokes, offline.

import { decodeBase64url } from "./base64url.js";
import { type Claims, hex } from "./decode.js";
import { fail, refuse } from "./errors.js";
import { KeySet } from "./keys.js";
import { contextPrefix, signatureHolds } from "./verify.js";

const DOMAIN = new TextEncoder().encode("admit.revocations.v1\0");
const MAGIC = 0x52;
const VERSION = 1;
const MAX_UNIX = 253402300799;
const MAX_IDS = 1 << 20;
const MAX_RULES = 4096;
const ID_LEN = 12;
/** The longest list text loaded by default: 16 MiB. */
export const MAX_LIST_TEXT = 16 * 1024 * 1024;

/** A decoded list (R.3): what `Revocations` holds after loading it. */
export interface RevocationList {
  keyId: string;
  /** Sequence numbers are unsigned 64-bit: `bigint`. */
  sequence: bigint;
  /** For a delta, the sequence it extends; `null` for a full list. */
  base: bigint | null;
  issuedAt: number;
  nextUpdate: number;
  /** Inviter (`""`: everyone) and cut-off in Unix milliseconds, sorted by inviter. */
  rules: Array<[string, number]>;
  /** The revoked IDs, 12 bytes each, ascending, one after the other. */
  revoked: Uint8Array;
  /** The used-up IDs, when the list carries them. */
  usedUp: Uint8Array | null;
}

class Reader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array, private readonly end: number) {}

  get left(): number {
    return this.end - this.at;
  }

  take(n: number): Uint8Array {
    if (n > this.left) refuse("malformed", "truncated");
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  byte(): number {
    return this.take(1)[0]!;
  }

  /** A minimal u64 LEB128 varint (FORMAT.md §4). */
  varint(): bigint {
    let value = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      if (i === 9 && b > 1) refuse("malformed", "an integer is too large for 64 bits");
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) refuse("malformed", "an integer is not minimally encoded");
        return value;
      }
    }
    return refuse("malformed", "an integer is too large for 64 bits");
  }

  /** A varint known to be small enough for a number (times, counts), or `malformed`. */
  small(): number {
    const v = this.varint();
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }

  /** An entry's `keep` (R.4): a minimal varint of at most `max` hours. */
  keep(max: number): void {
    let value: number;
    // Fast path for one and two bytes, the usual sizes of `keep`.
    const b0 = this.left >= 1 ? this.bytes[this.at]! : 0x80;
    const b1 = this.left >= 2 ? this.bytes[this.at + 1]! : 0x80;
    if ((b0 & 0x80) === 0 && this.left >= 1) {
      value = b0;
      this.at += 1;
    } else if ((b1 & 0x80) === 0 && this.left >= 2) {
      if (b1 === 0) refuse("malformed", "an integer is not minimally encoded");
      value = (b0 & 0x7f) | (b1 << 7);
      this.at += 2;
    } else {
      const v = this.varint();
      value = v > BigInt(max) ? max + 1 : Number(v);
    }
    if (value > max) refuse("malformed", "an entry's keep reaches past the year 9999");
  }

  string(): string {
    const len = this.varint();
    if (len > BigInt(this.left)) refuse("malformed", "a length runs past the end of the list");
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.take(Number(len)));
    } catch {
      return refuse("malformed", "a string is not UTF-8");
    }
  }
}

/** A lowercase hex digit's value (the IDs of verified claims are 24 of them). */
const nibble = (c: number) => (c <= 0x39 ? c - 0x30 : c - 0x57);

/** 12-byte IDs `a[i]` and `b[j]` compared as bytes. */
function compareIds(a: Uint8Array, i: number, b: Uint8Array, j: number): number {
  for (let k = 0; k < ID_LEN; k++) {
    const d = a[i * ID_LEN + k]! - b[j * ID_LEN + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** An ID set (R.4) as flat sorted bytes; `issuedAt` bounds each entry's keep. */
function readIdSet(r: Reader, issuedAt: number): Uint8Array {
  const keepMax = Math.floor((MAX_UNIX - Math.min(issuedAt, MAX_UNIX)) / 3600);
  const countBig = r.varint();
  if (countBig > BigInt(MAX_IDS)) refuse("too_large", "an ID set holds over 2^20 IDs");
  const count = Number(countBig);
  const p = count < 256 ? 0 : count < 65536 ? 1 : 2;
  if (count * (ID_LEN - p + 1) > r.left) refuse("malformed", "an ID set runs past the end of the list");
  const buckets: number[] = [];
  if (p > 0) {
    let total = 0;
    for (let i = 0; i < 1 << (8 * p); i++) {
      const n = r.small();
      total += n;
      buckets.push(n);
    }
    if (total !== count) refuse("malformed", "the bucket counts of an ID set do not add up to its count");
  }
  const ids = new Uint8Array(count * ID_LEN);
  let prefix = 0;
  let left = p > 0 ? buckets[0]! : count;
  for (let i = 0; i < count; i++) {
    while (left === 0) {
      prefix += 1;
      left = buckets[prefix] ?? Number.MAX_SAFE_INTEGER;
    }
    left -= 1;
    const at = i * ID_LEN;
    if (p === 2) {
      ids[at] = prefix >> 8;
      ids[at + 1] = prefix & 0xff;
    } else if (p === 1) {
      ids[at] = prefix;
    }
    ids.set(r.take(ID_LEN - p), at + p);
    if (i > 0 && compareIds(ids, i - 1, ids, i) >= 0) {
      refuse("malformed", "the IDs of a set are not in ascending order, or repeat");
    }
    r.keep(keepMax);
  }
  return ids;
}

/** Decodes list bytes (body and signature), every rule of R.3 and R.4. No cryptography. */
export function decodeList(bytes: Uint8Array): RevocationList {
  if (bytes.length < 2 || bytes[0] !== MAGIC) refuse("malformed", "not a revocation list (the first byte is not 0x52)");
  if (bytes[1] !== VERSION) refuse("unsupported_version", `list version ${bytes[1]}`);
  if (bytes.length < 7 + 64) refuse("malformed", "too short");
  const r = new Reader(bytes, bytes.length - 64);
  r.take(2);
  const keyId = hex(r.take(4));
  const flags = r.byte();
  if ((flags & ~0x03) !== 0) refuse("malformed", "unknown flag bits");
  const issuedAt = r.small();
  const nextUpdate = r.small();
  const sequence = r.varint();
  if (issuedAt > MAX_UNIX || nextUpdate > MAX_UNIX) refuse("malformed", "a time is past the year 9999");
  if (nextUpdate <= issuedAt) refuse("malformed", "next_update is not after issued_at");
  if (sequence === 0n) refuse("malformed", "the sequence is zero");
  let base: bigint | null = null;
  if (flags & 0x01) {
    base = r.varint();
    if (base >= sequence) refuse("malformed", "a delta's base is not below its sequence");
  }
  const ruleCount = r.varint();
  if (ruleCount > BigInt(MAX_RULES)) refuse("too_large", "over 4096 rules");
  const rules: Array<[string, number]> = [];
  const encoder = new TextEncoder();
  let previous: Uint8Array | null = null;
  for (let i = 0; i < Number(ruleCount); i++) {
    const cutoff = r.small();
    const inviter = r.string();
    if (cutoff > MAX_UNIX * 1000 + 999) refuse("malformed", "a rule's cut-off is past the year 9999");
    const raw = encoder.encode(inviter);
    if (raw.length > 64) refuse("malformed", "a rule's inviter is over 64 bytes");
    if (previous !== null && compareBytes(previous, raw) >= 0) {
      refuse("malformed", "rules are not in ascending order of inviter, or repeat one");
    }
    previous = raw;
    rules.push([inviter, cutoff]);
  }
  const revoked = readIdSet(r, issuedAt);
  const usedUp = flags & 0x02 ? readIdSet(r, issuedAt) : null;
  if (r.left !== 0) refuse("malformed", "bytes left over after the last set");
  return { keyId, sequence, base, issuedAt, nextUpdate, rules, revoked, usedUp };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Two flat sorted ID arrays as one, without repeats. */
function union(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  const na = a.length / ID_LEN;
  const nb = b.length / ID_LEN;
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < na || j < nb) {
    const c = i >= na ? 1 : j >= nb ? -1 : compareIds(a, i, b, j);
    if (c <= 0) {
      out.set(a.subarray(i * ID_LEN, (i + 1) * ID_LEN), o);
      if (c === 0) j++;
      i++;
    } else {
      out.set(b.subarray(j * ID_LEN, (j + 1) * ID_LEN), o);
      j++;
    }
    o += ID_LEN;
  }
  return out.slice(0, o);
}

/**
 * Where each two-byte prefix starts in a large sorted set (65,537 offsets), so a lookup reads
 * one or two IDs instead of binary-searching 100,000 (as the Rust side does). Small sets: null.
 */
function prefixIndex(set: Uint8Array): Uint32Array | null {
  const n = set.length / ID_LEN;
  if (n < 4096) return null;
  const starts = new Uint32Array(65537);
  let at = 0;
  for (let b = 0; b <= 65536; b++) {
    while (at < n && ((set[at * ID_LEN]! << 8) | set[at * ID_LEN + 1]!) < b) at++;
    starts[b] = at;
  }
  return starts;
}

function contains(set: Uint8Array, id: Uint8Array, starts: Uint32Array | null = null): boolean {
  const b = (id[0]! << 8) | id[1]!;
  let lo = starts ? starts[b]! : 0;
  let hi = starts ? starts[b + 1]! : set.length / ID_LEN;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareIds(set, mid, id, 0);
    if (c === 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

export interface RevocationsOptions {
  /** Seconds after a list's `next_update` it is still trusted. Default: 60. */
  graceSeconds?: number;
  /** Keep verifying with an overdue list instead of failing (`revocation_list_stale`). */
  allowStale?: boolean;
  /** The longest list text accepted. Default: 16 MiB. */
  maxLength?: number;
}

/** What `Revocations.load` did. */
export interface Loaded {
  sequence: bigint;
  nextUpdate: number;
  revoked: number;
  /** The list was the one already held. */
  unchanged: boolean;
}

interface Held {
  list: RevocationList;
  signature: string;
  /** Prefix indexes of the revoked and used-up sets. */
  revokedIndex: Uint32Array | null;
  usedUpIndex: Uint32Array | null;
}

/**
 * The revocation lists a verifier checks tokens against (FORMAT.md R.6, R.7). Load a full list,
 * then deltas on it; pass it as `verify(token, keys, context, { revocations })`. A list that is
 * not newer than the held one is refused (`rollback`); a delta must extend the held sequence
 * (`wrong_base`). A load replaces the held state in one assignment, so a verification sees the
 * old list or the new one.
 */
export class Revocations {
  private held: Held | null = null;

  private constructor(
    private readonly keys: KeySet,
    private readonly prefix: Uint8Array,
    private readonly options: Required<RevocationsOptions>,
  ) {}

  /** Lists signed by one of `keys` for `context` (the one the tokens are minted for). */
  static async create(
    keys: KeySet | ReadonlyArray<Uint8Array | string>,
    context: string,
    options: RevocationsOptions = {},
  ): Promise<Revocations> {
    const keySet = keys instanceof KeySet ? keys : await KeySet.from(keys);
    return new Revocations(keySet, contextPrefix(context, DOMAIN), {
      graceSeconds: Math.trunc(options.graceSeconds ?? 60),
      allowStale: options.allowStale ?? false,
      maxLength: options.maxLength ?? MAX_LIST_TEXT,
    });
  }

  /** The sequence held, or `null`. */
  get sequence(): bigint | null {
    return this.held?.list.sequence ?? null;
  }

  /** When the held list says the next is due (Unix seconds), or `null`. */
  get nextUpdate(): number | null {
    return this.held?.list.nextUpdate ?? null;
  }

  /**
   * Loads list text (R.6). Throws `revocation_list_refused` with `problem` set; what is held
   * does not change then.
   */
  async load(text: string): Promise<Loaded> {
    if (text.length > this.options.maxLength) refuse("too_large", "the list text is over the cap");
    const bytes = decodeBase64url(text);
    if (bytes === null) return refuse("malformed", "not canonical unpadded base64url");
    const list = decodeList(bytes);
    const entry = this.keys.entry(list.keyId);
    if (!entry) refuse("unknown_key", `signed by key ${list.keyId}, which is not trusted for lists`);
    const body = bytes.subarray(0, bytes.length - 64);
    const signature = bytes.subarray(bytes.length - 64);
    if (!(await signatureHolds(entry.key, this.prefix, body, signature))) refuse("bad_signature", "bad signature");
    const held = this.held;
    const sig = hex(signature);
    if (held && list.sequence === held.list.sequence && sig === held.signature) {
      return { sequence: held.list.sequence, nextUpdate: held.list.nextUpdate, revoked: held.list.revoked.length / ID_LEN, unchanged: true };
    }
    if (held && list.sequence <= held.list.sequence) {
      refuse("rollback", `sequence ${list.sequence} is not newer than the loaded list's ${held.list.sequence}`);
    }
    let next: RevocationList;
    if (list.base === null) {
      next = list;
    } else if (held && list.base === held.list.sequence) {
      const rules = new Map(held.list.rules);
      for (const [inviter, cutoff] of list.rules) rules.set(inviter, Math.max(rules.get(inviter) ?? 0, cutoff));
      const sorted = [...rules.entries()].sort((a, b) => compareBytes(new TextEncoder().encode(a[0]), new TextEncoder().encode(b[0])));
      const usedUp = held.list.usedUp && list.usedUp
        ? union(held.list.usedUp, list.usedUp)
        : held.list.usedUp ?? list.usedUp;
      next = { ...list, base: null, rules: sorted, revoked: union(held.list.revoked, list.revoked), usedUp };
    } else {
      return refuse("wrong_base", held
        ? `a delta on sequence ${list.base}, but the loaded list is sequence ${held.list.sequence}`
        : `a delta on sequence ${list.base}, but no full list is loaded`);
    }
    this.held = {
      list: next,
      signature: sig,
      revokedIndex: prefixIndex(next.revoked),
      usedUpIndex: next.usedUp ? prefixIndex(next.usedUp) : null,
    };
    return { sequence: next.sequence, nextUpdate: next.nextUpdate, revoked: next.revoked.length / ID_LEN, unchanged: false };
  }

  /** R.7, for claims whose signature and time were checked. @internal */
  check(claims: Claims, now: number): void {
    const held = this.held;
    if (!held) fail("revocation_list_stale", "no revocation list is loaded yet");
    const list = held.list;
    const id = new Uint8Array(ID_LEN);
    for (let i = 0; i < ID_LEN; i++) {
      id[i] = (nibble(claims.id.charCodeAt(2 * i)) << 4) | nibble(claims.id.charCodeAt(2 * i + 1));
    }
    if (contains(list.revoked, id, held.revokedIndex)) fail("revoked", "the invitation is revoked");
    const issuedMs = claims.issuedAt * 1000;
    for (const [inviter, cutoff] of list.rules) {
      if ((inviter === "" || inviter === claims.inviter) && issuedMs < cutoff) {
        fail("revoked", "a revocation rule covers the invitation");
      }
    }
    if (list.usedUp && contains(list.usedUp, id, held.usedUpIndex)) fail("used_up", "the invitation is used up");
    if (!this.options.allowStale && now > list.nextUpdate + this.options.graceSeconds) {
      fail("revocation_list_stale", "the revocation list is past its next update");
    }
  }
}
