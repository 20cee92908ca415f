// Jobs: long work (a bulk resend) done in batches, its progress stored with each batch's work.
import { eq } from "drizzle-orm";
import type { Db } from "./db.ts";
import { countEvents, eventsAfter } from "./event-log.ts";
import { resendEvents, type EventStatements } from "./events.ts";
import { jobs } from "./schema.ts";
import type { EventFilter, JobRecord, ResendParams } from "../types.ts";

type JobRow = typeof jobs.$inferSelect;

function toRecord(row: JobRow): JobRecord {
  const { params, cursorCreatedAt, cursorId, ...rest } = row;
  return { ...rest, params: params as ResendParams };
}

/**
 * Records a resend job over the events matching `filter` now: events published later are not part of it
 * (their own deliveries are fresh anyway), so `total` is what there is to do.
 */
export function createResendJob(db: Db, input: { id: string; createdBy: string; filter: EventFilter; subscriptions?: string[]; now: number }): JobRecord {
  const filter: EventFilter = { ...input.filter, until: Math.min(input.filter.until ?? Infinity, input.now + 1) };
  const row = db
    .insert(jobs)
    .values({
      id: input.id,
      kind: "resend",
      state: "running",
      createdBy: input.createdBy,
      params: { filter, subscriptions: input.subscriptions } satisfies ResendParams,
      total: countEvents(db, filter),
      createdAt: input.now,
    })
    .returning()
    .get();
  return toRecord(row);
}

export function getJob(db: Db, id: string): JobRecord | null {
  const row = db.select().from(jobs).where(eq(jobs.id, id)).get();
  return row ? toRecord(row) : null;
}

export function runningJobIds(db: Db): string[] {
  return db
    .select({ id: jobs.id })
    .from(jobs)
    .where(eq(jobs.state, "running"))
    .all()
    .map((row) => row.id);
}

/**
 * Resends the next `batchSize` events of a running job and moves its cursor and counts on, in one
 * transaction: a crash between two steps loses or repeats nothing. The last step marks it done.
 */
export function resendJobStep(db: Db, statements: EventStatements, id: string, batchSize: number, now: number): JobRecord {
  return db.transaction(() => {
    const row = db.select().from(jobs).where(eq(jobs.id, id)).get();
    if (!row) throw new Error(`no job "${id}"`);
    if (row.state !== "running") return toRecord(row);
    const { filter, subscriptions } = row.params as ResendParams;
    const cursor = row.cursorId === null ? null : { createdAt: row.cursorCreatedAt!, id: row.cursorId };
    const batch = eventsAfter(db, filter, cursor, batchSize);
    const resent = batch.length > 0 ? resendEvents(db, statements, { ...filter, ids: batch.map((e) => e.id) }, subscriptions, now).length : 0;
    const last = batch.at(-1);
    const finished = batch.length < batchSize;
    const updated = db
      .update(jobs)
      .set({
        cursorCreatedAt: last?.createdAt ?? row.cursorCreatedAt,
        cursorId: last?.id ?? row.cursorId,
        done: row.done + batch.length,
        resent: row.resent + resent,
        ...(finished ? { state: "done" as const, finishedAt: now } : {}),
      })
      .where(eq(jobs.id, id))
      .returning()
      .get();
    return toRecord(updated);
  });
}

export function failJob(db: Db, id: string, error: string, now: number) {
  db.update(jobs).set({ state: "failed", error, finishedAt: now }).where(eq(jobs.id, id)).run();
}
