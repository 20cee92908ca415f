// The one description of Herald's tables; drizzle-kit generates the migrations in ./drizzle from it.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { SubscriptionFile } from "../../config/schema.ts";
import { API_ROLES, DELIVERY_STATES, DISABLED_REASONS, EVENT_STATUSES, JOB_KINDS, JOB_STATES, SUBSCRIPTION_SOURCES } from "../../domain/vocabulary.ts";

// Times are unix milliseconds (integers): cheap to compare and index, and exact under an injected clock.
export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    eventType: text("event_type").notNull(),
    objectType: text("object_type").notNull(),
    object: text("object", { mode: "json" }).notNull(),
    triggeredAt: integer("triggered_at").notNull(),
    createdAt: integer("created_at").notNull(),
    status: text("status", { enum: EVENT_STATUSES }).notNull(),
  },
  (t) => [
    // The event log's order (newest first, ties by id) within no filter, a type, or a status: a page is a walk.
    index("events_created_idx").on(t.createdAt, t.id),
    index("events_type_created_id_idx").on(t.eventType, t.createdAt, t.id),
    index("events_status_created_id_idx").on(t.status, t.createdAt, t.id),
  ],
);

export const deliveries = sqliteTable(
  "deliveries",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    subscriptionId: text("subscription_id").notNull(),
    state: text("state", { enum: DELIVERY_STATES }).notNull(),
    /** Attempts made in all, and since the last (re)send: the retry budget counts only the latter. */
    attempts: integer("attempts").notNull().default(0),
    roundAttempts: integer("round_attempts").notNull().default(0),
    /**
     * When the worker should next pick this delivery up; null once it succeeded or failed for good.
     * A claim pushes it forward by the lease, so a crashed worker's delivery becomes due again by itself.
     */
    dueAt: integer("due_at"),
    /**
     * Bumped by every claim. An outcome changes the delivery only if its claim is still the latest, so the late
     * answer to an attempt whose lease ran out cannot overwrite what the newer attempt decided.
     */
    claim: integer("claim").notNull().default(0),
    /** A claimed attempt is in flight (until its outcome, or until the lease runs out). */
    leased: integer("leased", { mode: "boolean" }).notNull().default(false),
    /** Resent while in flight: when that attempt's outcome comes, the delivery starts afresh instead. */
    resend: integer("resend", { mode: "boolean" }).notNull().default(false),
    /**
     * For a subscription delivering in order: the line this delivery waits in ("" for the subscription's one line,
     * else its key's value). Null for a subscription in no order. Within a line, ids (time-ordered, made in
     * publish order) give the order.
     */
    orderingKey: text("ordering_key"),
    /** Its event's created_at: deliveries are made with their event, so the event log can page by subscription. */
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    // The worker claims per subscription (so one dead receiver never starves the others) and sleeps until the
    // earliest due time: one partial index for each question, holding only unfinished deliveries.
    index("deliveries_subscription_due_idx").on(t.subscriptionId, t.dueAt).where(sql`${t.dueAt} IS NOT NULL`),
    index("deliveries_due_idx").on(t.dueAt).where(sql`${t.dueAt} IS NOT NULL`),
    // An ordered subscription claims only the head of each line: the first unfinished delivery per key.
    index("deliveries_line_idx").on(t.subscriptionId, t.orderingKey, t.id).where(sql`${t.dueAt} IS NOT NULL`),
    index("deliveries_event_idx").on(t.eventId),
    // The event log filtered on a subscription walks its deliveries newest first (the order of their events),
    // and on a subscription and a status those in one state: only the few that did not succeed are indexed so.
    index("deliveries_subscription_created_idx").on(t.subscriptionId, t.createdAt, t.eventId),
    index("deliveries_subscription_state_idx").on(t.subscriptionId, t.state, t.createdAt, t.eventId).where(sql`${t.state} <> 'succeeded'`),
  ],
);

export const attempts = sqliteTable(
  "attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => deliveries.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    startedAt: integer("started_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
    url: text("url").notNull(),
    requestHeaders: text("request_headers", { mode: "json" }).$type<Record<string, string>>().notNull(),
    responseStatus: integer("response_status"),
    responseBody: text("response_body"),
    errorKind: text("error_kind"),
    errorMessage: text("error_message"),
    /** The answer's Retry-After header, and the wait it set when it made the next one longer than the schedule's. */
    retryAfter: text("retry_after"),
    retryAfterMs: integer("retry_after_ms"),
    success: integer("success", { mode: "boolean" }).notNull(),
  },
  (t) => [index("attempts_delivery_idx").on(t.deliveryId, t.number)],
);

