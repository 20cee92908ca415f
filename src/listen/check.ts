// What a local receiver expects of a delivery (scheme and secrets), and the check of one received delivery.
import { timingSafeEqual } from "node:crypto";
import { verifyOneCodex, verifyStandardWebhooks } from "../verify/index.ts";

export const LISTEN_SCHEMES = ["onecodex", "standard-webhooks", "basic", "none"] as const;
export type ListenScheme = (typeof LISTEN_SCHEMES)[number];

/** For `basic`, each secret is `username:password`; `none` accepts anything unchecked. */
export interface Expectation {
  scheme: ListenScheme;
  secrets: string[];
}

/** verified: null when nothing was checked (scheme none). */
export type CheckResult = { verified: true } | { verified: false; reason: string } | { verified: null };

export function checkDelivery(expect: Expectation, headers: Headers, body: Uint8Array, now = Date.now()): CheckResult {
  if (expect.scheme === "none") return { verified: null };
  if (expect.scheme === "basic") return checkBasic(headers.get("authorization"), expect.secrets);
  try {
    const result =
      expect.scheme === "onecodex"
        ? verifyOneCodex({ body, header: headers.get("x-onecodex-signature"), secrets: expect.secrets, now })
        : verifyStandardWebhooks({ body, headers, secrets: expect.secrets, now });
    return result.ok ? { verified: true } : { verified: false, reason: result.reason };
  } catch (error) {
    return { verified: false, reason: (error as Error).message }; // an unusable secret: say so on each delivery
  }
}

/** RFC 7617: `Basic base64(user:password)`, compared whole and in constant time. */
function checkBasic(header: string | null, credentials: string[]): CheckResult {
  if (header === null) return { verified: false, reason: "missing header" };
  const match = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (!match) return { verified: false, reason: "malformed header" };
  const received = Buffer.from(match[1]!, "base64");
  const matched = credentials.some((expected) => {
    const wanted = Buffer.from(expected, "utf8");
    return wanted.length === received.length && timingSafeEqual(wanted, received);
  });
  return matched ? { verified: true } : { verified: false, reason: "wrong username or password" };
}
