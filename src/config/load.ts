// webhooks.config.yaml → Config, or every problem found, each with its YAML path and line.
import { dirname, isAbsolute, resolve } from "node:path";
import type { TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { isNode, LineCounter, parseDocument, type Document } from "yaml";
import type { PluginRegistry } from "../plugins/registry.ts";
import { DEFAULT_TRANSFORMER, loadPlugins } from "../plugins/registry.ts";
import { isReservedHeader } from "../delivery/request.ts";
import { parseDuration } from "./duration.ts";
import { interpolateEnv } from "./env.ts";
import { ConfigFileSchema, type ConfigFile, type SubscriptionFile } from "./schema.ts";
import type { Config, ConfigProblem, PluginChoice, RetryPolicy } from "./types.ts";

type PathSegment = string | number;

// Ovation's policy is the default: 10 s per attempt, retries after 64 s and 729 s, any 2xx is a success.
const DEFAULT_RETRY = { timeout: "10s", schedule: ["64s", "729s"], success: "2xx" } as const;

export type LoadResult =
  | { ok: true; config: Config; plugins: PluginRegistry }
  | { ok: false; problems: ConfigProblem[] };

export async function loadConfigFile(file: string, env: Record<string, string | undefined> = process.env): Promise<LoadResult> {
  const path = resolve(file);
  const source = Bun.file(path);
  if (!(await source.exists())) return fail([{ path: "", line: null, message: `config file not found: ${path}` }]);
  return loadConfigText(await source.text(), path, env);
}

export async function loadConfigText(text: string, file: string, env: Record<string, string | undefined>): Promise<LoadResult> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return fail(doc.errors.map((e) => ({ path: "", line: lineCounter.linePos(e.pos[0]).line, message: e.message.split("\n")[0]! })));
  }
  const lineOf = (segments: PathSegment[]) => lineOfPath(doc, lineCounter, segments);
  const problem = (segments: PathSegment[], message: string): ConfigProblem => ({
    path: formatPath(segments),
    line: lineOf(segments),
    message,
  });

  const envProblems: ConfigProblem[] = [];
  const raw = interpolateEnv(doc.toJS() ?? {}, env, (segments, message) => envProblems.push(problem(segments, message)));
  // A value left as `${NAME}` already has its problem; its pattern mismatch would only repeat it.
  const unset = new Set(envProblems.map((p) => p.path));
  const schemaProblems = schemaErrors(ConfigFileSchema, raw)
    .map(({ segments, message }) => problem(segments, message))
    .filter((p) => !unset.has(p.path));
  if (envProblems.length + schemaProblems.length > 0) return fail([...envProblems, ...schemaProblems]);

  const file_ = raw as ConfigFile;
  const baseDir = dirname(file);
  const pluginFiles = (file_.plugins ?? []).map((p) => (isAbsolute(p) ? p : resolve(baseDir, p)));
  const { registry, problems: pluginProblems } = await loadPlugins(pluginFiles);
  const problems: ConfigProblem[] = pluginProblems.map((p) =>
    p.index === null ? { path: "", line: null, message: p.message } : problem(["plugins", p.index], p.message),
  );
  const config = resolveConfig(file_, file, baseDir, pluginFiles);
  problems.push(...semanticProblems(file_, config, registry, problem));
  return problems.length > 0 ? fail(problems) : { ok: true, config, plugins: registry };
}

function fail(problems: ConfigProblem[]): LoadResult {
  return { ok: false, problems };
}

/** typebox's errors, one per path (a union reports several), as YAML path segments. */
function schemaErrors(schema: TSchema, value: unknown): { segments: PathSegment[]; message: string }[] {
  const seen = new Map<string, string>();
  for (const error of Value.Errors(schema, value)) {
    if (!seen.has(error.path)) seen.set(error.path, describeSchemaError(error.message, error.schema));
  }
  return [...seen].map(([pointer, message]) => ({
    segments: pointer
      .split("/")
      .slice(1)
      .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
    message,
  }));
}

function describeSchemaError(message: string, schema: { description?: string }): string {
  return schema.description ? `${message} (${schema.description})` : message;
}

function resolveRetry(base: RetryPolicy, override: Partial<ConfigFile["retry"]> | undefined): RetryPolicy {
  return {
    timeoutMs: override?.timeout ? parseDuration(override.timeout) : base.timeoutMs,
    scheduleMs: override?.schedule ? override.schedule.map(parseDuration) : base.scheduleMs,
    success: override?.success ?? base.success,
  };
}

function pluginChoice(choice: SubscriptionFile["transformer"] | SubscriptionFile["auth"]): PluginChoice | null {
  if (choice === undefined) return null;
  if (typeof choice === "string") return { name: choice, options: {} };
  const { plugin, ...options } = choice;
  return { name: plugin, options };
}

