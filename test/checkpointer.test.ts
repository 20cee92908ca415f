// Checkpoints run on their own thread: the server's thread never copies the WAL into the database file.
import { afterAll, describe, expect, it } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { startCheckpointer } from "../src/store/sqlite/checkpointer.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import { tempDir } from "./support/herald.ts";
import { waitUntil } from "./support/process.ts";

const dir = tempDir("herald-checkpoint-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function walDatabase(name: string) {
  const path = join(dir, name);
  const client = new Database(path, { create: true });
  client.run("PRAGMA journal_mode = WAL");
  client.run("CREATE TABLE t (body TEXT)");
  const insert = client.prepare("INSERT INTO t VALUES (?)");
  const write = (rows: number) =>
    client.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run("x".repeat(2_000));
    })();
  return { path, client, write };
}

const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);

describe("the checkpoint thread", () => {
  it("copies committed pages into the database file while this connection's own checkpoints are off", async () => {
    const { path, client, write } = walDatabase("copies.db");
    const checkpointer = startCheckpointer(client, path, { everyMs: 10 });
    await Bun.sleep(50);
    const before = size(path);
    write(200);
    await waitUntil("the database file to grow", () => (size(path) > before + 200 * 2_000 ? true : undefined), 5_000, 10);
    checkpointer.close();
    client.close();
  });

  it("starts a WAL that outgrew its limit over, so it stops growing under writes that never pause", async () => {
    const { path, client, write } = walDatabase("restarts.db");
    const checkpointer = startCheckpointer(client, path, { everyMs: 5, walLimitFrames: 100 });
    await Bun.sleep(50); // the thread is up
    // Commits back to back (letting the thread's reports in): a checkpoint never finds the WAL without new frames
    // behind it. Left alone, the WAL would hold all of it; started over, it is soon a fraction of that. The
    // writes go on until it is (or 5 s): on a loaded machine the thread may get its turn late.
    const MIN_ROWS = 2_000;
    const until = performance.now() + 5_000;
    const fraction = () => size(`${path}-wal`) < (rows * 2_000) / 3;
    let rows = 0;
    while (performance.now() < until && (rows < MIN_ROWS || !fraction())) {
      write(5);
      rows += 5;
      if (rows % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(rows).toBeGreaterThanOrEqual(MIN_ROWS);
    expect(size(`${path}-wal`)).toBeLessThan((rows * 2_000) / 3);
    expect((client.query("SELECT count(*) AS n FROM t").get() as { n: number }).n).toBe(rows);
    checkpointer.close();
    client.close();
  });

  it("is stopped by the store's close without delay, and what was written is there at the next open", async () => {
    const path = join(dir, "closes.db");
    const store = openSqliteStore(path);
    await store.events.publish([{ id: "evt_c", eventType: "sample.uploaded", objectType: "sample", object: {}, triggeredAt: null, subscriptionIds: [] }], 1_000);
    const started = performance.now();
    await store.close();
    expect(performance.now() - started).toBeLessThan(1_000); // the thread answered; close() waits up to 5 s
    const reopened = openSqliteStore(path);
    expect(await reopened.events.get("evt_c")).not.toBeNull();
    await reopened.close();
  });
});
