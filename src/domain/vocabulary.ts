// Herald's words: the states an event, a delivery and a job can be in, who owns a subscription, what a key may do.

/** Event status, One Codex's four values. */
export const EVENT_STATUSES = ["pending", "retryable", "success", "failed"] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** Where one delivery stands: `retrying` = a POST failed and retries remain. */
export const DELIVERY_STATES = ["pending", "retrying", "succeeded", "failed"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** What a 410 Gone does: fail that delivery at once (error kind `gone`), or also disable its subscription. */
export const ON_GONE = ["fail", "disable"] as const;
export type OnGone = (typeof ON_GONE)[number];

/** Why Herald itself disabled a subscription: every attempt failed for `disable_after`, or a 410 said so. */
export const DISABLED_REASONS = ["failing", "gone"] as const;
export type DisabledReason = (typeof DISABLED_REASONS)[number];

/** Who owns a subscription: the config file (edited there, synced at start and reload) or the REST API. */
export const SUBSCRIPTION_SOURCES = ["config", "api"] as const;
export type SubscriptionSource = (typeof SUBSCRIPTION_SOURCES)[number];

/** Long work done in the background (a bulk resend), with its progress. */
export const JOB_KINDS = ["resend"] as const;
export type JobKind = (typeof JOB_KINDS)[number];
export const JOB_STATES = ["running", "done", "failed"] as const;
export type JobState = (typeof JOB_STATES)[number];

/** What an API key may do: publish, everything, or read its own subscriptions' events. */
export const API_ROLES = ["publisher", "admin", "user"] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** Time-ordered ids with a prefix saying what they name: `evt_…`, `dlv_…`, `sub_…`, `key_…`, `job_…`. */
export function newId(prefix: "evt" | "dlv" | "sub" | "key" | "job"): string {
  return `${prefix}_${Bun.randomUUIDv7().replaceAll("-", "")}`;
}
