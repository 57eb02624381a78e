// Checking a webhook delivery from admit's WebhookSender (Standard Webhooks): the signature
// over `<id>.<timestamp>.<body>` with the `whsec_` secret, and a fresh timestamp.

import { AdmitError } from "./errors.js";

/** How far a delivery's timestamp may be from now, unless told otherwise: five minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A request's headers: a `Headers` object (fetch, Workers, Deno) or a plain record (Node). */
export type HeadersLike =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

/** Options of {@link verifyWebhook}. */
export interface WebhookOptions {
  /** Seconds the timestamp may be off either way (default 300). */
  toleranceSeconds?: number;
  /** The time to check against (default: now). */
  now?: Date;
}

function header(headers: HeadersLike, name: string): string | null {
  if (typeof (headers as { get?: unknown }).get === "function") {
    return (headers as { get(name: string): string | null }).get(name);
  }
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

function refuse(message: string): never {
  throw new AdmitError("webhook_refused", message);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const raw = atob(text);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** The secrets to try, as HMAC keys; a key is made once per secret text. */
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    const bytes = secret.startsWith("whsec_") ? fromBase64(secret.slice(6)) : null;
    if (bytes === null || bytes.length < 24 || bytes.length > 64) {
      throw new AdmitError(
        "invalid_key",
        "a webhook secret is whsec_ followed by the base64 of 24 to 64 bytes",
      );
    }
    key = crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, [
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

/**
 * Checks a webhook delivery: `webhook-id`, `webhook-timestamp` and `webhook-signature`, and
 * the raw body exactly as received (before any JSON parsing). Resolves with the parsed event
 * when it is genuine and fresh; rejects with an `AdmitError` of code `webhook_refused` naming
 * what failed (a changed body, another secret, an old or replayed timestamp, a missing
 * header). Several secrets may be given while one is rotated.
 *
 * A delivery can come more than once: use `webhook-id` (the same on every retry) to act once.
 *
 * ```ts
 * const event = await verifyWebhook(env.WEBHOOK_SECRET, request.headers, await request.text());
 * if (event.type === "redeemed") { ... }
 * ```
 */
export async function verifyWebhook(
  secret: string | readonly string[],
  headers: HeadersLike,
  body: string | Uint8Array,
  options: WebhookOptions = {},
): Promise<Record<string, unknown>> {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (id === null || timestamp === null || signatures === null) {
    refuse("a webhook-id, webhook-timestamp or webhook-signature header is missing");
  }
  if (id.length === 0 || id.length > 256) refuse("the webhook-id header is empty or too long");
  if (!/^[0-9]{1,15}$/.test(timestamp)) {
    refuse("the webhook-timestamp header is not Unix seconds");
  }
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - Number(timestamp)) > tolerance) {
    refuse("the webhook-timestamp is outside the tolerance (an old or replayed delivery)");
  }
  const bodyBytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + bodyBytes.length);
  signed.set(prefix);
  signed.set(bodyBytes, prefix.length);
  const secrets = typeof secret === "string" ? [secret] : secret;
  for (const candidate of signatures.split(" ")) {
    if (!candidate.startsWith("v1,")) continue;
    const tag = fromBase64(candidate.slice(3));
    if (tag === null) continue;
    for (const s of secrets) {
      // WebCrypto's verify compares in constant time.
      if (await crypto.subtle.verify("HMAC", await hmacKey(s), tag, signed)) {
        try {
          return JSON.parse(new TextDecoder().decode(bodyBytes)) as Record<string, unknown>;
        } catch {
          refuse("the body is not JSON");
        }
      }
    }
  }
  refuse("no signature matches the body with this secret");
}
