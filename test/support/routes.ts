// Every route of the API, once: who may call it and a body it accepts. The access and hostile-input tests
// walk this table, and a test checks it against the app's own routes, so a new route needs one row here.
import type { ApiRole } from "../../src/config/schema.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface ApiRoute {
  method: Method;
  /** As the app declares it, with `:id` for the event (or subscription) it acts on. */
  path: string;
  /** The roles allowed; any other known key gets 403. */
  roles: readonly ApiRole[];
  /** A body the route accepts (routes without one take none). */
  body?: unknown;
}

export const ROLES: readonly ApiRole[] = ["publisher", "admin", "user"];

export const API_ROUTES: readonly ApiRoute[] = [
  { method: "POST", path: "/api/v1/events", roles: ["publisher", "admin"], body: { event_type: "sample.uploaded", object: { id: "smp_1" } } },
  { method: "GET", path: "/api/v1/events", roles: ["admin", "user"] },
  { method: "GET", path: "/api/v1/events/:id", roles: ["admin", "user"] },
  { method: "POST", path: "/api/v1/events/:id/resend", roles: ["admin", "user"], body: {} },
  { method: "POST", path: "/api/v1/events/resend", roles: ["admin", "user"], body: { event_type: "sample.uploaded" } },
  { method: "GET", path: "/api/v1/event_types", roles: ["publisher", "admin", "user"] },
];

/** Routes that answer without a key. */
export const OPEN_ROUTES: readonly string[] = ["/healthz", "/readyz", "/metrics", "/openapi.json"];

/** The path with its `:id` filled in. */
export function pathFor(route: ApiRoute, id: string): string {
  return route.path.replace(":id", encodeURIComponent(id));
}

export const describeRoute = (route: ApiRoute) => `${route.method} ${route.path}`;
