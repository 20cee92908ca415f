// Publishing, listing, reading and resending events.
import { and, asc, count, desc, eq, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import { deliveryStateFor, eventStatus, STATUS_PRECEDENCE, STATUS_WHEN_SETTLED } from "../delivery/status.ts";
import type { Db } from "./db.ts";
import { attempts, deliveries, events, type DeliveryState, type EventStatus } from "./schema.ts";
import type { DeliveryRecord, EventDetail, EventFilter, EventRecord, EventWithDeliveries, NewEvent, Page, PublishOutcome } from "./types.ts";

/** Time-ordered ids with a prefix saying what they name: `evt_…`, `dlv_…`, `sub_…`, `key_…`. */
export function newId(prefix: "evt" | "dlv" | "sub" | "key"): string {
  return `${prefix}_${Bun.randomUUIDv7().replaceAll("-", "")}`;
}

export function prepareEventStatements(db: Db) {
  const placeholders = <T extends string>(...names: T[]) =>
    Object.fromEntries(names.map((name) => [name, sql.placeholder(name)])) as Record<T, never>;
  return {
    eventById: db.select().from(events).where(eq(events.id, sql.placeholder("id"))).prepare(),
    deliveriesOfEvent: db.select().from(deliveries).where(eq(deliveries.eventId, sql.placeholder("eventId"))).orderBy(asc(deliveries.subscriptionId)).prepare(),
    insertEvent: db.insert(events).values(placeholders("id", "eventType", "objectType", "object", "triggeredAt", "createdAt", "status")).prepare(),
    insertDelivery: db
      .insert(deliveries)
      .values(placeholders("id", "eventId", "subscriptionId", "state", "attempts", "roundAttempts", "dueAt", "createdAt", "updatedAt"))
      .prepare(),
    statesOfEvent: db
      .select({ state: deliveries.state })
      .from(deliveries)
      .where(eq(deliveries.eventId, sql.placeholder("eventId")))
      .prepare(),
    setEventStatus: db
      .update(events)
      .set({ status: sql.placeholder("status") as unknown as EventRecord["status"] })
      .where(eq(events.id, sql.placeholder("id")))
      .prepare(),
  };
}
export type EventStatements = ReturnType<typeof prepareEventStatements>;

/** Re-derives an event's status from its deliveries; call inside the transaction that changed them. */
export function refreshEventStatus(statements: EventStatements, eventId: string) {
  const states = statements.statesOfEvent.all({ eventId }).map((row) => row.state);
  statements.setEventStatus.run({ id: eventId, status: eventStatus(states) });
}

/** Writes a batch of events with their deliveries in one transaction, so all are durable before any answer. */
export function publishEvents(db: Db, statements: EventStatements, batch: NewEvent[], now: number): PublishOutcome[] {
  return db.transaction(() =>
    batch.map((input): PublishOutcome => {
      const existing = statements.eventById.get({ id: input.id });
      if (existing) {
        const stored = { ...existing, deliveries: statements.deliveriesOfEvent.all({ eventId: existing.id }) };
        return { kind: isSamePublication(existing, input) ? "existing" : "conflict", event: stored };
      }
      const created: DeliveryRecord[] = input.subscriptionIds.map((subscriptionId) => ({
        id: newId("dlv"),
        eventId: input.id,
        subscriptionId,
        state: "pending",
        attempts: 0,
        roundAttempts: 0,
        dueAt: now,
        claim: 0,
        leased: false,
        resend: false,
        createdAt: now,
        updatedAt: now,
      }));
      const event: EventRecord = {
        id: input.id,
        eventType: input.eventType,
        objectType: input.objectType,
        object: input.object,
        triggeredAt: input.triggeredAt ?? now,
        createdAt: now,
        status: eventStatus(created.map((d) => d.state)),
      };
      statements.insertEvent.run({ ...event });
      for (const delivery of created) statements.insertDelivery.run({ ...delivery });
      return { kind: "created", event: { ...event, deliveries: created } };
    }),
  );
}

/** A repeated publish is the same if it names the same type and object (key order aside) and time, if given. */
function isSamePublication(existing: EventRecord, input: NewEvent): boolean {
  return (
    existing.eventType === input.eventType &&
    canonicalJson(existing.object) === canonicalJson(input.object) &&
    (input.triggeredAt === null || input.triggeredAt === existing.triggeredAt)
  );
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * The deliveries a filter is about: those to `subscription` if given, within what the key may see. The
 * event must have one of them, its status is judged on them, and a resend resends only them.
 */
function countedSubscriptions(filter: EventFilter): string[] | undefined {
  const visible = filter.visibleSubscriptions;
  if (filter.subscription === undefined) return visible;
  return visible && !visible.includes(filter.subscription) ? [] : [filter.subscription];
}

function filterCondition(filter: EventFilter): SQL | undefined {
  const counted = countedSubscriptions(filter);
  const conditions: (SQL | undefined)[] = [
    filter.eventType !== undefined ? eq(events.eventType, filter.eventType) : undefined,
    filter.status !== undefined ? statusCondition(filter.status, counted) : undefined,
    filter.since !== undefined ? gte(events.createdAt, filter.since) : undefined,
    filter.until !== undefined ? lt(events.createdAt, filter.until) : undefined,
    filter.ids !== undefined ? inArray(events.id, filter.ids) : undefined,
    counted !== undefined ? hasDeliveryTo(counted) : undefined,
  ];
  return and(...conditions);
}

/**
 * The stored status answers for whole events. A filter about some deliveries (a subscription, a scoped key)
 * judges the status the same way (STATUS_PRECEDENCE), in SQL, on just those.
 */
function statusCondition(status: EventStatus, visible: string[] | undefined): SQL {
  if (visible === undefined) return eq(events.status, status);
  const has = (state: DeliveryState) =>
    sql`EXISTS (SELECT 1 FROM ${deliveries} WHERE ${deliveries.eventId} = ${events.id} AND ${deliveries.state} = ${state} AND ${inArray(deliveries.subscriptionId, visible)})`;
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
  return sql`EXISTS (SELECT 1 FROM ${deliveries} WHERE ${deliveries.eventId} = ${events.id} AND ${inArray(deliveries.subscriptionId, subscriptionIds)})`;
}

/**
 * Newest first; ties on created_at are broken by id, so the order is total and repeatable. Like GitHub's
 * pages, an event published while a client pages through shifts later pages by one.
 */
export function listEvents(db: Db, filter: EventFilter, offset: number, limit: number): Page<EventWithDeliveries> {
  const rows = db.select().from(events).where(filterCondition(filter)).orderBy(desc(events.createdAt), desc(events.id)).limit(limit).offset(offset).all();
  const total = countEvents(db, filter);
  const scope = visibleDeliveries(filter.visibleSubscriptions);
  const ofPage = rows.length
    ? db.select().from(deliveries).where(and(inArray(deliveries.eventId, rows.map((e) => e.id)), scope)).orderBy(asc(deliveries.subscriptionId)).all()
    : [];
  const items = rows.map((event) => scoped({ ...event, deliveries: ofPage.filter((d) => d.eventId === event.id) }, filter.visibleSubscriptions));
  return { items, total };
}

export function getEvent(db: Db, id: string, visibleSubscriptions?: string[]): EventDetail | null {
  const event = db.select().from(events).where(eq(events.id, id)).get();
  if (!event) return null;
  const rows = db.select().from(deliveries).where(and(eq(deliveries.eventId, id), visibleDeliveries(visibleSubscriptions))).orderBy(asc(deliveries.subscriptionId)).all();
  if (visibleSubscriptions && rows.length === 0) return null;
  const log = rows.length
    ? db.select().from(attempts).where(inArray(attempts.deliveryId, rows.map((d) => d.id))).orderBy(asc(attempts.number)).all()
    : [];
  return scoped({ ...event, deliveries: rows.map((d) => ({ ...d, attemptLog: log.filter((a) => a.deliveryId === d.id) })) }, visibleSubscriptions);
}

export function countEvents(db: Db, filter: EventFilter): number {
  return db.select({ n: count() }).from(events).where(filterCondition(filter)).get()?.n ?? 0;
}

/**
 * Gives the chosen deliveries of the matching events a fresh attempt and a fresh retry budget. Filtering on a
 * status resends only the deliveries in the matching state (resending the failed events re-POSTs only what
 * failed). A delivery in flight is never POSTed twice at once: it goes again as soon as its attempt ends.
 * Returns the ids of the events that had a delivery resent.
 */
export function resendEvents(
  db: Db,
  statements: EventStatements,
  filter: EventFilter,
  subscriptionIds: string[] | undefined,
  now: number,
): string[] {
  return db.transaction(() => {
    const eventIds = db.select({ id: events.id }).from(events).where(filterCondition(filter));
    const inFlight = sql`(${deliveries.leased} AND ${deliveries.dueAt} > ${now})`;
    const counted = countedSubscriptions(filter);
    const resent = db
      .update(deliveries)
      .set({
        state: "pending",
        roundAttempts: 0,
        // In flight: leave the lease alone and let that attempt's outcome start the delivery afresh.
        resend: sql`${inFlight}`,
        dueAt: sql`CASE WHEN ${inFlight} THEN ${deliveries.dueAt} ELSE ${now} END`,
        // Not in flight, yet an attempt whose lease ran out may still answer: its stale claim must not decide.
        claim: sql`CASE WHEN ${inFlight} THEN ${deliveries.claim} ELSE ${deliveries.claim} + 1 END`,
        updatedAt: now,
      })
      .where(
        and(
          inArray(deliveries.eventId, eventIds),
          subscriptionIds ? inArray(deliveries.subscriptionId, subscriptionIds) : undefined,
          filter.status ? eq(deliveries.state, deliveryStateFor(filter.status)) : undefined,
          counted ? inArray(deliveries.subscriptionId, counted) : undefined,
        ),
      )
      .returning({ eventId: deliveries.eventId })
      .all();
    const touched = [...new Set(resent.map((row) => row.eventId))];
    for (const eventId of touched) refreshEventStatus(statements, eventId);
    return touched;
  });
}
