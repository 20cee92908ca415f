// A subscription in the file's shape (its spec), and what must never leave Herald in it: secrets are accepted
// and used, never returned (Ovation: "the password is retained and also passed, but not provided").
import type { TSchema } from "@sinclair/typebox";
import { formatDuration } from "../../config/duration.ts";
import { redactUrl } from "../../delivery/request.ts";
import type { PluginRegistry } from "../../plugins/registry.ts";
import type { SubscriptionSpec } from "../../store/types.ts";
import type { Subscription, TlsFiles } from "../../domain/subscription.ts";
import { isSecretName } from "../../domain/names.ts";
import { formatRateLimit, type Ordering } from "../../domain/delivery-control.ts";
import { isSealed, type SecretCipher } from "../../secrets/cipher.ts";

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
    ...(subscription.tls ? { tls: tlsSpec(subscription.tls) } : {}),
  };
}

function orderingSpec(ordering: Ordering): NonNullable<SubscriptionSpec["ordering"]> {
  return ordering.keyPath === null ? "fifo" : { fifo: true, key: ["object", ...ordering.keyPath].join(".") };
}

/** What becomes of each secret in a spec: an option (undefined drops it), a static header's value, the URL. */
interface SecretEdit {
  option(value: unknown): unknown;
  header(value: string): string;
  url(url: string): string;
}

/**
 * The secrets of a spec, edited: plugin options marked `writeOnly` in the plugin's schema or named like a
 * credential (whatever their value, lists of secrets included), static headers named like a credential, and a
 * URL with a credential among its query parameters.
 */
function editSecrets<S extends SubscriptionSpec>(spec: S, plugins: PluginRegistry, edit: SecretEdit): S {
  const { transformer, auth, headers } = spec;
  const choice = <C extends { plugin: string }>(chosen: C, schema: TSchema | undefined): C => {
    const { plugin, ...options } = chosen;
    return { plugin, ...(editOptions(options, schema, edit) as object) } as C;
  };
  return {
    ...spec,
    url: redactUrl(spec.url) === spec.url ? spec.url : edit.url(spec.url),
    ...(typeof transformer === "object" ? { transformer: choice(transformer, plugins.transformers.get(transformer.plugin)?.options) } : {}),
    ...(auth ? { auth: choice(auth, plugins.auth.get(auth.plugin)?.options) } : {}),
    ...(headers ? { headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isSecretName(name) ? edit.header(value) : value])) } : {}),
  };
}

function tlsSpec(tls: TlsFiles): NonNullable<SubscriptionSpec["tls"]> {
  return { ...(tls.caFile ? { ca_file: tls.caFile } : {}), ...(tls.certFile ? { cert_file: tls.certFile } : {}), ...(tls.keyFile ? { key_file: tls.keyFile } : {}) };
}

/** The spec as it may be shown: secret options left out, secret headers "[redacted]", the URL's credentials too. */
export function redactSpec<S extends SubscriptionSpec>(spec: S, plugins: PluginRegistry): S {
  return editSecrets(spec, plugins, { option: () => undefined, header: () => REDACTED, url: redactUrl });
}

/** The spec as stored: each secret replaced by its sealed envelope (bound to the subscription's id). */
export function sealSpec<S extends SubscriptionSpec>(spec: S, plugins: PluginRegistry, cipher: SecretCipher): S {
  const seal = <T>(value: T) => (isSealed(value) ? value : cipher.seal(value, spec.id)) as T;
  return editSecrets(spec, plugins, { option: seal, header: seal, url: seal });
}

/** The spec as used: every sealed value, wherever it is, opened (throws SecretKeyError if one will not). */
export function openSpec<S extends SubscriptionSpec>(spec: S, cipher: SecretCipher): S {
  const open = (value: unknown): unknown => {
    if (isSealed(value)) return cipher.open(value, spec.id);
    if (Array.isArray(value)) return value.map(open);
    if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, open(item)]));
    return value;
  };
  return open(spec) as S;
}

/** Every sealed value in a stored spec, to see which key each is under. */
export function sealedValues(value: unknown): string[] {
  if (isSealed(value)) return [value];
  if (Array.isArray(value)) return value.flatMap(sealedValues);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(sealedValues);
  return [];
}

/** A plugin option that is a secret: marked `writeOnly` in its schema, or named like a credential. */
function isSecretOption(name: string, schema: TSchema | undefined): boolean {
  return schema?.writeOnly === true || isSecretName(name);
}

const propertiesOf = (schema: TSchema | undefined) => (schema?.properties ?? {}) as Record<string, TSchema>;

/** Edits secret options, and walks into the others' objects and lists to edit the secrets nested there. */
function editOptions(value: unknown, schema: TSchema | undefined, edit: SecretEdit): unknown {
  if (Array.isArray(value)) return value.map((item) => editOptions(item, schema?.items as TSchema | undefined, edit));
  if (typeof value !== "object" || value === null) return value;
  const kept: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) {
    const itemSchema = propertiesOf(schema)[name];
    const edited = isSecretOption(name, itemSchema) ? edit.option(item) : editOptions(item, itemSchema, edit);
    if (edited !== undefined) kept[name] = edited;
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
