// The records the store hands out and takes in: plain data, no drizzle types leak past the store.
import type { SubscriptionFile } from "../config/schema.ts";
import type { WebhookEvent } from "../plugins/contract.ts";
import type { ApiKey, SubscriptionHealth } from "../domain/subscription.ts";
import type { EventFilter } from "../domain/filter.ts";

export type { EventFilter } from "../domain/filter.ts";
import type { DeliveryState, EventStatus, JobKind, JobState, SubscriptionSource } from "../domain/vocabulary.ts";

/** A stored event: what plugins see (WebhookEvent) plus its status. */
export interface EventRecord extends WebhookEvent {
  status: EventStatus;
}

export interface DeliveryRecord {
  id: string;
  eventId: string;
  subscriptionId: string;
  state: DeliveryState;
  attempts: number;
  roundAttempts: number;
  dueAt: number | null;
  claim: number;
  leased: boolean;
  resend: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface AttemptRecord {
  id: number;
  deliveryId: string;
  number: number;
  startedAt: number;
  durationMs: number;
  url: string;
  requestHeaders: Record<string, string>;
  responseStatus: number | null;
  responseBody: string | null;
  errorKind: string | null;
  errorMessage: string | null;
  /** The answer's Retry-After header as received. */
  retryAfter: string | null;
  /** The wait before the next attempt that Retry-After set (within the policy's bound); null if it set none. */
  retryAfterMs: number | null;
  success: boolean;
}

export interface EventWithDeliveries extends EventRecord {
  deliveries: DeliveryRecord[];
}

export interface EventDetail extends EventRecord {
  deliveries: (DeliveryRecord & { attemptLog: AttemptRecord[] })[];
}

export interface NewEvent {
  id: string;
  eventType: string;
  objectType: string;
  object: unknown;
  /** Null: the time of publishing. */
  triggeredAt: number | null;
  /** One delivery is created per subscription listed here. */
  subscriptionIds: string[];
  /**
   * For each listed subscription that delivers in order, the line its delivery joins ("" for the
   * subscription's one line). Claims with `ordered` take a line's deliveries in publish order, one at a time.
   */
  orderingKeys?: Record<string, string>;
}

/** `existing`: the id was published before with the same content; `conflict`: with different content. */
export type PublishOutcome = { kind: "created" | "existing" | "conflict"; event: EventWithDeliveries };

export interface ClaimedDelivery {
  id: string;
  subscriptionId: string;
  /** This attempt's number, counting every attempt ever started (resends included). */
  number: number;
  /** Attempts made before this one in the current retry round. */
  roundAttempts: number;
  /** This claim's token: its outcome decides only if no newer claim or resend came since. */
  claim: number;
  event: EventRecord;
}

/** One finished attempt and what it decides for its delivery. */
export interface AttemptOutcome extends Omit<AttemptRecord, "id"> {
  eventId: string;
  claim: number;
  roundAttempts: number;
  nextState: DeliveryState;
  nextDueAt: number | null;
}

/** A claimed delivery whose subscription is no longer configured. */
export interface OrphanDelivery {
  id: string;
  eventId: string;
  subscriptionId: string;
  number: number;
  claim: number;
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** Unfinished deliveries per state; a delivery in flight counts as not due until its lease ends. */
export type DeliveryBacklog = { state: DeliveryState; unfinished: number; due: number }[];

export const HEALTHY: SubscriptionHealth = { failingSince: null, disabled: null };

/** One subscription's recent activity (the subscriptions view). */
export interface SubscriptionActivity {
  /** Deliveries not finished yet (pending or waiting for a retry, in flight included). */
  unfinished: number;
  /** The earliest due time among them (a leased one's is its lease end), or null. */
  oldestDueAt: number | null;
  /** Deliveries made for it in each minute of the last hour, oldest minute first. */
  perMinute: number[];
  /** The last attempt of its newest delivery still failing (failed, or waiting for a retry), or null. */
  lastFailure: {
    at: number;
    deliveryId: string;
    eventId: string;
    responseStatus: number | null;
    errorKind: string | null;
    errorMessage: string | null;
  } | null;
}

/** A subscription as written: the config file's shape, which the REST API speaks too. */
export type SubscriptionSpec = SubscriptionFile;

export interface SubscriptionRow {
  id: string;
  source: SubscriptionSource;
  spec: SubscriptionSpec;
  createdAt: number;
  updatedAt: number;
  /** A config subscription no longer in the file. */
  removedAt: number | null;
  deletedAt: number | null;
  /** Herald's record of its attempts failing and of disabling it (a new row starts healthy). */
  health: SubscriptionHealth;
}

/** A key made through the API: only its token's hash is stored. */
export interface ApiKeyRow extends ApiKey {
  createdAt: number;
}

/** What a resend job works on: the events matching `filter`, and only their deliveries to `subscriptions` if given. */
export interface ResendParams {
  filter: EventFilter;
  subscriptions?: string[];
}

export interface JobRecord {
  id: string;
  kind: JobKind;
  state: JobState;
  /** The id of the API key that started it. */
  createdBy: string;
  params: ResendParams;
  /** Events to go through, counted at the start; `done` of them so far, `resent` of those had a delivery resent. */
  total: number;
  done: number;
  resent: number;
  error: string | null;
  createdAt: number;
  finishedAt: number | null;
}

/** One change made through the API, or a config reload. `changes` never holds a secret (the caller redacts). */
export interface AuditEntry {
  id: number;
  at: number;
  /** The API key's name, or what reloaded the config. */
  actor: string;
  actorId: string | null;
  /** e.g. subscription.created, api_key.deleted, event.resent, config.reload_refused */
  action: string;
  target: string | null;
  changes: Record<string, unknown>;
}

/** The audit log's filters: each given one must hold; `since` inclusive, `until` exclusive. */
export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  since?: number;
  until?: number;
}
