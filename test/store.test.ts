// The store's schema: drizzle-kit's migrations, embedded, applied once.
import { describe, expect, it } from "bun:test";
import { Database } from "bun:sqlite";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import journal from "../drizzle/meta/_journal.json";
import { EMBEDDED_TAGS } from "../src/store/migrations.ts";
import { openSqliteStore } from "../src/store/index.ts";
import { tempDir } from "./support/herald.ts";

describe("migrations", () => {
  it("every migration drizzle-kit generated is embedded in src/store/migrations.ts", () => {
    const files = readdirSync(join(import.meta.dir, "../drizzle")).filter((f) => f.endsWith(".sql")).map((f) => f.replace(/\.sql$/, ""));
    expect(EMBEDDED_TAGS.sort()).toEqual(files.sort());
    expect(journal.entries.map((e) => e.tag).sort()).toEqual(files.sort());
  });

  it("are applied at open, once, and the database is in WAL mode", () => {
    const path = join(tempDir(), "herald.db");
    openSqliteStore(path).close();
    openSqliteStore(path).close();
    const db = new Database(path);
    expect((db.query("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n).toBe(journal.entries.length);
    expect((db.query("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode).toBe("wal");
    db.close();
  });
});
