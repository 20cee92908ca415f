// `herald serve`: wires the store, the services, the API and the delivery worker, and starts them in order.
// `role` picks what this process runs: the API, the worker (with jobs and retention), or both (the default).
import { readFileSync } from "node:fs";
import { createApp } from "../api/app.ts";
import { assertCanListen } from "../api/port-probe.ts";
import { systemClock, type Clock } from "../clock.ts";
import type { PathSegment } from "../config/schema.ts";
import type { Config, ConfigProblem, LiveConfig } from "../config/types.ts";
import { watchFile } from "../config/watch.ts";
import { logAttempt } from "../delivery/attempt.ts";
import { purgeExpired } from "../delivery/retention.ts";
import { DeliveryWorker } from "../delivery/worker.ts";
import { JobRunner } from "../jobs/runner.ts";
import { jsonLogger, type Logger } from "../log.ts";
import { SubscriptionHealthService } from "../services/subscription-health.ts";
import { createMetrics } from "../metrics.ts";
import type { PluginRegistry } from "../plugins/registry.ts";
import { KeyRing } from "../services/api-keys.ts";
import { EventService } from "../services/events.ts";
import type { AttemptOutcome, EventRecord } from "../store/index.ts";
import { OperationalEvents } from "../services/operational.ts";
import { AuditLog } from "../services/audit.ts";
import { openSqliteStore } from "../store/sqlite/index.ts";
import { SubscriptionDirectory } from "../services/subscriptions/directory.ts";
import { resealSecrets, sealedSubscriptions } from "../services/subscriptions/sealed-store.ts";
import { loadSecretKeys } from "../secrets/keys.ts";
import { eventLogPage } from "../ui/routes.ts";
import { configReloader, problemWithoutLine } from "./reload.ts";
import { Supervisor, type Task } from "./supervisor.ts";

export type { ReloadResult } from "./reload.ts";

const RETENTION_SWEEP_MS = 10 * 60_000;
const BODY_CAP_MARGIN = 8 * 1024 * 1024;

export const ROLES = ["all", "api", "worker"] as const;
export type Role = (typeof ROLES)[number];

/** A config that cannot be applied, with every problem by YAML path and line. */
export class ConfigRejected extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
  }
}

