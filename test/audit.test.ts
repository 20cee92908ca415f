// The audit log: each change made through the API, and each config reload, leaves exactly one entry naming
// who, when, what and the fields, with no secret in any; GET /api/v1/audit pages and filters them, and they go
// with the retention period.
import { afterEach, describe, expect, it } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { purgeExpired } from "../src/delivery/retention.ts";
import { ManualClock } from "./support/clock.ts";
import { ADMIN_TOKEN, configYaml, PUBLISH_TOKEN, startTestHerald, USER_TOKEN, type TestHerald } from "./support/herald.ts";
import { receiverPool } from "./support/receiver.ts";
import { API_ROUTES, describeRoute, makeTargets, pathFor } from "./support/routes.ts";

const receivers = receiverPool();
let herald: TestHerald | undefined;
afterEach(async () => {
  await herald?.close();
  herald = undefined;
  await receivers.stopAll();
});

type Entry = { id: number; at: string; actor: string; actor_id: string | null; action: string; target: string | null; changes: Record<string, unknown> };

async function auditOf(h: TestHerald, query = ""): Promise<{ entries: Entry[]; total: number; link: string | null }> {
  const response = await h.api(`/api/v1/audit${query}`);
  expect(response.status).toBe(200);
  return { entries: (await response.json()) as Entry[], total: Number(response.headers.get("x-total-count")), link: response.headers.get("link") };
}

// Publishing is not audited: the event log is its record, and an entry per publish would double ingest's writes.
const MUTATING = API_ROUTES.filter((route) => route.method !== "GET" && !(route.method === "POST" && route.path === "/api/v1/events"));

const PASSWORD = "audit-basic-password-5e1a";
const HEADER_SECRET = "audit-header-secret-c4f2";
const NEW_PASSWORD = "audit-new-password-0b9d";
const GIVEN_SIGNING_SECRET = "whsec_YXVkaXQtZ2l2ZW4tc2lnbmluZy1zZWNyZXQ=";

