// How records look over the API: One Codex's Event resource ($uri, payload, status) plus Herald's fields,
// subscriptions in the config file's shape (secrets left out), API keys (never their token), and jobs.
import type { Static } from "elysia";
import { onecodexEnvelope } from "../domain/envelope.ts";
import type { AttemptRecord, DeliveryRecord, EventRecord, JobRecord } from "../store/index.ts";
import type { FullSpec } from "../services/subscriptions/spec.ts";
import type { SubscriptionEntry } from "../services/subscriptions/directory.ts";
import type { KeyEntry } from "../services/api-keys.ts";
import type { SubscriptionHealth } from "../services/subscription-health.ts";
import type { ApiKeyResponse, AttemptResponse, DeliveryResponse, EventResponse, JobResponse, SubscriptionHealthResponse, SubscriptionResponse } from "./schemas.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function eventResource(event: EventRecord, deliveries: (DeliveryRecord & { attemptLog?: AttemptRecord[] })[]): Static<typeof EventResponse> {
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

function deliveryResource(delivery: DeliveryRecord & { attemptLog?: AttemptRecord[] }): Static<typeof DeliveryResponse> {
  return {
    id: delivery.id,
    subscription: delivery.subscriptionId,
    state: delivery.state,
    attempts: delivery.attempts,
    next_attempt_at: isoOrNull(delivery.dueAt),
    updated_at: iso(delivery.updatedAt),
    ...(delivery.attemptLog ? { attempt_log: delivery.attemptLog.map(attemptResource) } : {}),
  };
}

export function attemptResource(attempt: Omit<AttemptRecord, "id">): Static<typeof AttemptResponse> {
  return {
    number: attempt.number,
    started_at: iso(attempt.startedAt),
    duration_ms: attempt.durationMs,
    success: attempt.success,
    request: { url: attempt.url, headers: attempt.requestHeaders },
    response: attempt.responseStatus === null ? null : { status: attempt.responseStatus, body: attempt.responseBody },
    error: attempt.errorKind === null ? null : { kind: attempt.errorKind, message: attempt.errorMessage },
    retry_after: attempt.retryAfter === null ? null : { header: attempt.retryAfter, wait_ms: attempt.retryAfterMs },
  };
}

/** The same fields as the config file (`shown`: with the retry policy it follows and without its secrets). */
export function subscriptionResource(entry: SubscriptionEntry, shown: FullSpec): Static<typeof SubscriptionResponse> {
  const { id, ...spec } = shown;
  return {
    $uri: `/api/v1/subscriptions/${id}`,
    id,
    source: entry.source,
    ...spec,
    auth: spec.auth ?? null,
    description: spec.description ?? null,
    created_at: iso(entry.createdAt),
    updated_at: iso(entry.updatedAt),
    removed_from_config_at: isoOrNull(entry.removedAt),
    disabled_reason: entry.health.disabled?.reason ?? null,
    disabled_at: isoOrNull(entry.health.disabled?.at ?? null),
  };
}

export function apiKeyResource({ key, source, createdAt }: KeyEntry): Static<typeof ApiKeyResponse> {
  return {
    $uri: `/api/v1/api_keys/${key.id}`,
    id: key.id,
    name: key.name,
    role: key.role,
    source,
    subscriptions: key.subscriptions,
    expires_at: isoOrNull(key.expiresAt),
    created_at: isoOrNull(createdAt),
  };
}

export function jobResource(job: JobRecord): Static<typeof JobResponse> {
  return {
    $uri: `/api/v1/jobs/${job.id}`,
    id: job.id,
    kind: job.kind,
    state: job.state,
    total: job.total,
    done: job.done,
    resent: job.resent,
    created_at: iso(job.createdAt),
    finished_at: isoOrNull(job.finishedAt),
    error: job.error,
  };
}

export function healthResource(subscription: string, health: SubscriptionHealth): Static<typeof SubscriptionHealthResponse> {
  const failure = health.lastFailure;
  return {
    subscription,
    success_rate: { last_hour: health.lastHour, last_day: health.lastDay },
    deliveries_per_minute: health.perMinute,
    queue: { depth: health.unfinished, oldest_due_at: isoOrNull(health.oldestDueAt) },
    last_failure: failure && {
      at: iso(failure.at),
      event_id: failure.eventId,
      delivery_id: failure.deliveryId,
      status: failure.responseStatus,
      error: failure.errorKind === null ? null : { kind: failure.errorKind, message: failure.errorMessage },
    },
  };
}
