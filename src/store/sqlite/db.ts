// Opens the SQLite file the way Herald needs it and brings its schema up to date.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import type { MigrationMeta } from "drizzle-orm/migrator";
import { embeddedMigrations } from "./migrations.ts";
import * as schema from "./schema.ts";

export type Db = BunSQLiteDatabase<typeof schema> & { $client: Database };

/** SQLite's name for a private database held in memory and gone at close: nothing is written to disk. */
export const IN_MEMORY = ":memory:";

/**
 * How hard SQLite pushes each commit to disk. NORMAL: a commit is in the WAL (it survives the process
 * crashing) without an fsync on the event loop; what must survive a power cut awaits the store's durable()
 * (an fdatasync of the WAL off the event loop, see durable.ts). The bench reports it beside its figures.
 */
export const SYNCHRONOUS = "NORMAL";

/** How long a write waits for another connection's lock before it fails as SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000;

/** Opens (creating its folder) the SQLite file at `path`, an absolute path, or a fresh database for `IN_MEMORY`. */
export function openDatabase(path: string): Db {
  if (path !== IN_MEMORY) mkdirSync(dirname(path), { recursive: true });
  const client = new Database(path, { create: true, strict: true });
  // WAL lets the API read while the worker writes. FULL would fsync every commit on the event loop (about a
  // millisecond each here, half of ingest's time in the bench's profile); NORMAL with durable() gives the same
  // guarantee to what is answered, without stopping the server meanwhile. busy_timeout covers a second
  // process briefly. An in-memory database keeps its journal in memory whatever is asked, and has no second process.
  client.run("PRAGMA journal_mode = WAL");
  client.run(`PRAGMA synchronous = ${SYNCHRONOUS}`);
  client.run("PRAGMA foreign_keys = ON");
  client.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // A statement that fires the count triggers keeps a journal of its own (to undo just itself on an error):
  // in memory, not a temporary file. Measured: publish + its triggers 48 -> 32 us per event.
  client.run("PRAGMA temp_store = MEMORY");
  const db = drizzle({ client, schema });
  migrate(db);
  return db;
}

function migrate(db: Db) {
  // drizzle's own migrator reads a folder; the compiled binary has none, so hand it the embedded records.
  const internals = db as unknown as { dialect: { migrate(m: MigrationMeta[], session: unknown, config: object): void }; session: unknown };
  internals.dialect.migrate(embeddedMigrations(), internals.session, {});
}
