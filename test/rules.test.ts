// The pure rules, each on its own: event status, retry schedule, success, lease, fan-out, date-times.
import { describe, expect, it } from "bun:test";
import { isRfc3339 } from "../src/config/formats.ts";
import { redactSecrets, redactUrl, secretValues } from "../src/delivery/request.ts";
import { parseRetryAfter } from "../src/delivery/sender.ts";
import type { RetryPolicy, Subscription } from "../src/domain/subscription.ts";
import { eventStatus } from "../src/domain/status.ts";
import { afterAttempt, isSuccess, leaseMs } from "../src/domain/retry.ts";
import { matchingSubscriptions } from "../src/domain/fanout.ts";
import { reservedSlots } from "../src/domain/slots.ts";
import { isSecretName } from "../src/domain/names.ts";

const S = 1_000;
/** Ovation's documented policy: a 10 s timeout, retries 64 s then 729 s after a failure, any 2xx a success. */
const OVATION: RetryPolicy = { timeoutMs: 10 * S, scheduleMs: [64 * S, 729 * S], success: "2xx", maxRetryAfterMs: 3_600 * S, jitter: 0, onGone: "fail", disableAfterMs: null };

describe("eventStatus: failed beats retryable beats pending beats success", () => {
  it("one failed delivery makes the event failed, whatever the others are", () => {
    expect(eventStatus(["failed", "retrying", "pending", "succeeded"])).toBe("failed");
    expect(eventStatus(["succeeded", "failed"])).toBe("failed");
  });

  it("without a failed one, a delivery waiting to retry makes it retryable", () => {
    expect(eventStatus(["retrying", "pending", "succeeded"])).toBe("retryable");
    expect(eventStatus(["succeeded", "retrying"])).toBe("retryable");
  });

  it("a mix of succeeded and not yet attempted is pending", () => {
    expect(eventStatus(["succeeded", "pending"])).toBe("pending");
    expect(eventStatus(["pending"])).toBe("pending");
  });

  it("success only when every delivery succeeded", () => {
    expect(eventStatus(["succeeded"])).toBe("success");
    expect(eventStatus(["succeeded", "succeeded", "succeeded"])).toBe("success");
  });

  it("an event with no deliveries (no subscription matched) is success: nothing is left to deliver", () => {
    expect(eventStatus([])).toBe("success");
  });

  it("the order of the deliveries does not matter", () => {
    expect(eventStatus(["pending", "failed"])).toBe(eventStatus(["failed", "pending"]));
    expect(eventStatus(["pending", "retrying"])).toBe(eventStatus(["retrying", "pending"]));
  });
});

describe("afterAttempt: a failure is retried after the schedule's next delay, from when the attempt finished", () => {
  const t0 = Date.parse("2026-03-01T12:00:00Z");

  it("Ovation's schedule: retry at +64 s, then at +729 s, then the delivery has failed", () => {
    expect(afterAttempt(OVATION, 1, false, t0)).toEqual({ state: "retrying", dueAt: t0 + 64 * S });
    const t1 = t0 + 64 * S + 120; // the retry, finished 120 ms after it was due
    expect(afterAttempt(OVATION, 2, false, t1)).toEqual({ state: "retrying", dueAt: t1 + 729 * S });
    const t2 = t1 + 729 * S;
    expect(afterAttempt(OVATION, 3, false, t2)).toEqual({ state: "failed", dueAt: null });
  });

  it("a success ends the delivery at any attempt, the last one included", () => {
    for (const attempt of [1, 2, 3]) expect(afterAttempt(OVATION, attempt, true, t0)).toEqual({ state: "succeeded", dueAt: null });
  });

  it("an empty schedule means one attempt: its failure is final", () => {
    expect(afterAttempt({ ...OVATION, scheduleMs: [] }, 1, false, t0)).toEqual({ state: "failed", dueAt: null });
  });
});

