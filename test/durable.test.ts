// What a write answer promises: its commit is on disk. SQLite commits without an fsync (synchronous=NORMAL)
// and the answer waits for a shared fdatasync of the WAL, run off the event loop.
import { afterAll, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../src/store/sqlite/db.ts";
import { coalesced } from "../src/store/sqlite/durable.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import { tempDir } from "./support/herald.ts";

const dir = tempDir("herald-durable-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A sync the test finishes by hand, recording when each one started, and a change counter the test moves. */
function manualSync() {
  const started: number[] = [];
  const finishers: ((error?: Error) => void)[] = [];
  let changes = 0;
  const sync = () =>
    new Promise<void>((resolve, reject) => {
      started.push(started.length + 1);
      finishers.push((error) => (error ? reject(error) : resolve()));
    });
  return {
    ...coalesced(sync, () => changes),
    started,
    commit: () => void changes++,
    finish: (error?: Error) => finishers.shift()!(error),
  };
}

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await Bun.sleep(0);
  return done;
};

describe("syncs are shared", () => {
  it("a call whose commits a running sync already covers waits for that sync only", async () => {
    const { durable, started, commit, finish } = manualSync();
    commit();
    const first = durable();
    const second = durable(); // nothing committed since the sync started
    expect(started).toEqual([1]);
    finish();
    await Promise.all([first, second]);
    expect(started).toEqual([1]);
  });

  it("a call that committed after the running sync started waits for the next one, which every call meanwhile shares", async () => {
    const { durable, started, commit, finish } = manualSync();
    commit();
    const first = durable();
    commit();
    const second = durable();
    commit();
    const third = durable();
    expect(started).toEqual([1]);
    finish();
    await first;
    expect(await settled(second)).toBe(false);
    expect(started).toEqual([1, 2]);
    finish();
    await Promise.all([second, third]);
    expect(started).toEqual([1, 2]);
  });

  it("with nothing committed since the last sync, resolves at once without syncing", async () => {
    const { durable, started, commit, finish } = manualSync();
    commit();
    const first = durable();
    finish();
    await first;
    await durable();
    expect(started).toEqual([1]);
  });

  it("idle() resolves once no sync runs and none is queued", async () => {
    const { durable, idle, commit, finish } = manualSync();
    expect(await settled(idle())).toBe(true);
    commit();
    void durable();
    commit();
    void durable(); // queues a second sync
    const quiet = idle();
    finish();
    expect(await settled(quiet)).toBe(false); // the queued sync has started
    finish();
    expect(await settled(quiet)).toBe(true);
  });

  it("a failed sync fails its callers, and the next call syncs again", async () => {
    const { durable, started, commit, finish } = manualSync();
    commit();
    const failing = durable();
    finish(new Error("EIO"));
    await expect(failing).rejects.toThrow("EIO");
    const again = durable();
    finish();
    await again;
    expect(started).toEqual([1, 2]);
  });
});

describe("the database", () => {
  it("commits with synchronous=NORMAL in WAL mode, and a publish resolves once it has synced the real WAL file", async () => {
    const path = join(dir, "herald.db");
    const db = openDatabase(path);
    expect((db.$client.query("PRAGMA synchronous").get() as { synchronous: number }).synchronous).toBe(1); // NORMAL
    db.$client.close();
    const store = openSqliteStore(path);
    await store.events.publish([{ id: "evt_d", eventType: "sample.uploaded", objectType: "sample", object: {}, triggeredAt: null, subscriptionIds: [] }], 1_000);
    await store.close();
  });
});
