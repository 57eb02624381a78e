// Every case of tests/revocation_vectors.json (FORMAT.md R.9), through the TypeScript verifier:
// each load gives the listed class, then each token check.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { AdmitError, KeySet, Revocations, verify } from "../dist/index.js";

const file = JSON.parse(
  readFileSync(new URL("../../tests/revocation_vectors.json", import.meta.url), "utf8"),
);
const keys = await KeySet.from(file.keys.map((k) => k.public_key_hex));

/** The class of an outcome, as the vectors name it. */
async function classOf(promise, ok) {
  try {
    await promise;
    return ok;
  } catch (e) {
    if (!(e instanceof AdmitError)) throw e;
    return e.code === "revocation_list_refused" ? e.problem : e.code;
  }
}

test("the vector file is the one FORMAT.md R.9 describes", () => {
  assert.equal(file.list_version, 1);
  assert.ok(file.cases.length >= 25);
});

const seen = new Set();
for (const c of file.cases) {
  test(`list: ${c.name}`, async () => {
    const revocations = await Revocations.create(keys, file.context, { graceSeconds: file.grace_seconds });
    for (const [i, load] of c.loads.entries()) {
      const got = await classOf(revocations.load(load.list), "loaded");
      assert.equal(got, load.expect, `load ${i}`);
      seen.add(got);
    }
    for (const [i, check] of c.checks.entries()) {
      const got = await classOf(
        verify(check.token, keys, file.context, { now: check.at, leewaySeconds: 60, revocations }),
        "valid",
      );
      assert.equal(got, check.expect, `check ${i}`);
      seen.add(got);
    }
  });
}

test("every class is exercised", () => {
  for (const c of ["loaded", "malformed", "too_large", "unsupported_version", "unknown_key", "bad_signature",
    "rollback", "wrong_base", "valid", "revoked", "used_up", "revocation_list_stale"]) {
    assert.ok(seen.has(c), c);
  }
});
