// The running worker loop (real clock): woken by publishes, bounded concurrency, fair to fast receivers.
import { afterEach, describe, expect, it } from "bun:test";
import { configYaml, startTestHerald, type TestHerald } from "./support/herald.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";

let herald: TestHerald | undefined;
let receivers: Receiver[] = [];
const releases: (() => void)[] = [];

afterEach(async () => {
  for (const release of releases.splice(0)) release();
  await herald?.close();
  herald = undefined;
  await Promise.all(receivers.map((r) => r.stop()));
  receivers = [];
});

/** A receiver that holds every answer until the test ends (or the attempt times out). */
function stalledReceiver() {
  const r = startReceiver(() => new Promise<Response>((resolve) => releases.push(() => resolve(new Response("late")))));
  receivers.push(r);
  return r;
}

describe("the worker is woken by a publish, not by polling", () => {
  it("delivers well within the idle re-check interval", async () => {
    const fast = startReceiver();
    receivers.push(fast);
    herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${fast.url}", events: ["*"] }` }));
    await Bun.sleep(50); // let the loop go idle first
    const started = Date.now();
    await herald.publish({ event_type: "sample.uploaded", object: {} });
    await fast.waitFor(1, 1_000); // the idle loop re-checks only every 2 s
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe("concurrency is bounded overall and per subscription", () => {
  it("a stalled receiver holds at most per_subscription slots while others are served", async () => {
    const slow = stalledReceiver();
    const fast = startReceiver();
    receivers.push(fast);
    herald = await startTestHerald(
      configYaml({
        subscriptions: `  - { id: a, url: "${fast.url}", events: ["*"] }
  - { id: slow, url: "${slow.url}", events: ["*"] }`,
        extra: "delivery: { concurrency: 4, per_subscription: 2 }",
        retry: "retry: { timeout: 5s, schedule: [1m], success: 2xx }",
      }),
    );
    for (let i = 0; i < 10; i++) await herald.publish({ event_type: "sample.uploaded", object: { i } });
    await fast.waitFor(10, 3_000);
    expect(slow.requests).toHaveLength(2);
  });

  it("never has more POSTs in flight than `concurrency`", async () => {
    const slow = stalledReceiver();
    herald = await startTestHerald(
      configYaml({
        subscriptions: `  - { id: a, url: "${slow.url}", events: ["*"] }`,
        extra: "delivery: { concurrency: 3, per_subscription: 10 }",
        retry: "retry: { timeout: 5s, schedule: [1m], success: 2xx }",
      }),
    );
    for (let i = 0; i < 8; i++) await herald.publish({ event_type: "sample.uploaded", object: { i } });
    await slow.waitFor(3, 2_000);
    await Bun.sleep(100); // room for a fourth POST, were the bound broken
    expect(slow.requests).toHaveLength(3);
  });
});
