// Tokens minted by the Rust CLI during the test, verified here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KeySet, findToken, verify } from "../dist/index.js";
import { admitBinary, run, tempDir } from "../support/admit-cli.mjs";

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

test("addresses are normalized exactly as the Rust crate does it", { skip: bin === null }, async () => {
  const { normalizeEmail } = await import("../dist/index.js");
  const dir = tempDir();
  const key = join(dir, "key.pem");
  assert.equal(run(bin, ["keygen", "--out", key]).status, 0);
  const typed = [
    "Ada@Example.COM", " \t ada@example.com \r\n", "ÅSA@Example.se", "Zoe\u0308@EXA\u0308MPLE.com",
    "ZOË@example.com", "\u212aate@example.com", "\u212bsa@example.com", "\u2126@example.com",
    "ada\u202e@example.com", "ad\u200ba@example.com", "\u00a0ada@example.com", "\u001cada@example.com",
    "ada@example.com\u0085", "\ufeffada@example.com", "a!#$%&'*+-/=?^_`{|}~@x", "\"ada\"@example.com",
    "ada lovelace@example.com", "<ada>@example.com", "ada,b@example.com", "ada@[192.0.2.1]",
    ".ada@example.com", "ada.@example.com", "ada..b@example.com", "ada@example.com.", "ada@@example.com",
    "@example.com", "ada@", "ada", "", "   ", "用户@例子.广告", "\ua7cbx@example.com", "x@\ud83d\ude00.example",
    `${"l".repeat(64)}@${"d".repeat(185)}.com`, `${"l".repeat(65)}@example.com`,
    `${"l".repeat(64)}@${"d".repeat(186)}.com`, "A\u030a@example.com", "\u1100\u1161\u11a8@example.com",
    "e\u0301\u0301@example.com", "ａｄａ@example.com", "ada@ＥＸＡＭＰＬＥ.com", "\u0130stanbul@example.com",
  ];
  for (const address of typed) {
    const minted = run(bin, ["mint", "--key", key, "--context", "acme/js-test", "--format", "json", "--email", address]);
    const ours = normalizeEmail(address);
    if (minted.status === 0) {
      assert.equal(ours, JSON.parse(minted.stdout).email, JSON.stringify(address));
    } else {
      assert.equal(ours, null, `${JSON.stringify(address)}: Rust refused (${minted.stderr.trim()})`);
    }
  }
});
