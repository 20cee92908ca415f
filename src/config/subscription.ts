// One subscription as written (the config file's shape, which the REST API speaks too) → the resolved
// Subscription the worker delivers with. Config-owned and API-created subscriptions go through this alike.
import { DEFAULT_TRANSFORMER } from "../plugins/registry.ts";
import { parseDuration } from "./duration.ts";
import type { ConfigFile, SubscriptionFile } from "./schema.ts";
import type { PluginChoice, RetryPolicy, Subscription, TlsFiles } from "../domain/subscription.ts";

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
  };
}

export function pluginChoice(choice: SubscriptionFile["transformer"] | SubscriptionFile["auth"]): PluginChoice | null {
  if (choice === undefined) return null;
  if (typeof choice === "string") return { name: choice, options: {} };
  const { plugin, ...options } = choice;
  return { name: plugin, options };
}

/** `defaultRetry` is the config's policy: a subscription overrides only the fields it names. */
export function resolveSubscription(spec: SubscriptionFile, defaultRetry: RetryPolicy): Subscription {
  return {
    id: spec.id,
    url: spec.url,
    events: spec.events,
    transformer: pluginChoice(spec.transformer) ?? { name: DEFAULT_TRANSFORMER, options: {} },
    auth: pluginChoice(spec.auth),
    headers: spec.headers ?? {},
    retry: resolveRetry(defaultRetry, spec.retry),
    enabled: spec.enabled ?? true,
    description: spec.description ?? null,
    tls: spec.tls ? tlsFiles(spec.tls) : null,
  };
}
