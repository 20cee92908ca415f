// What operators read without a key: Prometheus metrics and the API document.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { ManualClock } from "./support/clock.ts";
import { configYaml, startTestHerald, type TestHerald } from "./support/herald.ts";
import { receiverPool } from "./support/receiver.ts";

let herald: TestHerald;
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
    }),
    { clock, startWorker: false },
  );
});

afterAll(async () => {
  await herald.close();
  await receivers.stopAll();
});

const scrape = async () => {
  const response = await fetch(`${herald.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  const text = await response.text();
  return (series: string) =>
    text
      .split("\n")
      .find((l) => l.startsWith(`${series} `))
      ?.split(" ")[1];
};

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
      "/api/v1/event_types",
      "/api/v1/events",
      "/api/v1/events/resend",
      "/api/v1/events/{id}",
      "/api/v1/events/{id}/resend",
      "/api/v1/jobs/{id}",
      "/api/v1/subscriptions",
      "/api/v1/subscriptions/{id}",
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
