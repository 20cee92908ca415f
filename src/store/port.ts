// The store's port: what Herald asks of its database, one interface per aggregate, every method async. Each
// database is an adapter (store/sqlite/) that passes the same contract suite (test/store/).
//
// Durability is the port's promise, not its caller's chore: a method that changes what a user can read
// (a publish, a resend, a subscription, a key, a job) resolves only once the change would survive a power cut.
// The delivery queue's own bookkeeping (claims, outcomes, job steps) resolves once committed: a power cut
// can lose only the last moments of it, and then a delivery is attempted again (at-least-once) or a job step
// is done again, never lost.
//
// A method that fails for a reason that may pass (disk full, an I/O error, the database locked) rejects with
// StorageUnavailable (errors.ts): its caller tries again later, and nothing it was given is taken as done.
import type {
  ApiKeyRow,
  AttemptOutcome,
  AuditEntry,
  AuditFilter,
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
  SubscriptionActivity,
  SubscriptionRow,
  SubscriptionSpec,
} from "./types.ts";
import type { SubscriptionHealth } from "../domain/subscription.ts";

/**
 * Limits for one claim: per subscription, how many of its due deliveries, each leased for `leaseMs`. With
 * `ordered`, only the first unfinished delivery of each of its lines (NewEvent.orderingKeys) may be claimed,
 * and only once it is due: one in flight or waiting on a retry holds the deliveries behind it.
 */
export type ClaimLimits = Map<string, { count: number; leaseMs: number; ordered?: boolean }>;

export interface EventStore {
  /**
   * Stores events with one delivery per listed subscription. Publishes arriving together share one
   * transaction and one sync (group commit). An id published before answers `existing` or `conflict`.
   */
  publish(batch: NewEvent[], now: number): Promise<PublishOutcome[]>;
  /** A page of the matching events, newest first (ties by id), with the exact number of them all. */
  list(filter: EventFilter, offset: number, limit: number): Promise<Page<EventWithDeliveries>>;
  /** One event with its deliveries and every attempt; null if unknown or not visible to the scope. */
  get(id: string, visibleSubscriptions?: string[]): Promise<EventDetail | null>;
  /** The exact number of events matching the filter. */
  count(filter: EventFilter): Promise<number>;
  /** How many events hold a search's words (domain/search.ts), counted no further than `atMost`, at a cost that stays small. */
  countWordMatches(query: string, atMost: number): Promise<number>;
  /**
   * Gives the chosen deliveries of the matching events a fresh attempt and retry budget (a status filter
   * picks the deliveries in that state; one in flight goes again once its attempt ends). Returns the ids of the
   * events that had a delivery resent.
   */
  resend(filter: EventFilter, subscriptionIds: string[] | undefined, now: number): Promise<string[]>;
  /** Deletes up to `batchSize` events created before `cutoff` (and jobs finished before it); returns how many events went. */
  purgeBefore(cutoff: number, batchSize: number): Promise<number>;
}

export interface DeliveryQueue {
  /**
   * Claims due deliveries, at most `limits[subscription].count` of each (in the map's order) and `total` in all,
   * with their events. A claim leases the delivery: until its outcome is recorded or the lease ends, no other
   * claim takes it; when the lease ends unanswered, it is due again.
   */
  claimDue(limits: ClaimLimits, total: number, now: number): Promise<ClaimedDelivery[]>;
  /**
   * The subscriptions that have a delivery due at `now`, by id: what a claim is worth asking about. Its cost
   * follows the subscriptions with unfinished deliveries, not all of them (a thousand idle ones cost nothing).
   */
  dueSubscriptions(now: number): Promise<string[]>;
  /** Claims due deliveries of subscriptions not in `known`, so they can be failed with a reason. */
  claimOrphans(known: string[], now: number, limit: number): Promise<OrphanDelivery[]>;
  /**
   * Logs finished attempts and moves their deliveries and events on. Every attempt is logged; only one whose
   * claim is still its delivery's latest decides (a resend meanwhile starts the delivery afresh instead).
   */
  recordAttempts(outcomes: AttemptOutcome[], now: number): Promise<void>;
  /** The earliest due time of any unfinished delivery (a leased one's is its lease end), or null. */
  nextDueAt(): Promise<number | null>;
  /** Unfinished deliveries per state, and how many of those are due at `now`. */
  backlog(now: number): Promise<DeliveryBacklog>;
  /** One subscription's queue, its deliveries per minute over the hour before `now`, and its last failure. */
  activity(subscriptionId: string, now: number): Promise<SubscriptionActivity>;
  /** The waiting (not leased) deliveries of these subscriptions become due now: they are to be failed, not retried later. */
  dueNow(subscriptionIds: string[], now: number): Promise<void>;
}

