// The hand-off at publish: fresh deliveries the running worker would claim next are stored already leased in
// the publish's transaction and launched from memory, with the same leases, claim tokens, order and limits as
// a claim. (A real kill -9 of a process holding handed-off deliveries: process.test.ts and crash.test.ts.)
import { afterEach, describe, expect, it } from "bun:test";
import { IN_MEMORY } from "../src/store/db.ts";
import { openSqliteStore, type HandOff, type NewEvent, type Store } from "../src/store/index.ts";
import { configYaml, startTestHerald, type TestHerald } from "./support/herald.ts";
import { waitUntil } from "./support/process.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";

let herald: TestHerald | undefined;
let store: Store | undefined;
let receivers: Receiver[] = [];
const releases: (() => void)[] = [];

afterEach(async () => {
  for (const release of releases.splice(0)) release();
  await herald?.close();
  herald = undefined;
  store?.close();
  store = undefined;
  await Promise.all(receivers.map((r) => r.stop()));
  receivers = [];
});

const json = async (response: Response) => (await response.json()) as any;
const NOW = Date.parse("2026-01-01T00:00:00Z");
const LEASE = 5_000;
const event = (id: string, subscriptionIds = ["a"]): NewEvent => ({ id, eventType: "sample.uploaded", objectType: "sample", object: { id }, triggeredAt: null, subscriptionIds });
/** A hand-off that takes up to `count` of subscription a's fresh deliveries, and records what it was asked. */
function handOffTaking(count: number) {
  const asked: { fresh: Record<string, number>; olderDue: boolean }[] = [];
  const handOff: HandOff = (fresh, olderDue) => {
    asked.push({ fresh: Object.fromEntries(fresh), olderDue });
    return olderDue ? new Map() : new Map([["a", { count, leaseMs: LEASE }]]);
  };
  return { handOff, asked };
}

/** A receiver that holds each answer until the test (or its end) releases it with `status`. */
function heldReceiver() {
  const held: ((status: number) => void)[] = [];
  const r = startReceiver(() => new Promise<Response>((resolve) => {
    const answer = (status: number) => resolve(new Response("answer", { status }));
    held.push(answer);
    releases.push(() => answer(200));
  }));
  receivers.push(r);
  return { r, answerNext: (status = 200) => held.shift()!(status) };
}

describe("publishEvents with a hand-off (the store's side)", () => {
  it("stores the picked deliveries as a claim would leave them and returns them with their events; the rest stay due", () => {
    store = openSqliteStore(IN_MEMORY);
    const { handOff, asked } = handOffTaking(2);
    const outcomes = store.publishEvents([event("e1"), event("e2"), event("e3")], NOW, handOff);
    expect(asked).toEqual([{ fresh: { a: 3 }, olderDue: false }]);
    expect(outcomes.map((o) => o.handedOff.map((d) => [d.event.id, d.number, d.claim, d.roundAttempts]))).toEqual([[["e1", 1, 1, 0]], [["e2", 1, 1, 0]], []]);
    // The worker gets the event as a claim reads it back: no deliveries attached.
    expect(outcomes[0]!.handedOff[0]!.event).toEqual({ id: "e1", eventType: "sample.uploaded", objectType: "sample", object: { id: "e1" }, triggeredAt: NOW, createdAt: NOW, status: "pending" });
    const stored = ["e1", "e2", "e3"].map((id) => store!.getEvent(id)!.deliveries[0]!);
    expect(stored.map((d) => [d.state, d.attempts, d.claim, d.leased, d.dueAt])).toEqual([
      ["pending", 1, 1, true, NOW + LEASE],
      ["pending", 1, 1, true, NOW + LEASE],
      ["pending", 0, 0, false, NOW],
    ]);
    // The answer to the publish shows what is stored.
    expect(outcomes[0]!.event.deliveries[0]).toMatchObject({ attempts: 1, claim: 1, leased: true, dueAt: NOW + LEASE });
    // A claim finds only the one left due.
    const claimed = store.claimDue(new Map([["a", { count: 10, leaseMs: LEASE }]]), 10, NOW);
    expect(claimed.map((d) => d.event.id)).toEqual(["e3"]);
  });

  it("says when something published earlier is due, an expired lease included, so nothing fresh overtakes it", () => {
    store = openSqliteStore(IN_MEMORY);
    store.publishEvents([event("old")], NOW); // no hand-off: left due
    const first = handOffTaking(10);
    expect(store.publishEvents([event("new")], NOW + 1, first.handOff)[0]!.handedOff).toEqual([]);
    expect(first.asked).toEqual([{ fresh: { a: 1 }, olderDue: true }]);

    store.claimDue(new Map([["a", { count: 10, leaseMs: LEASE }]]), 10, NOW + 2); // both leased until NOW + 2 + LEASE
    const during = handOffTaking(10);
    expect(store.publishEvents([event("during")], NOW + 3, during.handOff)[0]!.handedOff).toHaveLength(1);
    expect(during.asked[0]!.olderDue).toBe(false); // leased and in flight: not due
    const after = handOffTaking(10);
    store.publishEvents([event("after")], NOW + 2 + LEASE, after.handOff);
    expect(after.asked[0]!.olderDue).toBe(true); // their leases ran out: due again
  });

  it("a handed-off delivery never launched (the process died) is claimed again once its lease runs out, under a new token", () => {
    store = openSqliteStore(IN_MEMORY);
    store.publishEvents([event("e1")], NOW, handOffTaking(1).handOff);
    const limits = new Map([["a", { count: 10, leaseMs: LEASE }]]);
    expect(store.claimDue(limits, 10, NOW + LEASE - 1)).toEqual([]);
    const [again] = store.claimDue(limits, 10, NOW + LEASE);
    expect(again).toMatchObject({ number: 2, claim: 2, roundAttempts: 0 });
  });

  it("an id published twice in one batch reads back the first, deliveries and all", () => {
    store = openSqliteStore(IN_MEMORY);
    const [first, repeat, conflict] = store.publishEvents([event("e1"), event("e1"), { ...event("e1"), object: { other: true } }], NOW, handOffTaking(5).handOff);
    expect([first!.kind, repeat!.kind, conflict!.kind]).toEqual(["created", "existing", "conflict"]);
    expect(repeat!.event.deliveries.map((d) => [d.id, d.attempts])).toEqual([[first!.event.deliveries[0]!.id, 1]]);
    expect(repeat!.handedOff).toEqual([]);
    expect(store.getEvent("e1")!.deliveries).toHaveLength(1);
  });
});

