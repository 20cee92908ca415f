// The retry policy: whether a response is a success, and what a finished attempt means for its delivery.
import type { RetryPolicy } from "../config/types.ts";
import type { DeliveryState } from "../store/schema.ts";

export function isSuccess(policy: RetryPolicy, status: number | null): boolean {
  if (status === null) return false;
  return policy.success === "2xx" ? status >= 200 && status <= 299 : policy.success.includes(status);
}

/**
 * After attempt number `roundAttempts` of the current round (1 = the first POST), a failure is retried after
 * `scheduleMs[roundAttempts - 1]`; once the schedule is used up the delivery has failed for good.
 */
export function afterAttempt(
  policy: RetryPolicy,
  roundAttempts: number,
  succeeded: boolean,
  finishedAt: number,
): { state: DeliveryState; dueAt: number | null } {
  if (succeeded) return { state: "succeeded", dueAt: null };
  const delay = policy.scheduleMs[roundAttempts - 1];
  return delay === undefined ? { state: "failed", dueAt: null } : { state: "retrying", dueAt: finishedAt + delay };
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

/** The longest a delivery can keep retrying: every attempt runs to its timeout, with every delay in between. */
export function retrySpanMs(policy: RetryPolicy): number {
  return policy.scheduleMs.reduce((sum, delay) => sum + delay, 0) + (1 + policy.scheduleMs.length) * policy.timeoutMs;
}
