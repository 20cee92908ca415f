// Standard Webhooks (spec v1): webhook-id, webhook-timestamp and a space-separated webhook-signature list.
import { createHmac, createPrivateKey, randomBytes, sign, type KeyObject } from "node:crypto";
import { defineAuth, Type } from "../src/plugins/contract.ts";
import { previousSecrets, signingSecrets } from "./rotation.ts";

const B64 = "[A-Za-z0-9+/]";
// Padded base64 of 24 to 64 bytes: 8–20 full groups with any tail, or 21 full groups (63 bytes) plus at most one byte.
const SECRET_PATTERN = `^whsec_(?:${B64}{4}){8,20}(?:${B64}{2}==|${B64}{3}=)?$|^whsec_(?:${B64}{4}){21}(?:${B64}{2}==)?$`;
const Secret = Type.String({ pattern: SECRET_PATTERN, writeOnly: true, description: "whsec_ followed by the padded base64 of 24 to 64 random bytes" });

const Options = Type.Object(
  {
    secret: Secret,
    previous_secrets: previousSecrets(Secret),
    signing_key: Type.Optional(Type.String({ pattern: `^whsk_${B64}{43}=$`, writeOnly: true, description: "whsk_ followed by the base64 of a 32-byte Ed25519 seed" })),
    header_prefix: Type.Optional(Type.Union([Type.Literal("webhook"), Type.Literal("svix")], { description: "webhook (default) or svix" })),
  },
  { additionalProperties: false },
);

// A 32-byte Ed25519 seed becomes a PKCS#8 private key by prefixing this fixed DER header (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function ed25519Key(signingKey: string): KeyObject {
  const seed = Buffer.from(signingKey.slice("whsk_".length), "base64");
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
}

function hmacSignature(secret: string, content: Buffer): string {
  // The key is the decoded bytes after whsec_, not the string itself: that is what every verifier does.
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  return `v1,${createHmac("sha256", key).update(content).digest("base64")}`;
}

export default defineAuth({
  kind: "auth",
  name: "standard-webhooks",
  options: Options,
  headerNames: ["webhook-id", "webhook-timestamp", "webhook-signature", "svix-id", "svix-timestamp", "svix-signature"],
  generateSecret: () => `whsec_${randomBytes(32).toString("base64")}`,
  headers(request, options, ctx) {
    const now = ctx.now();
    const id = request.deliveryId; // stable across retries: the receiver's idempotency key
    const timestamp = String(Math.floor(now / 1000)); // the send time, so a receiver's freshness check passes
    // Sign the exact bytes that are POSTed: decoding and re-encoding the body could change them.
    const content = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), request.body]);

    // While a secret rotates, receivers may still hold an old one: sign with each until its grace ends.
    const signatures = signingSecrets(options.secret, options.previous_secrets, now).map((secret) => hmacSignature(secret, content));
    if (options.signing_key) signatures.push(`v1a,${sign(null, content, ed25519Key(options.signing_key)).toString("base64")}`);

    const prefix = options.header_prefix ?? "webhook";
    return {
      [`${prefix}-id`]: id,
      [`${prefix}-timestamp`]: timestamp,
      [`${prefix}-signature`]: signatures.join(" "),
    };
  },
});