export const subscriptions = sqliteTable("subscriptions", {
  id: text("id").primaryKey(),
  source: text("source", { enum: SUBSCRIPTION_SOURCES }).notNull(),
  /**
   * The subscription as written, in the config file's shape (url, events, transformer, auth, headers, retry,
   * enabled, description): the file and the API speak the same fields, and one resolver reads both.
   */
  spec: text("spec", { mode: "json" }).$type<SubscriptionFile>().notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /** A config subscription no longer in the file: kept (disabled) so its history stays readable. */
  removedAt: integer("removed_at"),
  /** Deleted through the API: kept so its id is never reused for someone else's history. */
  deletedAt: integer("deleted_at"),
  /** Since when every attempt has failed (the first failure after the last success); null after a success. */
  failingSince: integer("failing_since"),
  /** Herald disabled it (every attempt failing for disable_after, or a 410): why and when. Enabling it clears both. */
  disabledReason: text("disabled_reason", { enum: DISABLED_REASONS }),
  disabledAt: integer("disabled_at"),
});

export const apiKeys = sqliteTable("api_keys", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  role: text("role", { enum: API_ROLES }).notNull(),
  /** Only the SHA-256 of the token is stored: the token itself is shown once, at creation. */
  tokenSha256: text("token_sha256").notNull().unique(),
  subscriptions: text("subscriptions", { mode: "json" }).$type<string[]>().notNull(),
  expiresAt: integer("expires_at"),
  createdAt: integer("created_at").notNull(),
});

export const jobs = sqliteTable("jobs", {
  id: text("id").primaryKey(),
  kind: text("kind", { enum: JOB_KINDS }).notNull(),
  state: text("state", { enum: JOB_STATES }).notNull(),
  /** The id of the API key that started it: a `user` key sees only its own jobs. */
  createdBy: text("created_by").notNull(),
  /** What to work on, as the job's kind reads it (a resend: the event filter and the target subscriptions). */
  params: text("params", { mode: "json" }).notNull(),
  /**
   * Where the work stands: the (created_at, id) of the last event handled. Work goes in that order and the
   * cursor moves in the transaction that did the work, so a job resumed after a restart repeats nothing.
   */
  cursorCreatedAt: integer("cursor_created_at"),
  cursorId: text("cursor_id"),
  total: integer("total").notNull(),
  done: integer("done").notNull().default(0),
  resent: integer("resent").notNull().default(0),
  error: text("error"),
  createdAt: integer("created_at").notNull(),
  finishedAt: integer("finished_at"),
});

/** Every change made through the API (and every config reload): who, when, what, and the fields, secrets redacted. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    /** The API key's name, or what reloaded the config (SIGHUP, the file watch). */
    actor: text("actor").notNull(),
    /** The key's id (a config key's name, or key_...); null for a reload. */
    actorId: text("actor_id"),
    action: text("action").notNull(),
    /** The id of what it acted on: a subscription, key, event or job. */
    target: text("target"),
    changes: text("changes", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [index("audit_log_at_idx").on(t.at, t.id), index("audit_log_target_idx").on(t.target, t.at)],
);

// Exact counts for the event log's X-Total-Count without counting a million rows: the number of events, and
// of deliveries, per hour of created_at and per value of each filter. Triggers (drizzle/0005_count_triggers.sql)
// keep them in step with every insert, status or state change, and delete, in the same transaction.
export const COUNT_BUCKET_MS = 3_600_000;

export const eventCounts = sqliteTable(
  "event_counts",
  {
    eventType: text("event_type").notNull(),
    status: text("status", { enum: EVENT_STATUSES }).notNull(),
    /** created_at / COUNT_BUCKET_MS */
    hour: integer("hour").notNull(),
    n: integer("n").notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventType, t.status, t.hour] })],
);

export const deliveryCounts = sqliteTable(
  "delivery_counts",
  {
    subscriptionId: text("subscription_id").notNull(),
    state: text("state", { enum: DELIVERY_STATES }).notNull(),
    /** Its event's type. */
    eventType: text("event_type").notNull(),
    hour: integer("hour").notNull(),
    n: integer("n").notNull(),
  },
  (t) => [primaryKey({ columns: [t.subscriptionId, t.state, t.eventType, t.hour] })],
);
