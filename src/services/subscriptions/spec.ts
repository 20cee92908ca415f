// A subscription in the file's shape (its spec), and what must never leave Herald in it: secrets are accepted
// and used, never returned (Ovation: "the password is retained and also passed, but not provided").
import type { TSchema } from "@sinclair/typebox";
import { formatDuration } from "../../config/duration.ts";
import { redactUrl } from "../../delivery/request.ts";
import type { PluginRegistry } from "../../plugins/registry.ts";
import type { SubscriptionSpec } from "../../store/types.ts";
import type { Subscription } from "../../domain/subscription.ts";
import { isSecretName } from "../../domain/names.ts";
import { formatRateLimit, type Ordering } from "../../domain/delivery-control.ts";

export const REDACTED = "[redacted]";

/** A plugin and its options, as written: `{ plugin: name, ...options }`. */
export type ChoiceSpec = { plugin: string } & Record<string, unknown>;

/** A spec with every field a resolved subscription has, the transformer written as `{ plugin, ...options }`. */
export type FullSpec = SubscriptionSpec & Required<Pick<SubscriptionSpec, "headers" | "retry" | "enabled" | "rate_limit">> & { transformer: ChoiceSpec; retry: Required<SubscriptionSpec["retry"]> };

/** The spec of a resolved subscription, with the retry policy it actually follows. */
export function specOf(subscription: Subscription): FullSpec {
  const { transformer, auth, retry } = subscription;
  return {
    id: subscription.id,
    url: subscription.url,
    events: subscription.events,
    transformer: { plugin: transformer.name, ...transformer.options },
    ...(auth ? { auth: { plugin: auth.name, ...auth.options } } : {}),
    headers: subscription.headers,
    retry: {
      timeout: formatDuration(retry.timeoutMs),
      schedule: retry.scheduleMs.map(formatDuration),
      success: retry.success,
      max_retry_after: formatDuration(retry.maxRetryAfterMs),
      jitter: retry.jitter,
      on_gone: retry.onGone,
      disable_after: retry.disableAfterMs === null ? "off" : formatDuration(retry.disableAfterMs),
    },
    enabled: subscription.enabled,
    rate_limit: formatRateLimit(subscription.rateLimit),
    ...(subscription.ordering ? { ordering: orderingSpec(subscription.ordering) } : {}),
    ...(subscription.description === null ? {} : { description: subscription.description }),
  };
}

function orderingSpec(ordering: Ordering): NonNullable<SubscriptionSpec["ordering"]> {
  return ordering.keyPath === null ? "fifo" : { fifo: true, key: ["object", ...ordering.keyPath].join(".") };
}

/**
 * The spec as it may be shown: plugin options marked `writeOnly` in the plugin's schema, or named like a
 * credential, are left out; static headers and URL query parameters named like a credential show "[redacted]".
 */
export function redactSpec<S extends SubscriptionSpec>(spec: S, plugins: PluginRegistry): S {
  const { transformer, auth, headers } = spec;
  return {
    ...spec,
    url: redactUrl(spec.url),
    ...(typeof transformer === "object" ? { transformer: redactChoice(transformer, plugins.transformers.get(transformer.plugin)?.options) } : {}),
    ...(auth ? { auth: redactChoice(auth, plugins.auth.get(auth.plugin)?.options) } : {}),
    ...(headers ? { headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isSecretName(name) ? REDACTED : value])) } : {}),
  };
}

function redactChoice<C extends { plugin: string }>(choice: C, schema: TSchema | undefined): C {
  const { plugin, ...options } = choice;
  return { plugin, ...(withoutSecrets(options, schema) as object) } as C;
}

/**
 * An option never shown: marked `writeOnly` in its schema, or named like a credential, whatever its value (a
 * list of secrets such as previous_secrets included, so what is shown can always be sent back in a PATCH).
 */
function isSecretOption(name: string, schema: TSchema | undefined): boolean {
  return schema?.writeOnly === true || isSecretName(name);
}

const propertiesOf = (schema: TSchema | undefined) => (schema?.properties ?? {}) as Record<string, TSchema>;

/** Drops secret options, and walks into the others' objects and lists to drop the secrets nested there. */
function withoutSecrets(value: unknown, schema: TSchema | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => withoutSecrets(item, schema?.items as TSchema | undefined));
  if (typeof value !== "object" || value === null) return value;
  const kept: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) {
    const itemSchema = propertiesOf(schema)[name];
    if (!isSecretOption(name, itemSchema)) kept[name] = withoutSecrets(item, itemSchema);
  }
  return kept;
}

/**
 * A PATCH may leave out what it cannot have read back: with the same auth plugin, secret options it does not
 * give keep their stored values; a static header sent back as "[redacted]", and the URL sent back as shown,
 * keep their stored values.
 */
export function keepStoredSecrets(next: SubscriptionSpec, stored: SubscriptionSpec, plugins: PluginRegistry): SubscriptionSpec {
  const merged = { ...next, url: next.url === redactUrl(stored.url) ? stored.url : next.url };
  if (next.auth && stored.auth && next.auth.plugin === stored.auth.plugin) {
    const properties = propertiesOf(plugins.auth.get(next.auth.plugin)?.options);
    const auth: Record<string, unknown> = { ...next.auth };
    for (const [name, value] of Object.entries(stored.auth)) {
      if (isSecretOption(name, properties[name]) && auth[name] === undefined) auth[name] = value;
    }
    merged.auth = auth as SubscriptionSpec["auth"];
  }
  if (next.headers && stored.headers) {
    const storedHeaders = stored.headers;
    merged.headers = Object.fromEntries(Object.entries(next.headers).map(([name, value]) => [name, value === REDACTED && storedHeaders[name] !== undefined ? storedHeaders[name] : value]));
  }
  return merged;
}

/**
 * The auth options after a rotation: `secret` replaced, the old one signing on in `previous_secrets` until
 * `until`, and previous secrets whose grace has ended dropped.
 */
export function rotatedAuth(auth: ChoiceSpec, secret: string, until: number, now: number): ChoiceSpec {
  const previous = ((auth.previous_secrets ?? []) as { secret: string; until: string }[]).filter((p) => Date.parse(p.until) > now);
  const old = typeof auth.secret === "string" ? [{ secret: auth.secret, until: new Date(until).toISOString() }] : [];
  return { ...auth, secret, previous_secrets: [...old, ...previous] };
}
