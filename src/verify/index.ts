/**
 * Checking a Herald delivery on the receiver's side, for the two signature schemes Herald sends, following the
 * steps their documents give (One Codex "Checking Signatures"; Standard Webhooks spec v1). It needs node:crypto
 * and nothing else from Herald: import it as `herald/verify` or copy this one file.
 *
 * ```ts
 * import { verifyOneCodex, verifyStandardWebhooks } from "herald/verify";
 *
 * Bun.serve({
 *   async fetch(req) {
 *     // The raw bytes as received: a body parsed and re-serialised is not what was signed.
 *     const body = new Uint8Array(await req.arrayBuffer());
 *     const check = verifyOneCodex({ body, header: req.headers.get("x-onecodex-signature"), secrets: process.env.WEBHOOK_SECRET! });
 *     // or: verifyStandardWebhooks({ body, headers: req.headers, secrets: ["whsec_new...", "whsec_old..."] })
 *     if (!check.ok) return new Response(check.reason, { status: 401 });
 *     const event = JSON.parse(new TextDecoder().decode(body));
 *     // ... handle the event, sent at check.timestamp (unix seconds) ...
 *     return new Response(null, { status: 204 });
 *   },
 * });
 * ```
 *
 * Several secrets may be given (old and new, while a secret rotates): a delivery is valid when any secret's
 * signature equals any signature in the header.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type VerifyFailure = "missing header" | "malformed header" | "no signature matched" | "timestamp outside tolerance";

/** `timestamp` is the signed send time, unix seconds. */
export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: VerifyFailure };

export interface VerifyCommonOptions {
  /** The request body exactly as received; a string is taken as its UTF-8 bytes. */
  body: string | Uint8Array;
  /** The secret, or several to try (rotation). */
  secrets: string | readonly string[];
  /** The current time, unix milliseconds (default `Date.now()`); set it to check a saved delivery. */
  now?: number;
  /** How far the signed timestamp may be from `now`, either way (default 300). */
  toleranceSeconds?: number;
}

/** A `Headers` object (fetch, Bun.serve) or a plain record such as Node's `req.headers`; names match in any case. */
export type HeaderSource = { get(name: string): string | null } | Record<string, string | readonly string[] | undefined>;

export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * One Codex: `X-OneCodex-Signature: t=<unix seconds> v1=<hex HMAC-SHA256 of "<t>.<body>">`, more `v1=` parts
 * while a secret rotates. `header` takes `headers.get(...)` directly: null or undefined is "missing header".
 */
export function verifyOneCodex(options: VerifyCommonOptions & { header: string | null | undefined }): VerifyResult {
  const secrets = secretList(options.secrets);
  const tolerance = toleranceOf(options);
  if (options.header == null || options.header.trim() === "") return { ok: false, reason: "missing header" };
  const parsed = parseOneCodexHeader(options.header);
  if (!parsed) return { ok: false, reason: "malformed header" };
  const signed = concat(`${parsed.timestamp}.`, options.body);
  const expected = secrets.map((secret) => createHmac("sha256", secret).update(signed).digest("hex"));
  return decide(parsed.timestamp, expected, parsed.signatures, tolerance, options.now);
}

/**
 * Standard Webhooks (and Svix): headers `webhook-id`, `webhook-timestamp`, `webhook-signature` (or the same with
 * `svix-`); the signature header lists `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` entries; other
 * versions (`v1a` is Ed25519) are skipped. A secret is `whsec_<base64>`, the key being the decoded bytes (bare
 * base64 is accepted too, as the reference library does). An invalid secret is a bug in the caller: it throws.
 */
