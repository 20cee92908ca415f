// Resending: what is resent, to whom, and never twice at once.
import { afterEach, describe, expect, it } from "bun:test";
import { ManualClock } from "./support/clock.ts";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import type { AttemptOutcome, ClaimedDelivery } from "../src/store/index.ts";
import { configYaml, startTestHerald, tempDir, USER_TOKEN, type TestHerald } from "./support/herald.ts";
import { waitUntil } from "./support/process.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";

let herald: TestHerald | undefined;
let receivers: Receiver[] = [];

afterEach(async () => {
  await herald?.close();
  herald = undefined;
  await Promise.all(receivers.map((r) => r.stop()));
  receivers = [];
});

const json = async (response: Response) => (await response.json()) as any;

/** Herald with one subscription whose receiver holds its first answer until the test gives it; one event published. */
async function publishToHeldReceiver() {
  const clock = new ManualClock();
  let answer: (response: Response) => void = () => {};
  const r = startReceiver((_, i) => (i === 0 ? new Promise<Response>((resolve) => (answer = resolve)) : new Response("ok")));
  receivers.push(r);
  const h = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${r.url}", events: ["*"] }` }), { clock, startWorker: false });
  herald = h;
  const event = await json(await h.publish({ event_type: "sample.uploaded", object: {} }));
  return { h, clock, r, event, answerFirst: (response: Response) => answer(response) };
}

describe("resending a delivery that is in flight", () => {
  it("POSTs it again only once the first POST has ended, and the late answer does not undo the resend", async () => {
    const { h, r, event, answerFirst } = await publishToHeldReceiver();

    const rounds = h.worker.drain();
    await r.waitFor(1);
    expect((await h.api(`/api/v1/events/${event.id}/resend`, { method: "POST" })).status).toBe(202);
    await Bun.sleep(20);
    expect(r.requests).toHaveLength(1); // not sent a second time while the first is in flight
    const answeredAt = Date.now();
    answerFirst(new Response("boom", { status: 500 }));
    await rounds;

    expect(r.requests).toHaveLength(2);
    expect(r.requests[1]!.receivedAt).toBeGreaterThanOrEqual(answeredAt);
    const detail = await json(await h.api(`/api/v1/events/${event.id}`));
    expect(detail.status).toBe("success"); // resent at once, where the 500 alone would have waited 64 s to retry
    expect(detail.deliveries[0].attempt_log.map((a: any) => [a.number, a.success])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(r.requests.map((req) => req.headers["herald-attempt"])).toEqual(["1", "2"]);
  });
});

describe("resending a delivery whose attempt outlived its lease", () => {
  it("is not undone by that attempt's late answer", async () => {
    const { h, clock, r, event, answerFirst } = await publishToHeldReceiver();
    const first = h.worker.drain();
    await r.waitFor(1);
    clock.advance(5_001); // the lease (2 × 2 s + 1 s) ran out while the POST hangs (a stalled process, say)
    expect((await h.api(`/api/v1/events/${event.id}/resend`, { method: "POST" })).status).toBe(202);
    answerFirst(new Response("late", { status: 200 }));
    await first;
    // The late 200 is logged, but the resend stands and goes out.
    const detail = await json(await h.api(`/api/v1/events/${event.id}`));
    expect(detail.deliveries[0].attempt_log.map((a: any) => [a.number, a.response.status])).toEqual([
      [1, 200],
      [2, 200],
    ]);
    expect(r.requests).toHaveLength(2);
  });
});

describe("choosing what to resend", () => {
  async function twoSubscriptions() {
    const ok = startReceiver();
    const bad = startReceiver(() => new Response("no", { status: 500 }));
    receivers.push(ok, bad);
    herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${ok.url}", events: ["*"] }\n  - { id: b, url: "${bad.url}", events: ["*"], retry: { schedule: [] } }` }), {
      clock: new ManualClock(),
      startWorker: false,
    });
    const event = await json(await herald.publish({ event_type: "sample.uploaded", object: {} }));
    await herald.worker.drain();
    return { ok, bad, event };
  }

  it("a bulk resend by status failed re-POSTs only the deliveries that failed", async () => {
    const { ok, bad } = await twoSubscriptions();
    expect((await herald!.bulkResend({ status: "failed" })).resent).toBe(1);
    await herald!.worker.drain();
    expect(ok.requests).toHaveLength(1);
    expect(bad.requests).toHaveLength(2);
  });

  it("an unknown subscription is refused with 422, not silently ignored", async () => {
    const { event } = await twoSubscriptions();
    const response = await herald!.api(`/api/v1/events/${event.id}/resend`, { method: "POST", json: { subscriptions: ["typo"] } });
    expect(response.status).toBe(422);
    expect((await json(response)).error.code).toBe("unknown_subscription");
  });

  it("a subscription the event was never delivered to, or an empty list, is refused", async () => {
    const { event } = await twoSubscriptions();
    const nothing = await herald!.api(`/api/v1/events/${event.id}/resend`, { method: "POST", json: { subscriptions: [] } });
    expect(nothing.status).toBe(400);
    await herald!.close();
    const r = startReceiver();
    receivers.push(r);
    herald = await startTestHerald(
      configYaml({
        subscriptions: `  - { id: a, url: "${r.url}", events: ["*"] }
  - { id: later, url: "${r.url}", events: [analysis.failed] }`,
      }),
      { clock: new ManualClock(), startWorker: false },
    );
    const other = await json(await herald.publish({ event_type: "sample.uploaded", object: {} }));
    const response = await herald.api(`/api/v1/events/${other.id}/resend`, { method: "POST", json: { subscriptions: ["later"] } });
    expect(response.status).toBe(422);
    expect((await json(response)).error.code).toBe("not_subscribed");
  });

  it("a user key gets 404 for any subscription outside its scope, existing or not", async () => {
    const { event } = await twoSubscriptions();
    for (const id of ["b", "no-such-subscription"]) {
      const response = await herald!.api(`/api/v1/events/${event.id}/resend`, { method: "POST", token: USER_TOKEN, json: { subscriptions: [id] } });
      expect(response.status).toBe(404);
    }
  });

  it("a user key naming a subscription outside its scope gets 404", async () => {
    const { event, bad } = await twoSubscriptions();
    const response = await herald!.api(`/api/v1/events/${event.id}/resend`, { method: "POST", token: USER_TOKEN, json: { subscriptions: ["b"] } });
    expect(response.status).toBe(404);
    await herald!.worker.drain();
    expect(bad.requests).toHaveLength(1);
  });

  it("a user key's resend reaches only its own subscriptions", async () => {
    const { event, ok, bad } = await twoSubscriptions();
    expect((await herald!.api(`/api/v1/events/${event.id}/resend`, { method: "POST", token: USER_TOKEN })).status).toBe(202);
    await herald!.worker.drain();
    expect(ok.requests).toHaveLength(2);
    expect(bad.requests).toHaveLength(1);
  });

  it("a bulk resend filtered on a subscription resends only the deliveries to it", async () => {
    const { ok, bad } = await twoSubscriptions();
    expect((await herald!.bulkResend({ subscription: "b" })).resent).toBe(1);
    await herald!.worker.drain();
    expect(ok.requests).toHaveLength(1);
    expect(bad.requests).toHaveLength(2);
  });
});

