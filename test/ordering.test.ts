// ordering: fifo, against a real receiver that checks the order it is sent and fails a few times in the middle.
import { afterEach, describe, expect, it } from "bun:test";
import { ManualClock } from "./support/clock.ts";
import { configYaml, startTestHerald, type TestHerald } from "./support/herald.ts";
import { receiverPool, type ReceivedRequest } from "./support/receiver.ts";

let herald: TestHerald | undefined;
const receivers = receiverPool();

afterEach(async () => {
  await herald?.close();
  herald = undefined;
  await receivers.stopAll();
});

const seqOf = (request: ReceivedRequest) => (JSON.parse(request.body) as { object: { seq: number; line?: string } }).object;

/**
 * A receiver that expects each line's events in order: it answers 409 (and records the fault) to one that
 * comes ahead of its time or skips one, and 500 to the first `failures` tries of each event in `failing`.
 */
function orderCheckingReceiver(failing: Set<number>, failures: number) {
  const next = new Map<string, number>();
  const tries = new Map<number, number>();
  const faults: string[] = [];
  const receiver = receivers.start((request) => {
    const { seq, line = "" } = seqOf(request);
    const expected = next.get(line) ?? 0;
    if (seq !== expected) {
      faults.push(`line ${line}: got ${seq}, expected ${expected}`);
      return new Response("out of order", { status: 409 });
    }
    const tried = (tries.get(seq) ?? 0) + 1;
    tries.set(seq, tried);
    if (failing.has(seq) && tried <= failures) return new Response("not now", { status: 500 });
    next.set(line, seq + 1);
    return new Response("ok");
  });
  return { receiver, faults, delivered: (line = "") => next.get(line) ?? 0 };
}

async function publishAll(h: TestHerald, objects: { seq: number; line?: string }[]) {
  for (const object of objects) expect((await h.publish({ event_type: "sample.uploaded", object })).status).toBe(202);
}

