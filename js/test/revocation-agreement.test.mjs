// The TypeScript and Rust verifiers agree on 1,200 generated revocation-list cases: full lists
// and deltas in sequence (right and wrong bases, rollbacks), with random rules, IDs and
// used-up sets, many of them broken at the byte level (and re-signed, so the structural rules
// are reached), then a token checked at a random time. The Rust side is `admit verify
// --revocations … --format json`; each side reports the first refused load, or the token's
// result.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AdmitError, KeySet, Revocations, verify } from "../dist/index.js";
import { encodeBase64url } from "../dist/base64url.js";
import { admitBinary, pemOf, rng, run, tempDir, writeFile } from "../support/admit-cli.mjs";

const bin = admitBinary();
const file = JSON.parse(readFileSync(new URL("../../tests/revocation_vectors.json", import.meta.url), "utf8"));
const key = file.keys[0];
const secret = createPrivateKey({
  key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(key.secret_key_hex, "hex")]),
  format: "der",
  type: "pkcs8",
});
const DOMAIN = Buffer.from("admit.revocations.v1\0");
const NOW = file.now;
const CASES = 1200;

function varint(out, n) {
  let v = BigInt(n);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

/** The token IDs (from the vector tokens) and their inviters. */
const tokenIds = file.tokens.map((t) => {
  const bytes = Buffer.from(t.token, "base64url");
  return Buffer.from(bytes.subarray(6, 18));
});

function idSet(out, ids) {
  const n = ids.length;
  varint(out, n);
  const p = n < 256 ? 0 : n < 65536 ? 1 : 2;
  if (p > 0) {
    const buckets = new Array(1 << (8 * p)).fill(0);
    for (const [id] of ids) buckets[p === 1 ? id[0] : (id[0] << 8) | id[1]]++;
    for (const b of buckets) varint(out, b);
  }
  for (const [id, keep] of ids) {
    out.push(...id.subarray(p));
    varint(out, keep);
  }
}

/** A random list, encoded as the spec says (canonical unless `mess` breaks it). */
function randomList(next, { sequence, base }) {
  const pick = (n) => Math.floor(next() * n);
  const ids = new Map();
  const n = next() < 0.1 ? 256 + pick(200) : pick(12);
  for (let i = 0; i < n; i++) {
    const id = Buffer.alloc(12);
    for (let k = 0; k < 12; k++) id[k] = pick(256);
    ids.set(id.toString("hex"), [id, pick(3) === 0 ? 0 : 1 + pick(400)]);
  }
  for (const id of tokenIds) if (next() < 0.2) ids.set(id.toString("hex"), [id, 1 + pick(200)]);
  const sorted = [...ids.values()].sort((a, b) => Buffer.compare(a[0], b[0]));
  const rules = [];
  for (const inviter of ["", "grace", "mallory"]) {
    if (next() < 0.25) rules.push([(NOW - 7200 + pick(14400)) * 1000 + pick(1000), inviter]);
  }
  const used = next() < 0.4 ? tokenIds.filter(() => next() < 0.3).map((id) => [id, 1 + pick(50)]).sort((a, b) => Buffer.compare(a[0], b[0])) : null;
  const issued = NOW - pick(600);
  return { issued, next: issued + 1 + pick(900), sequence, base, rules, revoked: sorted, used };
}

function encode(list) {
  const out = [0x52, 1, ...Buffer.from(key.public_key_hex, "hex").subarray(0, 4)];
  out.push((list.base === null ? 0 : 1) | (list.used ? 2 : 0));
  varint(out, list.issued);
  varint(out, list.next);
  varint(out, list.sequence);
  if (list.base !== null) varint(out, list.base);
  varint(out, list.rules.length);
  for (const [cutoff, inviter] of list.rules) {
    varint(out, cutoff);
    varint(out, Buffer.byteLength(inviter));
    out.push(...Buffer.from(inviter));
  }
  idSet(out, list.revoked);
  if (list.used) idSet(out, list.used);
  return Buffer.from(out);
}

function signed(body, context = file.context) {
  const ctx = Buffer.from(context);
  const message = Buffer.concat([DOMAIN, Buffer.from([ctx.length]), ctx, body]);
  return encodeBase64url(Buffer.concat([body, sign(null, message, secret)]));
}

/** A list's text, sometimes broken: structurally (re-signed), or after signing. */
function text(next, list) {
  const pick = (n) => Math.floor(next() * n);
  const body = encode(list);
  switch (next() < 0.7 ? -1 : pick(8)) {
    case -1: // as encoded
      return signed(body);
    case 0: { // a byte changed, re-signed: the structural rules decide
      const b = Buffer.from(body);
      b[pick(b.length)] ^= 1 << pick(8);
      return signed(b);
    }
    case 1: // bytes cut off the end, re-signed
      return signed(body.subarray(0, Math.max(0, body.length - 1 - pick(8))));
    case 2: // a byte appended, re-signed
      return signed(Buffer.concat([body, Buffer.from([pick(256)])]));
    case 3: { // a byte of the signed text changed
      const bytes = Buffer.from(signed(body), "base64url");
      bytes[pick(bytes.length)] ^= 1 << pick(8);
      return encodeBase64url(bytes);
    }
    case 4: // another context
      return signed(body, "acme/other");
    case 5: { // two entries swapped or repeated
      const r = list.revoked;
      if (r.length >= 2) {
        const i = pick(r.length - 1);
        const copy = [...r];
        if (next() < 0.5) [copy[i], copy[i + 1]] = [copy[i + 1], copy[i]];
        else copy[i + 1] = copy[i];
        return signed(encode({ ...list, revoked: copy }));
      }
      return signed(body);
    }
    case 6: // rules reversed
      return signed(encode({ ...list, rules: [...list.rules].reverse() }));
    default: // not even base64url
      return signed(body) + (next() < 0.5 ? "=" : "!");
  }
}

function randomCase(seed) {
  const next = rng(seed);
  const pick = (n) => Math.floor(next() * n);
  const loads = [];
  let seq = 1 + pick(5);
  loads.push(text(next, randomList(next, { sequence: seq, base: null })));
  for (let i = pick(3); i > 0; i--) {
    const kind = pick(4);
    if (kind === 0) loads.push(text(next, randomList(next, { sequence: seq + 1 + pick(2), base: seq }))); // a delta on the held
    else if (kind === 1) loads.push(text(next, randomList(next, { sequence: seq + 2, base: seq + 1 }))); // wrong base
    else if (kind === 2) loads.push(text(next, randomList(next, { sequence: Math.max(1, seq - pick(2)), base: null }))); // rollback or same
    else loads.push(text(next, randomList(next, { sequence: seq + 1, base: null })));
    seq += 1;
  }
  const token = file.tokens[pick(file.tokens.length)].token;
  const at = NOW + (next() < 0.7 ? pick(300) : 600 + pick(2000));
  return { loads, token, at };
}

async function jsOutcome(keys, c) {
  const revocations = await Revocations.create(keys, file.context, { graceSeconds: 60 });
  for (const list of c.loads) {
    try {
      await revocations.load(list);
    } catch (e) {
      if (!(e instanceof AdmitError)) throw e;
      return e.problem ?? e.code;
    }
  }
  try {
    await verify(c.token, keys, file.context, { now: c.at, revocations });
    return "valid";
  } catch (e) {
    if (!(e instanceof AdmitError)) throw e;
    return e.code;
  }
}

function rustOutcome(dir, c, n) {
  const args = ["verify", "--pub", join(dir, "pub.pem"), "--context", file.context, "--format", "json", "--at", String(c.at)];
  c.loads.forEach((list, i) => args.push("--revocations", writeFile(dir, `case-${n}-${i}.txt`, list)));
  args.push(c.token);
  const out = run(bin, args);
  if (out.status === 2) {
    const m = /--revocations [^:]+: \[([a-z_]+)\]/.exec(out.stderr);
    assert.ok(m, `no class in: ${out.stderr}`);
    return m[1];
  }
  const line = JSON.parse(out.stdout.trim());
  return line.valid ? "valid" : line.error;
}

test("TypeScript and Rust agree on 1,200 generated list cases", { skip: bin === null }, async () => {
  const keys = await KeySet.from([key.public_key_hex]);
  const dir = tempDir();
  writeFile(dir, "pub.pem", pemOf(key.public_key_hex));
  const tally = new Map();
  for (let n = 0; n < CASES; n++) {
    const c = randomCase(1000 + n);
    const ts = await jsOutcome(keys, c);
    const rust = rustOutcome(dir, c, n);
    assert.equal(ts, rust, `case ${n}: TypeScript ${ts}, Rust ${rust}`);
    tally.set(ts, (tally.get(ts) ?? 0) + 1);
  }
  // The generator reaches every class (a generator stuck on one answer proves nothing).
  for (const c of ["valid", "revoked", "used_up", "revocation_list_stale", "malformed", "bad_signature", "rollback", "wrong_base"]) {
    assert.ok((tally.get(c) ?? 0) > 0, `no case ended ${c}: ${[...tally]}`);
  }
});