export interface SubscriptionStore {
  /** Every stored subscription, deleted and removed ones included. */
  list(): Promise<SubscriptionRow[]>;
  /** A new subscription starts healthy (its `health` is not read). */
  insert(row: SubscriptionRow): Promise<void>;
  update(id: string, spec: SubscriptionSpec, now: number): Promise<void>;
  /** Records Herald's view of its attempts (failing since when) and whether Herald disabled it. */
  setHealth(id: string, health: SubscriptionHealth): Promise<void>;
  /** Marks it deleted: its history stays readable and its id is never reused. */
  remove(id: string, now: number): Promise<void>;
  /**
   * Makes the stored config-owned subscriptions match the file: new ones added, changed ones updated, those no
   * longer in the file marked removed. A changed (or returning) one starts healthy: the file's edit enables it
   * again if Herald had disabled it. The caller has checked that no id belongs to an API-made subscription.
   */
  syncConfig(specs: SubscriptionSpec[], now: number): Promise<void>;
  /** Replaces these subscriptions' specs as given, in one transaction, their times untouched (secrets re-sealed under a new key). */
  rewriteSpecs(rows: { id: string; spec: SubscriptionSpec }[]): Promise<void>;
}

export interface ApiKeyStore {
  list(): Promise<ApiKeyRow[]>;
  insert(row: ApiKeyRow): Promise<void>;
  /** False if there was no such key. */
  remove(id: string): Promise<boolean>;
}

export interface JobStore {
  /** Records a resend job over the events matching `filter` now (`total` counted at once). */
  createResend(input: { id: string; createdBy: string; filter: EventFilter; subscriptions?: string[]; now: number }): Promise<JobRecord>;
  get(id: string): Promise<JobRecord | null>;
  runningIds(): Promise<string[]>;
  /**
   * Does the next `batchSize` events of a running job and moves its cursor and counts on in the same
   * transaction, so a crash between two steps loses or repeats nothing. The last step marks it done.
   */
  resendStep(id: string, batchSize: number, now: number): Promise<JobRecord>;
  fail(id: string, error: string, now: number): Promise<void>;
}

export interface AuditStore {
  /** Appends an entry; resolves once it would survive a power cut (like the change it records). */
  record(entry: Omit<AuditEntry, "id">): Promise<void>;
  /** A page of the matching entries, newest first (ties by id), with the number of them all. */
  list(filter: AuditFilter, offset: number, limit: number): Promise<Page<AuditEntry>>;
  /** Deletes up to `batchSize` entries made before `cutoff` (retention); returns how many went. */
  purgeBefore(cutoff: number, batchSize: number): Promise<number>;
}

export interface Store {
  events: EventStore;
  queue: DeliveryQueue;
  subscriptions: SubscriptionStore;
  apiKeys: ApiKeyStore;
  jobs: JobStore;
  audit: AuditStore;
  /** Rejects if the database cannot be used, or cannot take writes right now (readiness). */
  ping(): Promise<void>;
  /** Waits for writes under way, then closes the database. */
  close(): Promise<void>;
}
