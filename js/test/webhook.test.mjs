// verifyWebhook: the Standard Webhooks reference vector, tampering, replays, rotation, and
// agreement with the Rust CLI's `admit webhooks verify` on signatures made here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AdmitError, verifyWebhook } from "../dist/index.js";
import { admitBinary, run, tempDir } from "../support/admit-cli.mjs";

// Published with the Standard Webhooks specification (its "sign function works" test).
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS = "1614265330";
const BODY = '{"test": 2432232314}';
const SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const AT = new Date(1614265330 * 1000);

const headers = (id, ts, sig) => new Headers({ "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig });
const refused = async (promise, pattern) => {
  await assert.rejects(promise, (e) => e instanceof AdmitError && e.code === "webhook_refused" && pattern.test(e.message));
};

/** A signature made with node:crypto, independently of the package. */
function sign(secret, id, ts, body) {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  return "v1," + createHmac("sha256", key).update(`${id}.${ts}.${body}`).digest("base64");
}

test("the reference vector verifies, from Headers or a plain record", async () => {
  assert.equal(sign(SECRET, ID, TS, BODY), SIGNATURE);
  const event = await verifyWebhook(SECRET, headers(ID, TS, SIGNATURE), BODY, { now: AT });
  assert.deepEqual(event, { test: 2432232314 });
  const plain = { "webhook-id": ID, "webhook-timestamp": TS, "webhook-signature": SIGNATURE };
  await verifyWebhook(SECRET, plain, new TextEncoder().encode(BODY), { now: AT });
});

test("changed, foreign, old and malformed deliveries are refused", async () => {
  await refused(verifyWebhook(SECRET, headers(ID, TS, SIGNATURE), '{"test": 1}', { now: AT }), /no signature/);
  await refused(verifyWebhook(SECRET, headers("msg_other", TS, SIGNATURE), BODY, { now: AT }), /no signature/);
  const other = "whsec_" + Buffer.alloc(32, 7).toString("base64");
  await refused(verifyWebhook(other, headers(ID, TS, SIGNATURE), BODY, { now: AT }), /no signature/);
  const later = new Date(AT.getTime() + 301_000);
  await refused(verifyWebhook(SECRET, headers(ID, TS, SIGNATURE), BODY, { now: later }), /tolerance/);
  await verifyWebhook(SECRET, headers(ID, TS, SIGNATURE), BODY, { now: later, toleranceSeconds: 400 });
  await refused(verifyWebhook(SECRET, new Headers({ "webhook-id": ID }), BODY, { now: AT }), /missing/);
  await refused(verifyWebhook(SECRET, headers(ID, "12a", SIGNATURE), BODY, { now: AT }), /Unix seconds/);
  await refused(verifyWebhook(SECRET, headers(ID, TS, "v1,###"), BODY, { now: AT }), /no signature/);
  await assert.rejects(verifyWebhook("sk_nope", headers(ID, TS, SIGNATURE), BODY, { now: AT }), (e) => e.code === "invalid_key");
});

test("several signatures and several secrets: one match is enough", async () => {
  const other = "whsec_" + Buffer.alloc(32, 9).toString("base64");
  const both = `${sign(other, ID, TS, BODY)} ${SIGNATURE}`;
  await verifyWebhook(SECRET, headers(ID, TS, both), BODY, { now: AT });
  await verifyWebhook([other, SECRET], headers(ID, TS, SIGNATURE), BODY, { now: AT });
});

const bin = admitBinary();

test("the Rust CLI accepts what this package accepts, and refuses the same tampering", { skip: bin === null }, () => {
  const dir = tempDir();
  const file = join(dir, "hooks.secret");
  assert.equal(run(bin, ["webhooks", "secret", "--out", file]).status, 0);
  const secret = String(readFileSync(file)).trim();
  const ts = String(Math.floor(Date.now() / 1000));
  const body = '{"type":"issued","cursor":"0-1"}';
  const signature = sign(secret, "evt_0-1", ts, body);
  const args = ["webhooks", "verify", "--secret-file", file, "--id", "evt_0-1", "--timestamp", ts, "--signature", signature];
  const ok = run(bin, args, body);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  const tampered = run(bin, args, body.replace("issued", "revoked"));
  assert.equal(tampered.status, 3);
});
