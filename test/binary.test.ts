// The compiled binary stands alone: built once, run from another folder with nothing copied beside it.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import packageJson from "../package.json";
import { CONTENT_SECURITY_POLICY } from "../src/ui/routes.ts";
import { configYaml, tempDir } from "./support/herald.ts";
import { BUILD_TIMEOUT_MS, compiledHerald } from "./support/binary.ts";
import { killAllHeralds, REPO_ROOT, runCommand, spawnHerald } from "./support/process.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";

let dir: string;
let binary: string;
const receivers: Receiver[] = [];

const run = (command: string[], cwd: string) => runCommand(command, { cwd, env: { HOME: process.env.HOME ?? "" } });

beforeAll(async () => {
  dir = tempDir("herald-binary-");
  binary = await compiledHerald();
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await killAllHeralds();
  await Promise.all(receivers.map((r) => r.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the compiled binary", () => {
  it("serves from a different working directory and delivers the One Codex v1 body", async () => {
    const receiver = startReceiver();
    receivers.push(receiver);
    const yaml = configYaml({ subscriptions: `  - { id: a, url: "${receiver.url}/hook", events: ["*"] }` });
    const herald = await spawnHerald({ dir, yaml, command: [binary], cwd: dir });

    const response = await herald.publish({
      event_type: "analysis.succeeded",
      object: { id: "ana_1", sample: "smp_1" },
      triggered_at: "2026-03-01T12:00:00.000Z",
    });
    expect(response.status).toBe(202);
    const [request] = await receiver.waitFor(1, 10_000);
    expect(request!.method).toBe("POST");
    expect(request!.path).toBe("/hook");
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request!.body)).toEqual({
      api_version: "v1",
      event_type: "analysis.succeeded",
      object: { id: "ana_1", sample: "smp_1" },
      object_type: "analysis",
      triggered_at: "2026-03-01T12:00:00.000Z",
    });
    // The SQLite file lands beside the config, not in the binary's working directory or the repo.
    expect(await Bun.file(join(dir, "herald.db")).exists()).toBe(true);
    // The API docs page's assets travel inside the binary.
    for (const path of ["/docs", "/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/openapi.json"]) {
      const asset = await fetch(`${herald.url}${path}`);
      expect([path, asset.status]).toEqual([path, 200]);
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    expect(await herald.kill("SIGTERM")).toBe(0);
  }, 30_000);

  it("loads a user plugin file from disk and POSTs the body it shapes", async () => {
    const receiver = startReceiver();
    receivers.push(receiver);
    const pluginDir = join(dir, "with-plugin");
    mkdirSync(pluginDir);
    copyFileSync(join(REPO_ROOT, "test/fixtures/plugins/lab-envelope.ts"), join(pluginDir, "lab-envelope.ts"));
    const yaml = configYaml({
      subscriptions: `  - { id: a, url: "${receiver.url}/hook", events: ["*"], transformer: { plugin: lab-envelope, lab: "north" } }`,
      extra: "plugins: [./lab-envelope.ts]",
    });
    const herald = await spawnHerald({ dir: pluginDir, yaml, command: [binary], cwd: pluginDir });
    await herald.publish({ event_type: "sample.uploaded", object: { id: "smp_7" }, triggered_at: "2026-03-01T12:00:00.000Z" });
    const [request] = await receiver.waitFor(1, 10_000);
    expect(request!.headers["content-type"]).toBe("application/vnd.lab+json");
    expect(JSON.parse(request!.body)).toEqual({ lab: "north", kind: "sample.uploaded", record: { id: "smp_7" }, at: "2026-03-01T12:00:00.000Z" });
    expect(await herald.kill("SIGTERM")).toBe(0);
  }, 30_000);

  it("serves the event-log page and every file it references from inside the binary, under a strict CSP", async () => {
    const yaml = configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:9/never", events: ["*"] }` });
    const pageDir = join(dir, "page");
    mkdirSync(pageDir);
    const herald = await spawnHerald({ dir: pageDir, yaml, command: [binary], cwd: pageDir });

    const page = await fetch(`${herald.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
    const html = await page.text();
    const links = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    const referenced = links.filter((link) => !link.startsWith("#") && !["/docs", "/metrics"].includes(link)); // the console's own views, the API docs, the metrics
    expect(referenced).toHaveLength(3); // icon, stylesheet, script
    const bodies = new Map<string, string>();
    for (const path of referenced) {
      expect(path).toStartWith("/ui/"); // this origin only
      const asset = await fetch(herald.url + path);
      expect(asset.status).toBe(200);
      const body = await asset.text();
      expect(body.length).toBeGreaterThan(100);
      bodies.set(asset.headers.get("content-type")!, body);
    }
    expect([...bodies.keys()].sort()).toEqual(["image/svg+xml", "text/css; charset=utf-8", "text/javascript; charset=utf-8"]);
    expect(bodies.get("text/javascript; charset=utf-8")).toContain("/api/v1/events"); // the page's own script, bundled
    expect(await herald.kill("SIGTERM")).toBe(0);
  }, 30_000);

  it("check-config exits 2 on an invalid file and lists the problem with its line", async () => {
    const bad = join(dir, "bad.config.yaml");
    writeFileSync(bad, configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:1/hook", events: [no.such.event] }` }));
    const result = await run([binary, "check-config", "--config", bad], dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("invalid configuration");
    expect(result.stderr).toMatch(/bad\.config\.yaml:\d+: subscriptions\[0\]\.events\[0\]: unknown event type "no\.such\.event"/);
  });

  it("check-config exits 0 on a valid file", async () => {
    const good = join(dir, "good.config.yaml");
    writeFileSync(good, configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:1/hook", events: ["*"] }` }));
    const result = await run([binary, "check-config", "--config", good], dir);
    expect(result).toMatchObject({ exitCode: 0 });
    expect(result.stdout).toContain("ok (3 event types, 1 subscriptions)");
  });

  it("version prints the package version", async () => {
    const result = await run([binary, "version"], dir);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(`herald ${packageJson.version}`);
  });
});
