// The HTTP edge: one POST, bounded in time and in how much of the answer is read.
import { isIP } from "node:net";
import { classifyFetchError, type ErrorKind } from "./error-kind.ts";
import { hostOf, resolveTargets, type OutboundPolicy, type Resolver } from "./outbound.ts";
import { DIRECT, type Connection } from "./transport.ts";

export const RESPONSE_BODY_LIMIT = 4096;

export interface SendResult {
  status: number | null;
  /** The first RESPONSE_BODY_LIMIT bytes of the answer, as text. */
  body: string | null;
  durationMs: number;
  error: { kind: ErrorKind | "plugin" | "gone"; message: string } | null;
  /** The answer's Retry-After header as sent (cut to RETRY_AFTER_LIMIT characters), if any. */
  retryAfter?: string | null;
}

const RETRY_AFTER_LIMIT = 100;

/**
 * `deadline` bounds the whole attempt (an AbortSignal.timeout): resolving the name, the POST and reading the
 * answer. The connection goes to an address `outbound` checked, never to one the name resolves to later; when
 * one cannot be connected to, the next is tried (see tryEachAddress). `connection`: TLS files and the proxy
 * (transport.ts). `resolve` is for tests.
 */
export async function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: Uint8Array<ArrayBuffer>,
  deadline: AbortSignal,
  outbound: OutboundPolicy,
  connection: Connection = DIRECT,
  resolve?: Resolver,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const tried: string[] = [];
  try {
    const target = new URL(url);
    const hostname = hostOf(target)!;
    const resolved = await untilAborted(resolveTargets(hostname, outbound, resolve), deadline);
    if ("error" in resolved) return { status: null, body: null, durationMs: elapsed(), error: resolved.error };
    // The receiver sees the name it is known by: in Host, in TLS's server name, and in the certificate check.
    // Through a proxy too: it is asked to connect to the checked address (CONNECT address:port), never the name.
    const tls = { ...connection.tls, ...(isIP(hostname) ? {} : { serverName: hostname }) };
    const proxy = connection.proxy;
    const response = await tryEachAddress(resolved.addresses, tried, (address) => {
      const connectTo = new URL(target);
      connectTo.hostname = isIP(address) === 6 ? `[${address}]` : address;
      // Redirects are answers, not detours.
      return fetch(connectTo, { method: "POST", headers: { ...headers, host: target.host }, body, redirect: "manual", signal: deadline, tls, ...(proxy ? { proxy } : {}) });
    });
    const excerpt = await readExcerpt(response);
    const retryAfter = response.headers.get("retry-after")?.slice(0, RETRY_AFTER_LIMIT) ?? null;
    return { status: response.status, body: excerpt, durationMs: elapsed(), error: null, retryAfter };
  } catch (error) {
    const failure = classifyFetchError(error);
    if (tried.length > 1) failure.message += ` (every address was tried, in this order: ${tried.join(", ")})`;
    return { status: null, body: null, durationMs: elapsed(), error: failure };
  }
}

// The connection was never made, so nothing was sent: another address of the same name may be reachable.
const NOT_CONNECTED = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN", "EADDRNOTAVAIL", "EAFNOSUPPORT"]);

/**
 * POSTs to each address in turn until one can be connected to, as ordinary clients do (RFC 8305's order, one
 * at a time). Only an error that proves nothing was sent moves on; any other, and the deadline, end the
 * attempt. Each address tried is added to `tried`; the last error is thrown when none could be reached.
 */
async function tryEachAddress(addresses: string[], tried: string[], post: (address: string) => Promise<Response>): Promise<Response> {
  for (const [index, address] of addresses.entries()) {
    tried.push(address);
    try {
      return await post(address);
    } catch (error) {
      const code = (error as { code?: unknown })?.code;
      if (index === addresses.length - 1 || typeof code !== "string" || !NOT_CONNECTED.has(code)) throw error;
    }
  }
  throw new Error("no address to connect to"); // resolveTargets never gives an empty list
}

/** `work`, or the deadline's own error (a TimeoutError) if the deadline comes first. */
function untilAborted<T>(work: Promise<T>, deadline: AbortSignal): Promise<T> {
  if (deadline.aborted) return Promise.reject(deadline.reason);
  return new Promise((resolve, reject) => {
    const aborted = () => reject(deadline.reason);
    deadline.addEventListener("abort", aborted, { once: true });
    work.then(resolve, reject).finally(() => deadline.removeEventListener("abort", aborted));
  });
}

/** Reads at most RESPONSE_BODY_LIMIT bytes and drops the rest unread, so a huge answer costs nothing. */
async function readExcerpt(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < RESPONSE_BODY_LIMIT) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= RESPONSE_BODY_LIMIT) await reader.cancel();
  const bytes = Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT);
  return new TextDecoder().decode(bytes);
}

const DAY = "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "\\d{2}:\\d{2}:\\d{2}";
// RFC 9110 §5.6.7: IMF-fixdate, which senders use, and the two obsolete forms recipients must still read.
const IMF_FIXDATE = new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT$`);
const RFC_850 = new RegExp(`^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} \\d{4}$`);

/**
 * The wait a Retry-After header asks for (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date taken against
 * `now` (a date already past asks for none). Anything else is ignored: null.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  const text = value?.trim() ?? "";
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!IMF_FIXDATE.test(text) && !RFC_850.test(text) && !ASCTIME.test(text)) return null;
  // asctime carries no zone and means GMT; JavaScript would read it as local time.
  const at = Date.parse(ASCTIME.test(text) ? `${text} GMT` : text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
