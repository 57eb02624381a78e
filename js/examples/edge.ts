// An edge function (Cloudflare Workers, Vercel, Netlify, Deno Deploy): verify the invitation in
// the link with the public key alone. Type-checked by `npm test`; shown in README.md.
declare const PUBLIC_KEY_PEM: string; // the output of `admit pubkey`, from your configuration

import { AdmitError, KeySet, verify } from "admit-verify";
const keys = KeySet.from([PUBLIC_KEY_PEM]); // checked and imported once
export default async function handler(request: Request): Promise<Response> {
  const token = new URL(request.url).searchParams.get("invitation") ?? "";
  try {
    const invitation = await verify(token, await keys, "acme/invite");
    return Response.json({ id: invitation.id, email: invitation.email });
  } catch (e) {
    return new Response(e instanceof AdmitError ? e.code : "error", { status: 403 });
  }
}
