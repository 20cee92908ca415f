// webhooks.config.yaml → Config, or every problem found, each with its YAML path and line.
import { dirname, isAbsolute, resolve } from "node:path";
import { isNode, LineCounter, parseDocument, type Document } from "yaml";
import type { PluginRegistry } from "../plugins/registry.ts";
import { sha256Hex } from "../tokens.ts";
import { loadPlugins } from "../plugins/registry.ts";
import { parseDuration } from "./duration.ts";
import { interpolateEnv } from "./env.ts";
import { ConfigFileSchema, formatPath, schemaErrors, validParts, type ConfigFile, type PathSegment, type SubscriptionFile } from "./schema.ts";
import { parseSize } from "./size.ts";
import { semanticProblems } from "./semantics.ts";
import { resolveRetry, resolveSubscription, tlsFiles } from "./subscription.ts";
import type { Config, ConfigProblem } from "./types.ts";
import type { ApiKey } from "../domain/subscription.ts";
import { parseRateLimit } from "../domain/delivery-control.ts";
import { OPERATIONAL_EVENT_TYPES } from "../domain/operational.ts";
import { parseRate } from "../domain/rate-limit.ts";

// Ovation's policy is the default: 10 s per attempt, retries after 64 s and 729 s, any 2xx is a success.
// A receiver's Retry-After may stretch a wait up to an hour: long enough for a rate limit or a short
// maintenance window, short enough that a stray "Retry-After: 31536000" cannot park deliveries for a year.
const DEFAULT_RETRY = { timeout: "10s", schedule: ["64s", "729s"], success: "2xx", max_retry_after: "1h" } as const;

// Events are small records: 1 MiB is far above any sane one, and keeps a client from making Herald buffer much.
const DEFAULT_MAX_BODY_SIZE = "1MiB";
// Room for 64 bodies of the default largest size at once (or 4 of the largest allowed): far above what a
// publisher's steady load holds, and a small share of a server's memory.
const DEFAULT_MAX_BODY_MEMORY = "64MiB";

export type LoadResult =
  | {
      ok: true;
      config: Config;
      plugins: PluginRegistry;
      /** A problem at a YAML path of this file, with its line: for checks that need the database. */
      problemAt: (segments: PathSegment[], message: string) => ConfigProblem;
      /** The top-level sections the file writes (`subscriptions: []` is written; a missing section is not). */
      sections: ReadonlySet<string>;
    }
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
  const offsets = new Map<ConfigProblem, number>();
  const problem = (segments: PathSegment[], message: string): ConfigProblem => {
    const offset = offsetOfPath(doc, segments);
    const found = { path: formatPath(segments), line: offset === null ? null : lineCounter.linePos(offset).line, message };
    offsets.set(found, offset ?? -1);
    return found;
  };

  const failed: PathSegment[][] = [];
  const problems: ConfigProblem[] = [];
  const raw = interpolateEnv(doc.toJS() ?? {}, env, (segments, message) => {
    failed.push(segments);
    problems.push(problem(segments, message));
  });
  // A value left as `${NAME}` already has its problem; its pattern mismatch would only repeat it.
  const unset = new Set(problems.map((p) => p.path));
  for (const { segments, message } of schemaErrors(ConfigFileSchema, raw)) {
    failed.push(segments);
    if (!unset.has(formatPath(segments))) problems.push(problem(segments, message));
  }

  // What failed is dropped, so that plugin files and the checks between sections still run on the rest.
  const parts = validParts(raw, failed);
  const baseDir = dirname(file);
  const pluginFiles = (parts.file.plugins ?? []).map((p) => (isAbsolute(p) ? p : resolve(baseDir, p)));
  const { registry, problems: pluginProblems } = await loadPlugins(pluginFiles);
  for (const p of pluginProblems) {
    problems.push(p.index === null ? { path: "", line: null, message: p.message } : problem(["plugins", parts.origin.plugins[p.index]!], p.message));
  }
  const config = resolveConfig(parts.file, file, baseDir, pluginFiles, env);
  problems.push(...semanticProblems(parts, config, registry, problem));
  return problems.length > 0 ? fail(inFileOrder(problems, offsets)) : { ok: true, config, plugins: registry, problemAt: problem, sections: new Set(Object.keys(parts.file)) };
}

/** By line, then by place on the line, then by path: the order an operator reads the file in. */
function inFileOrder(problems: ConfigProblem[], offsets: Map<ConfigProblem, number>): ConfigProblem[] {
  const offset = (p: ConfigProblem) => offsets.get(p) ?? -1;
  return problems.toSorted((a, b) => (a.line ?? 0) - (b.line ?? 0) || offset(a) - offset(b) || a.path.localeCompare(b.path));
}

function fail(problems: ConfigProblem[]): LoadResult {
  return { ok: false, problems };
}

