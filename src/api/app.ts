// The Elysia app: every resource's routes, and one place that turns failures into the error envelope.
import { Elysia, t, type AnyElysia } from "elysia";
import type { Clock } from "../clock.ts";
import type { LiveConfig } from "../config/types.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { SubscriptionHealthService } from "../services/subscription-health.ts";
import type { KeyRing } from "../services/api-keys.ts";
import type { EventService } from "../services/events.ts";
import type { SubscriptionDirectory } from "../services/subscriptions/directory.ts";
import { apiKeyRoutes } from "./api-keys.ts";
import { auditRoutes } from "./audit.ts";
import type { AuditLog } from "../services/audit.ts";
import { authGuard, keyOfRequest } from "./auth.ts";
import { BodyBudget } from "./body-budget.ts";
import { BodyRefused, jsonBodies, tooLarge } from "./body.ts";
import { compression } from "./compression.ts";
import { validationDetails } from "./error-details.ts";
import { StorageUnavailable } from "../store/errors.ts";
import { apiError } from "./errors.ts";
import { eventRoutes } from "./events.ts";
import { methodAnswer, type RouteEntry } from "./methods.ts";
import { jobRoutes } from "./jobs.ts";
import { metricsRoute } from "./metrics-route.ts";
import { apiDocument } from "./openapi.ts";
import { errors, EventTypeResponse } from "./schemas.ts";
import { subscriptionRoutes } from "./subscriptions.ts";

export interface AppDeps {
  live: LiveConfig;
  keys: KeyRing;
  directory: SubscriptionDirectory;
  events: EventService;
  audit: AuditLog;
  health: SubscriptionHealthService;
  clock: Clock;
  metrics: Metrics;
  log: Logger;
  /** Rejects while the store cannot be used (readiness). */
  ready: () => Promise<void>;
  /** The event-log page's routes (ui/), served beside the API. */
  page: AnyElysia;
}

/** What a 503 storage_unavailable asks the client to wait, in seconds. */
const STORAGE_RETRY_AFTER_S = 5;

export function createApp(deps: AppDeps) {
  // The server section is fixed at start (a reload keeps it): so is the body limit.
  const { maxBodyBytes, maxBodyMemoryBytes } = deps.live.config.server;
  const bodyBudget = new BodyBudget(maxBodyMemoryBytes);
  const knownKey = (request: Request) => {
    const key = keyOfRequest(deps.keys, request);
    if ("role" in key) return null;
    return key.status === 429 ? new BodyRefused(429, key.code, key.message, key.retryAfterS) : new BodyRefused(401, key.code, key.message);
  };
  let routes: () => RouteEntry[] = () => [];
  const app = new Elysia({ normalize: false })
    .use(compression())
    // A declared length over the limit is refused before a byte of the body is read; a chunked body is
    // counted as it is read (jsonBodies).
    .onRequest(({ request }) => {
      if (Number(request.headers.get("content-length") ?? 0) > maxBodyBytes) {
        const refused = tooLarge(maxBodyBytes);
        return apiError(refused.status, refused.code, refused.message);
      }
    })
    .onError(({ code, error, set, request }) => {
      set.headers["content-type"] = "application/json";
      if (code === "VALIDATION") {
        set.status = 400;
        const details = validationDetails(error);
        if (typeof error.customError === "string") return { error: { code: "invalid_request", message: error.customError, details } };
        const first = error.all[0];
        const where = first && "path" in first && first.path ? `${error.type} ${first.path}` : error.type;
        const message = first && "message" in first ? first.message : error.message;
        const more = details.length > 1 ? ` (and ${details.length - 1} more: see details)` : "";
        return { error: { code: "invalid_request", message: `${where}: ${message}${more}`, details } };
      }
      if (code === "PARSE" && error.cause instanceof BodyRefused) {
        set.status = error.cause.status;
        if (error.cause.status === 503 || error.cause.retryAfterS !== undefined) set.headers["retry-after"] = String(error.cause.retryAfterS ?? 1);
        return { error: { code: error.cause.code, message: error.cause.message } };
      }
      if (code === "PARSE") {
        set.status = 400;
        return { error: { code: "invalid_body", message: "the request body is not valid JSON" } };
      }
      if (code === "NOT_FOUND") {
        const answer = methodAnswer(routes(), request, set);
        if (answer) return answer;
        set.status = 404;
        return { error: { code: "not_found", message: "no such route" } };
      }
      if (error instanceof StorageUnavailable) {
        // Nothing was taken: the client sends the same request again later (a publish with its id stays idempotent).
        deps.log.warn("storage unavailable", { error: error.message });
        set.status = 503;
        set.headers["retry-after"] = String(STORAGE_RETRY_AFTER_S);
        return { error: { code: error.code, message: "the database cannot take writes right now; try again later" } };
      }
      deps.log.error("request failed", { error: String(error) });
      set.status = 500;
      return { error: { code: "internal", message: "internal error; see the server log" } };
    })
    .get("/healthz", () => ({ status: "ok" }))
    .get("/readyz", async ({ set }) => {
      try {
        await deps.ready();
        return { status: "ready" };
      } catch (error) {
        set.status = 503;
        return { error: { code: "not_ready", message: String(error) } };
      }
    })
    .use(metricsRoute(deps))
    .use(apiDocument())
    .use(deps.page)
    .use(jsonBodies(maxBodyBytes, bodyBudget, knownKey))
    .use(eventRoutes(deps))
    .use(subscriptionRoutes(deps))
    .use(apiKeyRoutes(deps))
    .use(jobRoutes(deps))
    .use(auditRoutes(deps))
    .use(authGuard(deps.keys))
    .get("/api/v1/event_types", () => deps.live.config.eventTypes.map((e) => ({ name: e.name, object_type: e.objectType, description: e.description ?? null })), {
      roles: ["publisher", "admin", "user"],
      response: { 200: t.Array(EventTypeResponse), ...errors(401) },
      detail: { tags: ["event types"], summary: "The declared event types" },
    });
  routes = () => app.routes;
  return app;
}
