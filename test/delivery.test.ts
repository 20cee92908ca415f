// The delivery worker against real receivers, driven by a manual clock: exact retry timing, no sleeping.
import { afterEach, describe, expect, it } from "bun:test";
import { ManualClock } from "./support/clock.ts";
import { configYaml, startTestHerald, type TestHerald } from "./support/herald.ts";
import { receiverPool } from "./support/receiver.ts";

let herald: TestHerald | undefined;
const receivers = receiverPool();

afterEach(async () => {
  await herald?.close();
  herald = undefined;
  await receivers.stopAll();
});

async function start(subscriptions: string, clock: ManualClock, retry?: string) {
  herald = await startTestHerald(configYaml({ subscriptions, retry }), { clock, startWorker: false });
  return herald;
}

async function eventDetail(h: TestHerald, id: string) {
  return (await (await h.api(`/api/v1/events/${id}`)).json()) as any;
}

describe("a published event is POSTed to every matching subscription", () => {
  it("sends the One Codex v1 envelope to exact-name and wildcard subscriptions, not to others", async () => {
    const clock = new ManualClock();
    const a = receivers.start();
    const b = receivers.start();
    const c = receivers.start();
    const h = await start(
      `  - { id: a, url: "${a.url}/hook", events: ["*"] }
  - { id: b, url: "${b.url}/hook", events: [sample.uploaded] }
  - { id: c, url: "${c.url}/hook", events: [analysis.failed] }`,
      clock,
    );
    const published = await h.publish({ event_type: "sample.uploaded", object: { id: "s1", filename: "x.fastq" }, triggered_at: "2026-01-01T00:00:00Z" });
    expect(published.status).toBe(202);
    const event = (await published.json()) as any;
    await h.worker.drain();

    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(1);
    expect(c.requests).toHaveLength(0);
    const sent = a.requests[0]!;
    expect(sent.method).toBe("POST");
    expect(sent.path).toBe("/hook");
    expect(sent.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(sent.body)).toEqual({
      api_version: "v1",
      event_type: "sample.uploaded",
      object: { id: "s1", filename: "x.fastq" },
      object_type: "sample",
      triggered_at: "2026-01-01T00:00:00.000Z",
    });
    expect(sent.headers["herald-event-id"]).toBe(event.id);
    expect(sent.headers["herald-delivery-id"]).toMatch(/^dlv_/);
    expect((await eventDetail(h, event.id)).status).toBe("success");
  });

  it("custom headers of the subscription are sent", async () => {
    const clock = new ManualClock();
    const a = receivers.start();
    const h = await start(`  - { id: a, url: "${a.url}", events: ["*"], headers: { X-Lab-Id: "42" } }`, clock);
    await h.publish({ event_type: "sample.uploaded", object: {} });
    await h.worker.drain();
    expect(a.requests[0]!.headers["x-lab-id"]).toBe("42");
  });
});

describe("retries follow the declared schedule exactly (Ovation: 10 s timeout, 64 s then 729 s)", () => {
  it("makes 3 attempts at +0, +64 s and +729 s after each failure, then the event is failed", async () => {
    const clock = new ManualClock();
    const a = receivers.start(() => new Response("down", { status: 503 }));
    const h = await start(`  - { id: a, url: "${a.url}", events: ["*"] }`, clock, "retry: { timeout: 10s, schedule: [64s, 729s], success: 2xx }");
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    expect(event.status).toBe("pending");

    await h.worker.drain();
    expect(a.requests).toHaveLength(1);
    let detail = await eventDetail(h, event.id);
    expect(detail.status).toBe("retryable");
    expect(detail.deliveries[0].next_attempt_at).toBe(new Date(clock.now() + 64_000).toISOString());

    clock.advance(63_999);
    await h.worker.drain();
    expect(a.requests).toHaveLength(1); // not one millisecond early

    clock.advance(1);
    await h.worker.drain();
    expect(a.requests).toHaveLength(2);
    expect((await eventDetail(h, event.id)).status).toBe("retryable");

    clock.advance(728_999);
    await h.worker.drain();
    expect(a.requests).toHaveLength(2);
    clock.advance(1);
    await h.worker.drain();
    expect(a.requests).toHaveLength(3);

    detail = await eventDetail(h, event.id);
    expect(detail.status).toBe("failed");
    expect(detail.deliveries[0].state).toBe("failed");
    expect(detail.deliveries[0].next_attempt_at).toBeNull();
    expect(detail.deliveries[0].attempt_log.map((x: any) => x.response.status)).toEqual([503, 503, 503]);

    clock.advance(86_400_000);
    await h.worker.drain();
    expect(a.requests).toHaveLength(3); // no fourth attempt, ever
  });

  it("a later success ends the retries and the event is a success", async () => {
    const clock = new ManualClock();
    const a = receivers.start((_, i) => new Response(i === 0 ? "no" : "yes", { status: i === 0 ? 500 : 200 }));
    const h = await start(`  - { id: a, url: "${a.url}", events: ["*"] }`, clock);
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await h.worker.drain();
    clock.advance(64_000);
    await h.worker.drain();
    const detail = await eventDetail(h, event.id);
    expect(detail.status).toBe("success");
    expect(detail.deliveries[0].attempt_log.map((x: any) => x.success)).toEqual([false, true]);
    expect(a.requests.map((r) => r.headers["herald-delivery-id"])).toEqual([detail.deliveries[0].id, detail.deliveries[0].id]); // the same delivery id on every attempt
  });

  it("a subscription's retry override wins over the default policy", async () => {
    const clock = new ManualClock();
    const a = receivers.start(() => new Response("no", { status: 500 }));
    const h = await start(`  - { id: a, url: "${a.url}", events: ["*"], retry: { schedule: [5s] } }`, clock);
    await h.publish({ event_type: "sample.uploaded", object: {} });
    await h.worker.drain();
    clock.advance(5_000);
    await h.worker.drain();
    clock.advance(3_600_000);
    await h.worker.drain();
    expect(a.requests).toHaveLength(2);
  });
});

