// The TypeScript verifier and the Rust crate give the same answer on thousands of altered
// tokens: every valid vector mutated at the text, byte and claim level (many re-signed with
// the vector keys, so the claim rules, the time window and the email rules are reached too).
// The Rust side is `admit verify` reading one candidate per line, which runs the crate's
// find_token and its batch verification.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { KeySet, findToken, verify } from "../dist/index.js";
import { encodeBase64url, decodeBase64url } from "../dist/base64url.js";
import { admitBinary, pemOf, rng, run, tempDir, writeFile } from "../support/admit-cli.mjs";

const bin = admitBinary();
const vectors = JSON.parse(readFileSync(new URL("../../tests/vectors.json", import.meta.url), "utf8"));
const DOMAIN = Buffer.from("admit.invitation.v1\0");

const secretKeys = new Map(
  vectors.keys.map((k) => [
    k.key_id,
    createPrivateKey({
      key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(k.secret_key_hex, "hex")]),
      format: "der",
      type: "pkcs8",
    }),
  ]),
);

/** Signs `body` with the vector key its key ID names (or key 1), as FORMAT.md §6 says. */
function resign(body) {
  const keyId = Buffer.from(body.subarray(1, 5)).toString("hex");
  const key = secretKeys.get(keyId) ?? secretKeys.get(vectors.keys[0].key_id);
  const ctx = Buffer.from(vectors.context);
  const message = Buffer.concat([DOMAIN, Buffer.from([ctx.length]), ctx, body]);
  return encodeBase64url(Buffer.concat([body, sign(null, message, key)]));
}

const POOL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ <>\"'é\u202e\u00a0";
const INTERESTING = [0x00, 0x01, 0x02, 0x04, 0x08, 0x0f, 0x10, 0x1f, 0x20, 0x40, 0x7f, 0x80, 0x81, 0xc3, 0xe2, 0xff];

function mutate(token, next) {
  const pick = (n) => Math.floor(next() * n);
  const char = () => POOL[pick(POOL.length)];
  const at = pick(token.length);
  const bytes = decodeBase64url(token);
  const body = Buffer.from(bytes.subarray(0, bytes.length - 64));
  const payloadAt = 5 + pick(body.length - 5);
  switch (pick(14)) {
    case 0: return token.slice(0, at) + char() + token.slice(at + 1);
    case 1: return token.slice(0, at) + token.slice(at + 1);
    case 2: return token.slice(0, at) + char() + token.slice(at);
    case 3: return token.slice(0, at);
    case 4: return token.slice(0, at) + token.slice(at + 1, at + 2) + token.slice(at, at + 1) + token.slice(at + 2);
    case 5: return [`<${token}>`, `"${token}"`, `${token}.`, `Invite: ${token}`, `?invitation=${token}`][pick(5)];
    case 6: { // one bit of the signed bytes, not re-signed
      const b = Buffer.from(bytes);
      b[pick(b.length)] ^= 1 << pick(8);
      return encodeBase64url(b);
    }
    case 7: case 8: { // one bit of the payload, re-signed
      body[payloadAt] ^= 1 << pick(8);
      return resign(body);
    }
    case 9: { // an interesting byte in the payload, re-signed
      body[payloadAt] = INTERESTING[pick(INTERESTING.length)];
      return resign(body);
    }
    case 10: { // a byte inserted into or removed from the payload, re-signed
      const b = next() < 0.5
        ? Buffer.concat([body.subarray(0, payloadAt), Buffer.from([INTERESTING[pick(INTERESTING.length)]]), body.subarray(payloadAt)])
        : Buffer.concat([body.subarray(0, payloadAt), body.subarray(payloadAt + 1)]);
      return resign(b);
    }
    case 11: { // the flags byte, re-signed
      body[5] = pick(64);
      return resign(body);
    }
    case 12: { // the version byte or key ID, re-signed
      body[pick(5)] ^= 1 << pick(8);
      return resign(body);
    }
    default: return token + char() + char();
  }
}

