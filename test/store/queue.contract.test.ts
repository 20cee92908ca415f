// The delivery queue's contract: claims and leases, which outcome decides, resends meeting attempts in flight,
// and the event status that follows from the deliveries' states.
import { expect, it } from "bun:test";
import { forEachBackend, limitsFor, newEvent, outcome } from "./backends.ts";

forEachBackend("delivery queue", (store) => {
  it("claims due deliveries within each subscription's count and the total, oldest due first, with their events", async () => {
    await store().events.publish([newEvent("e1", ["a", "b"]), newEvent("e2", ["a", "b"]), newEvent("e3", ["a"])], 1_000);
    const claimed = await store().queue.claimDue(
      new Map([
        ["a", { count: 2, leaseMs: 5_000 }],
        ["b", { count: 5, leaseMs: 5_000 }],
      ]),
      3,
      1_000,
    );
    expect(claimed.map((d) => [d.subscriptionId, d.event.id, d.number])).toEqual([
      ["a", "e1", 1],
      ["a", "e2", 1],
      ["b", "e1", 1],
    ]);
    expect(claimed[0]!.event).toMatchObject({ eventType: "sample.uploaded", objectType: "sample", object: { id: "e1" }, createdAt: 1_000, triggeredAt: 1_000 });
    expect(await store().queue.claimDue(limitsFor(["a", "b"]), 10, 999)).toEqual([]); // nothing is due before its time
  });

  it("names the subscriptions with a delivery due now, and only those: not one waiting on a retry or a lease, nor one with all delivered", async () => {
    await store().events.publish([newEvent("e1", ["a", "b", "c"]), newEvent("e2", ["a"])], 1_000);
    expect((await store().queue.dueSubscriptions(999)).sort()).toEqual([]);
    expect((await store().queue.dueSubscriptions(1_000)).sort()).toEqual(["a", "b", "c"]);
    const claimed = await store().queue.claimDue(limitsFor(["a", "b", "c"], 1, 5_000), 10, 1_000);
    expect((await store().queue.dueSubscriptions(1_000)).sort()).toEqual(["a"]); // e2's, still waiting
    const by = (id: string) => claimed.find((d) => d.subscriptionId === id)!;
    await store().queue.recordAttempts([outcome(by("b"), 1_001), outcome(by("c"), 1_001, { state: "retrying", dueAt: 9_000 })], 1_001);
    expect((await store().queue.dueSubscriptions(5_999)).sort()).toEqual(["a"]);
    expect((await store().queue.dueSubscriptions(6_000)).sort()).toEqual(["a"]); // a's lease on e1 has ended too
    expect((await store().queue.dueSubscriptions(9_000)).sort()).toEqual(["a", "c"]);
  });

  it("a leased delivery is not claimed again until its lease ends; then again, with the next attempt number and a new claim", async () => {
    await store().events.publish([newEvent("e1", ["a"])], 1_000);
    const [first] = await store().queue.claimDue(limitsFor(["a"], 1, 5_000), 1, 1_000);
    expect(await store().queue.claimDue(limitsFor(["a"], 1, 5_000), 1, 5_999)).toEqual([]);
    expect(await store().queue.nextDueAt()).toBe(6_000); // the lease's end
    const [again] = await store().queue.claimDue(limitsFor(["a"], 1, 5_000), 1, 6_000);
    expect([first!.number, again!.number]).toEqual([1, 2]);
    expect(again!.claim).not.toBe(first!.claim);
  });

  it("every attempt is logged, but only the latest claim decides: a late answer to an expired lease changes nothing", async () => {
    await store().events.publish([newEvent("e1", ["a"])], 1_000);
    const [stale] = await store().queue.claimDue(limitsFor(["a"], 1, 5_000), 1, 1_000);
    const [latest] = await store().queue.claimDue(limitsFor(["a"], 1, 5_000), 1, 6_000);
    await store().queue.recordAttempts([outcome(latest!, 6_001, { state: "retrying", dueAt: 70_000 })], 6_001);
    await store().queue.recordAttempts([outcome(stale!, 6_002)], 6_002); // the first POST answered 200 at last
    const event = (await store().events.get("e1"))!;
    expect(event.deliveries[0]).toMatchObject({ state: "retrying", dueAt: 70_000, attempts: 2 });
    expect(event.deliveries[0]!.attemptLog.map((a) => [a.number, a.success])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(event.status).toBe("retryable");
  });

  it("the event status: failed over retryable over pending over success, refreshed with each outcome", async () => {
    await store().events.publish([newEvent("e1", ["a", "b", "c"])], 1_000);
    expect((await store().events.get("e1"))!.status).toBe("pending");
    const claimed = await store().queue.claimDue(limitsFor(["a", "b", "c"]), 10, 1_000);
    const by = (id: string) => claimed.find((d) => d.subscriptionId === id)!;
    await store().queue.recordAttempts([outcome(by("a"), 1_001)], 1_001);
    expect((await store().events.get("e1"))!.status).toBe("pending");
    await store().queue.recordAttempts([outcome(by("b"), 1_002, { state: "retrying", dueAt: 9_000 })], 1_002);
    expect((await store().events.get("e1"))!.status).toBe("retryable");
    await store().queue.recordAttempts([outcome(by("c"), 1_003, { state: "failed" })], 1_003);
    expect((await store().events.get("e1"))!.status).toBe("failed");
    await store().events.publish([newEvent("e2", [])], 1_000);
    expect((await store().events.get("e2"))!.status).toBe("success"); // nothing to deliver
  });

  it("a resend while the attempt is in flight goes again once that attempt's outcome comes, with a fresh budget", async () => {
    await store().events.publish([newEvent("e1", ["a"])], 1_000);
    const [inFlight] = await store().queue.claimDue(limitsFor(["a"]), 1, 1_000);
    expect(await store().events.resend({ ids: ["e1"] }, undefined, 2_000)).toEqual(["e1"]);
    expect(await store().queue.claimDue(limitsFor(["a"]), 1, 2_000)).toEqual([]); // never POSTed twice at once
    await store().queue.recordAttempts([outcome(inFlight!, 2_500, { state: "failed" })], 2_500);
    const delivery = (await store().events.get("e1"))!.deliveries[0]!;
    expect(delivery).toMatchObject({ state: "pending", roundAttempts: 0, dueAt: 2_500 });
    const [resent] = await store().queue.claimDue(limitsFor(["a"]), 1, 2_500);
    expect(resent!.number).toBe(2);
  });

  it("a resend made while the attempt in flight never answers is satisfied by the attempt made once the lease runs out", async () => {
    const lease = limitsFor(["a"], 1, 5_000);
    await store().events.publish([newEvent("e1", ["a"])], 1_000);
    const [first] = await store().queue.claimDue(lease, 1, 1_000);
    await store().events.resend({ ids: ["e1"] }, undefined, 2_000);
    const [again] = await store().queue.claimDue(lease, 1, 6_001);
    expect([first!.number, again!.number]).toEqual([1, 2]);
    await store().queue.recordAttempts([outcome(again!, 6_002)], 6_002);
    const delivery = (await store().events.get("e1"))!.deliveries[0]!;
    expect([delivery.state, delivery.dueAt]).toEqual(["succeeded", null]);
    expect(await store().queue.claimDue(lease, 1, 100_000)).toEqual([]); // nothing left to send
  });

  it("claims orphans (deliveries of subscriptions not known) apart, and dueNow makes waiting ones due at once", async () => {
    await store().events.publish([newEvent("e1", ["a", "gone"])], 1_000);
    const orphans = await store().queue.claimOrphans(["a"], 1_000, 10);
    expect(orphans.map((d) => [d.subscriptionId, d.eventId, d.number])).toEqual([["gone", "e1", 1]]);
    const [a] = await store().queue.claimDue(limitsFor(["a"]), 1, 1_000);
    await store().queue.recordAttempts([outcome(a!, 1_001, { state: "retrying", dueAt: 50_000 })], 1_001);
    await store().queue.dueNow(["a"], 2_000);
    expect((await store().queue.claimDue(limitsFor(["a"]), 1, 2_000)).map((d) => d.number)).toEqual([2]);
  });

  it("the backlog counts unfinished deliveries per state and those due now; nextDueAt is the earliest due", async () => {
    await store().events.publish([newEvent("e1", ["a"]), newEvent("e2", ["a"])], 1_000);
    expect(await store().queue.backlog(1_000)).toEqual([{ state: "pending", unfinished: 2, due: 2 }]);
    const [first] = await store().queue.claimDue(limitsFor(["a"], 1), 1, 1_000);
    await store().queue.recordAttempts([outcome(first!, 1_001, { state: "retrying", dueAt: 9_000 })], 1_001);
    const backlog = await store().queue.backlog(1_001);
    expect(backlog.sort((x, y) => x.state.localeCompare(y.state))).toEqual([
      { state: "pending", unfinished: 1, due: 1 },
      { state: "retrying", unfinished: 1, due: 0 },
    ]);
    expect(await store().queue.nextDueAt()).toBe(1_000);
  });
});

forEachBackend("delivery queue: ordered lines", (store) => {
  const ordered = (count = 10) => new Map([["a", { count, leaseMs: 5_000, ordered: true }]]);
  const line = (id: string, key: string) => newEvent(id, ["a"], { orderingKeys: { a: key } });

  it("claims only the first unfinished delivery of each line, in publish order; the next one once it has finished", async () => {
    await store().events.publish([line("e1", "x"), line("e2", "y"), line("e3", "x"), line("e4", "y"), line("e5", "x")], 1_000);
    const first = await store().queue.claimDue(ordered(), 10, 1_000);
    expect(first.map((d) => d.event.id).sort()).toEqual(["e1", "e2"]);
    expect(await store().queue.claimDue(ordered(), 10, 1_000)).toEqual([]); // the heads are in flight
    const e1 = first.find((d) => d.event.id === "e1")!;
    await store().queue.recordAttempts([outcome(e1, 1_001)], 1_001);
    expect((await store().queue.claimDue(ordered(), 10, 1_001)).map((d) => d.event.id)).toEqual(["e3"]);
  });

  it("a head waiting on a retry holds its line, not the others; one failed for good lets the next go", async () => {
    await store().events.publish([line("e1", "x"), line("e2", "x"), line("e3", "y")], 1_000);
    const [e1, e3] = await store().queue.claimDue(ordered(), 10, 1_000);
    await store().queue.recordAttempts([outcome(e1!, 1_001, { state: "retrying", dueAt: 9_000 }), outcome(e3!, 1_001)], 1_001);
    expect(await store().queue.claimDue(ordered(), 10, 8_999)).toEqual([]); // e2 waits behind e1's retry
    const [again] = await store().queue.claimDue(ordered(), 10, 9_000);
    expect([again!.event.id, again!.number]).toEqual(["e1", 2]);
    await store().queue.recordAttempts([outcome(again!, 9_001, { state: "failed" })], 9_001);
    expect((await store().queue.claimDue(ordered(), 10, 9_001)).map((d) => d.event.id)).toEqual(["e2"]);
  });

  it("a resent delivery goes back to its place: the unfinished ones published after it wait for it again", async () => {
    await store().events.publish([line("e1", ""), line("e2", ""), line("e3", "")], 1_000);
    const [e1] = await store().queue.claimDue(ordered(), 10, 1_000);
    await store().queue.recordAttempts([outcome(e1!, 1_001, { state: "failed" })], 1_001);
    const [e2] = await store().queue.claimDue(ordered(), 10, 1_001);
    await store().queue.recordAttempts([outcome(e2!, 1_002)], 1_002);
    await store().events.resend({ ids: ["e1"] }, undefined, 1_003);
    expect((await store().queue.claimDue(ordered(), 10, 1_003)).map((d) => d.event.id)).toEqual(["e1"]); // before e3
  });

  it("takes at most the count, and a subscription not ordered (or deliveries of no line) is claimed as usual", async () => {
    await store().events.publish([line("e1", "x"), line("e2", "y"), line("e3", "z"), newEvent("e4", ["a"]), newEvent("e5", ["a"])], 1_000);
    expect((await store().queue.claimDue(ordered(2), 10, 1_000)).map((d) => d.event.id)).toEqual(["e1", "e2"]);
    // e4 and e5 joined no line (published before the subscription was ordered): one line of their own.
    expect((await store().queue.claimDue(ordered(), 10, 1_000)).map((d) => d.event.id).sort()).toEqual(["e3", "e4"]);
    expect((await store().queue.claimDue(limitsFor(["a"]), 10, 1_000)).map((d) => d.event.id)).toEqual(["e5"]);
  });
});
