// What the schema cannot say: uniqueness, references between sections, plugin names and their options,
// URLs and headers no request could carry, and a retention that would purge events still being retried.
import type { TSchema } from "@sinclair/typebox";
import type { PluginRegistry } from "../plugins/registry.ts";
import { formatDuration } from "./duration.ts";
import { formatSize } from "./size.ts";
import { formatPath, schemaErrors, type PathSegment, type SubscriptionFile, type ValidParts } from "./schema.ts";
import type { Config, ConfigProblem } from "./types.ts";
import type { PluginChoice, RetryPolicy, Subscription, TlsFiles } from "../domain/subscription.ts";
import { readFileSync } from "node:fs";
import { retrySpanMs } from "../domain/retry.ts";
import { isReservedHeader } from "../domain/names.ts";
import { parseCidr } from "../domain/network.ts";
import { isOperational, OPERATIONAL_EVENT_TYPES, OPERATIONAL_PREFIX } from "../domain/operational.ts";

/** Below a kilobyte no real event fits; above 64 MiB one request could hold a worrying share of memory. */
const BODY_SIZE_RANGE = { min: 1024, max: 64 * 1024 * 1024 };

export type ProblemAt = (segments: PathSegment[], message: string) => ConfigProblem;

/** `config` is resolved from `parts.file`; each problem names the path in the file, not in the kept parts. */
export function semanticProblems(parts: ValidParts, config: Config, plugins: PluginRegistry, problem: ProblemAt): ConfigProblem[] {
  const { file, origin, incomplete } = parts;
  const problems: ConfigProblem[] = [];
  const typeAt = (i: number): PathSegment[] => ["event_types", origin.event_types[i]!];
  const subscriptionAt = (i: number): PathSegment[] => ["subscriptions", origin.subscriptions[i]!];
  const keyAt = (i: number): PathSegment[] => ["api_keys", origin.api_keys[i]!];
  const duplicates = <T>(items: T[], key: (item: T) => string, at: (index: number) => PathSegment[], describe: (value: string, first: number) => string) => {
    const firstIndex = new Map<string, number>();
    items.forEach((item, index) => {
      const value = key(item);
      const first = firstIndex.get(value);
      if (first !== undefined) problems.push(problem(at(index), describe(value, first)));
      else firstIndex.set(value, index);
    });
  };
  duplicates(
    file.event_types,
    (t) => t.name,
    (i) => [...typeAt(i), "name"],
    (name) => `duplicate event type "${name}"`,
  );
  file.event_types.forEach((t, i) => {
    if (isOperational(t.name))
      problems.push(
        problem([...typeAt(i), "name"], `event type names starting with "${OPERATIONAL_PREFIX}" are Herald's own (${OPERATIONAL_EVENT_TYPES.map((o) => o.name).join(", ")}); choose another name`),
      );
  });
  duplicates(
    file.subscriptions ?? [],
    (s) => s.id,
    (i) => [...subscriptionAt(i), "id"],
    (id) => `duplicate subscription id "${id}"`,
  );
  const keys = file.api_keys ?? [];
  duplicates(
    keys,
    (k) => k.name,
    (i) => [...keyAt(i), "name"],
    (name) => `duplicate API key name "${name}"`,
  );
  // A token is a secret and this message goes to stderr and CI logs: name the other key, never the value.
  const tokenField = (i: number) => (keys[i]!.token === undefined ? "token_sha256" : "token");
  duplicates(
    config.apiKeys.map((k, i) => k.tokenSha256 || `(no token at ${i})`),
    (hash) => hash,
    (i) => [...keyAt(i), tokenField(i)],
    (_, first) => `duplicate API key token (the same as ${formatPath([...keyAt(first), tokenField(first)])})`,
  );
  // The metrics token opens GET /metrics only: the same token as a key's would open more than it says.
  if (config.metrics.tokenSha256 !== null && config.apiKeys.some((key) => key.tokenSha256 === config.metrics.tokenSha256))
    problems.push(problem(["metrics", "token"], "the metrics token is also an API key's token; give it a token of its own"));
  keys.forEach((key, i) => {
    if ((key.token === undefined) === (key.token_sha256 === undefined)) problems.push(problem(keyAt(i), "give exactly one of `token` and `token_sha256`"));
  });

  // A reference into a section that lost a part to the schema is not judged: the lost part may be the one named.
  const declared = incomplete.has("event_types") ? null : [...new Set(config.eventTypes.map((t) => t.name))];
  const subscriptionIds = incomplete.has("subscriptions") ? null : new Set(config.subscriptions.map((s) => s.id));
  config.subscriptions.forEach((subscription, i) => problems.push(...subscriptionProblems(subscription, file.subscriptions![i]!, subscriptionAt(i), declared, plugins, problem)));
  if (config.retry.timeoutMs === 0) problems.push(problem(["retry", "timeout"], "timeout must be longer than 0"));
  config.apiKeys.forEach((key, i) => {
    key.subscriptions.forEach((id, j) => {
      if (subscriptionIds && !subscriptionIds.has(id)) problems.push(problem([...keyAt(i), "subscriptions", j], `unknown subscription "${id}"`));
    });
    if (key.role === "user" && key.subscriptions.length === 0) problems.push(problem(keyAt(i), "a key with role user needs the `subscriptions` it may see"));
  });
  if (file.server?.public_url !== undefined && !URL.canParse(file.server.public_url)) problems.push(problem(["server", "public_url"], "not a valid URL"));
  (file.delivery?.allow_networks ?? []).forEach((cidr, i) => {
    if (!parseCidr(cidr)) problems.push(problem(["delivery", "allow_networks", i], `"${cidr}" is not a network: write an address with a prefix length, such as 169.254.10.0/24 or fd00::/8`));
  });
  const { maxBodyBytes } = config.server;
  if (maxBodyBytes < BODY_SIZE_RANGE.min || maxBodyBytes > BODY_SIZE_RANGE.max)
    problems.push(problem(["server", "max_body_size"], `max_body_size must be between ${formatSize(BODY_SIZE_RANGE.min)} and ${formatSize(BODY_SIZE_RANGE.max)}`));
  // Below max_body_size, a body of the largest allowed size could never be read.
  if (file.server?.max_body_memory !== undefined && config.server.maxBodyMemoryBytes < maxBodyBytes)
    problems.push(problem(["server", "max_body_memory"], `max_body_memory must be at least max_body_size (${formatSize(maxBodyBytes)}), or no body of that size could be read`));
  problems.push(...retentionProblems(parts, config, problem));
  if (config.server.tls) problems.push(...tlsProblems({ caFile: null, ...config.server.tls }, ["server", "tls"], problem));
  problems.push(...tlsProblems(config.delivery.tls, ["delivery", "tls"], problem));
  config.subscriptions.forEach((subscription, i) => subscription.tls && problems.push(...tlsProblems(subscription.tls, [...subscriptionAt(i), "tls"], problem)));
  if (file.delivery?.proxy !== undefined && !URL.canParse(file.delivery.proxy)) problems.push(problem(["delivery", "proxy"], "not a valid URL"));
  return problems;
}

