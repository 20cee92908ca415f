// Built-in plugins as receivers see them, checked by receiver-side code that follows each platform's documents.
import { afterAll, afterEach, describe, expect, it } from "bun:test";
import { createHmac, timingSafeEqual } from "node:crypto";
import { copyFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfigText } from "../src/config/load.ts";
import { ManualClock } from "./support/clock.ts";
import { configYaml, startTestHerald, tempDir, type TestHerald } from "./support/herald.ts";
import { receiverPool } from "./support/receiver.ts";

let herald: TestHerald | undefined;
const receivers = receiverPool();
/** Folders of this file's tests: a config checked without running Herald, and one per test with plugin files. */
const configDir = tempDir("herald-plugins-");
const pluginDirs: string[] = [];

afterEach(async () => {
  await herald?.close();
  herald = undefined;
  await receivers.stopAll();
  for (const dir of pluginDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

afterAll(() => rmSync(configDir, { recursive: true, force: true }));

/** A folder for one test's Herald, holding copies of the given plugin fixtures; removed after the test. */
function folderWithPlugins(...fixtures: string[]): string {
  const dir = tempDir("herald-plugins-");
  pluginDirs.push(dir);
  for (const fixture of fixtures) copyFileSync(join(import.meta.dir, "fixtures/plugins", fixture), join(dir, fixture));
  return dir;
}

/** One Codex's "Checking Signatures", step by step, as a receiver implements it. */
function oneCodexReceiverAccepts(header: string, rawBody: string, secret: string): boolean {
  const [timestampPart, ...signatureParts] = header.split(" ");
  if (!timestampPart?.startsWith("t=") || signatureParts.length === 0) return false;
  const expected = Buffer.from(
    createHmac("sha256", secret)
      .update(`${timestampPart.slice(2)}.${rawBody}`)
      .digest("hex"),
  );
  return signatureParts.some((part) => {
    if (!part.startsWith("v1=")) return false;
    const given = Buffer.from(part.slice(3));
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const OVATION_TYPES = `
  - { name: report_signed, object_type: report }
  - { name: report_corrected, object_type: report }`;

describe("onecodex-signature", () => {
  it("signs <t>.<raw body> so that One Codex's documented receiver steps accept it, with t the send time", async () => {
    const clock = new ManualClock(Date.parse("2026-03-01T12:00:00Z"));
    const r = receivers.start();
    herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${r.url}", events: ["*"], auth: { plugin: onecodex-signature, secret: "s3cret-key" } }` }), {
      clock,
      startWorker: false,
    });
    await herald.publish({ event_type: "sample.uploaded", object: { id: "s1", note: "größe ✓" }, triggered_at: "2026-01-01T00:00:00Z" });
    clock.advance(5_000);
    await herald.worker.drain();
    const request = r.requests[0]!;
    const header = request.headers["x-onecodex-signature"]!;
    expect(header).toMatch(/^t=\d+ v1=[0-9a-f]{64}$/);
    expect(header.startsWith(`t=${Math.floor(clock.now() / 1000)} `)).toBe(true);
    expect(oneCodexReceiverAccepts(header, request.body, "s3cret-key")).toBe(true);
    expect(oneCodexReceiverAccepts(header, request.body, "another-key")).toBe(false);
    expect(oneCodexReceiverAccepts(header, request.body.replace("s1", "s2"), "s3cret-key")).toBe(false);
  });

  it("adds a second v1= for a rotated secret until its grace period ends", async () => {
    const clock = new ManualClock(Date.parse("2026-03-01T12:00:00Z"));
    const r = receivers.start();
    herald = await startTestHerald(
      configYaml({
        subscriptions: `  - id: a
    url: "${r.url}"
    events: ["*"]
    auth: { plugin: onecodex-signature, secret: new-secret, previous_secrets: [{ secret: old-secret, until: "2026-03-02T00:00:00Z" }] }`,
      }),
      { clock, startWorker: false },
    );
    await herald.publish({ event_type: "sample.uploaded", object: {} });
    await herald.worker.drain();
    const during = r.requests[0]!;
    expect(during.headers["x-onecodex-signature"]!.split(" ")).toHaveLength(3);
    expect(oneCodexReceiverAccepts(during.headers["x-onecodex-signature"]!, during.body, "new-secret")).toBe(true);
    expect(oneCodexReceiverAccepts(during.headers["x-onecodex-signature"]!, during.body, "old-secret")).toBe(true);

    clock.set(Date.parse("2026-03-02T00:00:00Z"));
    await herald.publish({ event_type: "sample.uploaded", object: {} });
    await herald.worker.drain();
    const after = r.requests[1]!;
    expect(after.headers["x-onecodex-signature"]!.split(" ")).toHaveLength(2);
    expect(oneCodexReceiverAccepts(after.headers["x-onecodex-signature"]!, after.body, "old-secret")).toBe(false);
  });
});

describe("basic-auth", () => {
  it("sends Authorization: Basic base64(user:password) in UTF-8 (RFC 7617), redacted in the attempt log", async () => {
    const r = receivers.start();
    herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${r.url}", events: ["*"], auth: { plugin: basic-auth, username: "jürgen", password: "pa:ss✓" } }` }), {
      clock: new ManualClock(),
      startWorker: false,
    });
    const event = (await (await herald.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await herald.worker.drain();
    const [scheme, encoded] = r.requests[0]!.headers.authorization!.split(" ");
    expect(scheme).toBe("Basic");
    const decoded = Buffer.from(encoded!, "base64").toString("utf8");
    expect(decoded.slice(0, decoded.indexOf(":"))).toBe("jürgen");
    expect(decoded.slice(decoded.indexOf(":") + 1)).toBe("pa:ss✓");
    const detail = (await (await herald.api(`/api/v1/events/${event.id}`)).json()) as any;
    expect(detail.deliveries[0].attempt_log[0].request.headers.authorization).toBe("[redacted]");
  });
});

describe("ovation", () => {
  it("POSTs the event name with the object whole", async () => {
    const r = receivers.start();
    herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${r.url}", events: [report_signed], transformer: ovation }`, extraTypes: OVATION_TYPES }), {
      clock: new ManualClock(),
      startWorker: false,
    });
    const event = (await (await herald.publish({ event_type: "report_signed", object: { id: "rep-1", status: "signed" }, triggered_at: "2026-02-03T04:05:06Z" })).json()) as any;
    await herald.worker.drain();
    expect(r.requests[0]!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(r.requests[0]!.body)).toEqual({
      event: "report_signed",
      event_id: event.id,
      object_type: "report",
      object: { id: "rep-1", status: "signed" },
      triggered_at: "2026-02-03T04:05:06.000Z",
    });
  });

  it("refuses at config load a subscription whose events Ovation does not have", async () => {
    const yaml = configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:1", events: ["*"], transformer: ovation }`, extraTypes: OVATION_TYPES });
    const result = await loadConfigText(yaml, join(configDir, "c.yaml"), {});
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe("subscriptions[0].transformer");
    expect(problems[0]!.message).toContain("cannot shape sample.uploaded, analysis.succeeded, analysis.failed");
  });
});

describe("static request headers", () => {
  it("refuses reserved headers at config load, naming each", async () => {
    const yaml = configYaml({
      subscriptions: `  - id: a
    url: "http://127.0.0.1:1"
    events: ["*"]
    auth: { plugin: basic-auth, username: u, password: p }
    headers: { Content-Type: text/plain, X-OneCodex-Signature: forged, Authorization: "Bearer x", Herald-Attempt: "9", X-Lab-Id: "42" }`,
    });
    const result = await loadConfigText(yaml, join(configDir, "c.yaml"), {});
    const problems = result.ok ? [] : result.problems;
    expect(problems.map((p) => p.path)).toEqual([
      "subscriptions[0].headers.Content-Type",
      "subscriptions[0].headers.X-OneCodex-Signature",
      "subscriptions[0].headers.Authorization",
      "subscriptions[0].headers.Herald-Attempt",
    ]);
    const headersLine = yaml.split("\n").findIndex((line) => line.includes("headers: {")) + 1;
    expect(problems.every((p) => p.line === headersLine)).toBe(true);
  });
});

describe("user plugins", () => {
  it("a plugin file outside the project loads with nothing beside it and shapes the body", async () => {
    const dir = folderWithPlugins("lab-envelope.ts");
    const r = receivers.start();
    herald = await startTestHerald(
      configYaml({ subscriptions: `  - { id: a, url: "${r.url}", events: ["*"], transformer: { plugin: lab-envelope, lab: "north" } }`, extra: "plugins: [./lab-envelope.ts]" }),
      { clock: new ManualClock(Date.parse("2026-01-01T00:00:00Z")), startWorker: false, dir },
    );
    await herald.publish({ event_type: "sample.uploaded", object: { id: "s9" } });
    await herald.worker.drain();
    expect(r.requests[0]!.headers["content-type"]).toBe("application/vnd.lab+json");
    expect(JSON.parse(r.requests[0]!.body)).toEqual({ lab: "north", kind: "sample.uploaded", record: { id: "s9" }, at: "2026-01-01T00:00:00.000Z" });
  });

  it("a plugin file may import @sinclair/typebox/value (the Value namespace) with nothing installed beside it", async () => {
    const dir = folderWithPlugins();
    writeFileSync(
      join(dir, "checked-envelope.ts"),
      `import { Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

const Sample = Type.Object({ id: Type.String(), reads: Type.Integer({ default: 0 }) });

export default {
  kind: "transformer",
  name: "checked-envelope",
  transform: (event) => ({ body: { valid: Value.Check(Sample, event.object), sample: Value.Default(Sample, Value.Clone(event.object)) } }),
};
`,
    );
    const r = receivers.start();
    herald = await startTestHerald(configYaml({ subscriptions: `  - { id: a, url: "${r.url}", events: ["*"], transformer: checked-envelope }`, extra: "plugins: [./checked-envelope.ts]" }), {
      clock: new ManualClock(),
      startWorker: false,
      dir,
    });
    await herald.publish({ event_type: "sample.uploaded", object: { id: "s9" } });
    await herald.worker.drain();
    expect(JSON.parse(r.requests[0]!.body)).toEqual({ valid: false, sample: { id: "s9", reads: 0 } });
  });

  it("a plugin that throws fails only that attempt, with its error in the attempt log", async () => {
    const dir = folderWithPlugins("throws.ts");
    const broken = receivers.start();
    const fine = receivers.start();
    herald = await startTestHerald(
      configYaml({
        subscriptions: `  - { id: a, url: "${broken.url}", events: ["*"], auth: { plugin: always-throws } }
  - { id: b, url: "${fine.url}", events: ["*"] }`,
        extra: "plugins: [./throws.ts]",
      }),
      { clock: new ManualClock(), startWorker: false, dir },
    );
    const event = (await (await herald.publish({ event_type: "sample.uploaded", object: {} })).json()) as any;
    await herald.worker.drain();
    expect(broken.requests).toHaveLength(0);
    expect(fine.requests).toHaveLength(1);
    const detail = (await (await herald.api(`/api/v1/events/${event.id}`)).json()) as any;
    const attempt = detail.deliveries.find((d: any) => d.subscription === "a").attempt_log[0];
    expect(attempt.error).toEqual({ kind: "plugin", message: "the signing service is down" });
    expect(detail.status).toBe("retryable");
  });
});
