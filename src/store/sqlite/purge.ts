// Retention: old events go with their deliveries and attempts, a small batch at a time; jobs finished before
// the cutoff go too, and so do the per-hour totals that have fallen to zero.
import { eq, inArray, lt } from "drizzle-orm";
import type { Db } from "./db.ts";
import { deliveries, deliveryCounts, eventCounts, events, jobs } from "./schema.ts";

/** Deletes up to `batchSize` events created before `cutoff`, and the jobs finished before it; returns how many events went. */
export function purgeBatch(db: Db, cutoff: number, batchSize: number): number {
  return db.transaction(() => {
    db.delete(jobs).where(lt(jobs.finishedAt, cutoff)).run();
    const old = db
      .select({ id: events.id })
      .from(events)
      .where(lt(events.createdAt, cutoff))
      .limit(batchSize)
      .all()
      .map((e) => e.id);
    // Deliveries first, while their events are there for the count triggers to read (attempts cascade).
    db.delete(deliveries).where(inArray(deliveries.eventId, old)).run();
    db.delete(events).where(inArray(events.id, old)).run();
    if (old.length < batchSize) {
      // The sweep's last batch: totals left at zero go, once per sweep (they are looked for row by row).
      db.delete(eventCounts).where(eq(eventCounts.n, 0)).run();
      db.delete(deliveryCounts).where(eq(deliveryCounts.n, 0)).run();
    }
    return old.length;
  });
}