function resolveConfig(raw: ConfigFile, file: string, baseDir: string, pluginFiles: string[], env: Record<string, string | undefined>): Config {
  const path = (p: string) => resolve(baseDir, p);
  const absolute = (tls: SubscriptionFile["tls"]) =>
    tls && { ...tls, ...(tls.ca_file ? { ca_file: path(tls.ca_file) } : {}), ...(tls.cert_file ? { cert_file: path(tls.cert_file) } : {}), ...(tls.key_file ? { key_file: path(tls.key_file) } : {}) };
  const serverTls = raw.server?.tls;
  const defaultTls = absolute(raw.delivery?.tls);
  // The usual variables, lowercase too (curl reads those); the file's delivery.proxy wins over both.
  const variable = (name: string) => env[name] || env[name.toLowerCase()] || null;
  const retry = resolveRetry(
    {
      timeoutMs: parseDuration(DEFAULT_RETRY.timeout),
      scheduleMs: DEFAULT_RETRY.schedule.map(parseDuration),
      success: "2xx",
      maxRetryAfterMs: parseDuration(DEFAULT_RETRY.max_retry_after),
      jitter: 0,
      onGone: "fail",
      disableAfterMs: null,
    },
    raw.retry,
  );
  const delivery = {
    concurrency: raw.delivery?.concurrency ?? 64,
    perSubscription: raw.delivery?.per_subscription ?? 16,
    // Off by default: on premises, receivers often live on the private network. Link-local is refused anyway.
    blockPrivateNetworks: raw.delivery?.block_private_networks ?? false,
    allowNetworks: raw.delivery?.allow_networks ?? [],
    rateLimit: parseRateLimit(raw.delivery?.rate_limit),
    tls: defaultTls ? tlsFiles(defaultTls) : { caFile: null, certFile: null, keyFile: null },
    proxy: {
      http: raw.delivery?.proxy ?? variable("HTTP_PROXY"),
      https: raw.delivery?.proxy ?? variable("HTTPS_PROXY"),
      noProxy:
        raw.delivery?.no_proxy ??
        (variable("NO_PROXY") ?? "")
          .split(",")
          .map((host) => host.trim())
          .filter(Boolean),
    },
  };
  const port = Number(raw.server?.port ?? 8080);
  const sqlite = raw.storage?.sqlite ?? "./data/herald.db";
  return {
    file,
    server: {
      host: raw.server?.host ?? "0.0.0.0",
      port,
      publicUrl: (raw.server?.public_url ?? `http://localhost:${port}`).replace(/\/+$/, ""),
      maxBodyBytes: parseSize(raw.server?.max_body_size ?? DEFAULT_MAX_BODY_SIZE),
      maxBodyMemoryBytes: parseSize(raw.server?.max_body_memory ?? DEFAULT_MAX_BODY_MEMORY),
      tls: serverTls ? { certFile: path(serverTls.cert_file), keyFile: path(serverTls.key_file) } : null,
    },
    // ":memory:" (nothing kept across restarts, for trying things out) is SQLite's name, not a path.
    storage: { sqlitePath: sqlite === ":memory:" ? sqlite : resolve(baseDir, sqlite) },
    secrets: { keyFile: raw.secrets?.key_file === undefined ? null : resolve(baseDir, raw.secrets.key_file) },
    retentionMs: parseDuration(raw.retention ?? "30d"),
    retry,
    delivery,
    log: { level: raw.log?.level ?? "info" },
    metrics: { tokenSha256: raw.metrics?.token === undefined ? null : sha256Hex(raw.metrics.token) },
    plugins: pluginFiles,
    eventTypes: [...raw.event_types.map((t) => ({ name: t.name, objectType: t.object_type, description: t.description })), ...OPERATIONAL_EVENT_TYPES],
    subscriptions: (raw.subscriptions ?? []).map((s) => resolveSubscription(s.tls ? { ...s, tls: absolute(s.tls) } : s, { retry, rateLimit: delivery.rateLimit })),
    apiKeys: (raw.api_keys ?? []).map(resolveApiKey),
    watch: raw.reload?.watch ?? true,
  };
}

/** Only the hash of a key's token is kept, whether the file gave the token or the hash. */
function resolveApiKey(key: NonNullable<ConfigFile["api_keys"]>[number]): ApiKey {
  return {
    id: key.name,
    name: key.name,
    role: key.role,
    tokenSha256: key.token_sha256 ?? (key.token === undefined ? "" : sha256Hex(key.token)),
    subscriptions: key.subscriptions ?? [],
    expiresAt: key.expires_at === undefined ? null : Date.parse(key.expires_at),
    rateLimit: key.rate_limit === undefined ? null : parseRate(key.rate_limit),
  };
}

/** Where the deepest node along the path starts (a missing key points at its parent). */
function offsetOfPath(doc: Document, segments: PathSegment[]): number | null {
  for (let length = segments.length; length >= 0; length--) {
    const node = length === 0 ? doc.contents : doc.getIn(segments.slice(0, length), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return null;
}
