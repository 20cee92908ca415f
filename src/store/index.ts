// The only door to the database: everything else calls these named operations.
import { openDatabase } from "./db.ts";
import { claimDue, claimOrphans, deliveryBacklog, nextDueAt, prepareDeliveryStatements, recordAttempts } from "./deliveries.ts";
import { countEvents, getEvent, listEvents, prepareEventStatements, publishEvents, resendEvents } from "./events.ts";
import { purgeBatch } from "./purge.ts";
import { deleteApiKey, deleteSubscription, insertApiKey, insertSubscription, listApiKeys, listSubscriptions, syncConfigSubscriptions, updateSubscription } from "./subscriptions.ts";
import type {
  ApiKeyRow,
  AttemptOutcome,
  ClaimedDelivery,
  EventDetail,
  EventFilter,
  EventWithDeliveries,
  NewEvent,
  OrphanDelivery,
  Page,
  PublishOutcome,
  SubscriptionRow,
  SubscriptionSpec,
} from "./types.ts";

export type * from "./types.ts";
export { newId } from "./events.ts";

export interface Store {
  publishEvents(batch: NewEvent[], now: number): PublishOutcome[];
  listEvents(filter: EventFilter, offset: number, limit: number): Page<EventWithDeliveries>;
  /** Cheap query that fails if the database is unusable (readiness). */
  ping(): void;
  getEvent(id: string, visibleSubscriptions?: string[]): EventDetail | null;
  countEvents(filter: EventFilter): number;
  resendEvents(filter: EventFilter, subscriptionIds: string[] | undefined, now: number): string[];
  claimDue(limits: Map<string, { count: number; leaseMs: number }>, total: number, now: number): ClaimedDelivery[];
  recordAttempts(outcomes: AttemptOutcome[], now: number): void;
  nextDueAt(): number | null;
  deliveryBacklog(now: number): { unfinished: number; due: number };
  claimOrphans(knownSubscriptions: string[], now: number, limit: number): OrphanDelivery[];
  purgeBatch(cutoff: number, batchSize: number): number;
  listSubscriptions(): SubscriptionRow[];
  insertSubscription(row: SubscriptionRow): void;
  updateSubscription(id: string, spec: SubscriptionSpec, now: number): void;
  deleteSubscription(id: string, now: number): void;
  syncConfigSubscriptions(specs: SubscriptionSpec[], now: number): void;
  listApiKeys(): ApiKeyRow[];
  insertApiKey(row: ApiKeyRow): void;
  deleteApiKey(id: string): boolean;
  close(): void;
}

export function openSqliteStore(path: string): Store {
  const db = openDatabase(path);
  const eventStatements = prepareEventStatements(db);
  const deliveryStatements = prepareDeliveryStatements(db);
  return {
    publishEvents: (batch, now) => publishEvents(db, eventStatements, batch, now),
    listEvents: (filter, offset, limit) => listEvents(db, filter, offset, limit),
    getEvent: (id, visible) => getEvent(db, id, visible),
    countEvents: (filter) => countEvents(db, filter),
    resendEvents: (filter, subscriptionIds, now) => resendEvents(db, eventStatements, filter, subscriptionIds, now),
    claimDue: (limits, total, now) => claimDue(db, deliveryStatements, limits, total, now),
    recordAttempts: (outcomes, now) => recordAttempts(db, deliveryStatements, eventStatements, outcomes, now),
    nextDueAt: () => nextDueAt(deliveryStatements),
    deliveryBacklog: (now) => deliveryBacklog(deliveryStatements, now),
    claimOrphans: (known, now, limit) => claimOrphans(db, deliveryStatements, known, now, limit),
    purgeBatch: (cutoff, batchSize) => purgeBatch(db, cutoff, batchSize),
    listSubscriptions: () => listSubscriptions(db),
    insertSubscription: (row) => insertSubscription(db, row),
    updateSubscription: (id, spec, now) => updateSubscription(db, id, spec, now),
    deleteSubscription: (id, now) => deleteSubscription(db, id, now),
    syncConfigSubscriptions: (specs, now) => syncConfigSubscriptions(db, specs, now),
    listApiKeys: () => listApiKeys(db),
    insertApiKey: (row) => insertApiKey(db, row),
    deleteApiKey: (id) => deleteApiKey(db, id),
    ping: () => void db.$client.query("SELECT 1").get(),
    close: () => db.$client.close(),
  };
}
