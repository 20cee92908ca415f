// The event-status rule (One Codex): one event, many deliveries, one word for how it went.
import type { DeliveryState, EventStatus } from "./vocabulary.ts";

/**
 * `failed` as soon as any subscription exhausted its retries; else `retryable` while any POST failed with
 * retries left; else `pending` while any delivery waits for its first attempt; else `success` (which includes
 * an event that matched no subscription: there was nothing left to deliver). The store turns this same table
 * into SQL where it must filter on a status computed over some of the deliveries.
 */
export const STATUS_PRECEDENCE: readonly (readonly [DeliveryState, EventStatus])[] = [
  ["failed", "failed"],
  ["retrying", "retryable"],
  ["pending", "pending"],
];
export const STATUS_WHEN_SETTLED: EventStatus = "success";

export function eventStatus(states: readonly DeliveryState[]): EventStatus {
  return STATUS_PRECEDENCE.find(([state]) => states.includes(state))?.[1] ?? STATUS_WHEN_SETTLED;
}

/** The delivery state that gives an event this status (for resending "the failed ones" and the like). */
export function deliveryStateFor(status: EventStatus): DeliveryState {
  return STATUS_PRECEDENCE.find(([, s]) => s === status)?.[0] ?? "succeeded";
}
