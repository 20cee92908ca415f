// A refused request lists every bad field as data, `error.details: [{in, path, message}]`, not only the first.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { configYaml, startTestHerald, type TestHerald } from "./support/herald.ts";

let h: TestHerald;
beforeAll(async () => void (h = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:9/a", events: ["*"] }` }))));
afterAll(() => h.close());

async function refused(response: Response, status: number) {
  expect(response.status).toBe(status);
  return ((await response.json()) as { error: { code: string; message: string; details: { in: string; path: string; message: string }[] } }).error;
}
const where = (details: { in: string; path: string }[]) => details.map((d) => `${d.in} ${d.path}`);

describe("400: every field the schema refuses", () => {
  it("a publish with three bad fields lists the three", async () => {
    const error = await refused(await h.publish({ event_type: 3, object: "x", extra: true }), 400);
    expect(error.code).toBe("invalid_request");
    expect(where(error.details).sort()).toEqual(["body event_type", "body extra", "body object"]);
    expect(error.message).toContain("and 2 more");
  });

  it("a list's query: every bad argument, numbers included, with an enum's allowed values", async () => {
    const error = await refused(await h.api("/api/v1/events?page=0&per_page=abc&status=exploded&since=yesterday"), 400);
    expect(where(error.details).sort()).toEqual(["query page", "query per_page", "query since", "query status"]);
    expect(error.details.find((d) => d.path === "status")!.message).toBe('must be one of pending, retryable, success, failed, not "exploded"');
    expect(where((await refused(await h.api("/api/v1/subscriptions?per_page=0&page=1.5"), 400)).details)).toEqual(["query page", "query per_page"]);
  });

  it("a caller without a key still gets 401 first, and learns nothing of the query's schema", async () => {
    const error = await refused(await h.api("/api/v1/events?per_page=0", { token: "not-a-key-0000000" }), 401);
    expect(error.details).toBeUndefined();
  });
});

describe("422: every field breaking a rule the schema cannot state", () => {
  it("a subscription with an unknown event type, an unknown auth plugin and a zero timeout", async () => {
    const response = await h.api("/api/v1/subscriptions", {
      method: "POST",
      json: { url: "http://127.0.0.1:9/b", events: ["sample.uploaded", "nope"], auth: { plugin: "oauth" }, retry: { timeout: "0s" } },
    });
    const error = await refused(response, 422);
    expect(error.code).toBe("invalid_subscription");
    expect(where(error.details)).toEqual(["body events[1]", "body auth.plugin", "body retry.timeout"]);
    expect(error.message).toBe(error.details.map((d) => `${d.path}: ${d.message}`).join("; "));
  });

  it("an API key with unknown subscriptions and an expiry already past", async () => {
    const response = await h.api("/api/v1/api_keys", {
      method: "POST",
      json: { name: "late", role: "user", subscriptions: ["zzz"], expires_at: "2001-01-01T00:00:00Z" },
    });
    const error = await refused(response, 422);
    expect(where(error.details)).toEqual(["body subscriptions", "body expires_at"]);
  });

  it("an undeclared event type names the field", async () => {
    const error = await refused(await h.publish({ event_type: "nope", object: {} }), 422);
    expect(error.details).toEqual([{ in: "body", path: "event_type", message: error.message }]);
  });
});