describe("success is judged by the policy", () => {
  it("with success: [200], a 204 is a failure", async () => {
    const clock = new ManualClock();
    const a = receivers.start(() => new Response(null, { status: 204 }));
    const h = await start(`  - { id: a, url: "${a.url}", events: ["*"], retry: { success: [200], schedule: [] } }`, clock);
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await h.worker.drain();
    expect((await eventDetail(h, event.id)).status).toBe("failed");
  });

  it("a redirect is not followed and counts as a failure", async () => {
    const clock = new ManualClock();
    const target = receivers.start();
    const a = receivers.start(() => new Response(null, { status: 302, headers: { location: `${target.url}/elsewhere` } }));
    const h = await start(`  - { id: a, url: "${a.url}", events: ["*"] }`, clock);
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await h.worker.drain();
    expect(target.requests).toHaveLength(0);
    const attempt = (await eventDetail(h, event.id)).deliveries[0].attempt_log[0];
    expect(attempt.response.status).toBe(302);
    expect(attempt.success).toBe(false);
  });
});

describe("every attempt is logged", () => {
  it("keeps only the first 4 KB of the response body", async () => {
    const clock = new ManualClock();
    const a = receivers.start(() => new Response("x".repeat(100_000), { status: 500 }));
    const h = await start(`  - { id: a, url: "${a.url}", events: ["*"] }`, clock);
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await h.worker.drain();
    const attempt = (await eventDetail(h, event.id)).deliveries[0].attempt_log[0];
    expect(attempt.response.body).toBe("x".repeat(4096));
    expect(attempt.duration_ms).toBeGreaterThanOrEqual(0);
    expect(attempt.request.url).toBe(a.url);
  });

  it("redacts secret request headers", async () => {
    const clock = new ManualClock();
    const a = receivers.start();
    const h = await start(`  - { id: a, url: "${a.url}", events: ["*"], headers: { Authorization: "Bearer s3cret", X-Lab-Id: "7" } }`, clock);
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await h.worker.drain();
    expect(a.requests[0]!.headers.authorization).toBe("Bearer s3cret");
    const logged = (await eventDetail(h, event.id)).deliveries[0].attempt_log[0].request.headers;
    expect(logged.authorization).toBe("[redacted]");
    expect(logged["x-lab-id"]).toBe("7");
    expect(JSON.stringify(logged)).not.toContain("s3cret");
  });

  it("a timeout is logged with its error kind and retried", async () => {
    const clock = new ManualClock();
    const a = receivers.start(() => new Promise<Response>(() => {})); // never answers
    const h = await start(`  - { id: a, url: "${a.url}", events: ["*"], retry: { timeout: 100ms } }`, clock);
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await h.worker.drain();
    const detail = await eventDetail(h, event.id);
    expect(detail.status).toBe("retryable");
    expect(detail.deliveries[0].attempt_log[0].error.kind).toBe("timeout");
    expect(detail.deliveries[0].attempt_log[0].response).toBeNull();
  });

  it("a refused connection is logged as connection_refused", async () => {
    const clock = new ManualClock();
    const gone = receivers.start();
    const url = gone.url;
    await gone.stop();
    const h = await start(`  - { id: a, url: "${url}", events: ["*"] }`, clock);
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await h.worker.drain();
    expect((await eventDetail(h, event.id)).deliveries[0].attempt_log[0].error.kind).toBe("connection_refused");
  });
});

