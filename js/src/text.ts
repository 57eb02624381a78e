// FORMAT.md §5: addresses and inviters, with fixed code-point tables (no Unicode properties, so
// every runtime and every Unicode version gives the same answer).

/** Table 1: refused in emails and inviters. Ranges are inclusive. */
const TABLE_1: ReadonlyArray<readonly [number, number]> = [
  [0x0000, 0x001f], [0x007f, 0x009f], [0x00ad, 0x00ad], [0x034f, 0x034f], [0x061c, 0x061c],
  [0x115f, 0x1160], [0x17b4, 0x17b5], [0x180b, 0x180f], [0x200b, 0x200f], [0x2028, 0x202e],
  [0x2060, 0x206f], [0x3164, 0x3164], [0xd800, 0xdfff], [0xe000, 0xf8ff], [0xfdd0, 0xfdef],
  [0xfe00, 0xfe0f], [0xfeff, 0xfeff], [0xffa0, 0xffa0], [0xfff0, 0xffff], [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a], [0xe0000, 0xe0fff], [0xf0000, 0x10ffff],
];

/** Table 2: refused in emails as well (other spaces; code points NFC turns into other letters). */
const TABLE_2: ReadonlyArray<readonly [number, number]> = [
  [0x00a0, 0x00a0], [0x037e, 0x037e], [0x1680, 0x1680], [0x1fef, 0x1fef], [0x2000, 0x200a], [0x202f, 0x202f], [0x205f, 0x205f],
  [0x3000, 0x3000], [0x2126, 0x2126], [0x212a, 0x212b],
];

const inTable = (table: typeof TABLE_1, c: number) => table.some(([lo, hi]) => c >= lo && c <= hi);

/** Table 1, and every noncharacter U+xxFFFE / U+xxFFFF. */
export function forbiddenEverywhere(c: number): boolean {
  return (c & 0xfffe) === 0xfffe || inTable(TABLE_1, c);
}

export function forbiddenInEmail(c: number): boolean {
  return forbiddenEverywhere(c) || inTable(TABLE_2, c);
}

const SPECIALS = "!#$%&'*+-/=?^_`{|}~";

function isAddressChar(c: number): boolean {
  if (c >= 0x61 && c <= 0x7a) return true; // a-z
  if (c >= 0x30 && c <= 0x39) return true; // 0-9
  if (c < 0x80) return SPECIALS.includes(String.fromCharCode(c));
  return !forbiddenInEmail(c);
}

const utf8 = new TextEncoder();
export const utf8Length = (s: string) => utf8.encode(s).length;

function isDotAtom(part: string): boolean {
  if (part.length === 0) return false;
  for (const atom of part.split(".")) {
    if (atom.length === 0) return false;
    for (const ch of atom) if (!isAddressChar(ch.codePointAt(0)!)) return false;
  }
  return true;
}

/** FORMAT.md §5.1: whether `email` is a valid address for a token. */
export function isValidEmail(email: string): boolean {
  if (utf8Length(email) > 254) return false;
  const at = email.indexOf("@");
  if (at < 0 || email.indexOf("@", at + 1) >= 0) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  return utf8Length(local) <= 64 && isDotAtom(local) && isDotAtom(domain);
}

const TRIMMED = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]);

/** General category Cn in the runtime's tables, the same ICU data `normalize` uses. */
const UNASSIGNED = /\p{Cn}/u;

/**
 * FORMAT.md §5.2: an address as a person typed it, in the form tokens carry; `null` if it is
 * not a valid address. Trims ASCII whitespace, refuses table 1 and 2 code points and code points
 * the runtime's Unicode does not assign, applies NFC, lower-cases A-Z only.
 */
export function normalizeEmail(typed: string): string | null {
  if (typed.length > 4 * 254) return null;
  let start = 0;
  let end = typed.length;
  while (start < end && TRIMMED.has(typed.charCodeAt(start))) start++;
  while (end > start && TRIMMED.has(typed.charCodeAt(end - 1))) end--;
  const trimmed = typed.slice(start, end);
  for (const ch of trimmed) if (forbiddenInEmail(ch.codePointAt(0)!)) return null;
  // A code point this runtime's Unicode tables do not assign: its NFC is not known here, and a
  // verifier on a newer Unicode could compose it. Refused, so verifiers agree or this one refuses.
  if (UNASSIGNED.test(trimmed)) return null;
  const normal = trimmed.normalize("NFC").replace(/[A-Z]/g, (c) => c.toLowerCase());
  return isValidEmail(normal) ? normal : null;
}

/** FORMAT.md §4: an inviter is 1 to 64 bytes with no table 1 code point. */
export function isValidInviter(inviter: string): boolean {
  const n = utf8Length(inviter);
  if (n < 1 || n > 64) return false;
  for (const ch of inviter) if (forbiddenEverywhere(ch.codePointAt(0)!)) return false;
  return true;
}
