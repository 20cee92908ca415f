// /api/v1/events: publish, list, read, resend.
import { Elysia, t } from "elysia";
import type { Config, EventTypeConfig, LiveConfig } from "../config/types.ts";
import { NAME_PATTERN } from "../config/schema.ts";
import type { Clock } from "../clock.ts";
import type { JobRunner } from "../jobs/runner.ts";
import type { Metrics } from "../metrics.ts";
import { EVENT_STATUSES } from "../store/schema.ts";
import { batched } from "../store/batcher.ts";
import { newId, type EventFilter, type NewEvent, type Store } from "../store/index.ts";
import type { SubscriptionDirectory } from "../subscriptions/directory.ts";
import { authGuard, visibleSubscriptions } from "./auth.ts";
import type { KeyRing } from "./keys.ts";
import { apiError, fieldError, quote } from "./errors.ts";
import { DEFAULT_PER_PAGE, PageQuery, paginationHeaders } from "./pagination.ts";
import { queryCheck } from "./query-check.ts";
import { eventResource, jobResource } from "./resources.ts";
import { errors, EventResponse, JobResponse, unchecked } from "./schemas.ts";

export const PublishBody = t.Object(
  {
    event_type: t.String({ minLength: 1 }),
    object_type: t.Optional(t.String({ minLength: 1 })),
    object: t.Record(t.String(), t.Unknown()),
    id: t.Optional(t.String({ pattern: NAME_PATTERN, description: "client-chosen id: publishing it again is a no-op" })),
    triggered_at: t.Optional(t.String({ format: "date-time" })),
  },
  { additionalProperties: false },
);

const Status = t.Union(EVENT_STATUSES.map((s) => t.Literal(s)));
const FilterFields = {
  event_type: t.Optional(t.String()),
  status: t.Optional(Status),
  subscription: t.Optional(t.String()),
  since: t.Optional(t.String({ format: "date-time" })),
  until: t.Optional(t.String({ format: "date-time" })),
};
const ListQuery = t.Object({
  ...FilterFields,
  ...PageQuery,
});
const Subscriptions = t.Array(t.String(), { minItems: 1, description: "resend only to these subscriptions" });
// Required as a schema, since an empty body reads as {} (see jsonBodies): an optional one would let Elysia
// skip validating a body such as `42` or `"x"` and resend everything.
const ResendOneBody = t.Object({ subscriptions: t.Optional(Subscriptions) }, { additionalProperties: false, description: "may be empty" });
const ResendManyBody = t.Object(
  { ...FilterFields, ids: t.Optional(t.Array(t.String(), { minItems: 1, maxItems: 10_000 })), subscriptions: t.Optional(Subscriptions) },
  { additionalProperties: false },
);

interface Filterable {
  event_type?: string;
  status?: (typeof EVENT_STATUSES)[number];
  subscription?: string;
  since?: string;
  until?: string;
}

function toFilter(fields: Filterable, visible: string[] | undefined): EventFilter {
  return {
    eventType: fields.event_type,
    status: fields.status,
    subscription: fields.subscription,
    since: fields.since === undefined ? undefined : Date.parse(fields.since),
    until: fields.until === undefined ? undefined : Date.parse(fields.until),
    visibleSubscriptions: visible,
  };
}

export interface EventRouteDeps {
  live: LiveConfig;
  store: Store;
  directory: SubscriptionDirectory;
  keys: KeyRing;
  clock: Clock;
  metrics: Metrics;
  /** Tells the delivery worker there is new work. */
  onWork: () => void;
  jobs: JobRunner;
}

