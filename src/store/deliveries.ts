// The worker's side of the store: claim what is due, record what happened, say when the next thing is due.
import { and, isNotNull, lte, min, notInArray, sql } from "drizzle-orm";
import type { Db } from "./db.ts";
import { deliveries, events } from "./schema.ts";
import { refreshEventStatus, type EventStatements } from "./events.ts";
import type { AttemptOutcome, ClaimedDelivery, OrphanDelivery } from "./types.ts";

export function prepareDeliveryStatements(db: Db) {
  return {
    // Claiming moves due_at to the end of the lease: if this process dies mid-POST, the delivery is simply
    // due again when the lease runs out, and any worker (this one after a restart) picks it up.
    claimForSubscription: db.$client.prepare<
      { id: string; event_id: string; attempts: number; round_attempts: number; claim: number },
      { leaseUntil: number; now: number; subscriptionId: string; limit: number }
    >(
      `UPDATE deliveries SET due_at = $leaseUntil, claim = claim + 1, leased = 1, updated_at = $now
       WHERE id IN (SELECT id FROM deliveries
                    WHERE subscription_id = $subscriptionId AND due_at IS NOT NULL AND due_at <= $now
                    ORDER BY due_at LIMIT $limit)
       RETURNING id, event_id, attempts, round_attempts, claim`,
    ),
    eventsByIds: db
      .select()
      .from(events)
      .where(sql`${events.id} IN (SELECT value FROM json_each(${sql.placeholder("ids")}))`)
      .prepare(),
    nextDueAt: db.select({ at: min(deliveries.dueAt) }).from(deliveries).where(isNotNull(deliveries.dueAt)).prepare(),
    // Numbered from the delivery's own count at the moment of writing; a delivery purged meanwhile logs nothing.
    insertAttempt: db.$client.prepare<never, Record<string, string | number | null>>(
      `INSERT INTO attempts (delivery_id, number, started_at, duration_ms, url, request_headers,
                             response_status, response_body, error_kind, error_message, success)
       SELECT id, attempts + 1, $startedAt, $durationMs, $url, $requestHeaders,
              $responseStatus, $responseBody, $errorKind, $errorMessage, $success
       FROM deliveries WHERE id = $deliveryId`,
    ),
    countAttempt: db.$client.prepare<never, { id: string; now: number }>(
      `UPDATE deliveries SET attempts = attempts + 1, updated_at = $now WHERE id = $id`,
    ),
    decideDelivery: db.$client.prepare<never, { id: string; claim: number; state: string; roundAttempts: number; dueAt: number | null }>(
      `UPDATE deliveries SET state = $state, round_attempts = $roundAttempts, due_at = $dueAt, leased = 0
       WHERE id = $id AND claim = $claim`,
    ),
  };
}
export type DeliveryStatements = ReturnType<typeof prepareDeliveryStatements>;

/**
 * Claims due deliveries, at most `limits[subscription]` of each subscription (in the map's order) and at most
 * `total` in all, with their events.
 */
export function claimDue(
  db: Db,
  statements: DeliveryStatements,
  limits: Map<string, number>,
  total: number,
  now: number,
  leaseMs: number,
): ClaimedDelivery[] {
  return db.transaction(() => {
    const claimed: (Omit<ClaimedDelivery, "event"> & { eventId: string })[] = [];
    for (const [subscriptionId, limit] of limits) {
      const room = Math.min(limit, total - claimed.length);
      if (room <= 0) continue;
      for (const row of statements.claimForSubscription.all({ leaseUntil: now + leaseMs, now, subscriptionId, limit: room })) {
        claimed.push({ id: row.id, subscriptionId, attempts: row.attempts, roundAttempts: row.round_attempts, claim: row.claim, eventId: row.event_id });
      }
    }
    if (claimed.length === 0) return [];
    const eventRows = statements.eventsByIds.all({ ids: JSON.stringify([...new Set(claimed.map((c) => c.eventId))]) });
    const byId = new Map(eventRows.map((e) => [e.id, e]));
    return claimed.map(({ eventId, ...delivery }) => ({ ...delivery, event: byId.get(eventId)! }));
  });
}

/**
 * Logs a batch of finished attempts and moves their deliveries and events on, in one transaction. Every
 * attempt is logged; only one whose claim is still the delivery's latest decides what happens next.
 */
export function recordAttempts(
  db: Db,
  statements: DeliveryStatements,
  eventStatements: EventStatements,
  outcomes: AttemptOutcome[],
  now: number,
) {
  db.transaction(() => {
    for (const outcome of outcomes) {
      statements.insertAttempt.run({
        deliveryId: outcome.deliveryId,
        startedAt: outcome.startedAt,
        durationMs: outcome.durationMs,
        url: outcome.url,
        requestHeaders: JSON.stringify(outcome.requestHeaders),
        responseStatus: outcome.responseStatus,
        responseBody: outcome.responseBody,
        errorKind: outcome.errorKind,
        errorMessage: outcome.errorMessage,
        success: outcome.success ? 1 : 0,
      });
      statements.countAttempt.run({ id: outcome.deliveryId, now });
      statements.decideDelivery.run({
        id: outcome.deliveryId,
        claim: outcome.claim,
        state: outcome.nextState,
        roundAttempts: outcome.roundAttempts,
        dueAt: outcome.nextDueAt,
      });
    }
    for (const eventId of new Set(outcomes.map((o) => o.eventId))) refreshEventStatus(eventStatements, eventId);
  });
}

/** The earliest due time of any unfinished delivery (a claimed one's is its lease end), or null. */
export function nextDueAt(statements: DeliveryStatements): number | null {
  return statements.nextDueAt.get()?.at ?? null;
}

/** How many deliveries are unfinished, and how many of those are due at `now` (for metrics). */
export function deliveryBacklog(db: Db, now: number): { unfinished: number; due: number } {
  const row = db.$client
    .query<{ unfinished: number; due: number | null }, { now: number }>(
      "SELECT count(*) AS unfinished, sum(due_at <= $now) AS due FROM deliveries WHERE due_at IS NOT NULL",
    )
    .get({ now });
  return { unfinished: row?.unfinished ?? 0, due: row?.due ?? 0 };
}

/** Unfinished deliveries whose subscription is no longer configured: the worker fails them with a reason. */
export function dueOrphans(db: Db, knownSubscriptions: string[], now: number, limit: number): OrphanDelivery[] {
  return db
    .select({ id: deliveries.id, eventId: deliveries.eventId, subscriptionId: deliveries.subscriptionId, claim: deliveries.claim })
    .from(deliveries)
    .where(and(isNotNull(deliveries.dueAt), lte(deliveries.dueAt, now), notInArray(deliveries.subscriptionId, knownSubscriptions)))
    .limit(limit)
    .all();
}
