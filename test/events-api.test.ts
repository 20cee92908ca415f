// The events API over real HTTP: publishing, auth, idempotency, listing, pagination, resend, scoping.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { ManualClock } from "./support/clock.ts";
import { ADMIN_TOKEN, configYaml, PUBLISH_TOKEN, startTestHerald, USER_TOKEN, type TestHerald } from "./support/herald.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";

let herald: TestHerald;
let okReceiver: Receiver;
let badReceiver: Receiver;
const clock = new ManualClock();

beforeAll(async () => {
  okReceiver = startReceiver();
  badReceiver = startReceiver(() => new Response("no", { status: 500 }));
  herald = await startTestHerald(
    configYaml({
      subscriptions: `  - { id: a, url: "${okReceiver.url}", events: [sample.uploaded] }
  - { id: b, url: "${badReceiver.url}", events: ["*"], retry: { schedule: [] } }`,
      userSubscriptions: ["a"],
    }),
    { clock, startWorker: false },
  );
});

afterAll(async () => {
  await herald.close();
  await okReceiver.stop();
  await badReceiver.stop();
});

const json = async (response: Response) => (await response.json()) as any;

describe("publishing needs a publisher or admin key", () => {
  it("answers 401 without a key and with an unknown one", async () => {
    const none = await fetch(`${herald.url}/api/v1/events`, { method: "POST", body: "{}" });
    expect(none.status).toBe(401);
    expect((await json(none)).error.code).toBe("unauthorized");
    expect((await herald.publish({ event_type: "sample.uploaded", object: {} }, "not-a-real-token-at-all")).status).toBe(401);
  });

  it("answers 403 to a user key", async () => {
    const response = await herald.publish({ event_type: "sample.uploaded", object: {} }, USER_TOKEN);
    expect(response.status).toBe(403);
    expect((await json(response)).error.code).toBe("forbidden");
  });

  it("accepts HTTP Basic with the token as username, as One Codex clients send it", async () => {
    const response = await fetch(`${herald.url}/api/v1/events`, {
      method: "POST",
      headers: { authorization: `Basic ${btoa(`${PUBLISH_TOKEN}:`)}`, "content-type": "application/json" },
      body: JSON.stringify({ event_type: "analysis.failed", object: { id: "an1" } }),
    });
    expect(response.status).toBe(202);
  });
});

describe("a published event is validated", () => {
  it("rejects an undeclared event type with 422 listing the declared ones", async () => {
    const response = await herald.publish({ event_type: "sample.deleted", object: {} });
    expect(response.status).toBe(422);
    const body = await json(response);
    expect(body.error.code).toBe("unknown_event_type");
    expect(body.error.message).toContain("sample.uploaded, analysis.succeeded, analysis.failed");
  });

  it("rejects an object_type that contradicts the declared one", async () => {
    const response = await herald.publish({ event_type: "sample.uploaded", object_type: "analysis", object: {} });
    expect(response.status).toBe(422);
  });

  it("names the wrong field of a malformed body", async () => {
    const response = await herald.publish({ event_type: "sample.uploaded", object: "not an object" });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.message).toContain("/object");
  });

  /** A publish body of exactly `bytes` bytes of JSON. */
  const bodyOfSize = (bytes: number) => {
    const shell = JSON.stringify({ event_type: "sample.uploaded", object: { blob: "" } });
    return JSON.stringify({ event_type: "sample.uploaded", object: { blob: "x".repeat(bytes - shell.length) } });
  };
  const post = (body: string | ReadableStream) =>
    fetch(`${herald.url}/api/v1/events`, { method: "POST", headers: { authorization: `Bearer ${PUBLISH_TOKEN}`, "content-type": "application/json" }, body });

  it("accepts a body of exactly the default limit, 1 MiB, and answers 413 with the error envelope one byte over", async () => {
    expect((await post(bodyOfSize(1024 * 1024))).status).toBe(202);
    const response = await post(bodyOfSize(1024 * 1024 + 1));
    expect(response.status).toBe(413);
    expect((await json(response)).error).toEqual({ code: "body_too_large", message: "request bodies are limited to 1048576 bytes" });
  });

  it("bounds a chunked body, which has no Content-Length, too, with the same envelope", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent++ < 80)
          controller.enqueue(chunk); // 5 MiB in all
        else controller.close();
      },
    });
    const response = await post(body);
    expect(response.status).toBe(413);
    expect((await json(response)).error.code).toBe("body_too_large");
  });

  it("refuses a leap second in triggered_at (JavaScript dates cannot hold one) with 400", async () => {
    expect((await herald.publish({ event_type: "sample.uploaded", object: {}, triggered_at: "2026-06-30T23:59:60Z" })).status).toBe(400);
  });

  it("answers 400 to a body that is not JSON", async () => {
    const response = await herald.api("/api/v1/events", { method: "POST", token: PUBLISH_TOKEN, body: "{nope", headers: { "content-type": "application/json" } });
    expect(response.status).toBe(400);
    expect((await json(response)).error).toBeDefined();
  });
});