async function tsVerdict(line, keys, options) {
  try {
    const invitation = await verify(findToken(line), keys, vectors.context, options);
    return { valid: true, id: invitation.id, email: invitation.email, inviter: invitation.inviter, max_uses: invitation.maxUses, issued_at: invitation.issuedAt, expires_at: invitation.expiresAt };
  } catch (e) {
    if (!e.code) throw e;
    return { valid: false, error: e.code };
  }
}

function rustVerdicts(lines, pubFiles, email) {
  const at = new Date(vectors.now * 1000).toISOString().replace(".000Z", "Z");
  const args = ["verify", "--context", vectors.context, "--at", at, "--format", "json"];
  for (const f of pubFiles) args.push("--pub", f);
  if (email !== undefined) args.push("--email", email);
  const out = run(bin, args, lines.join("\n") + "\n");
  const results = out.stdout.trim().split("\n").map((l) => JSON.parse(l));
  // The CLI skips blank lines (Rust's White_Space only) and numbers results by input line.
  const verdicts = lines.map(() => null);
  for (const r of results) {
    verdicts[r.line - 1] = r.valid
      ? { valid: true, id: r.id, email: r.email, inviter: r.inviter, max_uses: r.max_uses, issued_at: Date.parse(r.issued_at) / 1000, expires_at: r.expires_at === null ? null : Date.parse(r.expires_at) / 1000 }
      : { valid: false, error: r.error };
  }
  const blank = /^[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$/;
  lines.forEach((l, i) => assert.equal(verdicts[i] === null, blank.test(l), `line ${i + 1}: ${JSON.stringify(l)} ${out.stderr}`));
  return verdicts;
}

test("TypeScript and Rust agree on thousands of altered tokens", { skip: bin === null, timeout: 600_000 }, async () => {
  const dir = tempDir();
  const pubFiles = vectors.keys.map((k, i) => writeFile(dir, `key${i}.pem`, pemOf(k.public_key_hex)));
  const keys = await KeySet.from(vectors.keys.map((k) => k.public_key_hex));
  const next = rng(20261123);
  const lines = [];
  for (const c of vectors.valid) {
    lines.push(c.token);
    for (let i = 0; i < 200; i++) {
      const m = mutate(c.token, next);
      if (!/[\r\n]/.test(m)) lines.push(m);
    }
  }
  for (const c of vectors.invalid) if (!/[\r\n]/.test(c.token)) lines.push(c.token);
  assert.ok(lines.length >= 3000, `${lines.length} lines`);

  const classes = new Map();
  for (const email of [undefined, "ADA@example.com", "\u212aate@example.com"]) {
    const rust = rustVerdicts(lines, pubFiles, email);
    const options = { now: vectors.now, leewaySeconds: vectors.leeway_seconds, ...(email === undefined ? {} : { email }) };
    for (let i = 0; i < lines.length; i++) {
      if (rust[i] === null) continue; // a blank line: no token, skipped by the CLI
      const ts = await tsVerdict(lines[i], keys, options);
      assert.deepEqual(ts, rust[i], `line ${i + 1}: ${JSON.stringify(lines[i])}`);
      const k = ts.valid ? "valid" : ts.error;
      classes.set(k, (classes.get(k) ?? 0) + 1);
    }
  }
  // The mutations reach every class, so agreement is tested on each.
  for (const k of ["valid", "malformed", "unsupported_version", "invalid_claim", "unknown_key", "bad_signature", "not_yet_valid", "expired", "email_mismatch", "invalid_email", "too_large"]) {
    assert.ok(classes.has(k), `no line ended in ${k}: ${JSON.stringify([...classes])}`);
  }
  console.log(`agreement: ${lines.length} lines × 3 (no email, a valid one, an invalid one):`, Object.fromEntries(classes));
});
