// One process per SQLite file. Each Herald keeps its subscriptions and keys in memory, so two on one file
// split it in two (fan-outs to the other's subscriptions lost, its retrying deliveries failed as unconfigured,
// a deleted key alive in the other). The lock is a companion file, `<db>.lock`, itself a tiny SQLite database
// opened with locking_mode=EXCLUSIVE and written once: SQLite then keeps its exclusive lock until the
// connection closes, and refuses any other connection, in another process or this one. The main database's own
// locking cannot do it, since the checkpoint thread opens a second connection to it.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseInUse } from "../errors.ts";

export interface ProcessLock {
  release(): void;
}

/** Takes the lock of the database at `path` for as long as this process holds it open, or throws DatabaseInUse. */
export function lockDatabase(path: string): ProcessLock {
  const lockPath = `${path}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  const client = new Database(lockPath, { create: true, strict: true });
  try {
    client.run("PRAGMA busy_timeout = 0"); // a held lock is an answer, not something to wait out
    client.run("PRAGMA locking_mode = EXCLUSIVE");
    client.run("PRAGMA journal_mode = DELETE");
    client.run("BEGIN EXCLUSIVE");
    client.run("CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since INTEGER NOT NULL)");
    client.run("DELETE FROM holder");
    client.run("INSERT INTO holder VALUES (?, ?)", [process.pid, Date.now()]);
    client.run("COMMIT");
  } catch (error) {
    client.close();
    if (/locked|busy/i.test(String(error))) {
      throw new DatabaseInUse(
        `the database ${path} is in use by another Herald process (lock: ${lockPath}). On SQLite one process serves a database: ` + `stop the other one, or run the roles in one process (--role all)`,
      );
    }
    throw error;
  }
  return { release: () => client.close() };
}
