// A thousand subscriptions cost what their work costs: the worker claims only from those with something due, and
// creating them one after another does not re-read them all. Checked by what reaches the store, not by the
// clock (the benchmark, `npm run bench:subscriptions`, reports the rates and times).
import { afterAll, describe, expect, it } from "bun:test";
import { configYaml, startTestHerald } from "./support/herald.ts";
import { waitUntil } from "./support/process.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";

const receivers: Receiver[] = [];
afterAll(() => Promise.all(receivers.map((r) => r.stop())));

/** Subscriptions to event types never published here, each to its own (never called) path. */
function idleSubscriptions(count: number, url: string) {
  return Array.from({ length: count }, (_, i) => `  - { id: idle_${i}, url: "${url}/idle/${i}", events: [analysis.failed] }`).join("\n");
}

describe("one busy subscription beside 999 idle ones", () => {
  it("is delivered to, and every claim asks the store about the busy subscription alone, never the idle ones", async () => {
    const receiver = startReceiver();
    receivers.push(receiver);
    const busy = `  - { id: busy, url: "${receiver.url}/busy", events: [sample.uploaded] }`;
    const herald = await startTestHerald(configYaml({ subscriptions: `${busy}\n${idleSubscriptions(999, receiver.url)}`, userSubscriptions: ["busy"] }));
    expect(herald.directory.active()).toHaveLength(1_000);
    // Counted over the real store (the worker calls it through this same object).
    const queue = herald.store.queue;
    const claimDue = queue.claimDue.bind(queue);
    const asked: string[][] = [];
    queue.claimDue = (limits, total, now) => (asked.push([...limits.keys()]), claimDue(limits, total, now));
    await Promise.all(Array.from({ length: 300 }, (_, i) => herald.publish({ event_type: "sample.uploaded", object: { i } }).then((r) => expect(r.status).toBe(202))));
    await receiver.waitFor(300, 20_000);
    await herald.close();
    expect(receiver.requests.every((r) => r.path === "/busy")).toBe(true);
    expect(asked.length).toBeGreaterThan(0);
    expect(new Set(asked.flat())).toEqual(new Set(["busy"]));
  }, 60_000);
});

describe("creating subscriptions one after another (the subscription service behind POST /api/v1/subscriptions)", () => {
  it("reads the stored subscriptions once at start, not again for each of 2,000 creates, and delivers to all of them", async () => {
    const receiver = startReceiver();
    receivers.push(receiver);
    const herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${receiver.url}/a", events: ["*"] }` }));
    const stored = herald.store.subscriptions;
    const list = stored.list.bind(stored);
    let reads = 0;
    stored.list = () => (reads++, list());
    for (let i = 0; i < 2_000; i++) {
      const made = await herald.directory.create({ id: `made_${i}`, url: `${receiver.url}/made/${i}`, events: ["analysis.failed"] });
      expect("entry" in made).toBe(true);
    }
    expect(reads).toBe(0);
    expect(herald.directory.active()).toHaveLength(2_001);
    expect((await herald.api("/api/v1/subscriptions/made_1999")).status).toBe(200);
    // Every one of them is delivered to, at once.
    expect((await herald.publish({ event_type: "analysis.failed", object: { id: "an_1" } })).status).toBe(202);
    await waitUntil("the 2,001 deliveries", () => (receiver.requests.length >= 2_001 ? true : undefined), 20_000, 20);
    await herald.close();
  }, 60_000);
});
