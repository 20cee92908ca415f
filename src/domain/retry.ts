// The retry policy: whether a response is a success, and what a finished attempt means for its delivery.
import type { RetryPolicy } from "./subscription.ts";
import type { DeliveryState } from "./vocabulary.ts";

export function isSuccess(policy: RetryPolicy, status: number | null): boolean {
  if (status === null) return false;
  return policy.success === "2xx" ? status >= 200 && status <= 299 : policy.success.includes(status);
}

/** The answers whose Retry-After says when to come back: 429 Too Many Requests and 503 Service Unavailable. */
const RETRY_AFTER_STATUSES: readonly number[] = [429, 503];

/** What the receiver answered, as far as the next attempt is concerned. */
export interface Answer {
  status: number | null;
  /** The wait its Retry-After header asked for (parsed by the sender), if it sent one. */
  retryAfterMs: number | null;
}

export interface NextStep {
  state: DeliveryState;
  dueAt: number | null;
  /** Set when a Retry-After made the wait longer than the schedule's: the wait it set, within the policy's bound. */
  retryAfterMs?: number;
}

/**
 * After attempt number `roundAttempts` of the current round (1 = the first POST), a failure is retried after
 * `scheduleMs[roundAttempts - 1]`; once the schedule is used up the delivery has failed for good. A 429 or 503
 * with Retry-After waits as long as it asks when that is longer, up to `maxRetryAfterMs`; it never adds an
 * attempt the schedule does not have. A 410 Gone fails the delivery at once.
 */
export function afterAttempt(policy: RetryPolicy, roundAttempts: number, succeeded: boolean, finishedAt: number, answer?: Answer, random: () => number = Math.random): NextStep {
  if (succeeded) return { state: "succeeded", dueAt: null };
  const delay = policy.scheduleMs[roundAttempts - 1];
  // A receiver that answers 410 Gone says the endpoint is no more: no retry can succeed.
  if (delay === undefined || isGone(answer?.status ?? null)) return { state: "failed", dueAt: null };
  // Jitter spreads the retries of deliveries that failed together (a receiver's outage) over ±jitter of the delay.
  const scheduled = Math.round(delay * (1 + policy.jitter * (2 * random() - 1)));
  const asked = answer && answer.retryAfterMs !== null && RETRY_AFTER_STATUSES.includes(answer.status ?? 0) ? answer.retryAfterMs : 0;
  const retryAfter = Math.min(asked, policy.maxRetryAfterMs);
  if (retryAfter <= scheduled) return { state: "retrying", dueAt: finishedAt + scheduled };
  return { state: "retrying", dueAt: finishedAt + retryAfter, retryAfterMs: retryAfter };
}

export const GONE_STATUS = 410;

export function isGone(status: number | null): boolean {
  return status === GONE_STATUS;
}

const longestTimeout = (policies: RetryPolicy[]) => Math.max(0, ...policies.map((p) => p.timeoutMs));

/**
 * How long a claim holds a delivery. An attempt (plugins, POST and answer) ends at its timeout; the lease
 * outlives that twice over plus a second for the write, so a slow POST is not sent again while it runs.
 */
export function leaseMs(policies: RetryPolicy[]): number {
  return 2 * longestTimeout(policies) + 1_000;
}

/** How long a shutdown waits for attempts in flight: each ends by its timeout, then its outcome is written. */
export function shutdownGraceMs(policies: RetryPolicy[]): number {
  return longestTimeout(policies) + 1_000;
}

/**
 * The longest a delivery can keep retrying: every attempt runs to its timeout, and every wait in between is
 * as long as the schedule or a Retry-After (within its bound) makes it.
 */
export function retrySpanMs(policy: RetryPolicy): number {
  const waits = policy.scheduleMs.reduce((sum, delay) => sum + Math.max(delay * (1 + policy.jitter), policy.maxRetryAfterMs), 0);
  return waits + (1 + policy.scheduleMs.length) * policy.timeoutMs;
}
