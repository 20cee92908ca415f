// One subscription's activity (the subscriptions view) on each store: its queue, deliveries per minute over the
// last hour, and its last failure with the error.
import { expect, it } from "bun:test";
import { forEachBackend, limitsFor, newEvent, outcome } from "./backends.ts";

const T0 = Date.parse("2026-03-01T12:00:00Z");
const MINUTE = 60_000;

forEachBackend("subscription activity", (store) => {
  it("an idle subscription: nothing queued, sixty empty minutes, no failure", async () => {
    expect(await store().queue.activity("a", T0)).toEqual({ unfinished: 0, oldestDueAt: null, perMinute: new Array(60).fill(0), lastFailure: null });
  });

  it("counts its deliveries per minute of the last hour, its unfinished ones and the earliest due, and names its last failure", async () => {
    const s = store();
    // a: 2 events 90 minutes ago (outside the hour), 3 in minute 10, 1 in the last minute; b: one in minute 10.
    const at = (minute: number) => T0 - 60 * MINUTE + minute * MINUTE;
    let n = 0;
    for (const minute of [-30, -30, 10, 10, 10, 59]) await s.events.publish([newEvent(`e${n++}`, ["a"])], at(minute) + 5);
    await s.events.publish([newEvent("other", ["b"])], at(10));
    const claimed = await s.queue.claimDue(limitsFor(["a", "b"]), 100, T0);
    const byEvent = (id: string) => claimed.find((d) => d.event.id === id)!;
    // e0 and e1 failed (e1 later), e2 waits for a retry after a timeout (later still), e3 succeeded; e4, e5 and b's are in flight.
    await s.queue.recordAttempts([outcome(byEvent("e0"), T0 + 1, { state: "failed" }), outcome(byEvent("e1"), T0 + 2, { state: "failed" }), outcome(byEvent("e3"), T0 + 3)], T0 + 3);
    const retry = {
      ...outcome(byEvent("e2"), T0 + 4, { state: "retrying", dueAt: T0 + 10 * MINUTE }),
      responseStatus: null,
      responseBody: null,
      errorKind: "timeout",
      errorMessage: "no answer in 10 s",
    };
    await s.queue.recordAttempts([retry], T0 + 4);

    const activity = await s.queue.activity("a", T0);
    expect(activity.perMinute.length).toBe(60);
    expect(activity.perMinute[10]).toBe(3);
    expect(activity.perMinute[59]).toBe(1);
    expect(activity.perMinute.reduce((x, y) => x + y, 0)).toBe(4);
    expect(activity.unfinished).toBe(3); // e2 retrying, e4 and e5 in flight
    expect(activity.oldestDueAt).toBe(T0 + 5_000); // the lease of those in flight ends before e2's retry

    expect(activity.lastFailure).toEqual({ at: T0 + 4, deliveryId: byEvent("e2").id, eventId: "e2", responseStatus: null, errorKind: "timeout", errorMessage: "no answer in 10 s" });
    expect((await s.queue.activity("b", T0)).perMinute[10]).toBe(1);
  });
});
