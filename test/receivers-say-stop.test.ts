// What a receiver says with its status: a 410 Gone ends the delivery at once; retries may be spread by jitter.
import { afterEach, describe, expect, it } from "bun:test";
import { ManualClock } from "./support/clock.ts";
import { configYaml, startTestHerald, type TestHerald } from "./support/herald.ts";
import { receiverPool } from "./support/receiver.ts";
import { afterAttempt, retrySpanMs } from "../src/domain/retry.ts";
import type { RetryPolicy } from "../src/domain/subscription.ts";

let herald: TestHerald | undefined;
const receivers = receiverPool();

afterEach(async () => {
  await herald?.close();
  herald = undefined;
  await receivers.stopAll();
});

const eventDetail = async (h: TestHerald, id: string) => (await (await h.api(`/api/v1/events/${id}`)).json()) as any;

describe("410 Gone", () => {
  it("ends that delivery at once with error kind gone: no retry, ever, and the subscription stays enabled", async () => {
    const clock = new ManualClock();
    const gone = receivers.start(() => new Response("no such hook", { status: 410 }));
    herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${gone.url}/in", events: ["*"] }` }), { clock, startWorker: false });
    const event = (await (await herald.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await herald.worker.drain();
    clock.advance(86_400_000);
    await herald.worker.drain();

    expect(gone.requests).toHaveLength(1);
    const detail = await eventDetail(herald, event.id);
    expect(detail.status).toBe("failed");
    expect(detail.deliveries[0].state).toBe("failed");
    expect(detail.deliveries[0].attempt_log[0].error).toMatchObject({ kind: "gone" });
    expect(detail.deliveries[0].attempt_log[0].response.status).toBe(410);
    expect(((await (await herald.api("/api/v1/subscriptions/a")).json()) as any).enabled).toBe(true);
  });

  it("is a success like any other status when the policy lists it", async () => {
    const clock = new ManualClock();
    const gone = receivers.start(() => new Response("", { status: 410 }));
    herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${gone.url}/in", events: ["*"], retry: { success: [200, 410] } }` }), { clock, startWorker: false });
    const event = (await (await herald.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await herald.worker.drain();
    expect((await eventDetail(herald, event.id)).status).toBe("success");
  });
});

describe("jitter: each retry's delay spread over ±jitter of itself", () => {
  const policy: RetryPolicy = { timeoutMs: 1_000, scheduleMs: [60_000, 600_000], success: "2xx", maxRetryAfterMs: 0, jitter: 0.25, onGone: "fail", disableAfterMs: null };

  it("stays within the bounds, from the lowest to the highest draw", () => {
    expect(afterAttempt(policy, 1, false, 0, undefined, () => 0).dueAt).toBe(45_000);
    expect(afterAttempt(policy, 1, false, 0, undefined, () => 0.5).dueAt).toBe(60_000);
    expect(afterAttempt(policy, 2, false, 0, undefined, () => 0.999999).dueAt).toBeCloseTo(750_000, -1);
    expect(afterAttempt({ ...policy, jitter: 0 }, 1, false, 0, undefined, () => 0).dueAt).toBe(60_000);
  });

  it("spreads real retries apart, and the retention check counts the longest wait", () => {
    const dues = new Set(Array.from({ length: 50 }, () => afterAttempt(policy, 1, false, 0).dueAt));
    expect(dues.size).toBeGreaterThan(10);
    for (const due of dues) expect(due! >= 45_000 && due! <= 75_000).toBe(true);
    expect(retrySpanMs(policy)).toBe(75_000 + 750_000 + 3 * 1_000);
  });

  it("is read from the file, bounded to 0..1 with its YAML path", async () => {
    const clock = new ManualClock();
    const r = receivers.start();
    herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${r.url}/in", events: ["*"], retry: { jitter: 0.1 } }` }), { clock, startWorker: false });
    expect(((await (await herald.api("/api/v1/subscriptions/a")).json()) as any).retry.jitter).toBe(0.1);
    const refused = await herald.api("/api/v1/subscriptions", { method: "POST", json: { id: "b", url: `${r.url}/b`, events: ["*"], retry: { jitter: 2 } } });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain("retry.jitter");
  });
});
