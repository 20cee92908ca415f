// Large answers to reads gzip-compressed for a client that accepts it (RFC 9110 content coding): long event lists and
// the docs bundle (1.4 MB of JavaScript) are mostly repetition, and the event-log page may sit behind a slow link.
import { Elysia } from "elysia";

/** Below this a header's worth of savings is not worth the CPU. */
const MIN_BYTES = 1024;
const COMPRESSIBLE = /^(application\/(json|javascript|[a-z.+-]*\+json)|text\/)/i;

export function acceptsGzip(acceptEncoding: string | null): boolean {
  // `gzip;q=0` refuses it; any other mention (or `*`) accepts it.
  return (acceptEncoding ?? "").split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    const refused = params.some((param) => /^\s*q=0(\.0*)?\s*$/.test(param));
    return (coding === "gzip" || coding === "*") && !refused;
  });
}

/** Static assets (served with `cache-control: public`) never change while Herald runs: compressed once. */
const compressedAssets = new Map<string, Uint8Array<ArrayBuffer>>();

export function compression() {
  // Every branch that leaves the answer alone returns it as it came, not undefined: on the error path Elysia
  // (1.4.30) takes mapResponse's result as the answer even when it is undefined (the envelope went out empty).
  // Not an async function either, for the same reason: only a Response to read returns a promise.
  type Context = { request: Request; responseValue: unknown; set: { headers: Record<string, unknown>; status?: unknown } };
  // Elysia types mapResponse as returning a Response or nothing; the value handed back as it came is fine by it.
  const compress = ({ request, responseValue, set }: Context): unknown => {
    // Only reads are large (lists, the docs); the answer to a write (a publish, 202) is small and on the hot path.
    if (request.method !== "GET" || !acceptsGzip(request.headers.get("accept-encoding"))) return responseValue;
    if (responseValue instanceof Response) {
      const type = responseValue.headers.get("content-type") ?? "";
      if (responseValue.headers.has("content-encoding") || !COMPRESSIBLE.test(type) || !responseValue.body) return responseValue;
      return compressedResponse(responseValue, new URL(request.url).pathname);
    }
    // A route's text (metrics) or JSON value; the error envelopes of status() are small, and left to Elysia.
    const isText = typeof responseValue === "string";
    const isJson = typeof responseValue === "object" && responseValue !== null && responseValue.constructor?.name !== "ElysiaCustomStatusResponse";
    if (!isText && !isJson) return responseValue;
    const bytes = new TextEncoder().encode(isText ? responseValue : JSON.stringify(responseValue));
    if (bytes.length < MIN_BYTES) return responseValue;
    const headers = new Headers(Object.entries(set.headers).map(([name, value]) => [name, String(value)]));
    if (!headers.has("content-type")) headers.set("content-type", isText ? "text/plain; charset=utf-8" : "application/json");
    return gzipped(Bun.gzipSync(bytes), typeof set.status === "number" ? set.status : 200, headers);
  };
  return new Elysia({ name: "herald-compression" }).mapResponse({ as: "global" }, compress as unknown as () => Response);
}

async function compressedResponse(response: Response, pathname: string): Promise<Response> {
  const headers = new Headers(response.headers);
  const asset = headers.get("cache-control")?.includes("public") ? pathname : null;
  let body = asset ? compressedAssets.get(asset) : undefined;
  if (!body) {
    const raw = await response.bytes();
    if (raw.length < MIN_BYTES) return new Response(raw, { status: response.status, headers });
    body = Bun.gzipSync(raw as Uint8Array<ArrayBuffer>);
    if (asset) compressedAssets.set(asset, body);
  }
  return gzipped(body, response.status, headers);
}

function gzipped(body: Uint8Array<ArrayBuffer>, status: number, headers: Headers): Response {
  headers.set("content-encoding", "gzip");
  headers.append("vary", "accept-encoding");
  headers.delete("content-length");
  return new Response(body, { status, headers });
}
