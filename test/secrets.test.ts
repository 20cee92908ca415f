// Secrets go where they are needed (the receiver) and nowhere else: not in any API answer, not in any line the
// process writes, not in the attempt log. One real Herald process, everything it says searched for them.
import { afterAll, describe, expect, it } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_TOKEN, configYaml, PUBLISH_TOKEN, tempDir, USER_TOKEN } from "./support/herald.ts";
import { killAllHeralds, spawnHerald, waitUntil } from "./support/process.ts";
import { receiverPool } from "./support/receiver.ts";

const receivers = receiverPool();
const dir = tempDir("herald-secrets-");
afterAll(async () => {
  await killAllHeralds();
  await receivers.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const CONFIG_PASSWORD = "config-basic-password-7f3a";
const CONFIG_SIGNING_SECRET = "config-onecodex-secret-91bd";
const CONFIG_HEADER_SECRET = "config-static-api-key-55ce";
const API_PASSWORD = "api-basic-password-c0de";
const API_HEADER_SECRET = "api-static-token-e11e";

describe("secrets never appear in any API answer, log line or attempt record", () => {
  it("while subscriptions are created, delivered to, failed, tested, rotated and reloaded", async () => {
    const ok = receivers.start();
    const failing = receivers.start(() => new Response("nope", { status: 500 }));
    const yaml = configYaml({
      subscriptions: [
        `  - { id: a, url: "${ok.url}/a", events: ["*"], auth: { plugin: basic-auth, username: lab, password: ${CONFIG_PASSWORD} }, headers: { X-Api-Key: ${CONFIG_HEADER_SECRET} } }`,
        `  - { id: b, url: "${failing.url}/b?token=${CONFIG_HEADER_SECRET}", events: ["*"], auth: { plugin: onecodex-signature, secret: ${CONFIG_SIGNING_SECRET} }, retry: { schedule: [] } }`,
      ].join("\n"),
      // debug: one log line for every attempt too, so every line Herald can write about a delivery is searched
      extra: "reload: { watch: false }\nlog: { level: debug }",
    });
    const herald = await spawnHerald({ dir, yaml });
    const answers: string[] = [];
    const call = async (path: string, init: Parameters<typeof herald.api>[1] = {}) => {
      const response = await herald.api(path, init);
      const text = await response.text();
      answers.push(text);
      return { status: response.status, body: text ? JSON.parse(text) : null };
    };

    const sw = await call("/api/v1/subscriptions", { method: "POST", json: { id: "sw", url: `${ok.url}/sw`, events: ["*"], auth: { plugin: "standard-webhooks" } } });
    const generated: string = sw.body.signing_secret;
    answers.pop(); // the answer that creates it shows the generated secret, by design: it is the only time
    await call("/api/v1/subscriptions", {
      method: "POST",
      json: {
        id: "c",
        url: `${failing.url}/c`,
        events: ["*"],
        auth: { plugin: "basic-auth", username: "u", password: API_PASSWORD },
        headers: { Authorization2: API_HEADER_SECRET },
        retry: { schedule: [] },
      },
    });
    const key = await call("/api/v1/api_keys", { method: "POST", json: { name: "extra", role: "admin" } });
    const madeToken: string = key.body.token;
    answers.pop(); // likewise the new key's token

    for (let i = 0; i < 3; i++) await call("/api/v1/events", { method: "POST", token: PUBLISH_TOKEN, json: { event_type: "sample.uploaded", object: { n: i } } });
    await waitUntil("every delivery to settle", async () => {
      const events = (await call("/api/v1/events")).body as { status: string }[];
      return events.length === 3 && events.every((e) => e.status === "failed") ? true : undefined;
    });
    const rotated = await call("/api/v1/subscriptions/sw/rotate_secret", { method: "POST" });
    const rotatedSecret: string = rotated.body.signing_secret;
    answers.pop(); // it shows the new secret, once, by design
    await call("/api/v1/subscriptions/sw/test", { method: "POST" });
    await call("/api/v1/subscriptions/c/test", { method: "POST" });
    for (const path of ["/api/v1/events", "/api/v1/subscriptions", "/api/v1/api_keys", "/api/v1/subscriptions/a", "/api/v1/subscriptions/b", "/api/v1/subscriptions/c", "/api/v1/subscriptions/sw"])
      await call(path);
    const events = (await call("/api/v1/events")).body as { id: string }[];
    for (const event of events) await call(`/api/v1/events/${event.id}`);
    await call("/api/v1/events", { token: USER_TOKEN });

    // A reload the file refuses: its problems are logged, and they name paths, never values.
    const file = join(dir, "webhooks.config.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("username: lab", "username: 'l:ab'").replace(`token: ${PUBLISH_TOKEN}`, `token: ${ADMIN_TOKEN}`));
    herald.proc.kill("SIGHUP");
    await waitUntil("the refused reload to be logged", () => (herald.output().includes("config reload rejected") ? true : undefined), 5_000);
    await herald.kill("SIGTERM");

    // The receivers did get what they needed.
    expect(ok.requests.find((q) => q.path === "/a")!.headers.authorization).toBe(`Basic ${btoa(`lab:${CONFIG_PASSWORD}`)}`);
    expect(failing.requests.find((q) => q.path === "/c")!.headers.authorization).toBe(`Basic ${btoa(`u:${API_PASSWORD}`)}`);

    const secrets = [
      CONFIG_PASSWORD,
      CONFIG_SIGNING_SECRET,
      CONFIG_HEADER_SECRET,
      API_PASSWORD,
      API_HEADER_SECRET,
      btoa(`lab:${CONFIG_PASSWORD}`),
      btoa(`u:${API_PASSWORD}`),
      generated,
      generated.slice("whsec_".length),
      rotatedSecret,
      rotatedSecret.slice("whsec_".length),
      madeToken,
      ADMIN_TOKEN,
      PUBLISH_TOKEN,
      USER_TOKEN,
    ];
    const db = new Database(join(dir, "herald.db"), { readonly: true });
    const attempts = db.query("SELECT url, request_headers, error_message FROM attempts").all();
    const storedSubscriptions = db.query("SELECT spec FROM subscriptions WHERE source = 'config'").all();
    db.close();
    expect(attempts.length).toBeGreaterThan(8);
    const places = {
      "API answers": answers.join("\n"),
      "process output": herald.output(),
      "attempt log": JSON.stringify(attempts),
      "stored config subscriptions": JSON.stringify(storedSubscriptions),
    };
    for (const [where, text] of Object.entries(places)) for (const secret of secrets) expect({ where, leaked: text.includes(secret) ? secret : null }).toEqual({ where, leaked: null });
  }, 30_000);
});

const echoDir = tempDir("herald-secrets-echo-");
afterAll(() => rmSync(echoDir, { recursive: true, force: true }));

const SECRETS = {
  lims: "lims-hmac-secret-0123456789",
  password: "reports-password-0123456789",
  header: "sk_live_header_0123456789",
  query: "tok_query_0123456789",
  whsec: `whsec_${Buffer.from("standard-webhooks-secret-0123").toString("base64")}`,
};
const BASIC = Buffer.from(`herald:${SECRETS.password}`).toString("base64");
/** Every secret, in each form it is sent or configured in. */
const FORBIDDEN = [...Object.values(SECRETS), BASIC, ADMIN_TOKEN, PUBLISH_TOKEN, USER_TOKEN];

function leaked(text: string): string[] {
  return FORBIDDEN.filter((secret) => text.includes(secret));
}

describe("an answer that echoes the request back does not carry its secrets into the attempt log", () => {
  it("even when a receiver echoes every request header back in its answer, as httpbin does", async () => {
    // Fails once (so an attempt is retried), then succeeds; both answers echo the request headers.
    const seen = new Map<string, number>();
    const echo = receivers.start((request) => {
      const path = request.path.split("?")[0]!;
      seen.set(path, (seen.get(path) ?? 0) + 1);
      return Response.json({ headers: request.headers, url: request.path }, { status: seen.get(path) === 1 ? 500 : 200 });
    });
    const yaml = `
server: { host: 127.0.0.1, port: 0 }
storage: { sqlite: ./herald.db }
retry: { timeout: 2s, schedule: [100ms], success: 2xx }
event_types:
  - { name: sample.uploaded, object_type: sample }
subscriptions:
  - { id: lims, url: "${echo.url}/lims?token=${SECRETS.query}", events: ["*"], auth: { plugin: onecodex-signature, secret: ${SECRETS.lims} }, headers: { X-Api-Key: ${SECRETS.header} } }
  - { id: reports, url: "${echo.url}/reports", events: ["*"], auth: { plugin: basic-auth, username: herald, password: ${SECRETS.password} } }
  - { id: analytics, url: "${echo.url}/analytics", events: ["*"], auth: { plugin: standard-webhooks, secret: "${SECRETS.whsec}" } }
api_keys:
  - { name: platform, role: publisher, token: ${PUBLISH_TOKEN} }
  - { name: ops, role: admin, token: ${ADMIN_TOKEN} }
  - { name: partner, role: user, token: ${USER_TOKEN}, subscriptions: [reports] }
`;
    const herald = await spawnHerald({ dir: echoDir, yaml });
    const published = await herald.publish({ event_type: "sample.uploaded", object: { id: "smp_1" } });
    expect(published.status).toBe(202);
    const { id } = (await published.json()) as { id: string };
    await waitUntil("every delivery to succeed on its second attempt", async () => {
      const event = (await (await herald.api(`/api/v1/events/${id}`)).json()) as { status: string };
      return event.status === "success" ? true : undefined;
    });
    // The secrets really were sent: the receivers saw them.
    expect(leaked(echo.requests.map((r) => JSON.stringify(r)).join("\n")).sort()).toEqual([SECRETS.header, SECRETS.query, BASIC].sort());

    const answers: string[] = [];
    const read = async (path: string, token?: string) => answers.push(await (await herald.api(path, { token })).text());
    await read(`/api/v1/events/${id}`);
    await read(`/api/v1/events/${id}`, USER_TOKEN);
    await read("/api/v1/events?per_page=500");
    await read("/api/v1/event_types");
    await read("/openapi.json");
    await read("/metrics");
    for (const wrong of [`${ADMIN_TOKEN}x`, SECRETS.lims]) await read("/api/v1/events", wrong);
    await read("/api/v1/events", PUBLISH_TOKEN);

    const attemptLog = answers[0]!;
    expect(attemptLog).toContain('"attempt_log"');
    expect(attemptLog).toContain("[redacted]");
    expect(leaked(answers.join("\n"))).toEqual([]);
    expect(await herald.kill("SIGTERM")).toBe(0);
    expect(leaked(herald.output())).toEqual([]);
  }, 30_000);
});