describe("ordering: fifo", () => {
  it("delivers in publish order: nothing ahead of time, nothing skipped, through failures in the middle", async () => {
    const clock = new ManualClock();
    const check = orderCheckingReceiver(new Set([3, 7]), 2);
    const unordered = receivers.start();
    herald = await startTestHerald(
      configYaml({
        subscriptions: `  - { id: a, url: "${check.receiver.url}/in", events: [sample.uploaded], ordering: fifo }
  - { id: other, url: "${unordered.url}/in", events: [sample.uploaded] }`,
        retry: "retry: { timeout: 2s, schedule: [10s, 10s, 10s], success: 2xx }",
      }),
      { clock, startWorker: false },
    );
    await publishAll(
      herald,
      Array.from({ length: 10 }, (_, seq) => ({ seq })),
    );
    await herald.worker.drain();
    // 0, 1, 2 went; 3 failed and holds 4..9 until its retry. The other subscription is not held back.
    expect(check.delivered()).toBe(3);
    expect(unordered.requests).toHaveLength(10);
    for (let step = 0; step < 6 && check.delivered() < 10; step++) {
      clock.advance(10_000);
      await herald.worker.drain();
    }
    expect(check.faults).toEqual([]);
    expect(check.delivered()).toBe(10);
    expect(check.receiver.requests.map((r) => seqOf(r).seq)).toEqual([0, 1, 2, 3, 3, 3, 4, 5, 6, 7, 7, 7, 8, 9]);
  });

  it("the running worker sends a line one at a time, the next as soon as the one ahead of it is recorded", async () => {
    let inflight = 0;
    let most = 0;
    const seen: number[] = [];
    const receiver = receivers.start(async (request) => {
      most = Math.max(most, ++inflight);
      seen.push(seqOf(request).seq);
      await Bun.sleep(2);
      inflight--;
      return new Response("ok");
    });
    herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${receiver.url}/in", events: [sample.uploaded], ordering: fifo }` }));
    await publishAll(
      herald,
      Array.from({ length: 40 }, (_, seq) => ({ seq })),
    );
    // Well within the idle recheck's 2 s per delivery: each next one goes once the one before is recorded.
    await receiver.waitFor(40, 10_000);
    expect(seen).toEqual(Array.from({ length: 40 }, (_, seq) => seq));
    expect(most).toBe(1);
  });

  it("keyed: one line per key, and a failing line holds back no other", async () => {
    const clock = new ManualClock();
    const check = orderCheckingReceiver(new Set([1]), 1);
    herald = await startTestHerald(
      configYaml({
        subscriptions: `  - { id: a, url: "${check.receiver.url}/in", events: [sample.uploaded], ordering: { fifo: true, key: object.line } }`,
        retry: "retry: { timeout: 2s, schedule: [10s], success: 2xx }",
      }),
      { clock, startWorker: false },
    );
    // Line x: 0, 1 (fails once), 2; line y: 0..3, interleaved.
    await publishAll(herald, [
      { line: "x", seq: 0 },
      { line: "y", seq: 0 },
      { line: "x", seq: 1 },
      { line: "y", seq: 1 },
      { line: "x", seq: 2 },
      { line: "y", seq: 2 },
      { line: "y", seq: 3 },
    ]);
    await herald.worker.drain();
    expect([check.delivered("x"), check.delivered("y")]).toEqual([1, 4]);
    clock.advance(10_000);
    await herald.worker.drain();
    expect([check.delivered("x"), check.delivered("y")]).toEqual([3, 4]);
    expect(check.faults).toEqual([]);
  });

  it("a failed delivery that is resent goes back to its place: those published after it and not yet delivered wait for it", async () => {
    const clock = new ManualClock();
    let refusing = true;
    const order: number[] = [];
    const receiver = receivers.start((request) => {
      const { seq } = seqOf(request);
      order.push(seq);
      return new Response("", { status: seq === 1 && refusing ? 500 : 200 });
    });
    herald = await startTestHerald(
      configYaml({
        subscriptions: `  - { id: a, url: "${receiver.url}/in", events: [sample.uploaded], ordering: fifo }`,
        retry: "retry: { timeout: 2s, schedule: [], success: 2xx }",
      }),
      { clock, startWorker: false },
    );
    const ids: string[] = [];
    for (const seq of [0, 1, 2]) ids.push(((await (await herald.publish({ event_type: "sample.uploaded", object: { seq } })).json()) as { id: string }).id);
    await herald.worker.drain();
    expect(order).toEqual([0, 1, 2]); // 1 failed for good (no retries), so 2 went
    await herald.publish({ event_type: "sample.uploaded", object: { seq: 3 } });
    await herald.publish({ event_type: "sample.uploaded", object: { seq: 4 } });
    refusing = false;
    await herald.api(`/api/v1/events/${ids[1]}/resend`, { method: "POST", json: {} });
    await herald.worker.drain();
    expect(order).toEqual([0, 1, 2, 1, 3, 4]);
  });

  it("is shown and changed through the API, and a malformed key is refused naming the field", async () => {
    const r = receivers.start();
    herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${r.url}/in", events: ["*"], ordering: fifo }` }), { startWorker: false });
    expect(((await (await herald.api("/api/v1/subscriptions/a")).json()) as any).ordering).toBe("fifo");
    const made = await herald.api("/api/v1/subscriptions", { method: "POST", json: { id: "b", url: `${r.url}/b`, events: ["*"], ordering: { fifo: true, key: "object.$uri" } } });
    expect(made.status).toBe(201);
    expect(((await made.json()) as any).ordering).toEqual({ fifo: true, key: "object.$uri" });
    const cleared = await herald.api("/api/v1/subscriptions/b", { method: "PATCH", json: { ordering: null } });
    expect(cleared.status).toBe(200);
    expect((await cleared.json()) as any).not.toHaveProperty("ordering");
    const bad = await herald.api("/api/v1/subscriptions/b", { method: "PATCH", json: { ordering: { fifo: true, key: "payload.id" } } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("ordering");
  });
});
