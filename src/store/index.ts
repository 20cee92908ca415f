// The only door to the database: everything else calls these named operations.
import { IN_MEMORY, openDatabase } from "./db.ts";
import { startCheckpointer } from "./checkpointer.ts";
import { walDurability } from "./durable.ts";
import { claimDue, claimOrphans, deliveryBacklog, dueNow, nextDueAt, prepareDeliveryStatements, recordAttempts } from "./deliveries.ts";
import { countEvents, getEvent, listEvents } from "./event-log.ts";
import { prepareEventStatements, publishEvents, resendEvents } from "./events.ts";
import { createResendJob, failJob, getJob, resendJobStep, runningJobIds } from "./jobs.ts";
import { purgeBatch } from "./purge.ts";
import { deleteApiKey, deleteSubscription, insertApiKey, insertSubscription, listApiKeys, listSubscriptions, syncConfigSubscriptions, updateSubscription } from "./subscriptions.ts";
import type {
  ApiKeyRow,
  AttemptOutcome,
  ClaimedDelivery,
  DeliveryBacklog,
  EventDetail,
  EventFilter,
  EventWithDeliveries,
  JobRecord,
  NewEvent,
  OrphanDelivery,
  Page,
  PublishOutcome,
  SubscriptionRow,
  SubscriptionSpec,
} from "./types.ts";

export type * from "./types.ts";

export interface Store {
  publishEvents(batch: NewEvent[], now: number): PublishOutcome[];
  listEvents(filter: EventFilter, offset: number, limit: number): Page<EventWithDeliveries>;
  /** Cheap query that fails if the database is unusable (readiness). */
  ping(): void;
  /**
   * Resolves once everything committed so far would survive a power cut. Commits alone survive the process
   * crashing; an answer that promises more (a 202 to a publish) waits for this.
   */
  durable(): Promise<void>;
  /** Resolves once the disk is not syncing: group commit waits for this, so a busy server commits in larger batches. */
  idle(): Promise<void>;
  getEvent(id: string, visibleSubscriptions?: string[]): EventDetail | null;
  countEvents(filter: EventFilter): number;
  resendEvents(filter: EventFilter, subscriptionIds: string[] | undefined, now: number): string[];
  claimDue(limits: Map<string, { count: number; leaseMs: number }>, total: number, now: number): ClaimedDelivery[];
  recordAttempts(outcomes: AttemptOutcome[], now: number): void;
  nextDueAt(): number | null;
  deliveryBacklog(now: number): DeliveryBacklog;
  /** The waiting deliveries of these subscriptions become due now (they are to be failed, not retried later). */
  dueNow(subscriptionIds: string[], now: number): void;
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
  createResendJob(input: { id: string; createdBy: string; filter: EventFilter; subscriptions?: string[]; now: number }): JobRecord;
  getJob(id: string): JobRecord | null;
  runningJobIds(): string[];
  resendJobStep(id: string, batchSize: number, now: number): JobRecord;
  failJob(id: string, error: string, now: number): void;
  close(): void;
}

export function openSqliteStore(path: string): Store {
  const db = openDatabase(path);
  // SQLite's count of rows this connection changed: what a sync covers, so one that started later suffices.
  const changes = db.$client.prepare<{ n: number }, []>("SELECT total_changes() AS n");
  const durability = walDurability(path === IN_MEMORY ? null : path, () => changes.get()!.n);
  const checkpointer = path === IN_MEMORY ? null : startCheckpointer(db.$client, path);
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
    dueNow: (ids, now) => dueNow(db, ids, now),
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
    createResendJob: (input) => createResendJob(db, input),
    getJob: (id) => getJob(db, id),
    runningJobIds: () => runningJobIds(db),
    resendJobStep: (id, batchSize, now) => resendJobStep(db, eventStatements, id, batchSize, now),
    failJob: (id, error, now) => failJob(db, id, error, now),
    ping: () => void db.$client.query("SELECT 1").get(),
    durable: durability.durable,
    idle: durability.idle,
    close: () => {
      checkpointer?.close();
      durability.close();
      db.$client.close();
    },
  };
}