/** Each TLS file must be readable now (a reload reads them again), and a certificate comes with its key. */
function tlsProblems(files: TlsFiles, at: PathSegment[], problem: ProblemAt): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [field, file] of [
    ["ca_file", files.caFile],
    ["cert_file", files.certFile],
    ["key_file", files.keyFile],
  ] as const) {
    if (file === null) continue;
    try {
      if (!readFileSync(file, "utf8").includes("-----BEGIN ")) problems.push(problem([...at, field], `${file} holds no PEM block (-----BEGIN ...)`));
    } catch (error) {
      problems.push(problem([...at, field], `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`));
    }
  }
  if ((files.certFile === null) !== (files.keyFile === null)) problems.push(problem(at, "cert_file and key_file go together: a client certificate needs its private key"));
  return problems;
}

export function subscriptionProblems(subscription: Subscription, raw: SubscriptionFile, at: PathSegment[], declared: string[] | null, plugins: PluginRegistry, problem: ProblemAt): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const wrongUrl = urlProblem(subscription.url);
  if (wrongUrl) problems.push(problem([...at, "url"], wrongUrl));
  subscription.events.forEach((name, j) => {
    if (declared && name !== "*" && !declared.includes(name)) problems.push(problem([...at, "events", j], `unknown event type "${name}"; declared: ${declared.join(", ")}`));
  });
  const transformerAt: PathSegment[] = typeof raw.transformer === "object" ? [...at, "transformer", "plugin"] : [...at, "transformer"];
  problems.push(...choiceProblems(subscription.transformer, plugins.transformers, "transformer", transformerAt, problem));
  if (subscription.auth) problems.push(...choiceProblems(subscription.auth, plugins.auth, "auth", [...at, "auth", "plugin"], problem));
  const authHeaders = subscription.auth ? (plugins.auth.get(subscription.auth.name)?.headerNames ?? []) : [];
  for (const [name, value] of Object.entries(subscription.headers)) {
    const wrongHeader = headerProblem(name, value, authHeaders);
    if (wrongHeader) problems.push(problem([...at, "headers", name], wrongHeader));
  }
  const shapes = plugins.transformers.get(subscription.transformer.name)?.eventTypes;
  const names = subscription.events.includes("*") ? (declared?.filter((name) => !isOperational(name) || subscription.events.includes(name)) ?? null) : subscription.events;
  const unfit = shapes && names ? names.filter((name) => !shapes.includes(name)) : [];
  if (shapes && unfit.length > 0) problems.push(problem(transformerAt, `transformer "${subscription.transformer.name}" cannot shape ${unfit.join(", ")}; it handles only ${shapes.join(", ")}`));
  // Only the subscription's own override: an inherited zero is reported once, at retry.timeout.
  if (raw.retry?.timeout !== undefined && subscription.retry.timeoutMs === 0) problems.push(problem([...at, "retry", "timeout"], "timeout must be longer than 0"));
  return problems;
}

