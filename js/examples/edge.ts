// An edge function for Cloudflare Workers: verify the invitation in the link with the public
// key alone, and refuse what the latest revocation list revokes. Type-checked by `npm test`;
// shown in README.md and js/README.md.
//
// Workers call `fetch(request, env, ctx)` on the default export and hand configuration in
// `env` (set PUBLIC_KEY_PEM with `wrangler secret put`, REVOCATIONS_URL in wrangler.toml).
// Deno Deploy: `Deno.serve((request) => worker.fetch(request, Deno.env.toObject()))`.
// Vercel Edge: `export const config = { runtime: "edge" }` and
// `export default (request: Request) => worker.fetch(request, process.env)`.
import { AdmitError, KeySet, Revocations, verify } from "admit-verify";

interface Env {
  /** The output of `admit pubkey`. */
  PUBLIC_KEY_PEM: string;
  /** Where `admit revocations publish --out` puts the list (object storage, a KV route). */
  REVOCATIONS_URL: string;
}

// Kept for the life of the isolate: keys checked once, the list fetched again when its
// `Cache-Control: max-age` runs out (with `If-None-Match`, so an unchanged list costs a 304).
let setup: Promise<{ keys: KeySet; revocations: Revocations }> | undefined;
let etag: string | null = null;
let freshUntil = 0;

async function refresh(env: Env, revocations: Revocations): Promise<void> {
  if (Date.now() < freshUntil) return;
  // While the list cannot be fetched, try again every 10 s, not on every request.
  freshUntil = Date.now() + 10_000;
  const response = await fetch(env.REVOCATIONS_URL, {
    headers: etag ? { "if-none-match": etag } : {},
  });
  const maxAge = /max-age=(\d+)/.exec(response.headers.get("cache-control") ?? "");
  freshUntil = Date.now() + 1000 * Number(maxAge?.[1] ?? 30);
  if (response.status === 304) return;
  if (!response.ok) throw new Error(`revocation list: HTTP ${response.status}`);
  // A refused list (older, or not signed by our key) leaves the held one in place; an overdue
  // held list makes verify fail closed with `revocation_list_stale`.
  await revocations.load((await response.text()).trim()).catch(() => undefined);
  etag = response.headers.get("etag");
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    setup ??= (async () => {
      const keys = await KeySet.from([env.PUBLIC_KEY_PEM]);
      return { keys, revocations: await Revocations.create(keys, "acme/invite") };
    })();
    const { keys, revocations } = await setup;
    await refresh(env, revocations).catch(() => undefined);
    const token = new URL(request.url).searchParams.get("invitation") ?? "";
    try {
      const invitation = await verify(token, keys, "acme/invite", { revocations });
      return Response.json({ id: invitation.id, email: invitation.email });
    } catch (e) {
      const code = e instanceof AdmitError ? e.code : "error";
      return new Response(code, { status: code === "revocation_list_stale" ? 503 : 403 });
    }
  },
};
