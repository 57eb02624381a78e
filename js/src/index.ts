/**
 * Verify admit invitation tokens (FORMAT.md, version 1) with the public key alone.
 *
 * ```ts
 * import { KeySet, verify } from "admit-verify";
 * const keys = await KeySet.from([PUBLIC_KEY_PEM]);
 * const invitation = await verify(token, keys, "acme/invite", { email: "ada@example.com" });
 * ```
 */
export { AdmitError, type ErrorCode, type ListProblem } from "./errors.js";
export { type Claims, MAX_TOKEN_LEN, inspectUnverified } from "./decode.js";
export { KeySet, publicKeyBytes, publicKeyProblem } from "./keys.js";
export { type Invitation, type VerifyOptions, verify } from "./verify.js";
export { MAX_URL_LEN, MIN_TOKEN_LEN, findToken } from "./find.js";
export { isValidEmail, isValidInviter, normalizeEmail } from "./text.js";
export {
  DEFAULT_TOLERANCE_SECONDS,
  type HeadersLike,
  type WebhookOptions,
  verifyWebhook,
} from "./webhook.js";
export {
  type Loaded,
  MAX_LIST_TEXT,
  type RevocationList,
  Revocations,
  type RevocationsOptions,
  decodeList,
} from "./revocations.js";
