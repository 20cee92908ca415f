// Memory before authentication: a body is read only for a known API key, and all bodies being read at once
// hold at most server.max_body_memory (503 beyond), so slow bodies cannot make Herald hold much memory.
import { afterAll, afterEach, describe, expect, it } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { configYaml, PUBLISH_TOKEN, startTestHerald, tempDir, type TestHerald } from "./support/herald.ts";
import { killAllHeralds, spawnHerald, waitUntil } from "./support/process.ts";
import { openRequest, postHead, type RawRequest } from "./support/raw-http.ts";

const MiB = 1024 * 1024;
const SUBSCRIPTIONS = `  - { id: a, url: "http://127.0.0.1:9/a", events: ["*"] }`;
const dir = tempDir("herald-body-memory-");
let herald: TestHerald | undefined;
const open: RawRequest[] = [];
afterEach(async () => {
  for (const request of open.splice(0)) request.close();
  await herald?.close();
  herald = undefined;
  await killAllHeralds();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Resident memory of a process, in MiB. */
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

describe("a body without a known API key is never read", () => {
  it("200 slow 1 MiB bodies without a key are answered 401 from their headers, and Herald's memory barely moves", async () => {
    const process = await spawnHerald({ dir, yaml: configYaml({ subscriptions: SUBSCRIPTIONS }) });
    const port = Number(new URL(process.url).port);
    const before = rssMiB(process.proc.pid);
    for (let i = 0; i < 200; i++) open.push(await openRequest(port, postHead("/api/v1/events", MiB)));
    // All but the last byte of every body, in rounds of 64 KiB: a body that never ends.
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    for (let sent = 0; sent < MiB - 1; sent += chunk.byteLength) {
      for (const request of open) request.write(chunk.subarray(0, Math.min(chunk.byteLength, MiB - 1 - sent)));
      await Promise.all(open.map((request) => request.flushed()));
    }
    const statuses = await Promise.all(open.map((request) => request.status()));
    const after = rssMiB(process.proc.pid);
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(open[0]!.answer()).toContain('{"error":{"code":"unauthorized"');
    // Reading those bodies would hold 200 MiB; before this rule Herald went from 68 to 235 MiB here.
    expect(after - before).toBeLessThan(40);
    expect((await process.publish({ event_type: "sample.uploaded", object: {} })).status).toBe(202);
  }, 30_000);
});

describe("all bodies being read hold at most server.max_body_memory", () => {
  it("a body that does not fit is answered 503 server_busy with Retry-After, unread; once room is made, bodies are read again", async () => {
    const yaml = configYaml({ subscriptions: SUBSCRIPTIONS }).replace("port: 0 }", "port: 0, max_body_memory: 2MiB }");
    herald = await startTestHerald(yaml, { startWorker: false });
    const port = Number(new URL(herald.url).port);
    const event = `{"event_type":"sample.uploaded","object":{}}`;
    const padded = event + " ".repeat(MiB - event.length); // JSON may end in whitespace
    const slow = [await openRequest(port, postHead("/api/v1/events", MiB, `Bearer ${PUBLISH_TOKEN}`)), await openRequest(port, postHead("/api/v1/events", MiB, `Bearer ${PUBLISH_TOKEN}`))];
    open.push(...slow);
    for (const request of slow) request.write(padded.slice(0, MiB / 2));
    await Promise.all(slow.map((request) => request.flushed()));

    const refused = await herald.publish({ event_type: "sample.uploaded", object: {} });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(((await refused.json()) as any).error).toEqual({
      code: "server_busy",
      message: "the request bodies being read already hold what server.max_body_memory allows (2097152 bytes); try again shortly",
    });

    slow[0]!.write(padded.slice(MiB / 2));
    expect(await slow[0]!.status()).toBe(202);
    expect((await herald.publish({ event_type: "sample.uploaded", object: {} })).status).toBe(202);
  });

  it("a body whose client goes away gives its room back", async () => {
    const yaml = configYaml({ subscriptions: SUBSCRIPTIONS }).replace("port: 0 }", "port: 0, max_body_memory: 2MiB }");
    herald = await startTestHerald(yaml, { startWorker: false });
    const port = Number(new URL(herald.url).port);
    for (let i = 0; i < 4; i++) {
      const abandoned = await openRequest(port, postHead("/api/v1/events", MiB, `Bearer ${PUBLISH_TOKEN}`));
      abandoned.write(" ".repeat(1_000));
      await abandoned.flushed();
      abandoned.close();
    }
    await waitUntil("the room to be given back", async () => ((await herald!.publish({ event_type: "sample.uploaded", object: {} })).status === 202 ? true : undefined), 5_000);
  });

  it("max_body_memory below max_body_size is a config problem at its line", async () => {
    const { loadConfigText } = await import("../src/config/load.ts");
    const yaml = configYaml({ subscriptions: SUBSCRIPTIONS }).replace("port: 0 }", "port: 0, max_body_size: 2MiB, max_body_memory: 1MiB }");
    const result = await loadConfigText(yaml, `${dir}/webhooks.config.yaml`, {});
    expect(result.ok ? [] : result.problems).toEqual([
      { path: "server.max_body_memory", line: 2, message: "max_body_memory must be at least max_body_size (2MiB), or no body of that size could be read" },
    ]);
  });
});