describe("an accepted event is on disk, with its deliveries, before the 202", () => {
  it("can be read from the store the moment the answer arrives", async () => {
    const response = await herald.publish({ event_type: "sample.uploaded", object: { id: "s-durable" } });
    expect(response.status).toBe(202);
    const event = await json(response);
    expect(event.$uri).toBe(`/api/v1/events/${event.id}`);
    expect(event.payload).toEqual({ api_version: "v1", event_type: "sample.uploaded", object: { id: "s-durable" }, object_type: "sample", triggered_at: new Date(clock.now()).toISOString() });
    const stored = (await herald.store.events.get(event.id))!;
    expect(stored.deliveries.map((d) => d.subscriptionId)).toEqual(["a", "b"]);
    expect(stored.status).toBe("pending");
  });
});

describe("a client-given id makes publishing idempotent", () => {
  it("returns the same event and does not fan out again", async () => {
    const body = { id: "lims-42", event_type: "sample.uploaded", object: { id: "s42" } };
    const first = await herald.publish(body);
    expect(first.status).toBe(202);
    const again = await herald.publish(body);
    expect(again.status).toBe(200);
    expect((await json(again)).id).toBe("lims-42");
    expect((await herald.store.events.get("lims-42"))!.deliveries).toHaveLength(2);
  });

  it("answers 409 when the same id comes with different content", async () => {
    await herald.publish({ id: "lims-43", event_type: "sample.uploaded", object: { id: "s43" } });
    const clash = await herald.publish({ id: "lims-43", event_type: "sample.uploaded", object: { id: "other" } });
    expect(clash.status).toBe(409);
    expect((await json(clash)).error.code).toBe("id_conflict");
  });
});

describe("listing events", () => {
  it("is newest first, filtered, and paginated with Link and X-Total-Count", async () => {
    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      await herald.publish({ id: `list-${i}`, event_type: "analysis.succeeded", object: { n: i } });
    }
    const page1 = await herald.api("/api/v1/events?event_type=analysis.succeeded&per_page=2");
    expect(page1.status).toBe(200);
    expect(page1.headers.get("x-total-count")).toBe("5");
    expect((await json(page1)).map((e: any) => e.id)).toEqual(["list-4", "list-3"]);
    const link = page1.headers.get("link")!;
    expect(link).toContain('</api/v1/events?event_type=analysis.succeeded&per_page=2&page=2>; rel="next"');
    expect(link).toContain('rel="last"');
    expect(link).toContain('per_page=2&page=3>; rel="last"');

    const page3 = await herald.api("/api/v1/events?event_type=analysis.succeeded&per_page=2&page=3");
    expect((await json(page3)).map((e: any) => e.id)).toEqual(["list-0"]);
    expect(page3.headers.get("link")).not.toContain('rel="next"');
  });

  it("filters by status, subscription and time window", async () => {
    await herald.worker.drain(); // a succeeds; b fails at once (no retries)
    const failed = await json(await herald.api("/api/v1/events?status=failed&per_page=500"));
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((e: any) => e.status === "failed")).toBe(true);

    const onlyA = await json(await herald.api("/api/v1/events?subscription=a&per_page=500"));
    expect(onlyA.length).toBeGreaterThan(0);
    expect(onlyA.every((e: any) => e.event_type === "sample.uploaded")).toBe(true);

    const since = new Date(clock.now() - 1_500).toISOString(); // list-3 and list-4 are 1 s apart, 0 and 1 s ago
    const recent = await json(await herald.api(`/api/v1/events?since=${since}&event_type=analysis.succeeded`));
    expect(recent.map((e: any) => e.id)).toEqual(["list-4", "list-3"]);
  });

  it("rejects an unknown status with 400", async () => {
    expect((await herald.api("/api/v1/events?status=exploded")).status).toBe(400);
  });
});

