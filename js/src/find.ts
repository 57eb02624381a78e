// FORMAT.md §12: finding a token in a link or in pasted text.

import { isTokenChar } from "./base64url.js";
import { fail } from "./errors.js";

export const MAX_URL_LEN = 8192;
/** The fewest characters a token can have (83 bytes in base64url). */
export const MIN_TOKEN_LEN = 111;
const PARAM = "invitation=";

function percentDecode(raw: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === "%") {
      const h = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) fail("invalid_url", "bad percent escape in the invitation parameter");
      bytes.push(parseInt(h, 16));
      i += 2;
    } else bytes.push(raw.charCodeAt(i));
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes));
  } catch {
    return fail("invalid_url", "bad percent escape in the invitation parameter");
  }
}

/**
 * The token in a link, a query string or any pasted text (`Invite: TOKEN.`, `<TOKEN>`, a link
 * with a period after it). Throws `missing_token` when nothing can be a token, `invalid_url` for
 * two different tokens or a bad percent escape, `too_large` over 8192 bytes.
 */
export function findToken(text: string): string {
  if (new TextEncoder().encode(text).length > MAX_URL_LEN) fail("too_large", "text is over 8192 bytes");
  // 2. A link: every `invitation=` value, which must agree.
  let found: string | null = null;
  let any = false;
  for (let at = text.indexOf(PARAM); at >= 0; at = text.indexOf(PARAM, at + PARAM.length)) {
    if (at > 0 && isTokenChar(text.charCodeAt(at - 1))) continue;
    any = true;
    let end = at + PARAM.length;
    while (end < text.length && (isTokenChar(text.charCodeAt(end)) || text[end] === "%")) end++;
    const raw = text.slice(at + PARAM.length, end);
    if (raw.length === 0) continue;
    const value = raw.includes("%") ? percentDecode(raw) : raw;
    if (found !== null && found !== value) fail("invalid_url", "the text holds two different invitation tokens");
    found = value;
  }
  if (found !== null) return found;
  if (any) fail("missing_token", "no invitation token found");
  // 3. A bare token, ASCII whitespace around it.
  const trimmed = text.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, "");
  if (trimmed.length > 0 && [...trimmed].every((c) => isTokenChar(c.charCodeAt(0)) && c.length === 1)) {
    return trimmed;
  }
  // 4. The one long run of base64url characters.
  for (const run of text.split(/[^A-Za-z0-9_-]+/)) {
    if (run.length < MIN_TOKEN_LEN) continue;
    if (found !== null && found !== run) fail("invalid_url", "the text holds two different invitation tokens");
    found = run;
  }
  if (found === null) fail("missing_token", "no invitation token found");
  return found;
}
