// Every vector of tests/vectors.json (FORMAT.md §11), through the TypeScript verifier.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { AdmitError, KeySet, findToken, verify } from "../dist/index.js";

const vectors = JSON.parse(
  readFileSync(new URL("../../tests/vectors.json", import.meta.url), "utf8"),
);
const hexOf = (bytes) => Buffer.from(bytes).toString("hex");
const keys = await KeySet.from(vectors.keys.map((k) => k.public_key_hex));
const options = (c) => ({
  now: vectors.now,
  leewaySeconds: vectors.leeway_seconds,
  ...(c.expect_email === undefined ? {} : { email: c.expect_email }),
});

test("the vector file is the one FORMAT.md describes", () => {
  assert.equal(vectors.format_version, 1);
  assert.ok(vectors.valid.length >= 15 && vectors.invalid.length >= 80);
});

// "16.0" → [16, 0]: compared part by part.
const versionOf = (text) => text.split(".").map(Number);
const olderThan = (a, b) => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
};
const runtimeUnicode = versionOf(process.versions.unicode);

for (const c of vectors.valid) {
  // A vector that needs a newer Unicode than this runtime's: refused, never decided otherwise.
  if (c.unicode !== undefined && olderThan(runtimeUnicode, versionOf(c.unicode))) {
    test(`valid on Unicode ${c.unicode}, refused on ${process.versions.unicode}: ${c.name}`, async () => {
      await assert.rejects(verify(c.token, keys, vectors.context, options(c)), {
        code: "invalid_email",
      });
    });
    continue;
  }
  test(`valid: ${c.name}`, async () => {
    const got = await verify(c.token, keys, vectors.context, options(c));
    const want = c.claims;
    assert.equal(got.id, want.id);
    assert.equal(got.issuedAt, want.issued_at);
    assert.equal(got.ttl, want.ttl);
    assert.equal(got.expiresAt, want.expires_at);
    assert.equal(got.email, want.email);
    assert.equal(got.maxUses, want.max_uses);
    assert.equal(got.inviter, want.inviter);
    assert.equal(got.data === null ? null : hexOf(got.data), want.data_hex);
  });
}

for (const c of vectors.invalid) {
  test(`invalid: ${c.name} → ${c.error}`, async () => {
    await assert.rejects(verify(c.token, keys, vectors.context, options(c)), (e) => {
      assert.ok(e instanceof AdmitError, String(e));
      assert.equal(e.code, c.error, e.message);
      return true;
    });
  });
}

for (const k of vectors.refused_keys) {
  test(`refused key: ${k.name}`, async () => {
    await assert.rejects(KeySet.from([k.public_key_hex]), { code: "invalid_key" });
  });
}

for (const set of vectors.refused_key_sets) {
  test(`refused key set: ${set.name}`, async () => {
    await assert.rejects(KeySet.from(set.public_keys_hex), { code: "duplicate_key_id" });
    // Each key alone is fine, and one key twice is one key.
    for (const key of set.public_keys_hex) assert.deepEqual((await KeySet.from([key, key])).keyIds.length, 1);
  });
}

for (const c of vectors.find_token) {
  test(`find_token: ${c.name}`, () => {
    if (c.token !== undefined) {
      assert.equal(findToken(c.text), c.token);
    } else {
      assert.throws(() => findToken(c.text), { code: c.error });
    }
  });
}

test("a token is not verified under another context", async () => {
  const c = vectors.valid[0];
  await assert.rejects(verify(c.token, keys, "acme/password-reset", options(c)), {
    code: "bad_signature",
  });
  await assert.rejects(verify(c.token, keys, "has space", options(c)), { code: "invalid_context" });
});

test("inspectUnverified reads claims without a key, and names the key", async () => {
  const { inspectUnverified } = await import("../dist/index.js");
  const c = vectors.valid.find((v) => v.name === "email_one_time");
  const seen = inspectUnverified(c.token);
  assert.equal(seen.claims.email, "ada@example.com");
  assert.equal(seen.keyId, vectors.keys[0].key_id);
  assert.throws(() => inspectUnverified("!!!"), { code: "malformed" });
});
