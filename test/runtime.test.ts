// The runtime: Herald's parts start in a declared order and stop in the reverse one, a part that fails to start
// stops those already started, and `role` picks the parts a process runs.
import { afterEach, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { jsonLogger, silentLogger, type Logger } from "../src/log.ts";
import { Supervisor } from "../src/runtime/supervisor.ts";
import { configYaml, startTestHerald, tempDir, type TestHerald } from "./support/herald.ts";
import { receiverPool } from "./support/receiver.ts";

const receivers = receiverPool();
let heralds: TestHerald[] = [];
afterEach(async () => {
  for (const h of heralds) await h.close();
  heralds = [];
});

/** A logger that keeps the supervisor's lines: which task started or stopped, in order. */
function taskLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = jsonLogger("debug", (line) => {
    const { message, task } = JSON.parse(line) as { message: string; task?: string };
    if (task !== undefined && (message === "started" || message === "stopped")) lines.push(`${message} ${task}`);
  });
  return { log, lines };
}

describe("the supervisor", () => {
  it("starts tasks in the order given and stops them in the reverse order", async () => {
    const calls: string[] = [];
    const task = (name: string) => ({ name, start: () => void calls.push(`start ${name}`), stop: async () => void calls.push(`stop ${name}`) });
    const supervisor = new Supervisor(silentLogger);
    await supervisor.start([task("store"), task("http"), task("worker")]);
    await supervisor.stop();
    await supervisor.stop(); // a second stop does nothing more
    expect(calls).toEqual(["start store", "start http", "start worker", "stop worker", "stop http", "stop store"]);
  });

  it("a task that fails to start stops the ones started before it, and the error goes on", async () => {
    const calls: string[] = [];
    const supervisor = new Supervisor(silentLogger);
    const started = supervisor.start([
      { name: "store", start: () => void calls.push("start store"), stop: () => void calls.push("stop store") },
      { name: "http", start: () => Promise.reject(new Error("port taken")), stop: () => void calls.push("stop http") },
      { name: "worker", start: () => void calls.push("start worker"), stop: () => void calls.push("stop worker") },
    ]);
    await expect(started).rejects.toThrow("port taken");
    expect(calls).toEqual(["start store", "stop store"]);
  });
});

describe("herald's parts", () => {
  const subscriptions = (url: string) => `  - { id: a, url: "${url}", events: ["*"] }`;

  it("start as declared (the store first, the file watch last) and stop in the reverse order", async () => {
    const r = receivers.start();
    const { log, lines } = taskLog();
    const h = await startTestHerald(configYaml({ subscriptions: subscriptions(r.url) }), { log });
    await h.close();
    const order = ["store", "subscriptions and keys", "http", "worker", "jobs", "retention", "config watch"];
    expect(lines).toEqual([...order.map((t) => `started ${t}`), ...order.reverse().map((t) => `stopped ${t}`)]);
  });

  it("role api serves the API and delivers nothing; role worker, on the same database, delivers and serves no HTTP", async () => {
    const r = receivers.start();
    const dir = tempDir();
    try {
      const yaml = configYaml({ subscriptions: subscriptions(r.url) });
      const api = taskLog();
      const apiOnly = await startTestHerald(yaml, { dir, role: "api", log: api.log });
      expect((await apiOnly.publish({ event_type: "sample.uploaded", object: { id: 1 } })).status).toBe(202);
      await apiOnly.close();
      expect(api.lines.filter((l) => l.startsWith("started"))).toEqual(["started store", "started subscriptions and keys", "started http", "started config watch"]);
      expect(r.requests).toHaveLength(0);

      const worker = taskLog();
      const workerOnly = await startTestHerald(yaml, { dir, role: "worker", log: worker.log });
      heralds.push(workerOnly);
      expect(workerOnly.url).toBe("");
      await r.waitFor(1, 5_000);
      expect(JSON.parse(r.requests[0]!.body)).toMatchObject({ event_type: "sample.uploaded", object: { id: 1 } });
      expect(worker.lines.filter((l) => l.startsWith("started"))).toEqual([
        "started store",
        "started subscriptions and keys",
        "started worker",
        "started jobs",
        "started retention",
        "started config watch",
      ]);
    } finally {
      for (const h of heralds) await h.close();
      heralds = [];
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