describe("event status over several subscriptions (One Codex)", () => {
  it("is failed when one subscription exhausted its retries, even if another succeeded", async () => {
    const clock = new ManualClock();
    const ok = receivers.start();
    const bad = receivers.start(() => new Response("no", { status: 500 }));
    const h = await start(
      `  - { id: a, url: "${ok.url}", events: ["*"] }
  - { id: bad, url: "${bad.url}", events: ["*"], retry: { schedule: [] } }`,
      clock,
    );
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await h.worker.drain();
    const detail = await eventDetail(h, event.id);
    expect(detail.status).toBe("failed");
    expect(Object.fromEntries(detail.deliveries.map((d: any) => [d.subscription, d.state]))).toEqual({ a: "succeeded", bad: "failed" });
  });
});

describe("Retry-After on a 429 or 503 is honoured, within max_retry_after, and shown in the attempt log", () => {
  it("a 429 asking for 120 s is retried 120 s later (not the schedule's 64 s), and the log says so", async () => {
    const clock = new ManualClock();
    const a = receivers.start((_, i) => (i === 0 ? new Response("slow down", { status: 429, headers: { "retry-after": "120" } }) : new Response("ok")));
    const h = await start(`  - { id: a, url: "${a.url}", events: ["*"] }`, clock, "retry: { timeout: 10s, schedule: [64s, 729s], success: 2xx }");
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await h.worker.drain();
    let detail = await eventDetail(h, event.id);
    expect(detail.deliveries[0].next_attempt_at).toBe(new Date(clock.now() + 120_000).toISOString());
    expect(detail.deliveries[0].attempt_log[0]).toMatchObject({ response: { status: 429 }, retry_after: { header: "120", wait_ms: 120_000 } });
    clock.advance(119_999);
    await h.worker.drain();
    expect(a.requests).toHaveLength(1);
    clock.advance(1);
    await h.worker.drain();
    expect(a.requests).toHaveLength(2);
    detail = await eventDetail(h, event.id);
    expect(detail.status).toBe("success");
    expect(detail.deliveries[0].attempt_log[1].retry_after).toBeNull();
  });

  it("a 503 with an HTTP-date is read against the clock; a wait beyond max_retry_after is cut to it", async () => {
    const clock = new ManualClock();
    const in10Minutes = new Date(clock.now() + 600_000).toUTCString();
    const a = receivers.start((_, i) => new Response("maintenance", { status: 503, headers: { "retry-after": i === 0 ? in10Minutes : "86400" } }));
    const h = await start(`  - { id: a, url: "${a.url}", events: ["*"] }`, clock, "retry: { timeout: 10s, schedule: [64s, 64s], success: 2xx, max_retry_after: 30m }");
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await h.worker.drain();
    expect((await eventDetail(h, event.id)).deliveries[0].attempt_log[0].retry_after).toEqual({ header: in10Minutes, wait_ms: 600_000 });
    clock.advance(600_000);
    await h.worker.drain();
    const detail = await eventDetail(h, event.id);
    expect(detail.deliveries[0].attempt_log[1].retry_after).toEqual({ header: "86400", wait_ms: 1_800_000 });
    expect(detail.deliveries[0].next_attempt_at).toBe(new Date(clock.now() + 1_800_000).toISOString());
  });

  it("never adds an attempt: on the last one the delivery fails whatever Retry-After asks, and a 500's Retry-After is not read", async () => {
    const clock = new ManualClock();
    const limited = receivers.start(() => new Response("no", { status: 429, headers: { "retry-after": "1" } }));
    const broken = receivers.start(() => new Response("no", { status: 500, headers: { "retry-after": "3600" } }));
    const h = await start(`  - { id: a, url: "${limited.url}", events: ["*"], retry: { schedule: [] } }\n  - { id: b, url: "${broken.url}", events: ["*"], retry: { schedule: [5s] } }`, clock);
    const event = (await (await h.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await h.worker.drain();
    const detail = await eventDetail(h, event.id);
    const [a, b] = detail.deliveries;
    expect(a).toMatchObject({ state: "failed", next_attempt_at: null });
    expect(a.attempt_log[0].retry_after).toEqual({ header: "1", wait_ms: null });
    expect(b.next_attempt_at).toBe(new Date(clock.now() + 5_000).toISOString());
    expect(b.attempt_log[0].retry_after).toEqual({ header: "3600", wait_ms: null });
  });
});