describe("reading one event", () => {
  it("shows its deliveries and attempts, and 404 for an unknown id", async () => {
    const detail = await json(await herald.api("/api/v1/events/lims-42"));
    expect(detail.deliveries.map((d: any) => d.subscription)).toEqual(["a", "b"]);
    expect(detail.deliveries[0].attempt_log[0].response.status).toBe(200);
    const missing = await herald.api("/api/v1/events/nope");
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe("not_found");
  });
});

describe("a user key sees only its own subscriptions", () => {
  it("lists only events delivered to its subscriptions, with only those deliveries", async () => {
    const events = await json(await herald.api("/api/v1/events?per_page=500", { token: USER_TOKEN }));
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e: any) => e.deliveries.every((d: any) => d.subscription === "a"))).toBe(true);
    expect(events.some((e: any) => e.event_type === "analysis.succeeded")).toBe(false);
  });

  it("gets 404 for an event of other subscriptions", async () => {
    expect((await herald.api("/api/v1/events/list-0", { token: USER_TOKEN })).status).toBe(404);
    expect((await herald.api("/api/v1/events/list-0/resend", { method: "POST", token: USER_TOKEN })).status).toBe(404);
  });
});

describe("resending", () => {
  it("gives a failed delivery a fresh attempt and a fresh retry budget", async () => {
    expect((await json(await herald.api("/api/v1/events/list-1"))).status).toBe("failed");
    const response = await herald.api("/api/v1/events/list-1/resend", { method: "POST" });
    expect(response.status).toBe(202);
    expect((await json(response)).status).toBe("pending");
    const before = badReceiver.requests.length;
    await herald.worker.drain();
    expect(badReceiver.requests.length).toBe(before + 1);
    const detail = await json(await herald.api("/api/v1/events/list-1"));
    expect(detail.status).toBe("failed");
    expect(detail.deliveries[0].attempt_log.map((a: any) => a.number)).toEqual([1, 2]);
  });

  it("resends only the named subscriptions", async () => {
    const beforeA = okReceiver.requests.length;
    const beforeB = badReceiver.requests.length;
    await herald.api("/api/v1/events/lims-42/resend", { method: "POST", json: { subscriptions: ["a"] } });
    await herald.worker.drain();
    expect(okReceiver.requests.length).toBe(beforeA + 1);
    expect(badReceiver.requests.length).toBe(beforeB);
  });

  it("resends in bulk by filter", async () => {
    const failedBefore = await json(await herald.api("/api/v1/events?status=failed&per_page=500"));
    const job = await herald.bulkResend({ status: "failed" });
    expect(job).toMatchObject({ kind: "resend", state: "done", total: failedBefore.length, done: failedBefore.length, resent: failedBefore.length, error: null });
    expect((await json(await herald.api("/api/v1/events?status=failed"))).length).toBe(0);
    await herald.worker.drain();
  });

  it("resends in bulk by ids", async () => {
    const job = await herald.bulkResend({ ids: ["list-2", "list-3"] });
    expect(job).toMatchObject({ state: "done", total: 2, resent: 2 });
    await herald.worker.drain();
  });

  it("refuses a bulk resend with no selection at all", async () => {
    const response = await herald.api("/api/v1/events/resend", { method: "POST", json: {} });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe("missing_selection");
  });
});

describe("other endpoints", () => {
  it("lists the declared event types to any key", async () => {
    const types = await json(await herald.api("/api/v1/event_types", { token: USER_TOKEN }));
    // The file's, then Herald's own.
    expect(types.map((t: any) => t.name)).toEqual([
      "sample.uploaded",
      "analysis.succeeded",
      "analysis.failed",
      "herald.delivery.failed",
      "herald.subscription.disabled",
      "herald.subscription.enabled",
    ]);
  });

  it("answers health and readiness without a key", async () => {
    expect((await fetch(`${herald.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${herald.url}/readyz`)).status).toBe(200);
  });

  it("answers an unknown route with the error envelope", async () => {
    const response = await fetch(`${herald.url}/api/v1/nothing`);
    expect(response.status).toBe(404);
    expect((await json(response)).error.code).toBe("not_found");
  });
});
