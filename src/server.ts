// `herald serve`: one process, the HTTP API and the delivery worker sharing one store.
import { createApp } from "./api/app.ts";
import { assertCanListen } from "./api/port-probe.ts";
import { KeyRing } from "./api/keys.ts";
import { loadConfigFile } from "./config/load.ts";
import { formatPath, type PathSegment } from "./config/schema.ts";
import type { Config, ConfigProblem, LiveConfig } from "./config/types.ts";
import { watchFile } from "./config/watch.ts";
import { systemClock, type Clock } from "./clock.ts";
import { logAttempt } from "./delivery/attempt.ts";
import { purgeExpired } from "./delivery/retention.ts";
import { DeliveryWorker } from "./delivery/worker.ts";
import { JobRunner } from "./jobs/runner.ts";
import { jsonLogger, type Logger } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import type { PluginRegistry } from "./plugins/registry.ts";
import { openSqliteStore, type AttemptOutcome } from "./store/index.ts";
import { SubscriptionDirectory } from "./subscriptions/directory.ts";

const RETENTION_SWEEP_MS = 10 * 60_000;
const BODY_CAP_MARGIN = 8 * 1024 * 1024;

/** A config that cannot be applied, with every problem by YAML path and line. */
export class ConfigRejected extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
  }
}

export interface HeraldOptions {
  config: Config;
  plugins: PluginRegistry;
  /** Places a problem found against the database at its line in the file (from loadConfigFile). */
  problemAt?: (segments: PathSegment[], message: string) => ConfigProblem;
  /** The environment `${NAME}` reads from when the file is reloaded (the process's by default). */
  env?: Record<string, string | undefined>;
  clock?: Clock;
  log?: Logger;
  /** Where the token of an admin key generated at first start is shown, once (stderr by default). */
  showGeneratedToken?: (token: string) => void;
  /** Tests drive the worker by hand (worker.drain()) instead of letting it run. */
  startWorker?: boolean;
}

export type ReloadResult = { ok: true; restartNeeded: string[] } | { ok: false; problems: ConfigProblem[] };

