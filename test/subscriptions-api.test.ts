// /api/v1/subscriptions over real HTTP: subscriptions created through the API beside the config file's,
// validated by their plugins' own schemas, secrets accepted and used but never returned.
import { afterEach, describe, expect, it } from "bun:test";
import { Webhook } from "standardwebhooks";
import { redactSpec } from "../src/services/subscriptions/spec.ts";
import { ManualClock } from "./support/clock.ts";
import { configYaml, PUBLISH_TOKEN, startTestHerald, USER_TOKEN, type TestHerald } from "./support/herald.ts";
import { receiverPool, type Receiver } from "./support/receiver.ts";

const receivers = receiverPool();
let herald: TestHerald | undefined;
afterEach(async () => {
  await herald?.close();
  herald = undefined;
  await receivers.stopAll();
});

const json = async (response: Response) => (await response.json()) as any;

/** A Herald whose config declares subscription `a` (basic-auth) and gives the user key subscription `a`. */
async function start(r: Receiver, clock = new ManualClock(Date.now())) {
  herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${r.url}/a", events: ["*"], auth: { plugin: basic-auth, username: lab, password: config-password-1 } }` }), {
    clock,
    startWorker: false,
  });
  return herald;
}

const create = (h: TestHerald, body: unknown) => h.api("/api/v1/subscriptions", { method: "POST", json: body });
const patch = (h: TestHerald, id: string, body: unknown) => h.api(`/api/v1/subscriptions/${id}`, { method: "PATCH", json: body });

describe("subscriptions from the file and from the API are listed together", () => {
  it("a config subscription shows source config; one made through the API, source api, in the file's field names", async () => {
    const r = receivers.start();
    const h = await start(r);
    const made = await create(h, {
      id: "reports",
      url: `${r.url}/reports`,
      events: ["sample.uploaded"],
      transformer: "onecodex-v1",
      headers: { "X-Lab-Id": "42" },
      retry: { schedule: ["10s"] },
      description: "the reporting service",
    });
    expect(made.status).toBe(201);
    expect(made.headers.get("location")).toBe("/api/v1/subscriptions/reports");
    const list = await h.api("/api/v1/subscriptions");
    expect(list.headers.get("x-total-count")).toBe("2");
    const [a, reports] = await json(list);
    expect(a).toMatchObject({ id: "a", source: "config", url: `${r.url}/a`, events: ["*"], auth: { plugin: "basic-auth", username: "lab" }, enabled: true });
    expect(reports).toEqual({
      $uri: "/api/v1/subscriptions/reports",
      id: "reports",
      source: "api",
      url: `${r.url}/reports`,
      events: ["sample.uploaded"],
      transformer: { plugin: "onecodex-v1" },
      auth: null,
      headers: { "X-Lab-Id": "42" },
      // The policy it follows: its own schedule, the config's timeout and success rule.
      retry: { timeout: "2s", schedule: ["10s"], success: "2xx", max_retry_after: "1h", jitter: 0, on_gone: "fail", disable_after: "off" },
      enabled: true,
      rate_limit: "off",
      description: "the reporting service",
      disabled_reason: null,
      disabled_at: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      removed_from_config_at: null,
    });
  });

  it("a subscription made through the API gets the events published after it, with its headers", async () => {
    const r = receivers.start();
    const h = await start(r);
    await create(h, { id: "uploads", url: `${r.url}/uploads`, events: ["sample.uploaded"], headers: { "X-Lab-Id": "42" } });
    const event = await json(await h.publish({ event_type: "sample.uploaded", object: { id: "s1" } }));
    expect(event.deliveries.map((d: any) => d.subscription)).toEqual(["a", "uploads"]);
    await h.worker.drain();
    const received = r.requests.find((q) => q.path === "/uploads")!;
    expect(received.headers["x-lab-id"]).toBe("42");
    expect(JSON.parse(received.body).object).toEqual({ id: "s1" });
  });

  it("an id may be chosen, or Herald makes one; a taken id is 409", async () => {
    const h = await start(receivers.start());
    const made = await json(await create(h, { url: "http://127.0.0.1:9/x", events: ["*"] }));
    expect(made.id).toMatch(/^sub_[0-9a-f]{32}$/);
    for (const id of ["a", made.id]) {
      const again = await create(h, { id, url: "http://127.0.0.1:9/x", events: ["*"] });
      expect(again.status).toBe(409);
      expect((await json(again)).error.code).toBe("id_taken");
    }
  });
});

