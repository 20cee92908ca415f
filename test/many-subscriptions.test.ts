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