function resolveConfig(raw: ConfigFile, file: string, baseDir: string, pluginFiles: string[]): Config {
  const retry = resolveRetry(
    { timeoutMs: parseDuration(DEFAULT_RETRY.timeout), scheduleMs: DEFAULT_RETRY.schedule.map(parseDuration), success: "2xx" },
    raw.retry,
  );
  const port = Number(raw.server?.port ?? 8080);
  return {
    file,
    server: {
      host: raw.server?.host ?? "0.0.0.0",
      port,
      publicUrl: (raw.server?.public_url ?? `http://localhost:${port}`).replace(/\/+$/, ""),
    },
    storage: { sqlitePath: resolve(baseDir, raw.storage?.sqlite ?? "./data/herald.db") },
    retentionMs: parseDuration(raw.retention ?? "30d"),
    retry,
    delivery: {
      concurrency: raw.delivery?.concurrency ?? 64,
      perSubscription: raw.delivery?.per_subscription ?? 16,
    },
    plugins: pluginFiles,
    eventTypes: raw.event_types.map((t) => ({ name: t.name, objectType: t.object_type, description: t.description })),
    subscriptions: (raw.subscriptions ?? []).map((s) => ({
      id: s.id,
      url: s.url,
      events: s.events,
      transformer: pluginChoice(s.transformer) ?? { name: DEFAULT_TRANSFORMER, options: {} },
      auth: pluginChoice(s.auth),
      headers: s.headers ?? {},
      retry: resolveRetry(retry, s.retry),
    })),
    apiKeys: raw.api_keys.map((k) => ({ name: k.name, role: k.role, token: k.token, subscriptions: k.subscriptions ?? [] })),
  };
}

type ProblemAt = (segments: PathSegment[], message: string) => ConfigProblem;

/** What the schema cannot say: uniqueness, references between sections, plugin names and their options. */
function semanticProblems(raw: ConfigFile, config: Config, plugins: PluginRegistry, problem: ProblemAt): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const duplicates = <T>(items: T[], key: (item: T) => string, at: (index: number) => PathSegment[], describe: (value: string, first: number) => string) => {
    const firstIndex = new Map<string, number>();
    items.forEach((item, index) => {
      const value = key(item);
      const first = firstIndex.get(value);
      if (first !== undefined) problems.push(problem(at(index), describe(value, first)));
      else firstIndex.set(value, index);
    });
  };
  duplicates(raw.event_types, (t) => t.name, (i) => ["event_types", i, "name"], (name) => `duplicate event type "${name}"`);
  duplicates(raw.subscriptions ?? [], (s) => s.id, (i) => ["subscriptions", i, "id"], (id) => `duplicate subscription id "${id}"`);
  // A token is a secret and this message goes to stderr and CI logs: name the other key, never the value.
  duplicates(raw.api_keys, (k) => k.token, (i) => ["api_keys", i, "token"], (_, first) => `duplicate API key token (the same as api_keys[${first}].token)`);

  const declared = new Set(config.eventTypes.map((t) => t.name));
  const subscriptionIds = new Set(config.subscriptions.map((s) => s.id));
  config.subscriptions.forEach((subscription, i) => {
    subscription.events.forEach((name, j) => {
      if (name !== "*" && !declared.has(name))
        problems.push(problem(["subscriptions", i, "events", j], `unknown event type "${name}"; declared: ${[...declared].join(", ")}`));
    });
    const transformerAt: PathSegment[] = typeof raw.subscriptions?.[i]?.transformer === "object" ? ["subscriptions", i, "transformer", "plugin"] : ["subscriptions", i, "transformer"];
    problems.push(...choiceProblems(subscription.transformer, plugins.transformers, "transformer", transformerAt, problem));
    if (subscription.auth) problems.push(...choiceProblems(subscription.auth, plugins.auth, "auth", ["subscriptions", i, "auth", "plugin"], problem));
    const authHeaders = subscription.auth ? (plugins.auth.get(subscription.auth.name)?.headerNames ?? []) : [];
    for (const name of Object.keys(subscription.headers)) {
      if (isReservedHeader(name, authHeaders))
        problems.push(problem(["subscriptions", i, "headers", name], `header ${name} is set by Herald or the subscription's auth plugin and cannot be configured`));
    }
    const shapes = plugins.transformers.get(subscription.transformer.name)?.eventTypes;
    if (shapes) {
      const names = subscription.events.includes("*") ? [...declared] : subscription.events;
      const unfit = names.filter((name) => !shapes.includes(name));
      if (unfit.length > 0)
        problems.push(problem(transformerAt, `transformer "${subscription.transformer.name}" cannot shape ${unfit.join(", ")}; it handles only ${shapes.join(", ")}`));
    }
    // Only the subscription's own override: an inherited zero is reported once, at retry.timeout.
    if (raw.subscriptions?.[i]?.retry?.timeout !== undefined && subscription.retry.timeoutMs === 0)
      problems.push(problem(["subscriptions", i, "retry", "timeout"], "timeout must be longer than 0"));
  });
  if (config.retry.timeoutMs === 0) problems.push(problem(["retry", "timeout"], "timeout must be longer than 0"));
  config.apiKeys.forEach((key, i) => {
    key.subscriptions.forEach((id, j) => {
      if (!subscriptionIds.has(id)) problems.push(problem(["api_keys", i, "subscriptions", j], `unknown subscription "${id}"`));
    });
    if (key.role === "user" && key.subscriptions.length === 0)
      problems.push(problem(["api_keys", i], "a key with role user needs the `subscriptions` it may see"));
  });
  return problems;
}

function choiceProblems(
  choice: PluginChoice,
  available: Map<string, { options?: unknown }>,
  kind: string,
  at: PathSegment[],
  problem: ProblemAt,
): ConfigProblem[] {
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

/** The line of the deepest node that exists along the path (a missing key points at its parent). */
function lineOfPath(doc: Document, lineCounter: LineCounter, segments: PathSegment[]): number | null {
  for (let length = segments.length; length >= 0; length--) {
    const node = length === 0 ? doc.contents : doc.getIn(segments.slice(0, length), true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return null;
}

export function formatPath(segments: PathSegment[]): string {
  return segments.reduce<string>(
    (path, s) => (typeof s === "number" ? `${path}[${s}]` : path ? `${path}.${s}` : s),
    "",
  );
}