describe("the running worker takes a publish's fresh deliveries", () => {
  const yaml = (url: string, extra = "") => configYaml({ subscriptions: `  - { id: a, url: "${url}", events: ["*"] }`, extra, retry: "retry: { timeout: 2s, schedule: [64s], success: 2xx }" });

  it("the 202 shows the delivery already leased (attempt 1, due again at the lease's end) and the POST goes out", async () => {
    const r = startReceiver();
    receivers.push(r);
    herald = await startTestHerald(yaml(r.url));
    const published = await json(await herald.publish({ event_type: "sample.uploaded", object: {} }));
    const [delivery] = published.deliveries;
    expect(delivery.attempts).toBe(1);
    expect(Date.parse(delivery.next_attempt_at) - Date.parse(published.created_at)).toBe(2 * 2_000 + 1_000);
    const [request] = await r.waitFor(1);
    expect(request!.headers).toMatchObject({ "herald-delivery-id": delivery.id, "herald-attempt": "1" });
  });

  it("nothing is handed off while the worker is not running: the delivery waits for a claim", async () => {
    const r = startReceiver();
    receivers.push(r);
    herald = await startTestHerald(yaml(r.url), { startWorker: false });
    const published = await json(await herald.publish({ event_type: "sample.uploaded", object: {} }));
    expect(published.deliveries[0]).toMatchObject({ attempts: 0, next_attempt_at: published.created_at });
    await herald.worker.drain();
    expect(r.requests).toHaveLength(1);
  });

  it("per_subscription holds, and fresh deliveries wait behind their subscription's older ones", async () => {
    const { r, answerNext } = heldReceiver();
    herald = await startTestHerald(yaml(r.url, "delivery: { concurrency: 4, per_subscription: 1 }"));
    const attempts = [];
    for (const i of [1, 2, 3]) attempts.push((await json(await herald.publish({ event_type: "sample.uploaded", id: `e${i}`, object: { i } }))).deliveries[0].attempts);
    expect(attempts).toEqual([1, 0, 0]); // e1 taken at once; e2 and e3 wait for e1's slot
    await r.waitFor(1);
    await Bun.sleep(50);
    expect(r.requests).toHaveLength(1);
    answerNext();
    await r.waitFor(2);
    answerNext();
    await r.waitFor(3);
    answerNext();
    expect(r.requests.map((q) => q.headers["herald-event-id"])).toEqual(["e1", "e2", "e3"]);
  });

  it("resent while in flight: POSTed again as soon as the first attempt ends, the resend winning over its answer", async () => {
    const { r, answerNext } = heldReceiver();
    herald = await startTestHerald(yaml(r.url));
    const published = await json(await herald.publish({ event_type: "sample.uploaded", object: {} }));
    await r.waitFor(1);
    expect((await herald.api(`/api/v1/events/${published.id}/resend`, { method: "POST" })).status).toBe(202);
    await Bun.sleep(50);
    expect(r.requests).toHaveLength(1); // never twice at once
    answerNext(500);
    await r.waitFor(2);
    answerNext(200);
    const detail = await waitUntil("the resend to succeed", async () => {
      const detail = await json(await herald!.api(`/api/v1/events/${published.id}`));
      return detail.status === "success" ? detail : undefined;
    }, 2_000);
    expect(detail.deliveries[0].attempt_log.map((a: any) => [a.number, a.success])).toEqual([[1, false], [2, true]]);
  });
});
