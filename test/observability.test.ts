// What operators read: Prometheus metrics (with the config's metrics token, or an admin key) and the API document.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { ManualClock } from "./support/clock.ts";
import { ADMIN_TOKEN, configYaml, PUBLISH_TOKEN, startTestHerald, USER_TOKEN, type TestHerald } from "./support/herald.ts";
import { receiverPool } from "./support/receiver.ts";

let herald: TestHerald;
const METRICS_TOKEN = "test-metrics-token-0001";
const receivers = receiverPool();
const clock = new ManualClock();

beforeAll(async () => {
  const ok = receivers.start();
  const refusing = receivers.start(() => new Response("no", { status: 500 }));
  herald = await startTestHerald(
    configYaml({
      subscriptions: [
        `  - { id: a, url: "${ok.url}", events: ["*"] }`,
        `  - { id: gone, url: "http://127.0.0.1:9/x", events: [sample.uploaded], retry: { schedule: [1m] } }`,
        `  - { id: bad, url: "${refusing.url}", events: [analysis.failed], retry: { schedule: [] } }`,
      ].join("\n"),
      extra: `metrics: { token: ${METRICS_TOKEN} }`,
    }),
    { clock, startWorker: false },
  );
});

afterAll(async () => {
  await herald.close();
  await receivers.stopAll();
});

const scrape = async () => {
  const response = await fetch(`${herald.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  const text = await response.text();
  return (series: string) =>
    text
      .split("\n")
      .find((l) => l.startsWith(`${series} `))
      ?.split(" ")[1];
};

describe("who may read GET /metrics: it names every subscription", () => {
  const scrapeWith = (authorization?: string) => fetch(`${herald.url}/metrics`, { headers: authorization ? { authorization } : {} });
  const errorOf = async (response: Response) => ({ status: response.status, code: ((await response.json()) as any).error.code });

  it("without a key it is a 401 that names nothing; a publisher or user key is a 403", async () => {
    const refused = await scrapeWith();
    const text = await refused.text();
    expect({ status: refused.status, code: JSON.parse(text).error.code }).toEqual({ status: 401, code: "unauthorized" });
    expect(JSON.parse(text).error.message).toContain("metrics.token");
    expect(text).not.toContain("herald_");
    expect(await errorOf(await scrapeWith(`Bearer ${METRICS_TOKEN}x`))).toEqual({ status: 401, code: "unauthorized" });
    for (const token of [PUBLISH_TOKEN, USER_TOKEN]) expect(await errorOf(await scrapeWith(`Bearer ${token}`))).toEqual({ status: 403, code: "forbidden" });
  });

  it("the metrics token (as Bearer, or as a Basic username) and an admin key may read it", async () => {
    const basic = `Basic ${Buffer.from(`${METRICS_TOKEN}:`).toString("base64")}`;
    for (const authorization of [`Bearer ${METRICS_TOKEN}`, basic, `Bearer ${ADMIN_TOKEN}`]) {
      const response = await scrapeWith(authorization);
      expect({ authorization, status: response.status }).toEqual({ authorization, status: 200 });
      expect(await response.text()).toContain("herald_deliveries_in_flight ");
    }
  });

  it("a metrics token that is also an API key's is a config problem at its line", async () => {
    const { loadConfigText } = await import("../src/config/load.ts");
    const yaml = configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:9/a", events: ["*"] }`, extra: `metrics: { token: ${ADMIN_TOKEN} }` });
    const result = await loadConfigText(yaml, "/nowhere/webhooks.config.yaml", {});
    expect(result.ok ? [] : result.problems).toEqual([{ path: "metrics.token", line: 5, message: "the metrics token is also an API key's token; give it a token of its own" }]);
  });

  it("the metrics token opens nothing else", async () => {
    expect(await errorOf(await herald.api("/api/v1/events", { token: METRICS_TOKEN }))).toEqual({ status: 401, code: "unauthorized" });
    expect(await errorOf(await herald.api("/api/v1/event_types", { token: METRICS_TOKEN }))).toEqual({ status: 401, code: "unauthorized" });
  });
});

