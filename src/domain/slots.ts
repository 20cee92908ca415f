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
