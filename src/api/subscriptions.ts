// /api/v1/subscriptions: list and read (admin; a user key its own), create, change, delete, rotate the
// signing secret and send a test event (admin). Config-owned subscriptions are read-only here.
import { Elysia, t } from "elysia";
import { Type } from "@sinclair/typebox";
import { DURATION_PATTERN, parseDuration } from "../config/duration.ts";
import { OrderingSchema, PluginChoiceSchema, SubscriptionSchema } from "../config/schema.ts";
import type { LiveConfig } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import { isRefusal } from "../domain/refusal.ts";
import { sendTest } from "../services/test-send.ts";
import { changedFields, type AuditLog } from "../services/audit.ts";
import type { SubscriptionDirectory } from "../services/subscriptions/directory.ts";
import { authGuard, visibleSubscriptions } from "./auth.ts";
import { apiError, refused } from "./errors.ts";
import type { KeyRing } from "../services/api-keys.ts";
import { DEFAULT_PER_PAGE, PageQuery, paginationHeaders } from "./pagination.ts";
import { queryCheck } from "./query-check.ts";
import { attemptResource, healthResource, subscriptionResource } from "./resources.ts";
import { errors, SubscriptionHealthResponse, SubscriptionResponse, TestAttemptResponse } from "./schemas.ts";
import type { SubscriptionHealthService } from "../services/subscription-health.ts";

const { id: IdSchema, ...specFields } = SubscriptionSchema.properties;
const CreateBody = t.Object({ id: t.Optional(IdSchema), ...specFields }, { additionalProperties: false });
const PatchBody = t.Object(
  {
    ...Type.Partial(t.Object(specFields)).properties,
    auth: t.Optional(t.Union([PluginChoiceSchema, t.Null()])),
    description: t.Optional(t.Union([specFields.description, t.Null()])),
    ordering: t.Optional(t.Union([OrderingSchema, t.Null()], { description: "null: delivered in any order again" })),
  },
  { additionalProperties: false, minProperties: 1 },
);
// Required as schemas, since an empty body reads as {} (see jsonBodies): an optional one would let Elysia skip
// checking a body such as `42` or `[]` and rotate or test anyway.
const RotateBody = t.Object(
  {
    secret: t.Optional(t.String({ minLength: 1, description: "the new secret; Herald generates one when left out" })),
    grace: t.Optional(t.String({ pattern: DURATION_PATTERN, description: "how long the old secret keeps signing too (default 24h)" })),
  },
  { additionalProperties: false, description: "may be empty" },
);
const TestBody = t.Object(
  {
    event_type: t.Optional(t.String({ minLength: 1, description: "default: the first declared type the subscription takes" })),
    object: t.Optional(t.Record(t.String(), t.Unknown())),
  },
  { additionalProperties: false, description: "may be empty" },
);
const ListQuery = t.Object(PageQuery);

const DEFAULT_ROTATION_GRACE = "24h";

