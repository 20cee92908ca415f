// Each subscription's rate limit as the worker applies it: the attempts it started within its window.
import type { Subscription } from "../domain/subscription.ts";
import { SlidingWindow } from "../domain/delivery-control.ts";

export class RateLimits {
  private readonly windows = new Map<string, SlidingWindow>();

  constructor(private readonly clockNow: () => number) {}

  /** How many attempts the subscription may start at `now` (Infinity without a limit). */
  room(subscription: Subscription, now: number): number {
    return this.window(subscription)?.room(now) ?? Infinity;
  }

  /** An attempt starts: it counts until a window after it ends. */
  start(subscription: Subscription): () => void {
    const window = this.window(subscription);
    window?.start();
    return () => window?.end(this.clockNow());
  }

  /** When the first subscription held back by its limit may start an attempt again (Infinity if none is). */
  nextFreeAt(now: number): number {
    let next = Infinity;
    for (const window of this.windows.values()) if (window.room(now) <= 0) next = Math.min(next, window.freeAt(now));
    return next;
  }

  private window(subscription: Subscription): SlidingWindow | undefined {
    const limit = subscription.rateLimit;
    let window = this.windows.get(subscription.id);
    // Without a limit (any more), nothing is counted; attempts started under one still end in its window.
    if (!limit) return undefined;
    if (!window) this.windows.set(subscription.id, (window = new SlidingWindow(limit)));
    // A changed limit (a reload, a PATCH) applies to the attempts already started too.
    window.limit = limit;
    return window;
  }
}
