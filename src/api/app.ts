// The Elysia app: every resource's routes, and one place that turns failures into the error envelope.
import { Elysia } from "elysia";
import type { Config } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { Store } from "../store/index.ts";
import { authGuard } from "./auth.ts";
import { BodyRefused, jsonBodies, tooLarge } from "./body.ts";
import { apiError } from "./errors.ts";
import { eventRoutes } from "./events.ts";
import { apiDocument } from "./openapi.ts";

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
  const { maxBodyBytes } = deps.config.server;
  return new Elysia({ normalize: false })
    // A declared length over the limit is refused before a byte of the body is read; a chunked body is
    // counted as it is read (jsonBodies).
    .onRequest(({ request }) => {
      if (Number(request.headers.get("content-length") ?? 0) > maxBodyBytes) {
        const refused = tooLarge(maxBodyBytes);
        return apiError(refused.status, refused.code, refused.message);
      }
    })
    .onError(({ code, error, set }) => {
      set.headers["content-type"] = "application/json";
      if (code === "VALIDATION") {
        set.status = 400;
        if (typeof error.customError === "string") return { error: { code: "invalid_request", message: error.customError } };
        const first = error.all[0];
        const where = first && "path" in first && first.path ? `${error.type} ${first.path}` : error.type;
        const message = first && "message" in first ? first.message : error.message;
        return { error: { code: "invalid_request", message: `${where}: ${message}` } };
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
    .use(jsonBodies(maxBodyBytes))
    .use(eventRoutes(deps))
    .use(authGuard(deps.config.apiKeys))
    .get(
      "/api/v1/event_types",
      () => deps.config.eventTypes.map((e) => ({ name: e.name, object_type: e.objectType, description: e.description ?? null })),
      { roles: ["publisher", "admin", "user"] },
    );
}
