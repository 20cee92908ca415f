// The worker's side of the store: claim what is due, record what happened, say when the next thing is due.
import { isNotNull, min } from "drizzle-orm";
import type { Db } from "./db.ts";
import { deliveries } from "./schema.ts";
import { refreshEventStatuses, type EventStatements } from "./events.ts";
import type { AttemptOutcome, ClaimedDelivery, DeliveryBacklog, EventRecord, OrphanDelivery } from "../types.ts";
import type { DeliveryState, EventStatus } from "../../domain/vocabulary.ts";
import type { ClaimLimits } from "../port.ts";

type EventRow = { id: string; event_type: string; object_type: string; object: string; triggered_at: number; created_at: number; status: EventStatus };

function eventRecord(row: EventRow): EventRecord {
  return {
    id: row.id,
    eventType: row.event_type,
    objectType: row.object_type,
    object: JSON.parse(row.object),
    triggeredAt: row.triggered_at,
    createdAt: row.created_at,
    status: row.status,
  };
}

type ClaimedRow = { id: string; event_id: string; subscription_id: string; attempts: number; round_attempts: number; claim: number };

// Claiming moves due_at to the end of the lease: if this process dies mid-POST, the delivery is simply due
// again when the lease runs out, and any worker (this one after a restart) picks it up. The claim numbers
// the attempt (attempts + 1) and takes a new claim token. A resend left waiting on an attempt that never
// answered (the process died) is this very attempt: the flag goes, so this attempt's outcome decides.
const CLAIM = `UPDATE deliveries SET due_at = $leaseUntil, claim = claim + 1, attempts = attempts + 1, leased = 1, resend = 0, updated_at = $now`;
const CLAIMED = `RETURNING id, event_id, subscription_id, attempts, round_attempts, claim`;

