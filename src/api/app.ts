// The Elysia app: every resource's routes, and one place that turns failures into the error envelope.
import { Elysia, t } from "elysia";
import type { Logger } from "../log.ts";
import { apiKeyRoutes } from "./api-keys.ts";
import { authGuard } from "./auth.ts";
import { apiError } from "./errors.ts";
import { eventRoutes, type EventRouteDeps } from "./events.ts";
import { apiDocument } from "./openapi.ts";
import { errors, EventTypeResponse } from "./schemas.ts";
import { subscriptionRoutes } from "./subscriptions.ts";
import { eventLogPage } from "../ui/routes.ts";

/** The largest request body accepted (413 beyond). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface AppDeps extends EventRouteDeps {
  log: Logger;
}

export function createApp(deps: AppDeps) {
  return new Elysia({ normalize: false })
    // Events are small records; a bound keeps one client from making the server buffer gigabytes.
    .onRequest(({ request }) => {
      if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) {
        return apiError(413, "body_too_large", `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
      }
    })
    .onError(({ code, error, set }) => {
      set.headers["content-type"] = "application/json";
      if (code === "VALIDATION") {
        set.status = 400;
        const first = error.all[0];
        const where = first && "path" in first && first.path ? `${error.type} ${first.path}` : error.type;
        const message = first && "message" in first ? first.message : error.message;
        return { error: { code: "invalid_request", message: `${where}: ${message}` } };
      }
      if (code === "PARSE") {
        set.status = 400;
        return { error: { code: "invalid_body", message: "the request body is not valid JSON" } };
      }
      if (code === "NOT_FOUND") {
        set.status = 404;
        return { error: { code: "not_found", message: "no such route" } };
      }
      deps.log.error("request failed", { error: String(error) });
      set.status = 500;
      return { error: { code: "internal", message: "internal error; see the server log" } };
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
    .use(eventRoutes(deps))
    .use(subscriptionRoutes(deps))
    .use(apiKeyRoutes(deps))
    .use(authGuard(deps.keys))
    .get(
      "/api/v1/event_types",
      () => deps.live.config.eventTypes.map((e) => ({ name: e.name, object_type: e.objectType, description: e.description ?? null })),
      {
        roles: ["publisher", "admin", "user"],
        response: { 200: t.Array(EventTypeResponse), ...errors(401) },
        detail: { tags: ["event types"], summary: "The declared event types" },
      },
    );
}
