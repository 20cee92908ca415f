// How a subscription is doing, for the subscriptions view: its success rate over the last hour and day, its
// deliveries per minute, queue and last failure. The rates come from the event log's counts (per-hour totals
// and the partial hour's rows), the rest from the queue's activity.
import type { Clock } from "../clock.ts";
import type { Store, SubscriptionActivity } from "../store/index.ts";

const HOUR_MS = 3_600_000;

/** Of the deliveries made for it in a window, how many succeeded, failed (or wait for a retry), and are pending. */
export interface SuccessRate {
  succeeded: number;
  failed: number;
  pending: number;
  /** succeeded / (succeeded + failed); null while none has had an answer. */
  rate: number | null;
}

export interface SubscriptionHealth extends SubscriptionActivity {
  lastHour: SuccessRate;
  lastDay: SuccessRate;
}

export class SubscriptionHealthService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async of(subscriptionId: string): Promise<SubscriptionHealth> {
    const now = this.deps.clock.now();
    const [activity, lastHour, lastDay] = await Promise.all([
      this.deps.store.queue.activity(subscriptionId, now),
      this.rate(subscriptionId, now - HOUR_MS),
      this.rate(subscriptionId, now - 24 * HOUR_MS),
    ]);
    return { ...activity, lastHour, lastDay };
  }

  /** Over one subscription, an event's status is its delivery's state: each count is one of its states. */
  private async rate(subscription: string, since: number): Promise<SuccessRate> {
    const count = (status: "success" | "failed" | "retryable" | "pending") => this.deps.store.events.count({ subscription, status, since });
    const [succeeded, failed, retrying, pending] = await Promise.all([count("success"), count("failed"), count("retryable"), count("pending")]);
    const answered = succeeded + failed + retrying;
    return { succeeded, failed: failed + retrying, pending, rate: answered === 0 ? null : succeeded / answered };
  }
}