export function prepareDeliveryStatements(db: Db) {
  return {
    claimForSubscription: db.$client.prepare<ClaimedRow, { leaseUntil: number; now: number; subscriptionId: string; limit: number }>(
      `${CLAIM} WHERE id IN (SELECT id FROM deliveries
                    WHERE subscription_id = $subscriptionId AND due_at IS NOT NULL AND due_at <= $now
                    ORDER BY due_at LIMIT $limit)
       ${CLAIMED}`,
    ),
    // An ordered subscription: the first unfinished delivery of each line (a skip scan over its keys in
    // deliveries_line_idx, then the head of each: a line costs one step however long it is), claimed if due.
    // Deliveries of no line (made before it was ordered) form one line of their own.
    claimHeadsForSubscription: db.$client.prepare<ClaimedRow, { leaseUntil: number; now: number; subscriptionId: string; limit: number }>(
      `${CLAIM} WHERE id IN (
         WITH RECURSIVE line(k) AS (
           SELECT (SELECT min(ordering_key) FROM deliveries WHERE subscription_id = $subscriptionId AND due_at IS NOT NULL)
           UNION ALL
           SELECT (SELECT min(ordering_key) FROM deliveries WHERE subscription_id = $subscriptionId AND due_at IS NOT NULL AND ordering_key > line.k)
           FROM line WHERE line.k IS NOT NULL
         ),
         head(id) AS (
           SELECT (SELECT id FROM deliveries WHERE subscription_id = $subscriptionId AND ordering_key = line.k AND due_at IS NOT NULL ORDER BY id LIMIT 1)
           FROM line WHERE line.k IS NOT NULL
           UNION ALL
           SELECT (SELECT id FROM deliveries WHERE subscription_id = $subscriptionId AND ordering_key IS NULL AND due_at IS NOT NULL ORDER BY id LIMIT 1)
         )
         SELECT d.id FROM head JOIN deliveries d ON d.id = head.id WHERE d.due_at <= $now ORDER BY d.due_at LIMIT $limit)
       ${CLAIMED}`,
    ),
    // A skip scan of the unfinished deliveries' index: one step per subscription that has any (its next id
    // above the last), then whether its earliest due time has come. Idle subscriptions are not in the index.
    dueSubscriptions: db.$client.prepare<{ subscription_id: string }, { now: number }>(
      `WITH RECURSIVE unfinished(subscription_id) AS (
         SELECT (SELECT min(subscription_id) FROM deliveries WHERE due_at IS NOT NULL)
         UNION ALL
         SELECT (SELECT min(d.subscription_id) FROM deliveries d WHERE d.due_at IS NOT NULL AND d.subscription_id > u.subscription_id)
         FROM unfinished u WHERE u.subscription_id IS NOT NULL
       )
       SELECT subscription_id FROM unfinished
       WHERE subscription_id IS NOT NULL
         AND (SELECT min(due_at) FROM deliveries WHERE subscription_id = unfinished.subscription_id AND due_at IS NOT NULL) <= $now`,
    ),
    claimOrphans: db.$client.prepare<ClaimedRow, { leaseUntil: number; now: number; known: string; limit: number }>(
      `${CLAIM} WHERE id IN (SELECT id FROM deliveries
                    WHERE due_at IS NOT NULL AND due_at <= $now
                      AND subscription_id NOT IN (SELECT value FROM json_each($known))
                    LIMIT $limit)
       ${CLAIMED}`,
    ),
    eventsByIds: db.$client.prepare<EventRow, { ids: string }>(
      `SELECT id, event_type, object_type, object, triggered_at, created_at, status
       FROM events WHERE id IN (SELECT value FROM json_each($ids))`,
    ),
    nextDueAt: db
      .select({ at: min(deliveries.dueAt) })
      .from(deliveries)
      .where(isNotNull(deliveries.dueAt))
      .prepare(),
    // A delivery purged meanwhile (retention) logs nothing: there is nothing left to attach the attempt to.
    insertAttempt: db.$client.prepare<never, Record<string, string | number | null>>(
      `INSERT INTO attempts (delivery_id, number, started_at, duration_ms, url, request_headers,
                             response_status, response_body, error_kind, error_message, retry_after, retry_after_ms, success)
       SELECT id, $number, $startedAt, $durationMs, $url, $requestHeaders,
              $responseStatus, $responseBody, $errorKind, $errorMessage, $retryAfter, $retryAfterMs, $success
       FROM deliveries WHERE id = $deliveryId`,
    ),
    // Only the latest claim decides. A resend that came while it was in flight wins over its outcome.
    decideDelivery: db.$client.prepare<never, { id: string; claim: number; state: string; roundAttempts: number; dueAt: number | null; now: number }>(
      `UPDATE deliveries SET
         state = CASE WHEN resend THEN 'pending' ELSE $state END,
         round_attempts = CASE WHEN resend THEN 0 ELSE $roundAttempts END,
         due_at = CASE WHEN resend THEN $now ELSE $dueAt END,
         leased = 0, resend = 0, updated_at = $now
       WHERE id = $id AND claim = $claim`,
    ),
    backlog: db.$client.prepare<{ state: DeliveryState; unfinished: number; due: number }, { now: number }>(
      "SELECT state, count(*) AS unfinished, sum(due_at <= $now) AS due FROM deliveries WHERE due_at IS NOT NULL GROUP BY state",
    ),
  };
}
export type DeliveryStatements = ReturnType<typeof prepareDeliveryStatements>;

function withEvents(statements: DeliveryStatements, rows: ClaimedRow[]): ClaimedDelivery[] {
  if (rows.length === 0) return [];
  const eventRows = statements.eventsByIds.all({ ids: JSON.stringify([...new Set(rows.map((r) => r.event_id))]) });
  const byId = new Map(eventRows.map((e): [string, EventRecord] => [e.id, eventRecord(e)]));
  return rows.map((row) => ({
    id: row.id,
    subscriptionId: row.subscription_id,
    number: row.attempts,
    roundAttempts: row.round_attempts,
    claim: row.claim,
    event: byId.get(row.event_id)!,
  }));
}

