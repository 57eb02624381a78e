/** The error classes of FORMAT.md, plus the ones a verifier's configuration can raise. */
export type ErrorCode =
  // FORMAT.md §8, in the order a verifier checks them.
  | "too_large"
  | "malformed"
  | "unsupported_version"
  | "invalid_claim"
  | "unknown_key"
  | "bad_signature"
  | "not_yet_valid"
  | "expired"
  | "invalid_email"
  | "email_mismatch"
  // Finding a token in text (FORMAT.md §12).
  | "missing_token"
  | "invalid_url"
  // Configuration: keys, key sets, context, runtime.
  | "invalid_key"
  | "duplicate_key_id"
  | "invalid_context"
  | "unsupported_runtime"
  // Webhook deliveries (verifyWebhook).
  | "webhook_refused";

/**
 * Every failure is an `AdmitError` whose `code` is the class FORMAT.md names (the same string
 * the Rust crate's `Error::code` returns). Messages never hold a token, a key or the email an
 * invitation is bound to.
 */
export class AdmitError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "AdmitError";
    this.code = code;
  }
}

export function fail(code: ErrorCode, message: string): never {
  throw new AdmitError(code, message);
}
