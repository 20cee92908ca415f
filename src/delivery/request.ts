// What one attempt POSTs: the transformer's body, Herald's own headers, the subscription's, then the auth plugin's.
import type { OutgoingRequest, PluginContext, WebhookEvent } from "../plugins/contract.ts";
import type { PluginRegistry } from "../plugins/registry.ts";
import { isSecretName } from "../domain/names.ts";
import type { Subscription } from "../domain/subscription.ts";

export const USER_AGENT = "Herald-Webhooks/0.1";

const SECRET_PARAM = /^(sig|signature|code|key|pass)$|[-_](signature|sig)$/i;

export interface BuiltRequest {
  body: Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
  /** Header names whose values the attempt log must not show. */
  secretHeaders: string[];
}

export async function buildRequest(subscription: Subscription, event: WebhookEvent, plugins: PluginRegistry, delivery: { id: string; attempt: number }, ctx: PluginContext): Promise<BuiltRequest> {
  const transformer = plugins.transformers.get(subscription.transformer.name);
  if (!transformer) throw new Error(`transformer plugin "${subscription.transformer.name}" is not loaded`);
  const shaped = await transformer.transform(event, subscription.transformer.options, ctx);
  const { body, contentType } = encodeBody(shaped.body, shaped.contentType);

  // Header names are case-insensitive: keep them lowercase so later ones replace earlier ones and redaction
  // matches. The subscription's own headers cannot touch reserved ones (refused at config load).
  const headers: Record<string, string> = {
    "content-type": contentType,
    "user-agent": USER_AGENT,
    "herald-delivery-id": delivery.id,
    "herald-event-id": event.id,
    "herald-event-type": event.eventType,
    "herald-attempt": String(delivery.attempt),
    ...Object.fromEntries(Object.entries(subscription.headers).map(([name, value]) => [name.toLowerCase(), value])),
  };
  const secretHeaders: string[] = [];
  if (subscription.auth) {
    const auth = plugins.auth.get(subscription.auth.name);
    if (!auth) throw new Error(`auth plugin "${subscription.auth.name}" is not loaded`);
    const request: OutgoingRequest = { url: subscription.url, body, contentType, deliveryId: delivery.id, attempt: delivery.attempt };
    const added = await auth.headers(request, subscription.auth.options, ctx);
    for (const [name, value] of Object.entries(added)) headers[name.toLowerCase()] = value;
    secretHeaders.push(...(auth.secretHeaders ?? []).map((name) => name.toLowerCase()));
  }
  return { body, headers, secretHeaders };
}

/** Strings and bytes go out as they are; anything else as JSON. */
function encodeBody(value: unknown, contentType: string | undefined): { body: Uint8Array<ArrayBuffer>; contentType: string } {
  if (value instanceof Uint8Array) return { body: new Uint8Array(value), contentType: contentType ?? "application/octet-stream" };
  if (typeof value === "string") return { body: new TextEncoder().encode(value), contentType: contentType ?? "text/plain; charset=utf-8" };
  return { body: new TextEncoder().encode(JSON.stringify(value)), contentType: contentType ?? "application/json" };
}

const isSecretHeader = (name: string, secretHeaders: string[]) => isSecretName(name) || secretHeaders.includes(name.toLowerCase());
const isSecretParam = (name: string) => isSecretName(name) || SECRET_PARAM.test(name);

export function redactHeaders(headers: Record<string, string>, secretHeaders: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isSecretHeader(name, secretHeaders) ? "[redacted]" : value]));
}

/** Shorter values are not hunted for in answers: they would match by chance and say little. */
const MIN_SECRET_LENGTH = 6;

/**
 * The values the attempt log redacts in this request (secret headers, with and without their auth scheme,
 * and secret query parameters), so that an answer echoing the request back can be redacted too.
 */
export function secretValues(url: string, headers: Record<string, string>, secretHeaders: string[]): string[] {
  const values = Object.entries(headers)
    .filter(([name]) => isSecretHeader(name, secretHeaders))
    .flatMap(([, value]) => [value, value.replace(/^[A-Za-z]+ +/, "")]);
  for (const [name, value] of URL.parse(url)?.searchParams ?? []) {
    if (isSecretParam(name)) values.push(value, encodeURIComponent(value));
  }
  return [...new Set(values)].filter((value) => value.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/**
 * Replaces every secret value in a receiver's answer (an echo service sends the request back), including the
 * start of one that the excerpt's end cut off.
 */
export function redactSecrets(text: string, secrets: string[]): string {
  let redacted = text;
  for (const secret of secrets) redacted = redacted.replaceAll(secret, "[redacted]");
  for (const secret of secrets) {
    for (let length = secret.length - 1; length >= MIN_SECRET_LENGTH; length--) {
      if (redacted.endsWith(secret.slice(0, length))) return `${redacted.slice(0, -length)}[redacted]`;
    }
  }
  return redacted;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray % sign: judge the name as written
  }
}

/**
 * The URL as the attempt log shows it: the value of each secret-looking query parameter replaced, the rest
 * byte for byte as configured (config load refuses passwords in URLs).
 */
export function redactUrl(url: string): string {
  const query = url.indexOf("?");
  if (query === -1) return url;
  const fragment = url.indexOf("#", query);
  const end = fragment === -1 ? url.length : fragment;
  const pairs = url
    .slice(query + 1, end)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq === -1) return pair;
      const name = safeDecode(pair.slice(0, eq).replaceAll("+", " "));
      return isSecretParam(name) ? `${pair.slice(0, eq)}=[redacted]` : pair;
    });
  return `${url.slice(0, query + 1)}${pairs.join("&")}${url.slice(end)}`;
}
