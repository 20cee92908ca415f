// Checkpoints off the event loop, and fewer of them. SQLite's own (every 1,000 WAL pages, inside a commit)
// copied the same hot pages (index tails, the count totals) into the database file again and again, and synced
// it, on the server's thread: a quarter of end-to-end's time in the bench (no checkpoints at all: 4.7k ->
// 6.8k deliveries/s). A worker thread (checkpoint-worker.ts) checkpoints once a second on its own connection,
// copying each page once per second however often it changed, and this connection's own checkpoints are off.
// Under writes that never pause, a checkpoint always finds new frames behind it and the WAL is never started
// over, so it would only grow: past WAL_LIMIT_FRAMES this thread restarts it, between two of its own
// transactions, copying just what came since the worker's last checkpoint (at most a second of writes).
import type { Database } from "bun:sqlite";

/** Between checkpoints: each copies every page changed since the last one, once. */
const EVERY_MS = 1_000;
/** About 128 MB of WAL (4 KiB pages): past it, this thread starts the WAL over. */
const WAL_LIMIT_FRAMES = 32_768;
/** SQLite's own default, back in force if the thread cannot run. */
const AUTOCHECKPOINT_PAGES = 1_000;
/** The longest close() waits for the worker to close its connection. */
const CLOSE_WAIT_MS = 5_000;
/**
 * Run from source, this module's URL names its own file, beside the worker's. Compiled, it names the
 * executable at the bundle's root (src/), where `npm run build` put the worker as an entry point.
 */
const WORKER_URL = import.meta.url.endsWith("/checkpointer.ts") ? new URL("./checkpoint-worker.ts", import.meta.url).href : "./store/sqlite/checkpoint-worker.ts";

export interface Checkpointer {
  /** While paused (writes failing), no checkpoint runs: it would grow the database file into space the writers need. */
  pause(paused: boolean): void;
  /** Stops the worker once its connection is closed. */
  close(): void;
}

export function startCheckpointer(client: Database, path: string, options: { everyMs?: number; walLimitFrames?: number } = {}): Checkpointer {
  client.run("PRAGMA wal_autocheckpoint = 0");
  const closed = new Int32Array(new SharedArrayBuffer(4));
  const paused = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_URL);
  let running = true;
  let restart: ReturnType<typeof setImmediate> | null = null;
  worker.onmessage = (message: MessageEvent<{ type: "checkpointed"; walFrames: number }>) => {
    if (!running || restart !== null || Atomics.load(paused, 0) === 1 || message.data.walFrames < (options.walLimitFrames ?? WAL_LIMIT_FRAMES)) return;
    // Between two turns of the event loop, when no transaction of this connection is open.
    restart = setImmediate(() => {
      restart = null;
      try {
        client.run("PRAGMA wal_checkpoint(RESTART)");
      } catch {
        // A full disk or a lock held elsewhere: the next report tries again.
      }
    });
  };
  worker.onerror = () => {
    // Whatever stopped the thread, SQLite checkpoints inside commits again, as it does by default.
    running = false;
    client.run(`PRAGMA wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  };
  worker.postMessage({ type: "start", path, everyMs: options.everyMs ?? EVERY_MS, closed: closed.buffer, paused: paused.buffer });
  // The worker alone must not keep the process alive. (Bun's Worker has unref(); the DOM's type, which the
  // browser code's type check sees, does not.)
  (worker as Worker & { unref(): void }).unref();
  return {
    pause: (value) => void Atomics.store(paused, 0, value ? 1 : 0),
    close() {
      if (restart !== null) clearImmediate(restart);
      if (running) {
        running = false;
        worker.postMessage({ type: "stop" });
        Atomics.wait(closed, 0, 0, CLOSE_WAIT_MS);
      }
      worker.terminate();
    },
  };
}
