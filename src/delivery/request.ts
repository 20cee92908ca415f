// What one attempt POSTs: the transformer's body, Herald's own headers, the subscription's, then the auth plugin's.
import type { Subscription } from "../config/types.ts";
import type { OutgoingRequest, PluginContext, WebhookEvent } from "../plugins/contract.ts";
import type { PluginRegistry } from "../plugins/registry.ts";

export const USER_AGENT = "Herald-Webhooks/0.1";
const ALWAYS_SECRET = ["authorization", "proxy-authorization", "cookie"];

export interface BuiltRequest {
  body: Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
  /** Header names whose values the attempt log must not show. */
  secretHeaders: string[];
}

export async function buildRequest(
  subscription: Subscription,
  event: WebhookEvent,
  plugins: PluginRegistry,
  delivery: { id: string; attempt: number },
  ctx: PluginContext,
): Promise<BuiltRequest> {
  const transformer = plugins.transformers.get(subscription.transformer.name);
  if (!transformer) throw new Error(`transformer plugin "${subscription.transformer.name}" is not loaded`);
  const shaped = await transformer.transform(event, subscription.transformer.options, ctx);
  const { body, contentType } = encodeBody(shaped.body, shaped.contentType);

  // Header names are case-insensitive: keep them lowercase so later ones replace earlier ones and redaction matches.
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(subscription.headers).map(([name, value]) => [name.toLowerCase(), value])),
    "content-type": contentType,
    "user-agent": USER_AGENT,
    "herald-delivery-id": delivery.id,
    "herald-event-id": event.id,
    "herald-event-type": event.eventType,
    "herald-attempt": String(delivery.attempt),
  };
  const secretHeaders = [...ALWAYS_SECRET];
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

export function redactHeaders(headers: Record<string, string>, secretHeaders: string[]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, secretHeaders.includes(name.toLowerCase()) ? "[redacted]" : value]),
  );
}