describe("the audit log", () => {
  it("every mutating route of the access table leaves exactly one entry, naming the key, the action and the target", async () => {
    const ok = receivers.start();
    const clock = new ManualClock();
    herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${ok.url}/a", events: [sample.uploaded] }` }), { clock, startWorker: false });
    const event = ((await (await herald.publish({ event_type: "sample.uploaded", object: { id: "s" } })).json()) as { id: string }).id;
    const targets = await makeTargets(herald.api, event, `${ok.url}/made`);
    expect(MUTATING.length).toBeGreaterThanOrEqual(8);
    for (const route of MUTATING) {
      const before = (await auditOf(herald)).total;
      clock.advance(1_000);
      const response = await herald.api(pathFor(route, targets), { method: route.method, ...(route.body === undefined ? {} : { json: route.body }) });
      expect({ route: describeRoute(route), answered: response.status < 300 }).toEqual({ route: describeRoute(route), answered: true });
      const after = await auditOf(herald);
      expect({ route: describeRoute(route), added: after.total - before }).toEqual({ route: describeRoute(route), added: 1 });
      const entry = after.entries[0]!;
      expect(entry).toMatchObject({ actor: "ops", actor_id: "ops", at: new Date(clock.now()).toISOString() });
      const id = route.target ? targets[route.target] : null;
      if (id) expect({ route: describeRoute(route), target: entry.target }).toEqual({ route: describeRoute(route), target: id });
    }
    const actions = (await auditOf(herald, "?per_page=100")).entries.map((e) => e.action);
    for (const action of [
      "subscription.created",
      "subscription.changed",
      "subscription.deleted",
      "subscription.secret_rotated",
      "subscription.tested",
      "api_key.created",
      "api_key.deleted",
      "event.resent",
      "events.bulk_resent",
    ])
      expect(actions).toContain(action);
    // Reading changes nothing: GETs, and publishing, leave no entry.
    const total = (await auditOf(herald)).total;
    for (const route of API_ROUTES.filter((r) => r.method === "GET")) await herald.api(pathFor(route, targets));
    await herald.publish({ event_type: "sample.uploaded", object: { id: "t" } });
    expect((await auditOf(herald)).total).toBe(total);
    // Only admins read it.
    for (const token of [PUBLISH_TOKEN, USER_TOKEN]) expect((await herald.api("/api/v1/audit", { token })).status).toBe(403);
  });

  it("records the fields each change set, with no secret in any entry, and pages and filters like the event log", async () => {
    const ok = receivers.start();
    herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${ok.url}/a", events: [sample.uploaded] }`, extra: "reload: { watch: false }" }));
    const created = await herald.api("/api/v1/subscriptions", {
      method: "POST",
      json: { id: "lab", url: `${ok.url}/lab`, events: ["*"], auth: { plugin: "basic-auth", username: "lab", password: PASSWORD }, headers: { "X-Api-Key": HEADER_SECRET, "X-Lab": "42" } },
    });
    expect(created.status).toBe(201);
    expect((await herald.api("/api/v1/subscriptions/lab", { method: "PATCH", json: { auth: { plugin: "basic-auth", username: "lab2", password: NEW_PASSWORD }, description: "moved" } })).status).toBe(
      200,
    );
    const signed = await herald.api("/api/v1/subscriptions", { method: "POST", json: { id: "sw", url: `${ok.url}/sw`, events: ["*"], auth: { plugin: "standard-webhooks" } } });
    const generated = ((await signed.json()) as { signing_secret: string }).signing_secret;
    expect((await herald.api("/api/v1/subscriptions/sw/rotate_secret", { method: "POST", json: { secret: GIVEN_SIGNING_SECRET, grace: "1h" } })).status).toBe(200);
    const key = await herald.api("/api/v1/api_keys", { method: "POST", json: { name: "ci", role: "publisher" } });
    const token = ((await key.json()) as { token: string }).token;

    // Config reloads, applied and refused, with what reloaded them.
    expect((await herald.reload("SIGHUP")).ok).toBe(true);
    const file = join(herald.dir, "webhooks.config.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("events: [sample.uploaded]", "events: [no.such.type]"));
    expect((await herald.reload("file watch")).ok).toBe(false);

    const { entries, total } = await auditOf(herald, "?per_page=100");
    expect(entries.map((e) => e.action)).toEqual([
      "config.reload_refused",
      "config.reloaded",
      "api_key.created",
      "subscription.secret_rotated",
      "subscription.created",
      "subscription.changed",
      "subscription.created",
    ]);
    expect(total).toBe(7);
    const byAction = (action: string) => entries.find((e) => e.action === action)!;
    expect(entries[6]!.changes).toEqual({
      fields: ["url", "events", "transformer", "auth", "headers", "retry", "enabled", "rate_limit"],
      after: expect.objectContaining({ auth: { plugin: "basic-auth", username: "lab" }, headers: { "X-Api-Key": "[redacted]", "X-Lab": "42" } }),
    });
    expect(byAction("subscription.changed")).toMatchObject({
      target: "lab",
      changes: { fields: ["auth", "description"], after: { auth: { plugin: "basic-auth", username: "lab2" }, description: "moved" } },
    });
    expect(byAction("subscription.secret_rotated")).toMatchObject({ target: "sw", changes: { fields: ["auth.secret"], secret: "given", grace: "1h" } });
    expect(byAction("api_key.created").changes).toEqual({ fields: ["name", "role", "subscriptions", "expires_at"], after: { name: "ci", role: "publisher", subscriptions: [], expires_at: null } });
    expect(byAction("config.reloaded")).toMatchObject({ actor: "SIGHUP", actor_id: null, target: file, changes: { restart_needed: [] } });
    expect(byAction("config.reload_refused")).toMatchObject({ actor: "file watch", changes: { problems: [expect.stringContaining('unknown event type "no.such.type"')] } });

    const text = JSON.stringify(entries);
    for (const secret of [PASSWORD, NEW_PASSWORD, HEADER_SECRET, generated, GIVEN_SIGNING_SECRET, token, ADMIN_TOKEN, PUBLISH_TOKEN, btoa(`lab:${PASSWORD}`)])
      expect({ leaked: text.includes(secret) ? secret : null }).toEqual({ leaked: null });

    // Paged and filtered like the event log.
    const page = await auditOf(herald, "?per_page=2&page=2");
    expect([page.total, page.entries.map((e) => e.action)]).toEqual([7, ["api_key.created", "subscription.secret_rotated"]]);
    expect(page.link).toContain('rel="next"');
    expect((await auditOf(herald, "?action=subscription.created")).entries.map((e) => e.target)).toEqual(["sw", "lab"]);
    expect((await auditOf(herald, "?actor=ops&target=lab")).total).toBe(2);
    expect((await auditOf(herald, "?actor=SIGHUP")).total).toBe(1);
    expect((await auditOf(herald, `?until=${encodeURIComponent(entries[6]!.at)}`)).total).toBe(0);
    const bad = await herald.api("/api/v1/audit?since=yesterday");
    expect(bad.status).toBe(400);
  });

  it("keeps entries for the retention period", async () => {
    const clock = new ManualClock();
    herald = await startTestHerald(configYaml({ subscriptions: '  - { id: a, url: "http://127.0.0.1:9/a", events: [sample.uploaded] }', extra: "retention: 1d" }), { clock, startWorker: false });
    await herald.api("/api/v1/api_keys", { method: "POST", json: { name: "old", role: "publisher" } });
    clock.advance(12 * 3_600_000);
    await herald.api("/api/v1/api_keys", { method: "POST", json: { name: "new", role: "publisher" } });
    clock.advance(13 * 3_600_000);
    await purgeExpired(herald.store, herald.live.config.retentionMs, clock);
    const left = await auditOf(herald);
    expect(left.entries.map((e) => e.changes.after)).toEqual([expect.objectContaining({ name: "new" })]);
  });
});
