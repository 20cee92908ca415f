// rate_limit: a real receiver measures its own request rate; the deliveries wait in the queue, unspent, and a
// throttled subscription holds no other back.
import { afterEach, describe, expect, it } from "bun:test";
import { configYaml, startTestHerald, type TestHerald } from "./support/herald.ts";
import { receiverPool } from "./support/receiver.ts";
import { waitUntil } from "./support/process.ts";
import { loadConfigText } from "../src/config/load.ts";

let herald: TestHerald | undefined;
const receivers = receiverPool();

afterEach(async () => {
  await herald?.close();
  herald = undefined;
  await receivers.stopAll();
});

/** The most requests that arrived within any `windowMs` (each window starting at an arrival). */
function busiestWindow(arrivals: number[], windowMs: number): number {
  const sorted = arrivals.toSorted((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! < sorted[i]! - windowMs + 1) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe("rate_limit", () => {
  it("holds a receiver to its limit over every second, spends no retry budget, and delays no other subscription", async () => {
    const throttled = receivers.start();
    const free = receivers.start();
    herald = await startTestHerald(
      configYaml({
        subscriptions: `  - { id: slow, url: "${throttled.url}/in", events: [sample.uploaded], rate_limit: 25/s }
  - { id: fast, url: "${free.url}/in", events: [sample.uploaded] }`,
        // One retry only, and far away: a delivery that failed or spent an attempt would show.
        retry: "retry: { timeout: 2s, schedule: [1h], success: 2xx }",
        userSubscriptions: ["fast"],
      }),
    );
    const events = 75;
    const started = Date.now();
    await Promise.all(Array.from({ length: events }, (_, i) => herald!.publish({ event_type: "sample.uploaded", object: { id: `s${i}` } })));
    await free.waitFor(events, 5_000);
    const fastDone = Date.now() - started;
    await throttled.waitFor(events, 10_000);

    // 75 at 25/s take about three seconds; the unthrottled receiver had them all long before.
    expect(fastDone).toBeLessThan(1_500);
    expect(throttled.requests.at(-1)!.receivedAt - throttled.requests[0]!.receivedAt).toBeGreaterThanOrEqual(1_900);
    expect(
      busiestWindow(
        throttled.requests.map((r) => r.receivedAt),
        1_000,
      ),
    ).toBeLessThanOrEqual(25);
    // Each delivery went once: waiting for the limit was not an attempt.
    expect(throttled.requests.map((r) => r.headers["herald-attempt"])).toEqual(Array(events).fill("1"));
    const succeeded = async () => Number((await herald!.api("/api/v1/events?status=success&per_page=1")).headers.get("x-total-count"));
    await waitUntil("every event to succeed", async () => ((await succeeded()) === events ? true : undefined), 5_000);
  }, 20_000);

  it("is read from the subscription, from delivery.rate_limit as the default, and shown by the API", async () => {
    const receiver = receivers.start();
    herald = await startTestHerald(
      configYaml({
        extra: "delivery: { rate_limit: 600/m }",
        subscriptions: `  - { id: a, url: "${receiver.url}/a", events: ["*"] }
  - { id: b, url: "${receiver.url}/b", events: ["*"], rate_limit: 5/s }
  - { id: c, url: "${receiver.url}/c", events: ["*"], rate_limit: "off" }`,
      }),
    );
    const shown = (await (await herald.api("/api/v1/subscriptions")).json()) as { id: string; rate_limit: string }[];
    expect(shown.map((s) => [s.id, s.rate_limit])).toEqual([
      ["a", "600/m"],
      ["b", "5/s"],
      ["c", "off"],
    ]);
    const made = await herald.api("/api/v1/subscriptions", { method: "POST", json: { id: "d", url: `${receiver.url}/d`, events: ["*"], rate_limit: "2/m" } });
    expect(made.status).toBe(201);
    expect(((await made.json()) as { rate_limit: string }).rate_limit).toBe("2/m");
    const patched = await herald.api("/api/v1/subscriptions/d", { method: "PATCH", json: { rate_limit: "20/hour" } });
    expect(patched.status).toBe(400);
    expect(JSON.stringify(await patched.json())).toContain("rate_limit");
  });

  it("a malformed limit is refused with its YAML path and line", async () => {
    const yaml = configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:9/a", events: ["*"], rate_limit: 20/hour }`, extra: "delivery: { rate_limit: 0/s }" });
    const result = await loadConfigText(yaml, "/tmp/webhooks.config.yaml", {});
    if (result.ok) throw new Error("expected problems");
    const lines = yaml.split("\n");
    const lineOf = (text: string) => lines.findIndex((l) => l.includes(text)) + 1;
    expect(result.problems.map((p) => [p.path, p.line])).toEqual([
      ["delivery.rate_limit", lineOf("delivery:")],
      ["subscriptions[0].rate_limit", lineOf("20/hour")],
    ]);
    expect(result.problems[0]!.message).toContain("20/s, 600/m or 5000/h");
  });
});