export interface HeraldOptions {
  config: Config;
  plugins: PluginRegistry;
  /** What this process runs (all by default). */
  role?: Role;
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

export async function startHerald(options: HeraldOptions) {
  const role = options.role ?? "all";
  const runsApi = role !== "worker";
  const runsWorker = role !== "api";
  const clock = options.clock ?? systemClock;
  const live: LiveConfig = { config: options.config, plugins: options.plugins };
  const log = options.log ?? jsonLogger(() => live.config.log.level);
  // A process that cannot listen must fail before it opens (and writes to) the database.
  if (runsApi) assertCanListen(live.config.server.host, live.config.server.port);
  const store = openSqliteStore(live.config.storage.sqlitePath);
  let secretKeys;
  try {
    // After the store's lock: a key generated at first start is made by the one process that owns the database.
    secretKeys = loadSecretKeys({ keyFile: live.config.secrets.keyFile, sqlitePath: live.config.storage.sqlitePath }, options.env ?? process.env, log);
  } catch (error) {
    await store.close();
    throw error;
  }
  const directory = new SubscriptionDirectory({ ...store, subscriptions: sealedSubscriptions(store.subscriptions, secretKeys.cipher, live) }, live, clock);
  const keys = new KeyRing(store, live, clock);
  const onAttempt = (subscriptionId: string, outcome: AttemptOutcome) => {
    metrics.attempt(subscriptionId, outcome);
    logAttempt(log, subscriptionId, outcome);
  };
  const onRecorded = (subscriptionId: string, outcome: AttemptOutcome, event: EventRecord) => operational.attempted(subscriptionId, outcome, event);
  // A worker beside no API in this process learns of subscriptions made through another process's API from
  // the store (refreshSubscriptions), and of its bulk resends by looking for new jobs.
  const worker = new DeliveryWorker({ store, live, directory, clock, log, onAttempt, onRecorded, refreshSubscriptions: !runsApi });
  const metrics = createMetrics({ store, clock, inflight: () => worker.inflightCount });
  const onWork = runsWorker ? () => worker.wake() : () => {};
  const jobs = new JobRunner({ store, clock, log, onWork, pollForNew: !runsApi });
  const events = new EventService({ live, store, directory, clock, metrics, onWork, startJob: (id) => runsWorker && jobs.start(id) });
  const operational = new OperationalEvents({ events, directory, log });
  directory.onStateChange = (change) => operational.stateChanged(change);
  const audit = new AuditLog(store, clock);
  const health = new SubscriptionHealthService({ store, clock });
  const app = createApp({ live, keys, directory, events, audit, health, clock, log, metrics, ready: () => store.ping(), page: eventLogPage() });
  const http = runsApi ? httpTask(app, live, log) : null;
  const reload = configReloader({ live, directory, log, audit, env: options.env, onApplied: () => (onWork(), http?.renewCertificate()) });
  let sweepTimer: Timer | undefined;
  let stopWatching = () => {};

  const tasks: Task[] = [
    { name: "store", start: () => {}, stop: () => store.close() },
    {
      name: "subscriptions and keys",
      async start() {
        const resealed = await resealSecrets(store.subscriptions, secretKeys.cipher, live);
        if (resealed > 0) log.info("encrypted the stored secrets under the current key", { subscriptions: resealed, key_id: secretKeys.cipher.current.id });
        secretKeys.rotationDone();
        const conflicts = await directory.conflicts(live.config, live.plugins, options.problemAt ?? problemWithoutLine);
        if (conflicts.length > 0) throw new ConfigRejected(conflicts);
        await directory.applyConfig();
        await keys.load();
        if (runsApi) await bootstrapAdminKey(keys, log, options.showGeneratedToken ?? printGeneratedToken);
      },
      stop: () => {},
    },
    ...(http ? [http] : []),
    ...(runsWorker
      ? [
          { name: "worker", start: () => void (options.startWorker !== false && worker.start()), stop: () => worker.stop() },
          { name: "jobs", start: () => jobs.resume(), stop: () => jobs.stop() },
          {
            name: "retention",
            start() {
              const sweep = () =>
                purgeExpired(store, live.config.retentionMs, clock).then(
                  (purged) => purged > 0 && log.info("purged expired events", { purged }),
                  (error) => log.error("retention sweep failed", { error: String(error) }),
                );
              sweepTimer = setInterval(sweep, RETENTION_SWEEP_MS);
              void sweep();
            },
            stop: () => clearInterval(sweepTimer),
          },
        ]
      : []),
    {
      name: "config watch",
      start: () => void (live.config.watch && (stopWatching = watchFile(live.config.file, () => void reload("file watch")))),
      stop: () => stopWatching(),
    },
  ];
  const supervisor = new Supervisor(log);
  await supervisor.start(tasks);

  const server = app.server;
  const url = server ? `${live.config.server.tls ? "https" : "http"}://${server.hostname === "0.0.0.0" ? "127.0.0.1" : server.hostname}:${server.port}` : "";
  log.info("herald serving", { role, ...(url ? { url } : {}), config: live.config.file, database: live.config.storage.sqlitePath });

  return {
    url,
    app,
    log,
    store,
    worker,
    live,
    directory,
    keys,
    reload,
    /**
     * Stops the parts in the reverse order of their start: the file watch, retention, jobs (each finishes its
     * batch), the worker (attempts in flight finish, bounded by the longest timeout), HTTP, then the store.
     */
    stop: () => supervisor.stop(),
  };
}

export type Herald = Awaited<ReturnType<typeof startHerald>>;

interface HttpTask extends Task {
  /** Reads the certificate files again and, if they changed (renewed), serves with them from now on. */
  renewCertificate(): void;
}

function httpTask(app: ReturnType<typeof createApp>, live: LiveConfig, log: Logger): HttpTask {
  const { host, port, maxBodyBytes, tls: tlsFiles } = live.config.server;
  let served: { cert: string; key: string } | undefined;
  const listen = (tls: typeof served, on = port) => {
    // Elysia asks for SO_REUSEPORT by default; a second Herald on the same port must fail, not share it.
    // The app answers 413 with the error envelope: at once to a declared Content-Length over the limit,
    // and while reading a chunked body. Bun's own cap is a memory backstop above that; it answers a bare
    // 413 to a request declaring more, or to a chunked body that outruns the app's reading by that margin.
    app.listen({ hostname: host, port: on, reusePort: false, maxRequestBodySize: maxBodyBytes + BODY_CAP_MARGIN, ...(tls ? { tls } : {}) });
    served = tls;
  };
  const readCertificate = () => (tlsFiles ? { cert: readFileSync(tlsFiles.certFile, "utf8"), key: readFileSync(tlsFiles.keyFile, "utf8") } : undefined);
  return {
    name: "http",
    start() {
      try {
        listen(readCertificate());
      } catch (error) {
        throw new Error(`cannot listen on ${host}:${port}: ${(error as Error).message}`);
      }
    },
    stop: () => app.server?.stop(),
    renewCertificate() {
      if (!tlsFiles || !app.server) return;
      const previous = served;
      let renewed;
      try {
        renewed = readCertificate()!;
      } catch (error) {
        return log.error("could not read the renewed certificate; serving the one in use", { error: String(error) });
      }
      if (renewed.cert === previous?.cert && renewed.key === previous.key) return;
      // Bun's server.reload() keeps the certificate it started with: a new listener on the same port takes
      // over (requests under way finish on the old one; a connection in the moment between is refused).
      const bound = app.server.port;
      void app.server.stop();
      try {
        listen(renewed, bound);
        log.info("serving the renewed certificate", { cert_file: tlsFiles.certFile });
      } catch (error) {
        listen(previous, bound);
        log.error("the renewed certificate was refused; serving the one in use", { error: String(error) });
      }
    },
  };
}

/**
 * With no key anywhere (none in the file, none stored), nobody could use the API: make an admin key and show
 * its token once. Only its hash is kept.
 */
async function bootstrapAdminKey(keys: KeyRing, log: Logger, show: (token: string) => void) {
  const generated = await keys.bootstrap();
  if (!generated) return;
  show(generated);
  log.warn("no API key was configured: generated an admin key and printed its token once (only its hash is kept)");
}

function printGeneratedToken(token: string) {
  process.stderr.write(
    `\nNo API key is configured, so Herald generated an admin key. Its token is shown only this once:\n\n  ${token}\n\n` +
      `Keep it somewhere safe; Herald stores only its hash. Create other keys with POST /api/v1/api_keys.\n\n`,
  );
}
