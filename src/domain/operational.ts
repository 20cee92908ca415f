// Herald's own events: what happened to deliveries and subscriptions, published like any other event to the
// subscriptions that name them (never to the one they are about, and never caused by one another).

export const OPERATIONAL_PREFIX = "herald.";

export const OPERATIONAL_EVENT_TYPES = [
  { name: "herald.delivery.failed", objectType: "delivery", description: "a delivery failed for good: its retries are exhausted" },
  { name: "herald.subscription.disabled", objectType: "subscription", description: "a subscription was disabled (by Herald or by hand)" },
  { name: "herald.subscription.enabled", objectType: "subscription", description: "a disabled subscription was enabled again" },
] as const;

export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number]["name"];

export function isOperational(eventType: string): boolean {
  return eventType.startsWith(OPERATIONAL_PREFIX);
}
