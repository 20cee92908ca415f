// Fills a SQLite file with a realistic event log through Herald's own store (src/store), in big transactions:
// events spread over `days`, each delivered to subscription "all" and, for one type in five, to "reports";
// every delivery has its first attempt logged, and most succeeded. Herald then serves it as it would its own.
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import type { AttemptOutcome, ClaimedDelivery, NewEvent } from "../src/store/index.ts";
import { EVENT_TYPES, sampleObject } from "./workload.ts";

const BATCH = 5_000;
const DAY_MS = 86_400_000;
const FOREVER_MS = 3650 * DAY_MS;
export const SEEDED_SUBSCRIPTIONS = ["all", "reports"] as const;
const REPORTS_TYPE = "report_signed";

/**
 * What the seeded attempt decided: about one in 50 failed for good, one in 100 waits for a retry, the rest
 * succeeded (moduli prime to the five event types, so every type gets its share).
 */
function seededFate(index: number): "succeeded" | "failed" | "retrying" {
  return index % 53 === 7 ? "failed" : index % 101 === 3 ? "retrying" : "succeeded";
}

function outcome(delivery: ClaimedDelivery, fate: ReturnType<typeof seededFate>, now: number): AttemptOutcome {
  const success = fate === "succeeded";
  return {
    deliveryId: delivery.id,
    eventId: delivery.event.id,
    number: delivery.number,
    claim: delivery.claim,
    startedAt: delivery.event.createdAt + 5,
    durationMs: 4,
    url: `https://receiver.example.org/${delivery.subscriptionId}`,
    requestHeaders: {
      "content-type": "application/json",
      "user-agent": "Herald-Webhooks/0.1",
      "herald-delivery-id": delivery.id,
      "herald-event-id": delivery.event.id,
      "herald-event-type": delivery.event.eventType,
      "herald-attempt": String(delivery.number),
      "x-onecodex-signature": "[redacted]",
    },
    responseStatus: success ? 200 : 503,
    responseBody: success ? "ok" : "unavailable",
    errorKind: null,
    errorMessage: null,
    retryAfter: null,
    retryAfterMs: null,
    success,
    roundAttempts: 1,
    nextState: fate,
    nextDueAt: fate === "retrying" ? now + FOREVER_MS : null,
  };
}

/** One event of a spread sample, for reads by id and searches: its id, one of its deliveries' id, its object. */
export interface SeededSample {
  eventId: string;
  deliveryId: string;
  object: Record<string, unknown>;
}

/** Seeds `count` events ending now; returns a spread sample of them. */
export async function seedEventLog(path: string, count: number, days: number): Promise<SeededSample[]> {
  const store = openSqliteStore(path);
  const now = Date.now();
  const start = now - days * DAY_MS;
  const step = (days * DAY_MS) / count;
  const sample: SeededSample[] = [];
  const limits = new Map(SEEDED_SUBSCRIPTIONS.map((id) => [id, { count: 2 * BATCH, leaseMs: 60_000 }]));
  try {
    for (let first = 0; first < count; first += BATCH) {
      const size = Math.min(BATCH, count - first);
      // Events of one batch share its publish time, as a burst of publishes sharing a group commit would.
      const at = Math.round(start + first * step);
      const batch: NewEvent[] = Array.from({ length: size }, (_, k) => {
        const eventType = EVENT_TYPES[(first + k) % EVENT_TYPES.length]!;
        return {
          id: `evt_seed_${(first + k).toString().padStart(8, "0")}`,
          eventType,
          objectType: eventType.split(/[._]/)[0]!,
          object: sampleObject(first + k),
          triggeredAt: null,
          subscriptionIds: eventType === REPORTS_TYPE ? [...SEEDED_SUBSCRIPTIONS] : ["all"],
        };
      });
      await store.events.publish(batch, at);
      const claimed = await store.queue.claimDue(limits, 2 * size, at);
      const middle = batch[Math.floor(size / 2)]!;
      sample.push({ eventId: middle.id, deliveryId: claimed.find((d) => d.event.id === middle.id)!.id, object: middle.object as Record<string, unknown> });
      await store.queue.recordAttempts(
        claimed.map((d) => outcome(d, seededFate(Number(d.event.id.slice(-8))), at)),
        at,
      );
    }
  } finally {
    await store.close();
  }
  return sample;
}
