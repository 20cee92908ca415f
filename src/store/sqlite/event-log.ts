// The event log's reads: which events a filter matches, a page of them newest first, how many in all, one in
// full. Built to stay fast over millions of events: a page filtered on one subscription walks that
// subscription's deliveries in order, and counts come from per-hour totals (counts.ts) rather than from rows.
import { and, asc, count, desc, eq, getTableColumns, gte, inArray, lt, ne, sql, type SQL } from "drizzle-orm";
import { countedSubscriptions, eachSetField } from "../../domain/filter.ts";
import { countFromBuckets } from "./counts.ts";
import { searchCondition } from "./search.ts";
import type { Db } from "./db.ts";
import { attempts, deliveries, events } from "./schema.ts";
import type { EventDetail, EventFilter, EventRecord, EventWithDeliveries, Page } from "../types.ts";
import type { DeliveryState, EventStatus } from "../../domain/vocabulary.ts";
import { deliveryStateFor, eventStatus, STATUS_PRECEDENCE, STATUS_WHEN_SETTLED } from "../../domain/status.ts";

export function filterCondition(filter: EventFilter): SQL | undefined {
  const counted = countedSubscriptions(filter);
  const conditions = eachSetField<SQL | undefined>(filter, {
    eventType: (type) => eq(events.eventType, type),
    status: (status) => statusCondition(status, counted),
    subscription: () => undefined, // through the counted deliveries, below
    since: (since) => gte(events.createdAt, since),
    until: (until) => lt(events.createdAt, until),
    search: (query) => searchCondition(events.id, query),
  });
  return and(...conditions, filter.ids !== undefined ? inArray(events.id, filter.ids) : undefined, counted !== undefined ? hasDeliveryTo(counted) : undefined);
}

/**
 * An event's few deliveries, found by its id. Named, because without statistics SQLite may prefer an index
 * that matches more columns (subscription, state) and then reads every delivery of a subscription per event.
 */
const deliveriesOfEvent = sql.raw("deliveries INDEXED BY deliveries_event_idx");

/**
 * The stored status answers for whole events. A filter about some deliveries (a subscription, a scoped key)
 * judges the status the same way (STATUS_PRECEDENCE), in SQL, on just those.
 */
function statusCondition(status: EventStatus, visible: string[] | undefined): SQL {
  if (visible === undefined) return eq(events.status, status);
  const has = (state: DeliveryState) =>
    sql`EXISTS (SELECT 1 FROM ${deliveriesOfEvent} WHERE ${deliveries.eventId} = ${events.id} AND ${deliveries.state} = ${state} AND ${inArray(deliveries.subscriptionId, visible)})`;
  const cases = STATUS_PRECEDENCE.map(([state, result]) => sql`WHEN ${has(state)} THEN ${result}`);
  return sql`(CASE ${sql.join(cases, sql` `)} ELSE ${STATUS_WHEN_SETTLED} END) = ${status}`;
}

/** An event as a scoped key sees it: only its visible deliveries, and the status they alone give. */
function scoped<E extends EventRecord & { deliveries: { state: DeliveryState }[] }>(event: E, visible: string[] | undefined): E {
  return visible === undefined ? event : { ...event, status: eventStatus(event.deliveries.map((d) => d.state)) };
}

/** Which deliveries of an event a key may see (all without a scope). */
function visibleDeliveries(visible: string[] | undefined): SQL | undefined {
  return visible ? inArray(deliveries.subscriptionId, visible) : undefined;
}

function hasDeliveryTo(subscriptionIds: string[]): SQL {
  return sql`EXISTS (SELECT 1 FROM ${deliveriesOfEvent} WHERE ${deliveries.eventId} = ${events.id} AND ${inArray(deliveries.subscriptionId, subscriptionIds)})`;
}

/**
 * Events judged on their one delivery to `subscriptionId`, newest first, found through that subscription's
 * deliveries (a delivery's created_at is its event's): the status over one delivery is its state's.
 */