describe("afterAttempt with Retry-After: a 429 or 503 may stretch the wait, within max_retry_after, never add an attempt", () => {
  const t0 = Date.parse("2026-03-01T12:00:00Z");
  const asked = (status: number, seconds: number) => ({ status, retryAfterMs: seconds * S });

  it("waits as long as a 429 or 503 asks when that is longer than the schedule's delay", () => {
    expect(afterAttempt(OVATION, 1, false, t0, asked(429, 120))).toEqual({ state: "retrying", dueAt: t0 + 120 * S, retryAfterMs: 120 * S });
    expect(afterAttempt(OVATION, 1, false, t0, asked(503, 600))).toEqual({ state: "retrying", dueAt: t0 + 600 * S, retryAfterMs: 600 * S });
  });

  it("keeps the schedule's delay when Retry-After asks for less", () => {
    expect(afterAttempt(OVATION, 1, false, t0, asked(429, 5))).toEqual({ state: "retrying", dueAt: t0 + 64 * S });
    expect(afterAttempt(OVATION, 2, false, t0, asked(503, 700))).toEqual({ state: "retrying", dueAt: t0 + 729 * S });
  });

  it("waits no longer than max_retry_after, and 0 ignores Retry-After", () => {
    expect(afterAttempt(OVATION, 1, false, t0, asked(429, 86_400))).toEqual({ state: "retrying", dueAt: t0 + 3_600 * S, retryAfterMs: 3_600 * S });
    expect(afterAttempt({ ...OVATION, maxRetryAfterMs: 0 }, 1, false, t0, asked(429, 120))).toEqual({ state: "retrying", dueAt: t0 + 64 * S });
  });

  it("is read on 429 and 503 only", () => {
    for (const status of [500, 502, 301, 404]) expect(afterAttempt(OVATION, 1, false, t0, asked(status, 120))).toEqual({ state: "retrying", dueAt: t0 + 64 * S });
  });

  it("never adds an attempt: with the schedule used up the delivery has failed, whatever it asks", () => {
    expect(afterAttempt(OVATION, 3, false, t0, asked(429, 1))).toEqual({ state: "failed", dueAt: null });
    expect(afterAttempt({ ...OVATION, scheduleMs: [] }, 1, false, t0, asked(503, 1))).toEqual({ state: "failed", dueAt: null });
  });
});

describe("parseRetryAfter: delay-seconds or an HTTP-date, against an injected now", () => {
  const now = Date.parse("2026-03-01T12:00:00Z");

  it("reads delay-seconds", () => {
    expect(parseRetryAfter("120", now)).toBe(120 * S);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
  });

  it("reads the three HTTP-date forms, as GMT, and a date already past as no wait", () => {
    expect(parseRetryAfter("Sun, 01 Mar 2026 12:02:00 GMT", now)).toBe(120 * S);
    expect(parseRetryAfter("Sunday, 01-Mar-26 12:02:00 GMT", now)).toBe(120 * S);
    expect(parseRetryAfter("Sun Mar  1 12:02:00 2026", now)).toBe(120 * S);
    expect(parseRetryAfter("Sun, 01 Mar 2026 11:00:00 GMT", now)).toBe(0);
  });

  it("ignores anything else: null", () => {
    for (const value of [null, undefined, "", "-1", "1.5", "soon", "2026-03-01T12:02:00Z", "Sun, 01 Mar 2026 12:02:00 CET"]) expect(parseRetryAfter(value, now)).toBeNull();
  });
});

describe("isSuccess: `2xx` takes 200 to 299; a list takes exactly its codes", () => {
  it("2xx: every 2xx status, and nothing else", () => {
    for (const status of [200, 201, 202, 204, 299]) expect(isSuccess(OVATION, status)).toBe(true);
    for (const status of [100, 199, 300, 400, 410, 500, 503]) expect(isSuccess(OVATION, status)).toBe(false);
  });

  it("a list [200]: a 204 or 202 is not a success", () => {
    const only200: RetryPolicy = { ...OVATION, success: [200] };
    expect(isSuccess(only200, 200)).toBe(true);
    for (const status of [201, 202, 204]) expect(isSuccess(only200, status)).toBe(false);
  });

  it("a redirect (3xx) is not a success, since redirects are not followed", () => {
    for (const status of [301, 302, 303, 307, 308]) expect(isSuccess(OVATION, status)).toBe(false);
  });

  it("no response at all (timeout, refused connection) is not a success", () => {
    expect(isSuccess(OVATION, null)).toBe(false);
    expect(isSuccess({ ...OVATION, success: [200] }, null)).toBe(false);
  });
});

describe("leaseMs: a claim outlives twice the longest attempt timeout, so a slow POST is never sent twice at once", () => {
  it("is more than twice the longest timeout of all the policies", () => {
    const fast: RetryPolicy = { ...OVATION, timeoutMs: 2 * S };
    const slow: RetryPolicy = { ...OVATION, timeoutMs: 30 * S };
    expect(leaseMs([fast, OVATION, slow])).toBeGreaterThan(2 * 30 * S);
    expect(leaseMs([OVATION])).toBeGreaterThan(2 * 10 * S);
  });

  it("grows with the longest timeout, not with the number of policies", () => {
    expect(leaseMs([OVATION, OVATION, OVATION])).toBe(leaseMs([OVATION]));
    expect(leaseMs([{ ...OVATION, timeoutMs: 60 * S }])).toBeGreaterThan(leaseMs([OVATION]));
  });
});

