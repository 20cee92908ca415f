// The shapes the API answers with, as typebox schemas: /openapi.json documents them, Elysia checks each
// answer against them (but the publish answer: see unchecked), and resources.ts builds them with types
// derived from these (no second copy).
import { t, type TSchema } from "elysia";
import { OrderingSchema, PluginChoiceSchema, RateLimitSchema, RetryPolicySchema } from "../config/schema.ts";
import { DELIVERY_STATES, DISABLED_REASONS, EVENT_STATUSES, JOB_KINDS, JOB_STATES, SUBSCRIPTION_SOURCES } from "../domain/vocabulary.ts";
import { API_ROLES } from "../domain/vocabulary.ts";
import { ErrorDetail } from "./error-details.ts";

const Time = t.String({ format: "date-time" });
const OrNull = <T extends TSchema>(schema: T, options?: { description: string }) => t.Union([schema, t.Null()], options);
const OneOf = <const T extends readonly [string, ...string[]]>(values: T) => t.UnionEnum(values);

export const ErrorResponse = t.Object(
  {
    error: t.Object({
      code: t.String({ description: "stable, for programs" }),
      message: t.String({ description: "for people: what is wrong" }),
      details: t.Optional(t.Array(ErrorDetail, { description: "on a 400 or 422 about the request's fields: every bad field" })),
    }),
  },
  { description: "every error answer" },
);

export const AttemptResponse = t.Object({
  number: t.Integer({ description: "counts every attempt of the delivery, resends included" }),
  started_at: Time,
  duration_ms: t.Integer(),
  success: t.Boolean(),
  request: t.Object({ url: t.String(), headers: t.Record(t.String(), t.String(), { description: "secrets show [redacted]" }) }),
  response: OrNull(t.Object({ status: t.Integer(), body: OrNull(t.String({ description: "the first 4 KB" })) })),
  error: OrNull(t.Object({ kind: t.String({ description: "timeout, connection_refused, dns, tls, reset, blocked, plugin, disabled, unconfigured, other" }), message: OrNull(t.String()) })),
  retry_after: OrNull(
    t.Object(
      {
        header: t.String({ description: "the answer's Retry-After header as received" }),
        wait_ms: OrNull(
          t.Integer({ description: "the wait before the next attempt it set (429 and 503 only, up to the policy's max_retry_after); null when the schedule's was as long, or no retry was left" }),
        ),
      },
      { description: "present when the answer carried Retry-After" },
    ),
  ),
});

export const DeliveryResponse = t.Object({
  id: t.String({ description: "stable across retries: receivers de-duplicate with it" }),
  subscription: t.String(),
  state: OneOf(DELIVERY_STATES),
  attempts: t.Integer(),
  next_attempt_at: OrNull(Time),
  updated_at: Time,
  attempt_log: t.Optional(t.Array(AttemptResponse, { description: "on GET /api/v1/events/{id} only" })),
});

export const EventResponse = t.Object({
  $uri: t.String(),
  id: t.String(),
  event_type: t.String(),
  status: OneOf(EVENT_STATUSES),
  payload: t.Object({ api_version: t.Literal("v1"), event_type: t.String(), object: t.Unknown(), object_type: t.String(), triggered_at: Time }, { description: "One Codex's v1 envelope" }),
  created_at: Time,
  deliveries: t.Array(DeliveryResponse),
});

export const SubscriptionResponse = t.Object({
  $uri: t.String(),
  id: t.String(),
  source: OneOf(SUBSCRIPTION_SOURCES),
  url: t.String(),
  events: t.Array(t.String()),
  transformer: PluginChoiceSchema,
  auth: OrNull(PluginChoiceSchema),
  headers: t.Record(t.String(), t.String(), { description: "values of headers named like credentials show [redacted]" }),
  retry: RetryPolicySchema,
  enabled: t.Boolean(),
  rate_limit: RateLimitSchema,
  ordering: t.Optional(OrderingSchema),
  disabled_reason: t.Union([t.Literal(DISABLED_REASONS[0]), t.Literal(DISABLED_REASONS[1]), t.Null()], {
    description: "set when Herald disabled it: failing (every attempt failed for retry.disable_after) or gone (a 410 with retry.on_gone: disable)",
  }),
  disabled_at: OrNull(Time),
  description: OrNull(t.String()),
  created_at: Time,
  updated_at: Time,
  removed_from_config_at: OrNull(Time),
  signing_secret: t.Optional(t.String({ description: "a secret Herald generated: shown in this answer only" })),
});

