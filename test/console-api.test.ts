// What the operator's console asks of the API beyond the event log's list: search (`q`) and a subscription's
// health, over real HTTP against a real Herald and receivers.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { ManualClock } from "./support/clock.ts";
import { configYaml, startTestHerald, USER_TOKEN, type TestHerald } from "./support/herald.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";
import { SEARCH_MAX_MATCHES } from "../src/services/events.ts";

let herald: TestHerald;
let ok: Receiver;
let bad: Receiver;
const clock = new ManualClock();
const json = async (response: Response) => (await response.json()) as any;

beforeAll(async () => {
  ok = startReceiver();
  bad = startReceiver(() => new Response("down for maintenance", { status: 503 }));
  herald = await startTestHerald(
    configYaml({
      subscriptions: `  - { id: a, url: "${ok.url}", events: [sample.uploaded] }
  - { id: b, url: "${bad.url}", events: ["*"], retry: { schedule: [] } }`,
      userSubscriptions: ["a"],
    }),
    { clock, startWorker: false },
  );
});

afterAll(async () => {
  await herald.close();
  await ok.stop();
  await bad.stop();
});

describe("searching the event log (q)", () => {
  it("finds by event id, delivery id, the object's $uri and its words, within the key's scope", async () => {
    const one = await json(await herald.publish({ event_type: "sample.uploaded", object: { $uri: "/api/v1/samples/smp_7", filename: "reads.fastq.gz" } }));
    const two = await json(await herald.publish({ event_type: "analysis.failed", object: { $uri: "/api/v1/analyses/ana_7", note: "reads failed QC" } }));
    const ids = async (q: string, token?: string) => (await json(await herald.api(`/api/v1/events?q=${encodeURIComponent(q)}`, { token }))).map((e: any) => e.id);
    expect(await ids(one.id)).toEqual([one.id]);
    expect(await ids(two.deliveries[0].id)).toEqual([two.id]);
    expect(await ids("/api/v1/samples/smp_7")).toEqual([one.id]);
    expect(await ids("reads")).toEqual([two.id, one.id]);
    expect(await ids("reads", USER_TOKEN)).toEqual([one.id]); // two goes to b only
    const response = await herald.api(`/api/v1/events?q=reads&event_type=analysis.failed`);
    expect(response.headers.get("x-total-count")).toBe("1");
  });

  it(`refuses, 422 and quickly, words found in more than ${SEARCH_MAX_MATCHES.toLocaleString("en-US")} events`, async () => {
    const now = clock.now();
    for (let batch = 0; batch <= SEARCH_MAX_MATCHES / 1_000; batch++) {
      const events = Array.from({ length: 1_000 }, (_, i) => ({
        id: `evt_common_${batch}_${i}`,
        eventType: "sample.uploaded",
        objectType: "sample",
        object: { tag: "everywhere" },
        triggeredAt: null,
        subscriptionIds: [],
      }));
      await herald.store.events.publish(events, now);
    }
    const response = await herald.api("/api/v1/events?q=everywhere");
    expect(response.status).toBe(422);
    expect((await json(response)).error).toEqual({
      code: "search_too_broad",
      message: `the words of "everywhere" are in more than 10,000 events: add words (an id, a $uri, a file name) or filter by type, status or time instead`,
    });
    const resend = await herald.api("/api/v1/events/resend", { method: "POST", json: { q: "everywhere" } });
    expect(resend.status).toBe(422);
    expect((await json(await herald.api("/api/v1/events?q=evt_common_3_14"))).map((e: any) => e.id)).toEqual(["evt_common_3_14"]);
  });
});

describe("a subscription's health", () => {
  it("gives its success rates, deliveries per minute, queue and last failure; a user key only its own", async () => {
    clock.advance(86_400_000); // a fresh day: only what follows counts
    for (let i = 0; i < 3; i++) await herald.publish({ event_type: "sample.uploaded", object: { i } });
    await herald.worker.drain();
    clock.advance(60_000);
    const health = await json(await herald.api("/api/v1/subscriptions/b/health"));
    expect(health.success_rate).toEqual({ last_hour: { succeeded: 0, failed: 3, pending: 0, rate: 0 }, last_day: { succeeded: 0, failed: 3, pending: 0, rate: 0 } });
    expect(health.deliveries_per_minute.length).toBe(60);
    expect(health.deliveries_per_minute[59]).toBe(3); // the minute before now
    expect(health.queue).toEqual({ depth: 0, oldest_due_at: null });
    expect(health.last_failure).toMatchObject({ status: 503, error: null });
    const a = await json(await herald.api("/api/v1/subscriptions/a/health", { token: USER_TOKEN }));
    expect(a.success_rate.last_hour).toEqual({ succeeded: 3, failed: 0, pending: 0, rate: 1 });
    expect(a.last_failure).toBeNull();
    expect((await herald.api("/api/v1/subscriptions/b/health", { token: USER_TOKEN })).status).toBe(404);
    expect((await herald.api("/api/v1/subscriptions/nope/health")).status).toBe(404);
  });
});