describe("a bulk resend is a job", () => {
  /** Herald (worker stopped) holding `count` events, each with a delivery to subscription a waiting for its first attempt. */
  async function failedEvents(count: number, options: { dir?: string } = {}) {
    const r = startReceiver();
    receivers.push(r);
    const clock = new ManualClock();
    const h = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${r.url}", events: ["*"] }` }), { clock, startWorker: false, ...options });
    const batch = Array.from({ length: count }, (_, i) => ({ id: `e${i}`, eventType: "sample.uploaded", objectType: "sample", object: {}, triggeredAt: null, subscriptionIds: ["a"] }));
    await h.store.events.publish(batch, clock.now());
    return { h, r, clock };
  }

  it("answers 202 at once with the job, whose progress GET /api/v1/jobs/{id} reads until it is done", async () => {
    const { h } = await failedEvents(1_201); // more than two batches
    herald = h;
    const response = await h.api("/api/v1/events/resend", { method: "POST", json: { event_type: "sample.uploaded" } });
    expect(response.status).toBe(202);
    const started = await json(response);
    expect(response.headers.get("location")).toBe(started.$uri);
    expect(started).toMatchObject({ kind: "resend", state: "running", total: 1_201, done: 0, resent: 0, finished_at: null, error: null });
    expect(started.$uri).toBe(`/api/v1/jobs/${started.id}`);

    const finished = await h.bulkResend({ event_type: "sample.uploaded" });
    expect(finished).toMatchObject({ state: "done", total: 1_201, done: 1_201, resent: 1_201 });
    expect(Date.parse(finished.finished_at)).not.toBeNaN();
    const first = await json(await h.api(started.$uri));
    expect(first).toMatchObject({ state: "done", done: 1_201 });
  });

  it("covers the events that matched when it started, not those published after", async () => {
    const { h, clock } = await failedEvents(3);
    herald = h;
    const response = await h.api("/api/v1/events/resend", { method: "POST", json: { event_type: "sample.uploaded" } });
    clock.advance(1);
    await h.publish({ event_type: "sample.uploaded", object: {} });
    const job = await json(response);
    expect(job.total).toBe(3);
    const done = await h.bulkResend({ ids: ["e0"] });
    expect(done.total).toBe(1);
    expect((await json(await h.api(job.$uri))).done).toBe(3);
  });

  it("is seen only by the key that started it among user keys; others get 404", async () => {
    const { h } = await failedEvents(2);
    herald = h;
    const mine = await h.bulkResend({ status: "pending" }, USER_TOKEN);
    expect(mine.resent).toBe(2);
    expect((await h.api(mine.$uri, { token: USER_TOKEN })).status).toBe(200);
    const admins = await h.bulkResend({ event_type: "sample.uploaded" });
    expect((await h.api(admins.$uri, { token: USER_TOKEN })).status).toBe(404);
    expect((await h.api(admins.$uri)).status).toBe(200);
    expect((await h.api("/api/v1/jobs/job_nothing")).status).toBe(404);
  });

  it("left running by a stop, resumes at the next start from where it was", async () => {
    const dir = tempDir();
    try {
      const first = await failedEvents(700, { dir });
      const job = await first.h.store.jobs.createResend({ id: "job_interrupted", createdBy: "ops", filter: { eventType: "sample.uploaded" }, now: first.clock.now() });
      await first.h.store.jobs.resendStep(job.id, 500, first.clock.now()); // one batch done, then the process went away
      await first.h.close();
      herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${first.r.url}", events: ["*"] }` }), { clock: first.clock, startWorker: false, dir });
      const resumed = await waitUntil(
        "the job to finish",
        async () => {
          const current = (await herald!.store.jobs.get(job.id))!;
          return current.state === "running" ? undefined : current;
        },
        5_000,
        2,
      );
      expect(resumed).toMatchObject({ state: "done", total: 700, done: 700, resent: 700 });
    } finally {
      await herald?.close();
      herald = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