describe("GET /metrics", () => {
  it("shows the queue before any attempt: every delivery pending and due, the oldest as overdue as the clock says", async () => {
    await herald.publish({ event_type: "sample.uploaded", object: {} });
    await herald.publish({ event_type: "analysis.failed", object: {} });
    clock.advance(5_000);
    const metric = await scrape();
    expect(metric('herald_events_published_total{event_type="sample.uploaded"}')).toBe("1");
    expect(metric('herald_events_published_total{event_type="analysis.failed"}')).toBe("1");
    expect(metric('herald_deliveries_unfinished{state="pending",due="true"}')).toBe("4");
    expect(metric('herald_deliveries_unfinished{state="retrying",due="true"}')).toBe("0");
    expect(metric("herald_oldest_due_delivery_age_seconds")).toBe("5");
  });

  it("counts attempts by result and deliveries by outcome per subscription, and shows what waits for a retry", async () => {
    await herald.worker.drain();
    let metric = await scrape();
    expect(metric('herald_delivery_attempts_total{subscription="a",result="success"}')).toBe("2");
    expect(metric('herald_delivery_attempts_total{subscription="gone",result="connection_refused"}')).toBe("1");
    expect(metric('herald_delivery_attempts_total{subscription="bad",result="rejected"}')).toBe("1");
    expect(metric('herald_delivery_attempt_duration_seconds_count{subscription="a"}')).toBe("2");
    expect(metric('herald_deliveries_total{subscription="a",outcome="succeeded"}')).toBe("2");
    expect(metric('herald_deliveries_total{subscription="gone",outcome="retrying"}')).toBe("1");
    expect(metric('herald_deliveries_total{subscription="bad",outcome="failed"}')).toBe("1");
    // the refused delivery waits a minute for its retry: unfinished, not yet due; nothing is overdue
    expect(metric('herald_deliveries_unfinished{state="pending",due="true"}')).toBe("0");
    expect(metric('herald_deliveries_unfinished{state="retrying",due="false"}')).toBe("1");
    expect(metric('herald_deliveries_unfinished{state="retrying",due="true"}')).toBe("0");
    expect(metric("herald_oldest_due_delivery_age_seconds")).toBe("0");

    clock.advance(90_000);
    metric = await scrape();
    expect(metric('herald_deliveries_unfinished{state="retrying",due="true"}')).toBe("1");
    expect(metric("herald_oldest_due_delivery_age_seconds")).toBe("30");
  });
});

describe("GET /openapi.json", () => {
  it("documents every API route with its JSON body schema", async () => {
    const doc = (await (await fetch(`${herald.url}/openapi.json`)).json()) as any;
    expect(doc.openapi).toStartWith("3.");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/api/v1/api_keys",
      "/api/v1/api_keys/{id}",
      "/api/v1/audit",
      "/api/v1/event_types",
      "/api/v1/events",
      "/api/v1/events/resend",
      "/api/v1/events/{id}",
      "/api/v1/events/{id}/resend",
      "/api/v1/jobs/{id}",
      "/api/v1/subscriptions",
      "/api/v1/subscriptions/{id}",
      "/api/v1/subscriptions/{id}/health",
      "/api/v1/subscriptions/{id}/rotate_secret",
      "/api/v1/subscriptions/{id}/test",
    ]);
    const publish = doc.paths["/api/v1/events"].post.requestBody.content["application/json"].schema;
    expect(publish.required).toEqual(["event_type", "object"]);
    expect(doc.components.securitySchemes.bearer.scheme).toBe("bearer");
  });
});

describe("GET /docs", () => {
  it("renders the API document from assets Herald serves itself, under a policy that forbids any other host", async () => {
    const page = await fetch(`${herald.url}/docs`);
    expect(page.headers.get("content-security-policy")).toStartWith("default-src 'self';");
    const html = await page.text();
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(references).toEqual(["data:,", "/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/docs/start.js"]);
    for (const path of references.slice(1)) {
      const asset = await fetch(`${herald.url}${path}`);
      expect(asset.status).toBe(200);
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    expect(await (await fetch(`${herald.url}/docs/start.js`)).text()).toContain('url: "/openapi.json"');
  });
});
