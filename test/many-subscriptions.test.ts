// A thousand subscriptions cost what their work costs: idle ones do not slow a busy one's deliveries, and
// creating them one after another through the API is not quadratic. Ratios against a baseline measured in the
// same test, with loose bounds (the benchmark reports the figures themselves).
import { afterAll, describe, expect, it } from "bun:test";
import { configYaml, startTestHerald, type TestHerald } from "./support/herald.ts";
import { waitUntil } from "./support/process.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";

const receivers: Receiver[] = [];
afterAll(() => Promise.all(receivers.map((r) => r.stop())));

/** Subscriptions to event types never published here, each to its own (never called) path. */
function idleSubscriptions(count: number, url: string) {
  return Array.from({ length: count }, (_, i) => `  - { id: idle_${i}, url: "${url}/idle/${i}", events: [analysis.failed] }`).join("\n");
}

/** Publishes `count` events for the busy subscription and resolves with its deliveries per second. */
async function busyRate(herald: TestHerald, receiver: Receiver, count: number): Promise<number> {
  const before = receiver.requests.length;
  const started = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => herald.publish({ event_type: "sample.uploaded", object: { i } }).then((r) => expect(r.status).toBe(202))));
  await receiver.waitFor(before + count, 20_000);
  return count / ((performance.now() - started) / 1_000);
}

describe("one busy subscription beside 999 idle ones", () => {
  it("delivers at no less than half its rate alone (the claim asks only about subscriptions with something due)", async () => {
    const receiver = startReceiver();
    receivers.push(receiver);
    const busy = `  - { id: busy, url: "${receiver.url}/busy", events: [sample.uploaded] }`;
    const alone = await startTestHerald(configYaml({ subscriptions: busy, userSubscriptions: ["busy"] }));
    await busyRate(alone, receiver, 100); // warm-up
    const aloneRate = await busyRate(alone, receiver, 400);
    await alone.close();

    const crowded = await startTestHerald(configYaml({ subscriptions: `${busy}\n${idleSubscriptions(999, receiver.url)}`, userSubscriptions: ["busy"] }));
    expect(crowded.directory.active()).toHaveLength(1_000);
    await busyRate(crowded, receiver, 100);
    const crowdedRate = await busyRate(crowded, receiver, 400);
    await crowded.close();
    expect(receiver.requests.every((r) => r.path === "/busy")).toBe(true);
    const figures = { aloneRate: Math.round(aloneRate), crowdedRate: Math.round(crowdedRate), ratio: crowdedRate / aloneRate };
    expect({ ...figures, atLeastHalf: figures.ratio >= 0.5 }).toEqual({ ...figures, atLeastHalf: true });
  }, 60_000);
});

describe("creating subscriptions one after another (the subscription service behind POST /api/v1/subscriptions)", () => {
  it("takes about as long for the last 200 of 2,000 as for the first 200: a create does not re-read them all", async () => {
    const receiver = startReceiver();
    receivers.push(receiver);
    const herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${receiver.url}/a", events: ["*"] }` }));
    const createSome = async (from: number, count: number) => {
      const started = performance.now();
      for (let i = from; i < from + count; i++) {
        const made = await herald.directory.create({ id: `made_${i}`, url: `${receiver.url}/made/${i}`, events: ["analysis.failed"] });
        expect("entry" in made).toBe(true);
      }
      return performance.now() - started;
    };
    const first = await createSome(0, 200);
    await createSome(200, 1_600);
    const last = await createSome(1_800, 200);
    expect(herald.directory.active()).toHaveLength(2_001);
    expect((await herald.api("/api/v1/subscriptions/made_1999")).status).toBe(200);
    // Every one of them is delivered to, at once.
    expect((await herald.publish({ event_type: "analysis.failed", object: { id: "an_1" } })).status).toBe(202);
    await waitUntil("the 2,001 deliveries", () => (receiver.requests.length >= 2_001 ? true : undefined), 20_000, 20);
    const figures = { firstMs: Math.round(first), lastMs: Math.round(last), ratio: last / first };
    expect({ ...figures, atMostTwice: figures.ratio <= 2 }).toEqual({ ...figures, atMostTwice: true });
    await herald.close();
  }, 60_000);
});
