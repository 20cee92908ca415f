// Per-subscription delivery control: how fast its receiver may be called (a rate limit) and in which order
// (lines of publish order, one per subscription or per key).

import { parseRate, formatRate, type RateLimit } from "./rate-limit.ts";

/** `object` and a dotted path into it: `object.$uri`, `object.sample.id`. */
export const ORDERING_KEY_PATTERN = "^object(\\.[^.]+)+$";

/** Delivery in publish order along lines: one per subscription (`keyPath` null) or one per value of a field of the object. */
export interface Ordering {
  /** The path inside the event's object whose value names the line. */
  keyPath: string[] | null;
}

/** A subscription's `rate_limit`: `20/s` → 20 attempts per 1,000 ms; `off` (or nothing) → no limit. */
export function parseRateLimit(text: string | undefined): RateLimit | null {
  return text === undefined || text === "off" ? null : parseRate(text);
}

export function formatRateLimit(limit: RateLimit | null): string {
  return limit === null ? "off" : formatRate(limit);
}

/** `object.$uri` → ["$uri"]. */
export function orderingKeyPath(key: string): string[] {
  return key.split(".").slice(1);
}

/**
 * The line an event joins for a subscription ordered this way: "" for the subscription's one line, else the key
 * field's value (an object without the field joins the "" line with the others that lack it).
 */
export function orderingLine(ordering: Ordering, object: unknown): string {
  let value: unknown = object;
  for (const segment of ordering.keyPath ?? []) value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[segment] : undefined;
  if (ordering.keyPath === null || value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * A subscription's attempts as its receiver may have seen them: those in flight, and those that ended within the
 * last window. A new one may start only while fewer than the limit are either. Counting an attempt until a window
 * after its end (not its start) makes the limit hold at the receiver whatever the network's delays: a request
 * arrives between its attempt's start and end. Exact over any window, unlike a bucket, which lets a burst
 * double the rate across a window's edge.
 */
export class SlidingWindow {
  private ends: number[] = [];
  private head = 0;
  private inflight = 0;

  constructor(public limit: RateLimit) {}

  /** How many attempts may start at `now`. */
  room(now: number): number {
    while (this.head < this.ends.length && this.ends[this.head]! <= now - this.limit.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.ends.length) {
      this.ends = this.ends.slice(this.head);
      this.head = 0;
    }
    return this.limit.count - this.inflight - (this.ends.length - this.head);
  }

  start() {
    this.inflight++;
  }

  end(now: number) {
    this.inflight--;
    this.ends.push(now);
  }

  /** When the next attempt may start, as far as the attempts already ended tell (Infinity if only one in flight ending can free a place). */
  freeAt(now: number): number {
    if (this.room(now) > 0) return now;
    const index = this.ends.length - (this.limit.count - this.inflight);
    return index >= this.head && index < this.ends.length ? this.ends[index]! + this.limit.windowMs : Infinity;
  }
}
