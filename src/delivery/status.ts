// The event-status rule (One Codex): one event, many deliveries, one word for how it went.
import type { DeliveryState, EventStatus } from "../store/schema.ts";

/**
 * `failed` as soon as any subscription exhausted its retries; else `retryable` while any POST failed with
 * retries left; else `pending` while any delivery waits for its first attempt; else `success` (which includes
 * an event that matched no subscription: there was nothing left to deliver).
 */
export function eventStatus(states: readonly DeliveryState[]): EventStatus {
  if (states.includes("failed")) return "failed";
  if (states.includes("retrying")) return "retryable";
  if (states.includes("pending")) return "pending";
  return "success";
}
