// One Codex's signature: `X-OneCodex-Signature: t=<unix seconds> v1=<hex HMAC-SHA256 of "<t>.<raw body>">`,
// keyed with the subscription's secret, exactly as One Codex's "Checking Signatures" tells receivers to verify.
import { createHmac, randomBytes } from "node:crypto";
import { Type } from "@sinclair/typebox";
import { defineAuth } from "../src/plugins/contract.ts";
import { previousSecrets, signingSecrets } from "./rotation.ts";

export const ONECODEX_SIGNATURE_HEADER = "X-OneCodex-Signature";

export function onecodexSignature(secret: string, timestamp: number, body: Uint8Array): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
}

export default defineAuth({
  kind: "auth",
  name: "onecodex-signature",
  headerNames: [ONECODEX_SIGNATURE_HEADER],
  options: Type.Object(
    {
      secret: Type.String({ minLength: 1, writeOnly: true, description: "the webhook secret (One Codex's default is the account's API key)" }),
      previous_secrets: previousSecrets(),
    },
    { additionalProperties: false },
  ),
  generateSecret: () => randomBytes(32).toString("hex"),
  headers(request, options, ctx) {
    // t is the time of this POST (not the event's triggered_at): receivers reject stale ones.
    const t = Math.floor(ctx.now() / 1000);
    // During a rotation each secret still in grace adds one more `v1=`; a receiver accepts if any matches.
    const signatures = signingSecrets(options.secret, options.previous_secrets, ctx.now()).map((secret) => `v1=${onecodexSignature(secret, t, request.body)}`);
    return { [ONECODEX_SIGNATURE_HEADER]: `t=${t} ${signatures.join(" ")}` };
  },
});
