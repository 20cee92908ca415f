// The event store's contract: idempotent publish, the log's order and exact counts, scopes, resend by status,
// and retention.
import { expect, it } from "bun:test";
import { forEachBackend, limitsFor, newEvent, outcome } from "./backends.ts";

forEachBackend("events", (store) => {
  it("publishing an id again is `existing` when the content is the same (key order aside), `conflict` otherwise", async () => {
    const [created] = await store().events.publish([newEvent("e1", ["a"], { object: { x: 1, y: 2 } })], 1_000);
    expect(created!.kind).toBe("created");
    expect(created!.event).toMatchObject({ id: "e1", status: "pending", createdAt: 1_000, triggeredAt: 1_000 });
    expect(created!.event.deliveries.map((d) => [d.subscriptionId, d.state, d.dueAt])).toEqual([["a", "pending", 1_000]]);
    const [again] = await store().events.publish([newEvent("e1", ["a", "b"], { object: { y: 2, x: 1 } })], 2_000);
    expect(again!.kind).toBe("existing");
    expect(again!.event.deliveries).toHaveLength(1); // the first publish's deliveries, not new ones
    const [other] = await store().events.publish([newEvent("e1", ["a"], { object: { x: 2 } })], 3_000);
    expect(other!.kind).toBe("conflict");
    const [otherTime] = await store().events.publish([newEvent("e1", ["a"], { object: { x: 1, y: 2 }, triggeredAt: 5 })], 3_000);
    expect(otherTime!.kind).toBe("conflict");
    expect(await store().events.count({})).toBe(1);
  });

  it("one publish of several events stores each of them", async () => {
    const outcomes = await store().events.publish([newEvent("e1", ["a"]), newEvent("e2", [])], 1_000);
    expect(outcomes.map((o) => o.kind)).toEqual(["created", "created"]);
    expect((await store().events.list({}, 0, 10)).items.map((e) => e.id)).toEqual(["e2", "e1"]);
  });

  it("lists newest first, ties broken by id, a page at a time, with the exact total", async () => {
    await store().events.publish([newEvent("e1", ["a"]), newEvent("e3", ["a"])], 1_000);
    await store().events.publish([newEvent("e2", ["b"])], 1_000);
    await store().events.publish([newEvent("e0", ["a"])], 2_000);
    const first = await store().events.list({}, 0, 2);
    expect([first.items.map((e) => e.id), first.total]).toEqual([["e0", "e3"], 4]);
    expect((await store().events.list({}, 2, 2)).items.map((e) => e.id)).toEqual(["e2", "e1"]);
    expect((await store().events.list({}, 4, 2)).items).toEqual([]);
    expect((await store().events.list({ subscription: "a" }, 0, 10)).items.map((e) => e.id)).toEqual(["e0", "e3", "e1"]);
  });

  it("a scope (a user key's subscriptions) sees only events and deliveries of its own, their status judged on those", async () => {
    await store().events.publish([newEvent("e1", ["a", "b"]), newEvent("e2", ["b"])], 1_000);
    const claimed = await store().queue.claimDue(limitsFor(["a", "b"]), 10, 1_000);
    const toB = claimed.find((d) => d.subscriptionId === "b" && d.event.id === "e1")!;
    await store().queue.recordAttempts([outcome(toB, 1_001, { state: "failed" })], 1_001);
    const seen = (await store().events.get("e1", ["a"]))!;
    expect([seen.status, seen.deliveries.map((d) => d.subscriptionId)]).toEqual(["pending", ["a"]]);
    expect((await store().events.get("e1"))!.status).toBe("failed");
    expect(await store().events.get("e2", ["a"])).toBeNull();
    expect(await store().events.count({ visibleSubscriptions: ["a"] })).toBe(1);
    expect(await store().events.count({ visibleSubscriptions: ["a"], status: "failed" })).toBe(0);
    expect(await store().events.count({ status: "failed" })).toBe(1);
  });

  it("counts exactly by type, status, subscription, time range and ids", async () => {
    const HOUR = 3_600_000;
    for (let i = 0; i < 30; i++) await store().events.publish([newEvent(`e${i}`, i % 3 === 0 ? ["a", "b"] : ["a"], { eventType: i % 2 ? "report_signed" : "sample.uploaded" })], i * HOUR + 7);
    expect(await store().events.count({})).toBe(30);
    expect(await store().events.count({ eventType: "report_signed" })).toBe(15);
    expect(await store().events.count({ subscription: "b" })).toBe(10);
    expect(await store().events.count({ since: 3 * HOUR, until: 10 * HOUR + 8 })).toBe(8);
    expect(await store().events.count({ ids: ["e1", "e2", "nope"] })).toBe(2);
    expect(await store().events.count({ status: "success" })).toBe(0);
    expect(await store().events.count({ subscription: "b", eventType: "report_signed", since: HOUR })).toBe(5);
  });

  it("a resend filtered on a status resends only the deliveries in that state, with a fresh retry budget", async () => {
    await store().events.publish([newEvent("e1", ["a", "b"])], 1_000);
    const claimed = await store().queue.claimDue(limitsFor(["a", "b"]), 10, 1_000);
    await store().queue.recordAttempts(
      claimed.map((d) => outcome(d, 1_001, { state: d.subscriptionId === "a" ? "succeeded" : "failed" })),
      1_001,
    );
    expect(await store().events.resend({ status: "failed" }, undefined, 2_000)).toEqual(["e1"]);
    const event = (await store().events.get("e1"))!;
    expect(event.deliveries.map((d) => [d.subscriptionId, d.state, d.roundAttempts])).toEqual([
      ["a", "succeeded", 1],
      ["b", "pending", 0],
    ]);
    expect(event.status).toBe("pending");
    expect(await store().events.resend({ ids: ["e1"] }, ["a"], 3_000)).toEqual(["e1"]);
    expect(await store().events.resend({ ids: ["none"] }, undefined, 3_000)).toEqual([]);
  });

  it("retention deletes events created before the cutoff with their deliveries and attempts, a batch at a time", async () => {
    for (let i = 0; i < 5; i++) await store().events.publish([newEvent(`old${i}`, ["a"])], 1_000 + i);
    await store().events.publish([newEvent("new", ["a"])], 10_000);
    const claimed = await store().queue.claimDue(limitsFor(["a"]), 10, 10_000);
    await store().queue.recordAttempts(
      claimed.map((d) => outcome(d, 10_001)),
      10_001,
    );
    expect(await store().events.purgeBefore(5_000, 3)).toBe(3);
    expect(await store().events.purgeBefore(5_000, 3)).toBe(2);
    expect(await store().events.purgeBefore(5_000, 3)).toBe(0);
    expect((await store().events.list({}, 0, 10)).items.map((e) => e.id)).toEqual(["new"]);
    expect(await store().events.count({})).toBe(1);
    expect(await store().events.count({ status: "success" })).toBe(1);
    expect(await store().queue.backlog(20_000)).toEqual([]);
  });
});
