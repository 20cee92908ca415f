// GET /metrics: what a Prometheus scraper reads. It names every subscription, so it takes a key: the
// config's `metrics.token` (a scraper's own, which opens nothing else), or an admin API key.
import { timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import type { LiveConfig } from "../config/types.ts";
import type { Metrics } from "../metrics.ts";
import { sha256Hex } from "../tokens.ts";
import { keyOf, keyRefused, tokenFromHeader } from "./auth.ts";
import { apiError } from "./errors.ts";
import type { KeyRing } from "../services/api-keys.ts";

/** The metrics token, compared by SHA-256 in constant time like API keys (see keys.ts). */
function isMetricsToken(live: LiveConfig, token: string | null): boolean {
  const expected = live.config.metrics.tokenSha256;
  if (expected === null || token === null) return false;
  return timingSafeEqual(Buffer.from(sha256Hex(token), "hex"), Buffer.from(expected, "hex"));
}

export function metricsRoute(deps: { live: LiveConfig; keys: KeyRing; metrics: Metrics }) {
  return new Elysia({ name: "herald-metrics" }).get("/metrics", async ({ request, set }) => {
    const authorization = request.headers.get("authorization");
    if (!isMetricsToken(deps.live, tokenFromHeader(authorization))) {
      const key = keyOf(deps.keys, authorization);
      if (!("role" in key)) return keyRefused(key, set, key.status === 401 ? `${key.message}; GET /metrics also takes the config's metrics.token` : key.message);
      if (key.role !== "admin") return apiError(403, "forbidden", "GET /metrics needs the config's metrics.token or a key with role admin");
    }
    set.headers["content-type"] = deps.metrics.contentType;
    return deps.metrics.render();
  });
}
