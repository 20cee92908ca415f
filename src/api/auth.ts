// API keys: `Authorization: Bearer <token>`, or HTTP Basic with the token as username (as One Codex clients send it).
import { Elysia } from "elysia";
import { apiError } from "./errors.ts";
import type { KeyRing } from "../services/api-keys.ts";
import type { ApiKey } from "../domain/subscription.ts";
import type { ApiRole } from "../domain/vocabulary.ts";

// RFC 7235: the scheme, one or more spaces, one credential, and nothing after it.
const CREDENTIALS = /^([A-Za-z]+) +(\S+)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function tokenFromHeader(authorization: string | null | undefined): string | null {
  const match = authorization?.trim().match(CREDENTIALS);
  if (!match) return null;
  const [, scheme, value] = match as unknown as [string, string, string];
  if (scheme.toLowerCase() === "bearer") return value;
  // Buffer's decoder skips characters that are not base64, so check first: `Basic` must carry base64 only.
  if (scheme.toLowerCase() !== "basic" || !BASE64.test(value)) return null;
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const username = colon === -1 ? decoded : decoded.slice(0, colon);
  return username === "" ? null : username;
}

export type KeyRefusal = { status: 401; code: "key_expired" | "unauthorized"; message: string } | { status: 429; code: "rate_limited"; message: string; retryAfterS: number };

/**
 * Why the Authorization header opens nothing (a 401, or a 429 past the key's rate limit), or the key it names.
 * Each call counts one request against the key's limit: call it once per request (keyOfRequest).
 */
export function keyOf(keys: KeyRing, authorization: string | null): ApiKey | KeyRefusal {
  const token = tokenFromHeader(authorization);
  const apiKey = token === null ? null : keys.authenticate(token);
  if (apiKey === "expired") return { status: 401, code: "key_expired", message: "this API key has expired; ask an admin for a new one" };
  if (!apiKey) return { status: 401, code: "unauthorized", message: "a valid API key is required (Authorization: Bearer <token>)" };
  const waitMs = keys.admit(apiKey);
  if (waitMs > 0) {
    const retryAfterS = Math.ceil(waitMs / 1000);
    return { status: 429, code: "rate_limited", message: `API key "${apiKey.name}" is over its rate limit; try again in ${retryAfterS} s`, retryAfterS };
  }
  return apiKey;
}

/** The error answer for a refused key, with Retry-After on a 429. */
export function keyRefused(refusal: KeyRefusal, set: { headers: Record<string, unknown> }, message = refusal.message) {
  if (refusal.status === 429) set.headers["retry-after"] = String(refusal.retryAfterS);
  return apiError(refusal.status, refusal.code, message);
}

const keyByRequest = new WeakMap<Request, ReturnType<typeof keyOf>>();

/** keyOf for a request, worked out once: the body reader asks before the body is read, the routes after. */
export function keyOfRequest(keys: KeyRing, request: Request): ReturnType<typeof keyOf> {
  let found = keyByRequest.get(request);
  if (found === undefined) {
    found = keyOf(keys, request.headers.get("authorization"));
    keyByRequest.set(request, found);
  }
  return found;
}

function authenticate(keys: KeyRing, request: Request, roles: ApiRole[], set: { headers: Record<string, unknown> }) {
  const apiKey = keyOfRequest(keys, request);
  if (!("role" in apiKey)) return keyRefused(apiKey, set);
  if (!roles.includes(apiKey.role)) return apiError(403, "forbidden", `this needs a key with role ${roles.join(" or ")}`);
  return apiKey;
}

type Authentication = ReturnType<typeof authenticate>;
const granted = (result: Authentication): result is ApiKey => "role" in result;

/**
 * `roles: [...]` on a route: 401 without a known key, 403 with a key of another role, before the body is
 * validated, so a caller without a key learns nothing of the API's schemas. (A body is parsed before this
 * runs, and only for a known key: see body.ts.) The key is checked once, at transform, and remembered for
 * resolve, which hands it to the route.
 */
export function authGuard(keys: KeyRing) {
  return new Elysia({ name: "herald-auth" }).macro({
    roles: (roles: ApiRole[]) => {
      const checked = new WeakMap<Request, Authentication>();
      const check = (request: Request, set: { headers: Record<string, unknown> }) => {
        let result = checked.get(request);
        if (result === undefined) {
          result = authenticate(keys, request, roles, set);
          checked.set(request, result);
        }
        return result;
      };
      return {
        // Elysia types transform hooks as returning void, yet a returned status ends the request right there.
        transform: (({ request, set }: { request: Request; set: { headers: Record<string, unknown> } }) => {
          const result = check(request, set);
          if (!granted(result)) return result;
        }) as unknown as () => void,
        resolve({ request, set }) {
          const result = check(request, set);
          return granted(result) ? { apiKey: result } : result;
        },
      };
    },
  });
}

/** A `user` key sees only its own subscriptions; every other role sees all. */
export function visibleSubscriptions(apiKey: ApiKey): string[] | undefined {
  return apiKey.role === "user" ? apiKey.subscriptions : undefined;
}
