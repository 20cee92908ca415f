// The Elysia app: every resource's routes, and one place that turns failures into the error envelope.
import { Elysia } from "elysia";
import type { Config } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { Store } from "../store/index.ts";
import { authGuard } from "./auth.ts";
import { apiError } from "./errors.ts";
import { eventRoutes } from "./events.ts";
import { apiDocument } from "./openapi.ts";
import { eventLogPage } from "../ui/routes.ts";

/** The largest request body accepted (413 beyond). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface AppDeps {
  config: Config;
  store: Store;
  clock: Clock;
  /** Tells the delivery worker there is new work. */
  onWork: () => void;
  log: Logger;
  metrics: Metrics;
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
    .use(authGuard(deps.config.apiKeys))
    .get(
      "/api/v1/event_types",
      () => deps.config.eventTypes.map((e) => ({ name: e.name, object_type: e.objectType, description: e.description ?? null })),
      { roles: ["publisher", "admin", "user"] },
    );
}
