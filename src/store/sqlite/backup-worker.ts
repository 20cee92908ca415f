// The backup's thread: `VACUUM INTO` a new file on its own connection, so the calling thread stays free to report
// progress. Message: {source, target}; answers {ok: true} or {ok: false, error}.
import { Database } from "bun:sqlite";

declare const self: Worker;

self.onmessage = (message: MessageEvent<{ source: string; target: string }>) => {
  const { source, target } = message.data;
  let db: Database | null = null;
  try {
    db = new Database(source, { strict: true });
    db.run("PRAGMA busy_timeout = 5000");
    // One read transaction: the copy is the database as of its start, whatever is written meanwhile.
    db.run("VACUUM INTO ?", [target]);
    self.postMessage({ ok: true });
  } catch (error) {
    self.postMessage({ ok: false, error: (error as Error).message });
  } finally {
    db?.close();
  }
};
