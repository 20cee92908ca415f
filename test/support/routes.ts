// Every route of the API, once: who may call it, what its `:id` names and a body it accepts. The access and
// hostile-input tests walk this table, and a test checks it against the app's own routes, so a new route
// needs one row here.
import { waitUntil } from "./process.ts";
import type { ApiRole } from "../../src/domain/vocabulary.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * What a route's `:id` is, so a test can hand each route a thing that exists: an event, a subscription made
 * through the API (config-owned ones cannot change), a second one only DELETE takes, an API key made through
 * the API, a bulk resend job the admin started.
 */
export type Target = "event" | "subscription" | "doomedSubscription" | "apiKey" | "job";

export interface ApiRoute {
  method: Method;
  /** As the app declares it, with `:id` for the thing it acts on. */
  path: string;
  /** The roles allowed; any other known key gets 403. */
  roles: readonly ApiRole[];
  target?: Target;
  /** A body the route accepts (routes without one take none). */
  body?: unknown;
}

export const ROLES: readonly ApiRole[] = ["publisher", "admin", "user"];

export const API_ROUTES: readonly ApiRoute[] = [
  { method: "POST", path: "/api/v1/events", roles: ["publisher", "admin"], body: { event_type: "sample.uploaded", object: { id: "smp_1" } } },
  { method: "GET", path: "/api/v1/events", roles: ["admin", "user"] },
  { method: "GET", path: "/api/v1/events/:id", roles: ["admin", "user"], target: "event" },
  { method: "POST", path: "/api/v1/events/:id/resend", roles: ["admin", "user"], target: "event", body: {} },
  { method: "POST", path: "/api/v1/events/resend", roles: ["admin", "user"], body: { event_type: "sample.uploaded" } },
  { method: "GET", path: "/api/v1/event_types", roles: ["publisher", "admin", "user"] },
  { method: "GET", path: "/api/v1/subscriptions", roles: ["admin", "user"] },
  { method: "POST", path: "/api/v1/subscriptions", roles: ["admin"], body: { url: "http://127.0.0.1:9/new", events: ["*"] } },
  { method: "GET", path: "/api/v1/subscriptions/:id", roles: ["admin", "user"], target: "subscription" },
  { method: "GET", path: "/api/v1/subscriptions/:id/health", roles: ["admin", "user"], target: "subscription" },
  { method: "PATCH", path: "/api/v1/subscriptions/:id", roles: ["admin"], target: "subscription", body: { description: "changed" } },
  { method: "DELETE", path: "/api/v1/subscriptions/:id", roles: ["admin"], target: "doomedSubscription" },
  { method: "POST", path: "/api/v1/subscriptions/:id/rotate_secret", roles: ["admin"], target: "subscription", body: {} },
  { method: "POST", path: "/api/v1/subscriptions/:id/test", roles: ["admin"], target: "subscription", body: {} },
  { method: "GET", path: "/api/v1/api_keys", roles: ["admin"] },
  { method: "POST", path: "/api/v1/api_keys", roles: ["admin"], body: { name: "made-by-test", role: "publisher" } },
  { method: "GET", path: "/api/v1/api_keys/:id", roles: ["admin"], target: "apiKey" },
  { method: "DELETE", path: "/api/v1/api_keys/:id", roles: ["admin"], target: "apiKey" },
  { method: "GET", path: "/api/v1/jobs/:id", roles: ["admin", "user"], target: "job" },
  { method: "GET", path: "/api/v1/audit", roles: ["admin"] },
  // It names every subscription: an admin key (or the config's metrics.token, see observability.test.ts).
  { method: "GET", path: "/metrics", roles: ["admin"] },
];

/** Routes that answer without a key. */
export const OPEN_ROUTES: readonly string[] = [
  "/healthz",
  "/readyz",
  "/openapi.json",
  "/docs",
  "/docs/swagger-ui.css",
  "/docs/swagger-ui-bundle.js",
  "/docs/start.js",
  "/",
  "/ui/app.js",
  "/ui/app.css",
  "/ui/icon.svg",
];

/** The path with its `:id` filled in from `ids` (or with `id` itself, to aim at something else). */
export function pathFor(route: ApiRoute, ids: Record<Target, string> | string): string {
  const id = typeof ids === "string" ? ids : route.target ? ids[route.target] : "";
  return route.path.replace(":id", encodeURIComponent(id));
}

export const describeRoute = (route: ApiRoute) => `${route.method} ${route.path}`;

/**
 * Makes through the API the subscriptions, key and job the `:id` routes act on (`a` must be a declared
 * subscription of the Herald, `url` a receiver that answers 200).
 */
export async function makeTargets(api: (path: string, init?: { method: string; json: unknown }) => Promise<Response>, eventId: string, url: string): Promise<Record<Target, string>> {
  const make = async (path: string, json: unknown, status = 201) => {
    const response = await api(path, { method: "POST", json });
    if (response.status !== status) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { id: string }).id;
  };
  const signed = { url, events: ["*"], auth: { plugin: "standard-webhooks" } };
  const targets = {
    event: eventId,
    subscription: await make("/api/v1/subscriptions", { id: "made-by-api", ...signed }),
    doomedSubscription: await make("/api/v1/subscriptions", { id: "doomed", ...signed }),
    apiKey: await make("/api/v1/api_keys", { name: "doomed", role: "publisher" }),
    job: await make("/api/v1/events/resend", { ids: [eventId] }, 202),
  };
  // The job works in the background: let it finish, so that nothing changes the store under the tests.
  await waitUntil("the target job to finish", async () => (((await (await api(`/api/v1/jobs/${targets.job}`)).json()) as { state: string }).state === "running" ? undefined : true));
  return targets;
}