export function subscriptionRoutes(deps: { live: LiveConfig; directory: SubscriptionDirectory; keys: KeyRing; clock: Clock; audit: AuditLog; health: SubscriptionHealthService }) {
  const { directory, audit } = deps;
  const resource = (entry: Parameters<typeof subscriptionResource>[0]) => subscriptionResource(entry, directory.shown(entry));
  /** The entry if the key may see it: a user key's other subscriptions do not exist for it. */
  const visible = (id: string, scope: string[] | undefined) => (scope && !scope.includes(id) ? undefined : directory.get(id));
  const notFound = (id: string) => apiError(404, "not_found", `no subscription "${id}"`);

  return new Elysia({ prefix: "/api/v1/subscriptions", normalize: false })
    .use(authGuard(deps.keys))
    .use(queryCheck)
    .get(
      "",
      ({ query, apiKey, set, request }) => {
        const scope = visibleSubscriptions(apiKey);
        const all = directory.list().filter((entry) => !scope || scope.includes(entry.subscription.id));
        const page = query.page ?? 1;
        const perPage = query.per_page ?? DEFAULT_PER_PAGE;
        Object.assign(set.headers, paginationHeaders(new URL(request.url), page, perPage, all.length));
        return all.slice((page - 1) * perPage, page * perPage).map(resource);
      },
      {
        roles: ["admin", "user"],
        query: ListQuery,
        wholeQuery: ListQuery,
        response: { 200: t.Array(SubscriptionResponse), ...errors(400, 401, 403) },
        detail: { tags: ["subscriptions"], summary: "List subscriptions, the config file's and the API's (a user key: its own)" },
      },
    )
    .post(
      "",
      async ({ body, set, apiKey }) => {
        const created = await directory.create(body);
        if (isRefusal(created)) return refused(created);
        const { id: createdId, ...shown } = directory.shown(created.entry);
        await audit.record(apiKey, "subscription.created", createdId, changedFields(Object.keys(shown), shown));
        set.status = 201;
        set.headers.location = `/api/v1/subscriptions/${created.entry.subscription.id}`;
        // The only time a secret Herald made is shown: the receiver needs it to check signatures.
        return { ...resource(created.entry), ...(created.generatedSecret ? { signing_secret: created.generatedSecret } : {}) };
      },
      {
        roles: ["admin"],
        parse: "json",
        body: CreateBody,
        response: { 201: SubscriptionResponse, ...errors(400, 401, 403, 409, 422) },
        detail: { tags: ["subscriptions"], summary: "Create a subscription (a signing secret left out is generated and shown once)" },
      },
    )
    .get(
      "/:id",
      ({ params, apiKey }) => {
        const entry = visible(params.id, visibleSubscriptions(apiKey));
        return entry ? resource(entry) : notFound(params.id);
      },
      {
        roles: ["admin", "user"],
        response: { 200: SubscriptionResponse, ...errors(401, 403, 404) },
        detail: { tags: ["subscriptions"], summary: "A subscription, without its secrets" },
      },
    )
    .get(
      "/:id/health",
      async ({ params, apiKey }) => {
        const entry = visible(params.id, visibleSubscriptions(apiKey));
        return entry ? healthResource(params.id, await deps.health.of(params.id)) : notFound(params.id);
      },
      {
        roles: ["admin", "user"],
        response: { 200: SubscriptionHealthResponse, ...errors(401, 403, 404) },
        detail: { tags: ["subscriptions"], summary: "How it is doing: success rate over the last hour and day, deliveries per minute, queue, last failure" },
      },
    )
    .patch(
      "/:id",
      async ({ params, body, apiKey }) => {
        const changed = await directory.update(params.id, body);
        if (isRefusal(changed)) return refused(changed);
        await audit.record(apiKey, "subscription.changed", params.id, changedFields(Object.keys(body), directory.shown(changed.entry)));
        return resource(changed.entry);
      },
      {
        roles: ["admin"],
        parse: "json",
        body: PatchBody,
        response: { 200: SubscriptionResponse, ...errors(400, 401, 403, 404, 409, 422) },
        detail: { tags: ["subscriptions"], summary: "Change the given fields (null clears auth or description; secrets left out are kept)" },
      },
    )
    .delete(
      "/:id",
      async ({ params, set, apiKey }) => {
        const removed = await directory.remove(params.id);
        if (isRefusal(removed)) return refused(removed);
        await audit.record(apiKey, "subscription.deleted", params.id);
        set.status = 204;
      },
      {
        roles: ["admin"],
        response: { 204: t.Void(), ...errors(401, 403, 404, 409) },
        detail: { tags: ["subscriptions"], summary: "Delete a subscription made through the API; its events and attempts stay readable" },
      },
    )
    .post(
      "/:id/rotate_secret",
      async ({ params, body, apiKey }) => {
        const grace = body.grace ?? DEFAULT_ROTATION_GRACE;
        const rotated = await directory.rotateSecret(params.id, body.secret, parseDuration(grace));
        if (isRefusal(rotated)) return refused(rotated);
        await audit.record(apiKey, "subscription.secret_rotated", params.id, { fields: ["auth.secret"], secret: body.secret === undefined ? "generated" : "given", grace });
        return { ...resource(rotated.entry), ...(rotated.generatedSecret ? { signing_secret: rotated.generatedSecret } : {}) };
      },
      {
        roles: ["admin"],
        parse: "json",
        body: RotateBody,
        response: { 200: SubscriptionResponse, ...errors(400, 401, 403, 404, 409, 422) },
        detail: { tags: ["subscriptions"], summary: "Rotate the signing secret; the old one keeps signing too until the grace period ends" },
      },
    )
    .post(
      "/:id/test",
      async ({ params, body, apiKey }) => {
        const sent = await sendTest(deps, params.id, { eventType: body.event_type, object: body.object });
        if (isRefusal(sent)) return refused(sent);
        await audit.record(apiKey, "subscription.tested", params.id, { event_type: sent.eventType, delivery_id: sent.deliveryId, success: sent.outcome.success });
        return { event_id: sent.eventId, event_type: sent.eventType, delivery_id: sent.deliveryId, ...attemptResource(sent.outcome) };
      },
      {
        roles: ["admin"],
        parse: "json",
        body: TestBody,
        response: { 200: TestAttemptResponse, ...errors(400, 401, 403, 404, 422) },
        detail: { tags: ["subscriptions"], summary: "Send a test event through the subscription's plugins and answer with the attempt (nothing is stored)" },
      },
    );
}
