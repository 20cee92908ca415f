// Which methods a path answers, from the app's own route table: a method it does not support gets 405 with
// `Allow` (RFC 9110 15.5.6), not 404, and OPTIONS answers with `Allow`.
import { apiError } from "./errors.ts";

export interface RouteEntry {
  method: string;
  path: string;
}

/** `/api/v1/events/:id` as a pattern: a parameter is one non-empty segment. */
const patternOf = (path: string) =>
  new RegExp(
    `^${path
      .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
      .replace(/:[^/]+/g, "[^/]+")
      .replace(/\*$/, ".*")}$`,
  );

/** The methods of the routes matching `pathname`, with HEAD beside GET (Bun answers it) and OPTIONS; [] for none. */
export function allowedMethods(routes: RouteEntry[], pathname: string): string[] {
  const methods = new Set(routes.filter((route) => patternOf(route.path).test(pathname)).map((route) => route.method.toUpperCase()));
  if (methods.size === 0) return [];
  if (methods.has("GET")) methods.add("HEAD");
  methods.add("OPTIONS");
  return [...methods].sort();
}

/** The answer to a request no route took: OPTIONS 204 or 405 where the path exists, else undefined (a 404). */
export function methodAnswer(routes: RouteEntry[], request: Request, set: { headers: Record<string, unknown>; status?: unknown }) {
  const allowed = allowedMethods(routes, new URL(request.url).pathname);
  if (allowed.length === 0) return undefined;
  set.headers.allow = allowed.join(", ");
  if (request.method === "OPTIONS") {
    set.status = 204;
    delete set.headers["content-type"];
    return new Response(null, { status: 204, headers: { allow: allowed.join(", ") } });
  }
  set.status = 405;
  return { error: { code: "method_not_allowed", message: `${request.method} is not supported here; allowed: ${allowed.join(", ")}` } };
}
