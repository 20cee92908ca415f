// One Codex's v1 webhook payload: exactly five fields, `triggered_at` in RFC 3339.
import { defineTransformer, type WebhookEvent } from "../src/plugins/contract.ts";

export function onecodexEnvelope(event: WebhookEvent) {
  return {
    api_version: "v1" as const,
    event_type: event.eventType,
    object: event.object,
    object_type: event.objectType,
    triggered_at: new Date(event.triggeredAt).toISOString(),
  };
}

export default defineTransformer({
  kind: "transformer",
  name: "onecodex-v1",
  transform: (event) => ({ body: onecodexEnvelope(event), contentType: "application/json" }),
});
