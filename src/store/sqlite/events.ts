// Publishing and resending events (the event log's reads are in event-log.ts).
import { and, asc, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { Db } from "./db.ts";
import { filterCondition } from "./event-log.ts";
import { countedSubscriptions, eachSetField } from "../../domain/filter.ts";
import { deliveries, events } from "./schema.ts";
import { newId } from "../../domain/vocabulary.ts";
import type { DeliveryRecord, EventFilter, EventRecord, NewEvent, PublishOutcome } from "../types.ts";
import { deliveryStateFor, eventStatus, STATUS_PRECEDENCE, STATUS_WHEN_SETTLED } from "../../domain/status.ts";

/**
 * The event-status rule (STATUS_PRECEDENCE) as SQL over an event's deliveries, for one statement to refresh a
 * whole batch of events.
 */
const STATUS_FROM_DELIVERIES = `CASE ${STATUS_PRECEDENCE.map(
  ([state, status]) => `WHEN EXISTS (SELECT 1 FROM deliveries d INDEXED BY deliveries_event_idx WHERE d.event_id = events.id AND d.state = '${state}') THEN '${status}'`,
).join(" ")} ELSE '${STATUS_WHEN_SETTLED}' END`;

// The hot paths (publish, status refresh) use bun:sqlite's statements directly: drizzle's placeholder
// filling and row mapping cost more than the inserts themselves.
export function prepareEventStatements(db: Db) {
  return {
    eventById: db
      .select()
      .from(events)
      .where(eq(events.id, sql.placeholder("id")))
      .prepare(),
    deliveriesOfEvent: db
      .select()
      .from(deliveries)
      .where(eq(deliveries.eventId, sql.placeholder("eventId")))
      .orderBy(asc(deliveries.subscriptionId))
      .prepare(),
    // An id already taken inserts nothing: that publish is a repeat (or a conflict), read back only then.
    insertEvent: db.$client.prepare<never, Record<"id" | "eventType" | "objectType" | "object" | "status", string> & Record<"triggeredAt" | "createdAt", number>>(
      `INSERT INTO events (id, event_type, object_type, object, triggered_at, created_at, status)
       VALUES ($id, $eventType, $objectType, $object, $triggeredAt, $createdAt, $status) ON CONFLICT (id) DO NOTHING`,
    ),
    insertDelivery: db.$client.prepare<never, Record<"id" | "eventId" | "subscriptionId" | "state", string> & Record<"dueAt" | "createdAt", number> & { orderingKey: string | null }>(
      `INSERT INTO deliveries (id, event_id, subscription_id, state, due_at, ordering_key, created_at, updated_at)
       VALUES ($id, $eventId, $subscriptionId, $state, $dueAt, $orderingKey, $createdAt, $createdAt)`,
    ),
    refreshStatuses: db.$client.prepare<never, { ids: string }>(`UPDATE events SET status = ${STATUS_FROM_DELIVERIES} WHERE id IN (SELECT value FROM json_each($ids))`),
  };
}
export type EventStatements = ReturnType<typeof prepareEventStatements>;

/** Re-derives the status of these events from their deliveries; call inside the transaction that changed them. */
export function refreshEventStatuses(statements: EventStatements, eventIds: Iterable<string>) {
  const ids = [...new Set(eventIds)];
  if (ids.length > 0) statements.refreshStatuses.run({ ids: JSON.stringify(ids) });
}

/** An event to publish and the time its publish was accepted (its created_at). */
export interface Publication {
  event: NewEvent;
  now: number;
}

/** Writes a batch of events with their deliveries in one transaction, so all are durable before any answer. */
export function publishEvents(db: Db, statements: EventStatements, batch: Publication[]): PublishOutcome[] {
  return db.transaction(() =>
    batch.map(({ event: input, now }): PublishOutcome => {
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
      const inserted = statements.insertEvent.run({ ...event, object: JSON.stringify(event.object) });
      if (inserted.changes === 0) {
        const existing = statements.eventById.get({ id: input.id })!;
        const stored = { ...existing, deliveries: statements.deliveriesOfEvent.all({ eventId: existing.id }) };
        return { kind: isSamePublication(existing, input) ? "existing" : "conflict", event: stored };
      }
      for (const d of created)
        statements.insertDelivery.run({
          id: d.id,
          eventId: d.eventId,
          subscriptionId: d.subscriptionId,
          state: d.state,
          dueAt: now,
          orderingKey: input.orderingKeys?.[d.subscriptionId] ?? null,
          createdAt: now,
        });
      return { kind: "created", event: { ...event, deliveries: created } };
    }),
  );
}

/** A repeated publish is the same if it names the same type and object (key order aside) and time, if given. */
function isSamePublication(existing: EventRecord, input: NewEvent): boolean {
  return existing.eventType === input.eventType && canonicalJson(existing.object) === canonicalJson(input.object) && (input.triggeredAt === null || input.triggeredAt === existing.triggeredAt);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

/**
 * Gives the chosen deliveries of the matching events a fresh attempt and a fresh retry budget. Filtering on a
 * status resends only the deliveries in the matching state (resending the failed events re-POSTs only what
 * failed). A delivery in flight is never POSTed twice at once: it goes again as soon as its attempt ends.
 * Returns the ids of the events that had a delivery resent.
 */
export function resendEvents(db: Db, statements: EventStatements, filter: EventFilter, subscriptionIds: string[] | undefined, now: number): string[] {
  return db.transaction(() => {
    const eventIds = db.select({ id: events.id }).from(events).where(filterCondition(filter));
    const inFlight = sql`(${deliveries.leased} AND ${deliveries.dueAt} > ${now})`;
    // Which deliveries of a matching event go again.
    const counted = countedSubscriptions(filter);
    const chosen = eachSetField<SQL | undefined>(filter, {
      eventType: () => undefined, // every delivery of an event of that type
      status: (status) => eq(deliveries.state, deliveryStateFor(status)), // resending "the failed ones" resends what failed
      subscription: () => undefined, // through the counted deliveries, below
      since: () => undefined,
      until: () => undefined,
      search: () => undefined, // every delivery of an event found
    });
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
          ...chosen,
          counted ? inArray(deliveries.subscriptionId, counted) : undefined,
        ),
      )
      .returning({ eventId: deliveries.eventId })
      .all();
    const touched = [...new Set(resent.map((row) => row.eventId))];
    refreshEventStatuses(statements, touched);
    return touched;
  });
}
