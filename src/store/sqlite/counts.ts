// X-Total-Count over millions of events, exactly and quickly: whole hours are summed from the per-hour totals
// that triggers keep (event_counts, delivery_counts in schema.ts), and only the partial hours at the ends of
// a since/until range are counted row by row.
import { and, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { eachSetField } from "../../domain/filter.ts";
import type { Db } from "./db.ts";
import { COUNT_BUCKET_MS, deliveryCounts, eventCounts } from "./schema.ts";
import type { EventFilter } from "../types.ts";
import { deliveryStateFor } from "../../domain/status.ts";

/** Hours [first, end) of the totals, either end open. */
type Hours = { first: number | undefined; end: number | undefined };

function sumOfEventCounts(db: Db, filter: EventFilter, hours: Hours): number {
  const t = eventCounts;
  const conditions = eachSetField<SQL | undefined>(filter, {
    eventType: (type) => eq(t.eventType, type),
    status: (status) => eq(t.status, status),
    subscription: () => undefined, // counted on deliveries instead (sumOfDeliveryCounts)
    since: () => undefined, // the whole hours, below
    until: () => undefined,
    search: () => undefined, // never here: a search is counted row by row (countFromBuckets)
  });
  return sum(db, t, and(...conditions, ...hourRange(t.hour, hours)));
}

/** Over one delivery, an event's status is that delivery's state's: count those deliveries. */
function sumOfDeliveryCounts(db: Db, filter: EventFilter, subscriptionId: string, hours: Hours): number {
  const t = deliveryCounts;
  const conditions = eachSetField<SQL | undefined>(filter, {
    eventType: (type) => eq(t.eventType, type),
    status: (status) => eq(t.state, deliveryStateFor(status)),
    subscription: () => undefined, // the one subscription counted, below
    since: () => undefined, // the whole hours, below
    until: () => undefined,
    search: () => undefined, // never here: a search is counted row by row (countFromBuckets)
  });
  return sum(db, t, and(eq(t.subscriptionId, subscriptionId), ...conditions, ...hourRange(t.hour, hours)));
}

const hourRange = (hour: SQLiteColumn, hours: Hours) => [hours.first !== undefined ? gte(hour, hours.first) : undefined, hours.end !== undefined ? lt(hour, hours.end) : undefined];

function sum(db: Db, table: typeof eventCounts | typeof deliveryCounts, where: SQL | undefined): number {
  return db
    .select({ n: sql<number>`coalesce(sum(${table.n}), 0)` })
    .from(table)
    .where(where)
    .get()!.n;
}

/**
 * The number of events matching `filter`, judged on the deliveries to `counted` (see countedSubscriptions),
 * with `countRows` counting a short range row by row. Null when the totals cannot answer: for a list of ids or
 * a search, or for a key scoped to several subscriptions (an event may go to more than one of them, and its status is
 * judged over all of those at once), the caller counts rows.
 */
export function countFromBuckets(db: Db, filter: EventFilter, counted: string[] | undefined, countRows: (range: EventFilter) => number): number | null {
  if (filter.ids !== undefined || filter.search !== undefined || (counted !== undefined && counted.length > 1)) return null;
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
