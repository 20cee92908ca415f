// Failing receivers disabled (disable_after, 410 with on_gone: disable) and Herald's own events telling of it,
// checked at a subscriber by their signature. An injected clock moves past disable_after.
import { afterEach, describe, expect, it } from "bun:test";
import { ManualClock } from "./support/clock.ts";
import { configYaml, startTestHerald, type TestHerald } from "./support/herald.ts";
import { receiverPool } from "./support/receiver.ts";
import { waitUntil } from "./support/process.ts";
import { verifyStandardWebhooks } from "../src/verify/index.ts";

let herald: TestHerald | undefined;
const receivers = receiverPool();

afterEach(async () => {
  await herald?.close();
  herald = undefined;
  await receivers.stopAll();
});

const SECRET = `whsec_${Buffer.from("operational-events-test-secret").toString("base64")}`;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const OPS_TYPES = "[herald.delivery.failed, herald.subscription.disabled, herald.subscription.enabled]";

type Told = { event_type: string; object: Record<string, any>; object_type: string };

/** A subscriber to Herald's own events: it checks each one's signature as it arrives (at the clock's time). */
function opsReceiver(clock: ManualClock) {
  const told: Told[] = [];
  const unverified: string[] = [];
  const receiver = receivers.start((r) => {
    if (r.path !== "/ops") return new Response("ok");
    const verified = verifyStandardWebhooks({ body: r.body, secrets: SECRET, headers: r.headers, now: clock.now() });
    if (verified.ok) told.push(JSON.parse(r.body) as Told);
    else unverified.push(verified.reason);
    return new Response("ok", { status: verified.ok ? 200 : 401 });
  });
  return { receiver, told, unverified };
}

/** Drains the worker until Herald's own events (published as outcomes are recorded) have gone out too. */
async function settle(h: TestHerald) {
  for (let i = 0; i < 3; i++) {
    await h.worker.drain();
    await Bun.sleep(20);
  }
  await h.worker.drain();
}

const subscription = async (h: TestHerald, id: string) => (await (await h.api(`/api/v1/subscriptions/${id}`)).json()) as any;

