// The services between the routes and the engine, called directly (no HTTP): publishing and its refusals,
// the resend rules, the test send, API keys, and subscription changes made at the same moment.
import { afterEach, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { loadConfigText } from "../src/config/load.ts";
import { createMetrics } from "../src/metrics.ts";
import { KeyRing } from "../src/services/api-keys.ts";
import { EventService } from "../src/services/events.ts";
import { isRefusal } from "../src/domain/refusal.ts";
import { sendTest } from "../src/services/test-send.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import { SubscriptionDirectory } from "../src/services/subscriptions/directory.ts";
import { ManualClock } from "./support/clock.ts";
import { ADMIN_TOKEN, configYaml, tempDir } from "./support/herald.ts";
import { receiverPool } from "./support/receiver.ts";

const receivers = receiverPool();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** The services wired over a real store, as the runtime wires them, with what they told the worker. */
async function services(subscriptions: string) {
  const dir = tempDir("herald-services-");
  const file = join(dir, "webhooks.config.yaml");
  const loaded = await loadConfigText(configYaml({ subscriptions }), file, {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const live = { config: loaded.config, plugins: loaded.plugins };
  const clock = new ManualClock();
  const store = openSqliteStore(join(dir, "herald.db"));
  cleanups.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const directory = new SubscriptionDirectory(store, live, clock);
  await directory.applyConfig();
  const keys = new KeyRing(store, live, clock);
  await keys.load();
  const told = { work: 0, jobs: [] as string[] };
  const metrics = createMetrics({ store, clock, inflight: () => 0 });
  const events = new EventService({ live, store, directory, clock, metrics, onWork: () => told.work++, startJob: (id) => told.jobs.push(id) });
  return { live, clock, store, directory, keys, events, told };
}

/** a takes everything, b is disabled, c takes only analysis.failed. */
const SUBSCRIPTIONS = [
  `  - { id: a, url: "http://127.0.0.1:9/a", events: ["*"] }`,
  `  - { id: b, url: "http://127.0.0.1:9/b", events: [sample.uploaded], enabled: false }`,
  `  - { id: c, url: "http://127.0.0.1:9/c", events: [analysis.failed] }`,
].join("\n");

describe("publishing", () => {
  it("stores a declared event with a delivery per enabled subscription that takes it, and tells the worker", async () => {
    const { events, told } = await services(SUBSCRIPTIONS);
    const published = await events.publish({ eventType: "sample.uploaded", object: { id: 1 }, triggeredAt: null });
    expect(isRefusal(published)).toBe(false);
    if (isRefusal(published)) return;
    expect([published.kind, published.event.deliveries.map((d) => d.subscriptionId)]).toEqual(["created", ["a"]]);
    expect(told.work).toBe(1);
    const again = await events.publish({ id: published.event.id, eventType: "sample.uploaded", object: { id: 1 }, triggeredAt: null });
    expect(isRefusal(again) ? again.code : again.kind).toBe("existing");
    expect(told.work).toBe(1); // nothing new to deliver
  });

  it("refuses an undeclared type, the wrong object type, and an id taken by other content, naming what is wrong", async () => {
    const { events } = await services(SUBSCRIPTIONS);
    expect(await events.publish({ eventType: "nope", object: {}, triggeredAt: null })).toMatchObject({ status: 422, code: "unknown_event_type" });
    expect(await events.publish({ eventType: "sample.uploaded", objectType: "analysis", object: {}, triggeredAt: null })).toMatchObject({ status: 422, code: "wrong_object_type" });
    await events.publish({ id: "x1", eventType: "sample.uploaded", object: { v: 1 }, triggeredAt: null });
    expect(await events.publish({ id: "x1", eventType: "sample.uploaded", object: { v: 2 }, triggeredAt: null })).toMatchObject({ status: 409, code: "id_conflict" });
  });
});

describe("the resend rules", () => {
  it("a resend names only subscriptions the key sees (404), that exist (422), are enabled (422) and the event went to (422)", async () => {
    const { events } = await services(SUBSCRIPTIONS);
    await events.publish({ id: "e1", eventType: "sample.uploaded", object: {}, triggeredAt: null });
    expect(await events.resendOne("e1", ["b"], ["a"])).toMatchObject({ status: 404, code: "not_found" });
    expect(await events.resendOne("e1", ["zz"], undefined)).toMatchObject({ status: 422, code: "unknown_subscription" });
    expect(await events.resendOne("e1", ["b"], undefined)).toMatchObject({ status: 422, code: "subscription_disabled" });
    expect(await events.resendOne("e1", ["c"], undefined)).toMatchObject({ status: 422, code: "not_subscribed" });
    expect(await events.resendOne("nope", undefined, undefined)).toMatchObject({ status: 404, code: "not_found" });
    const resent = await events.resendOne("e1", ["a"], undefined);
    expect(isRefusal(resent) ? resent.code : resent.deliveries[0]!.state).toBe("pending");
  });

  it("a bulk resend records a job over what matches now and starts it", async () => {
    const { events, told } = await services(SUBSCRIPTIONS);
    for (const id of ["e1", "e2"]) await events.publish({ id, eventType: "sample.uploaded", object: {}, triggeredAt: null });
    const job = await events.resendMany({ filter: { eventType: "sample.uploaded" } }, "key_1");
    expect(isRefusal(job)).toBe(false);
    if (isRefusal(job)) return;
    expect(job).toMatchObject({ state: "running", total: 2, createdBy: "key_1" });
    expect(told.jobs).toEqual([job.id]);
    expect(await events.job(job.id, { id: "key_2", role: "user" })).toBeNull(); // a user key sees only its own
    expect((await events.job(job.id, { id: "key_1", role: "user" }))?.id).toBe(job.id);
    expect(await events.resendMany({ filter: {}, subscriptions: ["b"] }, "key_1")).toMatchObject({ status: 422, code: "subscription_disabled" });
  });
});

describe("the test send", () => {
  it("sends a made-up event through the subscription's plugins to its receiver and stores nothing", async () => {
    const r = receivers.start();
    const { live, directory, clock, store } = await services(`  - { id: a, url: "${r.url}", events: [analysis.failed] }`);
    const sent = await sendTest({ live, directory, clock }, "a", {});
    expect(isRefusal(sent)).toBe(false);
    if (isRefusal(sent)) return;
    expect([sent.eventType, sent.outcome.responseStatus, sent.outcome.success]).toEqual(["analysis.failed", 200, true]);
    expect(r.requests).toHaveLength(1);
    expect(await store.events.count({})).toBe(0);
    expect(await sendTest({ live, directory, clock }, "a", { eventType: "sample.uploaded" })).toMatchObject({ status: 422, code: "not_subscribed" });
    expect(await sendTest({ live, directory, clock }, "zz", {})).toMatchObject({ status: 404, code: "not_found" });
  });
});

describe("API keys", () => {
  it("refuses a taken name, a user key without subscriptions, scoped keys of other roles, unknown subscriptions and past expiry", async () => {
    const { keys, directory, clock } = await services(SUBSCRIPTIONS);
    const exists = (id: string) => directory.get(id) !== undefined;
    expect(await keys.create({ name: "ops", role: "admin", subscriptions: [], expiresAt: null }, exists)).toMatchObject({ status: 409, code: "name_taken" });
    expect(await keys.create({ name: "u", role: "user", subscriptions: [], expiresAt: null }, exists)).toMatchObject({ status: 422, code: "invalid_api_key" });
    expect(await keys.create({ name: "p", role: "publisher", subscriptions: ["a"], expiresAt: null }, exists)).toMatchObject({ status: 422 });
    expect(await keys.create({ name: "u", role: "user", subscriptions: ["zz"], expiresAt: null }, exists)).toMatchObject({ status: 422 });
    expect(await keys.create({ name: "u", role: "user", subscriptions: ["a"], expiresAt: clock.now() }, exists)).toMatchObject({ status: 422 });
    const made = await keys.create({ name: "u", role: "user", subscriptions: ["a"], expiresAt: null }, exists);
    expect(isRefusal(made)).toBe(false);
    if (isRefusal(made)) return;
    expect(keys.authenticate(made.token)).toMatchObject({ id: made.entry.key.id, role: "user" });
  });

  it("two keys made at the same moment under one name: one is made, the other refused", async () => {
    const { keys } = await services(SUBSCRIPTIONS);
    const both = await Promise.all([1, 2].map(() => keys.create({ name: "twin", role: "admin", subscriptions: [], expiresAt: null }, () => true)));
    expect(both.map((r) => (isRefusal(r) ? r.code : "made")).sort()).toEqual(["made", "name_taken"]);
  });

  it("never deletes a key of the file, nor the last admin key that works", async () => {
    const { keys } = await services(SUBSCRIPTIONS);
    expect(await keys.remove("ops")).toMatchObject({ status: 409, code: "config_owned" });
    expect(await keys.remove("key_none")).toMatchObject({ status: 404 });
    expect(keys.authenticate(ADMIN_TOKEN)).toMatchObject({ role: "admin" });
  });
});

describe("subscriptions changed at the same moment", () => {
  it("two creates under one id: one is made, the other refused with 409", async () => {
    const { directory } = await services(SUBSCRIPTIONS);
    const both = await Promise.all([1, 2].map(() => directory.create({ id: "same", url: "http://127.0.0.1:9/x", events: ["*"] })));
    expect(both.map((r) => (isRefusal(r) ? r.code : "made")).sort()).toEqual(["id_taken", "made"]);
    expect(directory.list().filter((e) => e.subscription.id === "same")).toHaveLength(1);
  });
});