function pageBySubscription(db: Db, filter: EventFilter, subscriptionId: string, offset: number, limit: number): EventRecord[] {
  const conditions = eachSetField<SQL | undefined>(filter, {
    eventType: (type) => eq(events.eventType, type),
    status: (status) => {
      const state = deliveryStateFor(status);
      // Repeats the partial index's own condition, which SQLite must see to use that index.
      return and(eq(deliveries.state, state), state !== "succeeded" ? ne(deliveries.state, "succeeded") : undefined);
    },
    subscription: () => undefined, // the subscription walked, below
    since: (since) => gte(deliveries.createdAt, since),
    until: (until) => lt(deliveries.createdAt, until),
    search: (query) => searchCondition(deliveries.eventId, query),
  });
  conditions.push(eq(deliveries.subscriptionId, subscriptionId), filter.ids !== undefined ? inArray(deliveries.eventId, filter.ids) : undefined);
  return db
    .select(getTableColumns(events))
    .from(deliveries)
    .innerJoin(events, eq(events.id, deliveries.eventId))
    .where(and(...conditions))
    .orderBy(desc(deliveries.createdAt), desc(deliveries.eventId))
    .limit(limit)
    .offset(offset)
    .all();
}

function page(db: Db, filter: EventFilter, offset: number, limit: number): EventRecord[] {
  const counted = countedSubscriptions(filter);
  if (counted?.length === 1) return pageBySubscription(db, filter, counted[0]!, offset, limit);
  return db.select().from(events).where(filterCondition(filter)).orderBy(desc(events.createdAt), desc(events.id)).limit(limit).offset(offset).all();
}

/**
 * Newest first; ties on created_at are broken by id, so the order is total and repeatable. Like GitHub's
 * pages, an event published while a client pages through shifts later pages by one.
 */
export function listEvents(db: Db, filter: EventFilter, offset: number, limit: number): Page<EventWithDeliveries> {
  const rows = page(db, filter, offset, limit);
  const total = countEvents(db, filter);
  const scope = visibleDeliveries(filter.visibleSubscriptions);
  const ofPage = rows.length
    ? db
        .select()
        .from(deliveries)
        .where(
          and(
            inArray(
              deliveries.eventId,
              rows.map((e) => e.id),
            ),
            scope,
          ),
        )
        .orderBy(asc(deliveries.subscriptionId))
        .all()
    : [];
  const items = rows.map((event) => scoped({ ...event, deliveries: ofPage.filter((d) => d.eventId === event.id) }, filter.visibleSubscriptions));
  return { items, total };
}

export function getEvent(db: Db, id: string, visibleSubscriptions?: string[]): EventDetail | null {
  const event = db.select().from(events).where(eq(events.id, id)).get();
  if (!event) return null;
  const rows = db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.eventId, id), visibleDeliveries(visibleSubscriptions)))
    .orderBy(asc(deliveries.subscriptionId))
    .all();
  if (visibleSubscriptions && rows.length === 0) return null;
  const log = rows.length
    ? db
        .select()
        .from(attempts)
        .where(
          inArray(
            attempts.deliveryId,
            rows.map((d) => d.id),
          ),
        )
        .orderBy(asc(attempts.number))
        .all()
    : [];
  return scoped({ ...event, deliveries: rows.map((d) => ({ ...d, attemptLog: log.filter((a) => a.deliveryId === d.id) })) }, visibleSubscriptions);
}

/** Counts the matching events one by one: exact for any filter, and quick over a small range. */
export function countRows(db: Db, filter: EventFilter): number {
  return db.select({ n: count() }).from(events).where(filterCondition(filter)).get()?.n ?? 0;
}

/** How many events match: from the per-hour totals where they can answer, row by row otherwise. */
export function countEvents(db: Db, filter: EventFilter): number {
  return countFromBuckets(db, filter, countedSubscriptions(filter), (range) => countRows(db, range)) ?? countRows(db, filter);
}

/** Where a walk through events in (created_at, id) order stands: the last event handled. */
export interface EventCursor {
  createdAt: number;
  id: string;
}

/** The next `limit` events matching `filter` after `cursor`, oldest first: a job's next batch. */
export function eventsAfter(db: Db, filter: EventFilter, cursor: EventCursor | null, limit: number): EventCursor[] {
  const after = cursor ? sql`(${events.createdAt}, ${events.id}) > (${cursor.createdAt}, ${cursor.id})` : undefined;
  return db
    .select({ createdAt: events.createdAt, id: events.id })
    .from(events)
    .where(and(filterCondition(filter), after))
    .orderBy(asc(events.createdAt), asc(events.id))
    .limit(limit)
    .all();
}
