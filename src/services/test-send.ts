// A test send: one made-up event through a subscription's real plugins and sender, answered with the attempt.
// Nothing is stored: it is not an event of the log.
import type { Clock } from "../clock.ts";
import type { LiveConfig } from "../config/types.ts";
import { runAttempt } from "../delivery/attempt.ts";
import { outboundPolicy } from "../delivery/outbound.ts";
import { newId } from "../domain/vocabulary.ts";
import type { AttemptOutcome } from "../store/index.ts";
import type { SubscriptionDirectory } from "./subscriptions/directory.ts";
import { refuse, refuseField, type Refusal } from "../domain/refusal.ts";

export interface TestSent {
  eventId: string;
  eventType: string;
  deliveryId: string;
  outcome: AttemptOutcome;
}

export interface TestRequest {
  /** Default: the first declared type the subscription takes. */
  eventType?: string;
  object?: unknown;
}

export async function sendTest(deps: { live: LiveConfig; directory: SubscriptionDirectory; clock: Clock }, subscriptionId: string, request: TestRequest): Promise<TestSent | Refusal<404 | 422>> {
  const { live, directory, clock } = deps;
  const entry = directory.get(subscriptionId);
  if (!entry) return refuse(404, "not_found", `no subscription "${subscriptionId}"`);
  const { subscription } = entry;
  const takes = (name: string) => subscription.events.includes("*") || subscription.events.includes(name);
  const declared = live.config.eventTypes;
  const type = request.eventType === undefined ? declared.find((e) => takes(e.name)) : declared.find((e) => e.name === request.eventType);
  if (!type || !takes(type.name)) {
    return refuseField(422, "not_subscribed", "event_type", `subscription "${subscriptionId}" does not take event type "${request.eventType ?? "(any declared type)"}"`);
  }
  const now = clock.now();
  const object = request.object ?? { id: "herald-test", test: true };
  const event = { id: newId("evt"), eventType: type.name, objectType: type.objectType, object, triggeredAt: now, createdAt: now, status: "pending" as const };
  // A delivery as a claim would hand it out: its first attempt.
  const delivery = { id: newId("dlv"), subscriptionId: subscription.id, number: 1, roundAttempts: 0, claim: 0, event };
  const outcome = await runAttempt(delivery, subscription, live.plugins, clock, outboundPolicy(live.config.delivery), live.config.delivery);
  return { eventId: event.id, eventType: event.eventType, deliveryId: delivery.id, outcome };
}
