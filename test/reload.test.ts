// Reloading webhooks.config.yaml without a restart: SIGHUP or a change to the file. A valid file is applied
// (history kept); an invalid one is refused with line-precise problems and the running config stays.
import { afterAll, afterEach, describe, expect, it } from "bun:test";
import { appendFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jsonLogger } from "../src/log.ts";
import { configYaml, startTestHerald, tempDir, type TestHerald } from "./support/herald.ts";
import { killAllHeralds, spawnHerald, waitUntil } from "./support/process.ts";
import { receiverPool } from "./support/receiver.ts";

const receivers = receiverPool();
let heralds: TestHerald[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of heralds.splice(0)) await h.close();
  await killAllHeralds();
  await receivers.stopAll();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const json = async (response: Response) => (await response.json()) as any;
const sub = (id: string, url: string, events = `["*"]`) => `  - { id: ${id}, url: "${url}", events: ${events} }`;

async function start(subscriptions: string, extra = "reload: { watch: false }") {
  const h = await startTestHerald(configYaml({ subscriptions, extra }), { startWorker: false });
  heralds.push(h);
  return h;
}

const configFile = (h: TestHerald) => join(h.dir, "webhooks.config.yaml");
const rewrite = (file: string, edit: (text: string) => string) => writeFileSync(file, edit(readFileSync(file, "utf8")));
const ids = async (h: { api: TestHerald["api"] }) => (await json(await h.api("/api/v1/subscriptions"))).map((s: any) => [s.id, s.enabled]);

describe("a valid file is applied at once", () => {
  it("config subscriptions are added, changed, and disabled when removed, with their history kept", async () => {
    const r = receivers.start();
    const h = await start([sub("a", `${r.url}/a`), sub("b", `${r.url}/b`)].join("\n"));
    const before = await json(await h.publish({ event_type: "sample.uploaded", object: {} }));
    await h.worker.drain();

    rewrite(configFile(h), (text) =>
      text.replace(sub("b", `${r.url}/b`), [sub("c", `${r.url}/c`), sub("a", `${r.url}/a2`, "[analysis.failed]")].join("\n")).replace(sub("a", `${r.url}/a`) + "\n", ""),
    );
    expect(await h.reload()).toEqual({ ok: true, restartNeeded: [] });

    expect(await ids(h)).toEqual([
      ["a", true],
      ["b", false],
      ["c", true],
    ]);
    const removed = await json(await h.api("/api/v1/subscriptions/b"));
    expect(removed).toMatchObject({ source: "config", enabled: false, removed_from_config_at: expect.any(String) });
    expect((await json(await h.api("/api/v1/subscriptions/a"))).url).toBe(`${r.url}/a2`);

    const after = await json(await h.publish({ event_type: "sample.uploaded", object: {} }));
    expect(after.deliveries.map((d: any) => d.subscription)).toEqual(["c"]); // a takes analysis.failed now, b is gone
    const history = await json(await h.api(`/api/v1/events/${before.id}`));
    expect(history.deliveries.map((d: any) => [d.subscription, d.state])).toEqual([
      ["a", "succeeded"],
      ["b", "succeeded"],
    ]);
  });

  it("event types and API keys follow the file", async () => {
    const h = await start(sub("a", "http://127.0.0.1:9/a"));
    rewrite(configFile(h), (text) =>
      text
        .replace("  - { name: analysis.failed, object_type: analysis }", "  - { name: analysis.failed, object_type: analysis }\n  - { name: report_signed, object_type: report }")
        .replace("api_keys:\n", "api_keys:\n  - { name: late, role: publisher, token: added-on-reload-0001 }\n"),
    );
    expect((await h.reload()).ok).toBe(true);
    expect((await h.publish({ event_type: "report_signed", object: {} }, "added-on-reload-0001")).status).toBe(202);
    rewrite(configFile(h), (text) => text.replace("  - { name: late, role: publisher, token: added-on-reload-0001 }\n", ""));
    expect((await h.reload()).ok).toBe(true);
    expect((await h.publish({ event_type: "report_signed", object: {} }, "added-on-reload-0001")).status).toBe(401);
  });

  it("what only a restart can change is named and kept as it was", async () => {
    const h = await start(sub("a", "http://127.0.0.1:9/a"));
    rewrite(configFile(h), (text) => text.replace("port: 0", "port: 1").replace("sqlite: ./herald.db", "sqlite: ./other.db"));
    expect(await h.reload()).toEqual({ ok: true, restartNeeded: ["server.port", "storage.sqlite"] });
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect(h.live.config.storage.sqlitePath).toBe(join(h.dir, "herald.db"));
  });
});

