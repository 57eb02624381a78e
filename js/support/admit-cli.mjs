// The Rust CLI, for the tests that compare the two implementations.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const built = fileURLToPath(new URL("../../target/debug/admit", import.meta.url));

/**
 * The `admit` binary: $ADMIT_BIN, else ../target/debug/admit (`cargo build --all-features`).
 * Missing under CI=true is a failure; elsewhere the tests that need it say so and skip.
 */
export function admitBinary() {
  const path = process.env.ADMIT_BIN || built;
  if (existsSync(path)) return path;
  const why = `no admit binary at ${path}: run \`cargo build --all-features\` first or set ADMIT_BIN`;
  if (process.env.CI === "true") throw new Error(why);
  console.error(`\n*** SKIPPING the Rust comparison tests: ${why} ***\n`);
  return null;
}

export function run(bin, args, input) {
  const result = spawnSync(bin, args, { input, encoding: "utf8", maxBuffer: 64 << 20 });
  if (result.error) throw result.error;
  return result;
}

export function tempDir() {
  return mkdtempSync(join(tmpdir(), "admit-js-"));
}

/** SPKI PEM of a raw 32-byte Ed25519 public key. */
export function pemOf(publicKeyHex) {
  const der = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(publicKeyHex, "hex")]);
  return `-----BEGIN PUBLIC KEY-----\n${der.toString("base64")}\n-----END PUBLIC KEY-----\n`;
}

export function writeFile(dir, name, text) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export { execFileSync };