/**
 * Claims due deliveries, at most `limits[subscription].count` of each subscription (in the map's order), each
 * for its own lease, and at most `total` in all, with their events; of an `ordered` one, only the heads of its lines.
 */
export function claimDue(db: Db, statements: DeliveryStatements, limits: ClaimLimits, total: number, now: number): ClaimedDelivery[] {
  return db.transaction(() => {
    const rows: ClaimedRow[] = [];
    for (const [subscriptionId, { count, leaseMs, ordered }] of limits) {
      const room = Math.min(count, total - rows.length);
      const statement = ordered ? statements.claimHeadsForSubscription : statements.claimForSubscription;
      if (room > 0) rows.push(...statement.all({ leaseUntil: now + leaseMs, now, subscriptionId, limit: room }));
    }
    return withEvents(statements, rows);
  });
}

/** The ids of the subscriptions with a delivery due at `now`. */
export function dueSubscriptions(statements: DeliveryStatements, now: number): string[] {
  return statements.dueSubscriptions.all({ now }).map((row) => row.subscription_id);
}

/** Claims due deliveries whose subscription is no longer configured, so the worker can fail them with a reason. */
export function claimOrphans(db: Db, statements: DeliveryStatements, known: string[], now: number, limit: number): OrphanDelivery[] {
  return db.transaction(() =>
    statements.claimOrphans.all({ leaseUntil: now + 60_000, now, known: JSON.stringify(known), limit }).map((row) => ({
      id: row.id,
      eventId: row.event_id,
      subscriptionId: row.subscription_id,
      number: row.attempts,
      claim: row.claim,
    })),
  );
}

/**
 * Logs a batch of finished attempts and moves their deliveries and events on, in one transaction. Every
 * attempt is logged; only one whose claim is still the delivery's latest decides what happens next.
 */
export function recordAttempts(db: Db, statements: DeliveryStatements, eventStatements: EventStatements, outcomes: AttemptOutcome[], now: number) {
  db.transaction(() => {
    for (const outcome of outcomes) {
      statements.insertAttempt.run({
        deliveryId: outcome.deliveryId,
        number: outcome.number,
        startedAt: outcome.startedAt,
        durationMs: outcome.durationMs,
        url: outcome.url,
        requestHeaders: JSON.stringify(outcome.requestHeaders),
        responseStatus: outcome.responseStatus,
        responseBody: outcome.responseBody,
        errorKind: outcome.errorKind,
        errorMessage: outcome.errorMessage,
        retryAfter: outcome.retryAfter,
        retryAfterMs: outcome.retryAfterMs,
        success: outcome.success ? 1 : 0,
      });
      statements.decideDelivery.run({
        id: outcome.deliveryId,
        claim: outcome.claim,
        state: outcome.nextState,
        roundAttempts: outcome.roundAttempts,
        dueAt: outcome.nextDueAt,
        now,
      });
    }
    refreshEventStatuses(
      eventStatements,
      outcomes.map((o) => o.eventId),
    );
  });
}

/** The earliest due time of any unfinished delivery (a claimed one's is its lease end), or null. */
export function nextDueAt(statements: DeliveryStatements): number | null {
  return statements.nextDueAt.get()?.at ?? null;
}

/** How many deliveries are unfinished in each state, and how many of those are due at `now` (for metrics). */
/**
 * Makes the waiting deliveries (not in flight) of these subscriptions due now: they can no longer be sent (the
 * subscription was disabled or removed), so the worker fails them at once instead of at their next retry.
 */
export function dueNow(db: Db, subscriptionIds: string[], now: number) {
  db.$client
    .query<never, { now: number; ids: string }>(`UPDATE deliveries SET due_at = $now WHERE due_at > $now AND leased = 0 AND subscription_id IN (SELECT value FROM json_each($ids))`)
    .run({ now, ids: JSON.stringify(subscriptionIds) });
}

export function deliveryBacklog(statements: DeliveryStatements, now: number): DeliveryBacklog {
  return statements.backlog.all({ now });
}
