// Request bodies: JSON only, and never more than the configured size, whether the client declared a
// Content-Length or streams a chunked body; read only for a known API key, and only while all bodies being
// read fit in the memory allowed them.
import { Elysia } from "elysia";
import type { BodyBudget } from "./body-budget.ts";

/** A body refused before it is parsed; `app.ts` turns it into the error envelope. */
export class BodyRefused extends Error {
  constructor(
    readonly status: 400 | 401 | 413 | 415 | 429 | 503,
    readonly code: string,
    message: string,
    /** Seconds a 429 or 503 asks the client to wait. */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

// application/json, or any +json type (RFC 6839), with or without parameters such as charset.
const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

export function tooLarge(maxBytes: number) {
  return new BodyRefused(413, "body_too_large", `request bodies are limited to ${maxBytes} bytes`);
}

function overBudget(budget: BodyBudget) {
  return new BodyRefused(503, "server_busy", `the request bodies being read already hold what server.max_body_memory allows (${budget.limitBytes} bytes); try again shortly`);
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The body's bytes, never more than `maxBytes`, each reserved in `budget` first (`reserved` counts them, for the
 * caller to give back). A declared length is known before anything is read (and Bun delivers exactly that many
 * bytes), so such a body is refused or read whole at once; a chunked one is read with a running count and
 * refused at the first byte over, without being buffered whole.
 */
async function bodyBytes(request: Request, maxBytes: number, budget: BodyBudget, reserved: { bytes: number }): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared)) {
    if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
    if (!budget.take(Number(declared))) throw overBudget(budget);
    reserved.bytes = Number(declared);
    return new Uint8Array(await request.arrayBuffer());
  }
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    const refusal = size > maxBytes ? tooLarge(maxBytes) : budget.take(value.byteLength) ? null : overBudget(budget);
    if (refusal) {
      await reader.cancel().catch(() => undefined);
      throw refusal;
    }
    reserved.bytes += value.byteLength;
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The JSON body, of at most `maxBytes` and within `budget` (see bodyBytes). An empty body is `undefined`. */
export async function readJsonBody(request: Request, maxBytes: number, budget: BodyBudget): Promise<unknown> {
  if (!request.body) return undefined;
  const reserved = { bytes: 0 };
  try {
    const bytes = await bodyBytes(request, maxBytes, budget, reserved);
    if (bytes.byteLength === 0) return undefined;
    // fatal: bytes that are not UTF-8 are a malformed body, not text with replacement characters.
    const value: unknown = JSON.parse(UTF8.decode(bytes));
    if (nestedDeeperThan(value, MAX_NESTING)) {
      throw new BodyRefused(400, "too_deep", `JSON nested more than ${MAX_NESTING} levels deep is refused`);
    }
    return value;
  } finally {
    budget.give(reserved.bytes);
  }
}

/** No Content-Type at all is read as JSON (clients such as curl --data-binary omit it); any other is refused. */
function checkContentType(request: Request) {
  const type = request.headers.get("content-type");
  if (type !== null && !JSON_TYPE.test(type)) {
    throw new BodyRefused(415, "unsupported_media_type", `request bodies must be application/json, not ${JSON.stringify(type.slice(0, 100))}`);
  }
}

/**
 * Far more than any real record needs. Deeper values are refused at the door: validating, storing and
 * serialising them recurses, and a few hundred thousand levels overflow the stack there.
 */
export const MAX_NESTING = 64;

/** Walks the value with a stack of its own, so that checking a deep value cannot overflow either. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (typeof item !== "object" || item === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}

/**
 * Parses every request body of the app. It runs before a route's own `parse: "json"`, which then never reads
 * anything (routes keep it so that the API document says their bodies are JSON). What the headers alone decide
 * comes first, for anyone: another type is a 415, and a body without a known API key (`knownKey`, every route
 * that takes a body takes a key) a 401, unread. Then the body is read within `budget` (503 beyond): over the
 * limit it is a 413, not JSON a 400. A key of another role is refused later, at the route (403).
 */
export function jsonBodies(maxBytes: number, budget: BodyBudget, knownKey: (request: Request) => BodyRefused | null) {
  return new Elysia({ name: "herald-json-bodies" }).onParse({ as: "global" }, async ({ request }) => {
    checkContentType(request);
    const refusal = knownKey(request);
    if (refusal) throw refusal;
    // No body reads as {}: every body schema is then checked, since Elysia skips checking an optional one
    // whenever the body is not a non-empty object.
    const body = await readJsonBody(request, maxBytes, budget);
    return body === undefined ? {} : body; // a JSON null stays null, and is refused by the schema
  });
}
