// Rates as the config writes them (`20/s`, `6000/m`, `50000/h`), for API keys and for subscriptions alike, and
// the token bucket of an API key: `count` per `windowMs`, with bursts up to `count`. Pure: the caller keeps the
// buckets and passes the time.

/** At most `count` in any window of `windowMs`. */
export interface RateLimit {
  count: number;
  windowMs: number;
}

export interface Bucket {
  tokens: number;
  at: number;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };
export const RATE_PATTERN = "^[1-9][0-9]{0,8}/(s|m|h)$";

/** `100/s`, `6000/m`, `50000/h` → the limit (the config's schema has checked the pattern). */
export function parseRate(text: string): RateLimit {
  const [count, unit] = text.split("/") as [string, string];
  return { count: Number(count), windowMs: UNITS[unit]! };
}

export function formatRate(limit: RateLimit): string {
  const unit = Object.entries(UNITS).find(([, ms]) => ms === limit.windowMs)![0];
  return `${limit.count}/${unit}`;
}

/**
 * Takes one request from the bucket at `now`: the bucket afterwards, and how long the caller must wait before
 * one would be let through (0: it is let through now).
 */
export function takeToken(limit: RateLimit, bucket: Bucket | undefined, now: number): { bucket: Bucket; waitMs: number } {
  const perMsRate = limit.count / limit.windowMs;
  const refilled = bucket ? Math.min(limit.count, bucket.tokens + (now - bucket.at) * perMsRate) : limit.count;
  if (refilled >= 1) return { bucket: { tokens: refilled - 1, at: now }, waitMs: 0 };
  return { bucket: { tokens: refilled, at: now }, waitMs: Math.ceil((1 - refilled) / perMsRate) };
}
