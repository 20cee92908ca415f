// A subscription as Herald delivers to it (resolved from the file or the API: defaults applied, durations in
// milliseconds), and an API key as Herald checks it.
import type { ApiRole, DisabledReason, OnGone } from "./vocabulary.ts";
import type { Ordering } from "./delivery-control.ts";
import type { RateLimit } from "./rate-limit.ts";

export interface RetryPolicy {
  timeoutMs: number;
  /** Delays before each retry: 1 + scheduleMs.length attempts in all. */
  scheduleMs: number[];
  success: "2xx" | number[];
  /** The longest delay a Retry-After (on 429 and 503) may impose before the next attempt; 0 ignores it. */
  maxRetryAfterMs: number;
  /** Each delay is spread over ±this fraction of itself (0: none). */
  jitter: number;
  /** A 410 Gone fails that delivery at once; `disable` also disables the subscription. */
  onGone: OnGone;
  /** Disable a subscription whose every attempt has failed for this long; null: never. */
  disableAfterMs: number | null;
}

export interface PluginChoice {
  name: string;
  options: Record<string, unknown>;
}

/** Files for TLS toward a receiver (absolute paths): a CA to trust, a client certificate and its key. */
export interface TlsFiles {
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
}

export interface Subscription {
  id: string;
  url: string;
  /** Event type names, or "*" for all of them. */
  events: string[];
  transformer: PluginChoice;
  auth: PluginChoice | null;
  headers: Record<string, string>;
  retry: RetryPolicy;
  /** false: nothing new is delivered to it, and its unfinished deliveries fail. */
  enabled: boolean;
  /** At most so many attempts per window; null: no limit. */
  rateLimit: RateLimit | null;
  /** Delivered in publish order along these lines; null: in any order. */
  ordering: Ordering | null;
  description: string | null;
  /** TLS files of its own, over the config's default (delivery.tls); only the file's subscriptions have them. */
  tls: TlsFiles | null;
}

/** Herald's own record of a subscription's health: since when every attempt failed, and why it disabled it. */
export interface SubscriptionHealth {
  /** The start of the first failed attempt since the last success; null while the last attempt succeeded. */
  failingSince: number | null;
  /** Set when Herald disabled it; enabling it again clears it. */
  disabled: { reason: DisabledReason; at: number } | null;
}

export interface ApiKey {
  /** A config key's name, or the `key_…` id of a key created through the API. */
  id: string;
  name: string;
  role: ApiRole;
  /** Lowercase hex SHA-256 of the token: only the hash is kept, in memory as on disk. */
  tokenSha256: string;
  /** For role `user`: the subscriptions whose events it may see. */
  subscriptions: string[];
  /** Unix ms after which the key is refused, or null. */
  expiresAt: number | null;
  /** Requests it may make (the config's `rate_limit`; keys made through the API have none). */
  rateLimit?: RateLimit | null;
}
