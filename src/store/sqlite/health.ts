// Whether the database takes writes right now. A write that fails for a reason that may pass (disk full, an
// I/O error, the file locked past the busy timeout by another connection) becomes StorageUnavailable, and
// the store counts as failing until a write succeeds again. Meanwhile:
// - writes do not wait on a lock (busy_timeout 0): a held lock costs the event loop one busy timeout, not one
//   per write, so the API's reads keep being answered;
// - the checkpoint thread pauses, so space freed on a full disk goes to the writers (the WAL), not to growing
//   the database file with what the WAL already holds;
// - ping() (readiness) tries a tiny write, so readiness fails while writes fail and comes back with them.
import type { Database } from "bun:sqlite";
import { StorageUnavailable } from "../errors.ts";

/** SQLite's primary result codes that say "not now", not "never": the same write may succeed later. */
const PASSING_SQLITE = new Set(["SQLITE_FULL", "SQLITE_IOERR", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_NOMEM", "SQLITE_PROTOCOL"]);
/** The same from the file system (the WAL's fdatasync). */
const PASSING_SYSTEM = new Set(["ENOSPC", "EDQUOT", "EIO", "EAGAIN", "EBUSY"]);

/** The error as StorageUnavailable if it may pass, or null for any other (a bug, a constraint). */
export function passingFailure(error: unknown): StorageUnavailable | null {
  if (error instanceof StorageUnavailable) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return null;
  const primary = code.startsWith("SQLITE_") ? code.split("_").slice(0, 2).join("_") : code;
  if (!PASSING_SQLITE.has(primary) && !PASSING_SYSTEM.has(primary)) return null;
  return new StorageUnavailable(`the database cannot take writes right now (${code}: ${(error as Error).message})`);
}

export interface WriteHealth {
  /** Runs a write; a passing failure marks the store failing and is thrown as StorageUnavailable. */
  write<T>(run: () => T): T;
  /** The same for a write finished asynchronously (a sync of the WAL). */
  writeAsync<T>(run: () => Promise<T>): Promise<T>;
  /** Throws StorageUnavailable while writes fail (after a write that tries whether they still do). */
  ping(): void;
  readonly failing: boolean;
}

export function writeHealth(client: Database, options: { busyTimeoutMs: number; onChange(failing: boolean): void }): WriteHealth {
  let failure: StorageUnavailable | null = null;
  const version = client.prepare<{ user_version: number }, []>("PRAGMA user_version");
  const fail = (error: unknown) => {
    const passing = passingFailure(error);
    if (passing === null) return error;
    if (failure === null) {
      client.run("PRAGMA busy_timeout = 0");
      options.onChange(true);
    }
    failure = passing;
    return passing;
  };
  const succeeded = () => {
    if (failure === null) return;
    failure = null;
    client.run(`PRAGMA busy_timeout = ${options.busyTimeoutMs}`);
    options.onChange(false);
  };
  const write = <T>(run: () => T): T => {
    let result: T;
    try {
      result = run();
    } catch (error) {
      throw fail(error);
    }
    succeeded();
    return result;
  };
  return {
    write,
    async writeAsync(run) {
      let result;
      try {
        result = await run();
      } catch (error) {
        throw fail(error);
      }
      succeeded();
      return result;
    },
    ping() {
      if (failure === null) return void client.query("SELECT 1").get();
      // Rewrites the header's user_version with its own value: one page through the WAL, changing nothing.
      write(() => {
        client.run("BEGIN IMMEDIATE");
        try {
          client.run(`PRAGMA user_version = ${version.get()!.user_version}`);
          client.run("COMMIT");
        } catch (error) {
          if (client.inTransaction) client.run("ROLLBACK");
          throw error;
        }
      });
    },
    get failing() {
      return failure !== null;
    },
  };
}
