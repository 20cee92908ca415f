// `herald serve`: one process, the HTTP API and the delivery worker sharing one store.
import { createApp, MAX_BODY_BYTES } from "./api/app.ts";
import type { Config } from "./config/types.ts";
import { systemClock, type Clock } from "./clock.ts";
import { logAttempt } from "./delivery/attempt.ts";
import { purgeExpired } from "./delivery/retention.ts";
import { DeliveryWorker } from "./delivery/worker.ts";
import { jsonLogger, type Logger } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import type { PluginRegistry } from "./plugins/registry.ts";
import { openSqliteStore, type AttemptOutcome } from "./store/index.ts";

const RETENTION_SWEEP_MS = 10 * 60_000;

export interface HeraldOptions {
  config: Config;
  plugins: PluginRegistry;
  clock?: Clock;
  log?: Logger;
  /** Tests drive the worker by hand (worker.drain()) instead of letting it run. */
  startWorker?: boolean;
}

export async function startHerald(options: HeraldOptions) {
  const { config, plugins } = options;
  const clock = options.clock ?? systemClock;
  const log = options.log ?? jsonLogger(config.log.level);
  const store = openSqliteStore(config.storage.sqlitePath);
  const onAttempt = (subscriptionId: string, outcome: AttemptOutcome) => {
    metrics.attempt(subscriptionId, outcome);
    logAttempt(log, subscriptionId, outcome);
  };
  const worker = new DeliveryWorker({ store, config, plugins, clock, log, onAttempt });
  const metrics = createMetrics({ store, clock, inflight: () => worker.inflightCount });
  const app = createApp({ config, store, clock, log, metrics, onWork: () => worker.wake() });
  try {
    // Elysia asks for SO_REUSEPORT by default; a second Herald on the same port must fail, not share it.
    // Bun's own limit bounds chunked bodies, which carry no Content-Length for the app to check; it sits a
    // little above the app's, so a declared length over the limit still gets the app's JSON 413.
    const maxRequestBodySize = MAX_BODY_BYTES + 64 * 1024;
    app.listen({ hostname: config.server.host, port: config.server.port, reusePort: false, maxRequestBodySize });
  } catch (error) {
    store.close();
    throw new Error(`cannot listen on ${config.server.host}:${config.server.port}: ${(error as Error).message}`);
  }
  const server = app.server!;
  if (options.startWorker !== false) worker.start();

  const sweep = () =>
    purgeExpired(store, config.retentionMs, clock).then(
      (purged) => purged > 0 && log.info("purged expired events", { purged }),
      (error) => log.error("retention sweep failed", { error: String(error) }),
    );
  const sweepTimer = setInterval(sweep, RETENTION_SWEEP_MS);
  void sweep();

  const url = `http://${server.hostname === "0.0.0.0" ? "127.0.0.1" : server.hostname}:${server.port}`;
  log.info("herald serving", { url, config: config.file, database: config.storage.sqlitePath });

  return {
    url,
    app,
    store,
    worker,
    /** Stops taking requests and claims, lets attempts in flight finish (bounded by the longest timeout). */
    async stop() {
      clearInterval(sweepTimer);
      await server.stop();
      await worker.stop();
      store.close();
    },
  };
}

export type Herald = Awaited<ReturnType<typeof startHerald>>;
