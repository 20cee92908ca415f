// The event log over many events: exact totals from the per-hour counts, and pages filtered on a subscription
// in the same order as any other page.
import { afterAll, describe, expect, it } from "bun:test";
import { Database } from "bun:sqlite";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import type { MigrationMeta } from "drizzle-orm/migrator";
import { claimDue, prepareDeliveryStatements, recordAttempts } from "../src/store/sqlite/deliveries.ts";
import { openDatabase, type Db } from "../src/store/sqlite/db.ts";
import { countEvents, countRows, listEvents } from "../src/store/sqlite/event-log.ts";
import { prepareEventStatements, publishEvents, resendEvents } from "../src/store/sqlite/events.ts";
import { embeddedMigrations } from "../src/store/sqlite/migrations.ts";
import { purgeBatch } from "../src/store/sqlite/purge.ts";
import * as schema from "../src/store/sqlite/schema.ts";
import type { AttemptOutcome, EventFilter } from "../src/store/types.ts";
import { tempDir } from "./support/herald.ts";
import { EVENT_STATUSES, type DeliveryState } from "../src/domain/vocabulary.ts";

const dir = tempDir("herald-event-log-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3_600_000;
const START = Date.parse("2026-01-01T00:00:00Z");
const TYPES = ["sample.uploaded", "analysis.failed", "report_signed"];
const FATES: DeliveryState[] = ["succeeded", "failed", "retrying", "succeeded", "succeeded"];

/** Publishes `count` events over `hours`, to subscription a and (one type) b; attempts most, with mixed fates. */
function fill(db: Db, count: number, hours: number) {
  const events = prepareEventStatements(db);
  const statements = prepareDeliveryStatements(db);
  const limits = new Map(["a", "b"].map((id) => [id, { count: 1_000, leaseMs: 60_000 }]));
  for (let i = 0; i < count; i += 7) {
    const at = START + Math.floor((i / count) * hours * HOUR) + (i % 13) * 1_000;
    const batch = Array.from({ length: Math.min(7, count - i) }, (_, k) => {
      const eventType = TYPES[(i + k) % TYPES.length]!;
      return { id: `e${i + k}`, eventType, objectType: "x", object: { n: i + k }, triggeredAt: null, subscriptionIds: eventType === "report_signed" ? ["a", "b"] : ["a"] };
    });
    publishEvents(
      db,
      events,
      batch.map((event) => ({ event, now: at })),
    );
    if (i % 5 === 0) continue; // some stay pending
    const claimed = claimDue(db, statements, limits, 1_000, at);
    const outcomes = claimed.map((d, k): AttemptOutcome => {
      const fate = FATES[(i + k) % FATES.length]!;
      return {
        deliveryId: d.id,
        eventId: d.event.id,
        number: d.number,
        claim: d.claim,
        startedAt: at,
        durationMs: 1,
        url: "http://x",
        requestHeaders: {},
        responseStatus: fate === "succeeded" ? 200 : 500,
        responseBody: "",
        errorKind: null,
        errorMessage: null,
        retryAfter: null,
        retryAfterMs: null,
        success: fate === "succeeded",
        roundAttempts: 1,
        nextState: fate,
        nextDueAt: fate === "retrying" ? at + HOUR : null,
      };
    });
    recordAttempts(db, statements, events, outcomes, at);
  }
  return events;
}

/** Filters over every dimension the totals answer, with since/until on and off hour boundaries. */
function filters(): EventFilter[] {
  const found: EventFilter[] = [{}];
  const ranges = [
    {},
    { since: START + 2 * HOUR },
    { until: START + 5 * HOUR + 17 },
    { since: START + HOUR + 999, until: START + 7 * HOUR - 1 },
    { since: START + 3 * HOUR + 5, until: START + 4 * HOUR + 9 },
  ];
  for (const range of ranges)
    for (const status of [undefined, ...EVENT_STATUSES])
      for (const eventType of [undefined, "report_signed"]) for (const subscription of [undefined, "a", "b"]) found.push({ ...range, status, eventType, subscription });
  found.push({ visibleSubscriptions: ["b"] }, { visibleSubscriptions: ["a", "b"], status: "failed" }, { ids: ["e1", "e2", "e30"] });
  return found;
}

const defined = (filter: EventFilter) => Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as EventFilter;

describe("X-Total-Count from the per-hour totals", () => {
  it("equals a count of the rows for every filter, after publishing, attempts, resends and a purge", () => {
    const db = openDatabase(join(dir, "counts.db"));
    const events = fill(db, 700, 10);
    const check = () => {
      for (const filter of filters().map(defined)) expect({ filter, n: countEvents(db, filter) }).toEqual({ filter, n: countRows(db, filter) });
    };
    check();
    resendEvents(db, events, { status: "failed" }, undefined, START + 20 * HOUR);
    resendEvents(db, events, { subscription: "b", since: START + 4 * HOUR }, undefined, START + 20 * HOUR);
    check();
    expect(purgeBatch(db, START + 3 * HOUR + 1, 500)).toBeGreaterThan(0);
    check();
    db.$client.close();
  });

  it("are filled from the events already stored when the migration that adds them runs", () => {
    const path = join(dir, "older.db");
    const client = new Database(path, { create: true, strict: true });
    const older = drizzle({ client, schema });
    // The database as it was before the totals existed.
    const internals = older as unknown as { dialect: { migrate(m: MigrationMeta[], session: unknown, config: object): void }; session: unknown };
    internals.dialect.migrate(
      embeddedMigrations().filter((m) => m.tag < "0003"),
      internals.session,
      {},
    );
    const insertEvent = client.prepare("INSERT INTO events (id, event_type, object_type, object, triggered_at, created_at, status) VALUES (?, ?, 'x', '{}', ?, ?, ?)");
    const insertDelivery = client.prepare("INSERT INTO deliveries (id, event_id, subscription_id, state, created_at, updated_at) VALUES (?, ?, 'a', ?, ?, ?)");
    for (let i = 0; i < 50; i++) {
      const at = START + i * 600_000;
      insertEvent.run(`old${i}`, TYPES[i % 3]!, at, at, i % 4 === 0 ? "failed" : "success");
      insertDelivery.run(`d${i}`, `old${i}`, i % 4 === 0 ? "failed" : "succeeded", at, at);
    }
    client.close();
    const db = openDatabase(path);
    for (const filter of [{}, { status: "failed" as const }, { subscription: "a", status: "failed" as const }, { eventType: TYPES[1], since: START + HOUR }]) {
      expect(countEvents(db, filter)).toBe(countRows(db, filter));
    }
    expect(countEvents(db, { status: "failed" })).toBe(13);
    db.$client.close();
  });
});

describe("a page filtered on one subscription", () => {
  it("holds the same events in the same order as the same filter judged event by event", () => {
    const db = openDatabase(join(dir, "pages.db"));
    fill(db, 300, 4);
    for (const filter of [
      { subscription: "a" },
      { subscription: "b", status: "failed" as const },
      { visibleSubscriptions: ["b"], since: START + HOUR },
      { subscription: "a", eventType: "sample.uploaded", status: "success" as const },
    ]) {
      const expected = countRows(db, filter);
      const seen: string[] = [];
      for (let offset = 0; offset < expected + 20; offset += 20) seen.push(...listEvents(db, filter, offset, 20).items.map((e) => e.id));
      // The same rows the event-by-event condition finds, newest first with ties broken by id.
      const byEvent = db.$client
        .query<{ id: string }, []>("SELECT id FROM events ORDER BY created_at DESC, id DESC")
        .all()
        .map((r) => r.id)
        .filter((id) => countRows(db, { ...filter, ids: [id] }) === 1);
      expect(seen).toEqual(byEvent);
      expect(listEvents(db, filter, 0, 1).total).toBe(expected);
    }
    db.$client.close();
  });
});