describe('matchingSubscriptions: those naming the event type, and those subscribed to "*"', () => {
  const subscription = (id: string, events: string[]): Subscription => ({
    id,
    url: `https://example.org/${id}`,
    events,
    transformer: { name: "onecodex-v1", options: {} },
    auth: null,
    headers: {},
    retry: OVATION,
    enabled: true,
    rateLimit: null,
    ordering: null,
    description: null,
    tls: null,
  });
  const subscriptions = [subscription("everything", ["*"]), subscription("uploads", ["sample.uploaded"]), subscription("analyses", ["analysis.succeeded", "analysis.failed"])];

  it('an exact name and "*" match, in the subscriptions\' order', () => {
    expect(matchingSubscriptions("sample.uploaded", subscriptions)).toEqual(["everything", "uploads"]);
    expect(matchingSubscriptions("analysis.failed", subscriptions)).toEqual(["everything", "analyses"]);
  });

  it("names match whole, not by prefix or pattern", () => {
    expect(matchingSubscriptions("sample", subscriptions)).toEqual(["everything"]);
    expect(matchingSubscriptions("analysis.*", subscriptions)).toEqual(["everything"]);
  });

  it("no subscription, or none matching, gives no deliveries", () => {
    expect(matchingSubscriptions("sample.uploaded", [])).toEqual([]);
    expect(matchingSubscriptions("report_signed", subscriptions.slice(1))).toEqual([]);
  });
});

describe("isRfc3339: date-times as RFC 3339 writes them, days that exist only", () => {
  it("accepts UTC, offsets and fractions", () => {
    for (const ok of ["2026-01-01T00:00:00Z", "2024-02-29T23:59:59.5+02:00", "2026-12-31t12:00:00z"]) expect(isRfc3339(ok)).toBe(true);
  });

  it("refuses a day that does not exist instead of rolling it over", () => {
    for (const bad of ["2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z"]) expect(isRfc3339(bad)).toBe(false);
  });

  it("refuses what is not a full date-time", () => {
    for (const bad of ["2026-01-01", "2026-01-01T00:00:00", "yesterday", "2026-01-01T24:00:00Z"]) expect(isRfc3339(bad)).toBe(false);
  });
});

describe("redactSecrets: an answer that echoes the request loses its secret values", () => {
  const secrets = secretValues("https://lims.example.org/in?lab=7&token=tok_query_123", { authorization: "Basic aGVyYWxkOnMzY3JldA==", "x-api-key": "sk_live_abc", "x-lab": "north-lab" }, []);

  it("collects secret headers (with and without their scheme) and secret query parameters, not the rest", () => {
    expect(secrets.sort()).toEqual(["Basic aGVyYWxkOnMzY3JldA==", "aGVyYWxkOnMzY3JldA==", "sk_live_abc", "tok_query_123"].sort());
  });

  it("replaces each wherever it appears, and the start of one the excerpt's end cut off", () => {
    const echoed = JSON.stringify({ headers: { authorization: "Basic aGVyYWxkOnMzY3JldA==", "x-lab": "north-lab" }, url: "/in?lab=7&token=tok_query_123" });
    expect(redactSecrets(echoed, secrets)).toBe('{"headers":{"authorization":"[redacted]","x-lab":"north-lab"},"url":"/in?lab=7&token=[redacted]"}');
    expect(redactSecrets('{"key":"sk_live_a', secrets)).toBe('{"key":"[redacted]');
  });

  it("leaves values shorter than 6 characters alone: they would match by chance", () => {
    expect(secretValues("http://x/?sig=abc", { "x-token": "12345" }, [])).toEqual([]);
  });
});

describe("reservedSlots: a slot kept free for each subscription with nothing in flight, up to a quarter of all", () => {
  it("one per idle subscription", () => {
    expect(reservedSlots(0, 64)).toBe(0);
    expect(reservedSlots(1, 64)).toBe(1);
    expect(reservedSlots(5, 64)).toBe(5);
  });

  it("never more than a quarter of the slots, so busy subscriptions keep most of them", () => {
    expect(reservedSlots(100, 64)).toBe(16);
    expect(reservedSlots(3, 4)).toBe(1);
    expect(reservedSlots(3, 2)).toBe(0);
  });
});

describe("names that mark a value as secret", () => {
  it("a URL's query parameters named like credentials show [redacted], the rest as written", () => {
    expect(redactUrl("https://h.example/in?lab=7&token=t1&pwd=p1&pass=p2&passphrase=p3&apiKeys=k1&sig=s1&code=c1&page=2")).toBe(
      "https://h.example/in?lab=7&token=[redacted]&pwd=[redacted]&pass=[redacted]&passphrase=[redacted]&apiKeys=[redacted]&sig=[redacted]&code=[redacted]&page=2",
    );
  });

  it("headers and options: tokens, keys, passwords and the like, but not their neighbours", () => {
    for (const name of ["Authorization", "X-Api-Key", "api_keys", "apiKeys", "x-access-key", "password", "pwd", "client_secret", "Cookie", "session"])
      expect([name, isSecretName(name)]).toEqual([name, true]);
    for (const name of ["X-Lab-Id", "username", "region", "monkey", "keyboard", "header_prefix"]) expect([name, isSecretName(name)]).toEqual([name, false]);
  });
});
