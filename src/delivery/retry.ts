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

/**
 * How long a claim holds a delivery. It outlives the slowest attempt (twice the longest timeout plus a
 * second for transform, signing and the write), so a slow POST is never sent twice at once.
 */
export function leaseMs(policies: RetryPolicy[]): number {
  return 2 * Math.max(0, ...policies.map((p) => p.timeoutMs)) + 1_000;
}
