// The Elysia app: every resource's routes, and one place that turns failures into the error envelope.
import { Elysia, t } from "elysia";
import type { Logger } from "../log.ts";
import { apiKeyRoutes } from "./api-keys.ts";
import { authGuard } from "./auth.ts";
import { BodyRefused, jsonBodies, tooLarge } from "./body.ts";
import { compression } from "./compression.ts";
import { validationDetails } from "./error-details.ts";
import { apiError } from "./errors.ts";
import { methodAnswer, type RouteEntry } from "./methods.ts";
import { eventRoutes, type EventRouteDeps } from "./events.ts";
import { jobRoutes } from "./jobs.ts";
import { apiDocument } from "./openapi.ts";
import { errors, EventTypeResponse } from "./schemas.ts";
import { subscriptionRoutes } from "./subscriptions.ts";
import { eventLogPage } from "../ui/routes.ts";

export interface AppDeps extends EventRouteDeps {
  log: Logger;
}

export function createApp(deps: AppDeps) {
  // The server section is fixed at start (a reload keeps it): so is the body limit.
  const { maxBodyBytes } = deps.live.config.server;
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
      deps.log.error("request failed", { error: String(error) });
      set.status = 500;
      return { error: { code: "internal", message: "internal error; see the server log" } };
    })
    // What a write request changed is on disk before its answer: a commit alone survives Herald crashing, not
    // a power cut (see the store's durable()). Requests answered together share one sync.
    .onAfterHandle(async ({ request }) => {
      if (request.method !== "GET" && request.method !== "HEAD") await deps.store.durable();
    })
    .get("/healthz", () => ({ status: "ok" }))
    .get("/readyz", ({ set }) => {
      try {
        deps.store.ping();
        return { status: "ready" };
      } catch (error) {
        set.status = 503;
        return { error: { code: "not_ready", message: String(error) } };
      }
    })
    .get("/metrics", async ({ set }) => {
      set.headers["content-type"] = deps.metrics.contentType;
      return deps.metrics.render();
    })
    .use(apiDocument())
    .use(eventLogPage())
    .use(jsonBodies(maxBodyBytes))
    .use(eventRoutes(deps))
    .use(subscriptionRoutes(deps))
    .use(apiKeyRoutes(deps))
    .use(jobRoutes(deps))
    .use(authGuard(deps.keys))
    .get("/api/v1/event_types", () => deps.live.config.eventTypes.map((e) => ({ name: e.name, object_type: e.objectType, description: e.description ?? null })), {
      roles: ["publisher", "admin", "user"],
      response: { 200: t.Array(EventTypeResponse), ...errors(401) },
      detail: { tags: ["event types"], summary: "The declared event types" },
    });
  routes = () => app.routes;
  return app;
}
