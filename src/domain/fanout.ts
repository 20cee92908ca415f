// Which subscriptions an event goes to: those naming its type, and those subscribed to everything ("*").
import type { Subscription } from "./subscription.ts";

export function matchingSubscriptions(eventType: string, subscriptions: Subscription[]): string[] {
  return subscriptions.filter((s) => s.events.includes("*") || s.events.includes(eventType)).map((s) => s.id);
}
