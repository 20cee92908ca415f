// API keys: `Authorization: Bearer <token>`, or HTTP Basic with the token as username (as One Codex clients send it).
import { timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import type { ApiRole } from "../config/schema.ts";
import type { ApiKeyConfig } from "../config/types.ts";
import { apiError } from "./errors.ts";

export function tokenFromHeader(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const [scheme, value] = authorization.split(" ", 2) as [string, string | undefined];
  if (!value) return null;
  if (scheme.toLowerCase() === "bearer") return value.trim();
  if (scheme.toLowerCase() === "basic") {
    const decoded = Buffer.from(value.trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon === -1 ? decoded : decoded.slice(0, colon);
  }
  return null;
}

/** Compares every key in constant time, so response timing says nothing about which tokens exist. */
export function findKey(keys: ApiKeyConfig[], token: string): ApiKeyConfig | null {
  const given = Buffer.from(token);
  let found: ApiKeyConfig | null = null;
  for (const key of keys) {
    const expected = Buffer.from(key.token);
    if (expected.length === given.length && timingSafeEqual(expected, given)) found = key;
  }
  return found;
}

function authenticate(keys: ApiKeyConfig[], authorization: string | undefined, roles: ApiRole[]) {
  const token = tokenFromHeader(authorization);
  const apiKey = token === null ? null : findKey(keys, token);
  if (!apiKey) return apiError(401, "unauthorized", "a valid API key is required (Authorization: Bearer <token>)");
  if (!roles.includes(apiKey.role)) return apiError(403, "forbidden", `this needs a key with role ${roles.join(" or ")}`);
  return apiKey;
}

/**
 * `roles: [...]` on a route: 401 without a known key, 403 with a key of another role. The check runs at
 * transform, before the body is validated, so a caller without a key learns nothing about the API's shape.
 */
export function authGuard(keys: ApiKeyConfig[]) {
  return new Elysia({ name: "herald-auth" }).macro({
    roles: (roles: ApiRole[]) => ({
      // Elysia types transform hooks as returning void, yet a returned status ends the request right there.
      transform: (({ headers }: { headers: Record<string, string | undefined> }) => {
        const result = authenticate(keys, headers.authorization, roles);
        if (!("role" in result)) return result;
      }) as unknown as () => void,
      resolve({ headers }) {
        const result = authenticate(keys, headers.authorization, roles);
        return "role" in result ? { apiKey: result } : result;
      },
    }),
  });
}

/** A `user` key sees only its own subscriptions; every other role sees all. */
export function visibleSubscriptions(apiKey: ApiKeyConfig): string[] | undefined {
  return apiKey.role === "user" ? apiKey.subscriptions : undefined;
}
