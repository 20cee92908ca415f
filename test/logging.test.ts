// Structured log lines: one JSON object per line, the level set in the config.
import { afterAll, afterEach, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { loadConfigText } from "../src/config/load.ts";
import { jsonLogger } from "../src/log.ts";
import { ManualClock } from "./support/clock.ts";
import { configYaml, startTestHerald, tempDir, type TestHerald } from "./support/herald.ts";
import { receiverPool } from "./support/receiver.ts";

const receivers = receiverPool();
const dir = tempDir("herald-logging-");
const FILE = join(dir, "webhooks.config.yaml");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let herald: TestHerald | undefined;
afterEach(async () => {
  await herald?.close();
  herald = undefined;
  await receivers.stopAll();
});

const SECRET = "basic-auth-password-never-logged";
const BODY_MARKER = "object-content-never-logged";

/** Herald logging at the level its config gives, into `lines`; one event to an OK receiver and one to a 500. */
async function deliverOneGoodOneBad(level: string) {
  const ok = receivers.start();
  const failing = receivers.start(() => new Response("no", { status: 500 }));
  const yaml = configYaml({
    extra: `log: { level: ${level} }`,
    userSubscriptions: ["good"],
    subscriptions: [
      `  - { id: good, url: "${ok.url}", events: [sample.uploaded], auth: { plugin: basic-auth, username: u, password: ${SECRET} } }`,
      `  - { id: flaky, url: "${failing.url}", events: [analysis.failed], retry: { schedule: [1m] } }`,
    ].join("\n"),
  });
  const loaded = await loadConfigText(yaml, FILE, {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const lines: string[] = [];
  herald = await startTestHerald(yaml, { clock: new ManualClock(), startWorker: false, log: jsonLogger(loaded.config.log.level, (line) => lines.push(line)) });
  await herald.publish({ event_type: "sample.uploaded", object: { note: BODY_MARKER } });
  await herald.publish({ event_type: "analysis.failed", object: { note: BODY_MARKER } });
  lines.length = 0; // start-up lines are not what this is about
  await herald.worker.drain();
  return lines;
}

const attemptLines = (lines: string[]) => lines.map((l) => JSON.parse(l)).filter((l) => String(l.message).startsWith("delivery attempt"));

describe("attempt log lines", () => {
  it("at info (the default), one line per failed attempt with what an operator needs, none for successes", async () => {
    const lines = await deliverOneGoodOneBad("info");
    const logged = attemptLines(lines);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: "info", message: "delivery attempt failed", subscription: "flaky", attempt: 1, status: 500, error_kind: null, next: "retrying" });
    expect(logged[0].delivery).toStartWith("dlv_");
    expect(typeof logged[0].duration_ms).toBe("number");
    expect(Date.parse(logged[0].time)).not.toBeNaN();
  });

  it("at debug, one line per attempt, successes included", async () => {
    const logged = attemptLines(await deliverOneGoodOneBad("debug"));
    expect(logged.map((l) => [l.level, l.subscription, l.message])).toEqual(
      expect.arrayContaining([
        ["debug", "good", "delivery attempt succeeded"],
        ["info", "flaky", "delivery attempt failed"],
      ]),
    );
    expect(logged).toHaveLength(2);
  });

  it("at warn, no attempt lines at all", async () => {
    expect(attemptLines(await deliverOneGoodOneBad("warn"))).toEqual([]);
  });

  it("never carry a secret or the body", async () => {
    const lines = (await deliverOneGoodOneBad("debug")).join("\n");
    expect(lines).not.toContain(SECRET);
    expect(lines).not.toContain(BODY_MARKER);
  });
});

describe("the log level", () => {
  const ONE = `  - { id: a, url: "http://127.0.0.1:9/x", events: ["*"] }`;
  it("is info unless the config says otherwise", async () => {
    const loaded = await loadConfigText(configYaml({ subscriptions: ONE }), FILE, {});
    expect(loaded.ok && loaded.config.log.level).toBe("info");
  });

  it("an unknown level is a config problem at log.level naming the levels", async () => {
    const loaded = await loadConfigText(configYaml({ subscriptions: ONE, extra: "log:\n  level: verbose" }), FILE, {});
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.problems).toMatchObject([{ path: "log.level", message: expect.stringContaining("debug, info, warn, error") }]);
  });

  it("a logger writes its level and the ones above, as one JSON object per line", () => {
    const lines: string[] = [];
    const log = jsonLogger("warn", (line) => lines.push(line));
    log.debug("d");
    log.info("i");
    log.warn("w", { n: 1 });
    log.error("e");
    expect(lines.map((l) => JSON.parse(l)).map(({ level, message, n }) => ({ level, message, n }))).toEqual([
      { level: "warn", message: "w", n: 1 },
      { level: "error", message: "e", n: undefined },
    ]);
  });

  it("read from a function at each line, follows a change (a config reload) at once", () => {
    const lines: string[] = [];
    let level: "info" | "debug" = "info";
    const log = jsonLogger(
      () => level,
      (line) => lines.push(line),
    );
    log.debug("hidden");
    level = "debug";
    log.debug("shown");
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(["shown"]);
  });
});
