// How the delivery slots (delivery.concurrency) are shared between subscriptions.

/**
 * Slots kept free for subscriptions with nothing in flight: one each, up to a quarter of all slots. Receivers
 * that hang hold their slots until the timeout; without this, a few of them (4 at the defaults of 64 and 16)
 * fill every slot, and a healthy subscription's new event waits a whole timeout for one. A subscription with
 * nothing in flight claims its first slot before the others claim more (see the worker).
 */
export function reservedSlots(idleSubscriptions: number, concurrency: number): number {
  return Math.min(idleSubscriptions, Math.floor(concurrency / 4));
}

/** The worker's slots right now. */
export interface SlotState {
  concurrency: number;
  perSubscription: number;
  /** POSTs in flight, in all and per subscription. */
  inflight: number;
  inflightOf: (subscriptionId: string) => number;
}

/**
 * Which of a publish's fresh deliveries go straight to the worker: how many of each subscription's (the first
 * ones, in publish order). Exactly what the worker's next claim would take if they were all that is due: each
 * subscription with nothing in flight its first slot (in `ordered`, the active subscriptions in the worker's
 * rotation), then each up to per_subscription, leaving reservedSlots for those still idle, never more than
 * the free slots. None while anything older is due: a fresh delivery never overtakes one that waits.
 */
export function handOffSlots(fresh: Map<string, number>, olderDue: boolean, ordered: string[], slots: SlotState): Map<string, number> {
  const taken = new Map<string, number>();
  if (olderDue) return taken;
  const takenOf = (id: string) => taken.get(id) ?? 0;
  const wanted = (id: string) => (fresh.get(id) ?? 0) - takenOf(id);
  let free = slots.concurrency - slots.inflight;
  for (const id of ordered) {
    if (free > 0 && slots.inflightOf(id) === 0 && wanted(id) > 0) {
      taken.set(id, 1);
      free--;
    }
  }
  const idle = ordered.filter((id) => slots.inflightOf(id) === 0 && takenOf(id) === 0).length;
  let budget = free - reservedSlots(idle, slots.concurrency);
  for (const id of ordered) {
    const n = Math.min(slots.perSubscription - slots.inflightOf(id) - takenOf(id), wanted(id), budget);
    if (n > 0) {
      taken.set(id, takenOf(id) + n);
      budget -= n;
    }
  }
  return taken;
}
