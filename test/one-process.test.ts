// One Herald per SQLite file: each keeps its subscriptions and keys in memory, so a second process on the same
// database would split it in two. The first holds the file locked for its life; a second stops with exit 2.
import { afterAll, afterEach, describe, expect, it } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseInUse } from "../src/store/errors.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import { configYaml, tempDir } from "./support/herald.ts";
import { FROM_SOURCE, REPO_ROOT, freePort, killAllHeralds, spawnHerald } from "./support/process.ts";

const dirs: string[] = [];
afterEach(killAllHeralds);
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function newDir() {
  const dir = tempDir("herald-one-process-");
  dirs.push(dir);
  return dir;
}

const yaml = configYaml({ subscriptions: `  - { id: a, url: "http://127.0.0.1:${freePort()}/hook", events: ["*"] }` });

/** `herald serve` on the same folder's database, on a port of its own; killed if it is still running after 10 s. */
async function serveBeside(dir: string, role = "all") {
  const file = join(dir, `second-${role}.config.yaml`);
  writeFileSync(file, yaml.replace("port: 0", `port: ${freePort()}`));
  const child = Bun.spawn([...FROM_SOURCE, "serve", "--config", file, "--role", role], {
    cwd: REPO_ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: 10_000, // a second Herald that serves instead of refusing is killed, and the test fails below
  });
  const [stderr, exitCode] = await Promise.all([new Response(child.stderr).text(), child.exited]);
  return { exitCode, stderr };
}

describe("a second herald serve on a database another one serves", () => {
  it("exits 2 saying the database is in use, and the first goes on serving", async () => {
    const dir = newDir();
    const first = await spawnHerald({ dir, yaml });
    const second = await serveBeside(dir);
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toContain("is in use by another Herald process");
    expect(second.stderr).toContain(join(dir, "herald.db"));
    expect((await first.publish({ event_type: "sample.uploaded", object: { id: "smp_1" } })).status).toBe(202);
  }, 30_000);

  it("is refused in any role: on SQLite the API and the worker run in one process", async () => {
    const dir = newDir();
    await spawnHerald({ dir, yaml });
    for (const role of ["api", "worker"]) {
      const second = await serveBeside(dir, role);
      expect({ role, exitCode: second.exitCode }).toEqual({ role, exitCode: 2 });
    }
  }, 30_000);

  it("starts once the first has gone, even killed with -9 (the lock goes with the process)", async () => {
    const dir = newDir();
    const first = await spawnHerald({ dir, yaml });
    expect(await first.kill("SIGKILL")).toBe(137);
    const next = await spawnHerald({ dir, yaml });
    expect((await next.api("/api/v1/subscriptions")).status).toBe(200);
  }, 30_000);
});

describe("the SQLite store in one process", () => {
  it("refuses a second open of the same file until the first is closed", async () => {
    const dir = newDir();
    const path = join(dir, "herald.db");
    const store = openSqliteStore(path);
    expect(() => openSqliteStore(path)).toThrow(DatabaseInUse);
    await store.close();
    await openSqliteStore(path).close();
  });
});