describe("an invalid file is refused and the running config stays in force", () => {
  it("with the same line-precise problems as at start-up", async () => {
    const h = await start(sub("a", "http://127.0.0.1:9/a"));
    rewrite(configFile(h), (text) =>
      text.replace(sub("a", "http://127.0.0.1:9/a"), sub("a", "http://127.0.0.1:9/a", "[sample.deleted]")).replace("retry: { timeout: 2s", "retry: { timeout: 2 seconds"),
    );
    const result = await h.reload();
    expect(result.ok).toBe(false);
    const problems = (result as { problems: { path: string; line: number | null; message: string }[] }).problems;
    const lineOf = (needle: string) =>
      readFileSync(configFile(h), "utf8")
        .split("\n")
        .findIndex((l) => l.includes(needle)) + 1;
    expect(problems).toContainEqual(expect.objectContaining({ path: "retry.timeout", line: lineOf("timeout: 2 seconds") }));
    expect(problems).toContainEqual(expect.objectContaining({ path: "subscriptions[0].events[0]", line: lineOf("sample.deleted") }));
    expect((await h.publish({ event_type: "sample.uploaded", object: {} })).status).toBe(202);
    expect(h.live.config.retry.timeoutMs).toBe(2_000);
  });

  it("a config subscription may not take the id of one made through the API", async () => {
    const h = await start(sub("a", "http://127.0.0.1:9/a"));
    expect((await h.api("/api/v1/subscriptions", { method: "POST", json: { id: "mine", url: "http://127.0.0.1:9/m", events: ["*"] } })).status).toBe(201);
    rewrite(configFile(h), (text) => text.replace(sub("a", "http://127.0.0.1:9/a"), `${sub("a", "http://127.0.0.1:9/a")}\n${sub("mine", "http://127.0.0.1:9/x")}`));
    const result = await h.reload();
    expect(result).toMatchObject({ ok: false, problems: [{ path: "subscriptions[1].id", message: 'subscription id "mine" is used by a subscription created through the API; choose another id' }] });
    expect((result as any).problems[0].line).toBeGreaterThan(0);
    expect((await json(await h.api("/api/v1/subscriptions/mine"))).source).toBe("api");
  });
});

describe("a file under which a subscription made through the API would no longer hold is refused", () => {
  it("an event type it takes removed, or a retention shorter than its retries", async () => {
    const h = await start(sub("a", "http://127.0.0.1:9/a"));
    const made = await h.api("/api/v1/subscriptions", { method: "POST", json: { id: "mine", url: "http://127.0.0.1:9/m", events: ["analysis.failed"], retry: { schedule: ["1d", "1d"] } } });
    expect(made.status).toBe(201);
    const original = readFileSync(configFile(h), "utf8");
    for (const edit of [(text: string) => text.replace("  - { name: analysis.failed, object_type: analysis }\n", ""), (text: string) => `retention: 2d\n${text}`]) {
      writeFileSync(configFile(h), edit(original));
      const result = await h.reload();
      expect(result.ok).toBe(false);
      const [problem] = (result as { problems: { message: string }[] }).problems;
      expect(problem!.message).toStartWith('subscription "mine", made through the API, would not hold under this file');
      expect(problem!.message).toContain("change or delete it through the API first");
    }
    expect(h.live.config.retentionMs).toBe(30 * 86_400_000);
    expect((await h.publish({ event_type: "analysis.failed", object: {} })).status).toBe(202);
  });
});

describe("what triggers a reload", () => {
  it("a change to the file, when watching (the default)", async () => {
    const h = await start(sub("a", "http://127.0.0.1:9/a"), "");
    rewrite(configFile(h), (text) => text.replace(sub("a", "http://127.0.0.1:9/a"), `${sub("a", "http://127.0.0.1:9/a")}\n${sub("watched", "http://127.0.0.1:9/w")}`));
    await waitUntil("the watched file to be applied", async () => ((await ids(h)).some(([id]: [string]) => id === "watched") ? true : undefined), 5_000);
  });

  it("SIGHUP, in the real process; an invalid file then leaves it serving as before", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const herald = await spawnHerald({ dir, yaml: configYaml({ subscriptions: sub("a", "http://127.0.0.1:9/a"), extra: "reload: { watch: false }" }) });
    const file = join(dir, "webhooks.config.yaml");
    rewrite(file, (text) => text.replace(sub("a", "http://127.0.0.1:9/a"), `${sub("a", "http://127.0.0.1:9/a")}\n${sub("hup", "http://127.0.0.1:9/h")}`));
    herald.proc.kill("SIGHUP");
    await waitUntil("SIGHUP to apply the file", async () => ((await ids(herald)).some(([id]: [string]) => id === "hup") ? true : undefined), 5_000);

    rewrite(file, (text) => text.replace('events: ["*"] }', "events: [nope] }"));
    herald.proc.kill("SIGHUP");
    await waitUntil("the rejection to be logged", () => (herald.output().includes("config reload rejected") ? true : undefined), 5_000);
    expect(herald.output()).toMatch(/line \d+: subscriptions\[0\]\.events\[0\]: unknown event type \\"nope\\"/);
    expect((await herald.publish({ event_type: "sample.uploaded", object: {} })).status).toBe(202);
    expect(await ids(herald)).toEqual([
      ["a", true],
      ["hup", true],
    ]);
  });
});

