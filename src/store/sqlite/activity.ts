// One subscription's recent activity for the subscriptions view: its queue, its deliveries per minute over the
// last hour, and its last failure. Each question is answered from an index on (subscription, ...), so its cost
// follows that subscription's own recent deliveries, not the whole log.
import type { Db } from "./db.ts";
import type { SubscriptionActivity } from "../types.ts";

const MINUTE_MS = 60_000;
export const ACTIVITY_MINUTES = 60;

export function prepareActivityStatements(db: Db) {
  return {
    // The unfinished deliveries' partial index (deliveries_subscription_due_idx).
    queue: db.$client.prepare<{ depth: number; oldest_due: number | null }, { subscriptionId: string }>(
      `SELECT count(*) AS depth, min(due_at) AS oldest_due FROM deliveries WHERE subscription_id = $subscriptionId AND due_at IS NOT NULL`,
    ),
    // Deliveries are made with their event, so created_at says when the subscription was handed one.
    perMinute: db.$client.prepare<{ minute: number; n: number }, { subscriptionId: string; since: number; until: number }>(
      `SELECT (created_at - $since) / ${MINUTE_MS} AS minute, count(*) AS n FROM deliveries INDEXED BY deliveries_subscription_created_idx
       WHERE subscription_id = $subscriptionId AND created_at >= $since AND created_at < $until GROUP BY 1`,
    ),
    // The newest delivery still failing (failed, or waiting for a retry), by the index of those that did not succeed.
    newestFailing: db.$client.prepare<{ id: string; event_id: string }, { subscriptionId: string; state: string }>(
      `SELECT id, event_id FROM deliveries INDEXED BY deliveries_subscription_state_idx
       WHERE subscription_id = $subscriptionId AND state = $state AND state <> 'succeeded' ORDER BY created_at DESC LIMIT 1`,
    ),
    lastAttempt: db.$client.prepare<{ started_at: number; response_status: number | null; error_kind: string | null; error_message: string | null }, { deliveryId: string }>(
      `SELECT started_at, response_status, error_kind, error_message FROM attempts WHERE delivery_id = $deliveryId ORDER BY number DESC LIMIT 1`,
    ),
  };
}
export type ActivityStatements = ReturnType<typeof prepareActivityStatements>;

export function subscriptionActivity(statements: ActivityStatements, subscriptionId: string, now: number): SubscriptionActivity {
  const queue = statements.queue.get({ subscriptionId })!;
  const since = now - ACTIVITY_MINUTES * MINUTE_MS;
  const perMinute = new Array<number>(ACTIVITY_MINUTES).fill(0);
  for (const { minute, n } of statements.perMinute.all({ subscriptionId, since, until: now })) perMinute[minute] = n;
  // The later of the two: a delivery waiting for a retry may have failed after the newest one that failed for good.
  let lastFailure: SubscriptionActivity["lastFailure"] = null;
  for (const state of ["failed", "retrying"]) {
    const delivery = statements.newestFailing.get({ subscriptionId, state });
    const attempt = delivery && statements.lastAttempt.get({ deliveryId: delivery.id });
    if (!delivery || !attempt || (lastFailure && lastFailure.at >= attempt.started_at)) continue;
    lastFailure = {
      at: attempt.started_at,
      deliveryId: delivery.id,
      eventId: delivery.event_id,
      responseStatus: attempt.response_status,
      errorKind: attempt.error_kind,
      errorMessage: attempt.error_message,
    };
  }
  return { unfinished: queue.depth, oldestDueAt: queue.oldest_due, perMinute, lastFailure };
}