export function verifyStandardWebhooks(options: VerifyCommonOptions & { headers: HeaderSource }): VerifyResult {
  const keys = secretList(options.secrets).map(standardWebhooksKey);
  const tolerance = toleranceOf(options);
  const id = standardHeader(options.headers, "id");
  const timestampText = standardHeader(options.headers, "timestamp");
  const signatureList = standardHeader(options.headers, "signature");
  if (id === undefined || timestampText === undefined || signatureList === undefined) return { ok: false, reason: "missing header" };
  const timestamp = wholeSeconds(timestampText);
  if (timestamp === null) return { ok: false, reason: "malformed header" };
  const signatures = signatureList
    .trim()
    .split(/\s+/)
    .filter((entry) => entry.startsWith("v1,"))
    .map((entry) => entry.slice("v1,".length));
  const signed = concat(`${id}.${timestamp}.`, options.body);
  const expected = keys.map((key) => createHmac("sha256", key).update(signed).digest("base64"));
  return decide(timestamp, expected, signatures, tolerance, options.now);
}

/** Signatures first, then time: "timestamp outside tolerance" then always means authentic but too old (or new). */
function decide(timestamp: number, expected: string[], received: string[], tolerance: number, now = Date.now()): VerifyResult {
  const matched = expected.some((mine) => received.some((theirs) => constantTimeEqual(mine, theirs)));
  if (!matched) return { ok: false, reason: "no signature matched" };
  if (Math.abs(Math.floor(now / 1000) - timestamp) > tolerance) return { ok: false, reason: "timestamp outside tolerance" };
  return { ok: true, timestamp };
}

/** Splits on spaces, takes `t=` and every `v1=`; other `key=value` parts are schemes this code does not know yet. */
function parseOneCodexHeader(header: string): { timestamp: number; signatures: string[] } | null {
  let timestamp: number | null | undefined;
  const signatures: string[] = [];
  for (const part of header.trim().split(/\s+/)) {
    const equals = part.indexOf("=");
    if (equals <= 0) return null;
    const key = part.slice(0, equals);
    const value = part.slice(equals + 1);
    if (key === "t") {
      if (timestamp !== undefined) return null;
      timestamp = wholeSeconds(value);
    } else if (key === "v1") {
      signatures.push(value);
    }
  }
  if (timestamp == null || signatures.length === 0) return null;
  return { timestamp, signatures };
}

function standardHeader(headers: HeaderSource, field: "id" | "timestamp" | "signature"): string | undefined {
  const value = headerValue(headers, `webhook-${field}`) ?? headerValue(headers, `svix-${field}`);
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (typeof headers.get === "function") return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    return typeof value === "string" ? value : value.join(", ");
  }
  return undefined;
}

function standardWebhooksKey(secret: string): Uint8Array {
  const base64 = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  // Buffer's decoder skips characters that are not base64; a typo would silently become another key.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw new TypeError("a Standard Webhooks secret is whsec_ followed by base64");
  return Buffer.from(base64, "base64");
}

function secretList(secrets: string | readonly string[]): readonly string[] {
  const list = typeof secrets === "string" ? [secrets] : secrets;
  if (list.length === 0 || list.some((secret) => secret === "")) throw new TypeError("at least one secret is needed, and none may be empty");
  return list;
}

function toleranceOf(options: VerifyCommonOptions): number {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new TypeError("toleranceSeconds must be a number of seconds, 0 or more");
  return tolerance;
}

/** Whole seconds (a time or a tolerance) as headers and `herald verify` give them: digits only, no sign, fraction or exponent. */
export function wholeSeconds(text: string): number | null {
  return /^\d{1,15}$/.test(text) ? Number(text) : null;
}

function concat(prefix: string, body: string | Uint8Array): Uint8Array {
  const encoder = new TextEncoder();
  const head = encoder.encode(prefix);
  const tail = typeof body === "string" ? encoder.encode(body) : body;
  const bytes = new Uint8Array(head.length + tail.length);
  bytes.set(head);
  bytes.set(tail, head.length);
  return bytes;
}

/** Length is not secret (every v1 has the same length); only the content comparison must not leak timing. */
function constantTimeEqual(mine: string, theirs: string): boolean {
  const a = Buffer.from(mine);
  const b = Buffer.from(theirs);
  return a.length === b.length && timingSafeEqual(a, b);
}
