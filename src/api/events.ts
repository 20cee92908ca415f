// /api/v1/events: publish, list, read, resend.
import { Elysia, t } from "elysia";
import { NAME_PATTERN } from "../config/schema.ts";
import type { KeyRing } from "../services/api-keys.ts";
import type { EventService } from "../services/events.ts";
import type { AuditLog } from "../services/audit.ts";
import { isRefusal, quote } from "../domain/refusal.ts";
import { authGuard, visibleSubscriptions } from "./auth.ts";
import { FILTER_PARAM_LIST, FilterParams, filterOf, namesAFilter } from "./event-filter.ts";
import { apiError, refused } from "./errors.ts";
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

const ListQuery = t.Object({ ...FilterParams, ...PageQuery });
const Subscriptions = t.Array(t.String(), { minItems: 1, description: "resend only to these subscriptions" });
// Required as a schema, since an empty body reads as {} (see jsonBodies): an optional one would let Elysia
// skip validating a body such as `42` or `"x"` and resend everything.
const ResendOneBody = t.Object({ subscriptions: t.Optional(Subscriptions) }, { additionalProperties: false, description: "may be empty" });
const ResendManyBody = t.Object(
  { ...FilterParams, ids: t.Optional(t.Array(t.String(), { minItems: 1, maxItems: 10_000 })), subscriptions: t.Optional(Subscriptions) },
  { additionalProperties: false },
);

export function eventRoutes(deps: { events: EventService; keys: KeyRing; audit: AuditLog }) {
  const { events, audit } = deps;
  return new Elysia({ prefix: "/api/v1/events", normalize: false })
    .use(authGuard(deps.keys))
    .use(queryCheck)
    .post(
      "",
      async ({ body, set }) => {
        const triggeredAt = body.triggered_at === undefined ? null : Date.parse(body.triggered_at);
        const outcome = await events.publish({ eventType: body.event_type, objectType: body.object_type, object: body.object, id: body.id, triggeredAt });
        if (isRefusal(outcome)) return refused(outcome);
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
      async ({ query, apiKey, set, request }) => {
        const page = query.page ?? 1;
        const perPage = query.per_page ?? DEFAULT_PER_PAGE;
        const result = await events.list(filterOf(query, visibleSubscriptions(apiKey)), (page - 1) * perPage, perPage);
        if (isRefusal(result)) return refused(result);
        Object.assign(set.headers, paginationHeaders(new URL(request.url), page, perPage, result.total));
        return result.items.map((event) => eventResource(event, event.deliveries));
      },
      {
        roles: ["admin", "user"],
        query: ListQuery,
        wholeQuery: ListQuery,
        response: { 200: t.Array(EventResponse), ...errors(400, 401, 403, 422) },
        detail: { tags: ["events"], summary: "List events, newest first (Link and X-Total-Count headers); `q` searches (422 when its words are in over 10,000 events)" },
      },
    )
    .get(
      "/:id",
      async ({ params, apiKey }) => {
        const detail = await events.get(params.id, visibleSubscriptions(apiKey));
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
      async ({ params, body, apiKey, set }) => {
        const detail = await events.resendOne(params.id, body.subscriptions, visibleSubscriptions(apiKey));
        if (isRefusal(detail)) return refused(detail);
        await audit.record(apiKey, "event.resent", params.id, { subscriptions: body.subscriptions ?? null });
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
      async ({ body, apiKey, set }) => {
        const { ids, subscriptions, ...fields } = body;
        if (ids === undefined && !namesAFilter(fields)) {
          return apiError(400, "missing_selection", `give \`ids\` or at least one filter (${FILTER_PARAM_LIST})`);
        }
        const filter = { ...filterOf(fields, visibleSubscriptions(apiKey)), ids };
        const job = await events.resendMany({ filter, subscriptions }, apiKey.id);
        if (isRefusal(job)) return refused(job);
        await audit.record(apiKey, "events.bulk_resent", job.id, { filter: { ...fields, ...(ids ? { ids } : {}) }, subscriptions: subscriptions ?? null, total: job.total });
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
