// The store's schema: drizzle-kit's migrations, embedded, applied once.
import { afterAll, describe, expect, it } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import journal from "../drizzle/meta/_journal.json";
import { IN_MEMORY, openDatabase } from "../src/store/sqlite/db.ts";
import { EMBEDDED_TAGS } from "../src/store/sqlite/migrations.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import { tempDir } from "./support/herald.ts";

const dir = tempDir("herald-store-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("migrations", () => {
  it("every migration drizzle-kit generated is embedded in src/store/migrations.ts", () => {
    const files = readdirSync(join(import.meta.dir, "../drizzle"))
      .filter((f) => f.endsWith(".sql"))
      .map((f) => f.replace(/\.sql$/, ""));
    expect(EMBEDDED_TAGS.sort()).toEqual(files.sort());
    expect(journal.entries.map((e) => e.tag).sort()).toEqual(files.sort());
  });

  it("are applied at open, once, and the database is in WAL mode", async () => {
    const path = join(dir, "herald.db");
    await openSqliteStore(path).close();
    await openSqliteStore(path).close();
    const db = new Database(path);
    expect((db.query("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n).toBe(journal.entries.length);
    expect((db.query("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode).toBe("wal");
    db.close();
  });
});

describe("where the database lives", () => {
  it("the folder of the SQLite file is created when missing", async () => {
    const path = join(dir, "nested", "deeper", "herald.db");
    await openSqliteStore(path).close();
    expect(existsSync(path)).toBe(true);
  });

  it(":memory: opens a private database in memory, migrated, and writes nothing to disk", async () => {
    const db = openDatabase(IN_MEMORY);
    expect(db.$client.filename).toBe(IN_MEMORY);
    expect((db.$client.query("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n).toBe(journal.entries.length);
    db.$client.close();

    const store = openSqliteStore(IN_MEMORY);
    const [outcome] = await store.events.publish([{ id: "evt_mem", eventType: "sample.uploaded", objectType: "sample", object: {}, triggeredAt: null, subscriptionIds: ["a"] }], 1_000);
    expect(outcome!.kind).toBe("created");
    expect((await store.events.get("evt_mem"))?.deliveries).toHaveLength(1);
    const another = openSqliteStore(IN_MEMORY);
    expect(await another.events.get("evt_mem")).toBeNull(); // each open is its own database
    await another.close();
    await store.close();
    expect(existsSync(IN_MEMORY)).toBe(false); // no file named ":memory:" in the working directory
  });
});