export const ApiKeyResponse = t.Object({
  $uri: t.String(),
  id: t.String(),
  name: t.String(),
  role: OneOf(API_ROLES),
  source: OneOf(["config", "api"] as const),
  subscriptions: t.Array(t.String()),
  expires_at: OrNull(Time),
  created_at: OrNull(Time),
  token: t.Optional(t.String({ description: "shown in the answer that creates the key, never again" })),
});

const RateResponse = t.Object({
  succeeded: t.Integer(),
  failed: t.Integer({ description: "failed for good, or waiting for a retry" }),
  pending: t.Integer({ description: "not attempted yet" }),
  rate: OrNull(t.Number({ description: "succeeded / (succeeded + failed); null while none has had an answer" })),
});

export const SubscriptionHealthResponse = t.Object({
  subscription: t.String(),
  success_rate: t.Object({ last_hour: RateResponse, last_day: RateResponse }, { description: "over the deliveries made for it in the window" }),
  deliveries_per_minute: t.Array(t.Integer(), { description: "deliveries made for it in each minute of the last hour, oldest first" }),
  queue: t.Object({ depth: t.Integer({ description: "unfinished deliveries, in flight included" }), oldest_due_at: OrNull(Time) }),
  last_failure: OrNull(
    t.Object(
      {
        at: Time,
        event_id: t.String(),
        delivery_id: t.String(),
        status: OrNull(t.Integer({ description: "the answer's HTTP status, if one came" })),
        error: OrNull(t.Object({ kind: t.String(), message: OrNull(t.String()) })),
      },
      { description: "the last attempt of its newest delivery still failing (failed, or waiting for a retry)" },
    ),
  ),
});

export const TestAttemptResponse = t.Composite([t.Object({ event_id: t.String(), event_type: t.String(), delivery_id: t.String() }), AttemptResponse]);

export const EventTypeResponse = t.Object({ name: t.String(), object_type: t.String(), description: OrNull(t.String()) });

/**
 * The same shape, documented but not checked at run time. For the answer to a publish only: checking
 * Herald's own output against its schema cost a tenth of ingest's CPU in the bench's profile, and that answer
 * is built by eventResource, whose type (derived from EventResponse) the compiler checks.
 */
export function unchecked<T extends TSchema>(schema: T): T {
  // Elysia's own flag, kept out of the JSON (not enumerable), so /openapi.json stays plain JSON Schema.
  return Object.defineProperty({ ...schema }, "noValidate", { value: true, enumerable: false });
}

export const JobResponse = t.Object({
  $uri: t.String(),
  id: t.String(),
  kind: OneOf(JOB_KINDS),
  state: OneOf(JOB_STATES),
  total: t.Integer({ description: "events matched when the job started" }),
  done: t.Integer({ description: "events handled so far" }),
  resent: t.Integer({ description: "events that had a delivery resent" }),
  created_at: Time,
  finished_at: OrNull(Time),
  error: OrNull(t.String()),
});

/** The error answers a route gives, each with the error envelope. */
export function errors<const S extends number[]>(...statuses: S): { [K in S[number]]: typeof ErrorResponse } {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponse])) as { [K in S[number]]: typeof ErrorResponse };
}

export const AuditEntryResponse = t.Object({
  id: t.Integer(),
  at: Time,
  actor: t.String({ description: "the API key's name, or what reloaded the config (SIGHUP, file watch)" }),
  actor_id: OrNull(t.String({ description: "the key's id" })),
  action: t.String({ description: "subscription.created|changed|deleted|secret_rotated|tested, api_key.created|deleted, event.resent, events.bulk_resent, config.reloaded|reload_refused" }),
  target: OrNull(t.String({ description: "the subscription, key, event or job acted on" })),
  changes: t.Record(t.String(), t.Unknown(), { description: "the fields set (`fields`, and `after` as the API shows them: secrets left out or [redacted])" }),
});
