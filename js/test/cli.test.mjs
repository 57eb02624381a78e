// Tokens minted by the Rust CLI during the test, verified here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KeySet, findToken, verify } from "../dist/index.js";
import { admitBinary, run, tempDir } from "./admit-cli.mjs";

const bin = admitBinary();
const unix = (rfc3339) => (rfc3339 === null ? null : Date.parse(rfc3339) / 1000);

test("tokens minted by the admit CLI verify here with the same claims", { skip: bin === null }, async () => {
  const dir = tempDir();
  const key = join(dir, "key.pem");
  assert.equal(run(bin, ["keygen", "--out", key]).status, 0);
  const pem = run(bin, ["pubkey", "--key", key]).stdout;
  const keys = await KeySet.from([pem]);
  const context = "acme/js-test";
  const variants = [
    [],
    ["--email", "Ada.Lovelace@Example.COM", "--max-uses", "1", "--ttl", "2d"],
    ["--inviter", "Zoë Ångström", "--no-expiry"],
    ["--email", "zoë@exämple.com", "--inviter", "ops", "--max-uses", "4294967295"],
    ["--data-hex", "00ff10", "--ttl", "90s"],
    ["--email", "a!#$%&'*+-/=?^_`{|}~@x.example", "--url", "https://app.example/join?lang=fr"],
  ];
  for (const extra of variants) {
    const minted = run(bin, ["mint", "--key", key, "--context", context, "--format", "json", ...extra]);
    assert.equal(minted.status, 0, minted.stderr);
    const out = JSON.parse(minted.stdout);
    const token = findToken(out.token ?? out.url);
    const got = await verify(token, keys, context);
    const seen = JSON.parse(run(bin, ["inspect", "--format", "json", token]).stdout);
    assert.equal(got.id, out.id);
    assert.equal(got.email, out.email);
    assert.equal(got.expiresAt, unix(out.expires_at));
    assert.equal(got.keyId, seen.key_id);
    assert.equal(got.issuedAt, unix(seen.issued_at));
    assert.equal(got.inviter, seen.inviter);
    assert.equal(got.maxUses, seen.max_uses);
    if (extra.includes("--data-hex")) assert.equal(Buffer.from(got.data).toString("hex"), "00ff10");
    if (got.email !== null) {
      const typed = got.email.replace(/^./, (c) => c.toUpperCase());
      assert.equal((await verify(token, keys, context, { email: ` ${typed}\n` })).id, out.id);
      await assert.rejects(verify(token, keys, context, { email: "eve@example.com" }), { code: "email_mismatch" });
    }
  }
  assert.match(readFileSync(key, "utf8"), /BEGIN PRIVATE KEY/);
});
