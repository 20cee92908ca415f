// One subscription as written (the config file's shape, which the REST API speaks too) → the resolved
// Subscription the worker delivers with. Config-owned and API-created subscriptions go through this alike.
import { DEFAULT_TRANSFORMER } from "../plugins/registry.ts";
import { parseDuration } from "./duration.ts";
import type { ConfigFile, SubscriptionFile } from "./schema.ts";
import type { Config } from "./types.ts";
import type { PluginChoice, RetryPolicy, Subscription, TlsFiles } from "../domain/subscription.ts";
import { orderingKeyPath, parseRateLimit, type Ordering } from "../domain/delivery-control.ts";
import type { RateLimit } from "../domain/rate-limit.ts";

/** `tls:` as written; paths as given (the file's loader makes them absolute first). */
export function tlsFiles(tls: NonNullable<SubscriptionFile["tls"]>): TlsFiles {
  return { caFile: tls.ca_file ?? null, certFile: tls.cert_file ?? null, keyFile: tls.key_file ?? null };
}

export function resolveRetry(base: RetryPolicy, override: Partial<ConfigFile["retry"]> | undefined): RetryPolicy {
  return {
    timeoutMs: override?.timeout ? parseDuration(override.timeout) : base.timeoutMs,
    scheduleMs: override?.schedule ? override.schedule.map(parseDuration) : base.scheduleMs,
    success: override?.success ?? base.success,
    maxRetryAfterMs: override?.max_retry_after ? parseDuration(override.max_retry_after) : base.maxRetryAfterMs,
    jitter: override?.jitter ?? base.jitter,
    onGone: override?.on_gone ?? base.onGone,
    disableAfterMs: override?.disable_after === undefined ? base.disableAfterMs : override.disable_after === "off" ? null : parseDuration(override.disable_after),
  };
}

export function pluginChoice(choice: SubscriptionFile["transformer"] | SubscriptionFile["auth"]): PluginChoice | null {
  if (choice === undefined) return null;
  if (typeof choice === "string") return { name: choice, options: {} };
  const { plugin, ...options } = choice;
  return { name: plugin, options };
}

/** What a subscription inherits from the config: the retry policy (field by field) and the rate limit. */
export interface SubscriptionDefaults {
  retry: RetryPolicy;
  rateLimit: RateLimit | null;
}

export function subscriptionDefaults(config: Pick<Config, "retry" | "delivery">): SubscriptionDefaults {
  return { retry: config.retry, rateLimit: config.delivery.rateLimit };
}

export function resolveOrdering(ordering: SubscriptionFile["ordering"]): Ordering | null {
  if (ordering === undefined) return null;
  return { keyPath: typeof ordering === "object" && ordering.key !== undefined ? orderingKeyPath(ordering.key) : null };
}

/** A subscription overrides only the fields it names of the config's `defaults`. */
export function resolveSubscription(spec: SubscriptionFile, defaults: SubscriptionDefaults): Subscription {
  return {
    id: spec.id,
    url: spec.url,
    events: spec.events,
    transformer: pluginChoice(spec.transformer) ?? { name: DEFAULT_TRANSFORMER, options: {} },
    auth: pluginChoice(spec.auth),
    headers: spec.headers ?? {},
    retry: resolveRetry(defaults.retry, spec.retry),
    enabled: spec.enabled ?? true,
    rateLimit: spec.rate_limit === undefined ? defaults.rateLimit : parseRateLimit(spec.rate_limit),
    ordering: resolveOrdering(spec.ordering),
    description: spec.description ?? null,
    tls: spec.tls ? tlsFiles(spec.tls) : null,
  };
}