export async function startHerald(options: HeraldOptions) {
  const clock = options.clock ?? systemClock;
  const live: LiveConfig = { config: options.config, plugins: options.plugins };
  const log = options.log ?? jsonLogger(() => live.config.log.level);
  assertCanListen(live.config.server.host, live.config.server.port);
  const store = openSqliteStore(live.config.storage.sqlitePath);
  const directory = new SubscriptionDirectory(store, live, clock);
  const conflicts = directory.conflicts(live.config, live.plugins, options.problemAt ?? problemWithoutLine);
  if (conflicts.length > 0) {
    store.close();
    throw new ConfigRejected(conflicts);
  }
  directory.applyConfig();
  const keys = new KeyRing(store, live, clock);
  const generated = keys.bootstrap();
  if (generated) {
    (options.showGeneratedToken ?? printGeneratedToken)(generated);
    log.warn("no API key was configured: generated an admin key and printed its token once (only its hash is kept)");
  }

  const onAttempt = (subscriptionId: string, outcome: AttemptOutcome) => {
    metrics.attempt(subscriptionId, outcome);
    logAttempt(log, subscriptionId, outcome);
  };
  const worker = new DeliveryWorker({ store, live, directory, clock, log, onAttempt });
  const metrics = createMetrics({ store, clock, inflight: () => worker.inflightCount });
  const onWork = () => worker.wake();
  const jobs = new JobRunner({ store, clock, log, onWork });
  const app = createApp({ live, store, directory, keys, clock, log, metrics, onWork, jobs });
  try {
    // Elysia asks for SO_REUSEPORT by default; a second Herald on the same port must fail, not share it.
    // The app answers 413 with the error envelope: at once to a declared Content-Length over the limit, and
    // while reading a chunked body. Bun's own cap is a memory backstop above that; it answers a bare 413 to a
    // request declaring more, or to a chunked body that outruns the app's reading by that margin.
    const maxRequestBodySize = live.config.server.maxBodyBytes + BODY_CAP_MARGIN;
    app.listen({ hostname: live.config.server.host, port: live.config.server.port, reusePort: false, maxRequestBodySize });
  } catch (error) {
    store.close();
    throw new Error(`cannot listen on ${live.config.server.host}:${live.config.server.port}: ${(error as Error).message}`);
  }
  const server = app.server!;
  if (options.startWorker !== false) worker.start();
  jobs.resume();

  const sweep = () =>
    purgeExpired(store, live.config.retentionMs, clock).then(
      (purged) => purged > 0 && log.info("purged expired events", { purged }),
      (error) => log.error("retention sweep failed", { error: String(error) }),
    );
  const sweepTimer = setInterval(sweep, RETENTION_SWEEP_MS);
  void sweep();

  /**
   * Re-reads the file. A valid one is applied at once (event types, subscriptions, keys, retry policy, limits);
   * what only a restart can change is kept as it was and named. An invalid one changes nothing.
   */
  async function reload(): Promise<ReloadResult> {
    const loaded = await loadConfigFile(live.config.file, options.env);
    const problems = loaded.ok ? directory.conflicts(loaded.config, loaded.plugins, loaded.problemAt) : loaded.problems;
    if (!loaded.ok || problems.length > 0) {
      log.error("config reload rejected; the running config stays in force", { problems: problems.map(describeProblem) });
      return { ok: false, problems };
    }
    const restartNeeded = fixedSettings(live.config, loaded.config);
    const running = { ...live };
    live.config = { ...loaded.config, server: live.config.server, storage: live.config.storage, watch: live.config.watch };
    live.plugins = loaded.plugins;
    try {
      directory.applyConfig();
    } catch (error) {
      Object.assign(live, running); // the store refused the new subscriptions (its transaction rolled back)
      throw error;
    }
    worker.wake();
    if (restartNeeded.length > 0) log.warn("config reloaded; some changes need a restart", { restart_needed: restartNeeded });
    else log.info("config reloaded", { subscriptions: live.config.subscriptions.length, event_types: live.config.eventTypes.length });
    return { ok: true, restartNeeded };
  }
  // One reload at a time: a save during a reload is read again once it is done. A reload that fails (the
  // disk, say) is logged and leaves the running config in force; it never takes the server down.
  let reloading: Promise<ReloadResult> | null = null;
  const serializedReload = async (): Promise<ReloadResult> => {
    while (reloading) await reloading;
    reloading = reload()
      .catch((error): ReloadResult => {
        log.error("config reload failed; the running config stays in force", { error: String(error) });
        return { ok: false, problems: [{ path: "", line: null, message: String(error) }] };
      })
      .finally(() => (reloading = null));
    return reloading;
  };
  const stopWatching = live.config.watch ? watchFile(live.config.file, () => void serializedReload()) : () => {};

  const url = `http://${server.hostname === "0.0.0.0" ? "127.0.0.1" : server.hostname}:${server.port}`;
  log.info("herald serving", { url, config: live.config.file, database: live.config.storage.sqlitePath });

  return {
    url,
    app,
    log,
    store,
    worker,
    live,
    directory,
    keys,
    reload: serializedReload,
    /** Stops taking requests and claims, lets attempts in flight finish (bounded by the longest timeout). */
    async stop() {
      stopWatching();
      clearInterval(sweepTimer);
      await server.stop();
      await jobs.stop();
      await worker.stop();
      store.close();
    },
  };
}

export type Herald = Awaited<ReturnType<typeof startHerald>>;

const problemWithoutLine = (segments: PathSegment[], message: string): ConfigProblem => ({ path: formatPath(segments), line: null, message });
const describeProblem = (p: ConfigProblem) => `${p.line === null ? "" : `line ${p.line}: `}${p.path ? `${p.path}: ` : ""}${p.message}`;

/** Settings a running process cannot change: the socket it listens on, the database it holds, the watch. */
function fixedSettings(running: Config, next: Config): string[] {
  const changed: string[] = [];
  if (next.server.host !== running.server.host) changed.push("server.host");
  if (next.server.port !== running.server.port) changed.push("server.port");
  if (next.server.maxBodyBytes !== running.server.maxBodyBytes) changed.push("server.max_body_size");
  if (next.storage.sqlitePath !== running.storage.sqlitePath) changed.push("storage.sqlite");
  if (next.watch !== running.watch) changed.push("reload.watch");
  return changed;
}

function printGeneratedToken(token: string) {
  process.stderr.write(
    `\nNo API key is configured, so Herald generated an admin key. Its token is shown only this once:\n\n  ${token}\n\n` +
      `Keep it somewhere safe; Herald stores only its hash. Create other keys with POST /api/v1/api_keys.\n\n`,
  );
}