describe("a file saved in several writes is never applied half-written", () => {
  const lines: string[] = [];
  const applied = () => lines.filter((line) => JSON.parse(line).message === "config reloaded");
  const rejected = () => lines.filter((line) => JSON.parse(line).message === "config reload rejected; the running config stays in force");
  async function watching(subscriptions: string) {
    lines.length = 0;
    const h = await startTestHerald(configYaml({ subscriptions }), { startWorker: false, log: jsonLogger("info", (line) => lines.push(line)) });
    heralds.push(h);
    return h;
  }

  it("the watch waits until the file has stopped changing: two halves a moment apart are applied once, whole", async () => {
    const h = await watching([sub("a", "http://127.0.0.1:9/a"), sub("b", "http://127.0.0.1:9/b")].join("\n"));
    const whole = readFileSync(configFile(h), "utf8").replace(sub("b", "http://127.0.0.1:9/b"), `${sub("b", "http://127.0.0.1:9/b")}\n${sub("c", "http://127.0.0.1:9/c")}`);
    // The first half ends after subscription a: valid on its own, it would disable b.
    const cut = whole.indexOf(sub("b", "http://127.0.0.1:9/b"));
    writeFileSync(configFile(h), whole.slice(0, cut));
    await Bun.sleep(200); // longer than the watch's wait for a burst of events to end
    appendFileSync(configFile(h), whole.slice(cut));
    await waitUntil("the whole file to be applied", async () => ((await ids(h)).some(([id]: [string]) => id === "c") ? true : undefined), 5_000);
    await Bun.sleep(500); // a second reload, if any, would come within this
    expect(applied()).toHaveLength(1);
    expect(await ids(h)).toEqual([
      ["a", true],
      ["b", true],
      ["c", true],
    ]);
  });

  it("a file without its subscriptions and API keys is refused; once whole it is applied, and no publish was refused meanwhile", async () => {
    const h = await watching(sub("a", "http://127.0.0.1:9/a"));
    const whole = readFileSync(configFile(h), "utf8").replace("retry: { timeout: 2s", "retry: { timeout: 3s");
    const cut = whole.indexOf("subscriptions:");
    writeFileSync(configFile(h), whole.slice(0, cut)); // the first half: event types only
    await waitUntil("the half file to be refused", () => (rejected().length > 0 ? true : undefined), 5_000);
    const { problems } = JSON.parse(rejected()[0]!);
    expect(problems).toEqual([
      expect.stringMatching(/^line \d+: subscriptions: the file has no subscriptions section, where the running config has 1 subscription: .* To remove every one, write `subscriptions: \[\]`$/),
      expect.stringMatching(/^line \d+: api_keys: the file has no api_keys section, where the running config has 3 API keys: .*write `api_keys: \[\]` \(keys made through the API stay\)$/),
    ]);
    expect((await h.publish({ event_type: "sample.uploaded", object: {} })).status).toBe(202);
    expect(await ids(h)).toEqual([["a", true]]);

    appendFileSync(configFile(h), whole.slice(cut));
    await waitUntil("the whole file to be applied", () => (h.live.config.retry.timeoutMs === 3_000 ? true : undefined), 5_000);
    expect((await h.publish({ event_type: "sample.uploaded", object: {} })).status).toBe(202);
    expect(await ids(h)).toEqual([["a", true]]);
  });

  it("a file that writes the empty lists means it: every config subscription is disabled and every config key removed", async () => {
    const h = await start(sub("a", "http://127.0.0.1:9/a"));
    expect((await h.api("/api/v1/api_keys", { method: "POST", json: { name: "kept", role: "admin" } })).status).toBe(201);
    const made = await json(await h.api("/api/v1/api_keys", { method: "POST", json: { name: "kept-too", role: "admin" } }));
    const text = readFileSync(configFile(h), "utf8");
    writeFileSync(configFile(h), `${text.slice(0, text.indexOf("subscriptions:"))}subscriptions: []\napi_keys: []\n`);
    expect(await h.reload()).toEqual({ ok: true, restartNeeded: [] });
    expect((await h.publish({ event_type: "sample.uploaded", object: {} })).status).toBe(401);
    expect(await ids({ api: (path) => h.api(path, { token: made.token }) })).toEqual([["a", false]]);
  });
});