function choiceProblems(choice: PluginChoice, available: Map<string, { options?: unknown }>, kind: string, at: PathSegment[], problem: ProblemAt): ConfigProblem[] {
  const plugin = available.get(choice.name);
  if (!plugin) return [problem(at, `unknown ${kind} plugin "${choice.name}"; available: ${[...available.keys()].join(", ")}`)];
  const optionsSchema = plugin.options;
  if (!optionsSchema) {
    const extra = Object.keys(choice.options);
    return extra.length ? [problem(at.slice(0, -1).concat(extra[0]!), `${kind} plugin "${choice.name}" takes no options`)] : [];
  }
  const base = at[at.length - 1] === "plugin" ? at.slice(0, -1) : at;
  return schemaErrors(optionsSchema as TSchema, choice.options).map(({ segments, message }) => problem([...base, ...segments], message));
}

/** Why a receiver URL cannot be used, or null. Attempt logs show the URL, so it may not carry credentials. */
export function urlProblem(text: string): string | null {
  const url = URL.parse(text);
  if (!url) return "not a valid URL";
  if (url.protocol !== "http:" && url.protocol !== "https:") return "the URL must use http or https";
  if (url.username !== "" || url.password !== "") return "the URL carries credentials, which attempt logs would show; use the basic-auth plugin (auth: { plugin: basic-auth, username, password })";
  return null;
}

const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Why a static request header cannot be sent as configured, or null. Never quotes the value: it may be a secret. */
export function headerProblem(name: string, value: string, authHeaderNames: readonly string[] = []): string | null {
  if (!HTTP_TOKEN.test(name)) return `header name ${JSON.stringify(name)} is not an HTTP token (letters, digits and !#$%&'*+-.^_\`|~ only)`;
  if (/[\r\n\0]/.test(value)) return `the value of header ${name} contains a CR, LF or NUL`;
  if (isReservedHeader(name, authHeaderNames)) return `header ${name} is set by Herald or the subscription's auth plugin and cannot be configured`;
  return null;
}

function retentionProblems({ file, incomplete }: ValidParts, config: Config, problem: ProblemAt): ConfigProblem[] {
  if (incomplete.has("retention")) return [];
  if (config.retentionMs === 0) return [problem(["retention"], "retention must be longer than 0")];
  // Without a sound default policy, a subscription inheriting it would be judged on Herald's default instead.
  if (incomplete.has("retry")) return [];
  const longest = config.subscriptions.toSorted((a, b) => retrySpanMs(b.retry) - retrySpanMs(a.retry))[0];
  const message = longest && retentionProblem(config.retentionMs, longest.id, longest.retry, file.retention === undefined ? " (the default)" : "");
  return message ? [problem(["retention"], message)] : [];
}

/** Why `retentionMs` would purge events subscription `id` may still be retrying, or null. */
export function retentionProblem(retentionMs: number, id: string, retry: RetryPolicy, retentionNote = ""): string | null {
  const span = retrySpanMs(retry);
  if (retentionMs >= span) return null;
  const { scheduleMs, timeoutMs, maxRetryAfterMs } = retry;
  const attempts = `${1 + scheduleMs.length} attempts of ${formatDuration(timeoutMs)}`;
  const stretched = scheduleMs.some((delay) => delay < maxRetryAfterMs) ? `, each wait stretched up to ${formatDuration(maxRetryAfterMs)} by Retry-After,` : "";
  return (
    `retention ${formatDuration(retentionMs)}${retentionNote} is shorter than the ${formatDuration(span)} subscription "${id}" may spend ` +
    `retrying an event (its schedule${stretched} plus ${attempts}): events would be purged while still being retried`
  );
}
