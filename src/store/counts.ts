// X-Total-Count over millions of events, exactly and quickly: whole hours are summed from the per-hour totals
// that triggers keep (event_counts, delivery_counts in schema.ts), and only the partial hours at the ends of
// a since/until range are counted row by row.
import { and, eq, gte, lt, sql } from "drizzle-orm";
import { deliveryStateFor } from "../delivery/status.ts";
import type { Db } from "./db.ts";
import { COUNT_BUCKET_MS, deliveryCounts, eventCounts } from "./schema.ts";
import type { EventFilter } from "./types.ts";

/** Hours [first, end) of the totals, either end open. */
type Hours = { first: number | undefined; end: number | undefined };

function sumOfEventCounts(db: Db, filter: EventFilter, hours: Hours): number {
  const t = eventCounts;
  const where = and(
    filter.eventType !== undefined ? eq(t.eventType, filter.eventType) : undefined,
    filter.status !== undefined ? eq(t.status, filter.status) : undefined,
    hours.first !== undefined ? gte(t.hour, hours.first) : undefined,
    hours.end !== undefined ? lt(t.hour, hours.end) : undefined,
  );
  return db
    .select({ n: sql<number>`coalesce(sum(${t.n}), 0)` })
    .from(t)
    .where(where)
    .get()!.n;
}

/** Over one delivery, an event's status is that delivery's state's: count those deliveries. */
function sumOfDeliveryCounts(db: Db, filter: EventFilter, subscriptionId: string, hours: Hours): number {
  const t = deliveryCounts;
  const where = and(
    eq(t.subscriptionId, subscriptionId),
    filter.status !== undefined ? eq(t.state, deliveryStateFor(filter.status)) : undefined,
    filter.eventType !== undefined ? eq(t.eventType, filter.eventType) : undefined,
    hours.first !== undefined ? gte(t.hour, hours.first) : undefined,
    hours.end !== undefined ? lt(t.hour, hours.end) : undefined,
  );
  return db
    .select({ n: sql<number>`coalesce(sum(${t.n}), 0)` })
    .from(t)
    .where(where)
    .get()!.n;
}

/**
 * The number of events matching `filter`, judged on the deliveries to `counted` (see countedSubscriptions),
 * with `countRows` counting a short range row by row. Null when the totals cannot answer: for a list of ids,
 * or for a key scoped to several subscriptions (an event may go to more than one of them, and its status is
 * judged over all of those at once), the caller counts rows.
 */
export function countFromBuckets(db: Db, filter: EventFilter, counted: string[] | undefined, countRows: (range: EventFilter) => number): number | null {
  if (filter.ids !== undefined || (counted !== undefined && counted.length > 1)) return null;
  if (counted?.length === 0) return 0;
  const hours: Hours = {
    first: filter.since === undefined ? undefined : Math.ceil(filter.since / COUNT_BUCKET_MS),
    end: filter.until === undefined ? undefined : Math.floor(filter.until / COUNT_BUCKET_MS),
  };
  // Less than two hours apart: no whole hour may lie between, and the rows are few anyway.
  if (hours.first !== undefined && hours.end !== undefined && hours.first >= hours.end) return countRows(filter);
  let total = counted === undefined ? sumOfEventCounts(db, filter, hours) : sumOfDeliveryCounts(db, filter, counted[0]!, hours);
  if (hours.first !== undefined && filter.since! < hours.first * COUNT_BUCKET_MS) total += countRows({ ...filter, until: hours.first * COUNT_BUCKET_MS });
  if (hours.end !== undefined && hours.end * COUNT_BUCKET_MS < filter.until!) total += countRows({ ...filter, since: hours.end * COUNT_BUCKET_MS });
  return total;
}