export function eventRoutes(deps: EventRouteDeps) {
  const { live, store, directory, clock, metrics, onWork } = deps;
  const eventTypes = declaredTypes(live);
  const publish = batched((batch: NewEvent[]) => store.publishEvents(batch, clock.now()), store.idle);

  const quoted = (ids: string[]) => ids.map(quote).join(", ");
  /**
   * Resend targets must be the key's own (404 otherwise, as if they did not exist: a scoped key learns nothing
   * of other subscriptions) and exist (422 for an admin's typo).
   */
  const resendTargets = (requested: string[] | undefined, visible: string[] | undefined) => {
    const hidden = visible ? (requested ?? []).filter((id) => !visible.includes(id)) : [];
    if (hidden.length > 0) return apiError(404, "not_found", `no subscription ${quoted(hidden)}`);
    const unknown = (requested ?? []).filter((id) => !directory.get(id));
    if (unknown.length > 0) return fieldError(422, "unknown_subscription", "subscriptions", `no subscription ${quoted(unknown)}`);
    const inactive = (requested ?? []).filter((id) => !directory.active().some((s) => s.id === id));
    if (inactive.length > 0) return fieldError(422, "subscription_disabled", "subscriptions", `subscription ${quoted(inactive)} is disabled: enable it first`);
    return { subscriptions: requested };
  };

  return new Elysia({ prefix: "/api/v1/events", normalize: false })
    .use(authGuard(deps.keys))
    .use(queryCheck)
    .post(
      "",
      async ({ body, set }) => {
        const declared = eventTypes().get(body.event_type);
        if (!declared) {
          const names = [...eventTypes().keys()].join(", ");
          return fieldError(422, "unknown_event_type", "event_type", `event_type ${quote(body.event_type)} is not declared; declared: ${names}`);
        }
        if (body.object_type !== undefined && body.object_type !== declared.objectType) {
          return fieldError(422, "wrong_object_type", "object_type", `event_type "${declared.name}" carries object_type "${declared.objectType}", not ${quote(body.object_type)}`);
        }
        const outcome = await publish({
          id: body.id ?? newId("evt"),
          eventType: declared.name,
          objectType: declared.objectType,
          object: body.object,
          triggeredAt: body.triggered_at === undefined ? null : Date.parse(body.triggered_at),
          subscriptionIds: directory.matching(declared.name),
        });
        if (outcome.kind === "conflict") {
          return apiError(409, "id_conflict", `event "${outcome.event.id}" was already published with a different event_type or object`);
        }
        if (outcome.kind === "created") {
          metrics.published(declared.name);
          onWork();
        }
        set.status = outcome.kind === "created" ? 202 : 200;
        set.headers.location = `/api/v1/events/${outcome.event.id}`;
        return eventResource(outcome.event, outcome.event.deliveries);
      },
      {
        roles: ["publisher", "admin"],
        parse: "json",
        body: PublishBody,
        response: { 200: unchecked(EventResponse), 202: unchecked(EventResponse), ...errors(400, 401, 403, 409, 413, 422) },
        detail: { tags: ["events"], summary: "Publish an event: 202 once it and its deliveries are on disk (200 for a repeated id)" },
      },
    )
    .get(
      "",
      ({ query, apiKey, set, request }) => {
        const page = query.page ?? 1;
        const perPage = query.per_page ?? DEFAULT_PER_PAGE;
        const result = store.listEvents(toFilter(query, visibleSubscriptions(apiKey)), (page - 1) * perPage, perPage);
        Object.assign(set.headers, paginationHeaders(new URL(request.url), page, perPage, result.total));
        return result.items.map((event) => eventResource(event, event.deliveries));
      },
      {
        roles: ["admin", "user"],
        query: ListQuery,
        wholeQuery: ListQuery,
        response: { 200: t.Array(EventResponse), ...errors(400, 401, 403) },
        detail: { tags: ["events"], summary: "List events, newest first (Link and X-Total-Count headers)" },
      },
    )
    .get(
      "/:id",
      ({ params, apiKey }) => {
        const detail = store.getEvent(params.id, visibleSubscriptions(apiKey));
        if (!detail) return apiError(404, "not_found", `no event ${quote(params.id)}`);
        return eventResource(detail, detail.deliveries);
      },
      {
        roles: ["admin", "user"],
        response: { 200: EventResponse, ...errors(401, 403, 404) },
        detail: { tags: ["events"], summary: "An event with its deliveries and every attempt" },
      },
    )
    .post(
      "/:id/resend",
      ({ params, body, apiKey, set }) => {
        const visible = visibleSubscriptions(apiKey);
        const event = store.getEvent(params.id, visible);
        if (!event) return apiError(404, "not_found", `no event ${quote(params.id)}`);
        const targets = resendTargets(body.subscriptions, visible);
        if (!("subscriptions" in targets)) return targets;
        const undelivered = (targets.subscriptions ?? []).filter((id) => !event.deliveries.some((d) => d.subscriptionId === id));
        if (undelivered.length > 0) return fieldError(422, "not_subscribed", "subscriptions", `event "${params.id}" has no delivery to ${quoted(undelivered)}`);
        store.resendEvents({ ids: [params.id], visibleSubscriptions: visible }, targets.subscriptions, clock.now());
        onWork();
        const detail = store.getEvent(params.id, visible)!;
        set.status = 202;
        return eventResource(detail, detail.deliveries);
      },
      {
        roles: ["admin", "user"],
        parse: "json",
        body: ResendOneBody,
        response: { 202: EventResponse, ...errors(400, 401, 403, 404, 422) },
        detail: { tags: ["events"], summary: "Resend an event to all (or the named) subscriptions it went to" },
      },
    )
    .post(
      "/resend",
      ({ body, apiKey, set }) => {
        const { ids, subscriptions, ...fields } = body;
        if (ids === undefined && Object.values(fields).every((v) => v === undefined)) {
          return apiError(400, "missing_selection", "give `ids` or at least one filter (event_type, status, subscription, since, until)");
        }
        const visible = visibleSubscriptions(apiKey);
        const targets = resendTargets(subscriptions, visible);
        if (!("subscriptions" in targets)) return targets;
        const filter = { ...toFilter(fields, visible), ids };
        const job = store.createResendJob({ id: newId("job"), createdBy: apiKey.id, filter, subscriptions: targets.subscriptions, now: clock.now() });
        deps.jobs.start(job.id);
        set.status = 202;
        set.headers.location = `/api/v1/jobs/${job.id}`;
        return jobResource(job);
      },
      {
        roles: ["admin", "user"],
        parse: "json",
        body: ResendManyBody,
        response: { 202: JobResponse, ...errors(400, 401, 403, 404, 422) },
        detail: { tags: ["events"], summary: "Resend many events, by ids or by a filter: 202 at once with a job whose progress GET /api/v1/jobs/{id} reads" },
      },
    );
}

/** The declared event types by name, rebuilt only when a reload brings a new config. */
function declaredTypes(live: LiveConfig): () => Map<string, EventTypeConfig> {
  let builtFor: Config | null = null;
  let byName = new Map<string, EventTypeConfig>();
  return () => {
    if (builtFor !== live.config) {
      builtFor = live.config;
      byName = new Map(live.config.eventTypes.map((e) => [e.name, e]));
    }
    return byName;
  };
}