describe("a subscription is checked as the config file is, and refused with 422 naming each bad field", () => {
  it("plugin options by the plugin's own schema, event types, URL, headers and retry", async () => {
    const h = await start(receivers.start());
    const response = await create(h, {
      url: "https://user:pw@example.org/x",
      events: ["sample.deleted"],
      auth: { plugin: "basic-auth", username: "has:colon" },
      headers: { "Content-Type": "text/plain" },
      retry: { timeout: "0s" },
    });
    expect(response.status).toBe(422);
    const { error } = await json(response);
    expect(error.code).toBe("invalid_subscription");
    for (const part of ["url: the URL carries credentials", 'events[0]: unknown event type "sample.deleted"', "auth.password", "auth.username", "headers.Content-Type", "retry.timeout"])
      expect(error.message).toContain(part);
    expect((await json(await h.api("/api/v1/subscriptions"))).map((s: any) => s.id)).toEqual(["a"]); // nothing stored
  });

  it("an unknown plugin names the available ones; a retry span longer than the retention is refused", async () => {
    const h = await start(receivers.start());
    const unknown = await json(await create(h, { url: "http://127.0.0.1:9/x", events: ["*"], auth: { plugin: "oauth" } }));
    expect(unknown.error.message).toContain('auth.plugin: unknown auth plugin "oauth"; available: onecodex-signature, basic-auth, standard-webhooks');
    const long = await json(await create(h, { url: "http://127.0.0.1:9/x", events: ["*"], retry: { schedule: ["31d"] } }));
    expect(long.error.message).toContain("retry: retention 30d is shorter than the");
  });

  it("a URL whose address is one deliveries may never reach (link-local, cloud metadata) is refused at once", async () => {
    const h = await start(receivers.start());
    for (const url of ["http://169.254.169.254/latest/meta-data", "http://[fe80::1]/hook"]) {
      const response = await create(h, { url, events: ["*"] });
      expect(response.status).toBe(422);
      expect((await json(response)).error.message).toContain("link-local or cloud metadata address; allow it with delivery.allow_networks");
    }
  });

  it("a body of the wrong shape is a 400 naming the field", async () => {
    const h = await start(receivers.start());
    const response = await create(h, { url: "http://127.0.0.1:9/x", events: "*" });
    expect(response.status).toBe(400);
    expect((await json(response)).error.message).toContain("/events");
  });
});

