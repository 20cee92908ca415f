// Herald's own events (herald.*), published as any event is, from what the worker and the directory tell: a
// delivery that failed for good, a subscription disabled or enabled again. Deliveries of these events cause
// none: their failures neither publish herald.delivery.failed nor count toward disabling their subscription.
import type { Logger } from "../log.ts";
import { isOperational, type OperationalEventType } from "../domain/operational.ts";
import type { AttemptOutcome, EventRecord } from "../store/index.ts";
import type { EventService } from "./events.ts";
import type { StateChange, SubscriptionDirectory } from "./subscriptions/directory.ts";

export class OperationalEvents {
  constructor(private readonly deps: { events: EventService; directory: SubscriptionDirectory; log: Logger }) {}

  /** A finished attempt (of a delivery to a subscription still configured). */
  attempted(subscriptionId: string, outcome: AttemptOutcome, event: EventRecord) {
    if (isOperational(event.eventType)) return;
    const summary = { success: outcome.success, startedAt: outcome.startedAt, status: outcome.responseStatus };
    this.deps.directory.noteAttempt(subscriptionId, summary).catch((error) => this.deps.log.error("could not record a subscription's health", { subscription: subscriptionId, error: String(error) }));
    if (outcome.nextState !== "failed") return;
    this.publish(
      "herald.delivery.failed",
      {
        id: outcome.deliveryId,
        event_id: event.id,
        event_type: event.eventType,
        subscription_id: subscriptionId,
        attempts: outcome.number,
        last_attempt: { status: outcome.responseStatus, error_kind: outcome.errorKind, error_message: outcome.errorMessage },
        failed_at: new Date(outcome.startedAt + outcome.durationMs).toISOString(),
      },
      subscriptionId,
    );
  }

  stateChanged(change: StateChange) {
    const at = new Date(change.at).toISOString();
    if (change.enabled) this.publish("herald.subscription.enabled", { id: change.id, enabled_at: at }, change.id);
    else this.publish("herald.subscription.disabled", { id: change.id, reason: change.reason, disabled_at: at }, change.id);
  }

  private publish(eventType: OperationalEventType, object: Record<string, unknown>, about: string) {
    this.deps.events.publishOperational(eventType, object, about).catch((error) => this.deps.log.error("could not publish Herald's own event", { event_type: eventType, about, error: String(error) }));
  }
}
