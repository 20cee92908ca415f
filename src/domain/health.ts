// A subscription's health as Herald follows it: since when every attempt has failed, and when to disable it.
import { isGone } from "./retry.ts";
import type { RetryPolicy, SubscriptionHealth } from "./subscription.ts";

/** What a finished attempt tells of its receiver. */
export interface AttemptSummary {
  success: boolean;
  startedAt: number;
  status: number | null;
}

/**
 * The health after an attempt: a success clears the failing record; a failure starts it (at the attempt's
 * start) or, once every attempt has failed for `disableAfterMs`, disables the subscription. A 410 Gone
 * disables it at once when the policy's onGone says so.
 */
export function healthAfter(health: SubscriptionHealth, policy: RetryPolicy, attempt: AttemptSummary, now: number): SubscriptionHealth {
  if (attempt.success) return { ...health, failingSince: null };
  const failingSince = health.failingSince ?? attempt.startedAt;
  if (health.disabled) return { ...health, failingSince };
  if (policy.onGone === "disable" && isGone(attempt.status)) return { failingSince, disabled: { reason: "gone", at: now } };
  if (policy.disableAfterMs !== null && now - failingSince >= policy.disableAfterMs) return { failingSince, disabled: { reason: "failing", at: now } };
  return { failingSince, disabled: null };
}

export function sameHealth(a: SubscriptionHealth, b: SubscriptionHealth): boolean {
  return a.failingSince === b.failingSince && a.disabled?.reason === b.disabled?.reason && a.disabled?.at === b.disabled?.at;
}
