// Things that go wrong around a delivery, and how Herald stays correct through them.
import { afterEach, describe, expect, it } from "bun:test";
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadConfigText } from "../src/config/load.ts";
import { DeliveryWorker } from "../src/delivery/worker.ts";
import { silentLogger } from "../src/log.ts";
import { ManualClock } from "./support/clock.ts";
import { configYaml, startTestHerald, tempDir, type TestHerald } from "./support/herald.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";

let heralds: TestHerald[] = [];
let receivers: Receiver[] = [];
const dirs: string[] = [];
const json = async (response: Response) => (await response.json()) as any;

afterEach(async () => {
  for (const h of heralds.splice(0)) await h.close();
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A folder kept across two Herald starts (startTestHerald leaves a folder it was given). */
function sharedDir() {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}

async function herald(yaml: string, options: Parameters<typeof startTestHerald>[1] = {}) {
  const h = await startTestHerald(yaml, options);
  heralds.push(h);
  return h;
}

function receiver(...args: Parameters<typeof startReceiver>) {
  const r = startReceiver(...args);
  receivers.push(r);
  return r;
}

describe("the delivery loop outlives a store error", () => {
  it("logs it, waits, and goes on delivering", async () => {
    const r = receiver();
    const h = await herald(configYaml({ subscriptions: `  - { id: a, url: "${r.url}", events: ["*"] }` }), { startWorker: false });
    // Fault injection over the real store: the first claim fails as a locked or full disk would.
    let failures = 0;
    const queue = {
      ...h.store.queue,
      claimDue: (...args: Parameters<typeof h.store.queue.claimDue>) => (failures++ === 0 ? Promise.reject(new Error("disk I/O error")) : h.store.queue.claimDue(...args)),
    };
    const store = { ...h.store, queue };
    const worker = new DeliveryWorker({ store, live: h.live, directory: h.directory, clock: { now: () => Date.now() }, log: silentLogger });
    await h.publish({ event_type: "sample.uploaded", object: {} });
    worker.start();
    await r.waitFor(1, 3_000);
    expect(failures).toBeGreaterThan(1);
    await worker.stop();
  });
});

describe("the loop's back-off after an error", () => {
  it("is not cut short by wake-ups, so a failing store is not hammered", async () => {
    const h = await herald(configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:9/x", events: ["*"] }` }), { startWorker: false });
    let calls = 0;
    const store = { ...h.store, queue: { ...h.store.queue, claimDue: () => (calls++, Promise.reject(new Error("database is locked"))) } };
    const worker = new DeliveryWorker({ store, live: h.live, directory: h.directory, clock: { now: () => Date.now() }, log: silentLogger });
    worker.start();
    for (let i = 0; i < 50; i++) {
      worker.wake();
      await Bun.sleep(5);
    }
    await worker.stop();
    expect(calls).toBeLessThanOrEqual(2); // one failure, then a 1 s back-off that the 50 wake-ups did not end
  });
});

describe("a plugin that never returns", () => {
  it("is cut off by the attempt timeout and does not hold its subscription's slot", async () => {
    const dir = sharedDir();
    copyFileSync(join(import.meta.dir, "fixtures/plugins/hangs.ts"), join(dir, "hangs.ts"));
    const h = await herald(
      configYaml({
        subscriptions: `  - { id: a, url: "http://127.0.0.1:9/never", events: ["*"], transformer: never-returns, retry: { timeout: 200ms, schedule: [] } }`,
        extra: "plugins: [./hangs.ts]\ndelivery: { concurrency: 1, per_subscription: 1 }",
      }),
      { clock: new ManualClock(), startWorker: false, dir },
    );
    const first = await json(await h.publish({ event_type: "sample.uploaded", object: {} }));
    const second = await json(await h.publish({ event_type: "sample.uploaded", object: {} }));
    await h.worker.drain();
    for (const event of [first, second]) {
      const detail = await json(await h.api(`/api/v1/events/${event.id}`));
      expect(detail.status).toBe("failed");
      expect(detail.deliveries[0].attempt_log[0].error).toEqual({ kind: "plugin", message: "the plugin did not finish within the attempt timeout" });
    }
  });
});

describe("a subscription removed from the config", () => {
  it("fails its unfinished deliveries, saying why, instead of leaving them pending forever", async () => {
    const dir = sharedDir();
    const clock = new ManualClock();
    const before = await herald(configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:9/x", events: ["*"] }` }), { clock, startWorker: false, dir });
    const event = await json(await before.publish({ event_type: "sample.uploaded", object: {} }));
    await before.close();
    heralds = [];
    const r = receiver();
    const after = await herald(configYaml({ subscriptions: `  - { id: a2, url: "${r.url}", events: ["*"] }`, userSubscriptions: ["a2"] }), { clock, startWorker: false, dir });
    await after.worker.drain();
    const detail = await json(await after.api(`/api/v1/events/${event.id}`));
    expect(detail.status).toBe("failed");
    expect(detail.deliveries[0].attempt_log[0].error).toEqual({ kind: "unconfigured", message: 'subscription "a" was removed from the config' });
    expect(r.requests).toHaveLength(0);
  });
});

describe("events no subscription wants", () => {
  it("are stored with status success: there is nothing left to deliver", async () => {
    const h = await herald(configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:9/x", events: [analysis.failed] }` }), { clock: new ManualClock(), startWorker: false });
    const event = await json(await h.publish({ event_type: "sample.uploaded", object: {} }));
    expect(event.status).toBe("success");
    expect(event.deliveries).toEqual([]);
  });
});

describe("the retention sweep runs by itself", () => {
  it("purges expired events when Herald starts", async () => {
    const dir = sharedDir();
    const clock = new ManualClock();
    const yaml = configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:9/x", events: [analysis.failed] }`, extra: "retention: 30d" });
    const first = await herald(yaml, { clock, startWorker: false, dir });
    const event = await json(await first.publish({ event_type: "sample.uploaded", object: {} }));
    await first.close();
    heralds = [];
    clock.advance(31 * 86_400_000);
    const second = await herald(yaml, { clock, startWorker: false, dir });
    for (let i = 0; i < 100 && (await second.api(`/api/v1/events/${event.id}`)).status !== 404; i++) await Bun.sleep(10);
    expect((await second.api(`/api/v1/events/${event.id}`)).status).toBe(404);
  });
});

describe("secrets stay out of the attempt log", () => {
  it("redacts secret-looking query parameters and static headers", async () => {
    const r = receiver();
    const h = await herald(
      configYaml({ subscriptions: `  - { id: a, url: "${r.url}/in?token=tok_live_123&lab=7&sig=sas_sig_456", events: ["*"], headers: { X-Api-Key: sk_live_abc, X-Lab: "7" } }` }),
      { clock: new ManualClock(), startWorker: false },
    );
    const event = await json(await h.publish({ event_type: "sample.uploaded", object: {} }));
    await h.worker.drain();
    expect(r.requests[0]!.path).toBe("/in?token=tok_live_123&lab=7&sig=sas_sig_456");
    expect(r.requests[0]!.headers["x-api-key"]).toBe("sk_live_abc");
    const logged = (await json(await h.api(`/api/v1/events/${event.id}`))).deliveries[0].attempt_log[0].request;
    expect(JSON.stringify(logged)).not.toContain("tok_live_123");
    expect(JSON.stringify(logged)).not.toContain("sk_live_abc");
    expect(JSON.stringify(logged)).not.toContain("sas_sig_456");
    expect(logged.url).toContain("lab=7");
    expect(logged.headers["x-lab"]).toBe("7");
  });
});

describe("publishing the same id again", () => {
  it("is the same event whatever the key order, and a conflict with another triggered_at", async () => {
    const h = await herald(configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:9/x", events: [analysis.failed] }` }), { clock: new ManualClock(), startWorker: false });
    const first = { id: "same", event_type: "sample.uploaded", object: { a: 1, b: { c: 2, d: 3 } }, triggered_at: "2026-01-01T00:00:00Z" };
    expect((await h.publish(first)).status).toBe(202);
    expect((await h.publish({ ...first, object: { b: { d: 3, c: 2 }, a: 1 } })).status).toBe(200);
    expect((await h.publish({ id: "same", event_type: "sample.uploaded", object: first.object })).status).toBe(200);
    expect((await h.publish({ ...first, triggered_at: "2026-01-02T00:00:00Z" })).status).toBe(409);
  });
});