describe("disable_after and Herald's own events", () => {
  it("disables a subscription whose every attempt failed for disable_after, says so, fails its unfinished deliveries; enabling it clears the record", async () => {
    const clock = new ManualClock();
    const down = receivers.start(() => new Response("down", { status: 500 }));
    const { receiver: ops, told, unverified } = opsReceiver(clock);
    herald = await startTestHerald(
      configYaml({
        retry: "retry: { timeout: 2s, schedule: [1h], success: 2xx, disable_after: 5d }",
        subscriptions: `  - { id: down, url: "${down.url}/in", events: [sample.uploaded, herald.subscription.disabled, herald.delivery.failed] }
  - { id: ops, url: "${ops.url}/ops", events: ${OPS_TYPES}, auth: { plugin: standard-webhooks, secret: "${SECRET}" } }
  - { id: everything, url: "${ops.url}/all", events: ["*"] }`,
        userSubscriptions: ["ops"],
      }),
      { clock, startWorker: false },
    );
    const started = clock.now();
    await herald.publish({ event_type: "sample.uploaded", object: { id: "s1" } });
    await settle(herald);
    expect((await subscription(herald, "down")).disabled_reason).toBeNull();

    // Its retry fails too: retries exhausted, herald.delivery.failed goes to ops, not to down, nor to "*".
    clock.advance(HOUR);
    await settle(herald);
    const failed = [...told];
    expect(failed.map((e) => e.event_type)).toEqual(["herald.delivery.failed"]);
    expect(failed[0]).toMatchObject({ object_type: "delivery", object: { subscription_id: "down", event_type: "sample.uploaded", attempts: 2, last_attempt: { status: 500 } } });
    expect(down.requests.map((r) => JSON.parse(r.body).event_type)).toEqual(["sample.uploaded", "sample.uploaded"]);
    expect(ops.requests.filter((r) => r.path === "/all").map((r) => JSON.parse(r.body).event_type)).toEqual(["sample.uploaded"]);

    // Five days after its first failure, still failing: disabled.
    clock.set(started + 5 * DAY - 1);
    await herald.publish({ event_type: "sample.uploaded", object: { id: "s2" } });
    await settle(herald);
    expect((await subscription(herald, "down")).enabled).toBe(true); // one millisecond short
    clock.set(started + 5 * DAY);
    const third = (await (await herald.publish({ event_type: "sample.uploaded", object: { id: "s3" } })).json()) as { id: string };
    await settle(herald);
    const disabled = await subscription(herald, "down");
    expect(disabled).toMatchObject({ enabled: false, disabled_reason: "failing", disabled_at: new Date(started + 5 * DAY).toISOString() });
    expect(told.filter((e) => e.event_type === "herald.subscription.disabled")).toEqual([
      expect.objectContaining({ object_type: "subscription", object: { id: "down", reason: "failing", disabled_at: disabled.disabled_at } }),
    ]);
    expect(down.requests.some((r) => r.body.includes("herald.subscription.disabled"))).toBe(false); // never to the one it is about

    // Its unfinished deliveries (the one waiting on its retry) fail with kind disabled, now, not at the retry.
    await settle(herald);
    const detail = (await (await herald.api(`/api/v1/events/${third.id}`)).json()) as any;
    const delivery = detail.deliveries.find((d: any) => d.subscription === "down");
    expect(delivery.state).toBe("failed");
    expect(delivery.attempt_log.at(-1).error.kind).toBe("disabled");

    // Enabled again (a config subscription: by a PATCH of enabled alone): the record is gone, ops is told.
    const enabled = await herald.api("/api/v1/subscriptions/down", { method: "PATCH", json: { enabled: true } });
    expect(enabled.status).toBe(200);
    expect(await enabled.json()).toMatchObject({ enabled: true, disabled_reason: null, disabled_at: null });
    await settle(herald);
    expect(told.at(-1)).toMatchObject({ event_type: "herald.subscription.enabled", object: { id: "down" } });
    expect(unverified).toEqual([]);
  });

  it("an operational event never causes another: a subscriber failing Herald's own events is neither told of it nor disabled", async () => {
    const clock = new ManualClock();
    const down = receivers.start(() => new Response("down", { status: 500 }));
    herald = await startTestHerald(
      configYaml({
        retry: "retry: { timeout: 2s, schedule: [], success: 2xx, disable_after: 1h }",
        subscriptions: `  - { id: a, url: "${down.url}/a", events: [sample.uploaded] }
  - { id: b, url: "${down.url}/b", events: [herald.delivery.failed] }
  - { id: c, url: "${down.url}/c", events: [herald.delivery.failed] }`,
      }),
      { clock, startWorker: false },
    );
    await herald.publish({ event_type: "sample.uploaded", object: {} });
    await settle(herald);
    clock.advance(2 * HOUR);
    await settle(herald);
    // a's failure: one herald.delivery.failed, to b and c, both failing for good; nothing follows from theirs.
    const count = async (type: string) => Number((await herald!.api(`/api/v1/events?event_type=${type}&per_page=1`)).headers.get("x-total-count"));
    expect(await count("herald.delivery.failed")).toBe(1);
    expect(down.requests.map((r) => r.path).sort()).toEqual(["/a", "/b", "/c"]);
    expect((await subscription(herald, "b")).enabled).toBe(true);
  });

  it("a 410 with on_gone: disable disables the subscription at once (disabled_reason gone); the publish API refuses herald.* types", async () => {
    const clock = new ManualClock();
    const gone = receivers.start(() => new Response("", { status: 410 }));
    herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${gone.url}/in", events: ["*"], retry: { on_gone: disable } }` }), { clock, startWorker: false });
    await herald.publish({ event_type: "sample.uploaded", object: {} });
    await settle(herald);
    await waitUntil("a to be disabled", async () => ((await subscription(herald!, "a")).enabled === false ? true : undefined), 2_000);
    expect(await subscription(herald, "a")).toMatchObject({ disabled_reason: "gone", disabled_at: new Date(clock.now()).toISOString() });
    const refused = await herald.publish({ event_type: "herald.subscription.disabled", object: { id: "a" } });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as any).error.code).toBe("reserved_event_type");
    const types = (await (await herald.api("/api/v1/event_types")).json()) as { name: string }[];
    expect(types.map((t) => t.name)).toContain("herald.subscription.enabled");
  });

  it("disable_after is read from retry: or the subscription, off by default, and a file cannot declare herald.* types", async () => {
    const r = receivers.start();
    herald = await startTestHerald(
      configYaml({
        retry: "retry: { timeout: 2s, schedule: [1m], success: 2xx, disable_after: 5d }",
        subscriptions: `  - { id: a, url: "${r.url}/a", events: ["*"] }
  - { id: b, url: "${r.url}/b", events: ["*"], retry: { disable_after: "off" } }`,
      }),
      { startWorker: false },
    );
    expect([(await subscription(herald, "a")).retry.disable_after, (await subscription(herald, "b")).retry.disable_after]).toEqual(["5d", "off"]);
    const { loadConfigText } = await import("../src/config/load.ts");
    const result = await loadConfigText(
      configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:9/a", events: ["*"] }`, extraTypes: "\n  - { name: herald.custom, object_type: x }" }),
      "/tmp/w.yaml",
      {},
    );
    expect(result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      expect.stringMatching(/^event_types\[3\]\.name: event type names starting with "herald\." are Herald's own/),
    ]);
  });
});
