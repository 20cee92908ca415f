// The job store's contract: a bulk resend counted when made, done a batch at a time with its progress, resumable.
import { expect, it } from "bun:test";
import { forEachBackend, newEvent } from "./backends.ts";

forEachBackend("jobs", (store) => {
  it("a resend job counts its events when made, then each step resends the next batch and moves its counts on", async () => {
    for (let i = 0; i < 5; i++) await store().events.publish([newEvent(`e${i}`, ["a"])], 1_000 + i);
    const job = await store().jobs.createResend({ id: "job_1", createdBy: "key_1", filter: { eventType: "sample.uploaded" }, now: 2_000 });
    expect(job).toMatchObject({ id: "job_1", kind: "resend", state: "running", createdBy: "key_1", total: 5, done: 0, resent: 0, error: null, finishedAt: null });
    await store().events.publish([newEvent("later", ["a"])], 3_000); // not part of it
    expect(await store().jobs.runningIds()).toEqual(["job_1"]);
    expect(await store().jobs.resendStep("job_1", 2, 4_000)).toMatchObject({ state: "running", done: 2, resent: 2 });
    expect(await store().jobs.resendStep("job_1", 2, 4_001)).toMatchObject({ state: "running", done: 4 });
    expect(await store().jobs.resendStep("job_1", 2, 4_002)).toMatchObject({ state: "done", done: 5, resent: 5, finishedAt: 4_002 });
    expect(await store().jobs.resendStep("job_1", 2, 4_003)).toMatchObject({ state: "done", done: 5 }); // a finished job stays as it is
    expect(await store().jobs.runningIds()).toEqual([]);
    expect((await store().events.get("later"))!.deliveries[0]!.updatedAt).toBe(3_000);
  });

  it("resends only to the named subscriptions, and a failed job keeps its error", async () => {
    await store().events.publish([newEvent("e1", ["a", "b"])], 1_000);
    await store().jobs.createResend({ id: "job_2", createdBy: "key_1", filter: {}, subscriptions: ["b"], now: 2_000 });
    await store().jobs.resendStep("job_2", 10, 3_000);
    expect((await store().events.get("e1"))!.deliveries.map((d) => [d.subscriptionId, d.updatedAt])).toEqual([
      ["a", 1_000],
      ["b", 3_000],
    ]);
    await store().jobs.createResend({ id: "job_3", createdBy: "key_1", filter: {}, now: 4_000 });
    await store().jobs.fail("job_3", "disk full", 5_000);
    expect(await store().jobs.get("job_3")).toMatchObject({ state: "failed", error: "disk full", finishedAt: 5_000 });
    expect(await store().jobs.get("job_none")).toBeNull();
  });

  it("jobs finished before the retention cutoff go with the old events", async () => {
    await store().events.publish([newEvent("e1", ["a"])], 1_000);
    await store().jobs.createResend({ id: "job_old", createdBy: "k", filter: {}, now: 1_500 });
    await store().jobs.resendStep("job_old", 10, 2_000);
    await store().events.purgeBefore(3_000, 10);
    expect(await store().jobs.get("job_old")).toBeNull();
  });
});
