// One Codex's v1 event envelope: exactly five fields, `triggered_at` in RFC 3339. It is both what the
// onecodex-v1 transformer POSTs and the `payload` of the API's Event resource.

export interface EnvelopeSource {
  eventType: string;
  objectType: string;
  object: unknown;
  /** Unix milliseconds. */
  triggeredAt: number;
}

export function onecodexEnvelope(event: EnvelopeSource) {
  return {
    api_version: "v1" as const,
    event_type: event.eventType,
    object: event.object,
    object_type: event.objectType,
    triggered_at: new Date(event.triggeredAt).toISOString(),
  };
}
