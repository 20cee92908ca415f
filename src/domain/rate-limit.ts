// A token bucket per API key: `requests` per `perMs`, with bursts up to `requests`. Pure: the caller keeps the
// buckets and passes the time.

export interface RateLimit {
  requests: number;
  perMs: number;
}

export interface Bucket {
  tokens: number;
  at: number;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };
export const RATE_PATTERN = "^[1-9][0-9]{0,8}/(s|m|h)$";

/** `100/s`, `6000/m`, `50000/h` → the limit (the config's schema has checked the pattern). */
export function parseRate(text: string): RateLimit {
  const [requests, unit] = text.split("/") as [string, string];
  return { requests: Number(requests), perMs: UNITS[unit]! };
}

/**
 * Takes one request from the bucket at `now`: the bucket afterwards, and how long the caller must wait before
 * one would be let through (0: it is let through now).
 */
export function takeToken(limit: RateLimit, bucket: Bucket | undefined, now: number): { bucket: Bucket; waitMs: number } {
  const perMsRate = limit.requests / limit.perMs;
  const refilled = bucket ? Math.min(limit.requests, bucket.tokens + (now - bucket.at) * perMsRate) : limit.requests;
  if (refilled >= 1) return { bucket: { tokens: refilled - 1, at: now }, waitMs: 0 };
  return { bucket: { tokens: refilled, at: now }, waitMs: Math.ceil((1 - refilled) / perMsRate) };
}
