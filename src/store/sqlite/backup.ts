// Backup and restore of a SQLite store. A backup is `VACUUM INTO` a new file: one read transaction, so the copy
// is consistent as of its start and the serving Herald goes on writing meanwhile (WAL). A restore checks the
// copy first (integrity, and that this Herald knows every migration it carries), and only then puts it in place
// of the database, the replaced one kept beside it.
import { Database } from "bun:sqlite";
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { lockDatabase } from "./lock.ts";
import { embeddedMigrations } from "./migrations.ts";

/** Run from source, beside this file; compiled, where `npm run build` put it (see checkpointer.ts). */
const WORKER_URL = import.meta.url.endsWith("/backup.ts") ? new URL("./backup-worker.ts", import.meta.url).href : "./store/sqlite/backup-worker.ts";
const PROGRESS_EVERY_MS = 250;

export interface CopySummary {
  events: number;
  subscriptions: number;
  /** The migrations the copy carries, of those this Herald knows. */
  migrations: number;
}

/** Bytes written so far of about how many (the source's pages in use). */
export type Progress = (written: number, total: number) => void;

export async function backupSqlite(source: string, target: string, progress: Progress): Promise<CopySummary> {
  if (!existsSync(source)) throw new Error(`no database at ${source}`);
  if (existsSync(target)) throw new Error(`${target} already exists: choose a new file (a backup never overwrites one)`);
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  const total = bytesInUse(source);
  const worker = new Worker(WORKER_URL);
  const timer = setInterval(() => progress(existsSync(partial) ? statSync(partial).size : 0, total), PROGRESS_EVERY_MS);
  try {
    progress(0, total);
    const answer = await new Promise<{ ok: boolean; error?: string }>((resolve, reject) => {
      worker.onmessage = (message: MessageEvent<{ ok: boolean; error?: string }>) => resolve(message.data);
      worker.onerror = (event) => reject(new Error(event.message));
      worker.postMessage({ source, target: partial });
    });
    if (!answer.ok) throw new Error(`backup of ${source} failed: ${answer.error}`);
    syncFile(partial);
    const summary = checkCopy(partial);
    renameSync(partial, target);
    syncFile(dirname(target));
    progress(statSync(target).size, statSync(target).size);
    return summary;
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    clearInterval(timer);
    worker.terminate();
  }
}

function bytesInUse(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    const pages = (pragma: string) => (db.query(`PRAGMA ${pragma}`).get() as Record<string, number>)[pragma]!;
    return (pages("page_count") - pages("freelist_count")) * pages("page_size");
  } finally {
    db.close();
  }
}

/**
 * What a restore checks before it touches anything: the file is a SQLite database that passes
 * `integrity_check`, made by a Herald (its migrations table), none of whose migrations this Herald lacks.
 */
export function checkCopy(path: string): CopySummary {
  if (!existsSync(path)) throw new Error(`no file at ${path}`);
  let db: Database;
  try {
    db = new Database(path, { readonly: true });
  } catch (error) {
    throw new Error(`${path} cannot be opened as a SQLite database: ${(error as Error).message}`);
  }
  try {
    let problems: string[];
    try {
      problems = db
        .query<{ integrity_check: string }, []>("PRAGMA integrity_check")
        .all()
        .map((row) => row.integrity_check);
    } catch (error) {
      throw new Error(`${path} is not a sound SQLite database: ${(error as Error).message}`);
    }
    if (problems.join() !== "ok") throw new Error(`${path} fails SQLite's integrity check: ${problems.slice(0, 5).join("; ")}`);
    const hasTable = (name: string) => db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== null;
    if (!hasTable("__drizzle_migrations") || !hasTable("events")) throw new Error(`${path} is a SQLite database, but not one of Herald's`);
    const known = new Set(embeddedMigrations().map((m) => m.hash));
    const carried = db.query<{ hash: string }, []>("SELECT hash FROM __drizzle_migrations").all();
    const unknown = carried.filter((m) => !known.has(m.hash)).length;
    if (unknown > 0) throw new Error(`${path} was made by a newer Herald (${unknown} migration(s) this one does not know): restore it with that version`);
    const count = (table: string) => (db.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { events: count("events"), subscriptions: count("subscriptions"), migrations: carried.length };
  } finally {
    db.close();
  }
}

/**
 * Puts a checked copy in place of the database at `path`, with no Herald serving it (its lock is taken for the
 * time). A database already there is kept as `<path>.before-restore-<time>`, its WAL folded into it first.
 * Returns the copy's summary and where the replaced database went (null if there was none).
 */
export function restoreSqlite(copy: string, path: string, now: number): CopySummary & { replacedTo: string | null } {
  const summary = checkCopy(copy);
  const lock = lockDatabase(path);
  try {
    let replacedTo: string | null = null;
    if (existsSync(path)) {
      const current = new Database(path);
      current.run("PRAGMA wal_checkpoint(TRUNCATE)");
      current.close();
      replacedTo = `${path}.before-restore-${new Date(now).toISOString().replace(/[:.]/g, "-")}`;
      renameSync(path, replacedTo);
    }
    for (const leftover of [`${path}-wal`, `${path}-shm`]) rmSync(leftover, { force: true });
    const incoming = `${path}.restoring`;
    copyFileSync(copy, incoming);
    syncFile(incoming);
    renameSync(incoming, path);
    syncFile(dirname(path));
    return { ...summary, replacedTo };
  } finally {
    lock.release();
  }
}

function syncFile(path: string) {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
