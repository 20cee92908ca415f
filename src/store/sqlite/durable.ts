// Durability without blocking: SQLite commits with synchronous=NORMAL (written to the WAL, no fsync on the
// event loop), and whatever must survive a power cut awaits durable(): one fdatasync of the WAL file, on
// Bun's thread pool. Every commit made before a sync starts is covered by it, so concurrent writers share one
// (group commit), and the event loop goes on serving requests while the disk works.
import { closeSync, fdatasync, fsyncSync, openSync } from "node:fs";
import { dirname } from "node:path";

export interface Durability {
  /** Resolves once everything committed before the call is on disk. */
  durable(): Promise<void>;
  /** Resolves once no sync is running or queued (at once if none): a good moment to commit. */
  idle(): Promise<void>;
  close(): void;
}

/**
 * Shares `sync` between callers. `version` counts the changes committed so far: a call is covered by a sync
 * that started at or after its version (nothing to do if one already finished), and otherwise waits for the
 * next sync, which everyone arriving meanwhile shares.
 */
export function coalesced(sync: () => Promise<void>, version: () => number): Omit<Durability, "close"> {
  let synced = -1;
  let running: { version: number; done: Promise<void> } | null = null;
  let next: Promise<void> | null = null;
  const start = () => {
    const covers = version();
    const done = sync()
      .then(() => void (synced = Math.max(synced, covers)))
      .finally(() => (running = null));
    running = { version: covers, done };
    return done;
  };
  const durable = (): Promise<void> => {
    const wanted = version();
    if (wanted <= synced) return Promise.resolve();
    if (running === null) return start();
    if (running.version >= wanted) return running.done;
    const startNext = () => ((next = null), durable());
    next ??= running.done.then(startNext, startNext);
    return next;
  };
  const idle = async (): Promise<void> => {
    while (running !== null || next !== null) await (next ?? running!.done).catch(() => {});
  };
  return { durable, idle };
}

/** For the database file at `path`, in WAL mode with its `-wal` file open; null for a database in memory. */
export function walDurability(path: string | null, version: () => number): Durability {
  if (path === null) return { durable: async () => {}, idle: async () => {}, close() {} };
  const fd = openSync(`${path}-wal`, "r+");
  // The WAL file's name must survive a power cut too: sync its folder once.
  const folder = openSync(dirname(path), "r");
  fsyncSync(folder);
  closeSync(folder);
  const syncs = coalesced(() => new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve()))), version);
  return { ...syncs, close: () => closeSync(fd) };
}