describe("secrets are accepted and used, never returned", () => {
  it("a password and a secret header reach the receiver but appear in no answer", async () => {
    const r = receivers.start();
    const h = await start(r);
    const bodies: string[] = [];
    const keep = async (response: Response) => (bodies.push(await response.clone().text()), response);
    await keep(
      await create(h, {
        id: "b",
        url: `${r.url}/b`,
        events: ["*"],
        auth: { plugin: "basic-auth", username: "u", password: "api-password-1" },
        headers: { "X-Api-Key": "header-secret-1", "X-Lab": "1" },
      }),
    );
    await keep(await h.api("/api/v1/subscriptions"));
    await keep(await h.api("/api/v1/subscriptions/b"));
    await keep(await h.api("/api/v1/subscriptions/a"));
    await keep(await h.api("/api/v1/subscriptions/b/test", { method: "POST" }));
    const event = await json(await keep(await h.publish({ event_type: "sample.uploaded", object: {} })));
    await h.worker.drain();
    await keep(await h.api(`/api/v1/events/${event.id}`));
    await keep(await h.api("/api/v1/events"));
    const sent = r.requests.filter((q) => q.path === "/b");
    expect(sent).toHaveLength(2);
    for (const q of sent) {
      expect(q.headers.authorization).toBe(`Basic ${btoa("u:api-password-1")}`);
      expect(q.headers["x-api-key"]).toBe("header-secret-1");
    }
    for (const body of bodies) for (const secret of ["api-password-1", "header-secret-1", "config-password-1", btoa("u:api-password-1")]) expect(body).not.toContain(secret);
    expect(await json(await h.api("/api/v1/subscriptions/b"))).toMatchObject({ auth: { plugin: "basic-auth", username: "u" }, headers: { "X-Api-Key": "[redacted]", "X-Lab": "1" } });
  });

  it("a PATCH that leaves a secret out keeps it; a header sent back as [redacted] keeps its value", async () => {
    const r = receivers.start();
    const h = await start(r);
    await create(h, { id: "b", url: `${r.url}/b`, events: ["*"], auth: { plugin: "basic-auth", username: "u", password: "pw-1" }, headers: { "X-Api-Key": "k-1" } });
    const changed = await patch(h, "b", { auth: { plugin: "basic-auth", username: "v" }, headers: { "X-Api-Key": "[redacted]", "X-Other": "2" } });
    expect(changed.status).toBe(200);
    await h.api("/api/v1/subscriptions/b/test", { method: "POST" });
    const received = r.requests.at(-1)!;
    expect(received.headers.authorization).toBe(`Basic ${btoa("v:pw-1")}`);
    expect(received.headers["x-api-key"]).toBe("k-1");
    expect(received.headers["x-other"]).toBe("2");
  });

  it("a credential in the URL's query shows [redacted]; sent back as shown, the stored URL is kept", async () => {
    const r = receivers.start();
    const h = await start(r);
    const made = await json(await create(h, { id: "q", url: `${r.url}/q?token=url-secret-1&lab=7`, events: ["*"] }));
    expect(made.url).toBe(`${r.url}/q?token=[redacted]&lab=7`);
    expect((await patch(h, "q", { url: made.url, description: "same URL" })).status).toBe(200);
    await h.api("/api/v1/subscriptions/q/test", { method: "POST" });
    expect(r.requests.at(-1)!.path).toBe("/q?token=url-secret-1&lab=7");
  });

  it("a signing secret Herald generates is shown once, on create, and the receiver's library verifies with it", async () => {
    const r = receivers.start();
    const h = await start(r);
    const made = await json(await create(h, { id: "sw", url: `${r.url}/sw`, events: ["*"], auth: { plugin: "standard-webhooks" } }));
    expect(made.signing_secret).toMatch(/^whsec_/);
    expect(made.auth).toEqual({ plugin: "standard-webhooks" });
    expect(JSON.stringify(await json(await h.api("/api/v1/subscriptions/sw")))).not.toContain(made.signing_secret.slice(6));
    await h.api("/api/v1/subscriptions/sw/test", { method: "POST" });
    const received = r.requests.at(-1)!;
    expect(() => new Webhook(made.signing_secret).verify(received.body, received.headers)).not.toThrow();
  });

  it("rotation signs with the old and the new secret during the grace period, then with the new one only", async () => {
    const r = receivers.start();
    const clock = new ManualClock(Date.now());
    const h = await start(r, clock);
    const old = (await json(await create(h, { id: "sw", url: `${r.url}/sw`, events: ["*"], auth: { plugin: "standard-webhooks" } }))).signing_secret;
    const rotated = await json(await h.api("/api/v1/subscriptions/sw/rotate_secret", { method: "POST", json: { grace: "1h" } }));
    expect(rotated.signing_secret).toMatch(/^whsec_/);
    expect(rotated.signing_secret).not.toBe(old);
    expect(rotated.auth).toEqual({ plugin: "standard-webhooks" }); // neither secret is shown, old or new
    const verifiesWith = (secret: string) => {
      const received = r.requests.at(-1)!;
      try {
        new Webhook(secret).verify(received.body, received.headers);
        return true;
      } catch {
        return false;
      }
    };
    await h.api("/api/v1/subscriptions/sw/test", { method: "POST" });
    expect([verifiesWith(old), verifiesWith(rotated.signing_secret)]).toEqual([true, true]);
    expect(r.requests.at(-1)!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    clock.advance(3_600_000);
    await h.api("/api/v1/subscriptions/sw/test", { method: "POST" });
    expect(r.requests.at(-1)!.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
  });

  it("what a GET shows after a rotation can be sent back in a PATCH: both secrets are kept", async () => {
    const r = receivers.start();
    const h = await start(r);
    const old = (await json(await create(h, { id: "sw", url: `${r.url}/sw`, events: ["*"], auth: { plugin: "standard-webhooks" } }))).signing_secret;
    const fresh = (await json(await h.api("/api/v1/subscriptions/sw/rotate_secret", { method: "POST", json: {} }))).signing_secret;
    const shown = await json(await h.api("/api/v1/subscriptions/sw"));
    expect((await patch(h, "sw", { auth: shown.auth, description: "round trip" })).status).toBe(200);
    await h.api("/api/v1/subscriptions/sw/test", { method: "POST", json: {} });
    const received = r.requests.at(-1)!;
    for (const secret of [old, fresh]) expect(() => new Webhook(secret).verify(received.body, received.headers)).not.toThrow();
  });

  it("an option named like a credential is never shown, whatever its value, even when its schema does not say so", async () => {
    const spec = { id: "x", url: "http://127.0.0.1:9/x", events: ["*"], auth: { plugin: "custom", tokens: { primary: "tok-1" }, secrets: ["s-1"], apiKeys: ["ak-1"], region: "eu" } };
    const shown = redactSpec(spec, { transformers: new Map(), auth: new Map() });
    expect(shown.auth as unknown).toEqual({ plugin: "custom", region: "eu" });
  });

  it("rotation to a given secret shows nothing back; a subscription that signs with no secret cannot rotate", async () => {
    const h = await start(receivers.start());
    await create(h, { id: "oc", url: "http://127.0.0.1:9/x", events: ["*"], auth: { plugin: "onecodex-signature", secret: "first-secret" } });
    const rotated = await json(await h.api("/api/v1/subscriptions/oc/rotate_secret", { method: "POST", json: { secret: "second-secret" } }));
    expect(rotated.signing_secret).toBeUndefined();
    expect(JSON.stringify(rotated)).not.toContain('secret":"');
    await create(h, { id: "plain", url: "http://127.0.0.1:9/x", events: ["*"] });
    const refused = await h.api("/api/v1/subscriptions/plain/rotate_secret", { method: "POST" });
    expect(refused.status).toBe(422);
    expect((await json(refused)).error.code).toBe("no_signing_secret");
  });
});

describe("config-owned subscriptions are changed in the file, not through the API", () => {
  it("PATCH, DELETE and rotation answer 409 saying to edit the file", async () => {
    const h = await start(receivers.start());
    for (const response of [
      await patch(h, "a", { enabled: false }),
      await h.api("/api/v1/subscriptions/a", { method: "DELETE" }),
      await h.api("/api/v1/subscriptions/a/rotate_secret", { method: "POST" }),
    ]) {
      expect(response.status).toBe(409);
      const { error } = await json(response);
      expect(error.code).toBe("config_owned");
      expect(error.message).toContain("edit the file");
    }
  });
});

describe("changing, disabling and deleting", () => {
  it("PATCH changes only the fields it gives; null clears auth and description", async () => {
    const h = await start(receivers.start());
    await create(h, { id: "b", url: "http://127.0.0.1:9/x", events: ["*"], auth: { plugin: "basic-auth", username: "u", password: "p" }, description: "d" });
    const changed = await json(await patch(h, "b", { url: "http://127.0.0.1:9/y", auth: null, description: null }));
    expect(changed).toMatchObject({ url: "http://127.0.0.1:9/y", events: ["*"], auth: null, description: null });
    expect((await patch(h, "b", {})).status).toBe(400);
    expect((await patch(h, "missing", { enabled: false })).status).toBe(404);
  });

  it("a disabled subscription gets no new events, and its unfinished deliveries fail saying why", async () => {
    const r = receivers.start();
    const h = await start(r);
    await create(h, { id: "b", url: `${r.url}/b`, events: ["*"] });
    const waiting = await json(await h.publish({ event_type: "sample.uploaded", object: {} }));
    await patch(h, "b", { enabled: false });
    const later = await json(await h.publish({ event_type: "sample.uploaded", object: {} }));
    expect(later.deliveries.map((d: any) => d.subscription)).toEqual(["a"]);
    await h.worker.drain();
    const detail = await json(await h.api(`/api/v1/events/${waiting.id}`));
    const toB = detail.deliveries.find((d: any) => d.subscription === "b");
    expect(toB.state).toBe("failed");
    expect(toB.attempt_log[0].error).toEqual({ kind: "disabled", message: 'subscription "b" is disabled' });
    expect(r.requests.filter((q) => q.path === "/b")).toHaveLength(0);
    const resend = await h.api(`/api/v1/events/${waiting.id}/resend`, { method: "POST", json: { subscriptions: ["b"] } });
    expect(resend.status).toBe(422);
    expect((await json(resend)).error.code).toBe("subscription_disabled");
  });

  it("a delivery waiting on a retry fails as soon as its subscription is disabled or deleted, not at the retry", async () => {
    const failing = receivers.start(() => new Response("busy", { status: 500 }));
    const h = await start(receivers.start());
    for (const id of ["b", "c"]) await create(h, { id, url: `${failing.url}/${id}`, events: ["sample.uploaded"], retry: { schedule: ["1h"] } });
    const event = await json(await h.publish({ event_type: "sample.uploaded", object: {} }));
    await h.worker.drain(); // b and c failed once; their retry is an hour away (the clock does not move)
    const states = async () => (await json(await h.api(`/api/v1/events/${event.id}`))).deliveries.map((d: any) => [d.subscription, d.state, d.attempt_log.at(-1)?.error?.kind ?? null]);
    expect(await states()).toEqual([
      ["a", "succeeded", null],
      ["b", "retrying", null],
      ["c", "retrying", null],
    ]);
    await patch(h, "b", { enabled: false });
    await h.api("/api/v1/subscriptions/c", { method: "DELETE" });
    await h.worker.drain();
    expect(await states()).toEqual([
      ["a", "succeeded", null],
      ["b", "failed", "disabled"],
      ["c", "failed", "unconfigured"],
    ]);
    expect(failing.requests).toHaveLength(2); // nothing more was sent
  });

  it("deleting keeps the history of past events and attempts readable, and the id is not reused", async () => {
    const r = receivers.start();
    const h = await start(r);
    await create(h, { id: "b", url: `${r.url}/b`, events: ["*"] });
    const event = await json(await h.publish({ event_type: "sample.uploaded", object: {} }));
    await h.worker.drain();
    expect((await h.api("/api/v1/subscriptions/b", { method: "DELETE" })).status).toBe(204);
    expect((await h.api("/api/v1/subscriptions/b")).status).toBe(404);
    expect((await json(await h.api("/api/v1/subscriptions"))).map((s: any) => s.id)).toEqual(["a"]);
    const detail = await json(await h.api(`/api/v1/events/${event.id}`));
    const toB = detail.deliveries.find((d: any) => d.subscription === "b");
    expect(toB.state).toBe("succeeded");
    expect(toB.attempt_log[0].response.status).toBe(200);
    expect((await json(await h.api("/api/v1/events?subscription=b"))).map((e: any) => e.id)).toEqual([event.id]);
    expect((await create(h, { id: "b", url: `${r.url}/b`, events: ["*"] })).status).toBe(409);
  });
});

describe("POST /api/v1/subscriptions/{id}/test", () => {
  it("sends a test event through the subscription's real plugins and answers with the attempt, storing nothing", async () => {
    const r = receivers.start((request) => new Response(`got ${request.headers["herald-event-type"]}`, { status: 201 }));
    const h = await start(r);
    const answer = await json(await h.api("/api/v1/subscriptions/a/test", { method: "POST", json: { event_type: "analysis.failed", object: { id: "an1" } } }));
    expect(answer).toMatchObject({ event_type: "analysis.failed", success: true, response: { status: 201, body: "got analysis.failed" }, error: null });
    expect(answer.duration_ms).toBeGreaterThanOrEqual(0);
    expect(answer.request.headers.authorization).toBe("[redacted]");
    const received = r.requests.at(-1)!;
    expect(received.headers.authorization).toBe(`Basic ${btoa("lab:config-password-1")}`);
    expect(JSON.parse(received.body)).toMatchObject({ api_version: "v1", event_type: "analysis.failed", object: { id: "an1" } });
    expect((await h.api("/api/v1/events")).headers.get("x-total-count")).toBe("0");
  });

  it("reports a failed attempt as data, and refuses an event type the subscription does not take", async () => {
    const h = await start(receivers.start());
    await create(h, { id: "dead", url: "http://127.0.0.1:9/x", events: ["sample.uploaded"] });
    const answer = await json(await h.api("/api/v1/subscriptions/dead/test", { method: "POST" }));
    expect(answer).toMatchObject({ event_type: "sample.uploaded", success: false, response: null, error: { kind: "connection_refused" } });
    const refused = await h.api("/api/v1/subscriptions/dead/test", { method: "POST", json: { event_type: "analysis.failed" } });
    expect(refused.status).toBe(422);
  });
});

describe("who may do what with subscriptions", () => {
  it("a publisher key may not read or change them (403)", async () => {
    const h = await start(receivers.start());
    for (const [method, path] of [
      ["GET", "/api/v1/subscriptions"],
      ["GET", "/api/v1/subscriptions/a"],
      ["POST", "/api/v1/subscriptions"],
      ["PATCH", "/api/v1/subscriptions/a"],
      ["DELETE", "/api/v1/subscriptions/a"],
      ["POST", "/api/v1/subscriptions/a/test"],
    ] as const)
      expect((await h.api(path, { method, token: PUBLISH_TOKEN, json: method === "GET" ? undefined : {} })).status).toBe(403);
  });

  it("a user key reads only its own subscriptions; the others do not exist for it; it changes none", async () => {
    const r = receivers.start();
    const h = await start(r);
    await create(h, { id: "hidden", url: `${r.url}/hidden`, events: ["*"], description: "someone else's" });
    const list = await h.api("/api/v1/subscriptions", { token: USER_TOKEN });
    expect((await json(list)).map((s: any) => s.id)).toEqual(["a"]);
    expect(list.headers.get("x-total-count")).toBe("1");
    expect((await h.api("/api/v1/subscriptions/a", { token: USER_TOKEN })).status).toBe(200);
    const hidden = await h.api("/api/v1/subscriptions/hidden", { token: USER_TOKEN });
    const missing = await h.api("/api/v1/subscriptions/never-existed", { token: USER_TOKEN });
    expect([hidden.status, missing.status]).toEqual([404, 404]);
    expect((await json(hidden)).error.message).toBe('no subscription "hidden"'); // the same answer as for one that never existed
    for (const [method, path, body] of [
      ["POST", "/api/v1/subscriptions", { url: "http://127.0.0.1:9/x", events: ["*"] }],
      ["PATCH", "/api/v1/subscriptions/a", { enabled: false }],
      ["DELETE", "/api/v1/subscriptions/a", undefined],
      ["POST", "/api/v1/subscriptions/a/test", undefined],
      ["POST", "/api/v1/subscriptions/a/rotate_secret", undefined],
    ] as const)
      expect((await h.api(path, { method, token: USER_TOKEN, json: body })).status).toBe(403);
  });
});
