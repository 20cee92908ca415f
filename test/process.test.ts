// Herald as a real process: what survives kill -9, and what SIGTERM lets finish.
import { afterAll, afterEach, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { configYaml, tempDir } from "./support/herald.ts";
import { freePort, killAllHeralds, spawnHerald, waitUntil, type HeraldProcess } from "./support/process.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";

interface EventBody {
  id: string;
  status: string;
  payload: { event_type: string; object: unknown };
  deliveries: {
    id: string;
    subscription: string;
    state: string;
    attempts: number;
    attempt_log?: { number: number; success: boolean; response: { status: number; body: string } | null; error: unknown }[];
  }[];
}

const dirs: string[] = [];
const receivers: Receiver[] = [];
afterEach(killAllHeralds);
afterAll(async () => {
  await killAllHeralds();
  await Promise.all(receivers.map((r) => r.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newDir() {
  const dir = tempDir("herald-process-");
  dirs.push(dir);
  return dir;
}

function subscriptionTo(url: string) {
  return `  - { id: a, url: "${url}", events: ["*"] }`;
}

async function publishSample(herald: HeraldProcess): Promise<EventBody> {
  const response = await herald.publish({ event_type: "sample.uploaded", object: { id: "smp_1", filename: "reads.fastq.gz" } });
  expect(response.status).toBe(202);
  return (await response.json()) as EventBody;
}

async function getEvent(herald: HeraldProcess, id: string): Promise<EventBody> {
  const response = await herald.api(`/api/v1/events/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as EventBody;
}

describe("a crash mid-POST loses nothing: the lease runs out and the delivery is sent again", () => {
  it("re-sends the same delivery after kill -9 and a restart on the same SQLite file", async () => {
    let answered = false;
    // The first POST is never answered (Herald dies waiting); later ones succeed.
    const receiver = startReceiver((_request, index) => {
      if (index === 0) return new Promise<Response>(() => {});
      answered = true;
      return new Response("ok");
    });
    receivers.push(receiver);
    const dir = newDir();
    // timeout 300ms → lease 2 × 300ms + 1s = 1.6s. A schedule of 64s means a recorded timeout could not explain a
    // quick second POST: only the expired lease can.
    const yaml = configYaml({ subscriptions: subscriptionTo(`${receiver.url}/hook`), retry: "retry: { timeout: 300ms, schedule: [64s], success: 2xx }" });

    const first = await spawnHerald({ dir, yaml });
    const event = await publishSample(first);
    const [firstPost] = await receiver.waitFor(1, 5_000);
    expect(await first.kill("SIGKILL")).toBe(137);

    const second = await spawnHerald({ dir, yaml });
    const requests = await receiver.waitFor(2, 10_000);
    const deliveryId = firstPost!.headers["herald-delivery-id"];
    expect(deliveryId).toBe(event.deliveries[0]!.id);
    expect(requests[1]!.headers["herald-delivery-id"]).toBe(deliveryId!);
    expect(requests[1]!.body).toBe(firstPost!.body);
    // Not before the lease (claimed just before the first POST arrived) ran out.
    expect(requests[1]!.receivedAt - firstPost!.receivedAt).toBeGreaterThanOrEqual(1_400);
    expect(answered).toBe(true);

    const done = await waitUntil("the event to succeed", async () => {
      const body = await getEvent(second, event.id);
      return body.status === "success" ? body : undefined;
    });
    const [delivery] = done.deliveries;
    expect(delivery!.state).toBe("succeeded");
    // The attempt that died with the process left no record but still counts: the one after the restart is #2.
    expect(delivery!.attempt_log).toHaveLength(1);
    expect(delivery!.attempt_log![0]).toMatchObject({ number: 2, success: true, response: { status: 200, body: "ok" }, error: null });
    expect(receiver.requests).toHaveLength(2);
  }, 30_000);
});

describe("an accepted event is on disk before the 202", () => {
  it("is still there, with its delivery, after kill -9 right after the 202", async () => {
    const dir = newDir();
    // Nothing listens there: whether or not the worker tried before the kill, the delivery stays unfinished.
    const yaml = configYaml({ subscriptions: subscriptionTo(`http://127.0.0.1:${freePort()}/hook`), retry: "retry: { timeout: 2s, schedule: [64s], success: 2xx }" });

    const first = await spawnHerald({ dir, yaml });
    const published = await publishSample(first);
    expect(await first.kill("SIGKILL")).toBe(137);

    const second = await spawnHerald({ dir, yaml });
    const event = await getEvent(second, published.id);
    expect(event.payload).toMatchObject({ event_type: "sample.uploaded", object: { id: "smp_1", filename: "reads.fastq.gz" } });
    expect(event.deliveries).toHaveLength(1);
    expect(event.deliveries[0]).toMatchObject({ id: published.deliveries[0]!.id, subscription: "a" });
    expect(["pending", "retrying"]).toContain(event.deliveries[0]!.state);
    expect(["pending", "retryable"]).toContain(event.status);
  }, 30_000);
});

describe("SIGTERM lets the attempt in flight finish and records it", () => {
  it("exits 0 after the slow receiver answered, and the 200 is in the attempt log after a restart", async () => {
    let answeredAt = 0;
    const receiver = startReceiver(async () => {
      await Bun.sleep(500);
      answeredAt = Date.now();
      return new Response("took my time");
    });
    receivers.push(receiver);
    const dir = newDir();
    const yaml = configYaml({ subscriptions: subscriptionTo(`${receiver.url}/hook`), retry: "retry: { timeout: 2s, schedule: [64s], success: 2xx }" });

    const first = await spawnHerald({ dir, yaml });
    const published = await publishSample(first);
    await receiver.waitFor(1, 5_000);
    const code = await first.kill("SIGTERM");
    const exitedAt = Date.now();
    expect({ code, output: code === 0 ? "" : first.output() }).toEqual({ code: 0, output: "" });
    expect(answeredAt).toBeGreaterThan(0);
    expect(exitedAt).toBeGreaterThanOrEqual(answeredAt);

    const second = await spawnHerald({ dir, yaml });
    const event = await getEvent(second, published.id);
    expect(event.status).toBe("success");
    const [delivery] = event.deliveries;
    expect(delivery!.state).toBe("succeeded");
    expect(delivery!.attempt_log).toHaveLength(1);
    expect(delivery!.attempt_log![0]).toMatchObject({ number: 1, success: true, response: { status: 200, body: "took my time" } });
    expect(receiver.requests).toHaveLength(1);
  }, 30_000);
});
