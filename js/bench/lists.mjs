// Loading a 100,000-ID revocation list and verifying with it, in this runtime:
//   npm run build && node bench/lists.mjs
// Prints the list's size, the median time of `Revocations.load` (base64, decode, signature)
// against its floor in the same run (base64 decode and the WebCrypto signature check over the
// same bytes), and `verify` with and without the list.
import { createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { KeySet, Revocations, verify } from "../dist/index.js";
import { decodeBase64url, encodeBase64url } from "../dist/base64url.js";

const IDS = 100_000;
const CONTEXT = "bench/lists";
const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const raw = publicKey.export({ format: "der", type: "spki" }).subarray(12);
const keys = await KeySet.from([raw]);

function varint(out, n) {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

const now = Math.floor(Date.now() / 1000);
const ids = [];
for (let i = 0; i < IDS; i++) {
  const id = Buffer.alloc(12);
  id.writeUInt32BE(Math.imul(i, 0x9e3779b9) >>> 0, 0);
  id.writeUInt32BE(i, 8);
  ids.push(id);
}
ids.sort(Buffer.compare);
const body = [0x52, 1, ...raw.subarray(0, 4), 0];
varint(body, now);
varint(body, now + 300);
varint(body, 1);
varint(body, 10);
for (let n = 0; n < 10; n++) {
  varint(body, (now - n * 86400) * 1000);
  const inviter = Buffer.from(`inviter-${n}`);
  varint(body, inviter.length);
  body.push(...inviter);
}
varint(body, IDS);
const buckets = new Array(65536).fill(0);
for (const id of ids) buckets[(id[0] << 8) | id[1]]++;
for (const b of buckets) varint(body, b);
for (const id of ids) {
  for (const byte of id.subarray(2)) body.push(byte);
  varint(body, 168);
}
const bodyBytes = Buffer.from(body);
const ctx = Buffer.from(CONTEXT);
const prefix = Buffer.concat([Buffer.from("admit.revocations.v1\0"), Buffer.from([ctx.length]), ctx]);
const signature = sign(null, Buffer.concat([prefix, bodyBytes]), privateKey);
const text = encodeBase64url(Buffer.concat([bodyBytes, signature]));
console.log(`list of ${IDS} IDs and 10 rules: ${bodyBytes.length + 64} bytes (${((bodyBytes.length + 64) / IDS).toFixed(2)} per ID)`);

async function median(name, runs, f) {
  for (let i = 0; i < 3; i++) await f();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const m = times[Math.floor(runs / 2)];
  console.log(`${name}: ${m < 1 ? (m * 1000).toFixed(1) + " µs" : m.toFixed(2) + " ms"}`);
  return m;
}

const load = await median("Revocations.load (100k)", 30, async () => {
  const r = await Revocations.create(keys, CONTEXT);
  await r.load(text);
});
const cryptoKey = keys.entry(keys.keyIds[0]).key;
const floor = await median("floor: base64 + signature", 30, async () => {
  const bytes = decodeBase64url(text);
  const msg = new Uint8Array(prefix.length + bytes.length - 64);
  msg.set(prefix);
  msg.set(bytes.subarray(0, bytes.length - 64), prefix.length);
  await crypto.subtle.verify({ name: "Ed25519" }, cryptoKey, bytes.slice(bytes.length - 64), msg);
});
console.log(`load / floor: ${(load / floor).toFixed(2)}`);

// A token, minted here by hand (FORMAT.md §4): flags 0x01 (ttl), a random ID, now, a day.
const payload = [0x01, ...Buffer.alloc(12, 7)];
varint(payload, now);
varint(payload, 86400);
const tokenBody = Buffer.from([1, ...raw.subarray(0, 4), ...payload]);
const tctx = Buffer.from("admit.invitation.v1\0");
const tsig = sign(null, Buffer.concat([tctx, Buffer.from([ctx.length]), ctx, tokenBody]), privateKey);
const token = encodeBase64url(Buffer.concat([tokenBody, tsig]));
const revocations = await Revocations.create(keys, CONTEXT);
await revocations.load(text);
await verify(token, keys, CONTEXT, { revocations });
const per = async (f) => {
  for (let i = 0; i < 200; i++) await f();
};
const without = await median("verify x200 without a list", 15, () => per(() => verify(token, keys, CONTEXT)));
const withList = await median("verify x200 with the 100k list", 15, () => per(() => verify(token, keys, CONTEXT, { revocations })));
console.log(`with / without: ${(withList / without).toFixed(3)}`);
// The check alone (what `verify` adds with a list), timed apart from the noise of WebCrypto:
// 100,000 checks after as many to warm the JIT up.
const claims = { id: "07".repeat(12), issuedAt: now, inviter: null };
for (let i = 0; i < 100000; i++) revocations.check(claims, now);
const t0 = performance.now();
for (let i = 0; i < 100000; i++) revocations.check(claims, now);
const checkMs = (performance.now() - t0) / 100000;
console.log(`the list check: ${(checkMs * 1e6).toFixed(0)} ns; of a verify (${((without / 200) * 1000).toFixed(0)} µs): ${((100 * checkMs * 200) / without).toFixed(2)}%`);
