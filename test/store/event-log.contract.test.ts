// The event log's filter, checked as a property: over a store holding random events with random delivery
// fates, every random filter's count (X-Total-Count) equals the events the rule (domain/filter.ts) matches one by
// one, and its pages, whichever way the store finds them (per-hour totals, a subscription's deliveries, rows),
// hold exactly those events, newest first.
import { expect, it } from "bun:test";
import fc from "fast-check";
import { matchesFilter, type EachField, type EventFilter } from "../../src/domain/filter.ts";
import { eventStatus } from "../../src/domain/status.ts";
import { EVENT_STATUSES, type DeliveryState } from "../../src/domain/vocabulary.ts";
import { forEachBackend, limitsFor, newEvent, outcome } from "./backends.ts";

const HOUR = 3_600_000;
const START = Date.parse("2026-03-01T00:00:00Z");
const TYPES = ["sample.uploaded", "analysis.failed", "report_signed"];
const SUBSCRIPTIONS = ["a", "b", "c"];
const FATES: DeliveryState[] = ["pending", "succeeded", "retrying", "failed"];

// Objects with a `$uri`, words from a small vocabulary (so searches find some events and not others), a number,
// and keys and booleans that a search must not find.
const WORDS = ["reads", "fastq", "gz", "Illumina", "novaseq", "frozen", "tube"];
const objectArb = fc.record({
  $uri: fc.integer({ min: 0, max: 5 }).map((n) => `/api/v1/samples/smp_${n}`),
  name: fc.array(fc.constantFrom(...WORDS), { maxLength: 3 }).map((words) => words.join(".")),
  tags: fc.array(fc.constantFrom(...WORDS), { maxLength: 2 }),
  size: fc.integer({ min: 0, max: 3 }),
  archived: fc.boolean(),
});
const deliveryArb = fc.record({ subscription: fc.constantFrom(...SUBSCRIPTIONS), fate: fc.constantFrom(...FATES) });
const eventArb = fc.record({
  type: fc.constantFrom(...TYPES),
  // Within six hours, often on or beside an hour's edge, where the per-hour totals meet counted rows.
  at: fc.oneof(
    fc.integer({ min: 0, max: 6 * HOUR }),
    fc.integer({ min: 0, max: 6 }).chain((h) => fc.integer({ min: h * HOUR - 2, max: h * HOUR + 2 })),
  ),
  deliveries: fc.uniqueArray(deliveryArb, { maxLength: 3, selector: (d) => d.subscription }),
  object: objectArb,
});
const timeArb = fc
  .oneof(
    fc.integer({ min: -1, max: 7 * HOUR }),
    fc.integer({ min: 0, max: 7 }).chain((h) => fc.integer({ min: h * HOUR - 1, max: h * HOUR + 1 })),
  )
  .map((t) => START + t);

/** A value for each field of the filter: a field added to the table needs one here too. */
const FIELD_VALUES: EachField<fc.Arbitrary<unknown>> = {
  eventType: fc.constantFrom(...TYPES, "unknown.type"),
  status: fc.constantFrom(...EVENT_STATUSES),
  subscription: fc.constantFrom(...SUBSCRIPTIONS, "z"),
  since: timeArb,
  until: timeArb,
  search: fc.oneof(
    fc.constantFrom(...WORDS, "reads.fastq", "fastq reads", "/api/v1/samples/smp_3", "SMP 2", "tags", "true", "archived", "2", "  e3 ", "$uri", ""),
    fc.integer({ min: 0, max: 40 }).map((i) => `e${i}`),
  ),
};
const ALL_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  ...FIELD_VALUES,
  visibleSubscriptions: fc.subarray(SUBSCRIPTIONS, { minLength: 1 }),
  ids: fc.uniqueArray(
    fc.integer({ min: 0, max: 40 }).map((i) => `e${i}`),
    { minLength: 1, maxLength: 5 },
  ),
};
// A few fields at a time, as people filter: each way of answering (totals, a subscription's deliveries, rows)
// gets its share.
const filterArb = fc.subarray(Object.keys(ALL_VALUES), { maxLength: 3 }).chain((keys) => fc.record(Object.fromEntries(keys.map((key) => [key, ALL_VALUES[key]!])))) as fc.Arbitrary<EventFilter>;

forEachBackend("event log filter", (store) => {
  it("count and pages agree with the rule, event by event, for random filters over random events", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { maxLength: 40 }), fc.array(filterArb, { minLength: 1, maxLength: 15 }), fc.integer({ min: 1, max: 7 }), async (drawn, filters, perPage) => {
        const s = store();
        // Each run starts from an empty log: what the last run left is purged.
        await s.events.purgeBefore(Number.MAX_SAFE_INTEGER, 10_000);
        const model = drawn.map((e, i) => ({
          id: `e${i}`,
          eventType: e.type,
          createdAt: START + e.at,
          object: e.object,
          deliveries: e.deliveries.map((d) => ({ id: "", subscriptionId: d.subscription, state: d.fate })),
          status: eventStatus(e.deliveries.map((d) => d.fate)),
        }));
        for (const m of model) {
          const [published] = await s.events.publish(
            [
              newEvent(
                m.id,
                m.deliveries.map((d) => d.subscriptionId),
                { eventType: m.eventType, object: m.object },
              ),
            ],
            m.createdAt,
          );
          for (const d of m.deliveries) d.id = published!.event.deliveries.find((stored) => stored.subscriptionId === d.subscriptionId)!.id;
        }
        const claimed = await s.queue.claimDue(limitsFor(SUBSCRIPTIONS, 1_000), 10_000, START + 10 * HOUR);
        const fateOf = (eventId: string, subscription: string) => model.find((m) => m.id === eventId)!.deliveries.find((d) => d.subscriptionId === subscription)!.state;
        const decided = claimed.filter((d) => fateOf(d.event.id, d.subscriptionId) !== "pending");
        await s.queue.recordAttempts(
          decided.map((d) => outcome(d, START + 10 * HOUR, { state: fateOf(d.event.id, d.subscriptionId), dueAt: START + 20 * HOUR })),
          START + 10 * HOUR,
        );

        const newestFirst = [...model].sort((x, y) => y.createdAt - x.createdAt || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0));
        for (const filter of filters) {
          const expected = newestFirst.filter((m) => matchesFilter(m, filter)).map((m) => m.id);
          expect({ filter, total: await s.events.count(filter) }).toEqual({ filter, total: expected.length });
          const seen: string[] = [];
          for (let offset = 0; offset <= expected.length; offset += perPage) {
            const page = await s.events.list(filter, offset, perPage);
            expect(page.total).toBe(expected.length);
            seen.push(...page.items.map((e) => e.id));
          }
          expect({ filter, seen }).toEqual({ filter, seen: expected });
        }
      }),
      { numRuns: 40, seed: Number(process.env.HERALD_PROPERTY_SEED ?? 20261204) },
    );
  }, 60_000);
});
