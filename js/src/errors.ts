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
  | "webhook_refused"
  // Revocation lists (FORMAT.md R.6, R.7).
  | "revocation_list_refused"
  | "revoked"
  | "used_up"
  | "revocation_list_stale";

/** Why a revocation list was refused (FORMAT.md R.2–R.6): the vectors' result classes. */
export type ListProblem =
  | "malformed"
  | "too_large"
  | "unsupported_version"
  | "unknown_key"
  | "bad_signature"
  | "rollback"
  | "wrong_base";

/**
 * Every failure is an `AdmitError` whose `code` is the class FORMAT.md names (the same string
 * the Rust crate's `Error::code` returns). Messages never hold a token, a key or the email an
 * invitation is bound to.
 */
export class AdmitError extends Error {
  readonly code: ErrorCode;
  /** For `revocation_list_refused`: which rule the list broke. */
  readonly problem: ListProblem | undefined;

  constructor(code: ErrorCode, message: string, problem?: ListProblem) {
    super(`${code}: ${message}`);
    this.name = "AdmitError";
    this.code = code;
    this.problem = problem;
  }
}

/** Throws `revocation_list_refused` with its problem. */
export function refuse(problem: ListProblem, message: string): never {
  throw new AdmitError("revocation_list_refused", `${problem}: ${message}`, problem);
}

export function fail(code: ErrorCode, message: string): never {
  throw new AdmitError(code, message);
}
