// Retention: old events go with their deliveries and attempts (ON DELETE CASCADE), a small batch at a time;
// jobs finished before the cutoff go too.
import { inArray, lt } from "drizzle-orm";
import type { Db } from "./db.ts";
import { events, jobs } from "./schema.ts";

/** Deletes up to `batchSize` events created before `cutoff`, and the jobs finished before it; returns how many events went. */
export function purgeBatch(db: Db, cutoff: number, batchSize: number): number {
  return db.transaction(() => {
    db.delete(jobs).where(lt(jobs.finishedAt, cutoff)).run();
    const old = db.select({ id: events.id }).from(events).where(lt(events.createdAt, cutoff)).limit(batchSize);
    return db.delete(events).where(inArray(events.id, old)).returning({ id: events.id }).all().length;
  });
}
