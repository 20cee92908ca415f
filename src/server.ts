// `herald serve`: one process, the HTTP API and the delivery worker sharing one store.
import { createApp } from "./api/app.ts";
import type { Config } from "./config/types.ts";
import { systemClock, type Clock } from "./clock.ts";
import { purgeExpired } from "./delivery/retention.ts";
import { DeliveryWorker } from "./delivery/worker.ts";
import { jsonLogger, type Logger } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import type { PluginRegistry } from "./plugins/registry.ts";
import { openSqliteStore } from "./store/index.ts";

const RETENTION_SWEEP_MS = 10 * 60_000;
const BODY_CAP_MARGIN = 8 * 1024 * 1024;

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
  const log = options.log ?? jsonLogger;
  const store = openSqliteStore(config.storage.sqlitePath);
  const worker = new DeliveryWorker({ store, config, plugins, clock, log, onAttempt: (id, outcome) => metrics.attempt(id, outcome) });
  const metrics = createMetrics({ store, clock, inflight: () => worker.inflightCount });
  const app = createApp({ config, store, clock, log, metrics, onWork: () => worker.wake() });
  try {
    // Elysia asks for SO_REUSEPORT by default; a second Herald on the same port must fail, not share it.
    // The app answers 413 with the error envelope: at once to a declared Content-Length over the limit, and
    // while reading a chunked body. Bun's own cap is a memory backstop above that; it answers a bare 413 to a
    // request declaring more, or to a chunked body that outruns the app's reading by that margin.
    const maxRequestBodySize = config.server.maxBodyBytes + BODY_CAP_MARGIN;
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
