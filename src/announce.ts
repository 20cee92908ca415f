// What `herald serve` tells a person at start: where the event log is, which key opens it, and a warning while
// the shipped file's published dev tokens and secrets are in force.
import type { Config } from "./config/types.ts";
import type { FallbackInForce } from "./config/fallbacks.ts";
import type { Logger } from "./log.ts";

export function announceStart(config: Config, url: string, fallbacks: FallbackInForce[], log: Logger): void {
  const adminFallback = fallbacks
    .map((f) => ({ f, key: /^api_keys\[(\d+)\]\.token$/.exec(f.path) }))
    .map(({ f, key }) => ({ f, key: key ? config.apiKeys[Number(key[1])] : undefined }))
    .find(({ key }) => key?.role === "admin");
  const signIn = adminFallback ? `the admin key ${adminFallback.key!.name}, token ${adminFallback.f.value} (the demo fallback)` : "an API key of role admin or user";
  log.info("event log", { url: `${url}/`, sign_in_with: signIn });
  if (fallbacks.length > 0) {
    log.warn("published dev fallbacks are in force: anyone can use them; set these variables before real use", {
      variables: [...new Set(fallbacks.map((f) => f.variable))],
      paths: fallbacks.map((f) => f.path),
    });
  }
}
