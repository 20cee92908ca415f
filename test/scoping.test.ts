// A `user` key sees only its own subscriptions' deliveries: their status, their filters, nothing else.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { ManualClock } from "./support/clock.ts";
import { configYaml, startTestHerald, USER_TOKEN, type TestHerald } from "./support/herald.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";

let herald: TestHerald;
let ok: Receiver;
let bad: Receiver;
let eventId: string;
const json = async (response: Response) => (await response.json()) as any;

beforeAll(async () => {
  ok = startReceiver();
  bad = startReceiver(() => new Response("no", { status: 500 }));
  herald = await startTestHerald(
    configYaml({ subscriptions: `  - { id: a, url: "${ok.url}", events: ["*"] }\n  - { id: secret-partner, url: "${bad.url}", events: ["*"], retry: { schedule: [] } }` }),
    { clock: new ManualClock(), startWorker: false },
  );
  eventId = (await json(await herald.publish({ event_type: "sample.uploaded", object: {} }))).id;
  await herald.worker.drain(); // a succeeded, secret-partner failed: the event as a whole failed
});

afterAll(async () => {
  await herald.close();
  await ok.stop();
  await bad.stop();
});

describe("filtering on a subscription judges the event by its delivery to that subscription", () => {
  it("for an admin key as for a user key", async () => {
    const failedAtA = await json(await herald.api("/api/v1/events?subscription=a&status=failed"));
    expect(failedAtA).toEqual([]); // the event failed overall, but not at a
    const succeededAtA = await json(await herald.api("/api/v1/events?subscription=a&status=success"));
    expect(succeededAtA.map((e: any) => e.id)).toEqual([eventId]);
    const failedAtPartner = await json(await herald.api("/api/v1/events?subscription=secret-partner&status=failed"));
    expect(failedAtPartner.map((e: any) => e.id)).toEqual([eventId]);
  });
});

describe("a user key's view of an event", () => {
  it("shows the status its own deliveries give, not the hidden ones'", async () => {
    expect((await json(await herald.api(`/api/v1/events/${eventId}`))).status).toBe("failed");
    const seen = await json(await herald.api(`/api/v1/events/${eventId}`, { token: USER_TOKEN }));
    expect(seen.status).toBe("success");
    expect(seen.deliveries.map((d: any) => d.subscription)).toEqual(["a"]);
  });

  it("filters on that same status", async () => {
    const failed = await herald.api("/api/v1/events?status=failed", { token: USER_TOKEN });
    expect(await json(failed)).toEqual([]);
    expect(failed.headers.get("x-total-count")).toBe("0");
    const succeeded = await json(await herald.api("/api/v1/events?status=success", { token: USER_TOKEN }));
    expect(succeeded.map((e: any) => e.id)).toEqual([eventId]);
  });

  it("learns nothing by filtering on a subscription outside its scope", async () => {
    const response = await herald.api("/api/v1/events?subscription=secret-partner", { token: USER_TOKEN });
    expect(await json(response)).toEqual([]);
    expect(response.headers.get("x-total-count")).toBe("0");
    const admin = await json(await herald.api("/api/v1/events?subscription=secret-partner"));
    expect(admin.map((e: any) => e.id)).toEqual([eventId]); // the admin does see it: the filter itself works
  });
});
