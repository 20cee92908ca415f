// How stored records look over the API: One Codex's Event resource ($uri, payload, status) plus Herald's fields.
import { onecodexEnvelope } from "../../plugins/onecodex-v1.ts";
import type { AttemptRecord, DeliveryRecord, EventRecord } from "../store/index.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function eventResource(event: EventRecord, deliveries: (DeliveryRecord & { attemptLog?: AttemptRecord[] })[]) {
  return {
    $uri: `/api/v1/events/${event.id}`,
    id: event.id,
    event_type: event.eventType,
    status: event.status,
    payload: onecodexEnvelope(event),
    created_at: iso(event.createdAt),
    deliveries: deliveries.map(deliveryResource),
  };
}

function deliveryResource(delivery: DeliveryRecord & { attemptLog?: AttemptRecord[] }) {
  return {
    id: delivery.id,
    subscription: delivery.subscriptionId,
    state: delivery.state,
    attempts: delivery.attempts,
    next_attempt_at: iso(delivery.dueAt),
    updated_at: iso(delivery.updatedAt),
    ...(delivery.attemptLog ? { attempt_log: delivery.attemptLog.map(attemptResource) } : {}),
  };
}

function attemptResource(attempt: AttemptRecord) {
  return {
    number: attempt.number,
    started_at: iso(attempt.startedAt),
    duration_ms: attempt.durationMs,
    success: attempt.success,
    request: { url: attempt.url, headers: attempt.requestHeaders },
    response: attempt.responseStatus === null ? null : { status: attempt.responseStatus, body: attempt.responseBody },
    error: attempt.errorKind === null ? null : { kind: attempt.errorKind, message: attempt.errorMessage },
  };
}
