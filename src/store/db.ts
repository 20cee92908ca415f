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

/** How hard each commit is pushed to disk (SQLite's `synchronous`); the bench reports it beside its figures. */
export const SYNCHRONOUS = "FULL";

/** Opens (creating its folder) the SQLite file at `path`, an absolute path, or a fresh database for `IN_MEMORY`. */
export function openDatabase(path: string): Db {
  if (path !== IN_MEMORY) mkdirSync(dirname(path), { recursive: true });
  const client = new Database(path, { create: true, strict: true });
  // WAL lets the API read while the worker writes. FULL syncs every commit, so an accepted event survives a
  // power cut too; group commit (one transaction per burst of publishes or outcomes) keeps that cheap: the
  // bench showed no difference from NORMAL. busy_timeout covers a second process briefly.
  // An in-memory database keeps its journal in memory whatever is asked, and has no second process.
  client.run("PRAGMA journal_mode = WAL");
  client.run(`PRAGMA synchronous = ${SYNCHRONOUS}`);
  client.run("PRAGMA foreign_keys = ON");
  client.run("PRAGMA busy_timeout = 5000");
  const db = drizzle({ client, schema });
  migrate(db);
  return db;
}

function migrate(db: Db) {
  // drizzle's own migrator reads a folder; the compiled binary has none, so hand it the embedded records.
  const internals = db as unknown as { dialect: { migrate(m: MigrationMeta[], session: unknown, config: object): void }; session: unknown };
  internals.dialect.migrate(embeddedMigrations(), internals.session, {});
}
