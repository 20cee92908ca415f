// The checkpointer's thread: copies the WAL's committed pages into the database file on its own connection,
// so the server's thread never does. Messages: {type: "start", path, everyMs, closed} to begin, {type: "stop"}
// to close the connection and say so through `closed` (the server's close() waits on it). After each
// checkpoint it reports the WAL's size in frames.
import { Database, type Statement } from "bun:sqlite";

declare const self: Worker;

type Start = { type: "start"; path: string; everyMs: number; closed: SharedArrayBuffer; paused: SharedArrayBuffer };

let db: Database | null = null;
let passive: Statement<{ busy: number; log: number; checkpointed: number }, []> | null = null;
let closed: Int32Array | null = null;
let paused: Int32Array | null = null;
let timer: Timer | undefined;

function checkpoint(everyMs: number) {
  // PASSIVE waits for no reader or writer. Skipped while the server's writes fail (see health.ts); one that
  // fails (a full disk) is tried again at the next turn rather than ending the thread.
  if (Atomics.load(paused!, 0) === 0) {
    try {
      const { log } = passive!.get()!;
      self.postMessage({ type: "checkpointed", walFrames: log });
    } catch {}
  }
  timer = setTimeout(() => checkpoint(everyMs), everyMs);
}

self.onmessage = (message: MessageEvent<Start | { type: "stop" }>) => {
  const data = message.data;
  if (data.type === "start") {
    db = new Database(data.path);
    db.run("PRAGMA synchronous = NORMAL");
    passive = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
    closed = new Int32Array(data.closed);
    paused = new Int32Array(data.paused);
    timer = setTimeout(() => checkpoint(data.everyMs), data.everyMs);
  } else {
    clearTimeout(timer);
    // A statement left open would keep the connection alive after close().
    passive?.finalize();
    db?.close();
    db = passive = null;
    if (closed) {
      Atomics.store(closed, 0, 1);
      Atomics.notify(closed, 0);
    }
  }
};
