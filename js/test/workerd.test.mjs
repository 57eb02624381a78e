// examples/edge.ts, run as Cloudflare runs it: in workerd (the Workers runtime, from npm),
// with the key and the list URL in `env`. Tokens minted and a list published by the Rust CLI
// from a SQLite store; the list served over HTTP with ETag and max-age. Valid, tampered,
// expired and revoked-by-list tokens each get their answer, and the list is fetched once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createPrivateKey, sign } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeBase64url } from "../dist/base64url.js";
import { admitBinary, run, tempDir } from "../support/admit-cli.mjs";

const bin = admitBinary();
const workerd = fileURLToPath(new URL("../node_modules/.bin/workerd", import.meta.url));
const haveWorkerd = existsSync(workerd);
if (!haveWorkerd) {
  const why = "no workerd in js/node_modules (npm ci installs it)";
  if (process.env.CI === "true") throw new Error(why);
  console.error(`\n*** SKIPPING the workerd test: ${why} ***\n`);
}

function ok(result) {
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

/** A token minted by hand (FORMAT.md §1–§4), issued long ago and expired. */
function expiredToken(keyPem, publicKeyId) {
  const body = [1, ...publicKeyId, 0x01, ...Array.from({ length: 12 }, (_, i) => i + 1)];
  const varint = (n) => {
    while (n >= 0x80) {
      body.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    body.push(n);
  };
  varint(Math.floor(Date.now() / 1000) - 100_000);
  varint(3600);
  const ctx = Buffer.from("acme/invite");
  const message = Buffer.concat([Buffer.from("admit.invitation.v1\0"), Buffer.from([ctx.length]), ctx, Buffer.from(body)]);
  return encodeBase64url(Buffer.concat([Buffer.from(body), sign(null, message, createPrivateKey(keyPem))]));
}

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

test("the edge example answers in workerd", { skip: bin === null || !haveWorkerd, timeout: 120_000 }, async () => {
  const dir = tempDir();
  const admit = (...args) => ok(run(bin, args.map(String)));
  admit("keygen", "--out", join(dir, "key.pem"));
  const publicPem = admit("pubkey", "--key", join(dir, "key.pem")) + "\n";
  writeFileSync(join(dir, "pub.pem"), publicPem);
  const store = `sqlite://${join(dir, "admit.db")}`;
  admit("store", "init", "--store", store);
  const mint = () => admit("mint", "--key", join(dir, "key.pem"), "--context", "acme/invite", "--store", store);
  const valid = mint();
  const revoked = mint();
  admit("revoke", "--store", store, "--pub", join(dir, "pub.pem"), "--context", "acme/invite", revoked);
  admit("revocations", "publish", "--store", store, "--key", join(dir, "key.pem"), "--context", "acme/invite",
    "--out", join(dir, "list.txt"));
  const list = readFileSync(join(dir, "list.txt"), "utf8");
  const keyId = Buffer.from(valid, "base64url").subarray(1, 5);
  const expired = expiredToken(readFileSync(join(dir, "key.pem"), "utf8"), keyId);
  const tampered = valid.slice(0, 40) + (valid[40] === "A" ? "B" : "A") + valid.slice(41);

  // The list, served as object storage would: ETag, max-age, 304 on If-None-Match.
  let fetches = 0;
  const listServer = createServer((req, res) => {
    fetches += 1;
    if (req.headers["if-none-match"] === '"v1"') {
      res.writeHead(304).end();
      return;
    }
    res.writeHead(200, { etag: '"v1"', "cache-control": "max-age=60", "content-type": "text/plain" }).end(list);
  });
  await new Promise((r) => listServer.listen(0, "127.0.0.1", r));
  const listUrl = `http://127.0.0.1:${listServer.address().port}/list.txt`;

  let child;
  try {
    // The worker: examples/edge.ts compiled, its import of the package pointed at dist/.
    const out = join(dir, "worker");
    mkdirSync(out);
    const js = fileURLToPath(new URL("..", import.meta.url));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      extends: join(js, "tsconfig.examples.json"),
      compilerOptions: {
        noEmit: false,
        allowImportingTsExtensions: false,
        outDir: out,
        rootDir: js,
        declaration: false,
        sourceMap: false,
      },
      include: [join(js, "examples/edge.ts")],
    }));
    const tsc = spawnSync(fileURLToPath(new URL("../node_modules/.bin/tsc", import.meta.url)), ["-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    const edge = readFileSync(join(out, "examples/edge.js"), "utf8").replace(/from "admit-verify"/g, 'from "./index.js"');
    writeFileSync(join(out, "edge.js"), edge);
    // Every module beside the config: capnp embeds read paths relative to it.
    const dist = join(js, "dist");
    const names = readdirSync(dist).filter((f) => f.endsWith(".js"));
    for (const f of names) writeFileSync(join(out, f), readFileSync(join(dist, f)));
    const modules = ["edge.js", ...names].map((f) => `(name = "${f}", esModule = embed "worker/${f}")`);
    const port = await freePort();
    const capnp = `using Workerd = import "/workerd/workerd.capnp";
  const config :Workerd.Config = (
    services = [
      (name = "main", worker = .worker),
      (name = "internet", network = (allow = ["public", "private", "local"])),
    ],
    sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
  );
  const worker :Workerd.Worker = (
    modules = [${modules.join(", ")}],
    compatibilityDate = "2026-11-01",
    bindings = [
      (name = "PUBLIC_KEY_PEM", text = ${JSON.stringify(publicPem)}),
      (name = "REVOCATIONS_URL", text = ${JSON.stringify(listUrl)}),
    ],
    globalOutbound = "internet",
  );
  `;
    writeFileSync(join(dir, "config.capnp"), capnp);
    child = spawn(workerd, ["serve", join(dir, "config.capnp")], { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stdout.on("data", (d) => (log += d));
    child.stderr.on("data", (d) => (log += d));
    const ask = async (token) => {
      const response = await fetch(`http://127.0.0.1:${port}/join?invitation=${encodeURIComponent(token)}`);
      return [response.status, await response.text()];
    };
    // Wait for workerd to listen.
    for (let i = 0; ; i++) {
      try {
        await fetch(`http://127.0.0.1:${port}/`);
        break;
      } catch {
        assert.ok(i < 200, `workerd did not start: ${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const [status, body] = await ask(valid);
    assert.equal(status, 200, `${body}\n${log}`);
    assert.equal(JSON.parse(body).id.length, 24);
    assert.deepEqual(await ask(revoked), [403, "revoked"]);
    assert.deepEqual(await ask(expired), [403, "expired"]);
    const [tamperedStatus, tamperedCode] = await ask(tampered);
    assert.equal(tamperedStatus, 403);
    assert.ok(["bad_signature", "malformed", "invalid_claim"].includes(tamperedCode), tamperedCode);
    assert.equal(fetches, 1, "the list is fetched once and cached for its max-age");
  } finally {
    child?.kill("SIGTERM");
    listServer.close();
  }
});
