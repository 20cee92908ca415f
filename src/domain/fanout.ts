// Which subscriptions an event goes to: those naming its type, and those subscribed to everything ("*").
// Herald's own events go only to those naming them: "*" means every event the platform publishes.
import type { Subscription } from "./subscription.ts";
import { isOperational } from "./operational.ts";

export function matchingSubscriptions(eventType: string, subscriptions: Subscription[]): string[] {
  const everything = !isOperational(eventType);
  return subscriptions.filter((s) => (everything && s.events.includes("*")) || s.events.includes(eventType)).map((s) => s.id);
}
