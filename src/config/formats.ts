// typebox checks `format` only for formats registered with it. One strict RFC 3339 date-time for the config,
// plugin options and the API alike (Elysia registers a laxer one only if none exists): a day that does not
// exist, such as February 30, is refused rather than rolled over into March.
import { FormatRegistry } from "@sinclair/typebox";

// No leap second (:60): JavaScript dates cannot hold one, so it would turn into an invalid time downstream.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ]([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

export function isRfc3339(value: string): boolean {
  const match = RFC3339.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return month >= 1 && month <= 12 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

FormatRegistry.Set("date-time", isRfc3339);
