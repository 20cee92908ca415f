// Retention: events older than `retention` go with their deliveries and attempts; younger ones stay.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { purgeExpired } from "../src/delivery/retention.ts";
import { ManualClock } from "./support/clock.ts";
import { configYaml, startTestHerald, type TestHerald } from "./support/herald.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";

const DAY = 86_400_000;
let herald: TestHerald;
let receiver: Receiver;
const clock = new ManualClock();

beforeAll(async () => {
  receiver = startReceiver();
  herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${receiver.url}", events: ["*"] }`, extra: "retention: 30d" }), { clock, startWorker: false });
});

afterAll(async () => {
  await herald.close();
  await receiver.stop();
});

function rowCounts() {
  const db = new Database(join(herald.dir, "herald.db"), { readonly: true });
  const count = (table: string) => (db.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const counts = { events: count("events"), deliveries: count("deliveries"), attempts: count("attempts") };
  db.close();
  return counts;
}

describe("retention purges old events with everything attached to them", () => {
  it("keeps events younger than 30 days and removes older ones, in batches", async () => {
    // 1,200 old events: more than two purge batches of 500.
    // Published together, they share one transaction and one sync (group commit).
    await Promise.all(
      Array.from({ length: 1_200 }, (_, i) =>
        herald.store.events.publish([{ id: `old-${i}`, eventType: "sample.uploaded", objectType: "sample", object: { i }, triggeredAt: clock.now(), subscriptionIds: ["a"] }], clock.now()),
      ),
    );
    await herald.worker.drain();
    clock.advance(20 * DAY);
    await herald.publish({ id: "young", event_type: "sample.uploaded", object: {} });
    await herald.worker.drain();
    expect(rowCounts()).toEqual({ events: 1_201, deliveries: 1_201, attempts: 1_201 });

    clock.advance(10 * DAY); // the old ones are now exactly 30 days old: not yet older than retention
    expect(await purgeExpired(herald.store, 30 * DAY, clock)).toBe(0);

    clock.advance(1);
    expect(await purgeExpired(herald.store, 30 * DAY, clock)).toBe(1_200);
    expect(rowCounts()).toEqual({ events: 1, deliveries: 1, attempts: 1 });
    expect((await herald.api("/api/v1/events/young")).status).toBe(200);
    expect((await herald.api("/api/v1/events/old-0")).status).toBe(404);
  });

  it("lets API requests through while a large purge runs", async () => {
    await Promise.all(
      Array.from({ length: 5_000 }, (_, i) =>
        herald.store.events.publish([{ id: `bulk-${i}`, eventType: "sample.uploaded", objectType: "sample", object: {}, triggeredAt: clock.now(), subscriptionIds: [] }], clock.now()),
      ),
    );
    clock.advance(31 * DAY);
    const health = fetch(`${herald.url}/healthz`);
    let purgeFinished = false;
    const purge = purgeExpired(herald.store, 30 * DAY, clock).then((n) => ((purgeFinished = true), n));
    // The purge yields between batches of 500, so the request is answered before the tenth batch is done.
    expect((await health).status).toBe(200);
    expect(purgeFinished).toBe(false);
    expect(await purge).toBe(5_001);
  });
});
