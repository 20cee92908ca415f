// Retention: old events go with their deliveries and attempts (ON DELETE CASCADE), a small batch at a time.
import { inArray, lt } from "drizzle-orm";
import type { Db } from "./db.ts";
import { events } from "./schema.ts";

/** Deletes up to `batchSize` events created before `cutoff`; returns how many went. */
export function purgeBatch(db: Db, cutoff: number, batchSize: number): number {
  return db.transaction(() => {
    const old = db.select({ id: events.id }).from(events).where(lt(events.createdAt, cutoff)).limit(batchSize);
    return db.delete(events).where(inArray(events.id, old)).returning({ id: events.id }).all().length;
  });
}
